# A migration applied while the workers serve a booking load fails no
# request: a column added, backfilled in batches that commit one by one,
# an index built concurrently, and every live definition applied again,
# all while a session holds a lock that the ALTER TABLE must wait for:
# the migration gives up after its lock_timeout and tries again, rather
# than queueing every booking behind its wait.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cp -r "$ROOT/sql" "$TMP_T/sql"
cat >"$TMP_T/sql/990_t0075_online.sql" <<'SQL'
-- migrate: no-transaction
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS t0075_seats_x2 integer;
DO $$
DECLARE
    n integer;
BEGIN
    LOOP
        UPDATE bookings SET t0075_seats_x2 = seat_count * 2
         WHERE id IN (SELECT id FROM bookings WHERE t0075_seats_x2 IS NULL
                       LIMIT 500);
        GET DIAGNOSTICS n = ROW_COUNT;
        EXIT WHEN n = 0;
        COMMIT;
    END LOOP;
END
$$;
DROP INDEX CONCURRENTLY IF EXISTS bookings_t0075;
CREATE INDEX CONCURRENTLY bookings_t0075 ON bookings (t0075_seats_x2);
SQL
echo "-- t0075: changed" >>"$TMP_T/sql/functions/40_booking.sql"
cleanup_t0075() {
    sql "DROP INDEX IF EXISTS bookings_t0075;
         ALTER TABLE bookings DROP COLUMN IF EXISTS t0075_seats_x2;
         DELETE FROM schema_migrations WHERE version = '990_t0075_online'" >/dev/null
    "$ROOT/scripts/migrate.sh" >/dev/null     # the checkout's functions again
    rm -rf "$TMP_T"
}
trap cleanup_t0075 EXIT

show=$(make_show 1000000 "Online migration")
# The load: 8 buyers at once, batch after batch, until told to stop
# (at most 90 s), holds and plain bookings.
load() {
    local end=$((SECONDS + 90)) i
    while [ ! -e "$TMP_T/stop" ] && [ "$SECONDS" -lt "$end" ]; do
        for i in $(seq 1 40); do
            [ $((i % 4)) -eq 0 ] && h=',"hold":true' || h=
            [ "$i" -gt 1 ] && echo next
            printf 'url = "%s/book"\nrequest = "POST"\n' "$BASE_URL"
            echo 'header = "Content-Type: application/json"'
            printf 'data = "{\\"show_id\\":%d,\\"seat_count\\":2%s}"\n' "$show" "${h//\"/\\\"}"
            echo 'output = "/dev/null"'
            echo 'write-out = "%{http_code}\\n"'
        done >"$TMP_T/load.cfg"
        curl -s --parallel --parallel-max 8 --max-time 30 -K "$TMP_T/load.cfg"
    done >"$TMP_T/codes"
}
load &
lpid=$!
sleep 1

# The blocker: a long report that reads bookings for 3 s. Its lock
# conflicts with ALTER TABLE's, not with the bookings' own.
psql -X -qtA "$DATABASE_URL" >/dev/null 2>&1 <<'SQL' &
BEGIN;
SELECT count(*) FROM bookings;
SELECT pg_sleep(3);
COMMIT;
SQL
bpid=$!
sleep 0.3
last=$(sql "SELECT max(id) FROM bookings")
start=$SECONDS
DATABASE_URL=$DATABASE_URL "$ROOT/scripts/migrate.sh" "$TMP_T/sql" >"$TMP_T/migrate.out" 2>&1
rc=$?
took=$((SECONDS - start))
wait "$bpid"
sleep 1
touch "$TMP_T/stop"
wait "$lpid"

sed -e 's/^/# /' "$TMP_T/migrate.out"
total=$(wc -l <"$TMP_T/codes")
echo "# $total requests during the migration ($took s): $(sort "$TMP_T/codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
check "the migration succeeded" eq "$rc" 0
check "after waiting out the lock: it timed out and tried again" \
    grep -q 'lock wait timed out' "$TMP_T/migrate.out"
check "every live definition applied again after it" eq \
    "$(grep -c '^migrate: applying functions/' "$TMP_T/migrate.out")" "$(ls "$TMP_T"/sql/functions/*.sql | wc -l)"
# (rows that the old code inserts meanwhile have it NULL: expand, then
# the new code writes it, then a second backfill, then contract.)
check "the column is backfilled" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE id <= $last
               AND t0075_seats_x2 IS DISTINCT FROM seat_count * 2")" 0
check "the index is valid" eq \
    "$(sql "SELECT indisvalid FROM pg_index WHERE indexrelid = 'bookings_t0075'::regclass")" t
check "the load ran through it (over 100 requests)" test "$total" -gt 100
check "no request failed: every answer a 201" eq "$(grep -cv '^201$' "$TMP_T/codes")" 0
check "the show's count equals its bookings" eq "$(counters "$show" | awk -F/ '{print ($1 == $2)}')" 1
