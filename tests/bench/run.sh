#!/usr/bin/env bash
# make bench: the real stack (throwaway PostgreSQL with fsync and
# synchronous_commit on, booking-fcgi, nginx on loopback), loaded with
# shows, then each scenario warmed up and measured with wrk (pgbench for
# the ceiling), and one table printed and written to RESULTS.
#
# Every scenario reports the machine's CPU per request over its measured
# window and where it went: nginx, booking-fcgi, PostgreSQL, the load
# generator, the rest (tests/bench/cpu.sh). Each booking scenario also
# reports the deadlocks PostgreSQL detected while it ran, warm-up
# included (see "Deadlocks" below). The seated on-sale is in
# tests/bench/seated.sh, the mixed scenario in tests/bench/mixed.sh.
#
# A benchmark prints figures; it does not fail on them (its targets say
# MET or MISS). It exits non-zero only when the run broke, or when a
# booking scenario left the database wrong: a show oversold,
# booked_seats not the sum of its live bookings, fewer bookings recorded
# than the client saw acknowledged, or for a seated show a seat sold
# twice, counts that differ from the seats assigned, or a refusal that
# the seats left free contradict (tests/bench/seated_check.sql).
#
# BENCH_SECONDS (10) per scenario after BENCH_WARMUP (2) uncounted ones.
# BENCH_ONLY: the scenarios to run, by name (default all; the table and
# the targets then show only those), for a short look while developing:
#   BENCH_SECONDS=3 BENCH_WARMUP=1 BENCH_ONLY="hot hot-seated" make bench
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build/release}
SECS=${BENCH_SECONDS:-10}
WARM=${BENCH_WARMUP:-2}
CONNS=64
RESULTS=tests/bench/results/latest.txt
STACK_DIR="$ROOT/.local/bench/$$"
# A unix socket path must fit in 108 bytes: a deep checkout runs in /tmp.
[ ${#STACK_DIR} -le 80 ] || STACK_DIR=$(mktemp -d /tmp/booking-bench.XXXXXX)
export BUILD STACK_DIR
source scripts/stack.sh
# Every wrk connection comes from 127.0.0.1: lift every per-client limit
# (LIMITS=off), or the benchmark would measure the 429s and the caps'
# refusals, not bookings.
stack_limits_off

for tool in wrk pgbench psql nginx cc; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 2; }
done
[ -x "$BUILD/booking-fcgi" ] || { echo "bench: no $BUILD/booking-fcgi; make all" >&2; exit 2; }

broken=0 INVARIANTS=   # an invariant failed: exit 1 after the table
BG_PIDS=()              # the load generators running now
cleanup() {
    local rc=$?
    [ "${#BG_PIDS[@]}" -eq 0 ] || kill "${BG_PIDS[@]}" 2>/dev/null || true
    stack_stop
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 130 ]; then   # done, or Ctrl-C
        rm -rf "$STACK_DIR" "${PG_DIR:-}"
    else
        echo "bench: logs kept in $STACK_DIR" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$STACK_DIR" "$(dirname "$RESULTS")"
say() { echo "bench: $*" >&2; }
# Run a load generator in the background and wait for it: wrk stops and
# exits 0 on SIGINT, and bash then skips its own INT trap, so Ctrl-C
# would only end the current scenario. An interrupted wait runs the trap.
run_bg() { "$@" & BG_PIDS=($!); wait "${BG_PIDS[0]}"; }
sql() { psql -X -q -tA -F' ' -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"; }
# want NAME: NAME is one of the scenarios to run (BENCH_ONLY)
want() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

# --- PostgreSQL: durability stays on, whatever the cluster's defaults --
# The services and pgbench reach it by its unix socket, as on a box
# office's single host (README, "PostgreSQL on the same host"); the
# owner's psql by TCP.
STACK_PG_SOCKET=1 stack_pg_start "$(stack_pg_dir "$STACK_DIR/pg")" "$(stack_free_port)"
scripts/migrate.sh >/dev/null
pg_settings=$(sql "SELECT string_agg(name || '=' || current_setting(name), ' '
                   ORDER BY name) FROM pg_settings WHERE name IN ('fsync',
                   'synchronous_commit', 'shared_buffers', 'max_connections',
                   'commit_delay', 'wal_level')")
pg_version=$(sql "SHOW server_version")
[ "$(sql 'SHOW fsync')" = on ] && [ "$(sql 'SHOW synchronous_commit')" = on ] \
    || { say "fsync and synchronous_commit must be on: $pg_settings"; exit 2; }
say "postgres $pg_version: $pg_settings"

# --- Data, in SQL (seconds, not minutes of POST /admin/show) -----------
# Every show starts next year. Booking scenarios and the ceiling get
# shows of their own, big enough not to sell out in the run: spread at
# 2000/s for 10 s is 20 000 of 500 000 seats.
# Each show's seats are split into its parts as POST /admin/show does.
sql "WITH s AS (
     INSERT INTO shows (name, start_time, total_seats)
     SELECT 'bench ' || kind || ' ' || g,
            date_trunc('year', now()) + interval '1 year' + (o + g) * interval '1 hour',
            seats
       FROM (VALUES ('spread', 0, 1000, 500), ('hot', 2000, 1, 200000),
                    ('hot-holds', 3000, 1, 200000), ('ceiling-spread', 4000, 1000, 500),
                    ('ceiling-hot', 6000, 1, 200000), ('holds-spread', 7000, 1000, 500),
                    ('floor-sql', 9000, 1000, 1999), ('floor-plpgsql', 10000, 1000, 1999))
            AS k (kind, o, n, seats),
            generate_series(1, n) AS g
      ORDER BY o, g
      RETURNING id, total_seats)
     SELECT count(show_parts_create(id, total_seats)) FROM s; ANALYZE" >/dev/null
# first id of each kind; the Lua and pgbench scripts need them consecutive
declare -A FIRST
while read -r kind first n; do
    [ $(( n )) -eq 1 ] || [ $(( n )) -eq 1000 ] || { say "bad ids for $kind"; exit 2; }
    FIRST[$kind]=$first
done < <(sql "SELECT split_part(name, ' ', 2), min(id),
                     CASE WHEN max(id) - min(id) + 1 = count(*) THEN count(*) END
                FROM shows GROUP BY 1")
[ "${#FIRST[@]}" -eq 8 ] || { say "data load failed"; exit 2; }

# floor-plpgsql's function, in a schema of the bench's own (this
# database is thrown away with the run): the floor's statement in one
# small PL/pgSQL function that reads the show, takes the seat from its
# part, inserts the booking and returns its row, as book_seats() does
# without the locked transaction's other steps.
sql "CREATE SCHEMA bench;
     GRANT USAGE ON SCHEMA bench TO booking_app;
     CREATE FUNCTION bench.floor_book(p_show bigint, p_token_hash bytea)
     RETURNS booking_row LANGUAGE plpgsql AS \$\$
     DECLARE
         v_start timestamptz;
         b       bookings;
     BEGIN
         SELECT start_time INTO v_start FROM shows WHERE id = p_show;
         UPDATE show_parts SET booked = booked + 1
          WHERE show_id = p_show AND part = 0;
         INSERT INTO bookings (show_id, seat_count, status, parts,
                               part_seats, token_hash)
         VALUES (p_show, 1, 'CONFIRMED', '{0}', '{1}', p_token_hash)
         RETURNING * INTO b;
         RETURN booking_view('ok', b);
     END
     \$\$" >/dev/null

# --- The ceiling's SQL: the worker's own statement, not a copy ---------
# A program linked with the worker's own database layer prints a
# statement by name exactly as booking-fcgi prepares it (the compiler
# joins the macros' string pieces; a sed over C source would have to
# redo that), from every statement array that fcgi/db_exec.h declares.
sets=$(sed -n 's/^extern const struct db_stmt \(db_stmts_[a-z_]*\)\[\];$/\1/p' fcgi/db_exec.h | paste -sd, -)
[ -n "$sets" ] || { say "no statement arrays declared in fcgi/db_exec.h"; exit 2; }
printf '#include <stdio.h>\n#include <string.h>\n#include "db_exec.h"\n%s\n' \
    "int main(int c, char **v) { const struct db_stmt *const sets[] = { $sets }, *s; size_t i;
     for (i = 0; c > 1 && i < sizeof(sets) / sizeof(sets[0]); i++)
         for (s = sets[i]; s->name != NULL; s++)
             if (strcmp(s->name, v[1]) == 0) { fputs(s->sql, stdout); return 0; }
     return 1; }" \
    | cc -w -Ifcgi $(pkg-config --cflags libpq json-c fcgi) -o "$STACK_DIR/booking-sql" -x c - -x none \
         "$BUILD/libbooking.a" $(pkg-config --libs fcgi libpq json-c libsystemd)
stmt=$("$STACK_DIR/booking-sql" booking_create)
[ "$(grep -o '\$[0-9]*' <<<"$stmt" | sort -u | tr '\n' ' ')" \
  = "$(seq 1 22 | sed 's/^/$/' | sort -u | tr '\n' ' ')" ] \
    || { say "booking statement no longer takes \$1..\$22: $stmt"; exit 2; }
# bound as db_booking_run() binds a POST /book of 1 seat without a key,
# from an anonymous client with LIMITS=off: no key ($1-$4), the show and
# 1 seat, no hold, a new token's hash (random, as a real one is), no
# sealed token, not the admin, the client and customer, no caps, no
# channel, the extend settings, no legacy body (g: $3 is used twice),
# no seats chosen, no best available, no standing places (a show sold
# by count)
STMT=$(sed -e 's/\$1::/NULL::/g; s/\$2::/NULL::/g; s/\$3::/NULL::/g; s/\$4::/NULL::/g' \
           -e 's/\$5::/:show::/g; s/\$6::/1::/g; s/\$7::/NULL::/g' \
           -e "s/\\\$8::bytea/sha256(random()::text::bytea)/g; s/\\\$9::/NULL::/g" \
           -e "s/\\\$10::/'f'::/g; s/\\\$11::/'addr 127.0.0.1'::/g; s/\\\$12::/'addr 127.0.0.1'::/g" \
           -e 's/\$13::/NULL::/g; s/\$14::/NULL::/g; s/\$15::/NULL::/g; s/\$16::/NULL::/g' \
           -e 's/\$17::/900::/g; s/\$18::/5::/g; s/\$19::/NULL::/g' \
           -e 's/\$20::/NULL::/g; s/\$21::/NULL::/g; s/\$22::/NULL::/g' <<<"$stmt") \
    awk '$0 == "BOOKING_CREATE;" { print ENVIRON["STMT"] ";"; next } { print }' \
    tests/bench/ceiling.sql >"$STACK_DIR/ceiling.sql"
# The list's ceiling: the first-page statement as GET /shows?limit=1000
# binds it (one row more than asked tells whether there is a next page).
stmt=$("$STACK_DIR/booking-sql" show_list_first)
[ "$(grep -o '\$[0-9]*' <<<"$stmt" | sort -u | tr '\n' ' ')" = '$1 ' ] \
    || { say "first-page statement no longer takes only \$1: $stmt"; exit 2; }
printf -- '-- GET /shows?limit=1000 as the database sees it (see run.sh)\n%s;\n' \
    "$(sed 's/\$1::/1001::/g' <<<"$stmt")" >"$STACK_DIR/ceiling-list.sql"

# --- The service ------------------------------------------------------
# booking-fcgi refuses to start without an admin token; nothing uses it.
ADMIN_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ADMIN_TOKEN
: >"$STACK_DIR/fcgi.log"
stack_fcgi_start
stack_nginx_start "$(stack_free_port)"

declare -A RPS P50 P99 NON ERR NOTE DL DL_LOG
source tests/bench/cpu.sh
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# wrk_parse FILE: "req/s p50_ms p99_ms requests non2xx socket_errors"
wrk_parse() {
    awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                          if (v ~ /m$/) return v * 60000; return v * 1000 }
         / requests in / { req = $1 }
         /^Requests\/sec:/ { rps = $2 }
         /^ +50% / { p50 = ms($2) }
         /^ +99% / { p99 = ms($2) }
         /Non-2xx or 3xx responses:/ { non = $NF }
         /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
         END { if (rps == "" || p99 == "") exit 1
               printf "%s %.2f %.2f %d %d %d\n", rps, p50, p99, req, non, err }' "$1"
}

