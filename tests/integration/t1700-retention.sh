# Retention: booking-expire deletes FAILED bookings FAILED_RETENTION_DAYS
# after they ended, and the Idempotency-Keys of refused requests after
# IDEMPOTENCY_REFUSED_RETENTION_SECONDS, in batches, and nothing else:
# no CONFIRMED, PENDING or CANCELLED booking, no younger FAILED one, no
# key of a request that did something. booking_app still cannot delete
# a booking itself: the deletion is a function that runs as the owner.
source "$(dirname "$0")/lib.sh"

expire="$(cd "$(dirname "$0")/../.." && pwd)/$BUILD/booking-expire"
# It runs as the services' role, as in production.
run_expire() {
    OUT=$(DATABASE_URL=$APP_DATABASE_URL "$expire" 2>&1)
    RC=$?
}
as_app() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 "$APP_DATABASE_URL" -c "$1" 2>&1
}

# Whatever earlier tests left behind is swept first.
run_expire
check "a first run exits 0" eq "$RC" 0

# The service role may not delete, and may not reach the owner's
# function but through its one grant.
check "booking_app cannot DELETE FROM bookings" bash -c \
    "grep -q 'permission denied' <<<\"\$1\"" _ "$(as_app 'DELETE FROM bookings WHERE false')"
check "the pruning function runs as its owner, on a fixed search_path" eq \
    "$(sql "SELECT prosecdef || ' ' || array_to_string(proconfig, ';')
              FROM pg_proc WHERE proname = 'failed_bookings_prune'")" \
    "true search_path=public, pg_temp"
check "booking_app may call it, PUBLIC may not" eq \
    "$(sql "SELECT string_agg(coalesce(r.rolname, 'PUBLIC') || '=' || a.privilege_type, ',' ORDER BY r.rolname)
              FROM pg_proc p, aclexplode(p.proacl) a
              LEFT JOIN pg_roles r ON r.oid = a.grantee
             WHERE p.proname = 'failed_bookings_prune' AND r.rolname IS DISTINCT FROM p.proowner::regrole::text")" \
    "booking_app=EXECUTE"
check "nor can it ask for the last day's failures" bash -c \
    "grep -q 'p_days 0 is less than 1' <<<\"\$1\"" _ "$(as_app 'SELECT failed_bookings_prune(10, 0)')"
check "both indexes are built and valid" eq \
    "$(sql "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE c.relname IN ('bookings_failed_updated', 'idempotency_keys_refused')
               AND i.indisvalid")" 2

# A flood of sold-out attempts: a 2-seat show, then 50 buyers at once.
full=$(make_show 2 "Retention: sold out")
post_json /book "{\"show_id\":$full,\"seat_count\":2}"
check "the show sells out" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
seq 1 50 | xargs -P 10 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
    -H "$JSON" -d "{\"show_id\":$full,\"seat_count\":1}" "$BASE_URL/book" >"$TMP_T/flood"
check "50 attempts, 50 answers 409" eq "$(grep -c '^409$' "$TMP_T/flood")" 50
check "each recorded as FAILED sold_out" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $full AND status = 'FAILED' AND reason = 'sold_out'")" 50

# Beside them a booking in each other state: PENDING, CANCELLED, and a
# hold that lapsed, made FAILED expired by the sweeper.
mixed=$(make_show 10 "Retention: mixed")
pending=$(make_hold "$mixed" 1)
post_json /book "{\"show_id\":$mixed,\"seat_count\":1}"
cancelled=$(jget .booking.id)
post_json "/bookings/$cancelled/cancel" ""
lapsed=$(make_hold "$mixed" 1)
sql "UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = $lapsed" >/dev/null
run_expire
check "the states to keep and to prune are all there" eq \
    "$(sql "SELECT string_agg(status || '/' || coalesce(reason, '-'), ',' ORDER BY id)
              FROM bookings WHERE id IN ($pending, $cancelled, $lapsed)")" \
    "PENDING/-,CANCELLED/cancelled,FAILED/expired"
sql "UPDATE bookings SET expires_at = now() + interval '1 hour' WHERE id = $pending" >/dev/null

# Every one of them ended 8 days ago, but 10 of the sold-out attempts
# only 6 days ago: the 40 others and the lapsed hold are past the 7 days.
sql "UPDATE bookings SET updated_at = now() - interval '8 days'
      WHERE show_id IN ($full, $mixed);
     UPDATE bookings SET updated_at = now() - interval '6 days'
      WHERE id IN (SELECT id FROM bookings WHERE show_id = $full AND status = 'FAILED'
                    ORDER BY id LIMIT 10)" >/dev/null
