# booking-expire.timer, for real: a throwaway systemd manager, PID 1 of
# its own PID, mount, UTS, IPC and cgroup namespaces, loads only our two
# units (the timer shortened to seconds by a drop-in) and one stub target,
# and its timer must start booking-expire, which must release a lapsed
# hold. It never sees the host's units nor the host's systemd, and it is
# SIGKILLed at the end. Where it cannot boot, a "# SKIP" line says why
# and no case is reported: a skip never counts as a pass.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SD=/lib/systemd/systemd
W=$TMP_T/sd                 # built here; the manager sees it as $N
N=/run/booking-t1200
CG= PID1= SCRIPT_PID=

skip() { echo "# SKIP $*"; exit 0; }

# wait_for SECONDS COMMAND...: poll every 0.1 s until it succeeds.
wait_for() {
    local n=$(($1 * 10))
    shift
    until "$@"; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}

[ "$(id -u)" -eq 0 ] || skip "needs root: it creates namespaces, mounts and a cgroup"
[ -x "$SD" ] || skip "$SD is not installed"
for c in unshare script nsenter; do
    command -v "$c" >/dev/null || skip "$c is not installed"
done

# The manager gets a cgroup of its own under ours, in the cgroup2
# hierarchy (all of /sys/fs/cgroup, or the "unified" half of a hybrid
# one): with a cgroup namespace rooted there, it sees nothing else and
# its cgroups are removed with it. v1 hierarchies stay out of its sight.
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    cg2=/sys/fs/cgroup
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    cg2=/sys/fs/cgroup/unified
else
    skip "no cgroup2 hierarchy under /sys/fs/cgroup"
fi
mine=$(sed -n 's/^0:://p' /proc/self/cgroup)
mkdir "$cg2${mine%/}/booking-t1200.$$" || skip "mkdir in $cg2${mine%/} failed"
CG=$cg2${mine%/}/booking-t1200.$$

# SIGKILL the manager: the kernel kills all of its PID namespace, and
# unshare reaps it and exits. Then kill whatever could be left in its
# cgroup, reap script(1) and remove the cgroups.
manager_stop() {
    [ -n "$CG" ] && [ -d "$CG" ] || return 0
    [ -n "$PID1" ] && kill -KILL "$PID1" 2>/dev/null
    if ! wait_for 5 grep -q '^populated 0' "$CG/cgroup.events"; then
        echo 1 >"$CG/cgroup.kill"
        wait_for 5 grep -q '^populated 0' "$CG/cgroup.events"
    fi
    [ -n "$SCRIPT_PID" ] && kill -KILL "$SCRIPT_PID" 2>/dev/null
    wait "$SCRIPT_PID" 2>/dev/null
    find "$CG" -depth -type d -exec rmdir {} \;
    return 0
}
trap 'manager_stop; rm -rf "$TMP_T"' EXIT

# The units as installed, pointed at the built binary and at our
# environment file; drop-ins for what a test needs to be different.
u=$W/units
mkdir -p "$u/booking-expire.timer.d" "$u/booking-expire.service.d" "$W/empty"
sed -e "s|^ExecStart=.*|ExecStart=$ROOT/$BUILD/booking-expire|" \
    -e "s|^EnvironmentFile=.*|EnvironmentFile=$N/booking.env|" \
    "$ROOT/systemd/booking-expire.service" >"$u/booking-expire.service"
cp "$ROOT/systemd/booking-expire.timer" "$u/"
echo "DATABASE_URL=$DATABASE_URL" >"$W/booking.env"
# Every 2 s rather than every minute (an empty OnCalendar= resets it).
printf '[Timer]\nOnCalendar=\nOnActiveSec=1s\nOnUnitActiveSec=2s\nAccuracySec=100ms\n' \
    >"$u/booking-expire.timer.d/fast.conf"
# There is no journald here: the runs' output goes to a file.
printf '[Service]\nStandardOutput=append:%s/expire.log\n' "$N" \
    >"$u/booking-expire.service.d/output.conf"
# What boots: default.target wants the timer; sysinit.target is the one
# unit that the default dependencies of both units require.
printf '[Unit]\nDescription=t1200 default\nWants=booking-expire.timer\n' >"$u/default.target"
printf '[Unit]\nDescription=t1200 stub\n' >"$u/sysinit.target"

# Run by script(1), whose pty becomes /dev/console: PID 1 logs there.
# It enters the cgroup, then the namespaces, where PID 1 hides the
# host's state and units under tmpfs, keeps the host's sysctls and /sys
# read-only, runs no generator and becomes systemd. Nothing is mounted
# outside the new mount namespace; /tmp is a tmpfs in there, so the host's
# /tmp never sees PrivateTmp= (and no systemd-tmpfiles runs at all).
cat >"$W/enter.sh" <<EOF
echo \$\$ >"$CG/cgroup.procs" && echo \$\$ >"$W/unshare.pid" &&
exec unshare --fork --pid --mount-proc --mount --propagation private \\
    --uts --ipc --cgroup --kill-child=SIGKILL bash "$W/boot.sh" "$W" "$N" "$SD"
