# nginx's per-client limits answer 429 in the JSON error shape with
# Retry-After, each zone at its own rate: writes, reads (higher), large
# pages of shows (much lower), the admin token (a handful); a refusal is
# logged at warn, not error; a service nginx cannot reach is 503 (safe
# to retry), not 502. Runs an nginx of its own with the shipped limits
# (the shared one has them lifted for the other tests), the writes' cut
# to 2/s with a burst of 3 so that a burst of bookings stays small, in
# front of the same workers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

real_dir=$STACK_DIR
port=$(stack_free_port)
STACK_DIR=$TMP_T/ng
mkdir -p "$STACK_DIR"
unset NGINX_RATE NGINX_BURST NGINX_CONNS
stack_nginx_conf "$port"
conf=$STACK_DIR/nginx/conf/booking.conf
errlog=$STACK_DIR/nginx/logs/error.log
sed -i -e "s|unix:$STACK_DIR/fcgi.sock|unix:$real_dir/fcgi.sock|" \
    -e 's|zone=booking_writes:10m rate=100r/s;|zone=booking_writes:10m rate=2r/s;|' \
    -e 's|zone=booking_writes burst=200 |zone=booking_writes burst=3 |' "$conf"
check "the site's own rates: reads 300/s, large pages 5/s, admin 5/s" \
    eq "$(grep -cE 'zone=booking_(reads:10m rate=300|pages:10m rate=5|admin:10m rate=5)r/s;' "$conf")" 3
nginx -q -p "$STACK_DIR/nginx" -c "$STACK_DIR/nginx/conf/nginx.conf" -e "$errlog" &
ng=$!
trap 'kill -QUIT $ng 2>/dev/null; wait $ng 2>/dev/null; rm -rf "$TMP_T"' EXIT
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
BASE_URL="http://127.0.0.1:$port"

# codes N CURL ARGS...: N requests one after another, a status a line.
codes() {
    local n=$1
    shift
    for _ in $(seq 1 "$n"); do curl -s -o /dev/null -w '%{http_code}\n' "$@"; done
}

# burst_max BURST RATE START_NS: how many a zone of RATE/s with BURST
# may have let through since START_NS: the burst, the request that
# found it full (nginx counts from the first), and one more every
# 1/RATE seconds since (a loaded machine runs the loop slower, and the
# bucket refills meanwhile).
burst_max() {
    local ms=$(( ($(date +%s%N) - $3) / 1000000 ))
    echo $(( $1 + 1 + ($2 * ms + 999) / 1000 ))
}

# req_429 METHOD PATH [BODY [CURL ARGS...]]: req, again until a 429, at
# most 20 times: a zone just refused its burst lets one more through
# every 1/rate seconds, and on a loaded machine a request may take that
# long.
req_429() {
    local i
    for i in $(seq 1 20); do
        req "$@"
        [ "$STATUS" = 429 ] && return
    done
}

show=$(make_show 1000 "Limits")
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
booking=$(jget .booking.id)

# Writes: 2/s, burst 3 (the booking above spent one).
codes 20 -X POST -H "$JSON" -d "{\"show_id\":$show,\"seat_count\":1}" "$BASE_URL/book" >"$TMP_T/codes"
check "a burst of 20 bookings: the rest of the burst allowance passes" test "$(grep -c '^201$' "$TMP_T/codes")" -ge 3
check "the rest get 429" test "$(grep -c '^429$' "$TMP_T/codes")" -ge 10
check "and nothing else" eq "$(grep -vcE '^(201|429)$' "$TMP_T/codes")" 0
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "429 has the JSON error shape" eq "$STATUS/$(jget .error)/$(header Content-Type)" "429/too_many_requests/application/json"
check "429 has Retry-After" eq "$(header Retry-After)" 1
check "every 201 is a booking" eq \
    "$(sql "SELECT count(*) - 1 FROM bookings WHERE show_id = $show")" "$(grep -c '^201$' "$TMP_T/codes")"

codes 20 "$BASE_URL/shows/$show" >"$TMP_T/reads"
check "reads do not spend the writes' allowance: 20 reads, 20 200s" eq "$(grep -c '^200$' "$TMP_T/reads")" 20

# Large pages: 5/s, burst 10, beside the reads' allowance.
t0=$(date +%s%N)
codes 20 "$BASE_URL/shows?limit=1000" >"$TMP_T/pages"
max=$(burst_max 10 5 "$t0")
n=$(grep -c '^200$' "$TMP_T/pages")
check "20 pages of 1000 shows at once: the burst of 10 and a few more pass ($n, at most $max)" \
    test "$n" -ge 11 -a "$n" -le "$max"
