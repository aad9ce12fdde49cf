# A booking belongs to whoever holds its token: a stranger who walks the
# ids reads, confirms and cancels nothing (401 without a credential, 404
# with a wrong one, as for an unknown id); the token, and the admin
# token, work. An Idempotency-Key belongs to its client: a retry gets the
# same booking and token back; another address with the same key books
# for itself, and learns nothing of the first.
source "$(dirname "$0")/lib.sh"

show=$(make_show 100 "Owned")
post_json /book "{\"show_id\":$show,\"seat_count\":2}"
b1=$(jget .booking.id) t1=$(jget .token)
check "a booking comes with its token: bk_ and 43 url-safe characters" \
    bash -c "[[ '$t1' =~ ^bk_[A-Za-z0-9_-]{43}\$ ]]"
check "the database keeps only its SHA-256" eq \
    "$(sql "SELECT token_hash = sha256('$t1'::bytea) FROM bookings WHERE id = $b1")" t
check "and nowhere the token itself" eq \
    "$(sql "SELECT count(*) FROM bookings b, idempotency_keys k
             WHERE position('$t1' IN b::text) > 0 OR position('$t1' IN k::text) > 0")" 0
h1=$(make_hold "$show" 3)
post_json /book "{\"show_id\":$show,\"seat_count\":1000}"
check "a sold-out attempt comes with a token too (it is a FAILED booking)" eq \
    "$STATUS/$(jget .error)/$(jget '.token | startswith("bk_")')" "409/sold_out/true"

# The stranger: the last 20 ids (this test's bookings and earlier
# tests'), each read, confirmed and cancelled without and with a wrong
# credential: 120 requests.
first=$((h1 > 20 ? h1 - 19 : 1))
snapshot() {
    sql "SELECT string_agg(id || status || coalesce(reason, ''), ',' ORDER BY id)
           FROM bookings WHERE id BETWEEN $first AND $h1"
}
before=$(snapshot)
codes=
for id in $(seq "$first" "$h1"); do
    for op in GET confirm cancel; do
        for auth in none stranger; do
            args=()
            [ "$auth" = stranger ] && args=(-H "$STRANGER")
            if [ "$op" = GET ]; then
                NO_TOKEN=1 req GET "/bookings/$id" "" "${args[@]}"
            else
                NO_TOKEN=1 post_json "/bookings/$id/$op" "" "${args[@]}"
            fi
            codes+="$auth:$STATUS "
        done
    done
done
check "without a credential: every answer 401" eq \
    "$(echo "$codes" | tr ' ' '\n' | grep '^none:' | sort -u | tr '\n' ' ')" "none:401 "
check "with a wrong token: every answer 404, as for an unknown id" eq \
    "$(echo "$codes" | tr ' ' '\n' | grep '^stranger:' | sort -u | tr '\n' ' ')" "stranger:404 "
NO_TOKEN=1 req GET "/bookings/$b1"
check "401 says how to authenticate" eq "$(header WWW-Authenticate)" 'Bearer realm="booking"'
check "$(echo $codes | wc -w) requests, nothing changed" eq "$(snapshot)" "$before"
NO_TOKEN=1 req GET "/bookings/$b1" "" -H "Authorization: Bearer $(token_of "$h1")"
check "one booking's token does not open another" eq "$STATUS" 404
NO_TOKEN=1 req GET "/bookings/$b1" "" -H "Authorization: Bearer ${t1}x"
check "nor does a malformed one" eq "$STATUS" 404

req GET "/bookings/$b1" "" -H "Authorization: Bearer $t1"
check "its token reads it" eq "$STATUS/$(jget .booking.id)" "200/$b1"
# (a new hold: the walk above may outlast make test's 3 s holds)
h2=$(make_hold "$show" 1)
post_json "/bookings/$h2/confirm" "" -H "Authorization: Bearer $(token_of "$h2")"
check "and confirms the hold" eq "$STATUS/$(jget .booking.status)" "200/CONFIRMED"
post_json "/bookings/$b1/cancel" "" -H "$ADMIN"
check "the admin token cancels any booking" eq "$STATUS/$(jget .booking.status)" "200/CANCELLED"

# Idempotency-Key: the retry gets the same booking and token back.
key="owner-key-$$"
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $key"
kb=$(jget .booking.id) kt=$(jget .token)
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $key"
check "a retry with the key: the same booking, replayed" eq \
    "$STATUS/$(jget .booking.id)/$(header Idempotent-Replayed)" "201/$kb/true"
check "and the same token, which still works" eq "$(jget .token)" "$kt"
req GET "/bookings/$kb" "" -H "Authorization: Bearer $kt"
check "(it reads the booking)" eq "$STATUS" 200
check "the key is stored hashed with its client, never as sent" eq \
    "$(sql "SELECT count(*) FROM idempotency_keys WHERE key = '$key'")/$(sql "SELECT count(*) FROM idempotency_keys WHERE key = '$(stored_key "$key")'")" "0/1"
check "the stored token is sealed, not the token" eq \
    "$(sql "SELECT token_box IS NOT NULL AND position(convert_to('$kt', 'UTF8') IN token_box) = 0
              FROM idempotency_keys WHERE key = '$(stored_key "$key")'")" t

# Another client, another address (127.0.0.2), the same key.
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $key" --interface 127.0.0.2
check "another address with the same key books for itself" eq \
    "$STATUS/$([ "$(jget .booking.id)" != "$kb" ] && echo new)/$(header Idempotent-Replayed)" "201/new/"
check "with its own token" test "$(jget .token)" != "$kt"
post_json /book "{\"show_id\":$show,\"seat_count\":2}" -H "Idempotency-Key: $key" --interface 127.0.0.3
check "a third, with the key and another body: its own booking, not 422" eq "$STATUS" 201
post_json /book "{\"show_id\":$show,\"seat_count\":2}" -H "Idempotency-Key: $key"
check "while the key's owner still gets 422 for another body" eq "$STATUS/$(jget .error)" "422/idempotency_key_reused"

# A key written as this release stores it names nothing: another client
# sending the victim's stored form, with the victim's very body, books
# for itself and learns nothing of the victim's booking.
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $(stored_key "$key")" --interface 127.0.0.4
check "a stored key sent as a key replays nothing" eq \
    "$STATUS/$([ "$(jget .booking.id)" != "$kb" ] && echo own)/$(header Idempotent-Replayed)" "201/own/"

# The previous release's workers (old signatures) touch only bookings
# made without a token or a channel.
check "the old confirm_booking(id) cannot confirm a booking that has a token" eq \
    "$(sql "SELECT (confirm_booking($h2)).outcome")" not_found
legacy=$(sql "SELECT (book_seats($show, 1, 60)).id")
check "but still confirms one made the old way" eq \
    "$(sql "SELECT (confirm_booking($legacy)).outcome")" ok
check "and the old cancel_booking(id) cannot cancel one with a token" eq \
    "$(sql "SELECT (cancel_booking($kb)).outcome")/$(sql "SELECT status FROM bookings WHERE id = $kb")" "not_found/CONFIRMED"
