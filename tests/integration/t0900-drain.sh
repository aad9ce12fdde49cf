# SIGTERM to the master under load: it stops taking connections, every
# request a worker already holds or that waits in the socket backlog is
# answered, and the master exits 0. Then the server is started again for
# the tests after this one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

show=$(make_show 100000 "Drain")
errlog="$STACK_DIR/nginx/logs/error.log"
cut_before=$(grep -cE 'prematurely closed|reset by peer' "$errlog")

urls=()
for _ in $(seq 1 200); do urls+=(-o /dev/null "$BASE_URL/book"); done
curl -s --parallel --parallel-immediate --parallel-max 200 --max-time 30 \
    -X POST -H "$JSON" -d "{\"show_id\":$show,\"seat_count\":1}" \
    -w '%{http_code}\n' "${urls[@]}" >"$TMP_T/codes" &
load=$!
sleep 0.2
kill -TERM "$FCGI_PID"
wait "$load"

for _ in $(seq 1 150); do
    kill -0 "$FCGI_PID" 2>/dev/null || break
    sleep 0.1
done
check "the master exits within the drain time" bash -c "! kill -0 $FCGI_PID 2>/dev/null"
check "it logged a clean stop" grep -q "booking-fcgi: stopped" "$STACK_DIR/fcgi.log"
check "no worker had to be killed" bash -c "! grep -q 'did not stop' '$STACK_DIR/fcgi.log'"
check "no worker left behind" eq "$(pgrep -P "$FCGI_PID" | wc -l)" 0
check "every request got 201, or 503 (retry) once the socket was gone" \
    eq "$(grep -vcE '^(201|503)$' "$TMP_T/codes")" 0
check "some requests were served during the drain" test "$(grep -c '^201$' "$TMP_T/codes")" -gt 0
check "no connection was cut mid-request" \
    eq "$(grep -cE 'prematurely closed|reset by peer' "$errlog")" "$cut_before"
check "every 201 is stored" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND status = 'CONFIRMED'")" \
    "$(grep -c '^201$' "$TMP_T/codes")"

stack_fcgi_start
echo "$FCGI_PID" >"$STACK_DIR/fcgi.pid"
req GET /health
check "a new server answers" eq "$STATUS" 200
