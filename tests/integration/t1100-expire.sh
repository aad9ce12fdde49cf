# booking-expire: releases exactly the lapsed holds, in batches, safely
# beside bookings, confirms, cancels and a second sweeper; fails loudly
# when the database is down.
source "$(dirname "$0")/lib.sh"

expire="$(cd "$(dirname "$0")/../.." && pwd)/$BUILD/booking-expire"
# It runs as the services' role, as in production.
run_expire() {
    OUT=$(DATABASE_URL=${EXPIRE_DB:-$APP_DATABASE_URL} "$expire" "$@" 2>&1)
    RC=$?
}
lapsed_left() {
    sql "SELECT count(*) FROM bookings WHERE status = 'PENDING' AND expires_at <= now()"
}
# Every show's counter equals its live bookings, and none is oversold.
all_counters_exact() {
    eq "$(sql "SELECT count(*) FROM shows_counted s WHERE s.booked_seats <> coalesce((
                 SELECT sum(seat_count) FROM bookings b WHERE b.show_id = s.id
                    AND b.status IN ('CONFIRMED', 'PENDING')), 0)
                 OR s.booked_seats > s.total_seats")" 0
}

# Whatever earlier tests left behind is swept first.
run_expire
check "a first run exits 0" eq "$RC" 0

show=$(make_show 20 "Sweep")
for n in 1 2 3; do make_hold "$show" "$n" >/dev/null; done
keep=$(make_hold "$show" 4)
sleep 1
post_json "/bookings/$keep/confirm" "" >/dev/null
sleep 2.5
before=$(available "$show")
run_expire
check "it exits 0" eq "$RC" 0
check "it prints one summary line" bash -c "[[ \$1 =~ ^expired\ 3\ holds,\ released\ 6\ seats\ in\ [0-9]+\ ms$ ]]" _ "$OUT"
check "the holds are FAILED with reason expired" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND status = 'FAILED' AND reason = 'expired'")" 3
check "the confirmed one is untouched" eq "$(sql "SELECT status FROM bookings WHERE id = $keep")" CONFIRMED
check "availability did not change (it was already lazy)" eq "$(available "$show")" "$before"
check "counters equal the live bookings" eq "$(counters "$show")" "4/4"
run_expire
check "a second run finds nothing" bash -c "[[ \$1 == 'expired 0 holds, released 0 seats in '* ]]" _ "$OUT"

# A backlog of 5000 lapsed holds over 5 shows, released 300 at a time by
# two sweepers at once while buyers book, confirm and cancel.
shows=()
for i in 1 2 3 4 5; do shows+=("$(make_show 2000 "Backlog $i")"); done
ids=$(IFS=,; echo "${shows[*]}")
# (a show of 2000 seats has two parts of 1000: the holds fill part 0)
sql "INSERT INTO bookings (show_id, seat_count, status, expires_at, parts, part_seats)
     SELECT s, 1, 'PENDING', now() - interval '1 second', '{0}', '{1}'
       FROM unnest(ARRAY[$ids]::bigint[]) s, generate_series(1, 1000);
     UPDATE show_parts SET booked = booked + 1000 WHERE show_id IN ($ids) AND part = 0" >/dev/null
live=()
for s in "${shows[@]}"; do live+=("$(make_hold "$s" 2)"); done

EXPIRE_BATCH=300 DATABASE_URL=$APP_DATABASE_URL "$expire" >"$TMP_T/sweep1" 2>&1 & s1=$!
EXPIRE_BATCH=300 DATABASE_URL=$APP_DATABASE_URL "$expire" >"$TMP_T/sweep2" 2>&1 & s2=$!
for s in "${shows[@]}"; do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "$JSON" \
        -d "{\"show_id\":$s,\"seat_count\":1}" "$BASE_URL/book"
done >"$TMP_T/codes"
for id in "${live[@]:0:3}"; do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST \
        -H "Authorization: Bearer $(token_of "$id")" "$BASE_URL/bookings/$id/confirm"
done >>"$TMP_T/codes"
for id in "${live[@]:3}"; do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST \
        -H "Authorization: Bearer $(token_of "$id")" "$BASE_URL/bookings/$id/cancel"
