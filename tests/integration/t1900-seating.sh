# Reserved seating, first slice (issue 16): a seated show is created from
# a layout, its map shows every seat's live state (with an ETag and 304),
# chosen seats are booked all or nothing (409 seats_taken naming those
# that were not free), a hold's seats are held, then free the moment it
# lapses, before any sweep, and a cancel gives them back; concurrent
# buyers of overlapping seats never get a seat twice, and the parts'
# counts stay equal to the seats assigned.
source "$(dirname "$0")/lib.sh"

start=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
hall='{"focal_point":{"x":5,"y":0},
 "categories":[{"name":"Premium","colour":"#B03A2E","price":6500},
               {"name":"Standard","colour":"#2e86c1","price":4200}],
 "sections":[
  {"name":"Stalls","y":2,"rows":[
     {"name":"A","seats":"1-10","category":"Premium","gaps_after":[5]},
     {"names":"B-C","seats":"1-10","category":"Standard"}]},
  {"name":"Circle","y":8,"rows":[{"names":"A-B","seats":"1-8","category":"Standard"}]},
  {"name":"Balcony","y":12,"rows":[{"name":"A","seats":"1-6","category":"Standard"}]}]}'
admin_post "{\"name\":\"Hall\",\"start_time\":\"$start\",\"seating\":$hall}"
check "a seated show: 201, its total the layout's 52 seats" \
    eq "$STATUS/$(jget .show.total_seats)/$(jget .show.booked_seats)" "201/52/0"
show=$(jget .show.id)

req GET "/shows/$show/seats"
check "its map: 200, 52 seats, every one free" \
    eq "$STATUS/$(jget '.states | length')/$(jget '.states | test("^f+$")')" "200/52/true"
check "the layout as normalized: 3 sections, 6 rows, seat_count 52" \
    eq "$(jget '[(.layout.sections | length), ([.layout.sections[].rows[]] | length), .layout.seat_count] | map(tostring) | join(",")')" "3,6,52"
etag=$(header ETag)
check "with an ETag" test -n "$etag"
req GET "/shows/$show/seats" "" -H "If-None-Match: $etag"
check "polled with it while nothing changed: 304" eq "$STATUS" 304

post_json /book "{\"show_id\":$show,\"seats\":[\"Stalls-A-1\",\"Stalls-A-2\"]}"
check "two chosen seats: 201 CONFIRMED, their labels and price (2 x 6500)" \
    eq "$STATUS/$(jget .booking.status)/$(jget '.booking.seats | join(",")')/$(jget .booking.price)" \
    "201/CONFIRMED/Stalls-A-1,Stalls-A-2/13000"
b1=$(jget .booking.id)
req GET "/shows/$show/seats" "" -H "If-None-Match: $etag"
check "the map changed: 200, the two sold, a new ETag" \
    eq "$STATUS/$(jget '.states[0:3]')/$([ "$(header ETag)" != "$etag" ] && echo new)" "200/ssf/new"

post_json /book "{\"show_id\":$show,\"seats\":[\"Stalls-A-3\",\"Stalls-A-2\"]}"
check "one of them taken: 409 seats_taken naming it" \
    eq "$STATUS/$(jget .error)/$(jget '.seats | join(",")')" "409/seats_taken/Stalls-A-2"
check "all or nothing: A-3 is still free" eq "$(curl -s "$BASE_URL/shows/$show/seats" | jq -r '.states[2:3]')" f

