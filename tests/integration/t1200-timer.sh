# booking-expire.timer and booking-fcgi.socket, for real: a throwaway
# systemd manager, PID 1 of its own PID, mount, UTS, IPC and cgroup
# namespaces, loads only our four units (the timer shortened to seconds
# by a drop-in) and two stub targets. Its timer must start booking-expire,
# which must release a lapsed hold; its socket must feed booking-fcgi.service
# (master and workers, hardened as installed), which a private nginx on
# the host reaches, and must keep taking requests while the service is
# stopped or restarted. It never sees the host's units nor the host's
# systemd, and it is SIGKILLed at the end. Where it cannot boot, a
# "# SKIP" line says why and no case is reported: a skip never counts
# as a pass.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SD=/lib/systemd/systemd
W=$TMP_T/sd                 # built here; the manager sees it as $N
N=/run/booking-t1200
CG= PID1= SCRIPT_PID= NG=

skip() { echo "# SKIP $*"; exit 0; }


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
    if ! stack_wait_for 5 grep -q '^populated 0' "$CG/cgroup.events"; then
        echo 1 >"$CG/cgroup.kill"
        stack_wait_for 5 grep -q '^populated 0' "$CG/cgroup.events"
    fi
    [ -n "$SCRIPT_PID" ] && kill -KILL "$SCRIPT_PID" 2>/dev/null
    wait "$SCRIPT_PID" 2>/dev/null
    find "$CG" -depth -type d -exec rmdir {} \;
    return 0
}

# Stop the private nginx (fast shutdown; its master waits for its
# workers), SIGKILLing it and its workers if it hangs.
ng_gone() { ! kill -0 "$NG" 2>/dev/null; }
ng_stop() {
    [ -n "$NG" ] || return 0
    kill -TERM "$NG" 2>/dev/null
    if ! stack_wait_for 5 ng_gone; then
        pkill -KILL -P "$NG" 2>/dev/null
        kill -KILL "$NG" 2>/dev/null
    fi
    wait "$NG" 2>/dev/null
    NG=
}
trap 'ng_stop; manager_stop; rm -rf "$TMP_T"' EXIT

# The units as installed, pointed at the built binary and at our
# environment file; drop-ins for what a test needs to be different.
# The FastCGI socket is $N/fcgi.sock to the manager: $N is a bind mount
# of $W, made before the tmpfs mounts over /run and /tmp hide the rest,
# so the socket's inode is on the host's file system, at $W/fcgi.sock,
# where our nginx connects.
# The binaries are copied there too: a checkout under /tmp (the tmpfs
# hides it) or /home (ProtectHome=) would be out of the services' sight.
u=$W/units
mkdir -p "$u/booking-expire.timer.d" "$u/booking-expire.service.d" \
    "$u/booking-fcgi.service.d" "$u/booking-fcgi.socket.d" "$W/empty" "$W/bin"
chmod 0755 "$W" "$W/bin"                # the services run as nobody
for s in booking-expire booking-fcgi; do
    install -m 0755 "$ROOT/$BUILD/$s" "$W/bin/$s"
    sed -e "s|^ExecStart=.*|ExecStart=$N/bin/$s|" \
        -e "s|^EnvironmentFile=.*|EnvironmentFile=$N/booking.env|" \
        -e "s|^Environment=CONFIG_FILE=.*|Environment=CONFIG_FILE=$N/booking.env|" \
        "$ROOT/systemd/$s.service" >"$u/$s.service"
done
sed -e "s|^ListenStream=.*|ListenStream=$N/fcgi.sock|" \
    "$ROOT/systemd/booking-fcgi.socket" >"$u/booking-fcgi.socket"
cp "$ROOT/systemd/booking-expire.timer" "$u/"
# One file for both services, as /etc/default/booking is.
printf 'DATABASE_URL=%s\nADMIN_TOKEN=%s\nWORKERS=2\n' "${APP_DATABASE_URL:-$DATABASE_URL}" \
    "${ADMIN_TOKEN:?run through make test}" >"$W/booking.env"
# Every 2 s rather than every minute (an empty OnCalendar= resets it).
printf '[Timer]\nOnCalendar=\nOnActiveSec=1s\nOnUnitActiveSec=2s\nAccuracySec=100ms\n' \
    >"$u/booking-expire.timer.d/fast.conf"
# There is no journald here: the runs' output goes to a file.
printf '[Service]\nStandardOutput=append:%s/expire.log\n' "$N" \
    >"$u/booking-expire.service.d/output.conf"
printf '[Service]\nStandardOutput=append:%s/fcgi.log\n' "$N" \
    >"$u/booking-fcgi.service.d/output.conf"
