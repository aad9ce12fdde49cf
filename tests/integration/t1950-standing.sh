# Standing areas beside seats (issue 16, docs/seating.md "Standing
# areas"): a hall with seats and areas; seats and places booked in one
# booking, all or nothing; an area sold out answers 409 naming it and
# takes nothing; a hold of places lapses and the map shows them free
# before any sweep; a cancel gives them back; concurrent buyers of an
# area never exceed its capacity; bad layouts and bad requests get 400.
source "$(dirname "$0")/lib.sh"

start=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
cats='"categories":[{"name":"Standard","colour":"#2e86c1","price":4200},
                    {"name":"Standing","colour":"#7f8c8d","price":2500}]'
hall="{\"focal_point\":{\"x\":5,\"y\":0},$cats,
 \"sections\":[{\"name\":\"Stalls\",\"rows\":[{\"name\":\"A\",\"seats\":\"1-10\",\"category\":\"Standard\"}]}],
 \"standing\":[{\"name\":\"Floor\",\"capacity\":5,\"category\":\"Standing\"},
               {\"name\":\"Pit\",\"capacity\":3,\"category\":\"Standing\"}]}"
admin_post "{\"name\":\"Club\",\"start_time\":\"$start\",\"seating\":$hall}"
check "a hall of 10 seats and areas of 5 and 3: 201, 18 places in all" \
    eq "$STATUS/$(jget .show.total_seats)" "201/18"
show=$(jget .show.id)
map() { curl -s "$BASE_URL/shows/$show/seats"; }
floor_free() { map | jq -r '.standing[] | select(.name == "Floor") | .free'; }

req GET "/shows/$show/seats"
check "its map: the areas with their capacity, all free; 10 seats" \
    eq "$STATUS/$(jget '[.standing[] | "\(.name):\(.capacity):\(.free)"] | join(",")')/$(jget '.states | length')/$(jget .layout.seat_count)" \
    "200/Floor:5:5,Pit:3:3/10/10"
check "the layout keeps the areas, the category an index" \
    eq "$(jget '[.layout.standing[] | "\(.name):\(.capacity):\(.category)"] | join(",")')" "Floor:5:1,Pit:3:1"
etag=$(header ETag)

post_json /book "{\"show_id\":$show,\"seats\":[\"Stalls-A-1\"],\"standing\":{\"Floor\":2}}"
check "a seat and 2 places in one booking: 201, 3 in all, price 4200 + 2 x 2500" \
    eq "$STATUS/$(jget .booking.seat_count)/$(jget '.booking.seats | join(",")')/$(jget .booking.standing.Floor)/$(jget .booking.price)" \
    "201/3/Stalls-A-1/2/9200"
b1=$(jget .booking.id)
req GET "/bookings/$b1"
check "read again: the same seats, places and price" \
    eq "$STATUS/$(jget '.booking.seats | join(",")')/$(jget .booking.standing.Floor)/$(jget .booking.price)" "200/Stalls-A-1/2/9200"
req GET "/shows/$show/seats" "" -H "If-None-Match: $etag"
check "the map changed: 200, a new ETag, the seat sold, 3 places left" \
    eq "$STATUS/$([ "$(header ETag)" != "$etag" ] && echo new)/$(jget '.states[0:1]')/$(jget '.standing[0].free')" "200/new/s/3"
check "the show's availability counts the places: 18 - 3" eq "$(available "$show")" 15

post_json /book "{\"show_id\":$show,\"standing\":{\"Floor\":4}}"
check "4 places where 3 are left: 409 sold_out naming the area" \
    eq "$STATUS/$(jget .error)/$(jget .field)/$(jget '.standing | join(",")')/$(jget .booking.status)" \
    "409/sold_out/standing/Floor/FAILED"
post_json /book "{\"show_id\":$show,\"seats\":[\"Stalls-A-2\"],\"standing\":{\"Pit\":1,\"Floor\":4}}"
check "with a seat and another area: 409, only the short area named" \
    eq "$STATUS/$(jget .error)/$(jget '.standing | join(",")')" "409/sold_out/Floor"
check "all or nothing: the seat, the Pit and the Floor untouched" \
    eq "$(map | jq -r '"\(.states[1:2])/\([.standing[].free] | join(","))"')" "f/3,3"
check "and counted so: the parts' booked is the live bookings' places" \
    eq "$(counters "$show")" "3/3"

# A hold of places: held, then free the moment it lapses (HOLD_TTL_SECONDS
# is 3 in make test), before any sweep; the next buyer takes them.
post_json /book "{\"show_id\":$show,\"standing\":{\"Floor\":3},\"hold\":true}"
check "a hold of the 3 last places: 201 PENDING, seat_count 3, seats []" \
    eq "$STATUS/$(jget .booking.status)/$(jget .booking.seat_count)/$(jget '.booking.seats | length')/$(jget .booking.price)" \
    "201/PENDING/3/0/7500"
hold=$(jget .booking.id)
check "the map shows none free" eq "$(floor_free)" 0
check "places alone record no seats (NULL, as a booking by count: the live map's events pass it over)" \
    eq "$(sql "SELECT seats IS NULL FROM bookings WHERE id = $hold")" t
sleep 3.5
check "lapsed: free on the map before any sweep" eq "$(floor_free)" 3
check "and in the show's availability" eq "$(available "$show")" 15
post_json /book "{\"show_id\":$show,\"standing\":{\"Floor\":3}}"
check "another buyer takes the 3: 201" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
b2=$(jget .booking.id)
check "the lapsed hold was ended first, its places given back" \
    eq "$(sql "SELECT status || '/' || reason FROM bookings WHERE id = $hold")/$(counters "$show")" \
    "FAILED/expired/6/6"
req POST "/bookings/$b2/cancel"
check "a cancel: 200, the 3 places back on the map" eq "$STATUS/$(floor_free)" "200/3"
check "counts exact after the cancel" eq "$(counters "$show")" "3/3"

# An Idempotency-Key: the retry gets the same booking and its places.
post_json /book "{\"show_id\":$show,\"standing\":{\"Pit\":1}}" -H "Idempotency-Key: st-$show"
first=$(jget .booking.id)
post_json /book "{\"show_id\":$show,\"standing\":{\"Pit\":1}}" -H "Idempotency-Key: st-$show"
check "a keyed retry: the same booking, its place once" \
    eq "$STATUS/$(jget .booking.id)/$(jget .booking.standing.Pit)/$(map | jq -r '.standing[1].free')" "201/$first/1/2"

# Bad requests.
post_json /book "{\"show_id\":$show,\"standing\":{\"Balcony\":1}}"
check "an area the show does not have: 400 unknown_area" \
    eq "$STATUS/$(jget .error)/$(jget .field)" "400/unknown_area/standing"
post_json /book "{\"show_id\":$show,\"standing\":{\"Floor\":0}}"
check "0 places: 400" eq "$STATUS/$(jget .error)/$(jget .field)" "400/invalid_value/standing"
post_json /book "{\"show_id\":$show,\"standing\":[\"Floor\"]}"
check "standing not an object: 400" eq "$STATUS/$(jget .field)" "400/standing"
post_json /book "{\"show_id\":$show,\"standing\":{\"Floor\":1},\"seat_count\":2}"
check "seat_count beside places must count them: 400" eq "$STATUS/$(jget .field)" "400/seat_count"
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"standing\":{\"Floor\":1},\"best_available\":{}}"
check "places with best available: 400" eq "$STATUS/$(jget .field)" "400/best_available"
ga=$(make_show 10 "General admission")
post_json /book "{\"show_id\":$ga,\"standing\":{\"Floor\":1}}"
check "places on a show sold by count: 400 not_seated" eq "$STATUS/$(jget .error)" "400/not_seated"

bad() {  # bad NAME AREAS FIELD
    admin_post "{\"name\":\"Bad\",\"start_time\":\"$start\",\"seating\":{\"focal_point\":{\"x\":0,\"y\":0},$cats,\"sections\":[{\"name\":\"Stalls\",\"rows\":[{\"name\":\"A\",\"seats\":\"1-10\",\"category\":\"Standard\"}]}],\"standing\":[$2]}}"
    check "$1: 400 invalid_seating at $3" eq "$STATUS/$(jget .error)/$(jget .field)" "400/invalid_seating/$3"
}
bad "an area named twice" '{"name":"F","capacity":5,"category":"Standing"},{"name":"F","capacity":5,"category":"Standing"}' "seating.standing[1].name"
bad "an area named as a section" '{"name":"Stalls","capacity":5,"category":"Standing"}' "seating.standing[0].name"
bad "capacity 0" '{"name":"F","capacity":0,"category":"Standing"}' "seating.standing[0].capacity"
bad "an unknown category" '{"name":"F","capacity":5,"category":"VIP"}' "seating.standing[0].category"
bad "more than 100 000 places with the seats" '{"name":"F","capacity":99991,"category":"Standing"}' "seating.standing[0].capacity"

# Concurrency: 12 buyers at once of 1 place in an area of 5: exactly 5
# get one, the others 409 sold_out; the counts stay exact.
small="{\"focal_point\":{\"x\":0,\"y\":0},$cats,
 \"sections\":[{\"name\":\"S\",\"rows\":[{\"name\":\"A\",\"seats\":\"1-4\",\"category\":\"Standard\"}]}],
 \"standing\":[{\"name\":\"Bar\",\"capacity\":5,\"category\":\"Standing\"}]}"
admin_post "{\"name\":\"Race\",\"start_time\":\"$start\",\"seating\":$small}"
race=$(jget .show.id)
pids=()
for i in $(seq 1 12); do
    if [ $((i % 3)) = 0 ]; then   # a third also buy a seat of their own
        body="{\"show_id\":$race,\"seats\":[\"S-A-$((i / 3))\"],\"standing\":{\"Bar\":1}}"
    else
        body="{\"show_id\":$race,\"standing\":{\"Bar\":1}}"
    fi
    curl -s -o /dev/null -w '%{http_code}\n' -H "$JSON" \
        --data-binary "$body" "$BASE_URL/book" >>"$TMP_T/race" &
    pids+=($!)
done
wait "${pids[@]}"
check "12 buyers of 1 place of 5: 5 x 201, 7 x 409" \
    eq "$(grep -c '^201$' "$TMP_T/race")/$(grep -c '^409$' "$TMP_T/race")" "5/7"
check "the area's part: 5 booked of 5" \
    eq "$(sql "SELECT p.booked || '/' || p.total FROM show_parts p JOIN standing_areas a USING (show_id, part) WHERE a.show_id = $race")" "5/5"
check "the places of the live bookings are 5, and the seats sold are theirs" \
    eq "$(sql "SELECT coalesce(sum((b.standing->>'Bar')::int), 0) FROM bookings b WHERE b.show_id = $race AND b.status = 'CONFIRMED'")/$(sql "SELECT count(*) FROM seat_assignments a JOIN bookings b ON b.id = a.booking_id WHERE a.show_id = $race AND b.status = 'CONFIRMED'")" \
    "5/$(sql "SELECT coalesce(sum(cardinality(seats)), 0) FROM bookings WHERE show_id = $race AND status = 'CONFIRMED'")"
check "the show's counts: booked equals the live bookings' places" \
    eq "$(counters "$race" | awk -F/ '{print ($1 == $2)}')" 1
check "a refused buyer's seat stayed free" \
    eq "$(sql "SELECT count(*) FROM bookings WHERE show_id = $race AND status = 'FAILED' AND reason = 'sold_out' AND seats IS NOT NULL")" 0
