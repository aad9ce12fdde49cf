# FCGI_SOCKET=host:port: booking-fcgi serves FastCGI on TCP for an nginx
# on another host (docs/cluster.md). A malformed address is refused
# before anything is bound; a pool on 127.0.0.1:PORT, and one on
# [::1]:PORT, serve bookings and /health through an nginx of this test's
# own; the connections from nginx carry TCP keepalive; the port in use
# is refused; systemd's socket activation passes a TCP socket as it does
# a unix one; a reload keeps the socket; SIGTERM under load drains:
# every request answered 201 or 503, none cut, and no file named after
# the address is left behind. The shared stack is left as it was.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"
source "$(dirname "$0")/../cluster/lib.sh"

bin="$STACK_ROOT/$BUILD/booking-fcgi"
real_dir=$STACK_DIR
log="$TMP_T/fcgi-tcp.log"
NG=
trap cluster_test_cleanup EXIT

# try_bad VALUE: the server with FCGI_SOCKET=VALUE; sets RC and ERR.
try_bad() {
    ERR=$(env -i PATH="$PATH" DATABASE_URL="$DATABASE_URL" ADMIN_TOKEN="$ADMIN_TOKEN" \
        WORKERS=1 FCGI_SOCKET="$1" timeout 5 "$bin" 2>&1 </dev/null)
    RC=$?
}
for bad in "127.0.0.1:" "127.0.0.1:0" "127.0.0.1:65536" "127.0.0.1:+80" \
           "127.0.0.1:80x" "::1:9000" "[::1]" "[::1:9000" "[127.0.0.1]:80" \
           "localhost:9000" "1.2.3:80" ":9000"; do
    try_bad "$bad"
    check "FCGI_SOCKET=$bad: refused, exit status 2, naming it" \
        eq "$RC/$(echo "$ERR" | grep -cF "invalid FCGI_SOCKET=\"$bad\"")" "2/1"
done

# start_tcp ADDRESS [VAR=VALUE...]: a pool bound to it; sets PID.
start_tcp() {
    cluster_pool_start "$1" "$log" "${@:2}"
    PID=$POOL
    [ -n "$PID" ]
}

# stop_pid PID: SIGTERM, and wait (15 s at most) for it to exit.
stop_pid() {
    [ -n "$1" ] || return 1
    kill -TERM "$1" 2>/dev/null
    stack_wait_for 15 gone "$1"
}
gone() { ! kill -0 "$1" 2>/dev/null; }

# nginx_to SERVER: this test's nginx, its upstream the one SERVER
# (host:port, as nginx writes it); sets BASE_URL.
nginx_to() {
    local port
    [ -n "$NG" ] && kill -QUIT "$NG" 2>/dev/null && wait "$NG" 2>/dev/null
    port=$(stack_free_port)
    STACK_DIR=$TMP_T/ng stack_nginx_conf "$port"
    sed -i -e "s|server unix:$TMP_T/ng/fcgi.sock;|server $1;|" "$TMP_T/ng/nginx/conf/booking.conf"
    nginx -q -p "$TMP_T/ng/nginx" -c "$TMP_T/ng/nginx/conf/nginx.conf" \
        -e "$TMP_T/ng/nginx/logs/error.log" &
    NG=$!
    BASE_URL="http://127.0.0.1:$port"
    stack_wait_for 5 curl -s -o /dev/null "$BASE_URL/openapi.json"
}

fport=$(stack_free_port)
addr="127.0.0.1:$fport"
check "a pool binds $addr and says so" start_tcp "$addr"
first=$PID
check "it listens on that address and port" \
    eq "$(ss -Hltn "sport = :$fport" | awk '{print $4}')" "$addr"
check "nginx in front of it starts" nginx_to "$addr"
show=$(make_show 10 "TCP")
check "an admin request through it creates a show" test -n "$show"
post_json /book "{\"show_id\":$show,\"seat_count\":2}"
check "a booking through it is made" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
check "and stored" eq "$(counters "$show")" "2/2"
req GET /health
check "health is 200" eq "$STATUS/$(jget .status)" "200/ok"
check "nginx's connection to the workers has TCP keepalive" \
    bash -c "ss -Htno state established '( sport = :$fport )' | grep -q 'timer:(keepalive'"

start_tcp "$addr"
second=${POOLS[-1]}
wait "$second" 2>/dev/null
check "a second server on the same port exits with status 1" eq "$?" 1
check "saying that the address is in use" \
    grep -q "binding FCGI_SOCKET=\"$addr\" failed: Address already in use" "$log"
req GET /health
check "the first one still serves" eq "$STATUS" 200

