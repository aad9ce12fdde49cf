# Every request is answered within its deadline, whatever PostgreSQL
# does, and the answer says exactly what is known: on workers of this
# test's own with REQUEST_DEADLINE_MS=1500,
# - PostgreSQL frozen (SIGSTOP): reads 503 database_unavailable, writes
#   that were sent 503 outcome_unknown, all within the deadline and a
#   margin; a write answered database_unavailable left nothing behind,
#   and a keyed one retried after the thaw is booked exactly once;
# - a lock held on bookings: every booking, queued ones too (the time a
#   request waited for a worker counts), answered within the deadline;
# - the server made read-only and back: 503, never 500, /health says
#   database_read_only, then 201 again without a restart.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

DEADLINE=1500
MARGIN=1000     # curl, nginx and a loaded 2-core machine
STACK_DIR=$TMP_T/own
mkdir -p "$STACK_DIR"
pg_pid=$(head -n 1 "$PG_DIR/postmaster.pid")
thaw() { kill -CONT "$pg_pid" $(pgrep -P "$pg_pid") 2>/dev/null; }
read_write() {
    psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" >/dev/null 2>&1 <<'SQL'
ALTER SYSTEM RESET default_transaction_read_only;
SELECT pg_reload_conf();
SQL
}
trap 'thaw; read_write; stack_nginx_stop; stack_fcgi_stop; rm -rf "$TMP_T"' EXIT
export REQUEST_DEADLINE_MS=$DEADLINE WORKERS=2
stack_fcgi_start && stack_nginx_start "$(stack_free_port)" \
    || { echo "not ok - workers with a 1.5 s deadline did not start"; exit 1; }

