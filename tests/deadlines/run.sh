#!/usr/bin/env bash
# make test-deadlines: every request answered within its deadline, and
# labelled with what is known, whatever PostgreSQL does (README, "One
# deadline per request", "A server that takes writes"; issue 15).
#
# The real stack (PostgreSQL, booking-fcgi with REQUEST_DEADLINE_MS=2000,
# nginx on loopback) under the fault suite's load (tests/faults/loadgen:
# half the writes with an Idempotency-Key, the other bookings made as a
# channel, each for a customer of its own, so that each write can be
# looked up), one fault per scenario:
#   freeze-15, freeze-35  PostgreSQL stopped (SIGSTOP of the postmaster
#                         and its children) 15 s, then 35 s
#   lock                  LOCK TABLE bookings IN EXCLUSIVE MODE held 33 s
#   read-only             default_transaction_read_only on, the app's
#                         sessions terminated, 8 s, then off again
#   max-conn              the app's role limited to one connection fewer
#                         than the workers, 10 s
#   socket                the workers' unix socket path deleted
#   netcut                the suite's cluster started again in a network
#                         namespace of its own, reached over a veth pair
#                         (10.123.x.y/30, chosen by the pid, the host's
#                         end in the root namespace); nft in that
#                         namespace drops the packets both ways 20 s,
#                         then, 10 s later, only PostgreSQL's replies
#                         20 s; the cluster is moved back to 127.0.0.1
#                         afterwards. Needs root (ip netns, nft)
#   standby               a streaming standby (pg_basebackup -R) on a
#                         second port, both in the workers' DATABASE_URL;
#                         the primary stopped (-m immediate), the standby
#                         promoted 3 s later
# then, once the load has ended and the database has settled, checks:
#   late         answers slower than the deadline plus MARGIN (1000 ms),
#                504s and requests without an answer: 0. The margin is
#                what the worker's clock does not see: the load
#                generator's clock starts at its connect(), before
#                nginx's $msec that the deadline counts from, and stops
#                when nginx has passed the answer on; on two shared cores
#                a runnable process may wait its turn for a few hundred ms;
#   mislabelled  writes answered 503 with anything but outcome_unknown
#                ("nothing was done") that the database shows were done:
#                the key stored, a booking for the customer, the booking
#                CONFIRMED or CANCELLED: 0;
#   lost         acknowledged bookings missing or contradicted, over
#                every load so far (tests/faults/lib.sh): 0;
#   oversold     shows with more seats taken than they have: 0;
#   no answer but 2xx, 409 and 503 (none of 500, 502, 504), no 500 in
#   the worker log; recovery-ms, from the end of the fault (the thaw, the
#   lock's release, the server writable, the deletion, the promotion) to
#   the first 201 the load got, within 5 s (the socket: 10 s).
# And of each scenario its own: lock, the 99th percentile within the
# deadline itself (and 50 ms: a request that runs into its deadline is
# answered at it, and 1-2 % do behind the lock, so the client sees the
# deadline plus nginx's and its own few ms); read-only, every write answered 503 while it lasts;
# max-conn, no failed request while three workers of four have a
# connection, and /health saying "degraded".
# It prints one row per scenario, then "deadlines: N run, late L,
# mislabelled M, lost X", and exits non-zero on any violation, keeping
# the logs.
#
# Settings (environment): BUILD (build/release), WORKERS (4),
# DEADLINE_CLIENTS (40), DEADLINE_MS (2000), DEADLINE_MARGIN_MS (1000),
# DEADLINES (a comma list of scenarios, default all: freeze-15,freeze-35,
# lock,read-only,max-conn,socket,netcut,standby; "freeze" names both
# freezes; standby last, as it moves the database to another cluster),
# DEADLINE_KEEP=1 (keep the logs even on success).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build/release}
LOADGEN=${LOADGEN:-$BUILD/tests/loadgen}
STACK_DIR="$ROOT/.local/deadlines.$$"
# A unix socket path must fit in 108 bytes: a deep checkout runs in /tmp.
[ ${#STACK_DIR} -le 80 ] || STACK_DIR=$(mktemp -d /tmp/booking-deadlines.XXXXXX)
CLIENTS=${DEADLINE_CLIENTS:-40}
DEADLINE=${DEADLINE_MS:-2000}
MARGIN=${DEADLINE_MARGIN_MS:-1000}
P99_SLACK=50
DEADLINES=${DEADLINES:-freeze-15,freeze-35,lock,read-only,max-conn,socket,netcut,standby}

export BUILD STACK_DIR
export ADMIN_TOKEN="deadlines-admin-token-$(date +%s)-$$"
export WORKERS=${WORKERS:-4}
export REQUEST_DEADLINE_MS=$DEADLINE
export HOLD_TTL_SECONDS=${HOLD_TTL_SECONDS:-5}
source scripts/stack.sh
# The whole load comes from 127.0.0.1: no per-client limit.
stack_limits_off
mkdir -p "$STACK_DIR"
ERRLOG="$STACK_DIR/nginx/logs/error.log"
FCGILOG="$STACK_DIR/fcgi.log"

runs=0
violations=0
finished=0
late_all=0
mislabelled_all=0
LOAD_PID=
LOCKER_PID=
FROZEN=
PG_DIRS=()
NC_NS=
NC_IF=

cleanup() {
    [ -z "$FROZEN" ] || kill -CONT $FROZEN 2>/dev/null
    [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
    [ -n "$LOCKER_PID" ] && kill "$LOCKER_PID" 2>/dev/null
    stack_nginx_stop
    stack_fcgi_stop
    local d
    for d in "${PG_DIRS[@]}"; do
        [ -f "$d/postmaster.pid" ] && stack_as_pg "$PG_BIN/pg_ctl" -D "$d" -m immediate \
            -w stop >/dev/null 2>&1
    done
    netcut_down
    if [ "$finished" -eq 1 ] && [ "$violations" -eq 0 ] && [ -z "${DEADLINE_KEEP:-}" ]; then
        rm -rf "$STACK_DIR"
        for d in "${PG_DIRS[@]}"; do rm -rf "$d"; done
    elif [ "$finished" -eq 0 ]; then
        echo "deadlines: logs kept in $STACK_DIR" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The load, the checks of what it was told (lost, oversold), sql, note.
source "$ROOT/tests/faults/lib.sh"

now_ms() { date +%s%3N; }
# info TEXT: a figure of the current scenario, printed under its row.
info() { NOTES+="  - $NAME: $*"$'\n'; }

# begin NAME: marks the logs, so that the checks see this scenario's lines.
begin() {
    NAME=$1
    NOTES=
    FAULT_END=
    RECOVERY_MAX_MS=5000
    ERR_MARK=$(lines "$ERRLOG")
    FCGI_MARK=$(lines "$FCGILOG")
    SHOWS=$(make_shows "$NAME")
    case ",$SHOWS," in
    *,null,*|*,,*) note "its shows could not be made (the service is down?): $SHOWS" ;;
    esac
}

# load SECONDS: this scenario's load in the background, its bookings
# without a key made as the channel, each for a customer of its own.
load() {
    load_start "$NAME" "$CLIENTS" "$1" "$SHOWS" -k "$CHANNEL"
}

# durations: each answer's time in ms, ascending.
durations() { awk '{print $8 - $7}' "$LOAD_OUT" | sort -n; }
# percentile P: the P-th percentile of the answer times (nearest rank).
percentile() {
    durations | awk -v p="$1" '{d[NR] = $1}
        END {if (NR == 0) {print 0; exit} r = int((p * NR + 99) / 100); print d[r < 1 ? 1 : r]}'
}

# late: answers slower than the deadline and the margin, 504s, and
# requests that got no answer at all.
late() {
    awk -v max=$((DEADLINE + MARGIN)) '$4 == 0 || $4 == 504 || $8 - $7 > max' "$LOAD_OUT"
}

# mislabelled LOG: the writes of LOG answered 503 and "nothing was
# done" (any error but outcome_unknown) that the database shows were
# done, one line each: why, op, id, tag. A key is stored in the
# transaction of its write; an anonymous client's is "k2:" and the
# SHA-256 of "key\naddr 127.0.0.1\nKEY\n" (fcgi/idempotency.c; the
# integration tests' stored_key). A booking without a key names its
# customer. Each hold and booking is confirmed or cancelled at most once
# by the load, so a confirm or cancel that was done shows in the
# booking's status.
mislabelled() {
    awk '$1 != "get" && $4 == 503 && $6 != "outcome_unknown" {
            print $1 "," $3 "," ($9 == "k" ? "t" : "f") "," $10 }' "$1" \
        >"$STACK_DIR/told.csv"
    sql -c "CREATE TEMP TABLE told (op text, id bigint, keyed boolean, tag text)" \
        -c "\\copy told FROM '$STACK_DIR/told.csv' CSV" \
        -c "SELECT DISTINCT ON (tag) why, op, id, tag FROM (
                SELECT 'key stored' AS why, t.* FROM told t
                  JOIN idempotency_keys k ON k.key = 'k2:' || encode(sha256(convert_to(
                       E'key\\naddr 127.0.0.1\\n' || t.tag || E'\\n', 'UTF8')), 'hex')
                 WHERE t.keyed AND t.op IN ('book', 'hold')
                UNION ALL
                SELECT 'booked as ' || b.id || ' ' || b.status, t.* FROM told t
                  JOIN bookings b ON b.customer_ref = t.tag
                 WHERE NOT t.keyed AND t.op IN ('book', 'hold')
                UNION ALL
                SELECT 'now ' || b.status, t.* FROM told t JOIN bookings b USING (id)
                 WHERE (t.op = 'confirm' AND b.status = 'CONFIRMED')
                    OR (t.op = 'cancel' AND b.status = 'CANCELLED')) x
             ORDER BY tag"
}

# canaries: writes of this scenario that were done (a keyed and an
# unkeyed booking and hold, a confirm not cancelled since, a cancel), as
# if answered 503
# database_unavailable: mislabelled must find each of them, or it checks
# nothing.
canaries() {
    awk 'NR == FNR {if ($1 == "cancel") cancelled[$3] = 1; next}
        $4 == 201 && !seen[$1 $9]++ \
        || $1 == "confirm" && $4 == 200 && !($3 in cancelled) && !seen[$1]++ \
        || $1 == "cancel" && $4 == 200 && !seen[$1]++ {
            $4 = 503; $6 = "database_unavailable"; print }' "$LOAD_OUT" "$LOAD_OUT"
}

# recovery: ms from FAULT_END (ms) to the end of the first 201 after it,
# or "none"; for the socket, to the end of nginx's last 503 after it.
recovery() {
    if [ "$NAME" = socket ]; then
        awk -v t0="$FAULT_END" '$4 == 503 && $6 == "service_unavailable" && $8 >= t0 && $8 > m {m = $8}
            END {if (m == "") m = t0; print m - t0}' "$LOAD_OUT"
        return
    fi
    awk -v t0="$FAULT_END" '$4 == 201 && $8 >= t0 && (m == "" || $8 < m) {m = $8}
        END {print m == "" ? "none" : m - t0}' "$LOAD_OUT"
}

row() { printf '%-10s %6s %5s %-34s %6s %6s %4s %6s %4s %8s %8s\n' "$@"; }

# finish: check what the load saw and what the database holds, print
# the scenario's row and its notes.
finish() {
    local f=$LOAD_OUT n ok p99 max nlate nmis ncan found other n500 san rec
    sleep 2     # what a thawed server still had is committed or rolled back
    n=$(lines "$f")
    ok=$(awk '$4 >= 200 && $4 < 300' "$f" | wc -l)
    p99=$(percentile 99)
    max=$(percentile 100)
    late >"$STACK_DIR/late.$NAME"
    nlate=$(lines "$STACK_DIR/late.$NAME")
    mislabelled "$LOAD_OUT" >"$STACK_DIR/mislabelled.$NAME"
    nmis=$(lines "$STACK_DIR/mislabelled.$NAME")
    canaries >"$STACK_DIR/canaries.$NAME"
    ncan=$(lines "$STACK_DIR/canaries.$NAME")
    found=$(mislabelled "$STACK_DIR/canaries.$NAME" | wc -l)
    other=$(awk '$4 != 0 && $4 != 504 && ($4 < 200 || $4 >= 300) && $4 != 409 && $4 != 503' "$f" | wc -l)
    n500=$(new_lines "$FCGILOG" "$FCGI_MARK" '^booking-fcgi: [A-Z]+ [^ ]+ 500 ')
    san=$(new_lines "$FCGILOG" "$FCGI_MARK" 'AddressSanitizer|LeakSanitizer|runtime error:')
    rec=$(recovery)
    check_acks
    check_shows

    [ "$n" -gt 0 ] || note "the load made no request"
    [ "$ok" -gt 0 ] || note "no request succeeded"
    [ "$nlate" -eq 0 ] || note "$nlate answers late, 504 or missing (op status error ms): $(
        awk '{print $1, $4, $6, $8 - $7}' "$STACK_DIR/late.$NAME" | sort -k4 -n -r | head -3 | paste -sd';' -)"
    [ "$nmis" -eq 0 ] || note "$nmis writes answered \"nothing was done\" were done (why|op|id|tag): $(
        head -3 "$STACK_DIR/mislabelled.$NAME" | paste -sd' ' -)"
    [ "$found" -eq "$ncan" ] && [ "$ncan" -ge 4 ] \
        || note "the check of labels found $found of $ncan writes known to be done"
    [ "$other" -eq 0 ] || note "$other answers other than 2xx/409/503: $(
        awk '$4 != 0 && $4 != 504 && ($4 < 200 || $4 >= 300) && $4 != 409 && $4 != 503 {print $1, $4, $6}' "$f" \
        | sort | uniq -c | head -5 | paste -sd';' -)"
    [ "$n500" -eq 0 ] || note "the worker log has $n500 requests answered 500"
    [ "$san" -eq 0 ] || note "the worker log has $san sanitizer report lines"
    [ "$LOST" -eq 0 ] || note "$LOST of $ACKED acknowledged bookings lost or contradicted" \
        "(id|allowed|now): $(head -3 "$STACK_DIR/lost.$NAME" | paste -sd' ' -)"
    [ "$OVERSOLD" -eq 0 ] || note "$OVERSOLD shows oversold"
    [ "$SKEWED" -eq 0 ] || note "$SKEWED shows whose booked_seats differ from their live" \
        "bookings (id|total|booked|live): $(awk -F'|' '$3 != $4' "$STACK_DIR/shows.$NAME" | head -3 | paste -sd' ' -)"
    if [ "$rec" = none ] || [ "$rec" -gt "$RECOVERY_MAX_MS" ]; then
        if [ "$NAME" = socket ]; then
            note "nginx answered 503 until $rec ms after the deletion (at most $RECOVERY_MAX_MS)"
        else
            note "no 201 within $RECOVERY_MAX_MS ms of the fault's end (first after: $rec ms)"
        fi
    fi
    runs=$((runs + 1))
    late_all=$((late_all + nlate))
    mislabelled_all=$((mislabelled_all + nmis))
    row "$NAME" "$n" "$ok" "$(by_status "$LOAD_OUT")" "$p99" "$max" "$nlate" "$nmis" \
        "$LOST" "$OVERSOLD" "$rec"
    printf '%s' "$NOTES"
}