post_json /book "{\"show_id\":$show,\"seats\":[\"Stalls-Z-1\"]}"
check "a seat the show does not have: 400 unknown_seat" eq "$STATUS/$(jget .error)/$(jget .field)" "400/unknown_seat/seats"
post_json /book "{\"show_id\":$show,\"seat_count\":2}"
check "a seated show booked by count: 400 seats_required" eq "$STATUS/$(jget .error)" "400/seats_required"
post_json /book "{\"show_id\":$show,\"seats\":[\"Stalls-A-4\",\"Stalls-A-4\"]}"
check "a seat named twice: 400" eq "$STATUS/$(jget .field)" "400/seats"
post_json /book "{\"show_id\":$show,\"seats\":[\"Stalls-A-4\"],\"seat_count\":2}"
check "seat_count beside seats must agree: 400" eq "$STATUS/$(jget .field)" "400/seat_count"
ga=$(make_show 10 "General admission")
post_json /book "{\"show_id\":$ga,\"seats\":[\"Stalls-A-4\"]}"
check "seats on a show sold by count: 400 not_seated" eq "$STATUS/$(jget .error)" "400/not_seated"
req GET "/shows/$ga/seats"
check "and it has no map: 404 not_seated" eq "$STATUS/$(jget .error)" "404/not_seated"
admin_post "{\"name\":\"Bad\",\"start_time\":\"$start\",\"total_seats\":5,\"seating\":$hall}"
check "total_seats and seating both: 400" eq "$STATUS/$(jget .field)" "400/total_seats"
admin_post "{\"name\":\"Bad\",\"start_time\":\"$start\",\"seating\":{\"focal_point\":{\"x\":0,\"y\":0},\"categories\":[{\"name\":\"A\",\"colour\":\"#000000\",\"price\":1}],\"sections\":[{\"name\":\"S\",\"rows\":[{\"name\":\"A\",\"seats\":\"1-5\",\"category\":\"B\"}]}]}}"
check "a layout naming no such category: 400 invalid_seating at its path" \
    eq "$STATUS/$(jget .error)/$(jget .field)" "400/invalid_seating/seating.sections[0].rows[0].category"

check "best available's rows (seat_rows) say what the tables say: every seat free but two" \
    eq "$(seat_rows_stale "$show")" 0

# A hold: held, then free the moment it lapses (HOLD_TTL_SECONDS is 3 in
# make test), before any sweep; the next buyer takes its seats. A second
# hold lapses beside it and is left to the sweeper.
post_json /book "{\"show_id\":$show,\"seats\":[\"Balcony-A-2\",\"Balcony-A-3\"],\"hold\":true}"
swept=$(jget .booking.id)
post_json /book "{\"show_id\":$show,\"seats\":[\"Circle-A-1\",\"Circle-A-2\",\"Circle-A-3\",\"Circle-A-4\"],\"hold\":true}"
check "a hold of 4 seats: 201 PENDING" eq "$STATUS/$(jget .booking.status)" "201/PENDING"
hold=$(jget .booking.id)
check "the rows exact with the holds" eq "$(seat_rows_stale "$show")" 0
circle=$(curl -s "$BASE_URL/shows/$show/seats" | jq -r '.layout.sections[1].rows[0].first')
check "the map shows them held" eq "$(curl -s "$BASE_URL/shows/$show/seats" | jq -r ".states[$circle:$((circle + 4))]")" hhhh
sleep 3.5
check "lapsed: free on the map before any sweep" \
    eq "$(curl -s "$BASE_URL/shows/$show/seats" | jq -r ".states[$circle:$((circle + 4))]")" ffff
post_json /book "{\"show_id\":$show,\"seats\":[\"Circle-A-2\",\"Circle-A-3\"]}"
check "another buyer books two of them: 201" eq "$STATUS" 201
check "the lapsed hold was ended whole, its 4 seats given back first" \
    eq "$(sql "SELECT status || '/' || reason FROM bookings WHERE id = $hold")/$(sql "SELECT count(*) FROM seat_assignments WHERE booking_id = $hold")" "FAILED/expired/0"
check "the rows exact: two of the 4 sold, two free again" eq "$(seat_rows_stale "$show")" 0
DATABASE_URL=$APP_DATABASE_URL "$(cd "$(dirname "$0")/../.." && pwd)/$BUILD/booking-expire" >/dev/null 2>&1
check "the sweeper ends the other lapsed hold; the rows exact" \
    eq "$(sql "SELECT status || '/' || reason FROM bookings WHERE id = $swept")/$(seat_rows_stale "$show")" \
    "FAILED/expired/0"

post_json "/bookings/$b1/cancel" ""
check "a cancel gives its seats back" \
    eq "$STATUS/$(curl -s "$BASE_URL/shows/$show/seats" | jq -r '.states[0:2]')" "200/ff"
