# A channel with large hold caps has them counted in 8 shards
# (sql/functions/45_limits.sql), so that its holds are not one queue,
# and the caps stay exact: 200 concurrent holds get exactly the caps;
# a hold skips shards that another transaction holds; a hold that fits
# the caps but no one shard's quota gets it after the quotas are split
# again, and every hold under the cap is taken; holds that name no
# shard (made before this release) are counted. No deadlock. On workers
# of this test's own, with nginx's per-client rates lifted (every
# request comes from 127.0.0.1) and the anonymous caps as shipped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

STACK_DIR=$TMP_T/own
mkdir -p "$STACK_DIR"
trap 'exec 7>&- 2>/dev/null; stack_nginx_stop; stack_fcgi_stop; rm -rf "$TMP_T"' EXIT
export MAX_SEATS_PER_BOOKING=10 MAX_LIVE_HOLDS=4 MAX_HELD_SEATS=20 HOLD_TTL_SECONDS=600
export NGINX_RATE=100000 NGINX_BURST=100000 NGINX_CONNS=60000
stack_fcgi_start && stack_nginx_start "$(stack_free_port)" \
    || { echo "not ok - workers did not start"; exit 1; }

deadlocks() {
    sql "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
}
dl_before=$(deadlocks)

# channel HOLDS SEATS PER_BOOKING: a channel key with these caps; sets
# CH (its Authorization header) and CLIENT (who its bookings count as).
channel() {
    post_json /admin/keys "{\"name\":\"Shards $1/$2\",\"limits\":{\"max_live_holds\":$1,\"max_held_seats\":$2,\"max_seats_per_booking\":$3}}" -H "$ADMIN"
    CH="Authorization: Bearer $(jget .secret)" CLIENT="channel $(jget .key.id)"
}
# hold SHOW SEATS [CURL ARGS...]: one hold by the channel.
hold() {
    post_json /book "{\"show_id\":$1,\"seat_count\":$2,\"hold\":true}" -H "$CH" "${@:3}"
}
# holds N SHOW SEATS: N holds at once (50 in flight); their statuses in
# $TMP_T/codes.
holds() {
    local i
    for i in $(seq 1 "$1"); do
        [ "$i" -gt 1 ] && echo next
        printf 'url = "%s/book"\nrequest = "POST"\nheader = "Content-Type: application/json"\n' "$BASE_URL"
        printf 'header = "%s"\n' "$CH"
        printf 'data = "{\\"show_id\\":%d,\\"seat_count\\":%d,\\"hold\\":true}"\n' "$2" "$3"
        echo 'output = "/dev/null"'
        echo 'write-out = "%{http_code}\\n"'
    done >"$TMP_T/holds.cfg"
    curl -s --parallel --parallel-max 50 -K "$TMP_T/holds.cfg" >"$TMP_T/codes"
}
codes() {
    echo "$(grep -c '^201$' "$TMP_T/codes")/$(grep -c '^409$' "$TMP_T/codes")/$(grep -cvE '^(201|409)$' "$TMP_T/codes")"
}
# "holds/seats": the client's live holds.
live() {
    sql "SELECT count(*) || '/' || coalesce(sum(seat_count), 0) FROM bookings
          WHERE client = '$CLIENT' AND status = 'PENDING' AND expires_at > now()"
}
# "holds/seats": the sums of the client's quotas.
quotas() {
    sql "SELECT sum(quota_holds) || '/' || sum(quota_seats)
           FROM client_hold_shards WHERE client = '$CLIENT'"
}
# Shards whose live holds or seats are past their quota (shard -1 too).
over_quota() {
    sql "SELECT count(*) FROM client_hold_shards q
           LEFT JOIN (SELECT coalesce(client_shard, -1) AS shard, count(*) AS holds,
                             sum(seat_count) AS seats
                        FROM bookings WHERE client = '$CLIENT' AND status = 'PENDING'
                         AND expires_at > now() GROUP BY 1) b USING (shard)
          WHERE q.client = '$CLIENT'
            AND (coalesce(b.holds, 0) > q.quota_holds OR coalesce(b.seats, 0) > q.quota_seats)"
}
shards_used() {
    sql "SELECT count(DISTINCT client_shard) FROM bookings WHERE client = '$CLIENT'"
}
show=$(make_show 20000 "Sharded")

# --- 200 at once against the caps --------------------------------------
channel 100 1000 10
check "caps 100/1000: counted in 8 shards" eq \
    "$(sql "SELECT client_shard_count(100, 1000)")" 8
holds 200 "$show" 1
echo "# 200 holds of 1 at once, caps 100 holds: $(sort "$TMP_T/codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
check "200 holds of 1 at once: 100 held, 100 refused, nothing else" eq "$(codes)" "100/100/0"
check "exactly 100 live holds, the cap" eq "$(live)" "100/100"
check "every refusal is hold_limit" eq \
    "$(hold "$show" 1; echo "$STATUS/$(jget .error)")" "409/hold_limit"
check "the quotas sum to the caps" eq "$(quotas)" "100/1000"
check "no shard holds more than its quota" eq "$(over_quota)" 0
check "the holds went to several shards" bash -c "[ $(shards_used) -ge 2 ]"

channel 1000 256 10
holds 200 "$show" 2
echo "# 200 holds of 2 at once, caps 256 seats: $(sort "$TMP_T/codes" | uniq -c | awk '{printf "%s:%s ", $2, $1}')"
check "200 holds of 2 at once: 128 held (256 seats), 72 refused" eq "$(codes)" "128/72/0"
check "exactly 256 seats held, the cap" eq "$(live)" "128/256"
check "the quotas sum to the caps" eq "$(quotas)" "1000/256"
check "no shard holds more than its quota" eq "$(over_quota)" 0

