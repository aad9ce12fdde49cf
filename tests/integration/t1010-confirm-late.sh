# A confirm says yes only if the hold is still open and the show not yet
# started at the moment it holds the booking's row lock: a confirm that
# waited for the lock (here behind a session that holds the row while
# the deadline passes) answers 409, as booking and cancel do.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

# hold_row_while SQL: in the background, one transaction that runs SQL,
# locks the booking $hold, then keeps it 1.3 s (below the workers'
# lock_timeout of 2 s) and commits.
hold_row_while() {
    # A new file each time: an old one's "locked" must not be read.
    rm -f "$TMP_T/x.out"
    psql -X -qtA -v ON_ERROR_STOP=1 "$DATABASE_URL" >"$TMP_T/x.out" 2>&1 <<SQL &
BEGIN;
$1;
SELECT 1 FROM bookings WHERE id = $hold FOR UPDATE;
SELECT 'locked';
SELECT pg_sleep(1.3);
COMMIT;
SQL
    xpid=$!
    stack_wait_for 10 grep -qs locked "$TMP_T/x.out"
}

show=$(make_show 10 "Late confirms")
hold=$(make_hold "$show" 2)
sql "UPDATE shows SET start_time = now() - interval '1 second' WHERE id = $show" >/dev/null
post_json "/bookings/$hold/confirm" ""
check "confirm of a hold whose show has started: 409 show_started" eq \
    "$STATUS/$(jget .error)/$(jget .booking.status)" "409/show_started/PENDING"
check "the hold is not confirmed" eq "$(sql "SELECT status FROM bookings WHERE id = $hold")" PENDING

# The show starts while the confirm waits for the booking's row.
show=$(make_show 10 "Starts during the wait")
hold=$(make_hold "$show" 2)
hold_row_while "UPDATE shows SET start_time = now() + interval '0.8 second' WHERE id = $show"
post_json "/bookings/$hold/confirm" ""
wait "$xpid"
check "the show started during the lock wait: 409 show_started" eq \
    "$STATUS/$(jget .error)" "409/show_started"
check "not confirmed" eq "$(sql "SELECT status FROM bookings WHERE id = $hold")" PENDING

# The hold lapses while the confirm waits for the booking's row.
show=$(make_show 10 "Lapses during the wait")
hold=$(make_hold "$show" 2)
hold_row_while "UPDATE bookings SET expires_at = now() + interval '0.8 second' WHERE id = $hold"
post_json "/bookings/$hold/confirm" ""
wait "$xpid"
check "the hold lapsed during the lock wait: 409 hold_expired" eq \
    "$STATUS/$(jget .error)/$(jget .booking.status)" "409/hold_expired/FAILED"
check "not confirmed" eq "$(sql "SELECT status FROM bookings WHERE id = $hold")" PENDING

# And a hold confirmed in time, behind the same wait, is confirmed.
hold=$(make_hold "$show" 2)
hold_row_while "SELECT 1"
post_json "/bookings/$hold/confirm" ""
wait "$xpid"
check "a hold still open after the wait: 200 CONFIRMED" eq \
    "$STATUS/$(jget .booking.status)" "200/CONFIRMED"

# Cancel judges the start the same way.
b=$(post_json /book "{\"show_id\":$show,\"seat_count\":1}" >/dev/null; jget .booking.id)
hold=$b
hold_row_while "UPDATE shows SET start_time = now() + interval '0.8 second' WHERE id = $show"
post_json "/bookings/$b/cancel" ""
wait "$xpid"
check "cancel: the show started during the lock wait: 409 show_started" eq \
    "$STATUS/$(jget .error)" "409/show_started"
