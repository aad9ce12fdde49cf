# book_seats() never deadlocks against itself. The interleaving that
# used to (issue 13), forced with a row lock and pg_stat_activity:
#   A holds part 1 (an open booking of 7 of its 10 free seats);
#   B, 4 seats, finds no free part (part 0 has 3 seats) and waits for 1;
#   C, 11 seats, fits no single part: it locks part 0, waits for part 1;
#   A commits: part 1 has 3 seats, too few for B, whose lock on it used
#   to stay while B went on to lock the whole show from part 0, held by
#   C, which waited for B: deadlock detected.
# Now B gives back the part it found too full before waiting for any
# other, and the two end as the seats allow: B booked 4 of the 6 left
# (3 + 1), C sold out. Run as psql sessions, each its own backend.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

show=$(make_show 2000 "Two parts")
check "a show of 2000 seats has 2 parts" eq \
    "$(sql "SELECT count(*) FROM show_parts WHERE show_id = $show")" 2
# Part 0 with 3 seats left, part 1 with 10: bookings that took them, so
# that every count stays its bookings' seats (t1100 checks all shows).
sql "INSERT INTO bookings (show_id, seat_count, status, parts, part_seats)
     VALUES ($show, 997, 'CONFIRMED', '{0}', '{997}'),
            ($show, 990, 'CONFIRMED', '{1}', '{990}');
     UPDATE show_parts SET booked = total - (CASE part WHEN 0 THEN 3 ELSE 10 END)
      WHERE show_id = $show" >/dev/null

deadlocks() {
    sql "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
}
# waiting NAME: the session of that application_name waits for a lock.
waiting() {
    [ "$(sql "SELECT count(*) FROM pg_stat_activity
               WHERE application_name = '$1' AND wait_event_type = 'Lock'")" = 1 ]
}
session() {
    PGAPPNAME=$1 psql -X -qtA -v ON_ERROR_STOP=1 "$DATABASE_URL" \
        -c "SET lock_timeout = '20s'" -c "$2" >"$TMP_T/$1.out" 2>&1
}
before=$(deadlocks)

# A: its part-1 lock until the file fifo says commit.
mkfifo "$TMP_T/a.in"
PGAPPNAME=t0460-A psql -X -qtA -v ON_ERROR_STOP=1 "$DATABASE_URL" \
    <"$TMP_T/a.in" >"$TMP_T/A.out" 2>&1 &
apid=$!
exec 7>"$TMP_T/a.in"
echo "BEGIN; UPDATE show_parts SET booked = booked + 7 WHERE show_id = $show AND part = 1;
      INSERT INTO bookings (show_id, seat_count, status, parts, part_seats)
      VALUES ($show, 7, 'CONFIRMED', '{1}', '{7}');
      SELECT 'A holds part 1';" >&7
stack_wait_for 10 grep -qs 'A holds part 1' "$TMP_T/A.out"

session t0460-B "SELECT (book_seats($show, 4, NULL)).outcome" &
bpid=$!
check "B waits for part 1" stack_wait_for 10 waiting t0460-B
session t0460-C "SELECT (book_seats($show, 11, NULL)).outcome" &
cpid=$!
check "C waits too" stack_wait_for 10 waiting t0460-C
echo "COMMIT;" >&7
exec 7>&-
wait "$apid" "$bpid"
brc=$?
wait "$cpid"
crc=$?
check "B ends without an error" eq "$brc/$(cat "$TMP_T/t0460-B.out")" "0/ok"
check "C ends without an error: sold out" eq "$crc/$(cat "$TMP_T/t0460-C.out")" "0/sold_out"
check "neither session met 'deadlock detected'" bash -c \
    "! grep -q 'deadlock detected' '$TMP_T/t0460-B.out' '$TMP_T/t0460-C.out'"
check "the show's 20 seats went to A (7) and B (4); 2 are left" eq \
    "$(sql "SELECT sum(total - booked) FROM show_parts WHERE show_id = $show")" 2
# Statistics reach pg_stat_database when a backend goes idle, within 1 s
# of its last report; these three have exited, which reports at once.
sleep 1.5
check "pg_stat_database.deadlocks did not move" eq "$(deadlocks)" "$before"
