# shellcheck shell=bash disable=SC2034 # sourced by run.sh, whose arrays it fills
# CPU per request (issue 18): the machine's CPU over a measured window,
# from /proc/stat, split between nginx, booking-fcgi, PostgreSQL, the
# load generator and the rest. Sourced by tests/bench/run.sh, which sets
# NGINX_PID, FCGI_PID and PG_DIR before the first window.
#
# A group is a root process and its descendants (nginx master and
# workers; booking-fcgi's master and workers; the postmaster, its
# backends and auxiliary processes). Its CPU so far is the sum, over its
# live members, of utime+stime+cutime+cstime from /proc/PID/stat:
# cutime and cstime hold the CPU of the children a process ended and
# waited for, so a backend, an autovacuum worker or a respawned worker
# that ends inside the window is still counted, through its parent. What
# escapes: a member that ends while one snapshot reads /proc (read
# before it ended and again in its parent, or in neither), which lasts
# milliseconds; cpu_window_end waits for the postmaster's children to be
# reaped after pgbench, whose 64 backends end together.
#
# The load generator is the bash running the bench: its cutime+cstime
# grow by exactly the CPU of the wrk or pgbench processes it waited for
# inside the window (read with the read builtin, which starts no
# process). "other" is what is left of the machine's CPU: the kernel's
# threads (ksoftirqd's share of loopback networking; the rest of it is
# charged to the process it interrupted, with tick accounting as here),
# the bench's own shell, and anyone else on a shared machine.

CPU_HZ=$(getconf CLK_TCK)
declare -A CPU CPU_TICKS

# cpu_groups: one line, the machine's busy ticks (user, nice, system,
# irq, softirq, steal; idle and iowait are not work) then the CPU ticks
# so far of the nginx, booking-fcgi and PostgreSQL groups.
cpu_groups() {
    local pg
    pg=$(head -n 1 "$PG_DIR/postmaster.pid")
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v roots="$NGINX_PID $FCGI_PID $pg" '
        BEGIN { getline m < "/proc/stat"; split(m, c, " ")
                busy = c[2] + c[3] + c[4] + c[7] + c[8] + c[9]
                n = split(roots, r, " ")
                for (i = 1; i <= n; i++) root[r[i]] = i }
        {   # comm may hold spaces or ")": the fields start after the last ")"
            p = 0; s = $0
            while ((q = index(s, ")")) > 0) { p += q; s = substr(s, q + 1) }
            split(substr($0, p + 2), f, " ")
            ppid[$1] = f[2]; t[$1] = f[12] + f[13] + f[14] + f[15] }
        END { for (pid in t) {
                  x = pid
                  for (d = 0; d < 64 && !(x in root) && (x in ppid); d++) x = ppid[x]
                  if (x in root) g[root[x]] += t[pid] }
              printf "%d", busy
              for (i = 1; i <= n; i++) printf " %d", g[i]
              printf "\n" }'
}

# cpu_load_ticks: the CPU ticks of the children this shell has waited for.
cpu_load_ticks() {
    local s
    read -r s </proc/$$/stat
    s=${s##*) }
    read -r -a s <<<"$s"
    echo $(( s[13] + s[14] ))
}

# cpu_window_begin: take the snapshot that cpu_window_end compares with.
cpu_window_begin() {
    CPU_PG_CHILDREN=$(pgrep -c -P "$(head -n 1 "$PG_DIR/postmaster.pid")" || true)
    CPU_BEFORE=$(cpu_groups)
    CPU_LOAD_BEFORE=$(cpu_load_ticks)
}

# cpu_window_end NAME [reap]: right after the load generator was waited
# for: keeps NAME's ticks, "machine nginx fcgi pg load". With reap (after
# pgbench), first waits up to 2 s for the postmaster to have no more
# children than at the start: its clients' backends, ending, are counted
# once it reaps them.
cpu_window_end() {
    local load pg after
    load=$(( $(cpu_load_ticks) - CPU_LOAD_BEFORE ))
    pg=$(head -n 1 "$PG_DIR/postmaster.pid")
    for _ in $(seq 1 100); do
        [ "${2:-}" = reap ] || break
        [ "$(pgrep -c -P "$pg" || true)" -le "$CPU_PG_CHILDREN" ] && break
        sleep 0.02
    done
    after=$(cpu_groups)
    CPU_TICKS[$1]=$(awk -v b="$CPU_BEFORE" -v a="$after" -v load="$load" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        for (i = 1; i <= 4; i++) printf "%d ", y[i] - x[i]
        printf "%d\n", load }')
}

# cpu_per_request NAME REQUESTS: fills CPU[NAME] with "total nginx fcgi
# pg load other", each in µs of machine CPU per request.
cpu_per_request() {
    CPU[$1]=$(awk -v t="${CPU_TICKS[$1]}" -v req="$2" -v hz="$CPU_HZ" 'BEGIN {
        split(t, x, " "); us = req > 0 ? 1e6 / hz / req : 0
        other = x[1]
        for (i = 1; i <= 5; i++) { printf "%.0f ", x[i] * us; if (i > 1) other -= x[i] }
        printf "%.0f\n", other * us }')
}
