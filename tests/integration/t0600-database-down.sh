# PostgreSQL stops: every request gets 503 with Retry-After and a JSON
# body at once, never a hang or a 500; when it comes back, the workers
# reconnect by themselves.
source "$(dirname "$0")/lib.sh"

show=$(make_show 10 "DB down")
port=$(echo "$DATABASE_URL" | sed -E 's|.*:([0-9]+)/.*|\1|')
pg_ctl_as() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" "$@"
    else "$PG_BIN/pg_ctl" "$@"; fi
}
pg_ctl_as -D "$PG_DIR" -m fast -w stop >/dev/null

for i in 1 2 3 4 5 6; do
    start=$(date +%s%N)
    req GET /health
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$STATUS" = 503 ] || break
done
check "health: 503 while the database is down" eq "$STATUS" 503
check "health: answered at once (${ms} ms)" test "$ms" -lt 1500
check "503 carries Retry-After" test -n "$(header Retry-After)"
check "503 body has the error shape" eq "$(jget .error)" database_unavailable

post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "book: 503 while the database is down" eq "$STATUS/$(jget .error)" "503/database_unavailable"
check "book: no internals leak" bash -c "! echo '$BODY' | grep -qiE 'libpq|sql|connection to server'"
req GET "/shows/$show"
check "get show: 503" eq "$STATUS" 503

pg_ctl_as -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=''" start >/dev/null
# Each worker retries at most once a second: within a few seconds all of
# them answer again.
ok=0
for _ in $(seq 1 40); do
    req GET /health
    if [ "$STATUS" = 200 ]; then ok=$((ok + 1)); else ok=0; fi
    [ "$ok" -ge 8 ] && break
    sleep 0.1
done
check "the workers reconnect after PostgreSQL restarts" test "$ok" -ge 8
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "book works again" eq "$STATUS" 201

# A restart while the workers are idle: their next request goes out on a
# fresh connection, not into the dead one (which answered 503 once).
pg_ctl_as -D "$PG_DIR" -l "$PG_DIR/server.log" -m fast -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=''" restart >/dev/null
for _ in $(seq 1 $((WORKERS * 3))); do
    curl -s -o /dev/null -w '%{http_code}\n' "$BASE_URL/shows/$show"
done >"$TMP_T/after-restart"
check "after a PostgreSQL restart no request gets a 503" \
    eq "$(grep -vc '^200$' "$TMP_T/after-restart")" 0
