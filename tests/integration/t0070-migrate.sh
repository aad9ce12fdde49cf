# booking-migrate: numbered migrations once each, then the live
# definitions of sql/functions/ again whenever their content changed (or
# a migration ran), all of them in one transaction. On a database of
# its own, from a copy of sql/ that the test edits.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
db=booking_t0070_$$
ADMIN_URL=${DATABASE_URL%/*}/postgres
URL=${DATABASE_URL%/*}/$db
psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $db" >/dev/null
trap 'psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null; rm -rf "$TMP_T"' EXIT
cp -r "$ROOT/sql" "$TMP_T/sql"

migrate() { DATABASE_URL=$URL "$ROOT/scripts/migrate.sh" "$TMP_T/sql" 2>&1; }
q() { psql -X -qtA "$URL" -c "$1"; }
nfiles=$(ls "$TMP_T"/sql/functions/*.sql | wc -l)

out=$(migrate)
check "a new database: every migration applied" eq \
    "$(q 'SELECT count(*) FROM schema_migrations')" "$(ls "$TMP_T"/sql/[0-9]*_*.sql | wc -l)"
check "then every file of functions/, each recorded with its sha256" eq \
    "$(q 'SELECT count(*) FROM schema_functions WHERE length(sha256) = 64')" "$nfiles"
check "the booking functions are the live ones" eq \
    "$(q "SELECT sha256 FROM schema_functions WHERE file = '40_booking'")" \
    "$(sha256sum "$TMP_T/sql/functions/40_booking.sql" | cut -d' ' -f1)"

out=$(migrate)
check "a second run applies nothing" eq "$out" ""

echo "-- a comment changes the content" >>"$TMP_T/sql/functions/10_time.sql"
out=$(migrate)
check "a changed file is applied again, and only it" eq "$out" "migrate: applying functions/10_time"

printf 'CREATE OR REPLACE FUNCTION t0070_probe() RETURNS int LANGUAGE sql RETURN 1;\n' \
    >>"$TMP_T/sql/functions/30_holds.sql"
printf 'SELECT no_such_function();\n' >>"$TMP_T/sql/functions/50_idempotency.sql"
before=$(q "SELECT sha256 FROM schema_functions WHERE file = '30_holds'")
out=$(migrate)
rc=$?
check "a failing file fails the run" test "$rc" -ne 0
check "and rolls back every file of that run (one transaction)" eq \
    "$(q "SELECT count(*) FROM pg_proc WHERE proname = 't0070_probe'")" 0
check "with their records" eq \
    "$(q "SELECT sha256 FROM schema_functions WHERE file = '30_holds'")" "$before"
sed -i '$d' "$TMP_T/sql/functions/50_idempotency.sql"

printf 'CREATE TABLE t0070_new (id int);\n' >"$TMP_T/sql/999_t0070_new.sql"
out=$(migrate)
check "a new migration applies, then every file again" eq \
    "$(echo "$out" | grep -c '^migrate: applying functions/')" "$nfiles"
check "the edited file's new function is there now" eq \
    "$(q 'SELECT t0070_probe()')" 1
