# shellcheck shell=bash disable=SC2034 # sourced by run.sh, whose arrays it fills
# make bench's seated on-sale (issue 16): hot-seated, 64 connections
# asking for the best 2 seats together on one show of 20 000 seats until
# it sells out or the window ends, and hot-seated-pick, 2 chosen seats
# drawn at random every request. Sourced by tests/bench/run.sh, whose
# bench_wrk, check_result, dl_* and sql it uses; fills the same rows.

# 4 sections of 50 rows of 100 seats: 20 000. The aisles after seats 20
# and 80 leave stretches of 20, 60 and 20, all even, so pairs can fill
# the hall: a hall sold in pairs ends with no seat left, and a free pair
# together at the end is something the service could have sold.
SEATED_SECTIONS=North,East,South,West
SEATED_ROWS=${BENCH_SEATED_ROWS:-50}     # fewer to see a sell-out in a short run
SEATED_SEATS=100

# seated_layout: the hall's layout for POST /admin/show: sections side by
# side, the stage (focal point) in front of the middle.
seated_layout() {
    local name x=0 sections=
    for name in ${SEATED_SECTIONS//,/ }; do
        sections+="${sections:+,}{\"name\":\"$name\",\"x\":$x,\"y\":2,\"rows\":[{\"names\":\"1-$SEATED_ROWS\",
            \"seats\":\"1-$SEATED_SEATS\",\"category\":\"Stalls\",\"gaps_after\":[20,80]}]}"
        x=$(( x + SEATED_SEATS + 10 ))
    done
    printf '{"focal_point":{"x":%d,"y":0},"categories":[{"name":"Stalls",
        "colour":"#2e86c1","price":4200}],"sections":[%s]}' $(( x / 2 )) "$sections"
}

# seated_show_create NAME: a new seated show through the API (as an
# organiser makes one); prints its id.
seated_show_create() {
    local start answer sections
    IFS=, read -r -a sections <<<"$SEATED_SECTIONS"
    start=$(date -u -d '+2 years' +%Y-%m-%dT%H:%M:%SZ)  # after every GA show
    answer=$(curl -s -X POST "$BASE_URL/admin/show" -H "Authorization: Bearer $ADMIN_TOKEN" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"name\":\"bench $1\",\"start_time\":\"$start\",\"seating\":$(seated_layout)}")
    [ "$(jq -r '.show.total_seats' <<<"$answer")" \
      = $(( ${#sections[@]} * SEATED_ROWS * SEATED_SEATS )) ] \
        || { say "POST /admin/show (seated) did not make the hall: $answer"; exit 2; }
    jq -r '.show.id' <<<"$answer"
}

# seated_analyze: statistics for the tables best available plans on,
# which the data load analyzed while they were empty. An on-sale meets a
# hall made well before it, which autovacuum has analyzed by then; the
# bench's halls are a second old. (Without this, each booking cost
# PostgreSQL about 4 times the CPU.) So every hall is made first, then
# this runs, then the load. bookings too: a seated booking looks bookings
# up by id where one by count does not (its seats' foreign key, the live
# map's trigger, its standing places), and the workers' plans for those
# lookups, made while the table was empty, are kept for the session,
# scanning the whole table, until an ANALYZE invalidates them, as
# autovacuum's does at a box office whose bookings have a history
# (measured on the same code: 650 req/s with those plans, 1060 once
# bookings was analyzed).
seated_analyze() {
    sql "ANALYZE seats, seat_assignments, show_parts, show_seating, seat_rows,
                 bookings"
}

# bench_seated NAME OP SHOW WARM_SHOW: OP best or pick (seated.lua) on
# SHOW, a hall nobody booked yet, warmed up on WARM_SHOW (so that the
# measured hall starts empty), then checked in SQL (seated_check.sql)
# and its deadlocks counted.
bench_seated() {
    local name=$1 op=$2 show=$3 created sold_out not_adj taken other wrong secs
    local key n of pairs bad=
    dl_start
    WARM_ENV="SHOW_ID=$4" SHOW_ID=$show BENCH_OP=$op SECTIONS=$SEATED_SECTIONS \
        ROWS=$SEATED_ROWS SEATS=$SEATED_SEATS bench_wrk "$name" /book tests/bench/seated.lua
    read -r created sold_out not_adj taken other wrong < <(awk '/^bench: seated/ {
        print $4, $6, $8, $10, $12, $14 }' "$STACK_DIR/$name.wrk")
    [ -n "$wrong" ] || { say "$name: no counts from seated.lua"; exit 2; }
    secs=$(awk '/ requests in / { sub(/s,$/, "", $4); print $4 }' "$STACK_DIR/$name.wrk")
    # requests that nginx passed on before wrk stopped still run: check
    # what they leave, once every worker's backend is idle
    for _ in $(seq 1 300); do
        [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE usename = 'booking_app'
                   AND state <> 'idle'")" -eq 0 ] && break
        sleep 0.1
    done
    while read -r key n of pairs; do
        case $key in
            info) NOTE[$name]="sold $n/$of in ${secs}s, $pairs free pairs left; 409 sold_out"
                  NOTE[$name]+=" $sold_out, not_enough_adjacent $not_adj, seats_taken $taken";;
            *) [ "$n" -eq 0 ] || bad+=" $key $n;";;
        esac
    done < <(psql -X -q -v ON_ERROR_STOP=1 -v show="$show" -v op="$op" -v created="$created" \
                 -v sold_out="$sold_out" -v not_adjacent="$not_adj" -v seats_taken="$taken" \
                 -f tests/bench/seated_check.sql "$DATABASE_URL")
    [ -n "${NOTE[$name]:-}" ] || { say "$name: seated_check.sql printed nothing"; exit 2; }
    [ "$other" -eq 0 ] || bad+=" $other answers neither 201 nor a seated 409;"
    [ "$wrong" -eq 0 ] || bad+=" $wrong 201s with seats not asked for;"
    check_result "$name" "$bad" "$created live bookings"
    dl_ended
    dl_settle "$name"
}
