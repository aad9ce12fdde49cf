# The seed's shapes, end to end: create a show, list it, book, read back.
source "$(dirname "$0")/lib.sh"

start=$(date -u -d '+30 days' +%Y-%m-%dT18:00:00Z)
admin_post "{\"name\":\"Hamlet\",\"start_time\":\"$start\",\"total_seats\":50}"
show=$(jget .show.id)
check "create show: 201" eq "$STATUS" 201
check "create show: message" eq "$(jget .message)" "Show created successfully"
check "create show: Location" eq "$(header Location)" "/shows/$show"
check "create show: fields" eq "$(jget '.show | [.name, .start_time, .total_seats, .booked_seats] | @tsv')" \
    "$(printf 'Hamlet\t%s\t50\t0' "$start")"
check "create show: JSON content type" eq "$(header Content-Type)" "application/json"

req GET "/shows/$show"
check "get show: 200" eq "$STATUS" 200
check "get show: available_seats" eq "$(jget '[.id, .available_seats] | @tsv')" "$(printf '%s\t50' "$show")"

post_json /book "{\"show_id\":$show,\"seat_count\":3}"
booking=$(jget .booking.id)
check "book: 201" eq "$STATUS" 201
check "book: message" eq "$(jget .message)" "Booking CONFIRMED"
check "book: Location" eq "$(header Location)" "/bookings/$booking"
check "book: booking fields" eq "$(jget '.booking | [.show_id, .seat_count, .status] | @tsv')" \
    "$(printf '%s\t3\tCONFIRMED' "$show")"
check "book: created_at is RFC 3339 UTC" \
    bash -c "[[ '$(jget .booking.created_at)' =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]]"

req GET "/bookings/$booking"
check "get booking: 200" eq "$STATUS" 200
check "get booking: same booking" eq "$(jget '.booking | [.id, .status, .seat_count] | @tsv')" \
    "$(printf '%s\tCONFIRMED\t3' "$booking")"

req GET "/shows/$show"
check "availability counts the booking" eq "$(jget .available_seats)" 47

req GET /shows
check "list: 200 and an array" eq "$STATUS/$(jget type)" "200/array"
check "list: has the show with live availability" \
    eq "$(jget ".[] | select(.id == $show) | .available_seats")" 47

req GET /health
check "health: 200 ok" eq "$STATUS/$(jget .status)" "200/ok"
check "X-Request-Id on every answer" test -n "$(header X-Request-Id)"
