# 300 buyers at the same instant for 50 seats: exactly 50 confirmed, the
# rest 409 with a FAILED booking recorded, counters exact, no 5xx.
source "$(dirname "$0")/lib.sh"

CLIENTS=300
SEATS=50
show=$(make_show "$SEATS" "Concurrency")

# One curl process, 300 simultaneous connections (--parallel-immediate
# opens them all at once instead of multiplexing).
urls=()
for _ in $(seq 1 "$CLIENTS"); do
    urls+=(-o /dev/null "$BASE_URL/book")
done
curl -s --parallel --parallel-immediate --parallel-max "$CLIENTS" \
    --max-time 60 -X POST -H "$JSON" -d "{\"show_id\":$show,\"seat_count\":1}" \
    -w '%{http_code}\n' "${urls[@]}" >"$TMP_T/codes"

count() { grep -c "^$1\$" "$TMP_T/codes"; }
check "every client got an answer" eq "$(wc -l <"$TMP_T/codes")" "$CLIENTS"
check "exactly $SEATS got 201" eq "$(count 201)" "$SEATS"
check "the other $((CLIENTS - SEATS)) got 409" eq "$(count 409)" "$((CLIENTS - SEATS))"
check "no 5xx" eq "$(grep -c '^5' "$TMP_T/codes")" 0

check "booked_seats equals the confirmed seats" eq \
    "$(sql "SELECT s.booked_seats || '/' || coalesce(sum(b.seat_count) FILTER (WHERE b.status = 'CONFIRMED'), 0)
            FROM shows_counted s LEFT JOIN bookings b ON b.show_id = s.id WHERE s.id = $show GROUP BY s.id, s.booked_seats")" \
    "$SEATS/$SEATS"
check "every refusal recorded as FAILED" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND status = 'FAILED'")" \
    "$((CLIENTS - SEATS))"
req GET "/shows/$show"
check "the show reports 0 available" eq "$(jget .available_seats)" 0

# A booking bigger than what is left fails even with seats left.
show2=$(make_show 5 "Almost full")
post_json /book "{\"show_id\":$show2,\"seat_count\":4}"
post_json /book "{\"show_id\":$show2,\"seat_count\":2}"
check "2 seats when 1 is left: 409 sold_out" eq "$STATUS/$(jget .error)/$(jget .booking.status)" "409/sold_out/FAILED"
post_json /book "{\"show_id\":$show2,\"seat_count\":1}"
check "the last seat: 201" eq "$STATUS" 201
