#!/usr/bin/env bash
# make test-install: the built .deb, installed and run as a sysadmin
# would, in a scratch root that is never the host's.
#
# The scratch root is an overlay over this machine's / (its changes go
# to a tmpfs), the root of new mount, PID, network, UTS, IPC and cgroup
# namespaces whose PID 1 is systemd, as in tests/integration/t1200: the
# host's packages (nginx, PostgreSQL, the libraries) are there, the
# host's /usr, /etc, /var, network and systemd are untouched. Inside it
# PostgreSQL runs as postgres on 127.0.0.1:5432 of its own loopback, the
# package is installed with dpkg -i while that systemd runs (so postinst
# talks to it), configured (dpkg-reconfigure: migrations, units
# started), the nginx site enabled, a seat booked through nginx,
# booking-events heard relaying a seated booking to a browser's
# EventSource through the site, the service reloaded, reinstalled under load (the upgrade path: restart,
# config kept, no request failed), then removed and purged. All of it goes when PID 1 is
# SIGKILLed: the mounts live only in its mount namespace.
#
# usage: tests/install/run.sh build/booking_<version>_<arch>.deb
# Prints "ok - ..." / "not ok - ..." lines and "N passed, M failed".
set -u
# stack_wait_for
source "$(dirname "$0")/../../scripts/stack.sh"

DEB=$(readlink -f "${1:?usage: $0 PACKAGE.deb}")
VERSION=$(dpkg-deb -f "$DEB" Version)
SD=/lib/systemd/system
PASSED=0 FAILED=0
T= CG= PID1= SCRIPT_PID= DONE=
started=$SECONDS

check() {
    local name=$1
    shift
    if "$@"; then
        echo "ok - $name"; PASSED=$((PASSED + 1))
    else
        echo "not ok - $name"; FAILED=$((FAILED + 1))
    fi
}
eq() {
    [ "$1" = "$2" ] && return 0
    echo "#   got:      '$1'"; echo "#   expected: '$2'"
    return 1
}
finish() {
    DONE=1
    echo "$PASSED passed, $FAILED failed ($((SECONDS - started)) s)"
    [ "$FAILED" -eq 0 ]
}
# bail REASON: a step everything after depends on failed.
bail() {
    echo "not ok - $*"; FAILED=$((FAILED + 1))
    [ -n "$T" ] && [ -f "$T/share/console.log" ] &&
        tr -d '\r' <"$T/share/console.log" | grep . | tail -n 15 | sed 's/^/#   /'
    exit 1
}

[ "$(id -u)" -eq 0 ] || { echo "test-install: needs root (namespaces, mounts, a cgroup)" >&2; exit 1; }
for c in unshare nsenter script dpkg-deb; do
    command -v "$c" >/dev/null || { echo "test-install: $c is not installed" >&2; exit 1; }
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
    { echo "test-install: no overlayfs in this kernel" >&2; exit 1; }

if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    cg2=/sys/fs/cgroup
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    cg2=/sys/fs/cgroup/unified
else
    echo "test-install: no cgroup2 hierarchy under /sys/fs/cgroup" >&2; exit 1
fi

T=$(mktemp -d /tmp/booking-test-install.XXXXXX)
mkdir -p "$T/share" "$T/root"
chmod 0755 "$T" "$T/share"
cp "$DEB" "$T/share/booking.deb"
mine=$(sed -n 's/^0:://p' /proc/self/cgroup)
CG=$cg2${mine%/}/booking-test-install.$$
mkdir "$CG" || { echo "test-install: mkdir $CG failed" >&2; exit 1; }

# SIGKILL PID 1: the kernel kills its whole PID namespace (PostgreSQL,
# nginx, the services), its mount namespace and the overlay go with it.
cleanup() {
    if [ -n "$CG" ] && [ -d "$CG" ]; then
        [ -n "$PID1" ] && kill -KILL "$PID1" 2>/dev/null
        if ! stack_wait_for 5 grep -q '^populated 0' "$CG/cgroup.events"; then
            echo 1 >"$CG/cgroup.kill"
            stack_wait_for 5 grep -q '^populated 0' "$CG/cgroup.events"
        fi
        [ -n "$SCRIPT_PID" ] && kill -KILL "$SCRIPT_PID" 2>/dev/null
        wait "$SCRIPT_PID" 2>/dev/null
        find "$CG" -depth -type d -exec rmdir {} \;
    fi
    if [ -n "$T" ]; then
        if grep -q " $T/" /proc/self/mountinfo; then
            echo "# test-install: mounts left under $T, kept" >&2
        else
            rm -rf "$T"
        fi
    fi
}
# Cleaned up however it ends; an early end still prints the counts.
trap 'cleanup; [ -n "$DONE" ] || finish' EXIT
trap 'echo "not ok - interrupted"; FAILED=$((FAILED + 1)); exit 130' INT TERM