# sweep: what booking-expire's timer does every minute in production,
# here before each scenario's warm-up: the holds earlier scenarios left
# to lapse are released, as the timer would have released them by then.
# Without it they pile up (some 40 000 by the last scenarios), which no
# box office with the timer sees, and every page of shows sums them all
# (README, "Benchmark"); run during a scenario instead, a sweep would be
# charged to that scenario's CPU per request.
sweep() {
    DATABASE_URL=$APP_DATABASE_URL "$BUILD/booking-expire" >>"$STACK_DIR/expire.log" 2>&1 \
        || { say "booking-expire failed: $(tail -n 3 "$STACK_DIR/expire.log")"; exit 2; }
}

# bench_wrk NAME PATH [SCRIPT]: warm up (with WARM_ENV, "VAR=value ...",
# added to the environment), then measure; fills the row, its CPU and
# ACKED (2xx answers seen). Mark the bookings first: MARK is the last id.
bench_wrk() {
    local name=$1 path=$2 script=${3:-} req
    local args=(-t2 -c"$CONNS" --latency ${script:+-s "$script"})
    sweep
    # shellcheck disable=SC2086 # WARM_ENV is words
    run_bg env ${WARM_ENV:-} wrk "${args[@]}" -d"${WARM}s" "$BASE_URL$path" >/dev/null
    MARK=$(sql "SELECT coalesce(max(id), 0) FROM bookings")
    cpu_window_begin
    run_bg wrk "${args[@]}" -d"${SECS}s" "$BASE_URL$path" >"$STACK_DIR/$name.wrk"
    cpu_window_end "$name"
    read -r RPS[$name] P50[$name] P99[$name] req NON[$name] ERR[$name] \
        < <(wrk_parse "$STACK_DIR/$name.wrk") || { say "$name: no figures from wrk"; exit 2; }
    cpu_per_request "$name" "$req"
    ACKED=$(( req - ${NON[$name]} ))
    say "$name: ${RPS[$name]} req/s, p99 ${P99[$name]} ms, non-2xx ${NON[$name]}"
}