before=$(grep -c 'reload done' "$log")
reloaded() { [ "$(grep -c 'reload done' "$log")" -gt "$before" ]; }
kill -HUP "$first"
check "SIGHUP reloads it" stack_wait_for 15 reloaded
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "and it books on the same socket" eq "$STATUS" 201

# SIGTERM under load, as t0900 does on the unix socket: the requests
# already queued are served, the ones after are not cut halfway.
drain=$(make_show 100000 "TCP drain")
errlog=$TMP_T/ng/nginx/logs/error.log
urls=()
for _ in $(seq 1 200); do urls+=(-o /dev/null "$BASE_URL/book"); done
curl -s --parallel --parallel-immediate --parallel-max 200 --max-time 30 \
    -X POST -H "$JSON" -d "{\"show_id\":$drain,\"seat_count\":1}" \
    -w '%{http_code}\n' "${urls[@]}" >"$TMP_T/codes" &
load=$!
sleep 0.2
check "SIGTERM under load: the master exits within the drain time" stop_pid "$first"
wait "$load"
check "no worker had to be killed" bash -c "! grep -q 'did not stop' '$log'"
check "every request got 201, or 503 (retry)" eq "$(grep -vcE '^(201|503)$' "$TMP_T/codes")" 0
check "some were served during the drain" test "$(grep -c '^201$' "$TMP_T/codes")" -gt 0
check "no connection was cut mid-request" \
    eq "$(grep -cE 'prematurely closed|reset by peer' "$errlog")" 0
check "every 201 is stored" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $drain AND status = 'CONFIRMED'")" \
    "$(grep -c '^201$' "$TMP_T/codes")"
check "no file named after the address" test ! -e "$addr"
check "the port is free again" eq "$(ss -Hltn "sport = :$fport" | wc -l)" 0

# FCGI_WEB_SERVER_ADDRS (docs/cluster.md): libfcgi closes a connection
# from any other address before a worker reads it.
wport=$(stack_free_port)
check "a pool that takes connections from 127.0.0.2 only starts" \
    start_tcp "127.0.0.1:$wport" FCGI_WEB_SERVER_ADDRS=127.0.0.2
only2=$PID
check "nginx in front of it starts" nginx_to "127.0.0.1:$wport"
served=$(grep -c '^booking-fcgi: GET /health ' "$log")
req GET /health
check "nginx, from 127.0.0.1, gets no answer from it ($STATUS)" \
    bash -c "[ '$STATUS' = 502 ] || [ '$STATUS' = 503 ]"
check "no worker read the request" eq "$(grep -c '^booking-fcgi: GET /health ' "$log")" "$served"
check "it stops" stop_pid "$only2"
check "a pool that takes them from 127.0.0.1 starts" \
    start_tcp "127.0.0.1:$wport" FCGI_WEB_SERVER_ADDRS=10.9.9.9,127.0.0.1
only1=$PID
req GET /health
check "it answers nginx" eq "$STATUS" 200
check "it stops" stop_pid "$only1"

# IPv6, where the loopback has it.
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/'; then
    addr6="[::1]:$fport"
    check "a pool binds $addr6" start_tcp "$addr6"
    six=$PID
    check "IPv6 alone: nothing on 127.0.0.1:$fport" \
        bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$fport) 2>/dev/null"
    check "nginx in front of it starts" nginx_to "$addr6"
    post_json /book "{\"show_id\":$show,\"seat_count\":1}"
    check "a booking through [::1] is made" eq "$STATUS/$(jget .booking.status)" "201/CONFIRMED"
    check "it stops" stop_pid "$six"
else
    echo "# SKIP no ::1 on the loopback: IPv6 not tried"
fi

# Socket activation: systemd binds the TCP address and passes it on.
aport=$(stack_free_port)
systemd-socket-activate -l "127.0.0.1:$aport" -E DATABASE_URL -E ADMIN_TOKEN \
    /usr/bin/env WORKERS=2 "$bin" 2>>"$log" &
activated=$!
POOLS+=("$activated")
listening() { [ "$(ss -Hltn "sport = :$1" | wc -l)" -gt 0 ]; }
stack_wait_for 5 listening "$aport"
check "nginx in front of a socket systemd passes starts" nginx_to "127.0.0.1:$aport"
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "the first request starts it and books" eq "$STATUS" 201
check "it took the TCP socket from systemd" grep -q "using the socket passed by systemd" "$log"
check "it stops" stop_pid "$activated"

STACK_DIR=$real_dir
check "no sanitizer report in this test's server log" \
    bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$log'"
