# A socket path that vanishes is not a silent outage: on a server of this
# test's own, the unix socket's path is removed (as a careless cleanup of
# /run would), then replaced by a plain file. Each time the master
# notices within a second or two, binds it again, replaces the workers
# (the old ones finish what they hold: nginx keeps connections to them),
# and within 10 s every request goes through the new socket; the master
# keeps its pid.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

STACK_DIR=$TMP_T/own
mkdir -p "$STACK_DIR"
trap 'stack_nginx_stop; stack_fcgi_stop; rm -rf "$TMP_T"' EXIT
export WORKERS=2
stack_fcgi_start && stack_nginx_start "$(stack_free_port)" \
    || { echo "not ok - the server did not start"; exit 1; }
sock=$STACK_DIR/fcgi.sock
log=$STACK_DIR/fcgi.log
req GET /health
check "before: 200" eq "$STATUS" 200

# gone_then_back WHAT: after the path was changed, the master's word
# (within 5 s), every worker replaced (none of the pids before left, as
# their kept connections end), and 20 requests through nginx all 200:
# they can only have reached the new socket. Prints the ms it took.
gone_then_back() {
    local t0=$1 before=$2 bad=0 n
    for _ in $(seq 1 50); do
        n=$(grep -c "fcgi.sock was removed or replaced: bound it again" "$log")
        [ "$n" -ge "$3" ] && break
        sleep 0.1
    done
    for _ in $(seq 1 100); do
        comm -12 <(pgrep -P "$FCGI_PID" | sort) <(echo "$before") | grep -q . || break
        sleep 0.1
    done
    for _ in $(seq 1 20); do
        req GET /health
        [ "$STATUS" = 200 ] || bad=$((bad + 1))
    done
    [ "$bad" = 0 ] || { echo 99999; return; }
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

before=$(pgrep -P "$FCGI_PID" | sort)
t0=$(date +%s%N)
rm -f "$sock"
ms=$(gone_then_back "$t0" "$before" 1)
check "the path removed: the master says so once" \
    eq "$(grep -c "fcgi.sock was removed or replaced: bound it again" "$log")" 1
check "every worker replaced, 20 requests all 200, within 10 s (${ms} ms)" test "$ms" -lt 10000
check "a socket again at the path" test -S "$sock"

before=$(pgrep -P "$FCGI_PID" | sort)
t0=$(date +%s%N)
rm -f "$sock"
: >"$sock"
ms=$(gone_then_back "$t0" "$before" 2)
check "replaced by a plain file: the same, within 10 s (${ms} ms)" test "$ms" -lt 10000
check "a socket again at the path" test -S "$sock"
check "the same master" kill -0 "$FCGI_PID"
check "the old workers left without an error" \
    eq "$(grep -cE 'exited with status [1-9]|killed by signal' "$log")" 0