# --- PostgreSQL frozen -------------------------------------------------

pg_freeze() {
    local pid
    pid=$(head -n 1 "$PG_DIR/postmaster.pid")
    FROZEN="$pid $(pgrep -P "$pid" | paste -sd' ' -)"
    kill -STOP $FROZEN
}
pg_thaw() {
    kill -CONT $FROZEN
    FROZEN=
}

# freeze SECONDS: the postmaster and every backend stopped that long.
scenario_freeze() {
    begin "freeze-$1"
    load $(($1 + 9))
    sleep 3
    pg_freeze
    sleep "$1"
    pg_thaw
    FAULT_END=$(now_ms)
    load_wait
    finish
}

# --- A lock held on bookings --------------------------------------------

scenario_lock() {
    local p99
    begin lock
    load 41
    sleep 3
    psql -X -q "$DATABASE_URL" -c "BEGIN; LOCK TABLE bookings IN EXCLUSIVE MODE;
                                   SELECT pg_sleep(33); COMMIT;" >/dev/null 2>&1 &
    LOCKER_PID=$!
    wait "$LOCKER_PID" || note "the locking session failed"
    LOCKER_PID=
    FAULT_END=$(now_ms)
    load_wait
    # A request that runs into its deadline is answered at it by the
    # worker's clock; nginx and the load generator add a few ms.
    p99=$(percentile 99)
    [ "$p99" -le $((DEADLINE + P99_SLACK)) ] \
        || note "the 99th percentile, $p99 ms, is above the deadline ($DEADLINE ms + $P99_SLACK)"
    finish
}

