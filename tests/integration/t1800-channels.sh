# Channels: the admin makes a key for a box office's server (shown once,
# kept hashed); requests bearing it are that channel: its own caps (past
# an anonymous client's), its own Idempotency-Key namespace, its buyers'
# references, and the bookings it made. Revoked, the key stops at once.
# On workers of this test's own with the shipped anonymous caps.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

STACK_DIR=$TMP_T/own
mkdir -p "$STACK_DIR"
trap 'stack_nginx_stop; stack_fcgi_stop; rm -rf "$TMP_T"' EXIT
export MAX_SEATS_PER_BOOKING=10 MAX_LIVE_HOLDS=4 MAX_HELD_SEATS=20 HOLD_TTL_SECONDS=60
stack_fcgi_start && stack_nginx_start "$(stack_free_port)" \
    || { echo "not ok - workers with the shipped caps did not start"; exit 1; }

post_json /admin/keys '{"name":"Box office"}'
check "no admin token: 401" eq "$STATUS/$(jget .error)" "401/unauthorized"
post_json /admin/keys '{"name":"Box office","limits":{"max_seats_per_booking":50,"max_live_holds":10,"max_held_seats":100}}' -H "$ADMIN"
check "a channel key: 201" eq "$STATUS/$(jget .message)" "201/Channel key created"
cid=$(jget .key.id) key=$(jget .secret)
check "its secret: key_ and 43 url-safe characters, shown once" \
    bash -c "[[ '$key' =~ ^key_[A-Za-z0-9_-]{43}\$ ]]"
check "its caps as given" eq "$(echo "$BODY" | jq -c .key.limits)" \
    '{"max_seats_per_booking":50,"max_live_holds":10,"max_held_seats":100}'
check "the database keeps only the key's SHA-256" eq \
    "$(sql "SELECT key_hash = sha256('$key'::bytea) FROM channels WHERE id = $cid")" t
post_json /admin/keys '{"name":"Other","limits":{"max_seats_per_bookings":1}}' -H "$ADMIN"
check "an unknown cap: 400 unknown_field" eq "$STATUS/$(jget .field)" "400/max_seats_per_bookings"
post_json /admin/keys '{"name":"Other"}' -H "$ADMIN"
other=$(jget .secret)
req GET /admin/keys "" -H "$ADMIN"
check "GET /admin/keys lists them, without a secret" eq \
    "$STATUS/$(jget "[.keys[] | select(.id == $cid)] | length")/$(echo "$BODY" | grep -c 'key_')" "200/1/0"
CH="Authorization: Bearer $key"

show=$(make_show 1000 "Channel sale")
post_json /book "{\"show_id\":$show,\"seat_count\":30}"
check "anonymous: 30 seats is past the cap of 10" eq "$STATUS/$(jget .error)" "409/seat_limit"
post_json /book "{\"show_id\":$show,\"seat_count\":30}" -H "$CH"
check "the channel books 30 (its cap: 50)" eq "$STATUS" 201
cb=$(jget .booking.id)
post_json /book "{\"show_id\":$show,\"seat_count\":51}" -H "$CH"
check "and not 51" eq "$STATUS/$(jget .error)" "409/seat_limit"
for i in $(seq 1 10); do post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":true}" -H "$CH"; done
check "10 live holds (anonymous: 4)" eq "$STATUS/$(sql "SELECT count(*) FROM bookings
    WHERE channel_id = $cid AND status = 'PENDING'")" "201/10"
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":true}" -H "$CH"
check "an eleventh: 409 hold_limit" eq "$STATUS/$(jget .error)" "409/hold_limit"

NO_TOKEN=1 req GET "/bookings/$cb" "" -H "$CH"
check "the channel's key reads its booking" eq "$STATUS/$(jget .booking.id)" "200/$cb"
NO_TOKEN=1 req GET "/bookings/$cb" "" -H "Authorization: Bearer $other"
check "another channel's key does not: 404" eq "$STATUS" 404
req GET "/bookings/$cb"
check "the booking's own token still does" eq "$STATUS" 200
b=$(post_json /book "{\"show_id\":$show,\"seat_count\":1}" --interface 127.0.0.2 >/dev/null; jget .booking.id)
NO_TOKEN=1 post_json "/bookings/$b/cancel" "" -H "$CH"
check "nor does the channel's key open what it did not book" eq "$STATUS" 404
NO_TOKEN=1 post_json "/bookings/$cb/cancel" "" -H "$CH"
check "the channel cancels its booking" eq "$STATUS/$(jget .booking.status)" "200/CANCELLED"

