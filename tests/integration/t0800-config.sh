# An invalid setting names the variable on stderr and exits with status 2,
# before anything is bound or forked.
source "$(dirname "$0")/lib.sh"

bin="$(cd "$(dirname "$0")/../.." && pwd)/$BUILD/booking-fcgi"
sock="$TMP_T/cfg.sock"

# [UNSET="VAR..."] try VAR=VALUE...: run the server with a valid base
# configuration, less the UNSET variables, changed by the arguments;
# sets RC and ERR.
try() {
    local base=(PATH="$PATH" DATABASE_URL="$DATABASE_URL" ADMIN_TOKEN="$ADMIN_TOKEN"
                FCGI_SOCKET="$sock" WORKERS=1) keep=() kv
    for kv in "${base[@]}"; do
        [[ " ${UNSET:-} " == *" ${kv%%=*} "* ]] || keep+=("$kv")
    done
    ERR=$(env -i "${keep[@]}" "$@" timeout 5 "$bin" 2>&1 </dev/null)
    RC=$?
}

for bad in WORKERS=abc WORKERS=0 WORKERS=1x WORKERS=100000 FCGI_SOCKET_MODE=999 \
           LISTEN_BACKLOG=-1 DRAIN_SECONDS= DB_CONNECT_TIMEOUT=0 ADMIN_TOKEN=short \
           "ADMIN_TOKEN=has space in it abc" DATABASE_URL= ADMIN_TOKEN_FILE=/nonexistent \
           SECRET_KEY=short SECRET_KEY_FILE=/nonexistent \
           REQUEST_DEADLINE_MS=28001 DB_STATEMENT_TIMEOUT_MS=5001 \
           DB_LOCK_TIMEOUT_MS=4001; do
    var=${bad%%=*}
    try "$bad"
    check "$bad: exit status 2" eq "$RC" 2
    check "$bad: stderr names $var" bash -c "echo \"\$1\" | grep -q \"$var\"" _ "$ERR"
done

UNSET=ADMIN_TOKEN try
check "no admin token at all: exit status 2" eq "$RC" 2
UNSET=FCGI_SOCKET try
check "no socket to bind or inherit: exit status 2 naming FCGI_SOCKET" eq "$RC/$(echo "$ERR" | grep -c FCGI_SOCKET)" "2/1"
check "nothing was bound" test ! -e "$sock"

echo "file-token-0123456789" >"$TMP_T/token"
UNSET=ADMIN_TOKEN try ADMIN_TOKEN_FILE="$TMP_T/token" FCGI_SOCKET=/nonexistent-dir/x.sock
check "a valid ADMIN_TOKEN_FILE is accepted (fails later, on the socket, with 1)" eq "$RC" 1
check "without SECRET_KEY, the start says where the key comes from" \
    eq "$(echo "$ERR" | grep -c 'SECRET_KEY is not set')" 1
echo "file-secret-key-0123456789" >"$TMP_T/secret"
try SECRET_KEY_FILE="$TMP_T/secret" FCGI_SOCKET=/nonexistent-dir/x.sock
check "a valid SECRET_KEY_FILE is accepted, and nothing said of it" \
    eq "$RC/$(echo "$ERR" | grep -c SECRET_KEY)" "1/0"
try SECRET_KEY=secret-key-0123456789 SECRET_KEY_FILE="$TMP_T/secret"
check "both SECRET_KEY and SECRET_KEY_FILE: exit status 2 naming them" \
    eq "$RC/$(echo "$ERR" | grep -c 'set either SECRET_KEY or SECRET_KEY_FILE')" "2/1"

# The deadline's order: 2 s below nginx's fastcgi_read_timeout, which the
# shipped site sets to NGINX_READ_TIMEOUT's default.
check "the shipped site's fastcgi_read_timeout is NGINX_READ_TIMEOUT's default, 30 s" \
    grep -q '^fastcgi_read_timeout 30s;' "$(dirname "$0")/../../nginx/booking-fastcgi.conf"
try REQUEST_DEADLINE_MS=28000 FCGI_SOCKET=/nonexistent-dir/x.sock
check "REQUEST_DEADLINE_MS=28000 with nginx's 30 s: accepted" eq "$RC" 1
try REQUEST_DEADLINE_MS=40000 NGINX_READ_TIMEOUT=45 FCGI_SOCKET=/nonexistent-dir/x.sock
check "40000 with NGINX_READ_TIMEOUT=45: accepted" eq "$RC" 1
try REQUEST_DEADLINE_MS=1000 FCGI_SOCKET=/nonexistent-dir/x.sock
check "a deadline of 1 s lowers the statement and lock timeouts with it: accepted" eq "$RC" 1
