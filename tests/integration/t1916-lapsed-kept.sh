# A channel's lapsed hold of the seats kept for it: they go back to
# being kept (blocked), not on sale, so a show's availability must not
# count them free before the sweep, on the page of shows nor on the
# show (review of 42b4352..3f82ff8: the lapsed seats were added back by
# seat_count, while the hold took them from no part's count).
source "$(dirname "$0")/lib.sh"

start=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
admin_post "{\"name\":\"Kept\",\"start_time\":\"$start\",\"seating\":{
 \"focal_point\":{\"x\":5,\"y\":0},
 \"categories\":[{\"name\":\"All\",\"colour\":\"#336699\",\"price\":1000}],
 \"sections\":[{\"name\":\"Hall\",\"rows\":[{\"name\":\"A\",\"seats\":\"1-12\",\"category\":\"All\"}]}]}}"
show=$(jget .show.id)
post_json /admin/keys '{"name":"Kept seats office"}' -H "$ADMIN"
cid=$(jget .key.id) CH="Authorization: Bearer $(jget .secret)"
post_json "/admin/shows/$show/seats/block" "{\"seats\":[\"Hall-A-1\",\"Hall-A-2\"],\"channel\":$cid}" -H "$ADMIN"
check "two seats kept for a channel: 200" eq "$STATUS" 200
req GET "/shows/$show"
check "10 of 12 on sale" eq "$(jget .available_seats)" 10

post_json /book '{"show_id":'"$show"',"seats":["Hall-A-1","Hall-A-2"],"hold":true}' -H "$CH"
check "the channel holds its kept seats: 201" eq "$STATUS" 201
req GET "/shows/$show"
check "still 10 on sale" eq "$(jget .available_seats)" 10

sleep "$(( ${HOLD_TTL_SECONDS:-3} + 1 ))"
check "the hold lapsed and nobody swept it" \
    eq "$(sql "SELECT status FROM bookings WHERE show_id = $show")" PENDING
req GET "/shows/$show"
check "GET /shows/{id}: still 10 on sale, not 12" eq "$(jget .available_seats)" 10
req GET "/shows?limit=1000"
check "GET /shows: the same" eq "$(jget ".[] | select(.id == $show) | .available_seats")" 10
req GET "/shows/$show/seats"
check "the map: the two are kept again (b)" eq "$(jget .states | cut -c1-3)" bbf
