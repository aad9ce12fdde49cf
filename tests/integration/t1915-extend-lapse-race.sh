# A hold extended just before its deadline, whose extend commits just
# after it, stays held: nothing that ends lapsed holds may end it on the
# strength of a snapshot taken before the extend committed. (Review of
# 42b4352..3f82ff8: seats_lock() and release_lapsed_holds() re-check
# only status = 'PENDING' on the row they lock, not the deadline.)
#
# The straddle is made deterministic by running extend_hold() in an open
# transaction: judged before the deadline, committed after a rival has
# read the hold as lapsed and is waiting for its row lock. In production
# the window is the extend's commit (WAL flush, a synchronous standby).
source "$(dirname "$0")/lib.sh"

start=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
hall='{"focal_point":{"x":2.5,"y":0},
 "categories":[{"name":"All","colour":"#336699","price":1000}],
 "sections":[{"name":"Hall","y":1,"rows":[{"name":"A","seats":"1-4","category":"All"}]}]}'
ttl=${HOLD_TTL_SECONDS:-3}

# extend_in_open_tx ID SECONDS: extend booking ID (as the admin) now, and
# commit SECONDS later, in the background.
extend_in_open_tx() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 "$DATABASE_URL" >"$TMP_T/extend.out" 2>&1 <<SQL &
BEGIN;
SELECT (e).outcome FROM (SELECT extend_hold($1, NULL::bytea, true, NULL,
                                            120, 600, 5) e) q;
SELECT pg_sleep($2);
COMMIT;
SQL
    EXTEND_PID=$!
}

# 1. chosen seats: book_seats_chosen() -> seats_lock()
admin_post "{\"name\":\"Extend race\",\"start_time\":\"$start\",\"seating\":$hall}"
show=$(jget .show.id)
post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-A-1\"],\"hold\":true}"
hold=$(jget .booking.id)

extend_in_open_tx "$hold" $((ttl + 1))
sleep $((ttl)).5         # past the old deadline; the extend not yet committed
post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-A-1\"]}"
rival=$STATUS
wait "$EXTEND_PID"
check "the extend was answered ok" eq "$(head -n 1 "$TMP_T/extend.out")" ok
check "a rival for the seat is refused: the hold was extended" eq "$rival" 409
check "the extended hold is still PENDING" \
    eq "$(sql "SELECT status FROM bookings WHERE id = $hold")" PENDING

# 2. general admission: the sweeper, expire_holds() -> release_lapsed_holds()
show=$(make_show 10 "Extend race GA")
post_json /book "{\"show_id\":$show,\"seat_count\":2,\"hold\":true}"
hold=$(jget .booking.id)
extend_in_open_tx "$hold" $((ttl + 1))
sleep $((ttl)).5
sql "SELECT holds FROM expire_holds(100)" >/dev/null &
SWEEP_PID=$!
wait "$EXTEND_PID" "$SWEEP_PID"
check "GA: the extend was answered ok" eq "$(head -n 1 "$TMP_T/extend.out")" ok
check "GA: the sweeper leaves the extended hold PENDING" \
    eq "$(sql "SELECT status FROM bookings WHERE id = $hold")" PENDING
