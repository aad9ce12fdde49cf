#!/usr/bin/env bash
# make test-cluster: the service on a small cluster built on this
# machine, under load, one fault at a time (docs/cluster.md; issue 17).
#
# Hosts are network namespaces joined by a bridge (tests/cluster/net.sh):
# a pg_auto_failover monitor and three PostgreSQL data nodes with
# number-sync-standbys 1 and tuned timers (formation.sh), three app
# hosts running booking-fcgi on TCP with the formation's multi-host URI,
# one nginx host with nginx/booking-cluster.conf, and a client host
# running tests/faults/loadgen (bookings, holds, confirms and cancels,
# half of the writes with an Idempotency-Key, the others as a channel
# for a customer of their own) and two careful clients (careful.sh:
# every write with a key, sent again with it after no answer, a 502, a
# 503 or a 504). The faults, each under a load of LOAD s from its start:
#   app-kill      SIGKILL of app2's master and workers at 8 s; started
#                 again at 20 s
#   primary-kill  SIGKILL of the primary's keeper and PostgreSQL at 8 s
#                 (a failover); the node started again at 25 s, to
#                 rejoin as a standby
#   primary-cut   the primary's link down at 8 s for 20 s, then back
#   standby-lost  SIGKILL of a standby's keeper and PostgreSQL at 8 s;
#                 started again at 25 s
#   switchover    pg_autoctl perform switchover at 8 s
#   app-db-cut    app3's packets to and from the data nodes dropped
#                 (nft on app3) at 8 s for 20 s, the others untouched
# After each, once the load has ended, checked in the database: every
# acknowledged booking present with its acknowledged status, over every
# load so far (lost = 0; tests/faults/lib.sh); no show oversold and
# every show's count equal to its live bookings; no customer with two
# bookings, which a write sent twice without effect of its key would
# make (doubled = 0); no 500, no 504, no request without an answer; a
# 502 only for a request sent to app2 before it died; and resume-ms, the
# longest time without a booking made (the end of a 201) from the fault
# (a kill: once every process is dead) on, within 15 s after a primary's
# death; app-db-cut, every answer within app3's deadline and a margin
# (6.5 s) and bookings made meanwhile. Between faults the cluster is
# brought back to three app hosts and three data nodes, one primary.
#
# It prints a row per fault, then "cluster: N faults, lost L, oversold
# O, doubled D", and exits non-zero on any violation, keeping the logs.
# Needs root (namespaces, nft, runuser). Settings (environment): BUILD,
# LOADGEN, CLUSTER_FAULTS (a comma list, default all in the order
# above), CLUSTER_CLIENTS (16), CLUSTER_LOAD (40 s), CLUSTER_KEEP=1 (keep
# the logs even on success).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build/release}
LOADGEN=${LOADGEN:-$BUILD/tests/loadgen}
FAULTS=${CLUSTER_FAULTS:-app-kill,primary-kill,primary-cut,standby-lost,switchover,app-db-cut}
CLIENTS=${CLUSTER_CLIENTS:-16}
LOAD=${CLUSTER_LOAD:-40}
FAULT_AT=8
RESUME_MAX_MS=15000
CL=bkc$$
CL_DIR=$(mktemp -d /tmp/booking-cluster.XXXXXX)
chmod 755 "$CL_DIR"
STACK_DIR=$CL_DIR

export BUILD STACK_DIR
export ADMIN_TOKEN="cluster-admin-token-$(date +%s)-$$"
export SECRET_KEY="cluster-secret-key-$(date +%s)-$$"
export HOLD_TTL_SECONDS=10
source scripts/stack.sh
stack_limits_off        # one client host makes the whole load
source tests/cluster/net.sh
source tests/cluster/formation.sh
source tests/cluster/lib.sh
source tests/faults/lib.sh

