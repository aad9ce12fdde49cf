# Shared by make test-faults (tests/faults/run.sh) and make
# test-deadlines (tests/deadlines/run.sh): the load, and the checks in SQL
# of what it was told. Sourced after scripts/stack.sh; the caller sets
# STACK_DIR, LOADGEN, PORT, BASE_URL, ADMIN_TOKEN and DATABASE_URL, and
# keeps NAME (the scenario), NOTES and violations, which note() adds to.

sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
now_ns() { date +%s%N; }
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
# new_lines FILE MARK PATTERN: lines matching PATTERN after line MARK.
new_lines() { tail -n +"$(($2 + 1))" "$1" | grep -cE "$3"; }
pg_ctl_as() { stack_as_pg "$PG_BIN/pg_ctl" "$@"; }
pg_port() { echo "$DATABASE_URL" | sed -E 's|.*:([0-9]+)/.*|\1|'; }
# note TEXT: a violation of the current scenario, printed under its row.
note() { NOTES+="  ! $NAME: $*"$'\n'; violations=$((violations + 1)); }

# make_show SEATS NAME: a show starting in a year; prints its id.
make_show() {
    curl -s -X POST -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/admin/show" \
        -d "{\"name\":\"$2\",\"start_time\":\"$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)\",\"total_seats\":$1}" \
        | jq -r .show.id
}

# The shows a scenario's load books on: one sold out at once, one that
# sells out during the load, two that never do.
make_shows() {
    local ids=() s
    for s in 50 4000 1000000 1000000; do ids+=("$(make_show "$s" "$1 $s")"); done
    (IFS=,; echo "${ids[*]}")
}

# recovery_ms T0: ms from T0 (now_ns) to the first 200 from /health,
# polled every 50 ms; "timeout" after 15 s.
recovery_ms() {
    local t0=$1 code t
    while :; do
        code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$BASE_URL/health")
        t=$(now_ns)
        [ "$code" = 200 ] && { echo $(((t - t0) / 1000000)); return; }
        [ $((t - t0)) -gt 15000000000 ] && { echo timeout; return; }
        sleep 0.05
    done
}

# max_ms A B: the larger of two recovery times ("timeout" wins).
max_ms() {
    if [ "$1" = timeout ] || [ "$2" = timeout ]; then echo timeout
    elif [ "$1" -ge "$2" ]; then echo "$1"; else echo "$2"; fi
}

# load_start NAME CLIENTS SECONDS SHOWS [LOADGEN-OPTION...]: the load in
# the background, its answers in $LOAD_OUT.
load_start() {
    LOAD_OUT="$STACK_DIR/load.$1.log"
    "$LOADGEN" -p "$PORT" -c "$2" -t "$3" -s "$4" -o "$LOAD_OUT" "${@:5}" &
    LOAD_PID=$!
}
load_wait() {
    wait "$LOAD_PID" || note "the load generator failed (status $?)"
    LOAD_PID=
}

# acks: from every load so far, the statuses each acknowledged booking
# may have now, as CSV "id,ALLOWED|..." (FAILED/expired for a lapsed
# hold). A 201 acknowledges what its body says (CONFIRMED or PENDING), a
# 200 confirm CONFIRMED, a 200 cancel CANCELLED. A confirm or cancel
# without an answer (no answer, 5xx) may or may not have happened.
acks() {
    cat "$STACK_DIR"/load.*.log | awk '
        $3 <= 0 { next }
        ($1 == "book" || $1 == "hold") && $4 == 201 {
            if ($5 == "CONFIRMED") conf[$3] = 1
            else if ($5 == "PENDING") pend[$3] = 1
            else odd[$3] = "201-" $5 }
        $1 == "confirm" && $4 == 200 { if ($5 == "CONFIRMED") conf[$3] = 1; else odd[$3] = "200-" $5 }
        $1 == "confirm" && ($4 == 0 || $4 >= 500) { mayconf[$3] = 1 }
        $1 == "cancel" && $4 == 200 { if ($5 == "CANCELLED") canc[$3] = 1; else odd[$3] = "200-" $5 }
        $1 == "cancel" && ($4 == 0 || $4 >= 500) { maycanc[$3] = 1 }
        END {
            for (id in odd) print id "," "self-contradictory-" odd[id]
            for (id in canc) if (!(id in odd)) print id ",CANCELLED"
            for (id in conf) if (!(id in canc) && !(id in odd))
                print id ",CONFIRMED" (id in maycanc ? "|CANCELLED" : "")
            for (id in pend) if (!(id in conf) && !(id in canc) && !(id in odd))
                print id ",PENDING|FAILED/expired" (id in mayconf ? "|CONFIRMED" : "") \
                    (id in maycanc ? "|CANCELLED" : "")
        }'
}

# check_acks: sets LOST (acknowledged bookings missing or contradicted;
# a hold may be FAILED/expired only if released after its deadline) and
# ACKED, and writes the offenders to lost.NAME and lost.all. Run it only
# once the load has ended: the load's log is written as it goes.
check_acks() {
    acks >"$STACK_DIR/acks.csv"
    sql -c "CREATE TEMP TABLE acks (id bigint PRIMARY KEY, allowed text)" \
        -c "\\copy acks FROM '$STACK_DIR/acks.csv' CSV" \
        -c "SELECT id, allowed, now_is FROM (
                SELECT a.id, a.allowed, coalesce(b.status || CASE
                       WHEN b.status <> 'FAILED' THEN ''
                       WHEN b.reason = 'expired' AND b.expires_at > b.updated_at
                       THEN '/expired-early' ELSE '/' || coalesce(b.reason, '') END,
                       'missing') AS now_is
                  FROM acks a LEFT JOIN bookings b USING (id)) x
             WHERE '|' || allowed || '|' NOT LIKE '%|' || now_is || '|%'" >"$STACK_DIR/lost.$NAME"
    LOST=$(lines "$STACK_DIR/lost.$NAME")
    ACKED=$(lines "$STACK_DIR/acks.csv")
    cat "$STACK_DIR/lost.$NAME" >>"$STACK_DIR/lost.all"
}

