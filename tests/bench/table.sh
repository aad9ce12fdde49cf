# shellcheck shell=bash disable=SC2034 # sourced by run.sh, whose arrays it fills
# make bench's table: the scenarios that ran, their figures and CPU per
# request, the targets (MET or MISS) and the invariants. Sourced by
# tests/bench/run.sh once every scenario has run; reads its arrays.

BENCH_ROWS="spread hot hot-holds list show holds-spread channel-holds
            hot-seated hot-seated-pick mixed mixed-book mixed-show mixed-list
            ceiling-spread ceiling-hot floor-sql floor-plpgsql ceiling-list"

# num VALUE FORMAT: VALUE printed with FORMAT, or "-" when it is not a number
num() {
    awk -v v="$1" -v f="$2" 'BEGIN { if (v ~ /^-?[0-9.]+$/) printf f, v; else printf "-" }'
}

# target LABEL FIGURE OP GOAL: one line of the targets block; nothing
# when the figure is missing (its scenario did not run).
target() {
    [ -n "$2" ] || return 0
    awk -v l="$1" -v f="$2" -v op="$3" -v g="$4" 'BEGIN {
        ok = op == ">=" ? f >= g : f <= g
        printf "%-32s %10.2f   %s %-8s %s\n", l, f, op, g, ok ? "MET" : "MISS" }'
}

# both NAME NAME: succeeds when both scenarios ran
both() { [ -n "${RPS[$1]:-}" ] && [ -n "${RPS[$2]:-}" ]; }

# cpu_of NAME FIELD: field 1-6 (total nginx fcgi pg load other) of NAME's CPU
cpu_of() { [ -z "${CPU[$1]:-}" ] || awk -v f="$2" '{ print $f }' <<<"${CPU[$1]}"; }

bench_table() {
    local s c
    echo "make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
    echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
         "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
    echo "stack: LIMITS=off (every per-client limit lifted; channel-holds runs under its channel's caps), nginx ${NGINX_WORKERS:-1} worker(s), booking-fcgi $nworkers workers" \
         "(VmRSS min $rss_min kB, max $rss_max kB after the wrk runs), PostgreSQL $pg_version (booking-fcgi and pgbench by its unix socket)"
    echo "postgres: $pg_settings"
    echo "load: wrk -t2 -c$CONNS, ${SECS}s per scenario after ${WARM}s warm-up; measured ${ran}s"
    echo "cpu: µs of machine CPU per request over the measured window (/proc/stat, busy time of" \
         "all $(nproc) CPUs), split by process group (utime+stime of each process and of the" \
         "children it reaped, /proc/PID/stat); load is wrk or pgbench, other the rest of the machine"
    echo
    printf '%-16s %10s %9s %9s %8s %7s %9s %10s %6s %6s %6s %6s %6s  %s\n' scenario req/s \
        'p50 ms' 'p99 ms' non-2xx errors deadlocks cpu-us/req nginx fcgi pg load other note
    for s in $BENCH_ROWS; do
        [ -n "${RPS[$s]:-}" ] || continue
        printf '%-16s %10.1f %9s %9s %8d %7d %9s' "$s" "${RPS[$s]}" "$(num "${P50[$s]}" %.2f)" \
            "$(num "${P99[$s]}" %.2f)" "${NON[$s]}" "${ERR[$s]}" "${DL[$s]:--}"
        printf ' %10s' "$(num "$(cpu_of "$s" 1)" %d)"
        for c in 2 3 4 5 6; do printf ' %6s' "$(num "$(cpu_of "$s" "$c")" %d)"; done
        printf '  %s\n' "${NOTE[$s]:-}"
    done
    c=$(for s in $BENCH_ROWS; do [ -z "${DL_LOG[$s]:-}" ] || printf '%s %s, ' "$s" "${DL_LOG[$s]}"
        done | sed 's/, $//')
    [ -z "$c" ] || echo "deadlocks: pg_stat_database's count, warm-up included; the server" \
        "log's 'deadlock detected' lines: $c"
    echo
    printf '%-32s %10s   %-11s %s\n' target figure goal result
    if both spread ceiling-spread; then
        target 'spread / ceiling-spread' "$(ratio "${RPS[spread]}" "${RPS[ceiling-spread]}")" '>=' 0.70
    fi
    if both hot spread; then target 'hot / spread' "$(ratio "${RPS[hot]}" "${RPS[spread]}")" '>=' 0.80; fi
    target 'list req/s' "${RPS[list]:-}" '>=' 1500
    target 'show req/s' "${RPS[show]:-}" '>=' 6000
    target 'spread p99 ms' "${P99[spread]:-}" '<=' 50
    target 'hot p99 ms' "${P99[hot]:-}" '<=' 50
    # issue 16: the seated on-sale against general admission's hot
    if both hot-seated hot; then
        target 'hot-seated % of hot req/s' "$(awk -v a="${RPS[hot-seated]}" -v b="${RPS[hot]}" \
            'BEGIN { printf "%.2f", 100 * a / b }')" '>=' 50
    fi
    target 'hot-seated p99 ms' "${P99[hot-seated]:-}" '<=' 100
    # issue 18: machine CPU per request, and the tail of single objects
    target 'spread cpu-us/req' "$(cpu_of spread 1)" '<=' 300
    target 'hot cpu-us/req' "$(cpu_of hot 1)" '<=' 350
    target 'list cpu-us/req' "$(cpu_of list 1)" '<=' 1700
    target 'show cpu-us/req' "$(cpu_of show 1)" '<=' 90
    target 'mixed-book p99 ms' "${P99[mixed-book]:-}" '<=' 25
    target 'mixed-show p99 ms' "${P99[mixed-show]:-}" '<=' 25
    echo
    if [ "$broken" -eq 0 ]; then
        echo "invariants: ok after ${CHECKED[*]:-no booking scenario}"
    else
        echo "invariants: FAILED:$INVARIANTS"
    fi
}
