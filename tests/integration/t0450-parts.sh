# A big show's seats are split into parts locked independently. A busy or
# empty part never makes a booking fail: bookings larger than a part and
# the last seats scattered over many parts still succeed, and sold out
# means the whole show lacks the seats. Counters stay exact per part.
source "$(dirname "$0")/lib.sh"

# Every part's count equals the seats its live bookings took from it.
parts_exact() {
    eq "$(sql "SELECT count(*) FROM show_parts p WHERE p.show_id = $1 AND p.booked <> coalesce((
                 SELECT sum(u.seats) FROM bookings b, unnest(b.parts, b.part_seats) AS u(part, seats)
                  WHERE b.show_id = p.show_id AND u.part = p.part
                    AND b.status IN ('CONFIRMED', 'PENDING')), 0)")" 0
}

show=$(make_show 4000 "Four parts")
check "a show of 4000 seats has 4 parts of 1000" eq \
    "$(sql "SELECT count(*) || 'x' || min(total) || '-' || max(total) FROM show_parts WHERE show_id = $show")" "4x1000-1000"
post_json /book "{\"show_id\":$show,\"seat_count\":2500}"
check "a booking larger than a part succeeds" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
big=$(jget .booking.id)
check "it took its seats from several parts" test \
    "$(sql "SELECT cardinality(parts) FROM bookings WHERE id = $big")" -ge 3
check "parts exact" parts_exact "$show"
post_json "/bookings/$big/cancel" ""
check "cancelling it gives every part its seats back" eq \
    "$(sql "SELECT sum(booked) FROM show_parts WHERE show_id = $show")/$(available "$show")" "0/4000"

# Leave 3 seats in each of 16 parts: 48 seats scattered.
show2=$(make_show 16000 "Sixteen parts")
sql "SELECT (book_seats($show2, 997, NULL)).outcome FROM generate_series(1, 16)" >/dev/null
check "16 bookings of 997 took one part each" eq \
    "$(sql "SELECT count(*) FROM show_parts WHERE show_id = $show2 AND booked = 997")" 16
post_json /book "{\"show_id\":$show2,\"seat_count\":20}"
check "20 seats scattered over parts of 3: booked" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
check "from 7 parts" eq "$(sql "SELECT cardinality(parts) FROM bookings WHERE id = $(jget .booking.id)")" 7

# 28 seats left, one or three per part; 300 buyers at once.
urls=()
for _ in $(seq 1 300); do urls+=(-o /dev/null "$BASE_URL/book"); done
curl -s --parallel --parallel-immediate --parallel-max 300 --max-time 60 \
    -X POST -H "$JSON" -d "{\"show_id\":$show2,\"seat_count\":1}" \
    -w '%{http_code}\n' "${urls[@]}" >"$TMP_T/codes"
check "300 buyers for the last 28 seats: exactly 28 get them" eq "$(grep -c '^201$' "$TMP_T/codes")" 28
check "the others: sold out, nothing else" eq "$(grep -c '^409$' "$TMP_T/codes")" 272
check "the show is full, in every part" eq \
    "$(sql "SELECT count(*) FROM show_parts WHERE show_id = $show2 AND booked = total")" 16
check "parts exact" parts_exact "$show2"
check "counters equal the live bookings" eq "$(counters "$show2")" "16000/16000"

# Holds in parts: a lapsed hold's seats go back to its part.
show3=$(make_show 3000 "Holds in parts")
h=$(make_hold "$show3" 1500)
check "a hold across parts" test "$(sql "SELECT cardinality(parts) FROM bookings WHERE id = $h")" -ge 2
sleep 3.2
post_json /book "{\"show_id\":$show3,\"seat_count\":3000}"
check "once lapsed, the whole show can be booked" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
check "the hold was released into its parts once" parts_exact "$show3"
check "counters" eq "$(counters "$show3")" "3000/3000"
