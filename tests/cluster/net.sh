# make test-cluster's hosts: a network namespace each, joined by a
# bridge in a namespace of its own, so that nothing in the machine's own
# namespace sees their addresses or traffic, and a mount namespace each
# with a /run/postgresql of its own (as a host has), both held by one
# sleeping process per host. Sourced by tests/cluster/run.sh, which sets
# CL (a prefix this run's names begin with) and CL_DIR.

CL_NET=10.77.0      # private to this run's namespaces: nothing else meets it
declare -A HOST_ADDR=([mon]=5 [pg1]=11 [pg2]=12 [pg3]=13
                      [app1]=21 [app2]=22 [app3]=23 [nginx]=30 [client]=40)
declare -A HOST_PID=()

host_addr() { echo "$CL_NET.${HOST_ADDR[$1]}"; }

# host_exec NAME CMD...: CMD on host NAME (its network and its mounts).
# In a subshell (a command put in the background, $(...)) it replaces
# the subshell: $! is then CMD's own pid, and its death no "Killed" line.
host_exec() {
    local name=$1
    shift
    [ "$BASHPID" = "$$" ] || exec nsenter -t "${HOST_PID[$name]}" -m -n --wd="$PWD" -- "$@"
    nsenter -t "${HOST_PID[$name]}" -m -n --wd="$PWD" -- "$@"
}

# host_add NAME: the namespace, its end of a veth pair (eth0, with its
# address; the other end v-NAME on the bridge), and the process that
# holds its mounts.
host_add() {
    local n=$1 ns=$CL-$1 pg_uid pg_gid
    pg_uid=$(id -u postgres)
    pg_gid=$(id -g postgres)
    ip netns add "$ns" \
        && ip -n "$CL-sw" link add "v-$n" type veth peer name eth0 netns "$ns" \
        && ip -n "$CL-sw" link set "v-$n" master br0 up \
        && ip -n "$ns" addr add "$(host_addr "$n")/24" dev eth0 \
        && ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up \
        || return 1
    ip netns exec "$ns" unshare -m --propagation private sh -c \
        "mount -t tmpfs -o mode=2775,uid=$pg_uid,gid=$pg_gid tmpfs /run/postgresql \
         && exec sleep infinity" &
    HOST_PID[$n]=$!
    disown "$!"     # net_down kills it: no "Killed" line then
    stack_wait_for 5 host_exec "$n" mountpoint -q /run/postgresql 2>/dev/null
}

# net_up: the bridge's namespace, then every host.
net_up() {
    local n
    ip netns add "$CL-sw" && ip -n "$CL-sw" link add br0 type bridge \
        && ip -n "$CL-sw" link set br0 up || return 1
    for n in "${!HOST_ADDR[@]}"; do
        host_add "$n" || { echo "cluster: host $n could not be made" >&2; return 1; }
    done
}

# net_down: whatever runs in this run's namespaces killed, the
# namespaces deleted (their veth pairs and the bridge go with them).
# Safe to call at any point, more than once.
net_down() {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | awk -v p="$CL-" 'index($1, p) == 1 {print $1}'); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    done
    sleep 0.2
    for ns in $(ip netns list 2>/dev/null | awk -v p="$CL-" 'index($1, p) == 1 {print $1}'); do
        ip netns del "$ns" 2>/dev/null
    done
}

# host_pids NAME: the processes running on host NAME, its holder aside.
host_pids() {
    ip netns pids "$CL-$1" 2>/dev/null | grep -vx "${HOST_PID[$1]}"
}

# host_kill NAME: SIGKILL every process of host NAME (but its holder),
# stopped first so that none starts another meanwhile.
host_kill() {
    local pids
    pids=$(host_pids "$1")
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -STOP $pids 2>/dev/null
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    stack_wait_for 5 host_gone "$1"
}
host_gone() { [ -z "$(host_pids "$1")" ]; }

# host_link NAME up|down: its cable, plugged or pulled at the bridge.
host_link() {
    ip -n "$CL-sw" link set "v-$1" "$2"
}

# host_cut NAME on|off ADDR...: nft on host NAME drops every packet to
# and from the ADDRs (on), or none (off): this kernel has no netem.
host_cut() {
    local n=$1 how=$2 a rules
    shift 2
    rules="table inet cut
delete table inet cut
table inet cut {
    chain in { type filter hook input priority 0; policy accept; }
    chain out { type filter hook output priority 0; policy accept; }
}"
    if [ "$how" = on ]; then
        for a in "$@"; do
            rules+=$'\n'"add rule inet cut in ip saddr $a drop"
            rules+=$'\n'"add rule inet cut out ip daddr $a drop"
        done
    fi
    host_exec "$n" nft -f - <<<"$rules"
}

# host_loopback_to NAME PORT ADDR:APORT: on host NAME, connections to
# 127.0.0.1:PORT go to ADDR:APORT, for a client that only knows the
# loopback (tests/faults/loadgen); the kernel routes them out, from the
# host's own address.
host_loopback_to() {
    host_exec "$1" sysctl -q -w net.ipv4.conf.all.route_localnet=1 \
        && host_exec "$1" nft -f - <<NFT
table ip loopback_to {
    chain out {
        type nat hook output priority -100; policy accept;
        ip daddr 127.0.0.1 tcp dport $2 dnat to $3
    }
    chain post {
        type nat hook postrouting priority 100; policy accept;
        ip saddr 127.0.0.0/8 oifname "eth0" masquerade
    }
}
NFT
}