# check_shows: sets OVERSOLD (shows with more seats taken than they
# have) and SKEWED (shows whose counter is not the seats of their
# CONFIRMED and PENDING bookings). One statement, one snapshot: valid
# under load, since a counter and its bookings change in one transaction.
check_shows() {
    sql -c "SELECT s.id, s.total_seats, s.booked_seats, coalesce(sum(b.seat_count)
                   FILTER (WHERE b.status IN ('CONFIRMED', 'PENDING')), 0) AS live
              FROM shows_counted s LEFT JOIN bookings b ON b.show_id = s.id
             GROUP BY s.id, s.total_seats, s.booked_seats" >"$STACK_DIR/shows.$NAME"
    OVERSOLD=$(awk -F'|' '$3 > $2 || $4 > $2' "$STACK_DIR/shows.$NAME" | wc -l)
    SKEWED=$(awk -F'|' '$3 != $4' "$STACK_DIR/shows.$NAME" | wc -l)
    awk -F'|' '$3 > $2 || $4 > $2 {print $1}' "$STACK_DIR/shows.$NAME" >>"$STACK_DIR/oversold.all"
}

# by_status LOG: "409:N,503d:N,..." for the answers in loadgen's LOG that
# are not 2xx; a 503 split by what it says: d database_unavailable, o
# outcome_unknown, n nginx's service_unavailable. (make test-deadlines,
# make test-cluster.)
by_status() {
    awk '$4 < 200 || $4 >= 300 {
            s = sprintf("%03d", $4)
            if ($4 == 503) s = s ($6 == "database_unavailable" ? "d" : \
                $6 == "outcome_unknown" ? "o" : $6 == "service_unavailable" ? "n" : "?")
            print s }' "$1" | sort | uniq -c | awk '{print $2 ":" $1}' | paste -sd, -
}