# Names overridden in booking-fcgi's units, and only when this host
# lacks the name: the user "booking" (and its group) that the unit's
# comment asks to create, and nginx's group www-data. A test must not
# add users to the host, so nobody/nogroup stand in (systemd warns that
# "nobody" is shared, "not safe": true in production, harmless for a
# throwaway manager). Every hardening option stays as installed, but
# for the sanitizer's below. Our nginx runs as root: SocketMode=0660
# lets it in.
getent group nogroup >/dev/null && nogroup=nogroup || nogroup=nobody
{
    echo '[Service]'
    getent passwd booking >/dev/null || echo 'User=nobody'
    getent group booking >/dev/null || echo "Group=$nogroup"
} >"$u/booking-fcgi.service.d/user.conf"
{
    echo '[Socket]'
    getent passwd booking >/dev/null || echo 'SocketUser=nobody'
    getent group www-data >/dev/null || echo "SocketGroup=$nogroup"
} >"$u/booking-fcgi.socket.d/user.conf"
# The only hardening override, for sanitizer builds only (make test
# SANITIZE=1), in both services: LeakSanitizer checks at exit by
# ptrace-attaching to the process's threads, and ptrace is not in
# @system-service, so each run died with "LeakSanitizer: Could not attach
# to thread N (errno 1)" (EPERM, from SystemCallErrorNumber=), "has
# encountered a fatal error", exit status 1. Release builds run the
# filter exactly as installed.
if grep -q __asan_init "$ROOT/$BUILD/booking-fcgi"; then
    for s in booking-expire booking-fcgi; do
        printf '[Service]\nSystemCallFilter=ptrace\n' >"$u/$s.service.d/sanitizer.conf"
    done
fi
# What boots: default.target wants the timer, the socket and the
# service (both enabled, as "make install" leaves them); sysinit.target
# is the one unit that the default dependencies of them all require.
printf '[Unit]\nDescription=t1200 default\nWants=%s\n' \
    'booking-expire.timer booking-fcgi.socket booking-fcgi.service' >"$u/default.target"
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
stack_wait_for 5 pid1 || skip "no PID 1 stayed up in new namespaces; its console: $(console)"
if ! stack_wait_for 20 booted || ! kill -0 "$PID1" 2>/dev/null; then
    skip "systemd did not come up as PID 1 (exited, or no startup in 20 s); its console: $(console)"
fi
boot_ms=$((($(date +%s%N) - started) / 1000000))

check "systemd boots as PID 1 of its namespaces ($boot_ms ms)" \
    eq "$(in_ns cat /proc/1/comm)" systemd
check "it sees our unit files only, none of the host's" eq \
    "$(in_ns systemctl list-unit-files --no-legend --no-pager | awk '{print $1}' | sort | tr '\n' ' ')" \
    "booking-expire.service booking-expire.timer booking-fcgi.service booking-fcgi.socket default.target sysinit.target "
check "the timer is active" eq "$(in_ns systemctl is-active booking-expire.timer)" active

# A hold made now lapses in HOLD_TTL_SECONDS: only a later run sees it.
show=$(make_show 10 "Timer")
hold=$(make_hold "$show" 2)
is_id() { [[ $1 =~ ^[0-9]+$ ]]; }
check "a hold is made" is_id "$hold"
state() { sql "SELECT status || '/' || coalesce(reason, '') FROM bookings WHERE id = $hold"; }
expired() { [ "$(state)" = FAILED/expired ]; }
stack_wait_for 20 expired
check "a timer-started run marks the lapsed hold FAILED/expired" eq "$(state)" FAILED/expired
check "counters equal the live bookings" eq "$(counters "$show")" "0/0"

# The runs' own summary lines, and the manager's record of them.
runs() { grep -cE '^expired [0-9]+ holds, released [0-9]+ seats in [0-9]+ ms$' "$W/expire.log" 2>/dev/null; }
twice() { [ "$(runs)" -ge 2 ]; }
stack_wait_for 10 twice
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
stack_wait_for 10 idle && stack_wait_for 5 logged
check "the manager saw each of the $(runs) runs succeed" eq \
    "$(grep -c 'booking-expire.service: Deactivated successfully' "$log")/$(grep -c 'booking-expire.service: Failed with result' "$log")" "$(runs)/0"

# ---- booking-fcgi.socket and booking-fcgi.service -------------------

# prop UNIT PROPERTY: one property, as the manager has it.
prop() { in_ns systemctl show -p "$2" --value "$1"; }
states() { echo "$(prop "$1" ActiveState)/$(prop "$1" SubState)"; }
svc=booking-fcgi.service
check "the socket unit is active" eq "$(in_ns systemctl is-active booking-fcgi.socket)" active
check "it triggers the service" eq "$(prop booking-fcgi.socket Triggers)" "$svc"
check "its socket is on the host's file system, where the host sees it" test -S "$W/fcgi.sock"