# Buyers: the channel's reference, and a show's cap per customer.
capped=$(admin_post "{\"name\":\"Per buyer\",\"start_time\":\"$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)\",\"total_seats\":100,\"max_seats_per_customer\":4}"; jget .show.id)
post_json /book "{\"show_id\":$capped,\"seat_count\":4,\"customer\":\"alice@example.org\"}" -H "$CH"
check "alice gets 4" eq "$STATUS" 201
check "her reference is stored" eq \
    "$(sql "SELECT customer_ref FROM bookings WHERE id = $(jget .booking.id)")" "alice@example.org"
check "and returned with the booking" eq "$(jget .booking.customer)" "alice@example.org"
ab=$(jget .booking.id)
NO_TOKEN=1 req GET "/bookings/$ab" "" -H "$CH"
check "and by GET /bookings/{id}" eq "$STATUS/$(jget .booking.customer)" "200/alice@example.org"
post_json /book "{\"show_id\":$capped,\"seat_count\":1,\"customer\":\"alice@example.org\"}" -H "$CH"
check "and not a fifth" eq "$STATUS/$(jget .error)" "409/customer_limit"
post_json /book "{\"show_id\":$capped,\"seat_count\":4,\"customer\":\"bob\"}" -H "$CH"
check "bob gets his 4 through the same channel" eq "$STATUS" 201
bb=$(jget .booking.id)
NO_TOKEN=1 post_json "/bookings/$ab/confirm" "" -H "$CH"
check "a confirm answers with the buyer's reference too" eq \
    "$STATUS/$(jget .booking.customer)" "200/alice@example.org"
NO_TOKEN=1 post_json "/bookings/$bb/cancel" "" -H "$CH"
check "and a cancel" eq "$STATUS/$(jget .booking.customer)" "200/bob"
post_json /book "{\"show_id\":$capped,\"seat_count\":1,\"customer\":\"bob\"}"
check "only a channel names its customer: 400" eq "$STATUS/$(jget .field)" "400/customer"

# Its own namespace of Idempotency-Keys.
post_json /book "{\"show_id\":$show,\"seat_count\":2}" -H "$CH" -H "Idempotency-Key: same-key-$$"
k1=$(jget .booking.id)
post_json /book "{\"show_id\":$show,\"seat_count\":2}" -H "Idempotency-Key: same-key-$$"
check "the same key without the channel's key: another booking" eq \
    "$STATUS/$([ "$(jget .booking.id)" != "$k1" ] && echo other)/$(header Idempotent-Replayed)" "201/other/"
post_json /book "{\"show_id\":$show,\"seat_count\":2}" -H "$CH" -H "Idempotency-Key: same-key-$$"
check "with it again: the channel's first, replayed" eq \
    "$(jget .booking.id)/$(header Idempotent-Replayed)" "$k1/true"

# Revoked: at once, in every worker.
req DELETE "/admin/keys/$cid" "" -H "$ADMIN"
check "DELETE /admin/keys/{id}: 200, revoked" eq \
    "$STATUS/$(jget '.key.revoked_at | type')" "200/string"
fails=0
for i in $(seq 1 8); do
    post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "$CH"
    [ "$STATUS/$(jget .error)" = 401/unauthorized ] || fails=$((fails + 1))
done
check "8 bookings with the revoked key right after, across the workers: all 401" eq "$fails" 0
NO_TOKEN=1 req GET "/bookings/$k1" "" -H "$CH"
check "and it opens nothing: 404" eq "$STATUS" 404
req DELETE "/admin/keys/$cid" "" -H "$ADMIN"
check "revoking again: 200" eq "$STATUS" 200
req DELETE "/admin/keys/9223372036854775807" "" -H "$ADMIN"
check "an unknown key id: 404 key_not_found" eq "$STATUS/$(jget .error)" "404/key_not_found"
