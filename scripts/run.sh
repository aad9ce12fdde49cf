#!/usr/bin/env bash
# make run: the whole service in the foreground on 127.0.0.1:${PORT:-8080},
# booking-events (the live seat map's relay) and the sweeper every
# minute, as systemd runs them in production.
# Without DATABASE_URL it starts a throwaway PostgreSQL cluster in .local/
# (RUN_DIR=... elsewhere, for a second one from the same checkout).
# Ctrl-C, SIGTERM or SIGHUP stops everything it started, and so does the
# end of the process that started it (make, killed with a signal it does
# not pass on): quietly, exit status 0.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build/release}
RUN_DIR=${RUN_DIR:-$ROOT/.local}
STACK_DIR="$RUN_DIR/run"
# A unix socket path must fit in 108 bytes: a deep checkout runs in /tmp.
[ ${#STACK_DIR} -le 80 ] || STACK_DIR=$(mktemp -d /tmp/booking-run.XXXXXX)
PORT=${PORT:-8080}
export BUILD STACK_DIR
source scripts/stack.sh
# The production limits, nginx's and the anonymous caps, unless
# LIMITS=off: every local client is 127.0.0.1, so a load test or a
# benchmark would meet them at once.
LIMITS=${LIMITS:-on}
case $LIMITS in
    off) stack_limits_off ;;
    on) ;;
    *) echo "run: LIMITS=$LIMITS: say LIMITS=off, or nothing" >&2; exit 2 ;;
esac
mkdir -p "$STACK_DIR"
# The cluster to stop is the one started here, if any: never a PG_DIR
# from the environment (make test exports its own).
PG_DIR=

# The log's tail, the loop's sleep and a sweep under way go first
# (nothing of the run may outlive it), so that the servers' last lines do
# not race "run: stopped" to the terminal. A sweep cut short commits
# whole batches only.
run_stop() {
    local pid
    for pid in ${TAIL_PID:-} ${SLEEP_PID:-} ${SWEEP_PID:-}; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    stack_stop
    echo "run: stopped" >&2
}

# Start booking-expire in the background, as the service's role, unless
# the last one is still running; its lines go to the run's log, each
# named booking-expire (its summary on stdout is not). When it ends, the
# sed reading its output does too. Sets SWEEP_PID.
run_sweep() {
    if [ -n "${SWEEP_PID:-}" ] && kill -0 "$SWEEP_PID" 2>/dev/null; then
        return 0
    fi
    DATABASE_URL=$APP_DATABASE_URL "$ROOT/$BUILD/booking-expire" \
        > >(sed -u '/^booking-expire: /!s/^/booking-expire: /' >>"$STACK_DIR/fcgi.log") 2>&1 &
    SWEEP_PID=$!
}

# Is the process that started run.sh (make) still its parent? When it is
# gone, run.sh has been handed to another and stops too.
run_parent_alive() {
    local key val
    while read -r key val; do
        if [ "$key" = PPid: ]; then
            [ "$val" = "$PPID" ]
            return
        fi
    done </proc/$$/status
}

trap run_stop EXIT
trap 'exit 0' INT TERM HUP

if [ -z "${DATABASE_URL:-}" ]; then
    stack_pg_start "$(stack_pg_dir "$RUN_DIR/pg")" "${PGPORT:-$(stack_free_port)}"
fi
export DATABASE_URL
scripts/migrate.sh
# The server runs as the application role unless told otherwise: with
# a given DATABASE_URL, APP_DATABASE_URL names the role for the server.
APP_DATABASE_URL=${APP_DATABASE_URL:-$DATABASE_URL}
export APP_DATABASE_URL

token_note="(from ADMIN_TOKEN)"
if [ -z "${ADMIN_TOKEN:-}" ] && [ -z "${ADMIN_TOKEN_FILE:-}" ]; then
    ADMIN_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    export ADMIN_TOKEN
    token_note=$ADMIN_TOKEN
fi

# The service's secret key: a new one each run, as its PostgreSQL is.
if [ -z "${SECRET_KEY:-}" ] && [ -z "${SECRET_KEY_FILE:-}" ]; then
    SECRET_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    export SECRET_KEY
fi

# The examples' admin token, as the shell should read it.
if [ -n "${ADMIN_TOKEN:-}" ]; then
    admin_set="ADMIN=$(printf %q "$ADMIN_TOKEN")"
else
    admin_set="ADMIN=\$(cat $(printf %q "$ADMIN_TOKEN_FILE"))"
fi
limits_note="production, as nginx/booking.conf and the caps' defaults (LIMITS=off lifts them)"
[ "$LIMITS" = on ] || limits_note="off: no per-client rate limit or cap (LIMITS=off)"

: >"$STACK_DIR/fcgi.log"
stack_fcgi_start
stack_nginx_start "$PORT"
stack_events_start
# --pid: the tail ends with run.sh even if run.sh is SIGKILLed.
tail -n 0 --pid=$$ -f "$STACK_DIR/fcgi.log" >&2 &
TAIL_PID=$!

cat <<INFO

booking service is up: $BASE_URL
  DATABASE_URL=$DATABASE_URL   (owner: migrations)
  APP_DATABASE_URL=$APP_DATABASE_URL   (the services' role)
  admin token: $token_note
  worker log:  $STACK_DIR/fcgi.log (also shown below; booking-events,
               the live seat map's relay, logs there too)
  limits:      $limits_note

Try, in bash (a booking's token comes only in the answer that made it:
keep it, jq reads it here):
  B=$BASE_URL $admin_set
  S=\$(curl -s -X POST \$B/admin/show -H "Authorization: Bearer \$ADMIN" \\
       -H 'Content-Type: application/json' \\
       -d '{"name":"Hamlet","start_time":"$(date -u -d '+30 days' +%Y-%m-%dT18:00:00Z)","total_seats":100}' | jq .show.id)
  R=\$(curl -s -X POST \$B/book -H 'Content-Type: application/json' \\
       -d "{\"show_id\":\$S,\"seat_count\":2,\"hold\":true}"); echo "\$R"
  ID=\$(jq .booking.id <<<"\$R") TOKEN=\$(jq -r .token <<<"\$R")
  curl -sw '\\n' \$B/bookings/\$ID -H "Authorization: Bearer \$TOKEN"
  curl -sw '\\n' -X POST \$B/bookings/\$ID/confirm -H "Authorization: Bearer \$TOKEN"
  curl -sw '\\n' -X POST \$B/bookings/\$ID/cancel -H "Authorization: Bearer \$TOKEN"

Lapsed holds, old FAILED bookings and keys are swept every minute (as
booking-expire.timer does in production); by hand:
  DATABASE_URL=$APP_DATABASE_URL $ROOT/$BUILD/booking-expire

Ctrl-C stops it.
INFO

# Stay in the foreground until a signal, until make is gone, or until a
# server dies, sweeping now and every minute. A signal ends the wait at
# once and runs its trap.
next_sweep=0
while run_parent_alive; do
    if ! kill -0 "$FCGI_PID" 2>/dev/null || ! kill -0 "$NGINX_PID" 2>/dev/null \
       || ! kill -0 "$EVENTS_PID" 2>/dev/null; then
        echo "run: a server exited; stopping" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$next_sweep" ]; then
        run_sweep
        next_sweep=$((SECONDS + 60))
    fi
    sleep 1 &
    SLEEP_PID=$!
    wait "$SLEEP_PID" || true
done
