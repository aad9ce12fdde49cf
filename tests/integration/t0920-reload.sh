# SIGHUP (systemctl reload) under a steady booking load: the master reads
# its CONFIG_FILE again and replaces the workers one at a time, each old
# one finishing what it holds. Not one request fails, every 201 is
# stored, and the pool ends with new workers in the number configured.
# An invalid file is refused and the workers go on serving.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

log="$STACK_DIR/fcgi.log"
conf="$TMP_T/booking.env"

workers() { pgrep -P "$FCGI_PID" | sort; }

# reload_and_wait: SIGHUP, then wait (15 s at most) for one more "reload done".
reload_and_wait() {
    local before
    before=$(grep -c 'reload done' "$log")
    kill -HUP "$FCGI_PID"
    for _ in $(seq 1 150); do
        [ "$(grep -c 'reload done' "$log")" -gt "$before" ] && return 0
        sleep 0.1
    done
    return 1
}

# The server of the earlier tests has no CONFIG_FILE: start one that has.
stack_fcgi_stop
printf '# test settings\nWORKERS=4\nHOLD_TTL_SECONDS="%s"\n' \
    "$HOLD_TTL_SECONDS" >"$conf"
CONFIG_FILE=$conf stack_fcgi_start
echo "$FCGI_PID" >"$STACK_DIR/fcgi.pid"
for _ in $(seq 1 50); do [ "$(workers | wc -l)" -eq 4 ] && break; sleep 0.1; done

show=$(make_show 100000 "Reload")
first=$(workers)

# 20 buyers at a time, in batches of 400, until the reloads are done
# (60 s at most).
urls=()
for _ in $(seq 1 400); do urls+=(-o /dev/null "$BASE_URL/book"); done
(
    end=$((SECONDS + 60))
    while [ ! -e "$TMP_T/stop" ] && [ "$SECONDS" -lt "$end" ]; do
        curl -s --parallel --parallel-immediate --parallel-max 20 --max-time 30 \
            -X POST -H "$JSON" -d "{\"show_id\":$show,\"seat_count\":1}" \
            -w '%{http_code}\n' "${urls[@]}" >>"$TMP_T/codes"
    done
) &
load=$!
sleep 0.5
ok=0
for _ in 1 2 3; do reload_and_wait && ok=$((ok + 1)); done
check "three reloads under load, each done" eq "$ok" 3
sleep 0.5
touch "$TMP_T/stop"
wait "$load"

total=$(wc -l <"$TMP_T/codes")
check "$total requests made during the reloads (over 1000)" test "$total" -gt 1000
check "not one request failed: all 201" eq "$(grep -vc '^201$' "$TMP_T/codes")" 0
check "every 201 is stored" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND status = 'CONFIRMED'")" \
    "$(grep -c '^201$' "$TMP_T/codes")"
check "still 4 workers" eq "$(workers | wc -l)" 4
check "none of them from before the reloads" \
    eq "$(comm -12 <(echo "$first") <(workers) | wc -l)" 0
check "no worker had to be killed" bash -c "! grep -q 'did not leave' '$log'"

# A new worker count takes effect.
sed -i 's/^WORKERS=4/WORKERS=2/' "$conf"
reload_and_wait
check "WORKERS=2 in the file: 2 workers after the reload" eq "$(workers | wc -l)" 2

# Growing: the running slots are replaced once, the added one starts new.
started=$(grep -c 'worker [0-9]* started' "$log")
sed -i 's/^WORKERS=2/WORKERS=3/' "$conf"
reload_and_wait
for _ in $(seq 1 30); do [ "$(workers | wc -l)" -eq 3 ] && break; sleep 0.1; done
check "WORKERS=3: 3 workers, 3 started (2 replaced, 1 added)" eq \
    "$(workers | wc -l) $(($(grep -c 'worker [0-9]* started' "$log") - started))" "3 3"

