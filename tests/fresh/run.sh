#!/usr/bin/env bash
# make test-fresh: the committed tree on a Debian 12 root that has
# nothing else, the way Debian proves what a package needs (sbuild,
# piuparts): whatever the README's two commands need must be installed
# by the project itself, or this fails.
#
# The root is made by `mmdebstrap --variant=apt` (Essential: yes packages,
# apt, and make to type the commands with), given this machine's apt
# configuration (/etc/apt, copied in: its sources, keys and settings)
# and local certificate authorities (/usr/local/share/ca-certificates,
# which ca-certificates adds to the root's store when deps installs it),
# and a policy-rc.d that exits 101, as in Debian's container images, so
# that no package starts a service (nginx on port 80, PostgreSQL on 5432).
# HEAD is cloned into it, twice: /root/booking and /home/fresh/booking
# for a user "fresh". Then, chrooted, with /proc, /sys, /dev, /dev/pts and
# /dev/shm mounted and a login's environment (env -i):
#   1. as fresh, `make run` stops at once, naming the packages to install;
#   2. as root, the first `make run` installs them, builds and comes up; a
#      show is created with the admin token it printed and a seat booked
#      (201); Ctrl-C (SIGINT to its process group) stops it, quietly, and
#      no process whose root is the chroot is left;
#   3. as fresh, the first `make run` of its own clone does the same;
#   4. as root, `make test` passes, and leaves no process behind.
#
# It runs in a mount namespace of its own: every mount goes with it, and
# the trap unmounts them on any exit before the root is deleted (KEEP=1
# keeps it, unmounted, and says where). Root only.
# Prints "ok - ..." / "not ok - ..." lines, "# ..." for timings and
# details, and "fresh: N passed, M failed".
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${FRESH_NS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "test-fresh: needs root (mmdebstrap, chroot, mounts)" >&2; exit 1; }
    FRESH_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
# stack_free_port, stack_wait_for
source "$SRC/scripts/stack.sh"

