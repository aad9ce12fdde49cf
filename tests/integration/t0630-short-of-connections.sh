# A pool short of database connections routes around its own gap: 4
# workers of this test's own, as a role allowed 3 connections. The one
# without a connection takes no new request while the others have one
# (answering 503 at once, it used to win the race for the socket and
# fail a third of the requests behind a green /health): every request
# answered 200, /health 200 "degraded" with 3 of 4 connected, /metrics
# says so, the master logs the loss once; given a slot, the worker
# connects by itself, /health is "ok" again and the master says so.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

STACK_DIR=$TMP_T/own
mkdir -p "$STACK_DIR"
sql "DROP ROLE IF EXISTS pool_three; CREATE ROLE pool_three LOGIN CONNECTION LIMIT 3;
     GRANT booking_app TO pool_three" >/dev/null
trap 'stack_nginx_stop; stack_fcgi_stop; sql "DROP ROLE IF EXISTS pool_three" >/dev/null; rm -rf "$TMP_T"' EXIT
APP_DATABASE_URL=$(echo "${APP_DATABASE_URL:-$DATABASE_URL}" | sed -E 's|//[^@/]*@|//pool_three@|')
export WORKERS=4
stack_fcgi_start && stack_nginx_start "$(stack_free_port)" \
    || { echo "not ok - 4 workers with 3 connections did not start"; exit 1; }
log=$STACK_DIR/fcgi.log
# logged TEXT: wait up to 5 s for the master to log TEXT.
logged() {
    for _ in $(seq 1 50); do
        grep -q "$1" "$log" && return
        sleep 0.1
    done
}
logged 'has no database connection'
check "the master logs the worker without a connection" \
    eq "$(grep -c 'has no database connection' "$log")" 1

show=$(make_show 10 "Short of connections")
: >"$TMP_T/codes"
pids=()
for _ in $(seq 1 8); do      # 8 clients at once, 25 requests each
    (for _ in $(seq 1 25); do
        curl -s -o /dev/null -w '%{http_code}\n' "$BASE_URL/shows/$show"
     done >>"$TMP_T/codes") &
    pids+=($!)
done
wait "${pids[@]}"
check "200 reads by 8 clients at once: all 200 (failed: $(grep -vc '^200$' "$TMP_T/codes"))" \
    eq "$(grep -c '^200$' "$TMP_T/codes")" 200
req GET /health
check "/health: 200 degraded, 3 of 4 workers connected" \
    eq "$STATUS/$(jget .status)/$(jget .workers)/$(jget .connected)" "200/degraded/4/3"
check "/metrics: booking_workers_database 3 connected, 1 disconnected" \
    eq "$(curl -s "$BASE_URL/metrics" | grep -E '^booking_workers_database' | awk '{print $2}' | tr '\n' ' ')" "3 1 "

sql "ALTER ROLE pool_three CONNECTION LIMIT 4" >/dev/null
logged 'has its database connection again'
check "given a slot, it connects by itself, and the master says so once" \
    eq "$(grep -c 'has its database connection again' "$log")" 1
req GET /health
check "/health: ok again" eq "$STATUS/$(jget .status)" "200/ok"
check "no worker was restarted" eq "$(grep -c 'restarting worker' "$log")" 0