# --- Read-only, and back -----------------------------------------------

scenario_read_only() {
    local from bad
    begin read-only
    load 17
    sleep 3
    sql -c "ALTER SYSTEM SET default_transaction_read_only = on" \
        -c "SELECT pg_reload_conf()" >/dev/null || note "could not make the server read-only"
    sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE usename = 'booking_app'" >/dev/null
    from=$(now_ms)
    sleep 8
    sql -c "ALTER SYSTEM RESET default_transaction_read_only" \
        -c "SELECT pg_reload_conf()" >/dev/null || note "could not make the server writable"
    FAULT_END=$(now_ms)
    load_wait
    # writes sent a second after the switch, answered before its end
    bad=$(awk -v a=$((from + 1000)) -v b="$FAULT_END" \
        '$1 != "get" && $7 >= a && $8 <= b && $4 != 503 {print $1, $4, $6}' "$LOAD_OUT")
    [ -z "$bad" ] || note "writes answered other than 503 while read-only: $(
        echo "$bad" | sort | uniq -c | head -5 | paste -sd';' -)"
    info "writes while read-only: $(awk -v a=$((from + 1000)) -v b="$FAULT_END" \
        '$1 != "get" && $7 >= a && $8 <= b {print $4 "/" $6}' "$LOAD_OUT" | sort | uniq -c \
        | awk '{print $2 ":" $1}' | paste -sd' ' -)"
    finish
}