# bench_pgbench NAME SCRIPT [FIRST COUNT]: a ceiling, 64 clients like
# wrk (PGBENCH_CLIENTS: other than 64); p50/p99 from pgbench's
# per-transaction log. Fills the row and ACKED.
bench_pgbench() {
    local name=$1 out="$STACK_DIR/$1.pgbench" log="$STACK_DIR/$1.log"
    local clients=${PGBENCH_CLIENTS:-$CONNS}
    local args=(-n -M prepared -c "$clients" -j 2 -f "$2"
                ${3:+-D first="$3" -D count="$4"})
    sweep
    run_bg pgbench "${args[@]}" -T "$WARM" "$APP_DATABASE_URL" >"$out" 2>&1 \
        || { cat "$out" >&2; exit 2; }
    MARK=$(sql "SELECT coalesce(max(id), 0) FROM bookings")
    cpu_window_begin
    run_bg pgbench "${args[@]}" -T "$SECS" --log --log-prefix="$log" "$APP_DATABASE_URL" >"$out" 2>&1 \
        || { cat "$out" >&2; exit 2; }
    cpu_window_end "$name" reap
    RPS[$name]=$(awk '/^tps = / { printf "%.2f", $3 }' "$out")
    ACKED=$(awk '/actually processed:/ { print $NF }' "$out")
    cpu_per_request "$name" "$ACKED"
    ERR[$name]=$(awk '/failed transactions:/ { f = $5 } END { print f + 0 }' "$out")
    read -r P50[$name] P99[$name] < <(cat "$log".* | awk '{ print $3 }' | sort -n \
        | awk '{ v[NR] = $1 } END { printf "%.2f %.2f\n", v[int(NR * .50 + .5)] / 1000,
                                    v[int(NR * .99 + .5)] / 1000 }')
    NOTE[$name]="pgbench, $clients clients"
    say "$name: ${RPS[$name]} tps, p99 ${P99[$name]} ms"
}

