# Holds: PENDING with a deadline, confirmed (safely twice), cancelled
# (seats back exactly once, however often), refused once lapsed; a lapsed
# hold is free at once, before any sweep. The stack runs with
# HOLD_TTL_SECONDS=3.
source "$(dirname "$0")/lib.sh"

show=$(make_show 10 "Holds")
post_json /book "{\"show_id\":$show,\"seat_count\":4,\"hold\":true}"
hold=$(jget .booking.id)
check "hold: 201 Booking PENDING" eq "$STATUS/$(jget .message)/$(jget .booking.status)" "201/Booking PENDING/PENDING"
check "hold: Location" eq "$(header Location)" "/bookings/$hold"
created=$(date -d "$(jget .booking.created_at)" +%s)
expires=$(date -d "$(jget .booking.expires_at)" +%s)
check "hold: expires_at is created_at + HOLD_TTL_SECONDS" test $((expires - created)) -ge 2 -a $((expires - created)) -le 3
check "hold: reason is null" eq "$(jget .booking.reason)" null
check "a hold of 4 of 10 seats leaves 6 available" eq "$(available "$show")" 6

post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "a plain booking stays CONFIRMED, expires_at null" eq "$STATUS/$(jget .booking.status)/$(jget .booking.expires_at)" "201/CONFIRMED/null"
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":false}"
check "hold false books CONFIRMED" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":\"yes\"}"
check "hold must be a boolean" eq "$STATUS/$(jget .error)/$(jget .field)" "400/invalid_type/hold"

post_json "/bookings/$hold/confirm" ""
check "confirm: 200 CONFIRMED" eq "$STATUS/$(jget .message)/$(jget .booking.status)" "200/Booking CONFIRMED/CONFIRMED"
post_json "/bookings/$hold/confirm" ""
check "confirm again: the same 200" eq "$STATUS/$(jget .booking.status)/$(jget .booking.id)" "200/CONFIRMED/$hold"
check "confirming takes no more seats" eq "$(available "$show")" 4

# Cancel: seats back once, however many times it is called.
h2=$(make_hold "$show" 2)
check "a second hold takes 2 more" eq "$(available "$show")" 2
post_json "/bookings/$h2/cancel" ""
check "cancel: 200 CANCELLED, reason cancelled" eq "$STATUS/$(jget .booking.status)/$(jget .booking.reason)" "200/CANCELLED/cancelled"
post_json "/bookings/$h2/cancel" ""
check "cancel again: the same 200" eq "$STATUS/$(jget .booking.status)" "200/CANCELLED"
check "its seats came back once" eq "$(available "$show")" 4
post_json "/bookings/$h2/confirm" ""
check "confirming a cancelled booking: 409 booking_cancelled" eq "$STATUS/$(jget .error)" "409/booking_cancelled"

h3=$(make_hold "$show" 3)
urls=()
for _ in $(seq 1 20); do urls+=(-o /dev/null "$BASE_URL/bookings/$h3/cancel"); done
curl -s --parallel --parallel-immediate --parallel-max 20 -X POST -w '%{http_code}\n' \
    -H "Authorization: Bearer $(token_of "$h3")" "${urls[@]}" >"$TMP_T/codes"
check "20 racing cancels all answer 200" eq "$(grep -c '^200$' "$TMP_T/codes")" 20
check "and release the 3 seats once" eq "$(available "$show")" 4
check "counters equal the live bookings" eq "$(counters "$show")" "6/6"

post_json "/bookings/$hold/cancel" ""
check "a CONFIRMED booking can be cancelled" eq "$STATUS/$(jget .booking.status)" "200/CANCELLED"
check "its 4 seats are back" eq "$(available "$show")" 8

# Lapse: free at once, confirm refused, reported as FAILED/expired.
show2=$(make_show 10 "Lapse")
h4=$(make_hold "$show2" 4)
check "held: 6 available" eq "$(available "$show2")" 6
check "held: 6 available in GET /shows too" eq \
    "$(curl -s "$BASE_URL/shows?limit=1000" | jq -r ".[] | select(.id == $show2) | .available_seats")" 6
sleep 3.2
check "3 s later the hold's seats are available again, with no sweep" eq "$(available "$show2")" 10
check "and so in GET /shows too" eq \
    "$(curl -s "$BASE_URL/shows?limit=1000" | jq -r ".[] | select(.id == $show2) | .available_seats")" 10
req GET "/bookings/$h4"
check "the lapsed hold reads as FAILED, reason expired" eq "$(jget '.booking | [.status, .reason] | join("/")')" "FAILED/expired"
post_json "/bookings/$h4/confirm" ""
check "confirming it: 409 hold_expired" eq "$STATUS/$(jget .error)/$(jget .booking.status)" "409/hold_expired/FAILED"
post_json "/bookings/$h4/cancel" ""
check "cancelling it: 409 hold_expired" eq "$STATUS/$(jget .error)" "409/hold_expired"
check "the cancel released it: counters equal the live bookings" eq "$(counters "$show2")" "0/0"

# A booking may take the seats of a lapsed hold before any sweep.
show3=$(make_show 2 "Reuse")
h5=$(make_hold "$show3" 2)
post_json /book "{\"show_id\":$show3,\"seat_count\":1}"
check "while held, the show is sold out" eq "$STATUS/$(jget .error)" "409/sold_out"
sleep 3.2
post_json /book "{\"show_id\":$show3,\"seat_count\":2}"
check "once lapsed, its seats can be booked" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
check "the lapsed hold was released once" eq "$(counters "$show3")" "2/2"
check "and is recorded FAILED/expired" eq "$(sql "SELECT status || '/' || reason FROM bookings WHERE id = $h5")" "FAILED/expired"

# Refusals.
post_json "/bookings/$(sql "SELECT id FROM bookings WHERE status = 'FAILED' AND reason = 'sold_out' LIMIT 1")/confirm" "" -H "$ADMIN"
check "confirming a sold-out booking: 409 booking_failed" eq "$STATUS/$(jget .error)" "409/booking_failed"
post_json "/bookings/9223372036854775806/confirm" "" -H "$STRANGER"
check "confirm of an unknown booking: 404" eq "$STATUS/$(jget .error)" "404/booking_not_found"
post_json "/bookings/9223372036854775806/cancel" "" -H "$STRANGER"
check "cancel of an unknown booking: 404" eq "$STATUS/$(jget .error)" "404/booking_not_found"
req GET "/bookings/$hold/confirm"
check "GET on confirm: 405, Allow: POST" eq "$STATUS/$(header Allow)" "405/POST"

show4=$(make_show 5 "Started")
b=$(post_json /book "{\"show_id\":$show4,\"seat_count\":1}" >/dev/null; jget .booking.id)
sql "UPDATE shows SET start_time = now() - interval '1 minute' WHERE id = $show4" >/dev/null
post_json "/bookings/$b/cancel" ""
check "a booking of a show that has started cannot be cancelled: 409" eq "$STATUS/$(jget .error)" "409/show_started"
post_json /book "{\"show_id\":$show4,\"seat_count\":1,\"hold\":true}"
check "nor can a started show be held" eq "$STATUS/$(jget .error)" "409/show_started"