# --- One connection slot fewer than the workers --------------------------

# Each worker holds one connection: with WORKERS - 1 slots for the app's
# role, one worker is always without. The pool should route around it:
# no request fails while the others are connected, and /health says
# "degraded".
scenario_max_conn() {
    local from until n failed probes degraded
    begin max-conn
    sql -c "ALTER ROLE booking_app CONNECTION LIMIT $((WORKERS - 1))" >/dev/null
    load 16
    sleep 2
    sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE usename = 'booking_app'" >/dev/null
    from=$(now_ms)
    : >"$STACK_DIR/health.$NAME"
    for _ in $(seq 1 20); do
        curl -s --max-time 3 -w ' %{http_code}\n' "$BASE_URL/health" >>"$STACK_DIR/health.$NAME"
        sleep 0.5
    done
    sql -c "ALTER ROLE booking_app CONNECTION LIMIT -1" >/dev/null
    FAULT_END=$(now_ms)
    until=$FAULT_END
    load_wait
    # a second for the reconnections after the terminations
    n=$(awk -v a=$((from + 1000)) -v b="$until" '$7 >= a && $8 <= b' "$LOAD_OUT" | wc -l)
    failed=$(awk -v a=$((from + 1000)) -v b="$until" '$7 >= a && $8 <= b && ($4 >= 500 || $4 == 0)' \
        "$LOAD_OUT" | wc -l)
    # the probes of that same first second (one each 0.5 s) not judged
    probes=$(tail -n +3 "$STACK_DIR/health.$NAME" | wc -l)
    degraded=$(tail -n +3 "$STACK_DIR/health.$NAME" | grep -c degraded)
    info "$WORKERS workers, $((WORKERS - 1)) slots: $failed of $n requests failed" \
        "($(awk -v f="$failed" -v n="$n" 'BEGIN {printf "%.1f", n ? 100 * f / n : 0}') %);" \
        "/health: $degraded of $probes probes degraded ($(awk '{print $NF}' \
        "$STACK_DIR/health.$NAME" | sort | uniq -c | awk '{print $2 ":" $1}' | paste -sd' ' -))"
    [ "$failed" -eq 0 ] || note "$failed of $n requests failed while $((WORKERS - 1)) workers could serve"
    [ "$degraded" -eq "$probes" ] || note "/health said degraded $degraded times of $probes"
    finish
}

