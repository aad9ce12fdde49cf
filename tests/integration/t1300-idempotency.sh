# Idempotency-Key: a replay returns the stored answer and changes nothing
# (the body compared as JSON: same members and values, any order and
# spacing); the key with another request is 422; many at once make one
# effect.
source "$(dirname "$0")/lib.sh"

show=$(make_show 10 "Idempotent")
key="book-$(date +%s%N)"
post_json /book "{\"show_id\":$show,\"seat_count\":2}" -H "Idempotency-Key: $key"
first=$BODY
check "first request with a key: 201" eq "$STATUS/$(header Idempotent-Replayed)" "201/"
post_json /book "{\"show_id\":$show,\"seat_count\":2}" -H "Idempotency-Key: $key"
check "replay: the same 201 and body" eq "$STATUS/$BODY" "201/$first"
check "replay: marked Idempotent-Replayed" eq "$(header Idempotent-Replayed)" true
check "replay: the same Location" eq "$(header Location)" "/bookings/$(echo "$first" | jq -r .booking.id)"
check "replay: took no more seats" eq "$(available "$show")" 8
post_json /book " { \"seat_count\" : 2,
    \"show_id\":$show } " -H "Idempotency-Key: $key"
check "a retry whose body is built again (members reordered, other spacing): the same 201, replayed" \
    eq "$STATUS/$(header Idempotent-Replayed)/$(jget .booking.id)" "201/true/$(echo "$first" | jq -r .booking.id)"
post_json /book "{\"show_id\":$show,\"seat_count\":2,\"hold\":false}" -H "Idempotency-Key: $key"
check "a member more (even a default): another request, 422" eq "$STATUS/$(jget .error)" "422/idempotency_key_reused"
post_json /book "{\"show_id\":$show,\"seat_count\":3}" -H "Idempotency-Key: $key"
check "the key with another body: 422 idempotency_key_reused" eq "$STATUS/$(jget .error)" "422/idempotency_key_reused"
post_json "/bookings/$(echo "$first" | jq -r .booking.id)/cancel" "" -H "Idempotency-Key: $key"
check "the key on another route: 422" eq "$STATUS/$(jget .error)" "422/idempotency_key_reused"
check "and nothing was cancelled" eq "$(available "$show")" 8

# 30 at once with one key: one booking, every answer the same.
key2="burst-$(date +%s%N)"
for i in $(seq 1 30); do
    curl -s -o /dev/null -X POST -H "$JSON" -H "Idempotency-Key: $key2" -w '%{http_code}\n' \
        -d "{\"show_id\":$show,\"seat_count\":1}" "$BASE_URL/book" >>"$TMP_T/burst.codes" &
done
wait
check "30 concurrent requests with one key all answer 201" eq "$(grep -c '^201$' "$TMP_T/burst.codes")" 30
check "and make exactly one booking" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND seat_count = 1")" 1
check "which took one seat" eq "$(available "$show")" 7

# The stored answer is what is replayed, even after the booking changed.
post_json /book "{\"show_id\":$show,\"seat_count\":1,\"hold\":true}"
hold=$(jget .booking.id)
ckey="confirm-$(date +%s%N)"
post_json "/bookings/$hold/confirm" "" -H "Idempotency-Key: $ckey"
check "confirm with a key: 200" eq "$STATUS/$(jget .booking.status)" "200/CONFIRMED"
post_json "/bookings/$hold/cancel" ""
post_json "/bookings/$hold/confirm" "" -H "Idempotency-Key: $ckey"
check "its replay after a cancel: still the stored 200 CONFIRMED" \
    eq "$STATUS/$(jget .booking.status)/$(header Idempotent-Replayed)" "200/CONFIRMED/true"

# A refusal is stored too: the replay of a sold-out attempt adds no row.
skey="soldout-$(date +%s%N)"
post_json /book "{\"show_id\":$show,\"seat_count\":50}" -H "Idempotency-Key: $skey"
failed_id=$(jget .booking.id)
post_json /book "{\"show_id\":$show,\"seat_count\":50}" -H "Idempotency-Key: $skey"
check "a sold-out answer replays as the same 409 and FAILED booking" \
    eq "$STATUS/$(jget .error)/$(jget .booking.id)" "409/sold_out/$failed_id"
check "with no second FAILED row" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND status = 'FAILED'")" 1

# Creating a show.
akey="show-$(date +%s%N)"
admin_post '{"name":"Keyed show","start_time":"2098-01-01T00:00:00Z","total_seats":3}' -H "Idempotency-Key: $akey"
sid=$(jget .show.id)
admin_post '{"name":"Keyed show","start_time":"2098-01-01T00:00:00Z","total_seats":3}' -H "Idempotency-Key: $akey"
check "POST /admin/show replay: the same 201 and show" eq "$STATUS/$(jget .show.id)/$(header Location)" "201/$sid//shows/$sid"
check "one show was created" eq "$(sql "SELECT count(*) FROM shows WHERE name = 'Keyed show'")" 1

# Bad keys ("Name;" is how curl sends a header with an empty value).
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key;"
check "an empty Idempotency-Key: 400" eq "$STATUS/$(jget .error)" "400/invalid_idempotency_key"
for bad in "$(printf 'x%.0s' $(seq 1 256))" "$(printf 'caf\xc3\xa9')" "$(printf 'a\x01b')"; do
    post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $bad"
    check "Idempotency-Key of ${#bad} bytes, not printable ASCII 1-255: 400" \
        eq "$STATUS/$(jget .error)" "400/invalid_idempotency_key"
done
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $(printf 'k%.0s' $(seq 1 255))"
check "a 255-character key is accepted" eq "$STATUS" 201

# Keys are kept 24 hours; booking-expire deletes older ones.
sql "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = '$(stored_key "$key")'" >/dev/null
out=$(DATABASE_URL=$APP_DATABASE_URL "$(cd "$(dirname "$0")/../.." && pwd)/$BUILD/booking-expire" 2>&1)
check "the key is stored hashed with its client" eq "$(sql "SELECT count(*) FROM idempotency_keys WHERE key = '$key'")" 0
check "booking-expire deletes keys older than 24 hours" eq "$(sql "SELECT count(*) FROM idempotency_keys WHERE key = '$(stored_key "$key")'")" 0
check "and says so" bash -c "echo \"\$1\" | grep -q 'deleted 1 idempotency keys'" _ "$out"
check "younger keys stay" eq "$(sql "SELECT count(*) FROM idempotency_keys WHERE key = '$(stored_key "$key2")'")" 1
