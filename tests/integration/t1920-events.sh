# The live seat map's events (issue 16, docs/events.md): a browser
# subscribed to /events/shows/{id} (EventSource) hears a hold of two
# chosen seats as held, its confirm as sold, its cancel as free, with
# their indices in the map's order; a rolled-back transaction and a
# general admission booking announce nothing; a lapsed hold swept is
# free; a statement too large to list is a resync; after PostgreSQL
# restarts, booking-events listens again, tells every browser to resync,
# and later changes arrive again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LOG=$STACK_DIR/fcgi.log
SUBS=()
cleanup() {
    local p
    for p in "${SUBS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$TMP_T"
}
trap cleanup EXIT

check "booking-events runs beside the workers" kill -0 "${EVENTS_PID:-0}"

# subscribe SHOW FILE: an EventSource's request to the site, its stream
# into FILE; returns once nginx holds it (nchan greets with a comment
# line).
subscribe() {
    curl -s -N -m 120 -H 'Accept: text/event-stream' "$BASE_URL/events/shows/$1" >"$2" &
    SUBS+=($!)
    stack_wait_for 5 test -s "$2"
    sleep 0.3
}
# msgs SHOW FILE: the data of SHOW's messages so far, one a line.
msgs() {
    sed -n 's/^data: //p' "$2" | jq -c --argjson s "$1" 'select(.show == $s)' 2>/dev/null
}
# resyncs FILE: how many {"resync":true} of channel all came.
resyncs() {
    sed -n 's/^data: //p' "$1" | jq -c 'select(.resync == true and .show == null)' 2>/dev/null | wc -l
}
has() { [ "$(msgs "$1" "$2" | wc -l)" -ge "$3" ]; }
# nth SHOW FILE N: SHOW's Nth message, waiting up to 5 s for it.
nth() {
    stack_wait_for 5 has "$1" "$2" "$3"
    msgs "$1" "$2" | sed -n "${3}p"
}

# seated NAME LAYOUT: a seated show a year from now; prints its id.
seated() {
    admin_post "{\"name\":\"$1\",\"start_time\":\"$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)\",\"seating\":$2}"
    jget .show.id
}

hall='{"focal_point":{"x":5,"y":0},
 "categories":[{"name":"All","colour":"#2e86c1","price":1000}],
 "sections":[{"name":"Hall","rows":[{"names":"A-B","seats":"1-10","category":"All"}]}]}'
show=$(seated Live "$hall")
SUB=$TMP_T/sub
subscribe "$show" "$SUB"

post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-A-3\",\"Hall-A-4\"],\"hold\":true}"
id=$(jget .booking.id)
check "a hold of Hall-A-3 and A-4 (201): they are held, seats 2 and 3" \
    eq "$STATUS/$(nth "$show" "$SUB" 1)" "201/{\"show\":$show,\"h\":[2,3]}"
post_json "/bookings/$id/confirm" ""
check "confirmed: sold" eq "$STATUS/$(nth "$show" "$SUB" 2)" "200/{\"show\":$show,\"s\":[2,3]}"
post_json "/bookings/$id/cancel" ""
check "cancelled: free" eq "$STATUS/$(nth "$show" "$SUB" 3)" "200/{\"show\":$show,\"f\":[2,3]}"

# Nothing is said of what does not commit, nor of general admission:
# the next message is that of the booking after them.
sql "BEGIN;
     SELECT book_seats_chosen($show, ARRAY['Hall-A-7'], NULL, NULL, NULL, NULL, NULL, NULL, NULL);
     ROLLBACK;" >/dev/null
ga=$(make_show 10 "General admission")
post_json /book "{\"show_id\":$ga,\"seat_count\":2}"
ga_status=$STATUS
post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-A-9\"]}"
check "a rolled-back booking of A-7 and a general admission one ($ga_status) announced nothing: next, A-9 sold" \
    eq "$STATUS/$(nth "$show" "$SUB" 4)" "201/{\"show\":$show,\"s\":[8]}"
sleep 0.5
check "and nothing else came" eq "$(msgs "$show" "$SUB" | wc -l)" 4

# A hold that lapses is free when the sweeper releases it
# (HOLD_TTL_SECONDS is 3 in make test).
post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-B-1\",\"Hall-B-10\",\"Hall-A-10\"],\"hold\":true}"
check "a hold of three seats across two rows: one message, held, in seat order" \
    eq "$(nth "$show" "$SUB" 5)" "{\"show\":$show,\"h\":[9,10,19]}"
sleep 3.5
DATABASE_URL=${APP_DATABASE_URL:-$DATABASE_URL} "$ROOT/$BUILD/booking-expire" >/dev/null 2>&1
check "lapsed, then swept by booking-expire: free" \
    eq "$(nth "$show" "$SUB" 6)" "{\"show\":$show,\"f\":[9,10,19]}"

# More seats than a notification can list (8000 bytes): a resync.
rows='{"focal_point":{"x":50,"y":0},"categories":[{"name":"All","colour":"#123456","price":1}],
 "sections":[{"name":"Big","rows":[{"names":"A-Z","seats":"1-100","category":"All"}]}]}'
big=$(seated Big "$rows")
BIG=$TMP_T/big
subscribe "$big" "$BIG"
# (In SQL: api/openapi.json lists at most 1000 seats in a booking's answer.)
taken=$(sql "SELECT status || ', ' || seat_count FROM book_seats_best($big, 2500,
               '{\"together\":false}', NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
check "one booking of 2500 seats ($taken): {\"show\":$big,\"resync\":true}" \
    eq "$(nth "$big" "$BIG" 1)" "{\"show\":$big,\"resync\":true}"

# PostgreSQL restarts: the daemon hears the connection end, listens
# again, and tells every browser to refetch its map (what committed
# meanwhile was not heard); then changes flow again.
port=$(echo "$DATABASE_URL" | sed -E 's|.*:([0-9]+)/.*|\1|')
again=$(grep -c '^booking-events: listening again on seat_events' "$LOG")
before=$(resyncs "$SUB")
stack_as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -m fast -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=''" restart >/dev/null
relistened() { [ "$(grep -c '^booking-events: listening again on seat_events' "$LOG")" -gt "$again" ]; }
stack_wait_for 15 relistened
check "after a PostgreSQL restart booking-events said the connection ended, and listens again" \
    eq "$(grep -c '^booking-events: the database connection ended' "$LOG" | awk '{print ($1 > 0)}')/$(relistened && echo again)" "1/again"
echo "# $(grep '^booking-events: listening again' "$LOG" | tail -n 1)"
resynced() { [ "$(resyncs "$SUB")" -gt "$before" ]; }
stack_wait_for 5 resynced
check "every browser was told to resync ({\"resync\":true} on channel all)" resynced
check "the same daemon, not a new one" kill -0 "$EVENTS_PID"
for _ in $(seq 1 30); do
    post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-A-1\"]}"
    [ "$STATUS" = 503 ] || break       # the workers reconnect too
    sleep 0.2
done
check "a booking after the restart ($STATUS) is heard again: A-1 sold" \
    eq "$(nth "$show" "$SUB" 7)" "{\"show\":$show,\"s\":[0]}"