runs=0
violations=0
finished=0
started=$SECONDS
cleanup() {
    net_down
    if [ "$finished" -eq 1 ] && [ "$violations" -eq 0 ] && [ -z "${CLUSTER_KEEP:-}" ]; then
        rm -rf "$CL_DIR"
    else
        echo "cluster: logs kept in $CL_DIR" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BASE_URL=http://$(host_addr nginx)
OWNER_URL=$(formation_uri booking)
# The checks of tests/faults/lib.sh, and the shows, from the client host.
sql() { host_exec client psql -X -q -t -A -v ON_ERROR_STOP=1 "$OWNER_URL" "$@"; }
make_show() {
    host_exec client curl -s -X POST -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/admin/show" \
        -d "{\"name\":\"$2\",\"start_time\":\"$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)\",\"total_seats\":$1}" \
        | jq -r .show.id
}
now_ms() { date +%s%3N; }

# app_start NAME: booking-fcgi on host NAME, bound to its address, the
# only peer it takes being the nginx host (FCGI_WEB_SERVER_ADDRS).
app_start() {
    POOL_EXEC="host_exec $1" APP_DATABASE_URL=$(formation_uri booking_app) \
        cluster_pool_start "$(host_addr "$1"):9000" "$CL_DIR/$1.log" \
        FCGI_WEB_SERVER_ADDRS="$(host_addr nginx)"
    local rc=$?
    disown "${POOLS[-1]}"    # killed by the faults: no "Killed" line
    return $rc
}

# web_start: nginx on its host, the site's sample hosts replaced by the
# app hosts, its metrics server open to the client host.
web_start() {
    local conf=$CL_DIR/web/nginx/conf
    cluster_nginx_conf "$CL_DIR/web" 80 "$(host_addr nginx):9180" \
        "$(host_addr app1):9000" "$(host_addr app2):9000" "$(host_addr app3):9000"
    sed -i -e "s|listen 127.0.0.1:80;|listen $(host_addr nginx):80;|" \
        -e "s|allow 10.0.0.5; |allow $(host_addr client); |" "$conf/booking.conf"
    host_exec nginx nginx -q -p "$CL_DIR/web/nginx" -c "$conf/nginx.conf" \
        -e "$CL_DIR/web/nginx/logs/error.log" &
    disown "$!"
    stack_wait_for 10 host_exec client curl -sf -o /dev/null "$BASE_URL/openapi.json"
}

# up: the hosts, the formation, the schema, the app hosts, nginx, the
# client's way to nginx for the load generator, and the load's channel.
up() {
    local n
    net_up && formation_up || return 1
    host_exec client env DATABASE_URL="$OWNER_URL" scripts/migrate.sh >"$CL_DIR/migrate.log" 2>&1 \
        || { echo "cluster: migrations failed; $CL_DIR/migrate.log" >&2; return 1; }
    for n in app1 app2 app3; do
        app_start "$n" || { echo "cluster: $n did not start; $CL_DIR/$n.log" >&2; return 1; }
    done
    web_start || { echo "cluster: nginx did not start" >&2; return 1; }
    host_loopback_to client 80 "$(host_addr nginx):80" || return 1
    CHANNEL=$(host_exec client curl -s -X POST -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $ADMIN_TOKEN" "$BASE_URL/admin/keys" \
        -d '{"name":"cluster load"}' | jq -r .secret)
    [ -n "$CHANNEL" ] && [ "$CHANNEL" != null ]
}

# load_start_all NAME: the load generator and the careful clients, for
# LOAD seconds, in the background.
load_start_all() {
    LOAD_PIDS=()
    host_exec client "$LOADGEN" -p 80 -c "$CLIENTS" -t "$LOAD" -s "$SHOWS" \
        -o "$CL_DIR/load.$1.log" -k "$CHANNEL" &
    LOAD_PIDS+=($!)
    for c in 1 2; do
        host_exec client tests/cluster/careful.sh "$BASE_URL" "$SHOWS" "$CHANNEL" \
            "$LOAD" "$CL_DIR/load.$1.careful$c.log" "$1-$c" &
        LOAD_PIDS+=($!)
    done
}
load_wait_all() {
    local p
    for p in "${LOAD_PIDS[@]}"; do wait "$p" || note "a client exited with status $?"; done
}

# at S: sleep until S seconds after the load started (T0, ms).
at() {
    local left=$(( T0 + $1 * 1000 - $(now_ms) ))
    [ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
}

# restore: three app hosts and three data nodes, one primary, again.
restore() {
    local n
    for n in app1 app2 app3; do
        [ -n "$(host_pids "$n")" ] || app_start "$n" || note "$n did not start again"
    done
    for n in "${PG_NODES[@]}"; do
        [ -n "$(host_pids "$n")" ] || formation_node "$n"
    done
    formation_wait 3 180 || note "the formation did not come back to three nodes in 180 s"
}

source tests/cluster/faults.sh

[ "$(id -u)" -eq 0 ] || { echo "cluster: needs root (network namespaces, nft)" >&2; exit 2; }
[ -x "$LOADGEN" ] || { echo "cluster: $LOADGEN not built (make test-cluster builds it)" >&2; exit 2; }
command -v pg_autoctl nft >/dev/null \
    || { echo "cluster: needs pg_autoctl and nft (make test-cluster installs them)" >&2; exit 2; }
echo "cluster: building it in namespaces $CL-*; logs in $CL_DIR"
if ! up; then
    violations=1
    exit 1
fi
echo "cluster: up in $((SECONDS - started)) s: primary $(formation_primary)," \
    "$CLIENTS load clients and 2 careful ones, ${LOAD} s a fault"
row fault requests ok errors-by-status lost oversold doubled resume-ms
for f in ${FAULTS//,/ }; do
    case $f in
    app-kill|primary-kill|primary-cut|standby-lost|switchover|app-db-cut)
        run_fault "$f" ;;
    *)  echo "cluster: unknown fault $f" >&2; violations=$((violations + 1)) ;;
    esac
done

lost=$(cut -d'|' -f1 "$CL_DIR/lost.all" 2>/dev/null | sort -u | wc -l)
oversold=$(sort -u "$CL_DIR/oversold.all" 2>/dev/null | wc -l)
doubled=$(sort -u "$CL_DIR/doubled.all" 2>/dev/null | wc -l)
echo "$((SECONDS - started)) s, $violations violations"
finished=1
echo "cluster: $runs faults, lost $lost, oversold $oversold, doubled $doubled"
[ "$violations" -eq 0 ]