# --- The socket path deleted ---------------------------------------------

# nginx keeps its connections to the workers open, so a deleted path
# shows only when it must connect again: when it reloads (logrotate
# does, daily), or when a kept connection has served keepalive_requests
# or idled keepalive_timeout. It is reloaded 2 s after the deletion. The
# master should notice, then bind again or exit non-zero; an exit is
# met as systemd's Restart=on-failure (RestartSec=1s) would. Recovery is
# the end of the last 503 from nginx after the deletion (0: none); the
# load goes on 14 s after it, so that an outage longer than 10 s shows.
scenario_socket() {
    local rc code back= t0
    begin socket
    RECOVERY_MAX_MS=10000
    load 17
    sleep 3
    rm -f "$STACK_DIR/fcgi.sock"
    FAULT_END=$(now_ms)
    sleep 2
    kill -HUP "$NGINX_PID"
    t0=$(now_ms)
    for _ in $(seq 1 60); do
        if ! kill -0 "$FCGI_PID" 2>/dev/null; then
            wait "$FCGI_PID"
            rc=$?
            info "the master exited $rc; started again a second later, as systemd would"
            sleep 1
            stack_fcgi_start || break
        fi
        code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$BASE_URL/health")
        [ "$code" = 200 ] && { back=$(( $(now_ms) - t0 )); break; }
        sleep 0.2
    done
    info "/health 200 again ${back:-(never, in 12 s)} ms after nginx's reload"
    load_wait
    if [ -z "$back" ]; then
        info "booking-fcgi restarted so that the next scenarios can run"
        stack_fcgi_stop
        stack_fcgi_start || { note "the server did not start again"; finish; exit 1; }
    fi
    finish
}

