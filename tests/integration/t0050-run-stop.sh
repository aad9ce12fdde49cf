# make run stops quietly and leaves nothing behind, however it is told
# to: Ctrl-C (SIGINT to its whole process group, as a terminal sends
# it) or SIGTERM to make alone (kill <pid>, or a supervisor). Every
# process of the run goes: make, run.sh, the log's tail, nginx,
# booking-fcgi, a sweep under way and the PostgreSQL cluster it
# started; no "a server exited", no error from make. It runs `make run` from the checkout as a
# person would, on a port and a RUN_DIR of its own (so its own cluster,
# never .local/pg of a make run already going here), then once with the
# test stack's DATABASE_URL: that PostgreSQL is not its to stop.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
san=
[ "$BUILD" = build/sanitize ] && san=SANITIZE=1
# Under /tmp and traversable: as root, the cluster belongs to postgres.
RUN=$(mktemp -d /tmp/booking-t0050.XXXXXX)
chmod 0755 "$RUN"
MAKE_PID= RUN_PIDS=

cleanup() {
    local p
    for p in $MAKE_PID $RUN_PIDS; do kill -KILL "$p" 2>/dev/null; done
    if [ -f "$RUN/pg/postmaster.pid" ]; then
        stack_as_pg "$PG_BIN/pg_ctl" -D "$RUN/pg" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$RUN" "$TMP_T"
}
trap cleanup EXIT

# start_run NAME [UNSET...]: `make run`, without the variables named,
# in a session of its own, so that its process group is make's pid, with
# SIGINT and SIGQUIT as a terminal leaves them (a background job of a
# script ignores them), and without the make test that runs this test in
# its environment, nor its lifted limits (LIMITS=off start_run ... for
# those). Waits until it says it is up; sets MAKE_PID and OUT.
start_run() {
    local name=$1 unset=() v
    shift
    for v in MAKEFLAGS MAKELEVEL MFLAGS NGINX_RATE NGINX_BURST NGINX_CONNS \
             MAX_SEATS_PER_BOOKING MAX_LIVE_HOLDS MAX_HELD_SEATS \
             AUTH_FAIL_BURST AUTH_FAIL_RATE "$@"; do
        unset+=(-u "$v")
    done
    OUT=$TMP_T/$name.out
    env "${unset[@]}" --default-signal=INT,QUIT \
        RUN_DIR="$RUN" PORT="$(stack_free_port)" WORKERS=2 \
        setsid make -C "$ROOT" $san run >"$OUT" 2>&1 </dev/null &
    MAKE_PID=$!
    stack_wait_for 120 run_up
}

# Up, or gone without saying so.
run_up() {
    grep -q '^Ctrl-C stops it' "$OUT" || ! running "$MAKE_PID"
}

# running PID: not gone, nor a zombie waiting for this script.
running() {
    local state
    state=$(ps -o stat= -p "$1") && [ "${state#Z}" = "$state" ]
}

# Every process of the run: make's session (make, run.sh, tail, nginx,
# booking-fcgi and its workers), and the cluster's postmaster, which
# pg_ctl puts in a session of its own, with its children.
run_pids() {
    local pm
    ps -s "$MAKE_PID" -o pid= 2>/dev/null
    if [ -f "$RUN/pg/postmaster.pid" ]; then
        pm=$(head -n 1 "$RUN/pg/postmaster.pid")
        echo "$pm"
        pgrep -P "$pm"
    fi
}

# Those of PIDS... still running, with a last look at the session and
# at anything that names RUN_DIR (nginx -p, postgres -D, tail).
left_of() {
    local p
    for p in "$@"; do
        [ -d "/proc/$p" ] && ps -o pid=,args= -p "$p"
    done
    ps -s "$MAKE_PID" -o pid=,args= 2>/dev/null
    ps -eo pid=,args= | grep -F "$RUN/" | grep -v -e grep -e t0050
}

# guesses BASE: 12 wrong booking tokens at once, as "STATUS:COUNT ...".
guesses() {
    local urls=() i
    for i in $(seq 1 12); do urls+=(-o /dev/null "$1/bookings/1"); done
    curl -s -w '%{http_code}\n' -H "$STRANGER" "${urls[@]}" \
        | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'
}

none_left() { [ -z "$(left_of $RUN_PIDS)" ]; }
make_gone() { ! running "$MAKE_PID"; }