old_ids=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM bookings
                WHERE show_id IN ($full, $mixed) AND status = 'FAILED'
                  AND updated_at < now() - interval '7 days'")
check "41 FAILED bookings are past the retention" eq "$(echo "$old_ids" | tr ',' '\n' | grep -c .)" 41
keep=$(sql "SELECT string_agg(id::text, ',') FROM bookings
             WHERE show_id IN ($full, $mixed) AND id NOT IN ($old_ids)")
keep_before=$(sql "SELECT string_agg(id || ' ' || status || ' ' || updated_at, ',' ORDER BY id)
                     FROM bookings WHERE id IN ($keep)")
others_before=$(sql "SELECT count(*) FROM bookings WHERE show_id NOT IN ($full, $mixed)")

OUT=$(FAILED_RETENTION_DAYS=9 DATABASE_URL=$APP_DATABASE_URL "$expire" 2>&1); RC=$?
check "FAILED_RETENTION_DAYS=9: none of them is old enough" eq \
    "$RC/$(sql "SELECT count(*) FROM bookings WHERE id IN ($old_ids)")" "0/41"
OUT=$(FAILED_RETENTION_DAYS=0 DATABASE_URL=$APP_DATABASE_URL "$expire" 2>&1); RC=$?
check "FAILED_RETENTION_DAYS=0 is refused: exit 2 naming it" eq \
    "$RC/$(echo "$OUT" | grep -c 'invalid FAILED_RETENTION_DAYS="0"')" "2/1"

# The default, 7 days, 7 rows a transaction: 6 batches.
OUT=$(EXPIRE_BATCH=7 DATABASE_URL=$APP_DATABASE_URL "$expire" 2>&1); RC=$?
check "booking-expire exits 0" eq "$RC" 0
check "its summary line is as it was" bash -c \
    "grep -qE '^expired [0-9]+ holds, released [0-9]+ seats in [0-9]+ ms$' <<<\"\$1\"" _ "$OUT"
check "and it counts the FAILED bookings it deleted" bash -c \
    "grep -qE '^booking-expire: deleted [0-9]+ idempotency keys older than 24 hours, [0-9]+ of refused requests older than 600 s, and 41 FAILED bookings older than 7 days$' <<<\"\$1\"" _ "$OUT"
check "the 41 old FAILED bookings are gone" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE id IN ($old_ids)")" 0
check "the confirmed, pending, cancelled and 10 young FAILED ones are untouched" eq \
    "$(sql "SELECT string_agg(id || ' ' || status || ' ' || updated_at, ',' ORDER BY id)
              FROM bookings WHERE id IN ($keep)")" "$keep_before"
check "that is 13 bookings" eq "$(echo "$keep" | tr ',' '\n' | grep -c .)" 13
check "no other booking went" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id NOT IN ($full, $mixed)")" "$others_before"
check "the seat counts did not move" eq "$(counters "$full")/$(counters "$mixed")" "2/2/1/1"
run_expire
check "a second run deletes no FAILED booking" bash -c \
    "! grep -q 'FAILED bookings' <<<\"\$1\" || grep -q ' 0 FAILED bookings' <<<\"\$1\"" _ "$OUT"

# Keys: one refused (an unknown show: 404), one effective (201), one
# sold-out attempt (409, but it made a FAILED row), all three made 11
# minutes ago, and a refused one made now.
k=ret-$(date +%s%N)
post_json /book '{"show_id":999999999,"seat_count":1}' -H "Idempotency-Key: $k-refused"
check "a refused request with a key: 404" eq "$STATUS" 404
open=$(make_show 5 "Retention: keys")
post_json /book "{\"show_id\":$open,\"seat_count\":1}" -H "Idempotency-Key: $k-booked"
check "an effective one: 201" eq "$STATUS" 201
post_json /book "{\"show_id\":$full,\"seat_count\":1}" -H "Idempotency-Key: $k-soldout"
check "a sold-out one: 409" eq "$STATUS" 409
post_json /book '{"show_id":999999998,"seat_count":1}' -H "Idempotency-Key: $k-young"
check "a young refused one: 404" eq "$STATUS" 404
keys="'$(stored_key "$k-refused")', '$(stored_key "$k-booked")', '$(stored_key "$k-soldout")', '$(stored_key "$k-young")'"
check "all four keys are stored" eq "$(sql "SELECT count(*) FROM idempotency_keys WHERE key IN ($keys)")" 4
sql "UPDATE idempotency_keys SET created_at = now() - interval '11 minutes'
      WHERE key IN ($keys) AND key <> '$(stored_key "$k-young")'" >/dev/null
# Which of the four keys are still stored, by name.
stored() {
    sql "SELECT string_agg(s.k, ',' ORDER BY s.k) FROM idempotency_keys i
           JOIN (VALUES ('$(stored_key "$k-booked")', 'booked'), ('$(stored_key "$k-refused")', 'refused'),
                        ('$(stored_key "$k-soldout")', 'soldout'), ('$(stored_key "$k-young")', 'young')) s(key, k)
             ON s.key = i.key"
}
OUT=$(IDEMPOTENCY_REFUSED_RETENTION_SECONDS=3600 DATABASE_URL=$APP_DATABASE_URL "$expire" 2>&1); RC=$?
check "IDEMPOTENCY_REFUSED_RETENTION_SECONDS=3600: all kept" eq "$RC/$(stored)" "0/booked,refused,soldout,young"
run_expire
check "the default 600 s: the old refused key is gone, the others stay" eq \
    "$RC/$(stored)" "0/booked,soldout,young"
check "and it says so" bash -c \
    "grep -qE '^booking-expire: deleted [0-9]+ idempotency keys older than 24 hours, [1-9][0-9]* of refused requests older than 600 s' <<<\"\$1\"" _ "$OUT"
post_json /book "{\"show_id\":$open,\"seat_count\":1}" -H "Idempotency-Key: $k-booked"
check "the effective key still replays" eq "$STATUS/$(header Idempotent-Replayed)" "201/true"
post_json /book '{"show_id":999999999,"seat_count":1}' -H "Idempotency-Key: $k-refused"
check "the forgotten one is simply run again" eq "$STATUS/$(header Idempotent-Replayed)" "404/"

# A failed run reports only what committed. The 11 younger FAILED
# bookings (the 10, and the keyed sold-out attempt) age past the
# retention; three refused keys, 20 hours old, are the oldest there are,
# and another session holds the youngest of them: with 2 rows a batch,
# the first key batch commits and the second times out.
sql "UPDATE bookings SET updated_at = now() - interval '8 days'
      WHERE show_id = $full AND status = 'FAILED'" >/dev/null
for n in 1 2 3; do
    post_json /book '{"show_id":999999997,"seat_count":1}' -H "Idempotency-Key: $k-held-$n"
    sql "UPDATE idempotency_keys SET created_at = now() - interval '20 hours' + interval '1 minute' * $n
          WHERE key = '$(stored_key "$k-held-$n")'" >/dev/null
done
PGAPPNAME=t1700-lock psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c BEGIN \
    -c "SELECT 1 FROM idempotency_keys WHERE key = '$(stored_key "$k-held-3")' FOR UPDATE" \
    -c "SELECT pg_sleep(60)" >/dev/null 2>&1 & locker=$!
for _ in $(seq 1 100); do
    [ "$(sql "SELECT count(*) FROM pg_stat_activity
               WHERE application_name = 't1700-lock' AND wait_event = 'PgSleep'")" = 1 ] && break
    sleep 0.05
done
OUT=$(EXPIRE_BATCH=2 DB_LOCK_TIMEOUT_MS=100 DATABASE_URL=$APP_DATABASE_URL "$expire" 2>&1); RC=$?
check "a key batch failing after others committed: exit 1, lock_timeout named" bash -c \
    "[[ \$1 == 1 && \$2 == 'booking-expire: '*'SQLSTATE 55P03'* ]]" _ "$RC" "$OUT"
check "it counts what committed: 11 FAILED bookings and 2 keys" bash -c \
    "grep -qx 'booking-expire: deleted 0 idempotency keys older than 24 hours, 2 of refused requests older than 600 s, and 11 FAILED bookings older than 7 days' <<<\"\$1\" || { echo \"#   got: \$1\"; false; }" _ "$OUT"
check "and that is what went" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $full AND status = 'FAILED'")/$(sql "SELECT count(*) FROM idempotency_keys
        WHERE key IN ('$(stored_key "$k-held-1")', '$(stored_key "$k-held-2")', '$(stored_key "$k-held-3")')")" "0/1"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 't1700-lock'" >/dev/null
wait "$locker"
run_expire
check "the lock gone, the next run deletes the last one" eq "$RC/$(sql "SELECT count(*) FROM idempotency_keys
    WHERE key = '$(stored_key "$k-held-3")'")" "0/0"
