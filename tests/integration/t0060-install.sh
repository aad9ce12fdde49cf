# make install into a DESTDIR lays the files out where a Debian admin
# looks for them, never overwrites a config file that is there, and
# make uninstall removes exactly what it installed (an edited config
# file stays). The package and its systemd are make test-install's.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$TMP_T/root
san=
[ "$BUILD" = build/sanitize ] && san=SANITIZE=1

inst() { make -s -C "$ROOT" $san DESTDIR="$D" "$@" >"$TMP_T/make.out" 2>&1; }

inst install
check "make install DESTDIR=... PREFIX=/usr/local: exit 0" eq $? 0
files=$(cd "$D" && find . -type f -printf '%m %P\n' | sort)
has() { echo "$files" | grep -qx "$1"; }
check "binaries in /usr/local/sbin, mode 755" bash -c \
    "$(declare -f has); files='$files'; has '755 usr/local/sbin/booking-fcgi' && has '755 usr/local/sbin/booking-expire' && has '755 usr/local/sbin/booking-events' && has '755 usr/local/sbin/booking-migrate'"
check "every migration in share/booking/sql" eq \
    "$(echo "$files" | grep -c ' usr/local/share/booking/sql/[0-9]*_.*\.sql$')" "$(ls "$ROOT"/sql/[0-9]*_*.sql | wc -l)"
check "every live definition in share/booking/sql/functions" eq \
    "$(echo "$files" | grep -c ' usr/local/share/booking/sql/functions/.*\.sql$')" "$(ls "$ROOT"/sql/functions/*.sql | wc -l)"
check "the five units in /usr/local/lib/systemd/system" eq \
    "$(echo "$files" | grep -c ' usr/local/lib/systemd/system/booking-')" 5
check "their ExecStart= names the installed binary" \
    grep -qx 'ExecStart=/usr/local/sbin/booking-fcgi' "$D/usr/local/lib/systemd/system/booking-fcgi.service"
check "sysusers.d and tmpfiles.d files" bash -c \
    "[ -f '$D/usr/local/lib/sysusers.d/booking.conf' ] && [ -f '$D/usr/local/lib/tmpfiles.d/booking.conf' ]"
check "the settings file, 0640 (root, and the group booking on a real install)" eq "$(stat -c %a "$D/etc/default/booking")" 640
check "the nginx site to enable, and its snippet" bash -c \
    "[ -f '$D/etc/nginx/sites-available/booking' ] && [ -f '$D/etc/nginx/snippets/booking-fastcgi.conf' ]"
check "the OpenAPI document" cmp -s "$D/usr/local/share/booking/openapi.json" "$ROOT/api/openapi.json"
check "the installed booking-migrate finds the installed migrations" \
    grep -q "/usr/local/share/booking/sql" "$D/usr/local/sbin/booking-migrate"

# An admin's edit survives a second install, and uninstall.
echo 'WORKERS=3' >>"$D/etc/default/booking"
inst install
check "a second install keeps the edited settings file" grep -qx 'WORKERS=3' "$D/etc/default/booking"
inst uninstall
check "make uninstall: exit 0" eq $? 0
left=$(cd "$D" && find . -type f -printf '%P\n')
check "only the edited settings file is left" eq "$left" "etc/default/booking"
rm -f "$D/etc/default/booking"
inst install && inst uninstall
check "install then uninstall leaves no file" eq "$(cd "$D" && find . -type f | wc -l)" 0
