# Selling out a 16-part show with 32 buyers at once, three times, and a
# fourth time through the service: no deadlock (pg_stat_database.deadlocks
# and PostgreSQL's log), every call ok or sold out (every answer a 201 or a
# 409 sold_out), a sold out only for more seats than were left, and every
# count exact. Bookings of 1 to 8 seats, and 1 in 100 of 1100 (more than
# a part: the slow path that locks the whole show).
#
# The three rounds call book_seats() from pgbench, 32 sessions at once:
# through the service there are only as many sessions as workers (4 in
# make test), too few to meet the interleavings that deadlocked.
source "$(dirname "$0")/lib.sh"

REQUESTS=4608 CLIENTS=32
deadlocks() {
    sql "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
}
log_deadlocks() {
    grep -c 'deadlock detected' "$PG_DIR/server.log" 2>/dev/null || true
}
# check_sold_out ROUND SHOW CALLS: the show after CALLS bookings.
check_sold_out() {
    local round=$1 show=$2 calls=$3 left
    check "$round: each call a CONFIRMED booking or a sold out" eq \
        "$(sql "SELECT count(*) FILTER (WHERE status = 'CONFIRMED' OR reason = 'sold_out')
                  FROM bookings WHERE show_id = $show")" "$calls"
    left=$(sql "SELECT sum(total - booked) FROM show_parts WHERE show_id = $show")
    # No cancels, no holds: the free seats only shrink, so a sold out
    # for n seats while n or more are still free at the end was false.
    check "$round: no sold out for fewer seats than were left ($left)" eq \
        "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show
                   AND reason = 'sold_out' AND seat_count <= $left")" 0
    check "$round: sold to the last seat" test "$left" -lt 8
    check "$round: every part's count is its bookings' seats" eq \
        "$(sql "SELECT count(*) FROM show_parts p WHERE p.show_id = $show AND p.booked <> coalesce((
                  SELECT sum(u.seats) FROM bookings b, unnest(b.parts, b.part_seats) AS u(part, seats)
                   WHERE b.show_id = p.show_id AND u.part = p.part
                     AND b.status = 'CONFIRMED'), 0)")" 0
    check "$round: booked + free = 16000" eq "$(counters "$show")" \
        "$((16000 - left))/$((16000 - left))"
}
before=$(deadlocks)
log_before=$(log_deadlocks)

cat >"$TMP_T/book.sql" <<'SQL'
\set r random(1, 100)
\set n random(1, 8)
SELECT (book_seats(:show, CASE WHEN :r = 1 THEN 1100 ELSE :n END, NULL)).outcome;
SQL
for round in 1 2 3; do
    show=$(make_show 16000 "Sell-out $round")
    "$PG_BIN/pgbench" -n -c "$CLIENTS" -j 2 -t $((REQUESTS / CLIENTS)) \
        -D show="$show" -f "$TMP_T/book.sql" "$DATABASE_URL" >"$TMP_T/pgbench.$round" 2>&1
    rc=$?
    echo "# round $round: $(grep -E '^(number of (transactions actually processed|failed)|tps)' "$TMP_T/pgbench.$round" | tr '\n' ' ')"
    check "pgbench round $round: no call failed" eq \
        "$rc/$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$TMP_T/pgbench.$round")" "0/0"
    check_sold_out "pgbench round $round" "$show" "$REQUESTS"
done

show=$(make_show 16000 "Sell-out through the service")
# One curl, CLIENTS transfers at a time; each its own body.
awk -v n="$REQUESTS" -v show="$show" -v url="$BASE_URL/book" '
    BEGIN { srand(4)
            for (i = 0; i < n; i++) {
                seats = (rand() < 0.01) ? 1100 : 1 + int(rand() * 8)
                if (i) print "next"
                printf "url = \"%s\"\nrequest = \"POST\"\n", url
                print "header = \"Content-Type: application/json\""
                printf "data = \"{\\\"show_id\\\":%d,\\\"seat_count\\\":%d}\"\n", show, seats
                print "output = \"/dev/null\""
                print "write-out = \"%{http_code}\\n\""
            } }' >"$TMP_T/curl.cfg"
curl -s --parallel --parallel-immediate --parallel-max "$CLIENTS" \
    --max-time 60 -K "$TMP_T/curl.cfg" >"$TMP_T/codes"
echo "# through the service: $(sort "$TMP_T/codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
check "through the service: every answer is 201 or 409" eq \
    "$(grep -cvE '^(201|409)$' "$TMP_T/codes")" 0
check "through the service: each 201 a CONFIRMED booking, each 409 a sold_out" eq \
    "$(grep -c '^201$' "$TMP_T/codes")/$(grep -c '^409$' "$TMP_T/codes")" \
    "$(sql "SELECT count(*) FILTER (WHERE status = 'CONFIRMED') || '/' ||
                   count(*) FILTER (WHERE reason = 'sold_out')
              FROM bookings WHERE show_id = $show")"
check_sold_out "through the service" "$show" "$REQUESTS"

check "no 'deadlock detected' in PostgreSQL's log" eq "$(log_deadlocks)" "$log_before"
# A backend reports its statistics once idle for 10 s at most.
sleep 11
after=$(deadlocks)
echo "# pg_stat_database.deadlocks: $before before, $after after"
check "pg_stat_database.deadlocks did not move" eq "$after" "$before"