check "and the rows say so" eq "$(seat_rows_stale "$show")" 0
req GET "/bookings/$b1"
check "the booking still says which seats it had" eq "$(jget '.booking.seats | join(",")')" "Stalls-A-1,Stalls-A-2"

# 60 buyers at once, each for two adjacent seats of Stalls rows B and C
# (20 seats, overlapping pairs): no seat twice, and the counts exact.
pids=()
for i in $(seq 1 60); do
    row=$(( (i % 2) ? 1 : 2 )); n=$(( (i % 9) + 1 ))
    r=$([ $row = 1 ] && echo B || echo C)
    NO_TOKEN=1 curl -s -o /dev/null -w '%{http_code}\n' -H "$JSON" \
        --data-binary "{\"show_id\":$show,\"seats\":[\"Stalls-$r-$n\",\"Stalls-$r-$((n + 1))\"]}" \
        "$BASE_URL/book" >>"$TMP_T/race" &
    pids+=($!)
done
wait "${pids[@]}"
check "60 buyers of overlapping pairs: only 201 and 409" \
    eq "$(grep -vcE '^(201|409)$' "$TMP_T/race")" 0
check "no seat sold twice: every live booking's seats are its own" \
    eq "$(sql "SELECT count(*) FROM bookings b, unnest(b.seats) x
                WHERE b.show_id = $show AND b.status IN ('CONFIRMED', 'PENDING')")" \
    "$(sql "SELECT count(*) FROM seat_assignments WHERE show_id = $show")"
check "and each 201 holds its two seats" \
    eq "$(( $(grep -c '^201$' "$TMP_T/race") * 2 ))" \
    "$(sql "SELECT count(*) FROM seat_assignments a JOIN seats s USING (show_id, seat)
             WHERE a.show_id = $show AND s.label ~ '^Stalls-[BC]-'")"
check "the parts count exactly the seats assigned (none is blocked)" \
    eq "$(sql "SELECT sum(booked) FROM show_parts WHERE show_id = $show")" \
    "$(sql "SELECT count(*) FROM seat_assignments WHERE show_id = $show")"
check "the rows exact after the race" eq "$(seat_rows_stale "$show")" 0
check "the list of shows counts them too" \
    eq "$(curl -s "$BASE_URL/shows/$show" | jq -r .available_seats)" \
    "$(( 52 - $(sql "SELECT count(*) FROM seat_assignments WHERE show_id = $show") ))"

# Best available: a hall of 20 rows of 20 (one aisle in each row, after
# seat 10), 200 buyers at once each asking for 2 together: all 201,
# exactly its 400 seats in adjacent pairs, no 409 before the end; then
# sold out. The first pair goes to the middle of the front row.
rows='{"focal_point":{"x":10,"y":0},"categories":[{"name":"All","colour":"#123456","price":1000}],
 "sections":[{"name":"Hall","y":1,"rows":[{"names":"A-T","seats":"1-20","category":"All","gaps_after":[10]}]}]}'
admin_post "{\"name\":\"Hall of 400\",\"start_time\":\"$start\",\"seating\":$rows}"
big=$(jget .show.id)
post_json /book "{\"show_id\":$big,\"seat_count\":2,\"best_available\":{}}"
check "best available of 2: 201, the middle of the front row, beside each other (adjacent)" \
    eq "$STATUS/$(jget '.booking.seats | join(",")')/$(jget .booking.adjacent)" "201/Hall-A-9,Hall-A-10/true"
post_json /book "{\"show_id\":$big,\"seat_count\":2,\"best_available\":{\"categories\":[\"None\"]}}"
check "a category the show lacks: 400 unknown_category" eq "$STATUS/$(jget .error)" "400/unknown_category"
post_json /book "{\"show_id\":$big,\"seat_count\":2,\"seats\":[\"Hall-B-1\",\"Hall-B-2\"],\"best_available\":{}}"
check "seats and best_available both: 400" eq "$STATUS/$(jget .field)" "400/best_available"
: >"$TMP_T/best"
seq 1 199 | xargs -P 16 -I@@ curl -s -o /dev/null -w '%{http_code}\n' -H "$JSON" \
    --data-binary "{\"show_id\":$big,\"seat_count\":2,\"best_available\":{}}" \
    "$BASE_URL/book" >>"$TMP_T/best"
