# Functions to run the whole stack locally: a throwaway PostgreSQL
# cluster, booking-fcgi and nginx with its own prefix. Sourced by
# scripts/run.sh (make run) and scripts/test.sh (make test).
#
# The caller sets STACK_DIR (state: sockets, logs, nginx prefix) and
# BUILD (where booking-fcgi was built). Nothing here touches /etc.

STACK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

# A TCP port on 127.0.0.1 that nothing listens on now, below the
# kernel's range of ephemeral ports: an outgoing connection's local port
# cannot be seen by a probe, yet makes bind() fail.
stack_free_port() {
    local p lo
    lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
    lo=${lo:-32768}
    for _ in $(seq 1 50); do
        p=$(( 10000 + RANDOM % (lo - 10000) ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# stack_wait_for SECONDS COMMAND...: run COMMAND every 0.1 s until it
# succeeds; fails after SECONDS.
stack_wait_for() {
    local n=$(($1 * 10))
    shift
    until "$@"; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}

# Run a command as the owner of the cluster: PostgreSQL refuses root.
stack_as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# stack_pg_start DIR PORT: create (first time) and start a cluster in DIR
# listening on 127.0.0.1:PORT only; sets PG_DIR and DATABASE_URL.
# STACK_PG_SOCKET=1: also on a unix socket in DIR, which
# APP_DATABASE_URL (the services' role) then uses, as a service on the
# database's own host should: the loopback's TCP costs both ends of
# every statement (make bench, issue 18).
stack_pg_start() {
    PG_DIR=$1
    local port=$2 sockdir="''"
    if [ "${STACK_PG_SOCKET:-0}" = 1 ]; then
        # The path goes through pg_ctl's shell, a GUC list and a URI
        # unquoted: plain characters only, and it must fit in sun_path
        # (107 bytes, with "/.s.PGSQL.NNNNN").
        case $PG_DIR in
            *[!A-Za-z0-9/._-]*)
                echo "stack: $PG_DIR: only letters, digits and / . _ - in a unix socket's directory" >&2
                return 1;;
        esac
        [ $(( ${#PG_DIR} + 20 )) -lt 107 ] \
            || { echo "stack: $PG_DIR is too long a path for a unix socket" >&2; return 1; }
        sockdir=$PG_DIR
    fi
    [ -x "$PG_BIN/initdb" ] || { echo "stack: PostgreSQL server not installed" >&2; return 1; }
    mkdir -p "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$PG_DIR"
        chmod 700 "$PG_DIR"
    fi
    if [ ! -f "$PG_DIR/PG_VERSION" ]; then
        stack_as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U booking --auth=trust \
            -E UTF8 --locale=C.UTF-8 >"$PG_DIR/../initdb.log" 2>&1 \
            || { cat "$PG_DIR/../initdb.log" >&2; return 1; }
    fi
    stack_as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$sockdir" \
        start >/dev/null || { tail -20 "$PG_DIR/server.log" >&2; return 1; }
    # The owner runs migrations (and the tests' SQL); the services use
    # booking_app, which migration 007 creates with only what they need.
    DATABASE_URL="postgresql://booking@127.0.0.1:$port/booking"
    APP_DATABASE_URL="postgresql://booking_app@127.0.0.1:$port/booking"
    [ "$sockdir" = "''" ] \
        || APP_DATABASE_URL="postgresql://booking_app@/booking?host=$PG_DIR&port=$port"
    export DATABASE_URL APP_DATABASE_URL
    psql -X -q "postgresql://booking@127.0.0.1:$port/postgres" -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'booking'" | grep -q 1 \
        || psql -X -q "postgresql://booking@127.0.0.1:$port/postgres" \
            -c "CREATE DATABASE booking" >/dev/null
}

stack_pg_stop() {
    [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/postmaster.pid" ] || return 0
    stack_as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null 2>&1 || true
}

# A directory PostgreSQL's user can reach: DIR itself when every parent
# is traversable by it, else a fresh one under /tmp.
stack_pg_dir() {
    local want=$1
    mkdir -p "$(dirname "$want")"
    if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$(dirname "$want")"; then
        echo "$want"
    else
        mktemp -d /tmp/booking-pg.XXXXXX
    fi
}

# Start booking-fcgi on $STACK_DIR/fcgi.sock, as APP_DATABASE_URL's role
# when there is one; sets FCGI_PID.
stack_fcgi_start() {
    # A stale path would look ready before the new server has bound it.
    rm -f "$STACK_DIR/fcgi.sock"
    DATABASE_URL=${APP_DATABASE_URL:-$DATABASE_URL} \
    FCGI_SOCKET="$STACK_DIR/fcgi.sock" FCGI_SOCKET_MODE=0666 \
        "$STACK_ROOT/$BUILD/booking-fcgi" 2>>"$STACK_DIR/fcgi.log" &
    FCGI_PID=$!
    for _ in $(seq 1 100); do
        [ -S "$STACK_DIR/fcgi.sock" ] && return 0
        kill -0 "$FCGI_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "stack: booking-fcgi did not start; its log:" >&2
    tail -20 "$STACK_DIR/fcgi.log" >&2
    return 1
}

stack_fcgi_stop() {
    [ -n "${FCGI_PID:-}" ] || return 0
    kill -TERM "$FCGI_PID" 2>/dev/null || true
    wait "$FCGI_PID" 2>/dev/null || true
    FCGI_PID=
}

# stack_kill_worker PID: SIGKILL a worker; prints how many FastCGI
# connections it held (counted while it is stopped, so that it cannot
# take one more). nginx keeps connections to the workers open and sends
# a request on one while the worker serves another, so it may have one
# request in flight on each: each of those is answered 502.
stack_kill_worker() {
    local n
    kill -STOP "$1" || return 1
    n=$(ss -xpn state connected src "$STACK_DIR/fcgi.sock" | grep -c "pid=$1,") || true
    kill -KILL "$1"
    echo "$n"
}

# ---- booking-events: the live seat map's relay (docs/events.md) -------

# Start booking-events as APP_DATABASE_URL's role (when there is one),
# publishing to nginx's nchan publisher socket $STACK_DIR/events.sock;
# its lines go to fcgi.log, each named booking-events. Ready once it
# says it listens: what commits after that reaches the browsers. Start
# it after nginx, or its first message (a resync) is dropped, and
# logged. Sets EVENTS_PID.
stack_events_start() {
    local log="$STACK_DIR/fcgi.log" before
    before=$(grep -c '^booking-events: listening on seat_events' "$log" 2>/dev/null) || true
    DATABASE_URL=${APP_DATABASE_URL:-$DATABASE_URL} \
    EVENTS_SOCKET="$STACK_DIR/events.sock" \
        "$STACK_ROOT/$BUILD/booking-events" 2>>"$log" &
    EVENTS_PID=$!
    for _ in $(seq 1 100); do
        [ "$(grep -c '^booking-events: listening on seat_events' "$log")" -gt "${before:-0}" ] \
            && return 0
        kill -0 "$EVENTS_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "stack: booking-events did not start; its log:" >&2
    grep '^booking-events: ' "$log" | tail -n 20 >&2
    return 1
}

stack_events_stop() {
    [ -n "${EVENTS_PID:-}" ] || return 0
    kill -TERM "$EVENTS_PID" 2>/dev/null || true
    wait "$EVENTS_PID" 2>/dev/null || true
    EVENTS_PID=
}

# Write $STACK_DIR/nginx/nginx.conf around the site file nginx/booking.conf,
# with the port and socket put in its place. The per-client limits are
# the site's own unless set: NGINX_RATE (requests per second) and
# NGINX_BURST replace every zone's rate and burst (writes, reads, large
# pages, admin), NGINX_CONNS the connections. Every local client is
# 127.0.0.1, so tests and benchmarks lift them all at once with these
# (LIMITS=off in make run: stack_limits_off). STACK_SITE: another site
# file in its place (the multi-host site, tests/cluster/lib.sh).
stack_nginx_conf() {
    local port=$1 prefix="$STACK_DIR/nginx" limits=()
    local site=${STACK_SITE:-$STACK_ROOT/nginx/booking.conf}
    mkdir -p "$prefix/conf/snippets" "$prefix/tmp" "$prefix/logs"
    cp /etc/nginx/fastcgi_params "$prefix/conf/fastcgi_params"
    cp "$STACK_ROOT/nginx/booking-fastcgi.conf" "$prefix/conf/snippets/"
    # CORS_ORIGINS: the origins whose pages may call the API
    "$STACK_ROOT/scripts/nginx-cors.sh" --print >"$prefix/conf/snippets/booking-cors-origins.conf" \
        || return 1
    [ -z "${NGINX_RATE:-}" ] || limits+=(-e "s|rate=[0-9]*r/[sm];|rate=${NGINX_RATE}r/s;|")
    [ -z "${NGINX_BURST:-}" ] || limits+=(-e "s|burst=[0-9]* |burst=${NGINX_BURST} |")
    [ -z "${NGINX_CONNS:-}" ] \
        || limits+=(-e "s|limit_conn booking_conns [0-9]*;|limit_conn booking_conns ${NGINX_CONNS};|")
    sed -e "s|listen 80;|listen 127.0.0.1:$port;|" \
        -e "s|unix:/run/booking/fcgi.sock|unix:$STACK_DIR/fcgi.sock|" \
        -e "s|unix:/run/booking-events/events.sock|unix:$STACK_DIR/events.sock|" \
        -e "s|alias /usr/share/booking/www/;|alias $STACK_ROOT/nginx/www/;|" \
        "${limits[@]}" \
        "$site" >"$prefix/conf/booking.conf"
    cat >"$prefix/conf/nginx.conf" <<NGINX
$( [ "$(id -u)" -eq 0 ] && echo "user root;" )
load_module $STACK_NCHAN;
daemon off;
worker_processes ${NGINX_WORKERS:-1};
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $prefix/tmp/body;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    proxy_temp_path $prefix/tmp/proxy;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    include $prefix/conf/booking.conf;
}
NGINX
}

# nginx's push module (libnginx-mod-nchan), which the site's live seat
# changes need; Debian's nginx loads it from modules-enabled, ours here.
STACK_NCHAN=${STACK_NCHAN:-/usr/lib/nginx/modules/ngx_nchan_module.so}

# LIMITS=off: lift every per-client limit, nginx's (NGINX_RATE,
# NGINX_BURST, NGINX_CONNS, above), the caps of an anonymous client and
# the workers' budget of failed authentications, which 0 lifts; for load
# tests and benchmarks, whose clients are all 127.0.0.1. A variable
# already set keeps its value.
stack_limits_off() {
    export NGINX_RATE=${NGINX_RATE:-100000} NGINX_BURST=${NGINX_BURST:-100000}
    export NGINX_CONNS=${NGINX_CONNS:-60000}
    export MAX_SEATS_PER_BOOKING=${MAX_SEATS_PER_BOOKING:-0}
    export MAX_LIVE_HOLDS=${MAX_LIVE_HOLDS:-0} MAX_HELD_SEATS=${MAX_HELD_SEATS:-0}
    export AUTH_FAIL_BURST=${AUTH_FAIL_BURST:-0}
}

# Start nginx on 127.0.0.1:PORT; sets NGINX_PID and BASE_URL.
stack_nginx_start() {
    local port=$1 prefix="$STACK_DIR/nginx"
    stack_nginx_conf "$port"
    nginx -q -p "$prefix" -c "$prefix/conf/nginx.conf" -e "$prefix/logs/error.log" &
    NGINX_PID=$!
    BASE_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "$BASE_URL/health" && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "stack: nginx did not start; its log:" >&2
    tail -20 "$prefix/logs/error.log" >&2
    return 1
}

stack_nginx_stop() {
    [ -n "${NGINX_PID:-}" ] || return 0
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=
}

stack_stop() {
    stack_events_stop
    stack_nginx_stop
    stack_fcgi_stop
    stack_pg_stop
}
