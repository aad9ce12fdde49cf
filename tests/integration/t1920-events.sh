# The live seat map's events (issue 16, docs/events.md): a browser
# subscribed to /events/shows/{id} (EventSource) hears a hold of two
# chosen seats as held, its confirm as sold, its cancel as free, with
# their indices in the map's order; a rolled-back transaction and a
# general admission booking announce nothing; a hold that lapses is
# announced free by booking-events at its deadline, with no sweep (and
# again, harmlessly, by the sweep), one confirmed in time never, one
# extended only at its new deadline; a statement too large to list is a
# resync; after PostgreSQL restarts, booking-events listens again, tells
# every browser to resync, announces a lapse again, and later changes
# arrive again.
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

# stamp: each line read, after the moment it came (seconds since the
# epoch, to the microsecond) and a space.
stamp() {
    local LC_NUMERIC=C line
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"; done
}
# subscribe SHOW FILE: an EventSource's request to the site, its stream
# into FILE, each line stamped; returns once nginx holds it (nchan
# greets with a comment line).
subscribe() {
    curl -s -N -m 120 -H 'Accept: text/event-stream' "$BASE_URL/events/shows/$1" > >(stamp >"$2") &
    SUBS+=($!)
    stack_wait_for 5 test -s "$2"
    sleep 0.3
}
# msgs SHOW FILE: the data of SHOW's messages so far, one a line.
msgs() {
    sed -n 's/^[0-9.]* data: //p' "$2" | jq -c --argjson s "$1" 'select(.show == $s)' 2>/dev/null
}
# resyncs FILE: how many {"resync":true} of channel all came.
resyncs() {
    sed -n 's/^[0-9.]* data: //p' "$1" | jq -c 'select(.resync == true and .show == null)' 2>/dev/null | wc -l
}
# came FILE MESSAGE: when each message that reads MESSAGE came, one a
# line (the triggers' JSON is compact, as MESSAGE is written here).
came() {
    sed -n 's/^\([0-9.]*\) data: /\1 /p' "$1" | awk -v m="$2" '$2 == m { print $1 }'
}
heard() { [ -n "$(came "$1" "$2")" ]; }
# freed SHOW FILE SEAT: how many of SHOW's messages said SEAT free.
freed() {
    msgs "$1" "$2" | jq -c --argjson k "$3" 'select(any(.f[]?; . == $k))' | wc -l
}
# deadline ID: booking ID's expires_at, in seconds since the epoch.
deadline() {
    sql "SELECT epoch_us(expires_at) FROM bookings WHERE id = $1" | awk '{printf "%.6f", $1 / 1e6}'
}
# ms_after AT DEADLINE: how many milliseconds AT came after DEADLINE.
ms_after() {
    awk -v a="$1" -v d="$2" 'BEGIN { printf "%d", (a - d) * 1000 }'
}
# in_time FILE MESSAGE ID: MESSAGE came once, at booking ID's deadline
# or up to 1.5 s after it, never before; says when.
in_time() {
    local at d
    stack_wait_for 10 heard "$1" "$2"
    at=$(came "$1" "$2")
    d=$(deadline "$3")
    [ -n "$at" ] || { echo "#   $2 never came"; return 1; }
    echo "#   $2: $(echo "$at" | wc -l) time(s), the first $(ms_after "${at%%$'\n'*}" "$d") ms after the deadline"
    [ "$(echo "$at" | wc -l)" = 1 ] && [ "$(ms_after "$at" "$d")" -ge 0 ] \
        && [ "$(ms_after "$at" "$d")" -le 1500 ]
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

# Blocks (migration 025): blocked and unblocked seats are announced, and
# a seat the admin blocked, then assigned by hand, goes back to blocked
# (b, not f) when that booking ends.
blocks=$(seated Blocks "$hall")
SUB2=$TMP_T/sub2
subscribe "$blocks" "$SUB2"
post_json "/admin/shows/$blocks/seats/block" '{"seats":["Hall-A-1","Hall-A-2"]}' -H "$ADMIN"
check "two seats blocked (200): announced blocked" \
    eq "$STATUS/$(nth "$blocks" "$SUB2" 1)" "200/{\"show\":$blocks,\"b\":[0,1]}"
post_json "/admin/shows/$blocks/seats/unblock" '{"seats":["Hall-A-2"]}' -H "$ADMIN"
check "one unblocked (200): announced free" \
    eq "$STATUS/$(nth "$blocks" "$SUB2" 2)" "200/{\"show\":$blocks,\"f\":[1]}"
post_json "/admin/shows/$blocks/seats/assign" '{"seats":["Hall-A-1"],"hold":true}' -H "$ADMIN"
assigned=$(jget .booking.id)
check "the blocked one assigned by hand as a hold (201): held" \
    eq "$STATUS/$(nth "$blocks" "$SUB2" 3)" "201/{\"show\":$blocks,\"h\":[0]}"
post_json "/bookings/$assigned/cancel" "" -H "$ADMIN"
check "that hold cancelled: blocked again, as the map says" \
    eq "$STATUS/$(nth "$blocks" "$SUB2" 4)/$(req GET "/shows/$blocks/seats"; jget .states | cut -c1)" \
       "200/{\"show\":$blocks,\"b\":[0]}/b"

# Holds lapse (HOLD_TTL_SECONDS is 3 in make test), and nobody sweeps
# them: booking-events announces each one's seats free at its deadline,
# reading the table. Three holds at once: one left to lapse, one
# confirmed in time, one extended before its deadline.
post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-B-10\",\"Hall-A-10\"],\"hold\":true}"
lapse=$(jget .booking.id)
check "a hold of two seats across two rows: one message, held, in seat order" \
    eq "$(nth "$show" "$SUB" 5)" "{\"show\":$show,\"h\":[9,19]}"
post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-B-3\",\"Hall-B-4\"],\"hold\":true}"
kept=$(jget .booking.id)
post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-B-5\",\"Hall-B-6\"],\"hold\":true}"
longer=$(jget .booking.id)
old=$(deadline "$longer")
check "asked by hand before their deadlines, seat_events_lapsed() names none of them" \
    eq "$(sql "SELECT count(*) FROM seat_events_lapsed(epoch_us(now() - interval '1 hour'), 0, 1000)
                WHERE payload LIKE '{\"show\":$show,%'")" 0
sleep 0.5
post_json "/bookings/$kept/confirm" ""
check "a second hold confirmed before its deadline: sold" \
    eq "$STATUS/$(nth "$show" "$SUB" 8)" "200/{\"show\":$show,\"s\":[12,13]}"
sleep 0.5
post_json "/bookings/$longer/extend" ""
left=$(ms_after "$old" "$EPOCHREALTIME")
check "a third extended $left ms before its deadline: 200" test "$STATUS" = 200 -a "$left" -gt 0
check "the first, lapsed: free at its deadline, by booking-events" \
    in_time "$SUB" "{\"show\":$show,\"f\":[9,19]}" "$lapse"
check "and still PENDING in the table: nobody swept it" \
    eq "$(sql "SELECT status FROM bookings WHERE id = $lapse")" PENDING
check "the extended one: free at its new deadline, $(ms_after "$(deadline "$longer")" "$old") ms after its first, not before" \
    in_time "$SUB" "{\"show\":$show,\"f\":[14,15]}" "$longer"
sleep 1.5
check "the confirmed one: never free" eq "$(freed "$show" "$SUB" 12)/$(freed "$show" "$SUB" 13)" "0/0"
check "in all: 3 held, 1 sold, 2 free (nothing for the extend)" eq "$(msgs "$show" "$SUB" | tail -n +5 | jq -r 'keys - ["show"] | .[]' | sort | uniq -c | awk '{printf "%s%s ", $1, $2}')" "2f 3h 1s "
DATABASE_URL=${APP_DATABASE_URL:-$DATABASE_URL} "$ROOT/$BUILD/booking-expire" >/dev/null 2>&1
swept() { [ "$(came "$SUB" "{\"show\":$show,\"f\":[9,19]}" | wc -l)" = 2 ]; }
stack_wait_for 5 swept
check "swept by booking-expire: free a second time (harmless), FAILED in the table" \
    eq "$(swept && echo twice)/$(sql "SELECT status FROM bookings WHERE id = $lapse")" "twice/FAILED"

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
# meanwhile was not heard); a hold made before lapses after, and is
# announced (the schedule comes from the database again); then changes
# flow again.
post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-A-2\"],\"hold\":true}"
across=$(jget .booking.id)
sql "UPDATE bookings SET expires_at = now() + interval '9 seconds' WHERE id = $across" >/dev/null
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
check "a hold made before the restart: free at its deadline after it" \
    in_time "$SUB" "{\"show\":$show,\"f\":[1]}" "$across"
for _ in $(seq 1 30); do
    post_json /book "{\"show_id\":$show,\"seats\":[\"Hall-A-1\"]}"
    [ "$STATUS" = 503 ] || break       # the workers reconnect too
    sleep 0.2
done
stack_wait_for 5 heard "$SUB" "{\"show\":$show,\"s\":[0]}"
check "a booking after the restart ($STATUS) is heard again: A-1 sold" \
    heard "$SUB" "{\"show\":$show,\"s\":[0]}"

# Leave no hold to lapse later, under another test's sweep.
DATABASE_URL=${APP_DATABASE_URL:-$DATABASE_URL} "$ROOT/$BUILD/booking-expire" >/dev/null 2>&1
check "no hold of the show is left PENDING" \
    eq "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND status = 'PENDING'")" 0