# --- The network to PostgreSQL cut -----------------------------------------

# netcut_addrs: sets NC_HOST and NC_DB, the two ends of a /30 in
# 10.123.0.0/16 chosen by the pid, so that two runs at once do not
# collide; fails if this host already reaches NC_DB on a link of its
# own (anything but through a gateway).
netcut_addrs() {
    local n=$(($$ % 16384)) r
    NC_HOST=10.123.$((n / 64)).$((n % 64 * 4 + 1))
    NC_DB=10.123.$((n / 64)).$((n % 64 * 4 + 2))
    r=$(ip -4 route get "$NC_DB" 2>/dev/null)
    case $r in
    ""|*" via "*) return 0 ;;
    *) echo "deadlines: $NC_DB is already routed here: $r" >&2; return 1 ;;
    esac
}

# netcut_up: the namespace NC_NS, its veth pair (NC_IF on this side,
# NC_HOST; eth0 inside, NC_DB) and an nft table there whose chains
# netcut_cut fills. Only this namespace's firewall is ever changed.
netcut_up() {
    netcut_addrs || return 1
    NC_NS=booking-netcut-$$
    ip netns add "$NC_NS" || { NC_NS=; return 1; }
    NC_IF=bknc$$
    ip link add "$NC_IF" type veth peer name eth0 netns "$NC_NS" || { NC_IF=; return 1; }
    ip addr add "$NC_HOST/30" dev "$NC_IF" && ip link set "$NC_IF" up \
        && ip -n "$NC_NS" addr add "$NC_DB/30" dev eth0 \
        && ip -n "$NC_NS" link set eth0 up && ip -n "$NC_NS" link set lo up \
        && ip netns exec "$NC_NS" nft -f - <<NFT
table inet netcut {
    chain in { type filter hook input priority 0; policy accept; }
    chain out { type filter hook output priority 0; policy accept; }
}
NFT
}

# netcut_cut both|replies|none: drop every packet between the workers
# and PostgreSQL, only PostgreSQL's (the replies), or none; one nft
# transaction each.
netcut_cut() {
    local rules="flush chain inet netcut in
flush chain inet netcut out"
    case $1 in
    both)    rules+=$'\n'"add rule inet netcut in ip saddr $NC_HOST drop" ;&
    replies) rules+=$'\n'"add rule inet netcut out ip daddr $NC_HOST drop" ;;
    esac
    ip netns exec "$NC_NS" nft -f - <<<"$rules"
}