check "199 more at once, 16 at a time: all 201 (none refused before the end)" \
    eq "$(grep -c '^201$' "$TMP_T/best")/$(wc -l <"$TMP_T/best")" "199/199"
check "every one of the 400 seats sold, each once" \
    eq "$(sql "SELECT count(*) || '/' || count(DISTINCT seat) FROM seat_assignments WHERE show_id = $big")" "400/400"
check "and its rows say every seat taken" \
    eq "$(seat_rows_stale "$big")/$(sql "SELECT count(*) FROM seat_rows WHERE show_id = $big AND free ~ '1'")" "0/0"
check "every booking two seats beside each other: one row, places next to each other" \
    eq "$(sql "SELECT count(*) FROM bookings b
                 JOIN LATERAL (SELECT count(DISTINCT s.row_first) AS r_, max(s.pos) - min(s.pos) AS span
                                 FROM seats s WHERE s.show_id = b.show_id AND s.seat = ANY (b.seats)) x ON true
                WHERE b.show_id = $big AND b.status = 'CONFIRMED' AND (x.r_ <> 1 OR x.span <> 1)")" 0
post_json /book "{\"show_id\":$big,\"seat_count\":2,\"best_available\":{}}"
check "then: 409 sold_out" eq "$STATUS/$(jget .error)" "409/sold_out"

# A large hall, in a body past 64 KiB (POST /admin/show takes 1 MiB):
# 1000 rows of 50, one entry a row.
python3 - "$start" >"$TMP_T/big.json" <<'PY'
import json, sys
rows = [{"name": "R%04d" % i, "seats": "1-50", "category": "All",
         "gaps_after": [25]} for i in range(1000)]
print(json.dumps({"name": "Arena", "start_time": sys.argv[1], "seating": {
    "focal_point": {"x": 25, "y": -5},
    "categories": [{"name": "All", "colour": "#445566", "price": 3000}],
    "sections": [{"name": "Floor", "rows": rows}]}}))
PY
t0=$(date +%s%N)
req POST /admin/show "@$TMP_T/big.json" -H "$JSON" -H "$ADMIN"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a layout of 50 000 seats in a $(( $(wc -c <"$TMP_T/big.json") / 1024 )) KiB body: 201 (${ms} ms)" \
    eq "$STATUS/$(jget .show.total_seats)" "201/50000"
arena=$(jget .show.id)
req GET "/shows/$arena/seats"
check "its map: 50 000 states" eq "$STATUS/$(jget '.states | length')" "200/50000"
post_json /book "{\"show_id\":$arena,\"seat_count\":4,\"best_available\":{}}"
check "best available of 4 there: the front row, beside each other up to the aisle, not across it" \
    eq "$STATUS/$(jget '.booking.seats | join(",")')" "201/Floor-R0000-22,Floor-R0000-23,Floor-R0000-24,Floor-R0000-25"

# A seated booking lists its seats: best available of more than 1000 is
# refused as "seats" of more than 1000 labels is.
post_json /book "{\"show_id\":$show,\"seat_count\":1001,\"best_available\":{}}"
check "best available of 1001 seats: 400 invalid_value, field seat_count" \
    eq "$STATUS/$(jget .error)/$(jget .field)" "400/invalid_value/seat_count"

# A section the show does not have is the client's mistake, as a
# category is: 400 at once, nothing recorded, no search.
n_before=$(sql "SELECT count(*) FROM bookings WHERE show_id = $show")
post_json /book "{\"show_id\":$show,\"seat_count\":2,\"best_available\":{\"sections\":[\"Nowhere\"]}}"
check "best available in a section the show lacks: 400 unknown_section, field best_available.sections" \
    eq "$STATUS/$(jget .error)/$(jget .field)" "400/unknown_section/best_available.sections"
check "... and nothing recorded" \
    eq "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show")" "$n_before"
