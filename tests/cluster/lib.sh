# Shared by make test-cluster (tests/cluster/run.sh) and t0720: the
# multi-host site nginx/booking-cluster.conf, made to run here. Sourced
# after scripts/stack.sh.

# cluster_nginx_conf DIR PORT METRICS_LISTEN [APP...]: an nginx prefix
# in DIR/nginx, as stack_nginx_conf writes one (listening on
# 127.0.0.1:PORT, the per-client limits lifted when the caller lifted
# them), around the shipped site with its three sample hosts replaced
# by the APPs (host:port, as many as given; none: the samples kept) in
# the upstream and in the metrics server (/hosts/app1/... to the
# first), which listens on METRICS_LISTEN (DIR/booking-cluster.conf, the
# site stack_nginx_conf is given).
cluster_nginx_conf() {
    local dir=$1 port=$2 mlisten=$3
    shift 3
    mkdir -p "$dir"
    awk -v apps="$*" -v mlisten="$mlisten" '
        BEGIN { n = split(apps, app, " ") }
        n && /^    server 10\.0\.0\.1[1-9]:9000 / {
            if (!ups++)
                for (i = 1; i <= n; i++) {
                    line = $0
                    sub(/10\.0\.0\.1[1-9]:9000/, app[i], line)
                    print line
                }
            next
        }
        n && /^    location ~ \^\/hosts\/app[0-9]+\// {
            skip = 1
            if (!locs++)
                for (i = 1; i <= n; i++)
                    printf "    location ~ ^/hosts/app%d/(?<booking_what>metrics|health)$ {\n" \
                           "        rewrite ^ /$booking_what break;\n" \
                           "        fastcgi_pass %s;\n    }\n", i, app[i]
            next
        }
        skip { if ($0 ~ /^    }/) skip = 0; next }
        /^    listen 10\.0\.0\.10:9180;/ { print "    listen " mlisten ";"; next }
        { print }' "$STACK_ROOT/nginx/booking-cluster.conf" >"$dir/booking-cluster.conf"
    STACK_SITE=$dir/booking-cluster.conf STACK_DIR=$dir stack_nginx_conf "$port"
}

# cluster_pool_start ADDRESS LOG [VAR=VALUE...]: booking-fcgi (two
# workers unless the VARs say otherwise) bound to ADDRESS, as
# APP_DATABASE_URL's role, its log appended to LOG; sets POOL to the
# master's pid once it says that it listens (empty if it does not within
# 5 s), and adds it to POOLS. With POOL_EXEC set (make test-cluster:
# "host_exec app1"), it is run under that command.
POOLS=()
cluster_pool_start() {
    local addr=$1 log=$2 line before
    shift 2
    line="booking-fcgi: listening on TCP $addr"
    before=$(grep -cxF "$line" "$log" 2>/dev/null)
    # shellcheck disable=SC2086
    ${POOL_EXEC:-} env DATABASE_URL="${APP_DATABASE_URL:-$DATABASE_URL}" FCGI_SOCKET="$addr" \
        WORKERS=2 "$@" "$STACK_ROOT/$BUILD/booking-fcgi" >/dev/null 2>>"$log" &
    POOL=$!
    POOLS+=("$POOL")
    for _ in $(seq 1 50); do
        [ "$(grep -cxF "$line" "$log" 2>/dev/null)" -gt "${before:-0}" ] && return 0
        kill -0 "$POOL" 2>/dev/null || break
        sleep 0.1
    done
    POOL=
    return 1
}

# cluster_pool_kill PID: SIGKILL a master and its workers, as a host
# dying would; the master is stopped first so that it starts no other.
cluster_pool_kill() {
    local w
    w=$(pgrep -P "$1")
    kill -STOP "$1" 2>/dev/null || return 1
    # shellcheck disable=SC2086
    kill -KILL $w "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# cluster_test_cleanup: for an integration test's EXIT trap: its nginx
# ($NG), every pool it started, its temporary directory.
cluster_test_cleanup() {
    local p
    [ -n "${NG:-}" ] && kill -QUIT "$NG" 2>/dev/null && wait "$NG" 2>/dev/null
    for p in "${POOLS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$TMP_T"
}
