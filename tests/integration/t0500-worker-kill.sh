# A worker killed with SIGKILL under load is replaced, and the service
# keeps answering: only the request in flight on the killed worker may
# fail (nginx answers it 502), nothing else.
source "$(dirname "$0")/lib.sh"

workers() { pgrep -P "$FCGI_PID" | sort; }
before=$(workers)
check "the master has $WORKERS workers" eq "$(echo "$before" | wc -l)" "$WORKERS"

show=$(make_show 100000 "Kill test")
# Load: 4 clients, 150 bookings each, in the background.
for c in 1 2 3 4; do
    for _ in $(seq 1 150); do
        curl -s -w '\nSTATUS %{http_code}\n' --max-time 10 -X POST -H "$JSON" \
            -d "{\"show_id\":$show,\"seat_count\":1}" "$BASE_URL/book"
    done >"$TMP_T/load.$c" &
done
sleep 0.3
victim=$(echo "$before" | head -n 1)
kill -KILL "$victim"
sleep 0.3
victim2=$(workers | tail -n 1)
kill -KILL "$victim2"
wait

# Each answer is its body, then "STATUS <code>": keep the codes, and
# the booking ids that were acknowledged with a 201.
cat "$TMP_T"/load.* | awk '$1 == "STATUS" {print $2}' >"$TMP_T/codes"
cat "$TMP_T"/load.* | awk '$1 == "STATUS" && $2 == 201 {print prev} {prev = $0}' \
    | sed -E 's/.*"booking":\{"id":([0-9]+).*/\1/' | paste -sd, >"$TMP_T/acked"
check "the load ran" eq "$(wc -l <"$TMP_T/codes")" 600
check "only 201 or, for an in-flight request, 502" \
    eq "$(grep -vcE '^(201|502)$' "$TMP_T/codes")" 0
check "at most one 502 per killed worker" test "$(grep -c '^502$' "$TMP_T/codes")" -le 2

for _ in $(seq 1 50); do
    [ "$(workers | wc -l)" -eq "$WORKERS" ] && break
    sleep 0.1
done
after=$(workers)
check "the pool is back to $WORKERS workers" eq "$(echo "$after" | wc -l)" "$WORKERS"
check "the killed workers were replaced" bash -c "! echo '$after' | grep -qx -e '$victim' -e '$victim2'"
check "the master logged the kill" grep -q "worker $victim killed by signal 9" "$STACK_DIR/fcgi.log"

req GET /health
check "the service answers" eq "$STATUS" 200
# A 502 may hide a booking that committed just before the kill (it was
# never acknowledged, so the client must look it up); a 201 never lies.
confirmed=$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND status = 'CONFIRMED'")
ok201=$(grep -c '^201$' "$TMP_T/codes")
n502=$(grep -c '^502$' "$TMP_T/codes")
check "every acknowledged booking is stored CONFIRMED" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE status = 'CONFIRMED' AND id IN ($(cat "$TMP_T/acked"))")" "$ok201"
check "no booking beyond the 201s and the in-flight 502s" \
    test "$confirmed" -le "$((ok201 + n502))"

# SIGUSR1 means "stop accepting" to libfcgi: a stray one must not wedge a
# worker (it used to spin on a latched flag, serving nothing).
usr1=$(workers | head -n 1)
kill -USR1 "$usr1"
for _ in $(seq 1 20); do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 "$BASE_URL/shows/$show"
done >"$TMP_T/usr1"
check "after SIGUSR1 every request is still served" eq "$(grep -c '^200$' "$TMP_T/usr1")" 20
check "and the worker is still alive" kill -0 "$usr1"