# check NAME FIRST N [CONFIRMS]: after a booking scenario, no show
# oversold, every show's booked_seats the sum of its CONFIRMED and
# PENDING bookings, and at least ACKED bookings (CONFIRMS confirmed)
# recorded on FIRST..FIRST+N-1 since MARK. Sets NON for the ceiling.
check() {
    local name=$1 first=$2 last=$(( $2 + $3 - 1 )) confirms=${4:-0} bad=
    local oversold mismatched all live confirmed failed
    read -r oversold mismatched < <(sql "
        SELECT count(*) FILTER (WHERE s.booked_seats > s.total_seats),
               count(*) FILTER (WHERE s.booked_seats <> coalesce(b.seats, 0))
          FROM shows_counted s LEFT JOIN (SELECT show_id, sum(seat_count) AS seats
                                    FROM bookings WHERE status IN ('CONFIRMED', 'PENDING')
                                   GROUP BY show_id) b ON b.show_id = s.id")
    read -r all live confirmed failed < <(sql "
        SELECT count(*), count(*) FILTER (WHERE status IN ('CONFIRMED', 'PENDING')),
               count(*) FILTER (WHERE status = 'CONFIRMED'), count(*) FILTER (WHERE status = 'FAILED')
          FROM bookings WHERE id > $MARK AND show_id BETWEEN $first AND $last")
    [ "$oversold" -eq 0 ] || bad+=" $oversold shows oversold;"
    [ "$mismatched" -eq 0 ] || bad+=" $mismatched shows' booked_seats differ from their bookings;"
    case $name in
        ceiling-*|floor-*) NON[$name]=$failed; [ "$all" -ge "$ACKED" ] || bad+=" $ACKED acknowledged, $all recorded;";;
        *) [ "$live" -ge "$ACKED" ] || bad+=" $ACKED acknowledged, $live recorded;";;
    esac
    [ "$confirmed" -ge "$confirms" ] || bad+=" $confirms confirms acknowledged, $confirmed recorded;"
    check_result "$name" "$bad" "$live live bookings, $failed failed"
}

