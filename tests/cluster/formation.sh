# make test-cluster's PostgreSQL: a pg_auto_failover monitor on host mon
# and a data node on each of pg1, pg2 and pg3 (docs/cluster.md), with
# number-sync-standbys 1 and the monitor's timers tuned. Sourced by
# tests/cluster/run.sh after net.sh and scripts/stack.sh (PG_BIN).
# Everything pg_autoctl keeps (its configuration and state files, the
# data directories, the logs) is under CL_DIR/NAME, never in postgres's
# home.

PG_NODES=(pg1 pg2 pg3)
MON_URI="postgres://autoctl_node@$(host_addr mon):5432/pg_auto_failover?sslmode=disable"
# The monitor's timers as docs/cluster.md tunes them, in ms.
PGAF_TUNED="health_check_period=1000 health_check_timeout=1000
            health_check_max_retries=1 health_check_retry_delay=500
            node_considered_unhealthy_timeout=2000 primary_demote_timeout=3000"

# pg_as NAME CMD...: CMD on host NAME as postgres, with its node's files.
pg_as() {
    local n=$1
    shift
    host_exec "$n" runuser -u postgres -- env HOME="$CL_DIR/$n" \
        XDG_CONFIG_HOME="$CL_DIR/$n/config" XDG_DATA_HOME="$CL_DIR/$n/share" "$@"
}

# monitor_sql SQL: one statement on the monitor, unaligned, no header.
monitor_sql() {
    host_exec mon psql -X -q -t -A "$MON_URI" -c "$1"
}

# formation_monitor: the monitor created and running, its timers tuned.
formation_monitor() {
    local kv sets=()
    install -d -o postgres -g postgres "$CL_DIR/mon"
    pg_as mon pg_autoctl create monitor --pgdata "$CL_DIR/mon/data" --pgport 5432 \
        --hostname "$(host_addr mon)" --auth trust --no-ssl --pgctl "$PG_BIN/pg_ctl" \
        --run >>"$CL_DIR/mon.log" 2>&1 &
    disown "$!"
    stack_wait_for 60 monitor_sql "SELECT count(*) FROM pgautofailover.node" >/dev/null 2>&1 \
        || { echo "cluster: the monitor did not start; $CL_DIR/mon.log" >&2; return 1; }
    for kv in $PGAF_TUNED; do
        sets+=(-c "ALTER SYSTEM SET pgautofailover.${kv%%=*} = ${kv#*=}")
    done
    pg_as mon psql -X -q -d pg_auto_failover "${sets[@]}" -c "SELECT pg_reload_conf()" >/dev/null
}

# formation_node NAME: NAME's keeper (and so its PostgreSQL) started,
# the node created by it the first time: the first becomes the primary,
# the others standbys that copy it; one that comes back after a
# failover follows the new primary (rewound, or copied again).
formation_node() {
    local n=$1
    install -d -o postgres -g postgres "$CL_DIR/$n"
    if [ -f "$CL_DIR/$n/data/PG_VERSION" ]; then
        pg_as "$n" pg_autoctl run --pgdata "$CL_DIR/$n/data" >>"$CL_DIR/$n.log" 2>&1 &
    else
        pg_as "$n" pg_autoctl create postgres --pgdata "$CL_DIR/$n/data" --pgport 5432 \
            --hostname "$(host_addr "$n")" --name "$n" --monitor "$MON_URI" \
            --auth trust --no-ssl --dbname booking --pgctl "$PG_BIN/pg_ctl" \
            --run >>"$CL_DIR/$n.log" 2>&1 &
    fi
    disown "$!"
}

# formation_primary: the node the monitor has as primary now, if any.
formation_primary() {
    monitor_sql "SELECT nodename FROM pgautofailover.node
                  WHERE reportedstate = goalstate AND reportedstate IN ('single', 'primary')"
}

# formation_settled N: N nodes, each where the monitor wants it, one
# primary (single, while it is alone) and the rest secondaries.
formation_settled() {
    [ "$(monitor_sql "SELECT count(*) FILTER (WHERE reportedstate = goalstate
                              AND reportedstate IN ('single', 'primary', 'secondary'))
                             || '/' || count(*) FILTER (WHERE reportedstate IN ('single', 'primary'))
                        FROM pgautofailover.node" 2>/dev/null)" = "$1/1" ]
}

# formation_wait N SECONDS: until formation_settled N. A standby's copy
# starts with a checkpoint that PostgreSQL spreads over minutes: the
# primary is asked for an immediate one meanwhile.
formation_wait() {
    local n=$1 end=$((SECONDS + $2)) p
    until formation_settled "$n"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        # the node that takes writes, settled or not (wait_primary while
        # its standbys are copied)
        p=$(monitor_sql "SELECT nodename FROM pgautofailover.node WHERE reportedstate
                           IN ('single', 'wait_primary', 'primary') LIMIT 1" 2>/dev/null)
        [ -z "$p" ] || pg_as "$p" psql -X -q -c CHECKPOINT >/dev/null 2>&1
        sleep 1
    done
}

# formation_up: the monitor, then pg1 as the primary with the tables'
# owner and the rules that let in the app hosts, a rewind, and every
# node's replication: pg_autoctl adds a rule for each other node, so a
# node copied from another lacks the rule for that one, and could not
# follow it once it is primary. Then the two standbys, then synchronous
# replication to one of them at least.
formation_up() {
    local n
    formation_monitor || return 1
    formation_node pg1
    stack_wait_for 60 formation_settled 1 \
        || { echo "cluster: pg1 did not start; $CL_DIR/pg1.log" >&2; return 1; }
    printf '%s\n' "host booking all $CL_NET.0/24 trust" \
        "host postgres pgautofailover_replicator $CL_NET.0/24 trust" \
        "host replication pgautofailover_replicator $CL_NET.0/24 trust" \
        >>"$CL_DIR/pg1/data/pg_hba.conf"
    pg_as pg1 psql -X -q -c "SELECT pg_reload_conf()" \
        -c "CREATE ROLE booking LOGIN CREATEROLE" \
        -c "ALTER DATABASE booking OWNER TO booking" >/dev/null || return 1
    for n in pg2 pg3; do formation_node "$n"; done
    formation_wait 3 300 \
        || { echo "cluster: the standbys did not join; $CL_DIR/pg*.log" >&2; return 1; }
    pg_as mon pg_autoctl set formation number-sync-standbys 1 \
        --monitor "$MON_URI" >>"$CL_DIR/mon.log" 2>&1
}

# The formation's URI for ROLE: every data node, the primary found by
# libpq (docs/cluster.md).
formation_uri() {
    local n hosts=()
    for n in "${PG_NODES[@]}"; do hosts+=("$(host_addr "$n"):5432"); done
    echo "postgresql://$1@$(IFS=,; echo "${hosts[*]}")/booking?target_session_attrs=read-write"
}
