# Started the way systemd's booking-fcgi.socket starts it: the listening
# socket is inherited (LISTEN_FDS), not bound, and it serves through nginx.
# Stopping it leaves the socket path alone: it belongs to systemd.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

stack_fcgi_stop_pid() {
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}
check "the running server stops" stack_fcgi_stop_pid "$FCGI_PID"

sock="$STACK_DIR/fcgi.sock"
# It passes on only the environment named with -E, as a unit's would be.
systemd-socket-activate -l "$sock" -E DATABASE_URL -E ADMIN_TOKEN -E WORKERS \
    "$STACK_ROOT/$BUILD/booking-fcgi" \
    2>>"$STACK_DIR/fcgi.log" &
activated=$!
trap 'kill -TERM "$activated" 2>/dev/null; rm -rf "$TMP_T"' EXIT
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done

admin_post "{\"name\":\"Socket activation\",\"start_time\":\"2099-01-01T00:00:00Z\",\"total_seats\":5}"
show=$(jget .show.id)
check "a request through nginx starts it and is served" eq "$STATUS" 201
post_json /book "{\"show_id\":$show,\"seat_count\":2}"
check "it books" eq "$STATUS" 201
check "it took the socket from systemd" grep -q "using the socket passed by systemd" "$STACK_DIR/fcgi.log"

# Stop under a load that keeps the socket's backlog full: every worker
# must still see the signal, finish its request and exit, leaving the
# queued connections to the next server (systemd keeps the socket).
load_until=$(( $(date +%s) + 4 ))
for c in $(seq 1 16); do
    while [ "$(date +%s)" -lt "$load_until" ]; do
        curl -s -o /dev/null --max-time 5 "$BASE_URL/shows/$show"
    done &
done
sleep 1
stopped_at=$(date +%s%N)
check "it stops on SIGTERM under load" stack_fcgi_stop_pid "$activated"
stop_ms=$(( ($(date +%s%N) - stopped_at) / 1000000 ))
check "promptly (${stop_ms} ms), not after the drain deadline" test "$stop_ms" -lt 3000
check "no worker had to be killed" bash -c "! grep -q 'did not stop' '$STACK_DIR/fcgi.log'"
wait
check "it leaves the inherited socket path in place" test -S "$sock"

stack_fcgi_start
echo "$FCGI_PID" >"$STACK_DIR/fcgi.pid"
req GET /health
check "a server binding the path itself takes over" eq "$STATUS" 200
