# Strict bodies: a member a route does not take is 400 unknown_field,
# naming the first one, and nothing is done; confirm and cancel take no
# body or {} and answer anything else 415 or 400, before anything is
# booked or stored under an Idempotency-Key. The stack runs with
# HOLD_TTL_SECONDS=3: a hold is confirmed right after it is made.
source "$(dirname "$0")/lib.sh"

FUTURE=2089-06-01T20:00:00Z
RUN=$(date +%s%N)

# is_error STATUS CODE [FIELD]: the last answer is the error shape with
# this status, code and field ("-" or absent: no "field" member).
is_error() {
    eq "$STATUS $(header Content-Type) $(jget '[.error, (.message | type), (.field // "-")] | join(" ")')" \
       "$1 application/json $2 string ${3:--}"
}

# names WORD: the last answer's message quotes WORD.
names() { jget .message | grep -qF "\"$1\""; }

# status_of ID: the booking's status as stored, whatever its hold's age.
status_of() { sql "SELECT status FROM bookings WHERE id = $1"; }

show=$(make_show 10 "Strict bodies $RUN")

# ---- POST /book ---------------------------------------------------------------

post_json /book "{\"show_id\":$show,\"seat_count\":1,\"Hold\":true}"
check "book: \"Hold\":true is 400 unknown_field, field Hold" is_error 400 unknown_field Hold
check "book: the message names Hold" names Hold
check "book: \"Hold\" booked nothing: 10 available" eq "$(available "$show")" 10
check "book: and recorded no booking" eq "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show")" 0

post_json /book "{\"show_id\":$show,\"seat\":1}"
check "book: \"seat\" for seat_count is 400 unknown_field seat" is_error 400 unknown_field seat
check "book: the message names seat" names seat
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":true,\"Hold\":false,\"x\":1}"
check "book: the first unknown member is named" is_error 400 unknown_field Hold
post_json /book "{\"zz\":1,\"aa\":2,\"show_id\":$show,\"seat_count\":1}"
check "book: first in the body's order, not by name" is_error 400 unknown_field zz
post_json /book "{\"show_id\":\"$show\",\"seat_count\":1,\"Hold\":true}"
check "book: an unknown member comes before a bad known one" is_error 400 unknown_field Hold
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":{\"Hold\":true}}"
check "book: a nested member is the known one's value: 400 invalid_type hold" is_error 400 invalid_type hold
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\\u0000x\":true}"
check "book: a key with \\u0000 (json-c would read hold) is 400 invalid_json" is_error 400 invalid_json
check "book: none of these booked a seat" eq "$(available "$show")" 10

# A refused body stores nothing under its key: the same key then books.
key="strict-book-$RUN"
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"Hold\":true}" -H "Idempotency-Key: $key"
check "book with a key: \"Hold\" is 400 unknown_field" is_error 400 unknown_field Hold
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $key"
check "the key then books, not replayed, not 422" \
    eq "$STATUS/$(jget .booking.status)/$(header Idempotent-Replayed)" "201/CONFIRMED/"
booked=$(jget .booking.id)
check "a valid booking takes its seat: 9 available" eq "$(available "$show")" 9

# ---- POST /admin/show ------------------------------------------------------------

name="Strict extra $RUN"
admin_post "{\"name\":\"$name\",\"start_time\":\"$FUTURE\",\"total_seats\":5,\"seats\":5}"
check "admin show: an extra member is 400 unknown_field seats" is_error 400 unknown_field seats
check "admin show: the message names seats" names seats
admin_post "{\"Name\":\"$name\",\"start_time\":\"$FUTURE\",\"total_seats\":5}"
check "admin show: \"Name\" is 400 unknown_field Name" is_error 400 unknown_field Name
check "admin show: no show was created" eq "$(sql "SELECT count(*) FROM shows WHERE name = '$name'")" 0
admin_post "{\"name\":\"$name\",\"start_time\":\"$FUTURE\",\"total_seats\":5}"
check "admin show: a valid body still creates it" eq "$STATUS/$(jget .show.total_seats)" "201/5"

# ---- POST /bookings/{id}/confirm and /cancel: bodies refused -----------------

