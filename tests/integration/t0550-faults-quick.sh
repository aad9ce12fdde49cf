# Faults, the seconds-long part of make test-faults: a worker SIGKILLed,
# then every database session terminated by the server, each under a load
# of bookings, holds, confirms and cancels. After each, every booking that
# was acknowledged is stored with the status it was acknowledged with, no
# show is oversold, every counter equals the seats of its live bookings,
# the only errors are 409 and 503 (and a 502 for each request in flight
# on the killed worker: one per FastCGI connection it held), and the
# service answers again within 5 s.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

JOBS=20         # concurrent requests per curl, three curls at once

# burst OUT SHOW SEATS HOLD N: N bookings at once; OUT gets one line per
# answer, "<status> <Location>" (the Location names the booking).
burst() {
    local urls=() i
    for i in $(seq 1 "$5"); do urls+=(-o /dev/null "$BASE_URL/book"); done
    curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$JOBS" --max-time 15 \
        -X POST -H "$JSON" -d "{\"show_id\":$2,\"seat_count\":$3,\"hold\":$4}" \
        -w '%{http_code} %header{location}\n' "${urls[@]}" >"$1"
}

# act OUT VERB ID...: POST /bookings/ID/VERB for each at once, as the
# admin (curl's parallel answers go to /dev/null, so the bookings' own
# tokens are not at hand); OUT gets "<status> <url>".
act() {
    local out=$1 verb=$2 urls=() id
    shift 2
    for id in "$@"; do urls+=(-o /dev/null "$BASE_URL/bookings/$id/$verb"); done
    : >"$out"
    [ ${#urls[@]} -gt 0 ] || return 0
    curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$JOBS" --max-time 15 \
        -X POST -H "$ADMIN" -w '%{http_code} %{url_effective}\n' "${urls[@]}" >"$out"
}

ids_of() { awk -v s="$2" '$1 == s {n = split($2, p, "/"); print p[n]}' "$1" | tr -d '\r'; }
acted() { awk -v s="$2" '$1 == s {n = split($2, p, "/"); print p[n - 1]}' "$1"; }
acted_not() { awk -v s="$2" '$1 != s {n = split($2, p, "/"); print p[n - 1]}' "$1"; }

# recovery_ms: ms until GET /health answers 200 (gives up after 10 s).
recovery_ms() {
    local t0=$1
    for _ in $(seq 1 200); do
        [ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$BASE_URL/health")" = 200 ] && break
        sleep 0.05
    done
    echo $((($(date +%s%N) - t0) / 1000000))
}

terminate_all() {
    sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND backend_type = 'client backend'"
}

# phase NAME FAULT: the load in two rounds, FAULT injected in the middle
# of the first (books and holds) and again just before the second
# (confirms and cancels), then the checks.
phase() {
    local name=$1 fault=$2 d="$TMP_T/$1" small big t0 ms running=0 pids=() p
    mkdir -p "$d"
    small=$(make_show 30 "Faults $name small")
    big=$(make_show 100000 "Faults $name big")
    burst "$d/small" "$small" 2 false 200 & pids+=($!)
    burst "$d/big" "$big" 1 false 400 & pids+=($!)
    burst "$d/hold" "$big" 2 true 300 & pids+=($!)
    sleep 0.2
    t0=$(date +%s%N)
    "$fault"
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
    ms=$(recovery_ms "$t0")
    wait
    check "$name: the fault came while the load ran" test "$running" -gt 0

    mapfile -t holds < <(ids_of "$d/hold" 201)
    mapfile -t booked < <(ids_of "$d/big" 201)
    "$fault"
    act "$d/confirm" confirm "${holds[@]:0:${#holds[@]}/2}" &
    act "$d/cancel" cancel "${holds[@]:${#holds[@]}/2}" "${booked[@]:0:20}" &
    wait

    cat "$d/small" "$d/big" "$d/hold" | cut -d' ' -f1 >"$d/codes1"
    cut -d' ' -f1 "$d/confirm" "$d/cancel" >"$d/codes2"
    check "$name: every request was answered" eq "$(cat "$d/codes1" "$d/codes2" | wc -l)" \
        $((900 + ${#holds[@]} + (${#booked[@]} < 20 ? ${#booked[@]} : 20)))
    check "$name: books and holds got only 201, 409 or 503" \
        eq "$(grep -vcE "^(201|409|503${ALLOW502:+|502})$" "$d/codes1")" 0
    check "$name: confirms and cancels got only 200, 409 or 503" \
        eq "$(grep -vcE "^(200|409|503${ALLOW502:+|502})$" "$d/codes2")" 0
    check "$name: at most $INFLIGHT 502s (one per connection the killed workers held)" \
        test "$(cat "$d/codes1" "$d/codes2" | grep -c '^502$')" -le "$INFLIGHT"
    check "$name: some bookings were acknowledged" test "${#booked[@]}" -gt 0
    check "$name: the small show sold out" grep -q '^409$' <(cut -d' ' -f1 "$d/small")
    check "$name: the service answered again in ${ms} ms (<= 5000)" test "$ms" -le 5000

    # What each acknowledged booking may be now: a 201 booking CONFIRMED,
    # a 201 hold PENDING (or, once lapsed, FAILED/expired), a 200 confirm
    # CONFIRMED, a 200 cancel CANCELLED; a confirm or cancel that got no
    # 200 may or may not have happened.
    {
        for id in $(ids_of "$d/small" 201) $(ids_of "$d/big" 201); do echo "$id CONFIRMED"; done
        for id in "${holds[@]}"; do echo "$id PENDING|FAILED/expired"; done
        for id in $(acted_not "$d/confirm" 200); do echo "$id CONFIRMED"; done
        for id in $(acted_not "$d/cancel" 200); do echo "$id CANCELLED"; done
    } | awk '{a[$1] = a[$1] ? a[$1] "|" $2 : $2} END {for (i in a) print i, a[i]}' >"$d/may"
    for id in $(acted "$d/confirm" 200); do echo "$id CONFIRMED"; done >"$d/must"
    for id in $(acted "$d/cancel" 200); do echo "$id CANCELLED"; done >>"$d/must"
    values=$(awk -v q="'" 'NR == FNR {must[$1] = $2; next}
                  {printf "%s(%s,%s)", (n++ ? "," : ""), $1, q ($1 in must ? must[$1] : $2) q}' \
             "$d/must" "$d/may")
    check "$name: acknowledged bookings were recorded" test -n "$values"
    lost=$(sql "SELECT id || ':' || allowed || ':' || now_is FROM (
                  SELECT a.id, a.allowed, coalesce(b.status || CASE WHEN b.status = 'FAILED'
                         THEN '/' || coalesce(b.reason, '') ELSE '' END, 'missing') AS now_is
                    FROM (VALUES $values) a (id, allowed) LEFT JOIN bookings b ON b.id = a.id) x
                 WHERE '|' || allowed || '|' NOT LIKE '%|' || now_is || '|%'" | paste -sd' ' -)
    check "$name: every acknowledged booking is stored as acknowledged (lost: ${lost:-none})" test -z "$lost"
    check "$name: no show is oversold, every counter equals its live bookings" eq \
        "$(sql "SELECT count(*) FROM shows_counted s WHERE s.id IN ($small, $big) AND (s.booked_seats <> (
                  SELECT coalesce(sum(seat_count), 0) FROM bookings b WHERE b.show_id = s.id
                     AND b.status IN ('CONFIRMED', 'PENDING')) OR s.booked_seats > s.total_seats)")" 0
}

INFLIGHT=0      # FastCGI connections the killed workers held
kill_worker() {
    INFLIGHT=$(( INFLIGHT + $(stack_kill_worker "$(pgrep -P "$FCGI_PID" | shuf -n 1)") ))
}
ALLOW502=1 phase kill kill_worker
for _ in $(seq 1 50); do
    [ "$(pgrep -P "$FCGI_PID" | wc -l)" -eq "$WORKERS" ] && break
    sleep 0.1
done
check "kill: the pool is back to $WORKERS workers" eq "$(pgrep -P "$FCGI_PID" | wc -l)" "$WORKERS"

terminated=
terminate() { terminated+="$(terminate_all) "; }
INFLIGHT=0 ALLOW502= phase terminate terminate
# under load every worker is connected; before the second round, those
# that served a request since have reconnected
read -r first second <<<"$terminated"
check "terminate: every worker's session was terminated ($first), then again ($second)" \
    test "$first" -ge "$WORKERS" -a "$second" -ge 1
req GET /health
check "terminate: the workers are connected again" eq "$STATUS" 200
