#!/usr/bin/env bash
# make test-faults: the real stack (PostgreSQL, booking-fcgi, nginx on
# loopback) under a booking load, with one fault injected per scenario.
#
# Each scenario runs tests/faults/loadgen (hundreds of clients booking,
# holding, confirming and cancelling on a few shows, some of which sell
# out), injects its fault, waits for the load to end, then checks:
#   - every acknowledged booking is in the database with the status it
#     was acknowledged with, or one a later request of its client may
#     have moved it to (lost = 0; checked over every scenario so far);
#   - no show has more seats taken than it has (oversold = 0), and every
#     show's booked_seats equals the seats of its CONFIRMED and PENDING
#     bookings;
#   - the only errors are 409, 429 and 503: no 500 (also none in the
#     worker log), no unanswered request, no 504, and a 502 only for a
#     request in flight on a worker that was killed; no write that
#     carried an Idempotency-Key ends in 503 outcome_unknown;
#   - the service answers GET /health with 200 within 5 s of the fault.
# It prints one row per scenario, then "faults: N run, oversold X, lost Y",
# and exits non-zero on any violation, keeping the logs.
#
# recovery-ms is measured from the fault (the kill, the start of the
# PostgreSQL restart, the terminations, SIGTERM to the master) to the
# first 200 from /health; for the storm, it is the answer time of a
# /health sent in its middle.
#
# Settings (environment): BUILD (build/release), WORKERS (4),
# FAULT_CLIENTS (200), FAULT_STORM (1000), FAULT_SECONDS (10, load per
# scenario), FAULT_BACKLOG (200000 lapsed holds), FAULTS (a comma list of
# scenarios to run, default all: kill,pg-restart,terminate,
# expire,drain,storm), FAULT_KEEP=1 (keep the logs even on success).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build/release}
LOADGEN=${LOADGEN:-$BUILD/tests/loadgen}
STACK_DIR="$ROOT/.local/faults.$$"
# A unix socket path must fit in 108 bytes: a deep checkout runs in /tmp.
[ ${#STACK_DIR} -le 80 ] || STACK_DIR=$(mktemp -d /tmp/booking-faults.XXXXXX)
CLIENTS=${FAULT_CLIENTS:-200}
STORM=${FAULT_STORM:-1000}
SECONDS_LOAD=${FAULT_SECONDS:-10}
BACKLOG=${FAULT_BACKLOG:-200000}
FAULTS=${FAULTS:-kill,pg-restart,terminate,expire,drain,storm}
RECOVERY_MAX_MS=5000

export BUILD STACK_DIR
export ADMIN_TOKEN="faults-admin-token-$(date +%s)-$$"
export WORKERS=${WORKERS:-4}
# Holds that the load abandons lapse during the run, so bookings release
# them lazily beside the sweeper.
export HOLD_TTL_SECONDS=${HOLD_TTL_SECONDS:-5}
source scripts/stack.sh
# The whole load comes from 127.0.0.1: lift every per-client limit.
stack_limits_off
mkdir -p "$STACK_DIR"
ERRLOG="$STACK_DIR/nginx/logs/error.log"
FCGILOG="$STACK_DIR/fcgi.log"

runs=0
violations=0
finished=0
LOAD_PID=
EXPIRE_PID=

cleanup() {
    [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
    [ -n "$EXPIRE_PID" ] && kill -KILL "$EXPIRE_PID" 2>/dev/null
    stack_stop
    if [ "$finished" -eq 1 ] && [ "$violations" -eq 0 ] && [ -z "${FAULT_KEEP:-}" ]; then
        rm -rf "$STACK_DIR"
        [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
    elif [ "$finished" -eq 0 ]; then
        echo "faults: logs kept in $STACK_DIR" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The helpers and the checks this suite shares with make test-deadlines.
source "$ROOT/tests/faults/lib.sh"

# begin NAME: marks the logs, so that the checks see this scenario's lines.
begin() {
    NAME=$1
    NOTES=
    RECOVERY=0
    KILLS=0
    INFLIGHT=0      # FastCGI connections the killed workers held
    KILL_TIMES=
    ERR_MARK=$(lines "$ERRLOG")
    FCGI_MARK=$(lines "$FCGILOG")
    SHOWS=$(make_shows "$NAME")
}

row() { printf '%-14s %8s %7s %-30s %8s %4s %11s\n' "$@"; }

# unexpected LOG: answers that are neither 2xx nor an allowed error.
unexpected() {
    awk '$4 >= 300 && $4 != 409 && $4 != 429 && $4 != 503 && $4 != 502 && $4 != 0' "$1"
}

# finish: check what the load saw and what the database holds, print
# the scenario's row. 502s are allowed up to INFLIGHT (nginx may have a
# request in flight on each connection a killed worker held); in the drain, only for requests nginx could not
# hand to any worker (its "connect() ... failed" lines).
finish() {
    local f=$LOAD_OUT n ok errs n502 n500 n0 cut conn other stray san unknown
    n=$(lines "$f")
    ok=$(awk '$4 >= 200 && $4 < 300' "$f" | wc -l)
    errs=$(awk '$4 < 200 || $4 >= 300 {printf "%03d\n", $4}' "$f" | sort | uniq -c \
        | awk '{print $2 ":" $1}' | paste -sd, -)
    n502=$(awk '$4 == 502' "$f" | wc -l)
    n0=$(awk '$4 == 0' "$f" | wc -l)
    other=$(unexpected "$f" | wc -l)
    n500=$(new_lines "$FCGILOG" "$FCGI_MARK" '^booking-fcgi: [A-Z]+ [^ ]+ 500 ')
    san=$(new_lines "$FCGILOG" "$FCGI_MARK" 'AddressSanitizer|LeakSanitizer|runtime error:')
    # README: with an Idempotency-Key a write is re-sent, never left unknown
    unknown=$(awk '$6 == "outcome_unknown" && $9 == "k"' "$f" | wc -l)
    # a 502 must have been in flight while a worker was being killed
    # (KILL_TIMES: "stopped:killed" in ms, see stack_kill_worker)
    stray=$(awk -v kills="$KILL_TIMES" 'BEGIN {n = split(kills, k, " ")
            for (i = 1; i <= n; i++) { split(k[i], t, ":"); from[i] = t[1]; to[i] = t[2] } }
        $4 == 502 {hit = 0; for (i = 1; i <= n; i++) if ($7 <= to[i] + 5 && $8 >= from[i]) hit = 1; c += !hit}
        END {print c + 0}' "$f")
    cut=$(new_lines "$ERRLOG" "$ERR_MARK" 'prematurely closed|reset by peer|broken pipe|Broken pipe')
    conn=$(new_lines "$ERRLOG" "$ERR_MARK" 'connect\(\) to .* failed')
    check_acks
    check_shows

    [ "$n" -gt 0 ] || note "the load made no request"
    [ "$ok" -gt 0 ] || note "no request succeeded"
    [ "$n0" -eq 0 ] || note "$n0 requests got no HTTP answer ($(
        awk '$4 == 0 {print $6}' "$f" | sort | uniq -c | paste -sd' ' -))"
    [ "$other" -eq 0 ] || note "$other answers other than 2xx/409/429/502/503: $(
        unexpected "$f" | awk '{print $1, $4, $6}' | sort | uniq -c | head -5 | paste -sd';' -)"
    [ "$n500" -eq 0 ] || note "the worker log has $n500 requests answered 500"
    [ "$san" -eq 0 ] || note "the worker log has $san sanitizer report lines"
    [ "$unknown" -eq 0 ] || note "$unknown writes with an Idempotency-Key were answered outcome_unknown"
    if [ "$NAME" = drain ]; then
        [ "$cut" -eq 0 ] || note "nginx cut $cut requests a worker held"
        [ "$n502" -le "$conn" ] || note "$n502 502s, but nginx failed to connect only $conn times"
    else
        [ "$n502" -le "$INFLIGHT" ] || note "$n502 502s for $KILLS killed workers holding $INFLIGHT connections"
        [ "$stray" -eq 0 ] || note "$stray 502s for requests not in flight when a worker was killed"
        [ "$cut" -le "$INFLIGHT" ] || note "nginx saw $cut cut requests for $KILLS killed workers holding $INFLIGHT connections"
        [ "$conn" -eq 0 ] || note "nginx could not connect to the workers $conn times"
    fi
    [ "$LOST" -eq 0 ] || note "$LOST of $ACKED acknowledged bookings lost or contradicted" \
        "(id|allowed|now): $(head -3 "$STACK_DIR/lost.$NAME" | paste -sd' ' -)"
    [ "$OVERSOLD" -eq 0 ] || note "$OVERSOLD shows oversold"
    [ "$SKEWED" -eq 0 ] || note "$SKEWED shows whose booked_seats differ from their live" \
        "bookings (id|total|booked|live): $(awk -F'|' '$3 != $4' "$STACK_DIR/shows.$NAME" | head -3 | paste -sd' ' -)"
    if [ "$RECOVERY" = timeout ] || [ "$RECOVERY" -gt "$RECOVERY_MAX_MS" ]; then
        note "the service answered again only after $RECOVERY ms"
    fi
    runs=$((runs + 1))
    row "$NAME" "$n" "$ok" "${errs:--}" "$OVERSOLD" "$LOST" "$RECOVERY"
    printf '%s' "$NOTES"
}

workers() { pgrep -P "$FCGI_PID"; }

# 1. SIGKILL of a worker, five times, a second apart.
scenario_kill() {
    local i victim t0 ms n
    begin kill
    load_start kill "$CLIENTS" "$SECONDS_LOAD" "$SHOWS"
    sleep 2
    for i in 1 2 3 4 5; do
        victim=$(workers | shuf -n 1)
        t0=$(now_ns)
        n=$(stack_kill_worker "$victim") && KILLS=$((KILLS + 1)) \
            && INFLIGHT=$((INFLIGHT + n)) \
            && KILL_TIMES+="$((t0 / 1000000)):$(($(now_ns) / 1000000)) "
        ms=$(recovery_ms "$t0")
        RECOVERY=$(max_ms "$RECOVERY" "$ms")
        grep -q "worker $victim killed by signal 9" "$FCGILOG" \
            || { sleep 0.5; grep -q "worker $victim killed by signal 9" "$FCGILOG"; } \
            || note "the master did not log the death of worker $victim"
        sleep 1
    done
    load_wait
    [ "$(workers | wc -l)" -eq "$WORKERS" ] || note "the pool is not back to $WORKERS workers"
    finish
}

# 2. PostgreSQL restarted under load: with -m fast, then, once the
# service answers again, with -m immediate (a crash, then crash recovery
# on start). Recovery is the longer of the two.
scenario_pg() {
    local mode t0 ms
    begin pg-restart
    load_start pg-restart "$CLIENTS" "$SECONDS_LOAD" "$SHOWS"
    sleep 2
    for mode in fast immediate; do
        t0=$(now_ns)
        pg_ctl_as -D "$PG_DIR" -l "$PG_DIR/server.log" -m "$mode" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$(pg_port) -c unix_socket_directories=''" \
            restart >/dev/null || note "pg_ctl restart -m $mode failed"
        ms=$(recovery_ms "$t0")
        RECOVERY=$(max_ms "$RECOVERY" "$ms")
        sleep 2
    done
    load_wait
    finish
}

# 3. Every session of the booking database terminated by the server,
# three times, two seconds apart.
scenario_terminate() {
    local i t0 n ms
    begin terminate
    load_start terminate "$CLIENTS" "$SECONDS_LOAD" "$SHOWS"
    sleep 2
    for i in 1 2 3; do
        t0=$(now_ns)
        n=$(sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid()
                       AND backend_type = 'client backend'")
        [ "${n:-0}" -ge 1 ] || note "no session to terminate"
        ms=$(recovery_ms "$t0")
        RECOVERY=$(max_ms "$RECOVERY" "$ms")
        sleep 2
    done
    load_wait
    finish
}

# 4. booking-expire SIGKILLed in the middle of sweeping a backlog of
# lapsed holds (inserted directly, their seats added to the counters),
# then run again to completion, all under load.
scenario_expire() {
    local per ids first swept left t0 since out rc
    begin expire
    per=$((BACKLOG / 4))
    ids=$(for i in 1 2 3 4; do make_show $((per + 10000)) "backlog $i"; done | paste -sd, -)
    # no load runs now: the backlog is the ids above this one
    first=$(sql -c "SELECT coalesce(max(id), 0) FROM bookings")
    # spread over each show's parts, and counted into them
    sql -c "INSERT INTO bookings (show_id, seat_count, status, created_at, expires_at,
                                  parts, part_seats)
            SELECT s, 1, 'PENDING', now() - interval '20 minutes',
                   now() - interval '10 minutes' + g * interval '1 ms',
                   ARRAY[(g % show_part_count($((per + 10000))))::smallint], '{1}'
              FROM unnest(ARRAY[$ids]::bigint[]) s, generate_series(1, $per) g" \
        -c "UPDATE show_parts p SET booked = p.booked + x.n
              FROM (SELECT show_id, parts[1] AS part, count(*) AS n FROM bookings
                     WHERE id > $first GROUP BY 1, 2) x
             WHERE p.show_id = x.show_id AND p.part = x.part" \
        -c "ANALYZE bookings" >/dev/null
    backlog_swept() {
        sql -c "SELECT count(*) FROM bookings WHERE id > $first AND id <= $first + $per * 4
                   AND status = 'FAILED' AND reason = 'expired'"
    }
    load_start expire "$CLIENTS" "$SECONDS_LOAD" "$SHOWS,$ids"
    sleep 2
    EXPIRE_BATCH=500 "$BUILD/booking-expire" >"$STACK_DIR/expire.1" 2>&1 &
    EXPIRE_PID=$!
    for _ in $(seq 1 100); do
        [ "$(backlog_swept)" -ge $((per / 2)) ] && break
        sleep 0.1
    done
    t0=$(now_ns)
    kill -KILL "$EXPIRE_PID"
    wait "$EXPIRE_PID" 2>/dev/null
    EXPIRE_PID=
    swept=$(backlog_swept)
    [ "$swept" -gt 0 ] && [ "$swept" -lt $((per * 4)) ] \
        || note "the sweeper was not killed mid-sweep ($swept of $((per * 4)) swept)"
    RECOVERY=$(recovery_ms "$t0")
    check_shows
    [ "$SKEWED" -eq 0 ] && [ "$OVERSOLD" -eq 0 ] \
        || note "after the kill, $SKEWED shows skewed, $OVERSOLD oversold"
    since=$(sql -c "SELECT now()")
    out=$(EXPIRE_BATCH=500 "$BUILD/booking-expire" 2>&1)
    rc=$?
    echo "$out" >"$STACK_DIR/expire.2"
    [ "$rc" -eq 0 ] || note "the second run exited $rc: $out"
    left=$(sql -c "SELECT count(*) FROM bookings WHERE status = 'PENDING'
                     AND expires_at < '$since'::timestamptz")
    [ "$left" -eq 0 ] || note "$left holds lapsed before the second run are still PENDING"
    swept=$(backlog_swept)
    [ "$swept" -eq $((per * 4)) ] || note "only $swept of the $((per * 4)) backlog holds were released"
    load_wait
    finish
}

# 5. SIGTERM to the master under load: in-flight and queued requests are
# answered, it exits 0; a new master is then started.
scenario_drain() {
    local t0 rc
    begin drain
    load_start drain "$CLIENTS" "$SECONDS_LOAD" "$SHOWS"
    sleep 3
    t0=$(now_ns)
    kill -TERM "$FCGI_PID"
    # it kills what is left after DRAIN_SECONDS (10) itself
    for _ in $(seq 1 200); do
        kill -0 "$FCGI_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$FCGI_PID" 2>/dev/null; then
        note "the master did not exit within 20 s of SIGTERM"
        kill -KILL "$FCGI_PID"
    fi
    wait "$FCGI_PID"
    rc=$?
    [ "$rc" -eq 0 ] || note "the master exited $rc"
    [ "$(new_lines "$FCGILOG" "$FCGI_MARK" 'did not stop')" -eq 0 ] \
        || note "a worker had to be killed at the end of the drain"
    [ "$(new_lines "$FCGILOG" "$FCGI_MARK" 'booking-fcgi: stopped')" -eq 1 ] \
        || note "the master did not log its stop"
    if ! stack_fcgi_start; then
        note "the server did not start again: stopping here"
        printf '%s' "$NOTES"
        exit 1
    fi
    RECOVERY=$(recovery_ms "$t0")
    load_wait
    finish
}

# 6. A storm of STORM concurrent connections.
scenario_storm() {
    local t0 code
    begin storm
    load_start storm "$STORM" "$SECONDS_LOAD" "$SHOWS"
    sleep $((SECONDS_LOAD / 2))
    t0=$(now_ns)
    code=$(curl -s -o /dev/null --max-time 15 -w '%{http_code}' "$BASE_URL/health")
    if [ "$code" = 200 ]; then RECOVERY=$((($(now_ns) - t0) / 1000000))
    else RECOVERY=$(recovery_ms "$t0"); fi
    load_wait
    finish
}

[ -x "$LOADGEN" ] || { echo "faults: $LOADGEN not built (make test-faults builds it)" >&2; exit 2; }
started=$(now_ns)
PORT=$(stack_free_port)
if ! { stack_pg_start "$(stack_pg_dir "$STACK_DIR/pg")" "$(stack_free_port)" \
       && scripts/migrate.sh >/dev/null && stack_fcgi_start \
       && stack_nginx_start "$PORT"; }; then
    echo "faults: the stack did not start" >&2
    violations=1
    exit 1
fi
export DATABASE_URL
echo "faults: $WORKERS workers, $CLIENTS clients, ${SECONDS_LOAD}s of load per scenario;" \
    "logs in $STACK_DIR"
row scenario requests ok errors-by-status oversold lost recovery-ms
for f in ${FAULTS//,/ }; do
    case $f in
    kill)         scenario_kill ;;
    pg-restart)   scenario_pg ;;
    terminate)    scenario_terminate ;;
    expire)       scenario_expire ;;
    drain)        scenario_drain ;;
    storm)        scenario_storm ;;
    *)            echo "faults: unknown scenario $f" >&2; violations=$((violations + 1)) ;;
    esac
done

oversold=$(sort -u "$STACK_DIR/oversold.all" 2>/dev/null | wc -l)
lost=$(cut -d'|' -f1 "$STACK_DIR/lost.all" 2>/dev/null | sort -u | wc -l)
echo "$(( ($(now_ns) - started) / 1000000000 )) s, $violations violations$(
    [ "$violations" -eq 0 ] || echo ", logs kept in $STACK_DIR")"
finished=1
echo "faults: $runs run, oversold $oversold, lost $lost"
[ "$violations" -eq 0 ]