# netcut_down: the namespace deleted, and with it the veth pair, once
# whatever still runs in it (the cluster, if its stop failed) is killed.
netcut_down() {
    local pid
    if [ -n "$NC_NS" ]; then
        for pid in $(ip netns pids "$NC_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$NC_NS" 2>/dev/null
        NC_NS=
    fi
    [ -z "$NC_IF" ] || ip link del "$NC_IF" 2>/dev/null
    NC_IF=
}

# netcut_move netns|back: the workers stopped, the suite's cluster
# stopped and started again listening on NC_DB inside NC_NS (or on
# 127.0.0.1, back), the same port and data, so that the checks see
# every load so far; then the workers started against it.
netcut_move() {
    local port
    port=$(pg_port)
    stack_fcgi_stop
    pg_ctl_as -D "$PG_DIR" -m fast -w stop >/dev/null || return 1
    if [ "$1" = back ]; then
        stack_pg_start "$PG_DIR" "$port" || return 1
    else
        grep -qF "$NC_HOST/32" "$PG_DIR/pg_hba.conf" \
            || echo "host all all $NC_HOST/32 trust" >>"$PG_DIR/pg_hba.conf"
        ip netns exec "$NC_NS" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR" \
            -l "$PG_DIR/server.log" -w -t 30 \
            -o "-c listen_addresses=$NC_DB -c port=$port -c unix_socket_directories=''" \
            start >/dev/null || { tail -20 "$PG_DIR/server.log" >&2; return 1; }
        DATABASE_URL="postgresql://booking@$NC_DB:$port/booking"
        APP_DATABASE_URL="postgresql://booking_app@$NC_DB:$port/booking"
        export DATABASE_URL APP_DATABASE_URL
    fi
    stack_fcgi_start
}

# window A B: the requests sent in [A, B) ms: how many, by status (and
# error), and the longest answer.
window() {
    awk -v a="$1" -v b="$2" '$7 >= a && $7 < b {
            n++; s[$4 ($4 == 503 ? "/" $6 : "")]++; if ($8 - $7 > m) m = $8 - $7 }
        END {printf "%d requests, longest %d ms (", n, m
             for (k in s) printf "%s%s:%d", (sep++ ? " " : ""), k, s[k]; printf ")"}' "$LOAD_OUT"
}

# The network between the workers and PostgreSQL cut: both ways 20 s,
# then 10 s later only the replies 20 s, so that the server commits
# what the workers never hear of. TCP keepalives and tcp_user_timeout
# (20 s) would notice a dead peer late; the deadline must answer first.
# Recovery is counted from each restoration; the workers must come back
# without a restart (the same pids).
scenario_netcut() {
    local cut1 end1 cut2 rec1 pids
    NAME=netcut
    NOTES=
    if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null; then
        note "needs root and nft (scripts/deps.sh installs nftables), for ip netns and nft"
        printf '%s' "$NOTES"
        return
    fi
    if ! { netcut_up && netcut_move netns; }; then
        note "the namespace, or the cluster or workers in it, could not be set up"
        printf '%s' "$NOTES"
        exit 1
    fi
    begin netcut
    pids=$(pgrep -P "$FCGI_PID" | sort | paste -sd' ' -)
    load 62
    sleep 3
    cut1=$(now_ms)
    netcut_cut both || note "nft could not cut both ways"
    sleep 20
    netcut_cut none || note "nft could not restore the network"
    end1=$(now_ms)
    sleep 10
    cut2=$(now_ms)
    netcut_cut replies || note "nft could not drop the replies"
    sleep 20
    netcut_cut none || note "nft could not restore the network"
    FAULT_END=$(now_ms)
    load_wait
    info "both ways cut, $((end1 - cut1)) ms: $(window "$cut1" "$end1")"
    info "replies dropped, $((FAULT_END - cut2)) ms: $(window "$cut2" "$FAULT_END")"
    rec1=$(FAULT_END=$end1 recovery)
    info "first 201 $rec1 ms after the first cut's end; workers $(
        [ "$(pgrep -P "$FCGI_PID" | sort | paste -sd' ' -)" = "$pids" ] \
        && echo "the same ($pids)" || echo "not the same: $pids before, $(
        pgrep -P "$FCGI_PID" | sort | paste -sd' ' -) after")"
    if [ "$rec1" = none ] || [ "$rec1" -gt "$RECOVERY_MAX_MS" ]; then
        note "no 201 within $RECOVERY_MAX_MS ms of the first cut's end (first after: $rec1 ms)"
    fi
    finish
    NOTES=
    if ! { netcut_move back && netcut_down; }; then
        note "the cluster or the workers did not come back to 127.0.0.1"
        printf '%s' "$NOTES"
        exit 1
    fi
}

# --- A standby promoted ---------------------------------------------------

