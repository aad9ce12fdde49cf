# make test-cluster's faults, and the checks after each (run.sh says
# which). Sourced by tests/cluster/run.sh. Each fault_* runs while the
# load does, from its start T0 (ms): it sets FAULT_MS, when the fault
# began (a kill: once every process is dead), and waits with `at`.

row() { printf '%-13s %8s %6s %-40s %4s %8s %7s %9s\n' "$@"; }

fault_app_kill() {
    local pids inflight
    at "$FAULT_AT"
    # the connections nginx has to app2, counted while it is stopped: a
    # request may be in flight on each
    pids=$(host_pids app2)
    # shellcheck disable=SC2086
    kill -STOP $pids
    inflight=$(host_exec app2 ss -Htn state established '( sport = :9000 )' | wc -l)
    host_kill app2 || note "app2 did not die"
    FAULT_MS=$(now_ms)
    NOTE_EXTRA="$inflight connections to app2 when it died"
    at 20
    app_start app2 || note "app2 did not start again"
}

fault_primary_kill() {
    local p
    at "$FAULT_AT"
    p=$(formation_primary)
    host_kill "$p" || note "$p did not die"
    FAULT_MS=$(now_ms)
    at 25
    formation_node "$p"
    NOTE_EXTRA="$p killed"
}

fault_primary_cut() {
    local p
    at "$FAULT_AT"
    p=$(formation_primary)
    FAULT_MS=$(now_ms)
    host_link "$p" down || note "$p's link could not be pulled"
    at $((FAULT_AT + 20))
    host_link "$p" up || note "$p's link could not be plugged back"
    NOTE_EXTRA="$p cut off 20 s"
}