check "the rest get 429, nothing else" eq "$(grep -c '^429$' "$TMP_T/pages")" "$((20 - n))"
req_429 GET "/shows?limit=1000"
check "a large page's 429: JSON, Retry-After" eq "$STATUS/$(jget .error)/$(header Retry-After)" "429/too_many_requests/1"
req_429 GET "/shows?limit=5&limit=1000"
check "a query spelled otherwise than a small page's counts as a large page" eq "$STATUS" 429
codes 10 "$BASE_URL/shows?limit=100" >"$TMP_T/small"
req GET /shows
check "pages of 100 (the default) are reads only: 200 meanwhile" \
    eq "$(grep -c '^200$' "$TMP_T/small")/$STATUS" "10/200"
req GET "/shows?limit=100&cursor=1700000000000000_1"
check "and so are the next pages, as the Link header writes them" eq "$STATUS" 200

# The admin token: 5/s, burst 10, for every admin request.
t0=$(date +%s%N)
codes 20 -X POST -H "$JSON" -H "Authorization: Bearer wrong-admin-token-0123456789" \
    -d '{"name":"Guess","start_time":"2030-01-01T00:00:00Z","total_seats":1}' \
    "$BASE_URL/admin/show" >"$TMP_T/admin"
max=$(burst_max 10 5 "$t0")
n=$(grep -c '^401$' "$TMP_T/admin")
check "20 wrong admin tokens in a row: 401 for the burst and what refilled ($n, at most $max)" \
    test "$n" -ge 10 -a "$n" -le "$max"
check "then 429, nothing else" eq "$(grep -c '^429$' "$TMP_T/admin")" "$((20 - n))"
req_429 GET /admin/keys "" -H "$ADMIN"
check "the right token meanwhile too: nginx cannot tell it from a guess" \
    eq "$STATUS/$(jget .error)/$(header Retry-After)" "429/too_many_requests/1"
req_429 GET "/bookings/$booking" "" -H "Authorization: Bearer another-guess-0123456789"
check "a guess at the admin token on a booking's route: 429 meanwhile" eq "$STATUS" 429
req GET "/bookings/$booking"
check "the booking's own token (bk_) is not counted as one: 200" eq "$STATUS" 200
req GET "/bookings/$booking" "" -H "Authorization: Bearer key_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
check "nor a channel's key (key_): answered by the worker" test "$STATUS" != 429

# Reads: 300/s, burst 600. 3000 at once, 32 at a time: the burst and
# what the rate adds while they run pass, the rest are 429.
mkdir -p "$TMP_T/r"
for i in $(seq 1 3000); do
    printf 'url = "%s/shows/%s"\noutput = "%s/r/%s"\n' "$BASE_URL" "$show" "$TMP_T" "$i"
done >"$TMP_T/reads.cfg"
t0=$(date +%s%N)
curl -s -Z --parallel-max 32 -K "$TMP_T/reads.cfg" \
    -w '%{http_code} %{content_type} %header{retry-after}\n' >"$TMP_T/flood"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok=$(grep -c '^200 ' "$TMP_T/flood")
n429=$(grep -c '^429 ' "$TMP_T/flood")
check "3000 reads at once (${ms} ms): at least the burst passes ($ok)" test "$ok" -ge 600
check "at most the burst and 300/s more ($ok in $ms ms)" test "$ok" -le $((601 + 300 * ms / 1000 + 5))
check "the rest get 429 ($n429), nothing else" eq "$((ok + n429))" 3000
check "each read's 429: application/json with Retry-After 1" \
    eq "$(grep '^429 ' "$TMP_T/flood" | sort -u)" "429 application/json 1"
check "each with the JSON error" \
    eq "$(grep -l '"error":"too_many_requests"' "$TMP_T"/r/* | wc -l)" "$n429"

# Logged at warn: the client's doing, not the server's.
check "a refusal is logged, zone by zone" eq \
    "$(grep -o 'limiting requests, excess: [0-9.]* by zone "booking_[a-z]*"' "$errlog" | awk '{print $NF}' | sort -u | tr '\n' ' ')" \
    '"booking_admin" "booking_pages" "booking_reads" "booking_writes" '
check "at warn, never error" eq "$(grep 'limiting ' "$errlog" | grep -vc '\[warn\]')" 0

# Unreachable workers: nothing was done, so 503 with Retry-After.
sed -i "s|unix:$real_dir/fcgi.sock|unix:$TMP_T/nobody.sock|" "$conf"
kill -HUP "$ng"
sleep 1
req GET "/shows/$show"
check "no worker reachable: 503 service_unavailable" eq "$STATUS/$(jget .error)" "503/service_unavailable"
check "with Retry-After" eq "$(header Retry-After)" 1