SUITE=bookworm
ROOTPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PASSED=0 FAILED=0 DONE=
T= R=
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
finish() {
    DONE=1
    echo "# test-fresh took $((SECONDS - started)) s"
    echo "fresh: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
# bail REASON [LOG]: a step everything after depends on failed.
bail() {
    echo "not ok - $1"; FAILED=$((FAILED + 1))
    [ -n "${2:-}" ] && [ -f "$2" ] && tail -n 25 "$2" | sed 's/^/#   /'
    exit 1
}
# phase NAME START: how long a step took, for the README's figures.
phase() { echo "# $1: $((SECONDS - $2)) s"; }

for c in mmdebstrap git curl chroot setsid unshare; do
    command -v "$c" >/dev/null || { echo "test-fresh: $c is not installed" >&2; exit 1; }
done
HEAD=$(git -C "$SRC" rev-parse HEAD) || { echo "test-fresh: $SRC is not a git checkout" >&2; exit 1; }

# ---- processes and mounts of the root --------------------------------
# The pids of the processes whose root directory is the chroot.
root_pids() {
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && echo "${p#/proc/}"
    done
}
root_procs() {
    local p
    for p in $(root_pids); do
        echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"
    done
}
no_root_procs() { [ -z "$(root_pids)" ]; }

# Mount points under $T, deepest first.
mounts_under() {
    awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

cleanup() {
    local p m
    if [ -n "$R" ]; then
        for p in $(root_pids); do kill -TERM "$p" 2>/dev/null; done
        stack_wait_for 5 no_root_procs ||
            for p in $(root_pids); do kill -KILL "$p" 2>/dev/null; done
        stack_wait_for 5 no_root_procs
    fi
    if [ -n "$T" ]; then
        for m in $(mounts_under); do umount "$m" 2>/dev/null || umount -l "$m"; done
        if [ -n "$(mounts_under)" ]; then
            echo "# test-fresh: mounts left under $T, kept" >&2
        elif [ "${KEEP:-0}" = 1 ]; then
            echo "# test-fresh: the root is kept in $R (KEEP=1)"
        else
            rm -rf --one-file-system "$T"
        fi
    fi
}
trap 'cleanup; [ -n "$DONE" ] || finish' EXIT
trap 'echo "not ok - interrupted"; FAILED=$((FAILED + 1)); exit 130' INT TERM

# ---- the root --------------------------------------------------------
T=$(mktemp -d /tmp/booking-fresh.XXXXXX)
chmod 0755 "$T"
R=$T/root
t0=$SECONDS
# /etc/apt replaces the sources.list mmdebstrap writes, before its first
# apt update: the root fetches from where this machine does.
mmdebstrap --variant=apt --include=make --logfile="$T/mmdebstrap.log" \
    --setup-hook='rm -f "$1/etc/apt/sources.list"' \
    --setup-hook='sync-in /etc/apt /etc/apt' \
    "$SUITE" "$R" || bail "mmdebstrap made a $SUITE root" "$T/mmdebstrap.log"
check "mmdebstrap --variant=apt made a $SUITE root ($(du -sm "$R" | cut -f1) MB)" \
    test -x "$R/usr/bin/make"
phase "mmdebstrap" "$t0"

printf '%s\n' '#!/bin/sh' '# test-fresh: no package starts a service in this root.' 'exit 101' \
    >"$R/usr/sbin/policy-rc.d"
chmod 0755 "$R/usr/sbin/policy-rc.d"
if [ -d /usr/local/share/ca-certificates ]; then
    mkdir -p "$R/usr/local/share/ca-certificates"
    cp -a /usr/local/share/ca-certificates/. "$R/usr/local/share/ca-certificates/"
fi
none_of() {
    local c
    for c in "$@"; do
        [ -e "$R/usr/bin/$c" ] || [ -e "$R/usr/sbin/$c" ] && { echo "#   $c is there"; return 1; }
    done
    return 0
}
check "the root has no compiler, nginx, PostgreSQL, curl or git" none_of gcc cc nginx psql curl git

# A chroot, so t1200 skips in there: its systemd in namespaces would
# enter them with nsenter, which lands at the mount namespace's own root
# (the host's), and its units' PrivateUsers= cannot make a user
# namespace in a chroot (EPERM). The root is not a mount point of its
# own, so that t1200's unshare --propagation fails and it says SKIP.
mount -t proc proc "$R/proc" &&
mount --rbind /sys "$R/sys" &&
mount --bind /dev "$R/dev" &&
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts" &&
mount --bind "$R/dev/pts/ptmx" "$R/dev/ptmx" &&
mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm" || bail "the root's /proc, /sys and /dev mounted"

# HEAD, cloned: only what is committed. The root has no git itself.
clone() {
    git clone -q "$SRC" "$R$1" && git -C "$R$1" checkout -q --detach "$HEAD"
}
clone /root/booking || bail "git clone of $HEAD into /root/booking"
chroot "$R" useradd --create-home --shell /bin/bash fresh || bail "useradd fresh"
clone /home/fresh/booking && chroot "$R" chown -R fresh:fresh /home/fresh/booking ||
    bail "git clone of $HEAD into /home/fresh/booking"
echo "# HEAD $HEAD, cloned into the root as /root/booking and /home/fresh/booking"

# root_cmd USER: sets ROOT_CMD to the command that runs its arguments in
# the chroot as USER, from the clone in its home, in the environment of
# a login plus this machine's proxy settings: nothing of this make
# (MAKEFLAGS) or of this shell. Each step execs the next: run under
# setsid, the command's pid is make's, and make's process group.
root_cmd() {
    local user=$1 home=/root pass=() v
    [ "$user" = root ] || home=/home/$user
    for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
        [ -n "${!v:-}" ] && pass+=("$v=${!v}")
    done
    ROOT_CMD=(chroot "$R" setpriv --reuid="$user" --regid="$user" --init-groups
        env -i PATH="$ROOTPATH" HOME="$home" USER="$user" LOGNAME="$user"
        SHELL=/bin/bash TERM=dumb "${pass[@]}"
        /bin/sh -c 'cd "$HOME/booking" && exec "$@"' sh)
}
in_root() {
    root_cmd "$1"
    shift
    "${ROOT_CMD[@]}" "$@"
}

# ---- 1. a user, before anything is installed -------------------------
out=$T/user-deps.out
in_root fresh make run >"$out" 2>&1 </dev/null
status=$?
check "as a user, make run fails at once: packages are missing ($status)" test "$status" -ne 0
check "  and names them, with the command to install them" \
    grep -q 'deps: install them with: sudo apt-get install .*libc6-dev' "$out"
grep '^deps: missing' "$out" | sed 's/^/#   /'

# ---- 2. and 3. the first make run, then Ctrl-C -----------------------
# first_run USER SECONDS: make run in a session of its own (SIGINT and
# SIGQUIT not ignored, as under a terminal) until it is up, a booking
# with the token it printed, then SIGINT to its process group.
first_run() {
    local user=$1 limit=$2 out=$T/run-$1.out t pid status base token show code left
    t=$SECONDS
    root_cmd "$user"
    : >"$out"
    env --default-signal=INT,QUIT setsid "${ROOT_CMD[@]}" make run PORT="$(stack_free_port)" \
        >"$out" 2>&1 </dev/null &
    pid=$!
    up() { grep -q '^Ctrl-C stops it' "$out" || ! kill -0 "$pid" 2>/dev/null; }
    stack_wait_for "$limit" up
    check "as $user, the first make run comes up ($((SECONDS - t)) s)" \
        grep -q '^Ctrl-C stops it' "$out" || { tail -n 25 "$out" | sed 's/^/#   /'; }
    phase "make run as $user, until up" "$t"
    base=$(sed -n 's/^booking service is up: //p' "$out")
    token=$(sed -n 's/^  admin token: //p' "$out")
    show=$(curl -s -X POST "$base/admin/show" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' \
        -d "{\"name\":\"Fresh\",\"start_time\":\"$(date -u -d '+30 days' +%Y-%m-%dT18:00:00Z)\",\"total_seats\":10}" |
        sed -n 's/.*"show":{"id":\([0-9]*\).*/\1/p')
    code=$(curl -s -o "$T/book-$user.json" -w '%{http_code}' -X POST "$base/book" \
        -H 'Content-Type: application/json' -d "{\"show_id\":${show:-0},\"seat_count\":2}")
    check "  a show created with the printed admin token, a seat booked: 201" test "$code" = 201
    echo "#   $(wc -l < <(root_pids)) processes in the root before Ctrl-C"
    kill -INT -- "-$pid"
    gone() { local st; ! st=$(ps -o stat= -p "$pid") || [ "${st#Z}" != "$st" ]; }
    stack_wait_for 60 gone
    wait "$pid"
    status=$?
    check "  Ctrl-C: make ends by it ($status)" test "$status" -eq 130 -o "$status" -eq 0
    check "  Ctrl-C: quietly (run: stopped, no error, no \"a server exited\")" bash -c \
        "grep -q '^run: stopped' '$out' && ! grep -E 'a server exited|make: \\*\\*\\*|Error [0-9]|Terminated|Killed' '$out'"
    stack_wait_for 5 no_root_procs
    left=$(root_procs)
    check "  Ctrl-C: no process is left in the root" test -z "$left"
    [ -z "$left" ] || echo "$left" | sed 's/^/#   left: /'
    [ -z "$left" ] || for p in $(root_pids); do kill -KILL "$p" 2>/dev/null; done
}
first_run root 1200
first_run fresh 300

# ---- 4. make test ----------------------------------------------------
t=$SECONDS
out=$T/test-root.out
in_root root make test >"$out" 2>&1 </dev/null
status=$?
check "as root, make test passes ($((SECONDS - t)) s)" test "$status" -eq 0
grep -E '(^|: )not ok |# SKIP' "$out" | sed 's/^/#   /'
[ "$status" -eq 0 ] || tail -n 15 "$out" | sed 's/^/#   /'
grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | sed 's/^/#   make test: /'
phase "make test as root" "$t"
stack_wait_for 5 no_root_procs
left=$(root_procs)
check "  no process is left in the root" test -z "$left"
[ -z "$left" ] || echo "$left" | sed 's/^/#   left: /'

finish