# ---- the scratch root ----------------------------------------------
# enter.sh joins the cgroup, then unshare makes the namespaces; boot.sh
# builds the root in there and execs systemd as its PID 1. script(1)'s
# pty becomes /dev/console, where PID 1 logs.
cat >"$T/share/enter.sh" <<EOF
echo \$\$ >"$CG/cgroup.procs" && echo \$\$ >"$T/unshare.pid" &&
exec unshare --fork --pid --mount --propagation private --net --uts --ipc \\
    --cgroup --kill-child=SIGKILL bash "$T/share/boot.sh" "$T"
EOF
cat >"$T/share/boot.sh" <<'EOF'
set -e
T=$1 R=$1/root
console=$(tty)
# The overlay's upper layer on a tmpfs: nothing written inside reaches
# the host's disk, and a layer on another file system does not overlap /.
mkdir -p "$T/layer"
mount -t tmpfs -o mode=0755 booking-layer "$T/layer"
mkdir "$T/layer/upper" "$T/layer/work"
mount -t overlay booking-root -o "lowerdir=/,upperdir=$T/layer/upper,workdir=$T/layer/work" "$R"
mount -t proc proc "$R/proc"
mount -o bind,ro /proc/sys "$R/proc/sys"      # PID 1 bumps fs.nr_open & co.
mount --rbind /dev "$R/dev"
mount --bind "$console" "$R/dev/console"
mount -o bind,ro /sys "$R/sys"                # as in any container: no udev
mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"   # its root is our cgroup (cgroup ns)
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mkdir -p "$R/srv/booking-test"
mount --bind "$T/share" "$R/srv/booking-test"
# Units of the host that would reach outside the namespaces (modules,
# binfmt, sysctl, clock, kernel file systems) or run at random (the
# daily timers, apt among them) are masked: sysinit.target keeps
# journald, tmpfiles and sysusers.
e=$R/etc/systemd/system
for w in "$R"/lib/systemd/system/sysinit.target.wants/* \
         "$R"/lib/systemd/system/sockets.target.wants/* \
         "$e"/sysinit.target.wants/* "$e"/timers.target.wants/*; do
    u=${w##*/}
    case $u in
    systemd-journald*.service|systemd-journal-flush.service|systemd-journald.socket|\
    systemd-journald-dev-log.socket|systemd-tmpfiles-setup*.service|\
    systemd-sysusers.service|dbus.socket|*.target) ;;
    *) if [ -e "$w" ] || [ -L "$w" ]; then ln -sf /dev/null "$e/$u"; fi ;;
    esac
done
# A Docker-style policy-rc.d (exit 101: "start no service during
# installs") would keep deb-systemd-invoke from doing what postinst asks:
# this scratch root is a machine whose services should start.
rm -f "$R/usr/sbin/policy-rc.d"
printf '[Unit]\nDescription=booking test-install\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n' \
    >"$e/booking-test.target"
cd "$R"
pivot_root . .
umount -l .
export container=booking-test-install
exec /lib/systemd/systemd --system --unit=booking-test.target \
    --log-target=console --log-color=no --log-level=info --show-status=no
EOF
log=$T/share/console.log
script -qfec "bash $(printf %q "$T/share/enter.sh")" "$log" </dev/null >/dev/null 2>&1 &
SCRIPT_PID=$!

pid1() {
    local p
    p=$(cat "$T/unshare.pid" 2>/dev/null) || return 1
    read -r PID1 _ 2>/dev/null <"/proc/$p/task/$p/children"
    [ -n "$PID1" ] && [ "$(cat "/proc/$PID1/comm" 2>/dev/null)" = systemd ]
}
booted() { grep -q '^Startup finished' "$log" || ! kill -0 "$PID1" 2>/dev/null; }
# in_ns COMMAND...: run in the scratch root (its /, PID 1, network).
in_ns() { timeout "${TO:-60}" nsenter -t "$PID1" -m -p -n -u -i -r -w env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb "$@"; }
sh_ns() { in_ns sh -c "$1"; }