done >>"$TMP_T/codes"
wait "$s1"; rc1=$?
wait "$s2"; rc2=$?
check "both sweepers exit 0" eq "$rc1/$rc2" "0/0"
[ "$rc1/$rc2" = 0/0 ] || sed -e 's/^/#   sweeper: /' "$TMP_T/sweep1" "$TMP_T/sweep2"
check "the requests beside them all succeeded" eq "$(grep -vc '^20[01]$' "$TMP_T/codes")" 0
n1=$(sed -nE 's/^expired ([0-9]+) holds.*/\1/p' "$TMP_T/sweep1")
n2=$(sed -nE 's/^expired ([0-9]+) holds.*/\1/p' "$TMP_T/sweep2")
# (the shows have room, so no booking released a lapsed hold itself)
check "together they expired exactly the 5000, none twice" eq "$((${n1:-0} + ${n2:-0}))" 5000
check "no lapsed hold is left" eq "$(lapsed_left)" 0
check "every counter equals its live bookings, nothing oversold" all_counters_exact
check "the backlog shows are back to what their live bookings hold" eq \
    "$(sql "SELECT string_agg(booked_seats::text, ',' ORDER BY id) FROM shows_counted WHERE id IN ($ids)")" \
    "3,3,3,1,1"

# Failures are loud.
EXPIRE_DB="postgresql://booking_app@127.0.0.1:1/booking" run_expire
check "database down: non-zero exit" test "$RC" -ne 0
check "database down: a clear message" bash -c "echo \"\$1\" | grep -q '^booking-expire: .*connect'" _ "$OUT"
EXPIRE_BATCH=0 run_expire
check "EXPIRE_BATCH=0: exit 2 naming it" eq "$RC/$(echo "$OUT" | grep -c EXPIRE_BATCH)" "2/1"

# A failed run counts only the batches that committed. The oldest lapsed
# hold (show A) goes in the first batch; show B's parts are held by
# another session, so the second batch hits lock_timeout and rolls back.
a=$(make_show 10 "Sweep fails A")
b=$(make_show 10 "Sweep fails B")
ha=$(make_hold "$a" 2)
hb=$(make_hold "$b" 3)
sql "UPDATE bookings SET expires_at = now() - interval '2 seconds' WHERE id = $ha;
     UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = $hb" >/dev/null
PGAPPNAME=t1100-lock psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c BEGIN \
    -c "SELECT 1 FROM show_parts WHERE show_id = $b FOR UPDATE" \
    -c "SELECT pg_sleep(60)" >/dev/null 2>&1 & locker=$!
for _ in $(seq 1 100); do
    [ "$(sql "SELECT count(*) FROM pg_stat_activity
               WHERE application_name = 't1100-lock' AND wait_event = 'PgSleep'")" = 1 ] && break
    sleep 0.05
done
DB_LOCK_TIMEOUT_MS=100 run_expire
check "a batch failing after one committed: exit 1" eq "$RC" 1
check "it names lock_timeout's SQLSTATE" bash -c "[[ \$1 == 'booking-expire: '*'SQLSTATE 55P03'* ]]" _ "$OUT"
check "it counts the committed batch once" bash -c "[[ \$1 == *'(after expiring 1 holds, released 2 seats)' ]]" _ "$OUT"
check "that batch's hold is expired, the other still pending" eq \
    "$(sql "SELECT string_agg(status::text, ',' ORDER BY id) FROM bookings WHERE id IN ($ha, $hb)")" \
    FAILED,PENDING
DB_LOCK_TIMEOUT_MS=100 run_expire
check "the first batch failing: exit 1, nothing counted" bash -c \
    "[[ \$1 == 1 && \$2 == *'(after expiring 0 holds, released 0 seats)' ]]" _ "$RC" "$OUT"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 't1100-lock'" >/dev/null
wait "$locker"
run_expire
check "the lock gone, the next run releases the rest" bash -c \
    "[[ \$1 == 0 && \$2 =~ ^expired\ 1\ holds,\ released\ 3\ seats\ in\ [0-9]+\ ms$ ]]" _ "$RC" "$OUT"
check "and the counters equal the live bookings" eq "$(counters "$a")/$(counters "$b")" "0/0/0/0"