# fire KIND...: one request per argument at once, each "book SHOW KEY"
# (a keyed booking of one seat) or "get SHOW"; adds "KIND SHOW KEY
# STATUS ERROR MS" lines to $TMP_T/answers.
fire() {
    local i=$RANDOM a pids=()
    for a in "$@"; do
        set -- $a
        i=$((i + 1))
        (
            if [ "$1" = book ]; then
                out=$(curl -s -o "$TMP_T/b$i" -w '%{http_code} %{time_total}' -X POST \
                    -H "$JSON" -H "Idempotency-Key: $3" \
                    --data-binary "{\"show_id\":$2,\"seat_count\":1}" "$BASE_URL/book")
            else
                out=$(curl -s -o "$TMP_T/b$i" -w '%{http_code} %{time_total}' "$BASE_URL/shows/$2")
            fi
            set -- $a
            echo "$1 $2 ${3:--} ${out% *} $(jq -r '.error // "-"' "$TMP_T/b$i" 2>/dev/null || echo -) \
$(awk -v t="${out#* }" 'BEGIN { printf "%d", t * 1000 }')" >>"$TMP_T/answers"
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"     # not the workers and nginx, children too
}
slowest() { awk '{ if ($6 > m) m = $6 } END { print m + 0 }' "$TMP_T/answers"; }
# Until every worker answers again (each retries its connection once a
# second): /health 200 eight times in a row.
recovered() {
    local ok=0
    for _ in $(seq 1 60); do
        req GET /health
        if [ "$STATUS" = 200 ]; then ok=$((ok + 1)); else ok=0; fi
        [ "$ok" -ge 8 ] && return 0
        sleep 0.1
    done
    return 1
}

# --- Frozen -----------------------------------------------------------
shows=()     # one show a booking: what each left behind is its own
for i in 1 2 3 4 5 6; do shows+=("$(make_show 10 "Frozen $i")"); done
for _ in 1 2 3 4 5 6; do req GET "/shows/${shows[0]}"; done     # connected
: >"$TMP_T/answers"
kill -STOP "$pg_pid" $(pgrep -P "$pg_pid")
fire "book ${shows[0]} frozen-$$-0" "book ${shows[1]} frozen-$$-1" \
     "book ${shows[2]} frozen-$$-2" "get ${shows[5]}" "get ${shows[5]}" \
     "book ${shows[3]} frozen-$$-3"
sleep 1     # still frozen: a request now finds no connection it can use
fire "get ${shows[5]}" "book ${shows[4]} frozen-$$-late"
thaw
mv "$TMP_T/answers" "$TMP_T/all"
sed 's/^/#   frozen: /' "$TMP_T/all"
check "frozen: 8 requests, all answered 503" \
    eq "$(awk '$4 == 503' "$TMP_T/all" | wc -l)" 8
[ "$(awk '{ if ($6 > m) m = $6 } END { print m + 0 }' "$TMP_T/all")" -lt $((DEADLINE + MARGIN)) ] \
    || sed 's/^/#   frozen, late: /' "$TMP_T/all"
check "frozen: the slowest within the deadline and a margin ($(awk '{ if ($6 > m) m = $6 } END { print m + 0 }' "$TMP_T/all") ms)" \
    test "$(awk '{ if ($6 > m) m = $6 } END { print m + 0 }' "$TMP_T/all")" -lt $((DEADLINE + MARGIN))
check "frozen: reads are database_unavailable" \
    eq "$(awk '$1 == "get" && $5 != "database_unavailable"' "$TMP_T/all" | wc -l)" 0
check "frozen: writes are outcome_unknown or database_unavailable, nothing else" \
    eq "$(awk '$1 == "book" && $5 != "outcome_unknown" && $5 != "database_unavailable"' "$TMP_T/all" | wc -l)" 0
check "frozen: a write sent to the frozen server is outcome_unknown" \
    test "$(awk '$1 == "book" && $5 == "outcome_unknown"' "$TMP_T/all" | wc -l)" -ge 1
sleep 2     # the server runs again: what it had is committed or rolled back
bad=0
while read -r kind show key status error ms; do
    [ "$kind" = book ] && [ "$error" = database_unavailable ] || continue
    n=$(sql "SELECT (SELECT count(*) FROM bookings WHERE show_id = $show AND status <> 'FAILED')
              + (SELECT count(*) FROM idempotency_keys WHERE key = '$(stored_key "$key")')")
    [ "$n" = 0 ] || { echo "#   $key (show $show): $n rows behind database_unavailable"; bad=$((bad + 1)); }
done <"$TMP_T/all"
check "frozen: nothing was done behind a database_unavailable" eq "$bad" 0
check "thawed: the workers answer again" recovered
bad=0
while read -r kind show key status error ms; do
    [ "$kind" = book ] || continue
    post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Idempotency-Key: $key"
    [ "$STATUS" = 201 ] || { echo "#   retry of $key: $STATUS $BODY"; bad=$((bad + 1)); }
done <"$TMP_T/all"
check "thawed: every write retried with its key is 201" eq "$bad" 0
check "and each is booked exactly once" eq "$(sql "SELECT count(*) FROM bookings
    WHERE show_id IN ($(IFS=,; echo "${shows[*]}")) AND status <> 'FAILED'")" \
    "$(awk '$1 == "book"' "$TMP_T/all" | wc -l)"

# --- A lock held on bookings ------------------------------------------
lockshow=$(make_show 100 "Locked")
psql -X -q "$DATABASE_URL" -c "BEGIN; LOCK TABLE bookings IN EXCLUSIVE MODE;
                               SELECT pg_sleep(6); COMMIT;" >/dev/null 2>&1 &
locker=$!
sleep 0.5
: >"$TMP_T/answers"
args=()
for i in $(seq 1 10); do args+=("book $lockshow locked-$$-$i"); done
fire "${args[@]}"
wait "$locker"
recovered
sed 's/^/#   locked: /' "$TMP_T/answers"
check "locked: 10 bookings on 2 workers, all 503" \
    eq "$(awk '$4 == 503' "$TMP_T/answers" | wc -l)" 10
check "locked: the slowest, queued behind the others, within the deadline and a margin ($(slowest) ms)" \
    test "$(slowest)" -lt $((DEADLINE + MARGIN))
check "locked: nothing was booked" \
    eq "$(sql "SELECT count(*) FROM bookings WHERE show_id = $lockshow AND status <> 'FAILED'")" 0
post_json /book "{\"show_id\":$lockshow,\"seat_count\":1}"
check "the lock gone: 201" eq "$STATUS" 201

# --- Read-only, and back ----------------------------------------------
psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" >/dev/null <<'SQL'
ALTER SYSTEM SET default_transaction_read_only = on;
SELECT pg_reload_conf();
SQL
sleep 0.5
codes=
for _ in 1 2 3 4; do
    post_json /book "{\"show_id\":$lockshow,\"seat_count\":1}"
    codes="$codes $STATUS/$(jget .error)"
done
echo "#   read-only: bookings answered$codes"
check "read-only: every booking 503, never 500" \
    eq "$(echo $codes | tr ' ' '\n' | grep -vc '^503/')" 0
req GET /health
check "read-only: /health 503 database_read_only, or no connection at all" \
    bash -c "[[ '$STATUS/$(jget .error)' =~ ^503/database_(read_only|unavailable)$ ]]"
psql -X -q "$DATABASE_URL" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE usename = 'booking_app'" >/dev/null
read_write
ok=0
for _ in $(seq 1 40); do
    post_json /book "{\"show_id\":$lockshow,\"seat_count\":1}"
    if [ "$STATUS" = 201 ]; then ok=$((ok + 1)); else ok=0; fi
    [ "$ok" -ge 4 ] && break
    sleep 0.2
done
check "writable again: bookings 201 without a restart" test "$ok" -ge 4