# check_result NAME BAD WHAT: say how NAME's invariants came out (BAD
# lists what failed, empty when none did; WHAT is said when all held);
# a failure fails the run once the table is printed.
check_result() {
    if [ -z "$2" ]; then
        say "$1: invariants: ok ($3)"
        CHECKED+=("$1")
    else
        say "$1: invariants: FAILED:$2"
        INVARIANTS+=" $1:$2"
        broken=1
    fi
}
CHECKED=()

# --- Deadlocks -------------------------------------------------------
# Counted two ways over each booking scenario, from before its warm-up
# (dl_start) until every backend that ran it has reported (dl_settle):
#  - DL, pg_stat_database.deadlocks: every deadlock detected, even one
#    that a function caught. A backend adds its counts there only when
#    it goes idle at least a second after it last did, else within
#    PGSTAT_IDLE_INTERVAL (10 s) of its last statement. The workers'
#    backends stay connected, so a wrk scenario's figure is read 11 s
#    after it ended (dl_ended), meanwhile running only scenarios that
#    cannot deadlock (reads); pgbench's backends report as they exit,
#    so a ceiling's figure is read as soon as they are gone.
#  - DL_LOG, "deadlock detected" lines in the server log over the same
#    time: a backend writes the line before its client hears of the
#    error, so this count never lags; a deadlock caught inside a
#    function is not logged.
# So the two differ only for a caught deadlock or a figure read early.
PG_LOG=$PG_DIR/server.log
[ -r "$PG_LOG" ] || { say "cannot read PostgreSQL's log $PG_LOG"; exit 2; }
pg_deadlocks() {
    sql "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
}
dl_start() {
    DL_FROM=$(pg_deadlocks) DL_LOG_FROM=$(stat -c %s "$PG_LOG")
}
dl_ended() {
    DL_ENDED=$(date +%s%N)
}
# dl_settle NAME: wait for the reports (see above), then read both.
dl_settle() {
    local left_ms=$(( (DL_ENDED - $(date +%s%N)) / 1000000 + 11000 )) i to
    case $1 in ceiling-*) left_ms=0;; esac
    for i in $(seq 1 100); do
        [ "$(sql "SELECT count(*) FROM pg_stat_activity
                   WHERE application_name = 'pgbench'")" -eq 0 ] && break
        sleep 0.1
    done
    [ "$left_ms" -le 0 ] || sleep "$(awk -v m="$left_ms" 'BEGIN { print m / 1000 }')"
    DL[$1]=$(( $(pg_deadlocks) - DL_FROM ))
    to=$(stat -c %s "$PG_LOG")
    DL_LOG[$1]=$(tail -c +$(( DL_LOG_FROM + 1 )) "$PG_LOG" | head -c $(( to - DL_LOG_FROM )) \
        | grep -c 'ERROR: *deadlock detected' || true)
    say "$1: deadlocks: ${DL[$1]} (pg_stat_database), ${DL_LOG[$1]} (server log)"
}