# An invalid file is refused; the running workers keep serving.
kept=$(workers)
echo 'WORKERS=lots' >>"$conf"
kill -HUP "$FCGI_PID"
for _ in $(seq 1 50); do grep -q 'reload refused' "$log" && break; sleep 0.1; done
check "an invalid setting is refused, and logged" grep -q 'reload refused' "$log"
check "the log names the bad setting" grep -q 'invalid WORKERS="lots"' "$log"
check "the same workers run" eq "$(workers)" "$kept"
req GET /health
check "and answer" eq "$STATUS" 200

printf 'not a setting\n' >"$conf"
kill -HUP "$FCGI_PID"
for _ in $(seq 1 50); do grep -q 'not a KEY=VALUE' "$log" && break; sleep 0.1; done
check "a line that is not KEY=VALUE is refused" grep -q "$conf:1: not a KEY=VALUE" "$log"

# Valid settings that do not work: a DATABASE_URL no server answers.
# The new worker gets no connection where the old one has one: the
# reload is aborted, the old workers stay, and the environment is put
# back, so a worker restarted later connects with the old URL.
printf 'WORKERS=3\nDB_CONNECT_TIMEOUT=1\nDATABASE_URL=postgresql://nobody@127.0.0.1:1/none\n' >"$conf"
kept=$(workers)
kill -HUP "$FCGI_PID"
for _ in $(seq 1 60); do grep -q 'reload aborted' "$log" && break; sleep 0.1; done
check "a DATABASE_URL that does not connect: the reload is aborted" grep -q 'reload aborted' "$log"
sleep 0.5
check "the old workers stay" eq "$(workers)" "$kept"
retries=$(grep -c 'will retry' "$log")
kill -KILL "$(workers | head -n 1)"
for _ in $(seq 1 50); do [ "$(workers | wc -l)" -eq 3 ] && break; sleep 0.1; done
sleep 0.5
codes=$(for _ in $(seq 1 12); do curl -s -o /dev/null -w '%{http_code}\n' "$BASE_URL/health"; done | sort | uniq -c | tr -s ' ')
check "a worker restarted after it connects with the old URL: /health 200 x12" eq "$codes" " 12 200"
check "and logged no failed connection" eq "$(grep -c 'will retry' "$log")" "$retries"

# Settings that work for the first slot only: a role allowed one
# connection. Slot 0 is replaced, slot 1's new worker is refused, the
# reload is aborted, and slot 0 is put back on the old settings too.
sql "DROP ROLE IF EXISTS reload_one; CREATE ROLE reload_one LOGIN CONNECTION LIMIT 1;
     GRANT booking_app TO reload_one" >/dev/null
one_url=$(echo "${APP_DATABASE_URL:-$DATABASE_URL}" | sed -E 's|//[^@/]*@|//reload_one@|')
printf 'WORKERS=3\nDATABASE_URL=%s\n' "$one_url" >"$conf"
backs=$(grep -c 'every worker has the old settings' "$log")
kill -HUP "$FCGI_PID"
for _ in $(seq 1 150); do
    [ "$(grep -c 'every worker has the old settings' "$log")" -gt "$backs" ] && break
    sleep 0.1
done
check "refused at the second slot: the first is put back too" \
    grep -q 'putting the old settings back on 1 workers' "$log"
check "and the log says every worker has the old settings" \
    test "$(grep -c 'every worker has the old settings' "$log")" -gt "$backs"
sleep 0.5
check "no worker is left connected as the new role" eq \
    "$(sql "SELECT count(*) FROM pg_stat_activity WHERE usename = 'reload_one'")" 0
check "still 3 workers" eq "$(workers | wc -l)" 3
sql "DROP ROLE reload_one" >/dev/null

# Back to the server the later tests expect.
stack_fcgi_stop
stack_fcgi_start
echo "$FCGI_PID" >"$STACK_DIR/fcgi.pid"
req GET /health
check "a server without CONFIG_FILE answers again" eq "$STATUS" 200