# stop_run HOW SIGNAL TARGET: send it, wait for make, check the ending.
stop_run() {
    local how=$1 sig=$2 target=$3 status left
    RUN_PIDS=$(run_pids | awk '{print $1}' | sort -un | tr '\n' ' ')
    check "$how: the run has processes to stop (${RUN_PIDS% })" test -n "$RUN_PIDS"
    kill "-$sig" -- "$target"
    stack_wait_for 60 make_gone
    wait "$MAKE_PID"
    status=$?
    # make waits for run.sh, then dies of the signal it got (or was
    # passed on): 128 + its number, never make's own error status 2.
    check "$how: make ended by the signal ($status)" \
        test "$status" -eq $((128 + $(kill -l "$sig"))) -o "$status" -eq 0
    check "$how: run.sh said it stopped" grep -q '^run: stopped' "$OUT"
    check "$how: nothing said a server exited" bash -c "! grep -q 'a server exited' '$OUT'"
    check "$how: no error from make or the shell" \
        bash -c "! grep -E 'make: \\*\\*\\*|Error [0-9]|Terminated|Killed|line [0-9]+:' '$OUT'"
    stack_wait_for 5 none_left
    left=$(left_of $RUN_PIDS)
    check "$how: no process of the run is left" eq "$left" ""
    if [ -n "$left" ] || ! grep -q '^run: stopped' "$OUT"; then
        echo "#   its output:"; tail -n 15 "$OUT" | sed 's/^/#   /'
    fi
    MAKE_PID= RUN_PIDS=
}

# 1. Its own cluster, a booking, then Ctrl-C.
start_run ctrl-c DATABASE_URL APP_DATABASE_URL ADMIN_TOKEN
check "ctrl-c: make run came up" grep -q '^booking service is up' "$OUT"
base=$(sed -n 's/^booking service is up: //p' "$OUT")
token=$(sed -n 's/^  admin token: //p' "$OUT")
show=$(BASE_URL=$base ADMIN_TOKEN=$token make_show 10 "Run stop")
BASE_URL=$base post_json /book "{\"show_id\":${show:-0},\"seat_count\":2}"
check "ctrl-c: a booking through its nginx, with the printed token" eq "$STATUS" 201
check "ctrl-c: it says it keeps the production limits" grep -q '^  limits: *production' "$OUT"
# The examples, run as printed: a hold, read, confirmed and cancelled
# with the token its answer gave.
sed -n '/^Try, in bash/,/^$/ s/^  //p' "$OUT" >"$TMP_T/try.sh"
try=$(bash "$TMP_T/try.sh" 2>&1)
check "ctrl-c: its examples work as printed: a hold, read, confirmed, cancelled" \
    eq "$(jq -r '.message // .booking.status' <<<"$try" 2>/dev/null | tr '\n' ' ')" \
    "Booking PENDING PENDING Booking CONFIRMED Booking CANCELLED "
swept() { grep -q '^booking-expire: expired [0-9]* holds' "$OUT"; }
stack_wait_for 10 swept
check "ctrl-c: it sweeps (the first at once): booking-expire's line in its log" swept
BASE_URL=$base post_json /book "{\"show_id\":${show:-0},\"seat_count\":11}"
check "ctrl-c: the anonymous caps hold (11 seats at once: seat_limit)" eq "$STATUS/$(jget .error)" 409/seat_limit
check "ctrl-c: and nginx's limits (writes at 100/s)" \
    grep -q 'zone=booking_writes:10m rate=100r/s;' "$RUN/run/nginx/conf/booking.conf"
check "ctrl-c: and the workers' budget of failed authentications (12 wrong tokens: 10 404s, then 429s)" \
    eq "$(guesses "$base")" "404:10 429:2 "
stop_run ctrl-c INT "-$MAKE_PID"
check "ctrl-c: its cluster is stopped" test ! -f "$RUN/pg/postmaster.pid"

# 2. The same cluster again, LIMITS=off, then SIGTERM to make alone.
LIMITS=off start_run sigterm DATABASE_URL APP_DATABASE_URL ADMIN_TOKEN
check "sigterm: make run came up again on its cluster" grep -q '^booking service is up' "$OUT"
base=$(sed -n 's/^booking service is up: //p' "$OUT")
token=$(sed -n 's/^  admin token: //p' "$OUT")
show=$(BASE_URL=$base ADMIN_TOKEN=$token make_show 100 "Run stop, LIMITS=off")
BASE_URL=$base post_json /book "{\"show_id\":${show:-0},\"seat_count\":11}"
check "sigterm: LIMITS=off lifts the caps (11 seats at once: 201)" eq "$STATUS" 201
check "sigterm: and nginx's limits" eq \
    "$(grep -c 'rate=100000r/s;' "$RUN/run/nginx/conf/booking.conf")/$(grep -c 'rate=[0-9]*r/s;' "$RUN/run/nginx/conf/booking.conf")" 4/4
check "sigterm: and the budget of failed authentications (12 wrong tokens: 12 404s)" \
    eq "$(guesses "$base")" "404:12 "
check "sigterm: and says so" grep -q '^  limits: *off' "$OUT"
stop_run sigterm TERM "$MAKE_PID"
check "sigterm: its cluster is stopped" test ! -f "$RUN/pg/postmaster.pid"

# 3. The test stack's database: Ctrl-C leaves that PostgreSQL running.
start_run given-db
check "given DATABASE_URL: make run came up" grep -q '^booking service is up' "$OUT"
stop_run "given DATABASE_URL" INT "-$MAKE_PID"
check "given DATABASE_URL: that PostgreSQL still answers" eq "$(sql 'SELECT 1')" 1