boot_t=$SECONDS
stack_wait_for 10 pid1 || bail "no systemd stayed up as PID 1 of the namespaces"
stack_wait_for 60 booted && kill -0 "$PID1" 2>/dev/null || bail "systemd did not finish starting in 60 s"
check "systemd boots as PID 1 of the scratch root ($((SECONDS - boot_t)) s)" \
    eq "$(in_ns cat /proc/1/comm)" systemd
check "the scratch root is the overlay, not the host's /" \
    eq "$(in_ns findmnt -no FSTYPE /)" overlay
check "it has a network of its own: loopback only, up" \
    eq "$(in_ns ip -o link | awk -F': ' '{print $2}' | tr '\n' ' ')$(in_ns ip -o addr show lo | grep -c 'inet 127.0.0.1')" "lo 1"
check "the package is not installed yet" eq "$(in_ns dpkg-query -W -f='${Status}' booking 2>/dev/null)" ""

# ---- PostgreSQL, as its own user, on the scratch root's loopback -----
PGB=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_t=$SECONDS
sh_ns "mkdir -p /var/lib/booking-test-pg && chown postgres: /var/lib/booking-test-pg &&
    runuser -u postgres -- $PGB/initdb -D /var/lib/booking-test-pg/data -U booking \
        --auth=trust -E UTF8 --locale=C.UTF-8 >/var/lib/booking-test-pg/initdb.log 2>&1 &&
    runuser -u postgres -- $PGB/pg_ctl -D /var/lib/booking-test-pg/data -l /var/lib/booking-test-pg/server.log \
        -w -t 30 -o \"-c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories=''\" start >/dev/null &&
    psql -X -q postgresql://booking@127.0.0.1:5432/postgres -c 'CREATE DATABASE booking' >/dev/null" \
    || bail "PostgreSQL did not start in the scratch root"
check "PostgreSQL runs as postgres in the scratch root ($((SECONDS - pg_t)) s)" \
    eq "$(in_ns pgrep -u postgres -c -x postgres >/dev/null && echo yes)" yes
OWNER_URL=postgresql://booking@127.0.0.1:5432/booking
APP_URL=postgresql://booking_app@127.0.0.1:5432/booking
sql() { in_ns psql -X -q -tA "$OWNER_URL" -c "$1"; }

# ---- first install: nothing configured yet ---------------------------
out=$(TO=120 in_ns dpkg -i /srv/booking-test/booking.deb 2>&1); rc=$?
echo "$out" | sed 's/^/#   dpkg: /'
check "dpkg -i installs it (exit 0)" eq "$rc" 0
check "dpkg says it is installed, version $VERSION" \
    eq "$(in_ns dpkg-query -W -f='${Status} ${Version}' booking)" "install ok installed $VERSION"
check "booking-fcgi --version prints the package's version" \
    grep -qw "$VERSION" <<<"$(in_ns /usr/sbin/booking-fcgi --version 2>&1)"
check "postinst created the system user booking (nologin, no home)" \
    eq "$(in_ns getent passwd booking | awk -F: '{print ($3 < 1000) "," $6 "," $7}')" "1,/,/usr/sbin/nologin"
check "and /run/booking (tmpfiles.d): booking:www-data 0750" \
    eq "$(in_ns stat -c '%U:%G %a' /run/booking)" "booking:www-data 750"
check "and /run/booking-events, the publisher's: root:booking 0750" \
    eq "$(in_ns stat -c '%U:%G %a' /run/booking-events)" "root:booking 750"
check "an admin token for ADMIN_TOKEN_FILE: root:booking 0640, 43 characters" \
    eq "$(in_ns stat -c '%U:%G %a' /etc/booking/admin-token) $(in_ns cat /etc/booking/admin-token | wc -c)" "root:booking 640 43"
check "and a secret key for SECRET_KEY_FILE: root:booking 0640, 43 characters, not the token" \
    eq "$(in_ns stat -c '%U:%G %a' /etc/booking/secret-key) $(in_ns cat /etc/booking/secret-key | wc -c) $(sh_ns 'cmp -s /etc/booking/secret-key /etc/booking/admin-token || echo differ')" \
    "root:booking 640 43 differ"
check "/etc/default/booking is the example, readable by root and booking (0640)" \
    eq "$(in_ns stat -c '%U:%G %a' /etc/default/booking)/$(sh_ns 'cmp -s /etc/default/booking /usr/share/booking/examples/booking.env.example && echo same')" \
    "root:booking 640/same"