fault_standby_lost() {
    local s
    at "$FAULT_AT"
    s=$(monitor_sql "SELECT nodename FROM pgautofailover.node
                      WHERE reportedstate = 'secondary' ORDER BY nodename LIMIT 1")
    host_kill "$s" || note "$s did not die"
    FAULT_MS=$(now_ms)
    at 25
    formation_node "$s"
    NOTE_EXTRA="$s killed"
}

fault_switchover() {
    local p
    at "$FAULT_AT"
    p=$(formation_primary)
    FAULT_MS=$(now_ms)
    pg_as mon pg_autoctl perform switchover --pgdata "$CL_DIR/mon/data" --wait 60 \
        >>"$CL_DIR/mon.log" 2>&1 || note "pg_autoctl perform switchover failed"
    NOTE_EXTRA="$p's switchover took $(($(now_ms) - FAULT_MS)) ms"
}

fault_app_db_cut() {
    local n dbs=()
    for n in "${PG_NODES[@]}"; do dbs+=("$(host_addr "$n")"); done
    at "$FAULT_AT"
    FAULT_MS=$(now_ms)
    host_cut app3 on "${dbs[@]}" || note "nft could not cut app3 off the database"
    at $((FAULT_AT + 20))
    host_cut app3 off || note "nft could not give app3 the database back"
    CUT_END_MS=$(now_ms)
}

# resume_ms LOG: the longest time without a booking made (the end of a
# 201), from the fault to the end of the load; "none" without one.
resume_ms() {
    awk -v t="$FAULT_MS" '$4 == 201 && $8 >= t {print $8}' "$1" | sort -n \
        | awk -v t="$FAULT_MS" '{if ($1 - t > m) m = $1 - t; t = $1}
            END {print NR == 0 ? "none" : m + 0}'
}

# check_doubled: sets DOUBLED, the customers with two bookings (each of
# the channel's writes names a customer of its own: two bookings are one
# write done twice).
check_doubled() {
    sql -c "SELECT customer_ref FROM bookings WHERE customer_ref IS NOT NULL
             GROUP BY customer_ref HAVING count(*) > 1" >"$CL_DIR/doubled.$NAME"
    DOUBLED=$(lines "$CL_DIR/doubled.$NAME")
    cat "$CL_DIR/doubled.$NAME" >>"$CL_DIR/doubled.all"
}

# finish: what the clients saw and what the database holds; the row.
finish() {
    local f=$CL_DIR/all.$NAME n ok n0 n500 n504 n502 stray slow resume
    cat "$CL_DIR/load.$NAME.log" "$CL_DIR/load.$NAME".careful*.log >"$f" 2>/dev/null
    n=$(lines "$f")
    ok=$(awk '$4 >= 200 && $4 < 300' "$f" | wc -l)
    n0=$(awk '$4 == 0' "$f" | wc -l)
    n500=$(awk '$4 == 500' "$f" | wc -l)
    n504=$(awk '$4 == 504' "$f" | wc -l)
    n502=$(awk '$4 == 502' "$f" | wc -l)
    # a 502 for a request sent after app2 was dead: not in flight on it
    stray=$(awk -v t="$FAULT_MS" '$4 == 502 && $7 > t' "$f" | wc -l)
    resume=$(resume_ms "$f")
    check_acks
    check_shows
    check_doubled

    [ "$ok" -gt 0 ] || note "no request succeeded"
    [ "$n0" -eq 0 ] || note "$n0 requests got no HTTP answer"
    [ "$n500" -eq 0 ] && [ "$n504" -eq 0 ] || note "$n500 answers 500, $n504 answers 504"
    [ "$LOST" -eq 0 ] || note "$LOST of $ACKED acknowledged bookings lost or contradicted (lost.$NAME)"
    [ "$OVERSOLD" -eq 0 ] || note "$OVERSOLD shows oversold"
    [ "$SKEWED" -eq 0 ] || note "$SKEWED shows whose count is not their live bookings"
    [ "$DOUBLED" -eq 0 ] || note "$DOUBLED customers with two bookings (doubled.$NAME)"
    if [ "$NAME" = app-kill ]; then
        [ "$stray" -eq 0 ] || note "$stray of $n502 502s were for requests sent after app2 died"
        [ "$(awk '$4 >= 500 && $4 != 502' "$f" | wc -l)" -eq 0 ] \
            || note "requests failed that were not in flight on app2: $(by_status "$f")"
    else
        [ "$n502" -eq 0 ] || note "$n502 answers 502, and no app host died"
    fi
    if [ "$NAME" = primary-kill ] \
       && { [ "$resume" = none ] || [ "$resume" -gt "$RESUME_MAX_MS" ]; }; then
        note "bookings resumed $resume ms after the primary's death (at most $RESUME_MAX_MS)"
    fi
    if [ "$NAME" = app-db-cut ]; then
        # app3 answers within its deadline (5 s) while the others serve
        slow=$(awk -v a="$FAULT_MS" -v b="$CUT_END_MS" '$7 >= a && $7 < b && $8 - $7 > 6500' "$f" | wc -l)
        [ "$slow" -eq 0 ] || note "$slow answers during the cut took over 6.5 s"
        [ "$(awk -v a="$FAULT_MS" -v b="$CUT_END_MS" '$4 == 201 && $7 >= a && $8 < b' "$f" | wc -l)" -gt 0 ] \
            || note "no booking was made during the cut: the other hosts did not serve"
    fi
    row "$NAME" "$n" "$ok" "$(by_status "$f")" "$LOST" "$OVERSOLD" "$DOUBLED" "$resume"
    [ -z "${NOTE_EXTRA:-}" ] || echo "  ($NOTE_EXTRA)"
    printf '%s' "$NOTES"
}

# run_fault NAME: its shows, the load, the fault, the cluster restored,
# the checks.
run_fault() {
    NAME=$1
    NOTES=
    NOTE_EXTRA=
    SHOWS=$(make_shows "$NAME")
    case ",$SHOWS," in
    *,null,*|*,,*) note "its shows could not be made: $SHOWS"; printf '%s' "$NOTES"; return ;;
    esac
    T0=$(now_ms)
    load_start_all "$NAME"
    "fault_${NAME//-/_}"
    load_wait_all
    restore
    runs=$((runs + 1))
    finish
}