# The hold is on a show of its own: it may lapse while this runs, which
# frees its seats but leaves it PENDING in the table until a sweep.
show2=$(make_show 10 "Strict holds $RUN")
hold=$(make_hold "$show2" 2)
for op in confirm cancel; do
    # confirm is tried on the hold, cancel on the confirmed booking
    id=$hold
    [ $op = cancel ] && id=$booked
    path=/bookings/$id/$op
    req POST "$path" 'please' -H 'Content-Type: text/plain'
    check "$op: a text/plain body is 415" is_error 415 unsupported_media_type
    req POST "$path" '{}' -H 'Content-Type: text/plain'
    check "$op: {} as text/plain is 415" is_error 415 unsupported_media_type
    req POST "$path" '{}'
    check "$op: {} as curl's default form type is 415" is_error 415 unsupported_media_type
    req POST "$path" '{}' -H 'Content-Type:'
    check "$op: {} with no Content-Type is 415" is_error 415 unsupported_media_type
    post_json "$path" '{"x":1}'
    check "$op: {\"x\":1} is 400 unknown_field x" is_error 400 unknown_field x
    check "$op: the message names x" names x
    post_json "$path" '{"reason":"changed my mind"}'
    check "$op: {\"reason\":...} is 400 unknown_field reason" is_error 400 unknown_field reason
    for body in '[]' '[{}]' '1' 'null' '"{}"' '{' '{}x' ' '; do
        post_json "$path" "$body"
        check "$op: '$body' is 400 invalid_json" is_error 400 invalid_json
    done
    post_json "$path" '{"x":1}' -H "Idempotency-Key: strict-$op-$RUN"
    check "$op with a key: {\"x\":1} is 400 unknown_field" is_error 400 unknown_field x
done
check "confirm: the refused hold is still PENDING" eq "$(status_of "$hold")" PENDING
check "confirm: its show's counter still holds its 2 seats" eq "$(counters "$show2")" "2/2"
check "cancel: the refused booking is still CONFIRMED" eq "$(status_of "$booked")" CONFIRMED
check "cancel: its seat is still taken: 9 available" eq "$(available "$show")" 9

# ---- and bodies taken: none, or {} ---------------------------------------------

h=$(make_hold "$show" 1)
post_json "/bookings/$h/confirm" '{}' -H "Idempotency-Key: strict-confirm-$RUN"
check "confirm: {} as JSON proceeds: 200 CONFIRMED, under a key refused before" \
    eq "$STATUS/$(jget .booking.status)/$(header Idempotent-Replayed)" "200/CONFIRMED/"
req POST "/bookings/$h/confirm" "" -H "Idempotency-Key: strict-confirm-$RUN"
check "confirm: no body replays {} under its key (the same request)" \
    eq "$STATUS/$(jget .booking.status)/$(header Idempotent-Replayed)" "200/CONFIRMED/true"
h=$(make_hold "$show" 1)
post_json "/bookings/$h/confirm" ' { } '
check "confirm: ' { } ' as JSON proceeds: 200 CONFIRMED" eq "$STATUS/$(jget .booking.status)" "200/CONFIRMED"
h=$(make_hold "$show" 1)
req POST "/bookings/$h/confirm"
check "confirm: no body, no Content-Type proceeds: 200 CONFIRMED" eq "$STATUS/$(jget .booking.status)" "200/CONFIRMED"
h=$(make_hold "$show" 1)
req POST "/bookings/$h/confirm" "" --data-binary '' -H 'Content-Type: text/plain'
check "confirm: Content-Length 0 as text/plain proceeds: 200 CONFIRMED" eq "$STATUS/$(jget .booking.status)" "200/CONFIRMED"
check "4 confirmed holds: 5 available" eq "$(available "$show")" 5

post_json "/bookings/$booked/cancel" '{}' -H "Idempotency-Key: strict-cancel-$RUN"
check "cancel: {} as JSON proceeds: 200 CANCELLED, under a key refused before" \
    eq "$STATUS/$(jget .booking.status)/$(header Idempotent-Replayed)" "200/CANCELLED/"
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
req POST "/bookings/$(jget .booking.id)/cancel"
check "cancel: no body, no Content-Type proceeds: 200 CANCELLED" eq "$STATUS/$(jget .booking.status)" "200/CANCELLED"
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
req POST "/bookings/$(jget .booking.id)/cancel" "" --data-binary ''
check "cancel: Content-Length 0 as a form proceeds: 200 CANCELLED" eq "$STATUS/$(jget .booking.status)" "200/CANCELLED"
check "1 seat back: 6 available" eq "$(available "$show")" 6
check "counters equal the live bookings" eq "$(counters "$show")" "4/4"
