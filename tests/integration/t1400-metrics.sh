# GET /metrics: Prometheus text that promtool accepts, with the pool's
# totals (every worker's counts, not the answering one's), moving by
# exactly what a known sequence of requests did; counts survive a worker
# that dies; booking-expire's released holds are there too.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
expire="$ROOT/$BUILD/booking-expire"

# scrape FILE: GET /metrics into FILE
scrape() {
    req GET /metrics
    printf '%s\n' "$BODY" >"$1"
}

# value FILE SERIES: the sample of that exact series, 0 when absent
value() {
    awk -v s="$2" 'index($0, s " ") == 1 { v = $NF } END { print v + 0 }' "$1"
}

# delta SERIES: its change from $TMP_T/a to $TMP_T/b
delta() { echo $(($(value "$TMP_T/b" "$1") - $(value "$TMP_T/a" "$1"))); }

scrape "$TMP_T/a"
check "GET /metrics: 200" eq "$STATUS" 200
check "in the Prometheus text format 0.0.4" eq "$(header content-type)" \
    "text/plain; version=0.0.4; charset=utf-8"
if command -v promtool >/dev/null; then
    promtool check metrics <"$TMP_T/a" >"$TMP_T/promtool" 2>&1
    rc=$?
    sed -e 's/^/# promtool: /' "$TMP_T/promtool"
    check "promtool check metrics: no problems" eq "$rc/$(wc -c <"$TMP_T/promtool")" 0/0
else
    check "promtool is installed (make test installs the prometheus package)" false
fi
check "build info with the version booking-fcgi prints" eq \
    "$(value "$TMP_T/a" "booking_build_info{version=\"$("$ROOT/$BUILD/booking-fcgi" --version | cut -d' ' -f2)\"}")" 1

# The known sequence.
show=$(make_show 10 "Metrics")
post_json /book "{\"show_id\":$show,\"seat_count\":2}"
b1=$STATUS
hold=$(make_hold "$show" 3)
post_json "/bookings/$hold/confirm" ""
b2=$STATUS
cancel=$(make_hold "$show" 1)
post_json "/bookings/$cancel/cancel" ""
b3=$STATUS
post_json /book "{\"show_id\":$show,\"seat_count\":100}"
b4=$STATUS
post_json /book '{"show_id":"x"}'
b5=$STATUS
key="metrics-$$-$RANDOM"
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $key"
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $key"
b6=$STATUS
check "the sequence answered 201 200 200 409 400, and 201 replayed" eq \
    "$b1 $b2 $b3 $b4 $b5 $b6" "201 200 200 409 400 201"
# 40 reads at once: nginx spreads them over several workers.
urls=()
for _ in $(seq 1 40); do urls+=(-o /dev/null "$BASE_URL/shows/$show"); done
curl -s --parallel --parallel-immediate --parallel-max 40 --max-time 10 \
    -w '%{http_code}\n' "${urls[@]}" >"$TMP_T/codes"
check "40 parallel GET /shows/{id}: 200" eq "$(grep -c '^200$' "$TMP_T/codes")" 40
# 8 scrapes at once, answered by several workers: all say the same.
urls=()
for i in $(seq 1 8); do urls+=(-o "$TMP_T/s$i" "$BASE_URL/metrics"); done
curl -s --parallel --parallel-immediate --parallel-max 8 --max-time 10 "${urls[@]}"
check "8 scrapes at once agree on the 40 reads: the pool's count, not a worker's" eq \
    "$(for i in $(seq 1 8); do value "$TMP_T/s$i" 'booking_http_requests_total{route="/shows/{id}",status="200"}'; done | sort -u | wc -l)" 1
scrape "$TMP_T/b"

check "bookings confirmed +2 (one replayed, counted once)" eq "$(delta 'booking_bookings_total{outcome="confirmed"}')" 2
check "bookings held +2" eq "$(delta 'booking_bookings_total{outcome="held"}')" 2
check "bookings sold out +1" eq "$(delta 'booking_bookings_total{outcome="sold_out"}')" 1
check "bookings failed +0" eq "$(delta 'booking_bookings_total{outcome="failed"}')" 0
check "seats sold +6 (2 booked, 3 held then confirmed, 1 keyed)" eq "$(delta booking_seats_sold_total)" 6
check "holds confirmed +1" eq "$(delta 'booking_holds_total{event="confirmed"}')" 1
check "holds cancelled +1" eq "$(delta 'booking_holds_total{event="cancelled"}')" 1
check "GET /shows/{id} 200 +40, from every worker that served one" eq \
    "$(delta 'booking_http_requests_total{route="/shows/{id}",status="200"}')" 40
check "POST /book: 201 +5 (a replay too), 409 +1, 400 +1" eq "$(delta 'booking_http_requests_total{route="/book",status="201"}') $(delta 'booking_http_requests_total{route="/book",status="409"}') $(delta 'booking_http_requests_total{route="/book",status="400"}')" "5 1 1"
check "POST /admin/show 201 +1" eq "$(delta 'booking_http_requests_total{route="/admin/show",status="201"}')" 1
check "GET /metrics 200 +9 (the first scrape, the 8 at once)" eq "$(delta 'booking_http_requests_total{route="/metrics",status="200"}')" 9
check "the duration histogram counted the 40 reads" eq \
    "$(delta 'booking_http_request_duration_seconds_count{route="/shows/{id}"}')" 40
check "its +Inf bucket equals its count" eq \
    "$(value "$TMP_T/b" 'booking_http_request_duration_seconds_bucket{route="/shows/{id}",le="+Inf"}')" \
    "$(value "$TMP_T/b" 'booking_http_request_duration_seconds_count{route="/shows/{id}"}')"

# A worker killed: its counts stay in the totals, the restart is counted.
victim=$(pgrep -P "$FCGI_PID" | head -n 1)
kill -KILL "$victim"
for _ in $(seq 1 50); do
    [ "$(pgrep -P "$FCGI_PID" | wc -l)" -eq "$WORKERS" ] && ! kill -0 "$victim" 2>/dev/null && break
    sleep 0.1
done
sleep 0.3
scrape "$TMP_T/c"
cp "$TMP_T/b" "$TMP_T/a"; cp "$TMP_T/c" "$TMP_T/b"
check "a SIGKILLed worker: restarts +1" eq "$(delta booking_worker_restarts_total)" 1
check "and no count went back: GET /shows/{id} 200 +0" eq \
    "$(delta 'booking_http_requests_total{route="/shows/{id}",status="200"}')" 0
check "seats sold +0" eq "$(delta booking_seats_sold_total)" 0
check "workers by state add up to the $WORKERS workers" eq \
    "$(awk '/^booking_workers\{/ { n += $NF } END { print n }' "$TMP_T/c")" "$WORKERS"

# booking-expire's releases, read from the database.
cp "$TMP_T/c" "$TMP_T/a"
make_hold "$show" 1 >/dev/null
sleep $((HOLD_TTL_SECONDS + 1))
DATABASE_URL=${APP_DATABASE_URL:-$DATABASE_URL} "$expire" >/dev/null 2>&1
scrape "$TMP_T/b"
check "a hold released by booking-expire: expired +1" eq "$(delta booking_holds_expired_total)" 1
check "and held +1" eq "$(delta 'booking_bookings_total{outcome="held"}')" 1

req GET /openapi.json
check "GET /openapi.json: 200, application/json" eq "$STATUS $(header content-type)" "200 application/json"
check "it is api/openapi.json, byte for byte" cmp -s "$TMP_T/body" "$ROOT/api/openapi.json"