# A private nginx (as t0650's), its upstream the socket that systemd holds.
ng_port=$(stack_free_port)
STACK_DIR=$TMP_T/ng stack_nginx_conf "$ng_port"
ng_conf=$TMP_T/ng/nginx/conf/booking.conf
sed -i "s|unix:$TMP_T/ng/fcgi.sock|unix:$W/fcgi.sock|" "$ng_conf"
check "the private nginx passes to the systemd-held socket" grep -q "unix:$W/fcgi.sock;" "$ng_conf"
nginx -q -p "$TMP_T/ng/nginx" -c "$TMP_T/ng/nginx/conf/nginx.conf" \
    -e "$TMP_T/ng/nginx/logs/error.log" &
NG=$!
SD_URL=http://127.0.0.1:$ng_port
# via COMMAND...: run a lib.sh helper against the private nginx.
via() { local BASE_URL=$SD_URL; "$@"; }
code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "$SD_URL$1"; }
healthy() { [ "$(code /health)" = 200 ]; }
stack_wait_for 20 healthy

via req GET /health
check "through it: GET /health 200" eq "$STATUS" 200
via admin_post "{\"name\":\"Socket\",\"start_time\":\"$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)\",\"total_seats\":10}"
check "POST /admin/show with the token: 201" eq "$STATUS" 201
sd_show=$(jget .show.id)
via post_json /book "{\"show_id\":$sd_show,\"seat_count\":2}"
check "POST /book: 201" eq "$STATUS" 201
check "the booking is in the database" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = ${sd_show:-0}")" 1
served() { grep -cE "^booking-fcgi: (GET /health 200|POST /admin/show 201|POST /book 201) " "$W/fcgi.log"; }
check "the service's own log has them: systemd's workers served them" \
    test "$(served)" -ge 3
check "it took the socket passed by systemd" \
    grep -q '^booking-fcgi: using the socket passed by systemd$' "$W/fcgi.log"

# The processes in the service's cgroup, seen from inside the namespaces:
# "N processes: master M, workers W" (MainPID, and its booking-fcgi children).
cat >"$W/tree.sh" <<'EOF'
cg=$(systemctl show -p ControlGroup --value booking-fcgi.service)
main=$(systemctl show -p MainPID --value booking-fcgi.service)
n=0 m=0 w=0
while read -r p; do
    n=$((n + 1))
    if [ "$p" = "$main" ]; then
        [ "$(cat "/proc/$p/comm")" = booking-fcgi ] && m=1
    elif [ "$(awk '/^PPid:/ {print $2}' "/proc/$p/status")" = "$main" ] &&
         [ "$(cat "/proc/$p/comm")" = booking-fcgi ]; then
        w=$((w + 1))
    fi
done < <(cat "/sys/fs/cgroup$cg/cgroup.procs" 2>/dev/null)
echo "$n processes: master $m, workers $w"
EOF
tree() { in_ns bash "$N/tree.sh"; }
tree_pids() {
    in_ns bash -c 'cat "/sys/fs/cgroup$(systemctl show -p ControlGroup --value booking-fcgi.service)/cgroup.procs"' | sort
}
# The sandbox as the kernel applies it to the master.
cat >"$W/sandbox.sh" <<'EOF'
p=$(systemctl show -p MainPID --value booking-fcgi.service)
f() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$p/status"; }
[ "$(readlink "/proc/$p/ns/user")" != "$(readlink /proc/1/ns/user)" ] && u=own || u=host
echo "uid=$(f Uid) nnp=$(f NoNewPrivs) seccomp=$(f Seccomp) capbnd=$(f CapBnd) userns=$u"
EOF
svc_uid=$(id -u booking 2>/dev/null || id -u nobody)
full() { [ "$(tree)" = "3 processes: master 1, workers 2" ]; }
stack_wait_for 10 full
check "the service is active/running" eq "$(states "$svc")" active/running
status_ready() { prop "$svc" StatusText | grep -q '^workers 2/2 ready, [0-9]* busy, 0 restarts$'; }
stack_wait_for 5 status_ready
check "Type=notify: its status line says the workers are ready" eq \
    "$(prop "$svc" StatusText | sed 's/, [0-9]* busy//')" "workers 2/2 ready, 0 restarts"
check "its watchdog is armed (WatchdogSec=)" eq "$(prop "$svc" WatchdogUSec)" 30s
check "its cgroup holds the master and its 2 workers" eq "$(tree)" "3 processes: master 1, workers 2"
check "its sandbox holds: its user, no privileges, seccomp, a user namespace" eq \
    "$(in_ns bash "$N/sandbox.sh")" "uid=$svc_uid nnp=1 seccomp=2 capbnd=0000000000000000 userns=own"
