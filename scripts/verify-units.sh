#!/usr/bin/env bash
# Check the systemd units with `systemd-analyze verify --man=no`, and the
# services' hardening with `systemd-analyze security`.
# The units name the installed binaries (/usr/local/sbin/...); here they
# are pointed at the freshly built ones, so that verify can check that
# the command exists without installing anything.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build/release}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for unit in "$ROOT"/systemd/*.service "$ROOT"/systemd/*.socket "$ROOT"/systemd/*.timer; do
    [ -f "$unit" ] || continue
    sed -e "s|/usr/local/sbin/|$ROOT/$BUILD/|g" "$unit" >"$tmp/$(basename "$unit")"
done
rc=0
for unit in "$tmp"/*; do
    name=$(basename "$unit")
    if out=$(systemd-analyze verify --man=no "$unit" 2>&1) && [ -z "$out" ]; then
        echo "ok - $name passes systemd-analyze verify"
    else
        echo "not ok - $name fails systemd-analyze verify"
        echo "$out" | sed -e 's/^/#   /'
        rc=1
    fi
done
# Hardening: every service at an exposure of 2.0 or less.
for unit in "$tmp"/*.service; do
    name=$(basename "$unit")
    level=$(systemd-analyze security --offline=true "$unit" 2>/dev/null \
            | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
        echo "ok - $name exposure $level <= 2.0 (systemd-analyze security)"
    else
        echo "not ok - $name exposure ${level:-unknown} > 2.0 (systemd-analyze security)"
        rc=1
    fi
done
exit $rc