EOF
cat >"$W/boot.sh" <<'EOF'
set -e
W=$1 N=$2 SD=$3
mount --bind "$(tty)" /dev/console       # PID 1 logs to /dev/console
mount -t tmpfs tmpfs /run                # not the host's /run/systemd
mkdir "$N" && mount --bind "$W" "$N"
for d in /tmp /var/tmp /var/lib/systemd /etc/systemd/system \
         /usr/lib/systemd/system /lib/systemd/system; do
    if [ -d "$d" ] && ! mountpoint -q "$d"; then mount -t tmpfs tmpfs "$d"; fi
done
mount -o bind,ro /proc/sys /proc/sys     # PID 1 bumps fs.nr_open & co.
mount -o bind,ro /sys /sys               # as in any container: no udev
mount -t cgroup2 cgroup2 /sys/fs/cgroup  # its root is $CG (cgroup ns)
export container=booking-t1200 SYSTEMD_UNIT_PATH=$N/units \
    SYSTEMD_GENERATOR_PATH=$N/empty SYSTEMD_ENVIRONMENT_GENERATOR_PATH=$N/empty
exec "$SD" --system --log-target=console --log-color=no \
    --log-level=info --show-status=no
EOF
log=$W/manager.log
script -qfec "bash $(printf %q "$W/enter.sh")" "$log" </dev/null >/dev/null 2>&1 &
SCRIPT_PID=$!
started=$(date +%s%N)

pid1() {
    local p
    p=$(cat "$W/unshare.pid" 2>/dev/null) || return 1
    read -r PID1 _ 2>/dev/null <"/proc/$p/task/$p/children"
    [ -n "$PID1" ]
}
booted() { grep -q '^Startup finished' "$log" || ! kill -0 "$PID1" 2>/dev/null; }
console() { tr -d '\r' <"$log" | grep -v '^Script ' | grep . | tail -n 5 | tr '\n' ' '; }
# Run in the manager's namespaces: its /run, so its private bus only.
in_ns() { timeout 10 nsenter -t "$PID1" -m -p "$@"; }
wait_for 5 pid1 || skip "no PID 1 stayed up in new namespaces; its console: $(console)"
if ! wait_for 20 booted || ! kill -0 "$PID1" 2>/dev/null; then
    skip "systemd did not come up as PID 1 (exited, or no startup in 20 s); its console: $(console)"
fi
boot_ms=$((($(date +%s%N) - started) / 1000000))

check "systemd boots as PID 1 of its namespaces ($boot_ms ms)" \
    eq "$(in_ns cat /proc/1/comm)" systemd
check "it sees our unit files only, none of the host's" eq \
    "$(in_ns systemctl list-unit-files --no-legend --no-pager | awk '{print $1}' | sort | tr '\n' ' ')" \
    "booking-expire.service booking-expire.timer default.target sysinit.target "
check "the timer is active" eq "$(in_ns systemctl is-active booking-expire.timer)" active

# A hold made now lapses in HOLD_TTL_SECONDS: only a later run sees it.
show=$(make_show 10 "Timer")
hold=$(make_hold "$show" 2)
is_id() { [[ $1 =~ ^[0-9]+$ ]]; }
check "a hold is made" is_id "$hold"
state() { sql "SELECT status || '/' || coalesce(reason, '') FROM bookings WHERE id = $hold"; }
expired() { [ "$(state)" = FAILED/expired ]; }
wait_for 20 expired
check "a timer-started run marks the lapsed hold FAILED/expired" eq "$(state)" FAILED/expired
check "counters equal the live bookings" eq "$(counters "$show")" "0/0"

# The runs' own summary lines, and the manager's record of them.
runs() { grep -cE '^expired [0-9]+ holds, released [0-9]+ seats in [0-9]+ ms$' "$W/expire.log" 2>/dev/null; }
twice() { [ "$(runs)" -ge 2 ]; }
wait_for 10 twice
check "the timer fires more than once ($(runs) runs)" twice
check "a run's summary line counts it" \
    grep -qE '^expired [1-9][0-9]* holds, released [1-9][0-9]* seats in' "$W/expire.log"
check "no run printed an error or a sanitizer report" eq \
    "$(grep -ciE 'failed|error|SQLSTATE|Sanitizer' "$W/expire.log")" 0
# With the timer stopped and the last run over, the manager's log has a
# line for each run, and none of them failed.
in_ns systemctl stop booking-expire.timer
idle() { [ "$(in_ns systemctl is-active booking-expire.service)" != activating ]; }
ends() { tr -d '\r' <"$log" | grep -cE 'booking-expire.service: (Deactivated successfully|Failed with result)'; }
logged() { [ "$(ends)" -ge "$(runs)" ]; }
wait_for 10 idle && wait_for 5 logged
check "the manager saw each of the $(runs) runs succeed" eq \
    "$(grep -c 'service: Deactivated successfully' "$log")/$(grep -c 'Failed with result' "$log")" "$(runs)/0"

manager_stop
check "SIGKILL leaves nothing: PID 1 gone, its cgroups removed" \
    bash -c "[ ! -e /proc/$PID1 ] && [ ! -d '$CG' ]"