source tests/bench/seated.sh
source tests/bench/mixed.sh

started=$(date +%s)
S=${FIRST[spread]}
if want spread; then
    dl_start
    SHOW_FIRST=$S SHOW_COUNT=1000 bench_wrk spread /book tests/bench/random_show.lua
    check spread "$S" 1000
    dl_ended
    dl_settle spread
fi
if want hot; then
    dl_start
    SHOW_FIRST=${FIRST[hot]} SHOW_COUNT=1 bench_wrk hot /book tests/bench/random_show.lua
    check hot "${FIRST[hot]}" 1
    dl_ended
    dl_settle hot
fi
if want hot-holds; then
    dl_start
    SHOW_ID=${FIRST[hot-holds]} bench_wrk hot-holds /book tests/bench/hold_confirm.lua
    read -r holds confirms pairs < <(awk '/^bench: holds/ { print $3, $5, $7 }' "$STACK_DIR/hot-holds.wrk")
    NOTE[hot-holds]="$pairs pairs/s"
    ACKED=$holds check hot-holds "${FIRST[hot-holds]}" 1 "$confirms"
    dl_ended
fi
# reads only, while hot-holds' figure settles
if want list; then bench_wrk list '/shows?limit=1000'; fi
if want show; then
    SHOW_FIRST=$S SHOW_COUNT=1000 BENCH_OP=show bench_wrk show / tests/bench/random_show.lua
fi
if want hot-holds; then dl_settle hot-holds; fi