# --- A shard that another transaction holds is skipped ---------------
channel 1000 10000 10
hold "$show" 1
check "a first hold: 201" eq "$STATUS" 201
mkfifo "$TMP_T/s.in"
PGAPPNAME=t1650-S psql -X -qtA -v ON_ERROR_STOP=1 "$DATABASE_URL" \
    <"$TMP_T/s.in" >"$TMP_T/S.out" 2>&1 &
spid=$!
exec 7>"$TMP_T/s.in"
echo "BEGIN; SELECT count(pg_advisory_xact_lock(client_lock_key('$CLIENT', g)))
      FROM generate_series(0, 6) g; SELECT 'S holds shards 0-6';" >&7
stack_wait_for 10 grep -qs 'S holds shards 0-6' "$TMP_T/S.out"
ids=()
for i in 1 2 3; do
    hold "$show" 1 --max-time 5
    ids+=("$STATUS/$(sql "SELECT client_shard FROM bookings WHERE id = $(jget '.booking.id // 0')")")
done
check "shards 0-6 held elsewhere: 3 holds at once, each in shard 7" eq \
    "${ids[*]}" "201/7 201/7 201/7"
echo "SELECT count(pg_advisory_xact_lock(client_lock_key('$CLIENT', 7)));
      SELECT 'S holds every shard';" >&7
stack_wait_for 10 grep -qs 'S holds every shard' "$TMP_T/S.out"
hold "$show" 1 --max-time 20 &
hpid=$!
waiting() {
    [ "$(sql "SELECT count(*) FROM pg_stat_activity
               WHERE usename = 'booking_app' AND wait_event_type = 'Lock'
                 AND wait_event = 'advisory'")" -ge 1 ]
}
check "every shard held elsewhere: the hold waits for one" stack_wait_for 10 waiting
echo "COMMIT;" >&7
exec 7>&-
wait "$spid"
wait "$hpid"
check "and takes it once it is given back" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE client = '$CLIENT' AND status = 'PENDING'")" 5

# A hold that names no shard (made before this release, or counted
# whole): shard -1, whose quota was 0. The next hold finds it, and the
# quotas are split again around it.
sql "UPDATE bookings SET client_shard = NULL WHERE id = (SELECT min(id) FROM bookings
      WHERE client = '$CLIENT')" >/dev/null
hold "$show" 1
check "a hold in no shard: counted, the next is held" eq "$STATUS" 201
check "shard -1's quota is that hold" eq "$(sql "SELECT quota_holds || '/' || quota_seats
    FROM client_hold_shards WHERE client = '$CLIENT' AND shard = -1")" "1/1"
check "the quotas still sum to the caps" eq "$(quotas)" "1000/10000"
check "the previous release's booking_limits() counts the client whole" eq \
    "$(sql "SELECT booking_limits($show, 1, 60, '$CLIENT', NULL, 1000, 10000)")" ok

# --- Fragmented quotas: the slow path splits them again ---------------
# Caps 64 holds / 256 seats: quotas of 8 holds and 32 seats a shard.
channel 64 256 64
for i in 1 2 3 4 5 6 7 8; do hold "$show" 20; done
check "8 holds of 20: held" eq "$STATUS/$(live)" "201/8/160"
split=$(sql "SELECT max(split_at) FROM client_hold_shards WHERE client = '$CLIENT'")
check "96 seats left, no shard with 40" eq "$(sql "SELECT count(*) FROM client_hold_shards q
    WHERE client = '$CLIENT' AND shard >= 0 AND quota_seats - (SELECT coalesce(sum(seat_count), 0)
      FROM bookings WHERE client = q.client AND client_shard = q.shard AND status = 'PENDING') >= 40")" 0
hold "$show" 40
check "a hold of 40: held all the same" eq "$STATUS/$(live)" "201/9/200"
check "the quotas were split again" eq \
    "$(sql "SELECT max(split_at) > '$split' FROM client_hold_shards WHERE client = '$CLIENT'")" t
check "they sum to the caps" eq "$(quotas)" "64/256"
check "no shard holds more than its quota" eq "$(over_quota)" 0
got=
for i in $(seq 1 8); do hold "$show" 8; got+=" $STATUS"; done
check "56 seats left: 7 holds of 8 held, the eighth refused" eq "$got" \
    " 201 201 201 201 201 201 201 409"
check "exactly the cap: 256 seats" eq "$(live)" "16/256"
check "the quotas sum to the caps" eq "$(quotas)" "64/256"
check "no shard holds more than its quota" eq "$(over_quota)" 0
post_json "/bookings/$(sql "SELECT max(id) FROM bookings WHERE client = '$CLIENT'
    AND status = 'PENDING'")/confirm" "" -H "$CH"
hold "$show" 8
check "one confirmed: its 8 seats are free again" eq "$STATUS/$(live)" "201/16/256"

# --- No deadlock ------------------------------------------------------
# A backend reports its statistics as it exits: stop the workers.
stack_nginx_stop
stack_fcgi_stop
sleep 1.5
check "pg_stat_database.deadlocks did not move" eq "$(deadlocks)" "$dl_before"
check "no worker logged a deadlock" bash -c "! grep -qi deadlock '$STACK_DIR/fcgi.log'"
