# nginx's per-client limits answer 429 in the JSON error shape with
# Retry-After; a service nginx cannot reach is 503 (safe to retry), not
# 502. Runs an nginx of its own with low limits in front of the same
# workers (the shared one has them lifted for the other tests).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

real_dir=$STACK_DIR
port=$(stack_free_port)
STACK_DIR=$TMP_T/ng
mkdir -p "$STACK_DIR"
NGINX_RATE=2 NGINX_BURST=3 NGINX_CONNS=50 stack_nginx_conf "$port"
conf=$STACK_DIR/nginx/conf/booking.conf
sed -i "s|unix:$STACK_DIR/fcgi.sock|unix:$real_dir/fcgi.sock|" "$conf"
nginx -q -p "$STACK_DIR/nginx" -c "$STACK_DIR/nginx/conf/nginx.conf" -e "$STACK_DIR/nginx/logs/error.log" &
ng=$!
trap 'kill -QUIT $ng 2>/dev/null; wait $ng 2>/dev/null; rm -rf "$TMP_T"' EXIT
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
BASE_URL="http://127.0.0.1:$port"

show=$(make_show 1000 "Limits")
for _ in $(seq 1 20); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "$JSON" \
        -d "{\"show_id\":$show,\"seat_count\":1}" "$BASE_URL/book"
done >"$TMP_T/codes"
check "a burst of 20 bookings: the burst allowance passes" test "$(grep -c '^201$' "$TMP_T/codes")" -ge 3
check "the rest get 429" test "$(grep -c '^429$' "$TMP_T/codes")" -ge 10
check "and nothing else" eq "$(grep -vcE '^(201|429)$' "$TMP_T/codes")" 0
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "429 has the JSON error shape" eq "$STATUS/$(jget .error)/$(header Content-Type)" "429/too_many_requests/application/json"
check "429 has Retry-After" eq "$(header Retry-After)" 1
check "every 201 is a booking" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show")" "$(grep -c '^201$' "$TMP_T/codes")"

for _ in $(seq 1 20); do
    curl -s -o /dev/null -w '%{http_code}\n' "$BASE_URL/shows/$show"
done >"$TMP_T/reads"
check "reads are not rate-limited" eq "$(grep -c '^200$' "$TMP_T/reads")" 20

# Unreachable workers: nothing was done, so 503 with Retry-After.
sed -i "s|unix:$real_dir/fcgi.sock|unix:$TMP_T/nobody.sock|" "$conf"
kill -HUP "$ng"
sleep 1
req GET "/shows/$show"
check "no worker reachable: 503 service_unavailable" eq "$STATUS/$(jget .error)" "503/service_unavailable"
check "with Retry-After" eq "$(header Retry-After)" 1
