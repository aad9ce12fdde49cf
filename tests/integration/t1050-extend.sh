# POST /bookings/{id}/extend: the owner of a hold moves its deadline to
# HOLD_TTL_SECONDS (3 s in make test) from now, at most HOLD_MAX_EXTENDS
# (5) times and never past HOLD_MAX_SECONDS (900) after the hold was
# made; then 409 hold_extend_limit. A lapsed hold stays lapsed.
source "$(dirname "$0")/lib.sh"

show=$(make_show 10 "Extended")
h=$(make_hold "$show" 2)
exp0=$(sql "SELECT epoch_us(expires_at) FROM bookings WHERE id = $h")
sleep 1
post_json "/bookings/$h/extend" ""
check "extend: 200, still PENDING" eq "$STATUS/$(jget .message)/$(jget .booking.status)" "200/Hold extended/PENDING"
exp1=$(sql "SELECT epoch_us(expires_at) FROM bookings WHERE id = $h")
check "the deadline moved about a second on (3 s from now)" test \
    $((exp1 - exp0)) -ge 800000 -a $((exp1 - exp0)) -le 2500000
NO_TOKEN=1 post_json "/bookings/$h/extend" ""
check "without a credential: 401" eq "$STATUS" 401
NO_TOKEN=1 post_json "/bookings/$h/extend" "" -H "$STRANGER"
check "a stranger: 404" eq "$STATUS" 404
for _ in 2 3 4 5; do post_json "/bookings/$h/extend" ""; done
check "5 extensions in all" eq "$STATUS/$(sql "SELECT extends FROM bookings WHERE id = $h")" "200/5"
post_json "/bookings/$h/extend" ""
check "a sixth: 409 hold_extend_limit, with the hold" eq \
    "$STATUS/$(jget .error)/$(jget .booking.id)" "409/hold_extend_limit/$h"

h2=$(make_hold "$show" 1)
sql "UPDATE bookings SET created_at = now() - interval '898.5 seconds',
                        expires_at = now() + interval '0.5 second' WHERE id = $h2" >/dev/null
post_json "/bookings/$h2/extend" ""
check "near HOLD_MAX_SECONDS: extended only to 900 s after it was made" eq \
    "$STATUS/$(sql "SELECT expires_at = created_at + interval '900 seconds' FROM bookings WHERE id = $h2")" "200/t"
post_json "/bookings/$h2/extend" ""
check "then 409 hold_extend_limit" eq "$STATUS/$(jget .error)" "409/hold_extend_limit"

post_json /book "{\"show_id\":$show,\"seat_count\":1}"
b=$(jget .booking.id)
post_json "/bookings/$b/extend" ""
check "a confirmed booking: 409 not_a_hold" eq "$STATUS/$(jget .error)" "409/not_a_hold"
h3=$(make_hold "$show" 1)
sql "UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = $h3" >/dev/null
post_json "/bookings/$h3/extend" ""
check "a lapsed hold, not yet swept: 409 hold_expired" eq "$STATUS/$(jget .error)/$(jget .booking.status)" "409/hold_expired/FAILED"
check "and it stays lapsed" eq "$(sql "SELECT expires_at < now() FROM bookings WHERE id = $h3")" t

# Leave no hold to lapse later, under another test's sweep.
for id in "$h" "$h2" "$h3"; do post_json "/bookings/$id/cancel" "" >/dev/null; done
check "its holds are cancelled again" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND status = 'PENDING'")" 0