check "the conffiles are the /etc files" eq \
    "$(in_ns dpkg-query -W -f='${Conffiles}' booking | awk 'NF {print $1}' | tr '\n' ' ')" \
    "/etc/default/booking /etc/nginx/sites-available/booking /etc/nginx/snippets/booking-cors-origins.conf /etc/nginx/snippets/booking-fastcgi.conf "
check "the units are enabled: socket, service, timer" eq \
    "$(in_ns systemctl is-enabled booking-fcgi.socket booking-fcgi.service booking-expire.timer | tr '\n' ' ')" \
    "enabled enabled enabled "
check "and booking-events.service, the live seat map's relay" \
    eq "$(in_ns systemctl is-enabled booking-events.service)" enabled
check "unconfigured, none is started" eq \
    "$(in_ns systemctl is-active booking-fcgi.socket booking-fcgi.service booking-expire.timer booking-events.service | tr '\n' ' ')" \
    "inactive inactive inactive inactive "
check "postinst said what to configure" grep -q 'set DATABASE_URL (and MIGRATE_DATABASE_URL)' <<<"$out"
check "the units run the installed binaries" eq \
    "$(in_ns systemctl show -p ExecStart --value booking-fcgi.service | grep -o 'path=[^ ;]*')" \
    "path=/usr/sbin/booking-fcgi"

# ---- configure, then dpkg-reconfigure (as the postinst's note says) --
# The admin's edit: the service's role, the owner for the migrations.
sh_ns "sed -i 's|^DATABASE_URL=.*|DATABASE_URL=$APP_URL|' /etc/default/booking &&
       printf '\n# The tables owner, for the migrations postinst runs.\nMIGRATE_DATABASE_URL=$OWNER_URL\n' >>/etc/default/booking"
before=$(in_ns md5sum /etc/default/booking)
out=$(TO=120 in_ns DEBIAN_FRONTEND=noninteractive dpkg-reconfigure booking 2>&1); rc=$?
echo "$out" | sed 's/^/#   dpkg-reconfigure: /'
check "configured, dpkg-reconfigure booking: exit 0" eq "$rc" 0
nsql=$(in_ns sh -c 'ls /usr/share/booking/sql/*.sql | wc -l')
check "postinst ran the migrations ($nsql applied, booking_app exists)" eq \
    "$(sql 'SELECT count(*) FROM schema_migrations')/$(sql "SELECT count(*) FROM pg_roles WHERE rolname = 'booking_app'")" \
    "$nsql/1"
check "and started the socket and the timer" eq \
    "$(in_ns systemctl is-active booking-fcgi.socket booking-expire.timer | tr '\n' ' ')" "active active "
# state_as UNIT: "ActiveState/SubState/user" of its main process.
state_as() {
    echo "$(in_ns systemctl show -p ActiveState -p SubState --value "$1" | tr '\n' '/')$(in_ns ps -o user= -p "$(in_ns systemctl show -p MainPID --value "$1")")"
}
events_up() { [ "$(in_ns systemctl show -p SubState --value booking-events.service)" = running ]; }
stack_wait_for 15 events_up
check "and booking-events.service (Type=notify): active/running as booking" \
    eq "$(state_as booking-events.service)" "active/running/booking"
check "journalctl -u booking-events: it listens on seat_events" \
    sh_ns "journalctl -q -u booking-events --no-pager | grep -q 'listening on seat_events'"
check "the socket is /run/booking/fcgi.sock, booking:www-data 0660" \
    eq "$(in_ns stat -c '%U:%G %a' /run/booking/fcgi.sock)" "booking:www-data 660"

# ---- nginx, with the installed site enabled --------------------------
sh_ns 'ln -s /etc/nginx/sites-available/booking /etc/nginx/sites-enabled/booking &&
       rm -f /etc/nginx/sites-enabled/default'
check "nginx -t accepts the installed site and snippet" in_ns nginx -t -q
in_ns systemctl start nginx.service
check "nginx.service starts" eq "$(in_ns systemctl is-active nginx.service)" active

