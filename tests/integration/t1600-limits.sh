# Limits that no client can get round, on workers of this test's own with
# the shipped caps (make test lifts them for the other tests): at most 10
# seats a booking, 4 live holds and 20 held seats for an anonymous
# client, counted in the database; a show's cap of seats per customer,
# exact under 200 concurrent bookings. One address cannot corner a show:
# an honest buyer from another address books at once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

SHARED_URL=$BASE_URL
STACK_DIR=$TMP_T/own
mkdir -p "$STACK_DIR"
trap 'stack_nginx_stop; stack_fcgi_stop; rm -rf "$TMP_T"' EXIT
# Holds of a minute: none lapses while the test counts them.
export MAX_SEATS_PER_BOOKING=10 MAX_LIVE_HOLDS=4 MAX_HELD_SEATS=20 HOLD_TTL_SECONDS=60
stack_fcgi_start && stack_nginx_start "$(stack_free_port)" \
    || { echo "not ok - workers with the shipped caps did not start"; exit 1; }

show=$(make_show 100 "Capped")
post_json /book "{\"show_id\":$show,\"seat_count\":11}"
check "11 seats in one booking: 409 seat_limit" eq "$STATUS/$(jget .error)" "409/seat_limit"
post_json /book "{\"show_id\":$show,\"seat_count\":10}"
check "10: booked" eq "$STATUS" 201
post_json /book "{\"show_id\":$show,\"seat_count\":15}" -H "$ADMIN"
check "the admin is not capped" eq "$STATUS" 201
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "$STRANGER"
check "a credential that is not the admin's: 401" eq "$STATUS/$(jget .error)" "401/unauthorized"
check "none of the refusals recorded anything" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show")" 2

# Holds: 4 at most, 20 seats at most, live ones only.
ids=()
for n in 5 5 5 4; do ids+=("$(make_hold "$show" "$n")"); done
check "4 holds of 19 seats in all" eq "$(sql "SELECT count(*) || '/' || sum(seat_count) FROM bookings
    WHERE show_id = $show AND status = 'PENDING'")" "4/19"
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":true}"
check "a fifth hold: 409 hold_limit" eq "$STATUS/$(jget .error)" "409/hold_limit"
post_json "/bookings/${ids[0]}/confirm" ""
check "one confirmed (3 holds of 14 seats left)" eq "$STATUS" 200
post_json /book "{\"show_id\":$show,\"seat_count\":7,\"hold\":true}"
check "a hold of 7 would be 21 seats: 409 hold_limit" eq "$STATUS/$(jget .error)" "409/hold_limit"
post_json /book "{\"show_id\":$show,\"seat_count\":6,\"hold\":true}"
check "a hold of 6 (20 seats): held" eq "$STATUS/$(jget .booking.status)" "201/PENDING"
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":true}" --interface 127.0.0.2
check "another address holds at once" eq "$STATUS/$(jget .booking.status)" "201/PENDING"
sql "UPDATE bookings SET expires_at = now() - interval '1 second'
      WHERE id = ${ids[1]}" >/dev/null
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":true}"
check "a lapsed hold counts for nobody, swept or not" eq "$STATUS" 201

# Cornering: one address tries to hold a whole show, 40 holds at once.
big=$(make_show 500 "Cornered")
cfg=$TMP_T/corner.cfg
for i in $(seq 1 40); do
    [ "$i" -gt 1 ] && echo next
    printf 'url = "%s/book"\nrequest = "POST"\nheader = "Content-Type: application/json"\n' "$BASE_URL"
    echo 'interface = "127.0.0.4"'     # per transfer: "next" resets it
    printf 'data = "{\\"show_id\\":%d,\\"seat_count\\":10,\\"hold\\":true}"\n' "$big"
    echo 'output = "/dev/null"'
    echo 'write-out = "%{http_code}\\n"'
done >"$cfg"
curl -s --parallel --parallel-max 40 -K "$cfg" >"$TMP_T/codes"
check "40 holds of 10 at once from one address: 2 held (20 seats), 38 refused" eq \
    "$(grep -c '^201$' "$TMP_T/codes")/$(grep -c '^409$' "$TMP_T/codes")" "2/38"
check "exactly 20 seats held by it" eq "$(sql "SELECT sum(seat_count) FROM bookings
    WHERE show_id = $big AND client = 'addr 127.0.0.4' AND status = 'PENDING'")" 20
post_json /book "{\"show_id\":$big,\"seat_count\":4}" --interface 127.0.0.5
check "an honest buyer from another address books at once" eq "$STATUS" 201

# A show's cap per customer, under 200 concurrent bookings of one.
cap=$(admin_post "{\"name\":\"Per customer\",\"start_time\":\"$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)\",\"total_seats\":1000,\"max_seats_per_customer\":6}"; jget .show.id)
req GET "/shows/$cap"
check "the show says its cap" eq "$(jget .max_seats_per_customer)" 6
for i in $(seq 1 200); do
    [ "$i" -gt 1 ] && echo next
    printf 'url = "%s/book"\nrequest = "POST"\nheader = "Content-Type: application/json"\n' "$BASE_URL"
    echo 'interface = "127.0.0.6"'
    printf 'data = "{\\"show_id\\":%d,\\"seat_count\\":%d}"\n' "$cap" $((1 + i % 3))
    echo 'output = "/dev/null"'
    echo 'write-out = "%{http_code}\\n"'
done >"$cfg"
curl -s --parallel --parallel-max 50 -K "$cfg" >"$TMP_T/codes"
echo "# 200 at once: $(sort "$TMP_T/codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
check "every one of them came from that address" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $cap AND customer <> 'addr 127.0.0.6'")" 0
check "200 concurrent bookings of one customer: 6 seats, not one more" eq \
    "$(sql "SELECT sum(seat_count) FROM bookings WHERE show_id = $cap
             AND customer = 'addr 127.0.0.6' AND status = 'CONFIRMED'")" 6
check "every other answer 409 customer_limit or nothing else" eq \
    "$(grep -cvE '^(201|409)$' "$TMP_T/codes")" 0
post_json /book "{\"show_id\":$cap,\"seat_count\":6}" --interface 127.0.0.7
check "another customer still gets 6" eq "$STATUS" 201
post_json /book "{\"show_id\":$cap,\"seat_count\":1}" --interface 127.0.0.7
check "and not a seventh" eq "$STATUS/$(jget .error)" "409/customer_limit"