check "the socket file is the socket unit's: owner, group, mode 0660" eq \
    "$(stat -c '%U:%G:%a' "$W/fcgi.sock")" \
    "$(getent passwd booking >/dev/null && echo booking || echo nobody):$(getent group www-data >/dev/null && echo www-data || echo "$nogroup"):660"
main1=$(prop "$svc" MainPID)
cg=$(prop "$svc" ControlGroup)

# Stop: the master drains and exits 0; the socket stays, listening.
# (systemctl warns that the socket can still activate it: that is the point.)
in_ns systemctl stop "$svc" 2>&1 | sed -e 's/^/# /'
check "systemctl stop: the master exits cleanly (Result=success, status 0)" eq \
    "$(states "$svc")/$(prop "$svc" Result)/$(prop "$svc" ExecMainStatus)" inactive/dead/success/0
check "it logged its drain" grep -q '^booking-fcgi: stopped$' "$W/fcgi.log"
check "its cgroup is gone" test ! -e "$CG$cg"
check "the socket unit stays, listening" eq "$(states booking-fcgi.socket)" active/listening
# A request now waits in the socket's backlog; the socket starts the
# service for it, and a new master answers.
check "a request made while it is stopped is answered: 200" eq "$(code /health)" 200
# Type=notify: active once the new master has said READY=1.
running() { [ "$(states "$svc")" = active/running ]; }
stack_wait_for 10 running
check "the socket started it again: active/running, a new master" eq \
    "$(states "$svc")/$([ "$(prop "$svc" MainPID)" != "$main1" ] && echo new)" active/running/new
stack_wait_for 10 full
check "again the master and 2 workers" eq "$(tree)" "3 processes: master 1, workers 2"

# A restart under load: every request is answered (none refused, none 5xx).
end=$((SECONDS + 30))        # bounded: a hung request ends the round
for _ in $(seq 1 40); do
    [ "$SECONDS" -lt "$end" ] || break
    code /health; echo
    sleep 0.05
done >"$TMP_T/codes" &
load=$!
sleep 0.3
in_ns systemctl restart "$svc" 2>&1 | sed -e 's/^/# /'
wait "$load"
check "restart under load: all 40 requests answered 200" eq \
    "$(grep -c '^200$' "$TMP_T/codes")/$(grep -vc '^200$' "$TMP_T/codes")" 40/0
check "and it is active/running after it" eq "$(states "$svc")" active/running

# systemctl reload under load, three times: the master replaces its
# workers one at a time and not one request fails.
stack_wait_for 10 full
before=$(tree_pids)
main2=$(prop "$svc" MainPID)
end=$((SECONDS + 40))
for _ in $(seq 1 400); do
    [ "$SECONDS" -lt "$end" ] && [ ! -e "$TMP_T/reloaded" ] || break
    code /health; echo
done >"$TMP_T/reload-codes" &
load=$!
sleep 0.2
reloads=0
reload_done() { [ "$(grep -c '^booking-fcgi: reload done$' "$W/fcgi.log")" -ge "$reloads" ]; }
for _ in 1 2 3; do
    reloads=$((reloads + 1))
    in_ns systemctl reload "$svc" 2>&1 | sed -e 's/^/# /'
    stack_wait_for 15 reload_done
done
touch "$TMP_T/reloaded"
wait "$load"
check "three reloads: the log says each was done" eq "$(grep -c '^booking-fcgi: reload done$' "$W/fcgi.log")" 3
check "under load: $(wc -l <"$TMP_T/reload-codes") requests, all 200" eq \
    "$(grep -vc '^200$' "$TMP_T/reload-codes")/$(test -s "$TMP_T/reload-codes" && echo some)" 0/some
check "the same master, active/running" eq "$(states "$svc")/$(prop "$svc" MainPID)" "active/running/$main2"
stack_wait_for 10 full
check "with 2 new workers" eq "$(comm -12 <(echo "$before") <(tree_pids) | grep -vc "^$main2$")" 0
check "the service log has no sanitizer report, no 500, no crash" eq \
    "$(grep -cE 'Sanitizer|runtime error:|^booking-fcgi: [A-Z]+ [^ ]+ 500 |killed by signal' "$W/fcgi.log")" 0

ng_procs="$NG $(pgrep -P "$NG" | tr '\n' ' ')"
ng_stop
check "our nginx is gone, and its workers" bash -c \
    "for p in $ng_procs; do [ ! -e /proc/\$p ] || exit 1; done"

manager_stop
check "SIGKILL leaves nothing: PID 1 gone, its cgroups removed" \
    bash -c "[ ! -e /proc/$PID1 ] && [ ! -d '$CG' ]"