TOKEN=$(in_ns cat /etc/booking/admin-token)
# http METHOD PATH [BODY [HEADER]]: through the installed nginx site;
# sets CODE and BODY.
http() {
    local r
    r=$(in_ns curl -s -m 20 -X "$1" -w '\n%{http_code}' -H 'Content-Type: application/json' \
        ${4:+-H "$4"} ${3:+--data-binary "$3"} "http://127.0.0.1$2")
    CODE=${r##*$'\n'} BODY=${r%$'\n'*}
}
healthy() { http GET /health; [ "$CODE" = 200 ]; }
stack_wait_for 20 healthy
check "GET /health through nginx: 200 (the socket started the service)" eq "$CODE" 200
start=$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)
http POST /admin/show "{\"name\":\"Installed\",\"start_time\":\"$start\",\"total_seats\":10}" \
    "Authorization: Bearer $TOKEN"
check "POST /admin/show with the generated token: 201" eq "$CODE" 201
show=$(jq -r '.show.id // empty' <<<"$BODY" 2>/dev/null)
http POST /book "{\"show_id\":${show:-0},\"seat_count\":2}"
check "POST /book: 201" eq "$CODE" 201
booking=$(jq -r '.booking.id // empty' <<<"$BODY" 2>/dev/null)
check "the booking is in PostgreSQL: CONFIRMED, 2 seats of show $show" eq \
    "$(sql "SELECT status || '/' || seat_count || '/' || show_id FROM bookings WHERE id = ${booking:-0}")" \
    "CONFIRMED/2/$show"
# The live seat map through the installed site: a browser's EventSource
# on /events/shows/N hears a seated booking, relayed by booking-events
# from PostgreSQL to nchan's publisher socket /run/booking-events/events.sock.
http POST /admin/show "{\"name\":\"Seated\",\"start_time\":\"$start\",\"seating\":{\"focal_point\":{\"x\":0,\"y\":0},\"categories\":[{\"name\":\"A\",\"colour\":\"#000000\",\"price\":100}],\"sections\":[{\"name\":\"S\",\"rows\":[{\"name\":\"A\",\"seats\":\"1-10\",\"category\":\"A\"}]}]}}" \
    "Authorization: Bearer $TOKEN"
seated=$(jq -r '.show.id // 0' <<<"$BODY" 2>/dev/null)
TO=30 in_ns curl -s -N -m 10 -H 'Accept: text/event-stream' \
    "http://127.0.0.1/events/shows/$seated" >"$T/share/events" &
sub=$!
stack_wait_for 5 test -s "$T/share/events"
sleep 0.3
http POST /book "{\"show_id\":$seated,\"seats\":[\"S-A-2\",\"S-A-3\"]}"
heard() { grep -q "^data: {\"show\":$seated,\"s\":\[1,2\]}" "$T/share/events"; }
stack_wait_for 5 heard
kill "$sub" 2>/dev/null; wait "$sub" 2>/dev/null
check "an EventSource on /events/shows/$seated through the site hears S-A-2 and S-A-3 sold ($CODE)" heard
running() { [ "$(in_ns systemctl show -p SubState --value booking-fcgi.service)" = running ]; }
stack_wait_for 15 running
check "booking-fcgi.service is active/running as booking" \
    eq "$(state_as booking-fcgi.service)" "active/running/booking"
check "journalctl -u booking-fcgi has the request" \
    sh_ns "journalctl -q -u booking-fcgi --no-pager | grep -q 'POST /book 201'"

# The master reads /etc/default/booking itself on reload, as booking.
if [ "$(in_ns systemctl show -p CanReload --value booking-fcgi.service)" = yes ]; then
    in_ns systemctl reload booking-fcgi.service
    stack_wait_for 15 running
    http GET /health
    check "systemctl reload booking-fcgi: running, GET /health 200" \
        eq "$(in_ns systemctl show -p SubState --value booking-fcgi.service)/$CODE" running/200
    check "it read /etc/default/booking as booking: its log says reloading, not refused" \
        sh_ns "journalctl -q -u booking-fcgi --no-pager | grep -q 'reloading' &&
               ! journalctl -q -u booking-fcgi --no-pager | grep -iE 'refused|denied'"
else
    echo "# SKIP reload: booking-fcgi.service has no ExecReload= in this build"
fi
in_ns systemctl start booking-expire.service
check "booking-expire.service runs and succeeds" eq \
    "$(in_ns systemctl show -p Result --value booking-expire.service)" success
check "journalctl -u booking-expire has its summary line" \
    sh_ns "journalctl -q -u booking-expire --no-pager | grep -qE 'expired [0-9]+ holds, released [0-9]+ seats'"

# An upgrade while it serves: the migrations run beside the old workers
# (they only expand the schema), then the service is restarted on the
# new binary while the socket holds the requests, so none is refused
# and no booking fails.
http POST /admin/show "{\"name\":\"Upgrade\",\"start_time\":\"$start\",\"total_seats\":100000}" \
    "Authorization: Bearer $TOKEN"