streaming() {
    [ "$(sql -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ]
}

# standby_make DIR PORT: a streaming standby of the running cluster,
# started on PORT; the primary then waits for it at each commit.
standby_make() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
    chmod 700 "$dir"
    PG_DIRS+=("$dir")
    stack_as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$(pg_port)" -U booking \
        -D "$dir" -R -X stream -c fast >"$STACK_DIR/basebackup.log" 2>&1 \
        || { cat "$STACK_DIR/basebackup.log" >&2; return 1; }
    stack_as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=''" \
        start >/dev/null || { tail -20 "$dir/server.log" >&2; return 1; }
    stack_wait_for 10 streaming || return 1
    # Synchronous: a commit is acknowledged once the standby has it, so
    # that every booking acknowledged before the primary dies is on it.
    sql -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
}

# The primary stopped at once under load, the standby promoted 3 s
# later; the workers, with both hosts in their URL, must find it.
scenario_standby() {
    local sdir sport old stopped
    begin standby
    sdir=$(stack_pg_dir "$STACK_DIR/pg-standby")
    sport=$(stack_free_port)
    if ! standby_make "$sdir" "$sport"; then
        note "the standby could not be made"
        printf '%s' "$NOTES"
        return
    fi
    stack_fcgi_stop
    APP_DATABASE_URL="postgresql://booking_app@127.0.0.1:$(pg_port),127.0.0.1:$sport/booking"
    stack_fcgi_start || { note "the server did not start on both hosts"; printf '%s' "$NOTES"; return; }
    load 17
    sleep 4
    old=$PG_DIR
    stopped=$(now_ms)
    pg_ctl_as -D "$old" -m immediate -w stop >/dev/null || note "the primary did not stop"
    sleep 3
    FAULT_END=$(now_ms)
    pg_ctl_as -D "$sdir" -w -t 30 promote >/dev/null || note "the standby was not promoted"
    info "primary stopped at +0 ms, standby promoted at +$((FAULT_END - stopped)) ms"
    # from here on the checks ask the new primary
    PG_DIR=$sdir
    DATABASE_URL="postgresql://booking@127.0.0.1:$sport/booking"
    load_wait
    finish
}

[ -x "$LOADGEN" ] || { echo "deadlines: $LOADGEN not built (make test-deadlines builds it)" >&2; exit 2; }
started=$(now_ns)
PORT=$(stack_free_port)
if ! { stack_pg_start "$(stack_pg_dir "$STACK_DIR/pg")" "$(stack_free_port)" \
       && PG_DIRS+=("$PG_DIR") && scripts/migrate.sh >/dev/null && stack_fcgi_start \
       && stack_nginx_start "$PORT"; }; then
    echo "deadlines: the stack did not start" >&2
    violations=1
    exit 1
fi
export DATABASE_URL
CHANNEL=$(curl -s -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/admin/keys" \
    -d '{"name":"deadlines load"}' | jq -r .secret)
[ -n "$CHANNEL" ] && [ "$CHANNEL" != null ] \
    || { echo "deadlines: could not make the load's channel" >&2; violations=1; exit 1; }
echo "deadlines: $WORKERS workers, $CLIENTS clients, deadline $DEADLINE ms," \
    "late above $((DEADLINE + MARGIN)) ms; logs in $STACK_DIR"
row scenario reqs 2xx errors-by-status p99-ms max-ms late mislab lost oversold recov-ms
for s in ${DEADLINES//,/ }; do
    [ "$s" = freeze ] && s="freeze-15 freeze-35"
    for s in $s; do
    case $s in
    freeze-15)  scenario_freeze 15 ;;
    freeze-35)  scenario_freeze 35 ;;
    lock)       scenario_lock ;;
    read-only)  scenario_read_only ;;
    max-conn)   scenario_max_conn ;;
    socket)     scenario_socket ;;
    netcut)     scenario_netcut ;;
    standby)    scenario_standby ;;
    *)          echo "deadlines: unknown scenario $s" >&2; violations=$((violations + 1)) ;;
    esac
    done
done

lost=$(cut -d'|' -f1 "$STACK_DIR/lost.all" 2>/dev/null | sort -u | wc -l)
echo "$(( ($(now_ns) - started) / 1000000000 )) s, $violations violations$(
    [ "$violations" -eq 0 ] || echo ", logs kept in $STACK_DIR")"
finished=1
echo "deadlines: $runs run, late $late_all, mislabelled $mislabelled_all, lost $lost"
[ "$violations" -eq 0 ]
