#!/usr/bin/env bash
# make deb: turn the install tree staged by `make install PREFIX=/usr
# DESTDIR=STAGE/root` into OUT.deb, then run lintian on it.
#
# usage: scripts/pkg-deb.sh STAGE VERSION OUT.deb
#
# What it adds to the tree is Debian metadata only, no file list of its
# own: the binaries stripped, the manual pages compressed, the copyright and a changelog entry for
# VERSION in /usr/share/doc/booking, and DEBIAN/ with the control file
# (dpkg-gencontrol: Installed-Size, and Depends from dpkg-shlibdeps over
# the binaries plus those typed in debian/control), conffiles (every
# file under /etc), md5sums and the maintainer scripts. dpkg-shlibdeps
# and dpkg-gencontrol read debian/control from their working directory:
# STAGE/debian is that. Owners are root:root without fakeroot
# (dpkg-deb --root-owner-group).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
stage=$1 version=$2 out=$3
pkg=booking
root=$stage/root
doc=$root/usr/share/doc/$pkg

[ -x "$root/usr/sbin/booking-fcgi" ] || { echo "pkg-deb: no install tree in $root" >&2; exit 1; }
# The binary must say the version the package carries.
v=$("$root/usr/sbin/booking-fcgi" --version 2>&1 | grep -o '[0-9][0-9.]*[0-9]' | head -n 1)
[ "$v" = "$version" ] || {
    echo "pkg-deb: booking-fcgi --version says '$v', the Makefile's VERSION $version" >&2
    exit 1
}

# Debian ships binaries stripped (the symbols would go in a -dbgsym).
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    "$root/usr/sbin/booking-fcgi" "$root/usr/sbin/booking-expire" \
    "$root/usr/sbin/booking-events"

# Manual pages compressed, as Debian ships them.
gzip -9n "$root"/usr/share/man/man8/*.8

# The changelog of a native package: one entry, for this version, dated
# by the last commit (so that two builds of one commit are identical).
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH=$epoch
maint=$(sed -n 's/^Maintainer: //p' "$ROOT/debian/control")
mkdir -p "$stage/debian" "$root/DEBIAN"
cat >"$stage/debian/changelog" <<EOF
$pkg ($version) unstable; urgency=medium

  * Release $version, built from commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown).
    See README.md in this directory for what it does.

 -- $maint  $(date -u -R -d "@$epoch")
EOF
install -m 0644 "$ROOT/debian/copyright" "$doc/copyright"
gzip -9nc "$stage/debian/changelog" >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
cp "$ROOT/debian/control" "$stage/debian/control"

for s in postinst prerm postrm; do
    install -m 0755 "$ROOT/debian/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find etc -type f | sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
    xargs -0 md5sum) >"$root/DEBIAN/md5sums"

(
    cd "$stage"
    dpkg-shlibdeps -Tdebian/substvars root/usr/sbin/booking-fcgi root/usr/sbin/booking-expire \
        root/usr/sbin/booking-events
    dpkg-gencontrol -p$pkg -Proot -Tdebian/substvars -fdebian/files
)
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "pkg-deb: built $out"
dpkg-deb -f "$out" Package Version Architecture Depends Recommends Suggests Installed-Size | sed 's/^/  /'

# Errors fail the build; warnings are listed (and explained in
# debian/LINTIAN.md).
tags=$(lintian --display-info --tag-display-limit 0 "$out" 2>&1) || true
[ -z "$tags" ] || echo "$tags"
count() { grep -c "^$1: " <<<"$tags" || true; }
echo "lintian: $(count E) errors, $(count W) warnings, $(count I) info"
[ "$(count E)" -eq 0 ]