# Holds on spread shows, anonymous (no caps, LIMITS=off), then by one
# channel with caps on its holds that this load never reaches (64
# connections hold at most 64 at once): what counting a busy channel's
# holds exactly costs (sql/functions/45_limits.sql).
# bench_holds NAME [AUTH]
bench_holds() {
    local H=${FIRST[holds-spread]} holds confirms pairs
    dl_start
    SHOW_FIRST=$H SHOW_COUNT=1000 BENCH_AUTH=${2:-} \
        bench_wrk "$1" /book tests/bench/hold_confirm.lua
    read -r holds confirms pairs < <(awk '/^bench: holds/ { print $3, $5, $7 }' "$STACK_DIR/$1.wrk")
    NOTE[$1]="$pairs pairs/s${3:+, $3}"
    ACKED=$holds check "$1" "$H" 1000 "$confirms"
    dl_ended
    dl_settle "$1"
}
if want holds-spread; then bench_holds holds-spread; fi
if want channel-holds; then
    channel_key=$(curl -s -X POST "$BASE_URL/admin/keys" -H "Authorization: Bearer $ADMIN_TOKEN" \
        -H 'Content-Type: application/json' \
        -d '{"name":"bench","limits":{"max_live_holds":1000,"max_held_seats":10000}}' \
        | sed -n 's/.*"secret":"\(key_[A-Za-z0-9_-]*\)".*/\1/p')
    [ -n "$channel_key" ] || { say "POST /admin/keys gave no key"; exit 2; }
    bench_holds channel-holds "Bearer $channel_key" "a channel, caps 1000/10000"
fi

# The seated on-sale, each on a hall of its own; both warm up on a third.
# All three are made, then analyzed, before any load (seated_analyze).
if want hot-seated || want hot-seated-pick; then
    seated_warm=$(seated_show_create seated-warm-up)
    seated_best=$(seated_show_create hot-seated)
    seated_pick=$(seated_show_create hot-seated-pick)
    seated_analyze
    if want hot-seated; then bench_seated hot-seated best "$seated_best" "$seated_warm"; fi
    if want hot-seated-pick; then
        bench_seated hot-seated-pick pick "$seated_pick" "$seated_warm"
    fi
fi
if want mixed; then bench_mixed; fi

# After the wrk runs: what the workers grew to (VmRSS, kB).
read -r nworkers rss_min rss_max < <(for p in $(pgrep -P "$FCGI_PID"); do
        awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"; done \
    | sort -n | awk '{ v[NR] = $1 } END { print NR, v[1], v[NR] }')

if want ceiling-spread; then
    dl_start
    bench_pgbench ceiling-spread "$STACK_DIR/ceiling.sql" "${FIRST[ceiling-spread]}" 1000
    check ceiling-spread "${FIRST[ceiling-spread]}" 1000
    dl_ended
    dl_settle ceiling-spread
fi
if want ceiling-hot; then
    dl_start
    bench_pgbench ceiling-hot "$STACK_DIR/ceiling.sql" "${FIRST[ceiling-hot]}" 1
    check ceiling-hot "${FIRST[ceiling-hot]}" 1
    dl_ended
    dl_settle ceiling-hot
fi
# The floors under a booking (README, "What bounds a booking"), on
# shows of their own, from as many clients as the service has backends
# (one a worker), so that their pg column compares with spread's.
for floor in floor-sql floor-plpgsql; do
    if want "$floor"; then
        PGBENCH_CLIENTS=$nworkers bench_pgbench "$floor" "tests/bench/$floor.sql" \
            "${FIRST[$floor]}" 1000
        check "$floor" "${FIRST[$floor]}" 1000
        NOTE[$floor]+="; a bound under spread's pg, not the service"
    fi
done
if want ceiling-list; then
    bench_pgbench ceiling-list "$STACK_DIR/ceiling-list.sql"
    NON[ceiling-list]=0     # a read: nothing to fail but errors
fi
[ -z "${RPS[list]:-}" ] || [ -z "${RPS[ceiling-list]:-}" ] \
    || NOTE[list]="$(ratio "${RPS[list]}" "${RPS[ceiling-list]}") of ceiling-list"
ran=$(( $(date +%s) - started ))
# before tee truncates the results file, which would make the tree dirty
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)

# --- The table ---------------------------------------------------------
source tests/bench/table.sh
bench_table | tee "$RESULTS"
exit "$broken"