big=$(jq -r '.show.id // 0' <<<"$BODY" 2>/dev/null)
main1=$(in_ns systemctl show -p MainPID --value booking-fcgi.service)
events1=$(in_ns systemctl show -p MainPID --value booking-events.service)
TO=90 in_ns sh -c 'while [ ! -e /srv/booking-test/stop ]; do
    curl -s -o /dev/null -m 10 -w "health %{http_code}\n" http://127.0.0.1/health
    curl -s -o /dev/null -m 10 -w "book %{http_code}\n" -H "Content-Type: application/json" \
        -d "{\"show_id\":'"$big"',\"seat_count\":1}" http://127.0.0.1/book
    sleep 0.05; done' >"$T/share/codes" &
load=$!
sleep 0.5
out=$(TO=120 in_ns dpkg -i /srv/booking-test/booking.deb 2>&1); rc=$?
sleep 0.5
touch "$T/share/stop"
wait "$load"
echo "$out" | sed 's/^/#   dpkg: /'
main2=$(in_ns systemctl show -p MainPID --value booking-fcgi.service)
check "an upgrade while running: exit 0, the service restarted (new master)" \
    eq "$rc/$([ "$main2" != "$main1" ] && [ "$main2" != 0 ] && echo new)" 0/new
stack_wait_for 15 events_up
events2=$(in_ns systemctl show -p MainPID --value booking-events.service)
check "booking-events restarted on the new binary, running" \
    eq "$(in_ns systemctl show -p SubState --value booking-events.service)/$([ "$events2" != "$events1" ] && [ "$events2" != 0 ] && echo new)" running/new
check "the admin's /etc/default/booking is kept as edited" eq "$(in_ns md5sum /etc/default/booking)" "$before"
n200=$(grep -c '^health 200$' "$T/share/codes") nother=$(grep -c -v -e '^health 200$' -e '^book 201$' "$T/share/codes")
n201=$(grep -c '^book 201$' "$T/share/codes")
check "GET /health and POST /book all through the upgrade: $n200 answered 200, $n201 booked, $nother otherwise" \
    test "$nother" -eq 0 -a "$n200" -ge 10 -a "$n201" -ge 10
http POST /book "{\"show_id\":${show:-0},\"seat_count\":1}"
check "and books again: 201" eq "$CODE" 201

# ---- remove, purge ---------------------------------------------------
in_ns systemctl stop nginx.service
out=$(TO=120 in_ns dpkg -r booking 2>&1); rc=$?
echo "$out" | sed 's/^/#   dpkg: /'
check "dpkg -r: exit 0, units stopped" eq \
    "$rc/$(in_ns systemctl is-active booking-fcgi.socket booking-fcgi.service booking-expire.timer booking-events.service | tr '\n' ' ')" \
    "0/inactive inactive inactive inactive "
check "binaries and units gone, the configuration kept" eq \
    "$(sh_ns 'ls /usr/sbin/booking-fcgi /lib/systemd/system/booking-fcgi.service /etc/default/booking /etc/booking/admin-token /etc/booking/secret-key 2>/dev/null' | tr '\n' ' ')" \
    "/etc/booking/admin-token /etc/booking/secret-key /etc/default/booking "
out=$(TO=120 in_ns dpkg -P booking 2>&1); rc=$?
echo "$out" | sed 's/^/#   dpkg: /'
check "dpkg -P: exit 0, /etc/default/booking, the token and the site gone" eq \
    "$rc/$(sh_ns 'ls -d /etc/default/booking /etc/booking /etc/nginx/sites-available/booking 2>/dev/null' | tr '\n' ' ')" "0/"
check "the system user stays (Debian keeps them)" eq "$(in_ns getent passwd booking | cut -d: -f1)" booking

in_ns runuser -u postgres -- "$PGB/pg_ctl" -D /var/lib/booking-test-pg/data -m fast -w stop >/dev/null 2>&1
p1=$PID1
cleanup
CG= T=
check "SIGKILL of PID 1 leaves nothing: it is gone, no mount of the scratch root left" \
    bash -c "[ ! -e /proc/$p1 ] && ! grep -q booking-layer /proc/self/mountinfo"
check "the host's dpkg does not know the package" eq "$(dpkg-query -W -f='${Status}' booking 2>/dev/null)" ""
finish
