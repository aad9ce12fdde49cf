# Least privilege: the server works as booking_app, a role that can read
# and write rows and nothing more; a wrong admin token is logged as a
# failure but never written anywhere.
source "$(dirname "$0")/lib.sh"

as_app() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 "$APP_DATABASE_URL" -c "$1" 2>&1
}

check "the workers connect as booking_app" eq \
    "$(sql "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE application_name = 'booking-fcgi'")" \
    booking_app
check "booking_app is no superuser and cannot create roles or databases" eq \
    "$(sql "SELECT rolsuper || '/' || rolcreaterole || '/' || rolcreatedb FROM pg_roles WHERE rolname = 'booking_app'")" \
    "false/false/false"
check "booking_app owns no table" eq \
    "$(sql "SELECT count(*) FROM pg_tables WHERE tableowner = 'booking_app'")" 0
check "booking_app cannot delete bookings" bash -c "grep -q 'permission denied' <<<\"\$1\"" _ \
    "$(as_app 'DELETE FROM bookings WHERE false')"
check "booking_app cannot delete shows" bash -c "grep -q 'permission denied' <<<\"\$1\"" _ \
    "$(as_app 'DELETE FROM shows WHERE false')"
check "booking_app cannot create a table" bash -c "grep -q 'permission denied' <<<\"\$1\"" _ \
    "$(as_app 'CREATE TABLE t0150 (a int)')"
check "booking_app cannot alter or drop one" bash -c "grep -q 'must be owner' <<<\"\$1\"" _ \
    "$(as_app 'ALTER TABLE shows DROP CONSTRAINT shows_not_oversold')"
check "booking_app cannot lift a CHECK by disabling triggers either" bash -c "grep -qE 'must be owner|permission denied' <<<\"\$1\"" _ \
    "$(as_app 'ALTER TABLE bookings DISABLE TRIGGER ALL')"

marker="wrong-token-$(date +%s%N)-SECRETMARK"
post_json /admin/show '{"name":"x","start_time":"2099-01-01T00:00:00Z","total_seats":1}' \
    -H "Authorization: Bearer $marker"
check "a wrong admin token: 401" eq "$STATUS/$(jget .error)" "401/unauthorized"
check "the failure is logged" grep -q "admin authentication failed from 127.0.0.1: wrong credentials" "$STACK_DIR/fcgi.log"
check "the presented token appears in no log" bash -c "! grep -rqF '$marker' '$STACK_DIR/fcgi.log' '$STACK_DIR/nginx/logs'"
check "nor does the real one" bash -c "! grep -rqF \"\$ADMIN_TOKEN\" '$STACK_DIR/fcgi.log' '$STACK_DIR/nginx/logs'"
