#!/usr/bin/env bash
# make test: the unit tests, then the integration tests against one real
# stack (throwaway PostgreSQL, booking-fcgi, nginx on loopback,
# booking-events).
#
# Every test prints TAP-style "ok - name" / "not ok - name" lines; this
# runner shows them, counts them, and ends with "N passed, M failed".
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build/release}
STACK_DIR="$ROOT/.local/test.$$"
# A unix socket path must fit in 108 bytes: a deep checkout tests in /tmp.
[ ${#STACK_DIR} -le 80 ] || STACK_DIR=$(mktemp -d /tmp/booking-test.XXXXXX)
LOG_DIR="$STACK_DIR/logs"
passed=0
failed=0

export BUILD STACK_DIR
source scripts/stack.sh
mkdir -p "$LOG_DIR"

cleanup() {
    stack_stop
    if [ "$failed" -eq 0 ]; then
        rm -rf "$STACK_DIR"
        [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
    else
        echo "logs kept in $STACK_DIR" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_test NAME COMMAND...: count its ok / not ok lines; a test that
# exits non-zero without reporting a failure counts as one failure.
run_test() {
    local name=$1 out rc ok bad
    shift
    out="$LOG_DIR/$(echo "$name" | tr '/' '_').out"
    "$@" >"$out" 2>&1
    rc=$?
    ok=$(grep -c '^ok ' "$out")
    bad=$(grep -c '^not ok ' "$out")
    grep -E '^(not )?ok |^# SKIP' "$out" | sed -e "s|^|$name: |"
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        echo "not ok - $name exited with status $rc; its output:"
        tail -n 20 "$out" | sed -e 's/^/#   /'
        bad=1
    elif [ "$bad" -gt 0 ]; then
        grep -E '^#' "$out" | head -n 40
    fi
    passed=$((passed + ok))
    failed=$((failed + bad))
}

export CMOCKA_MESSAGE_OUTPUT=TAP
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && run_test "unit/$(basename "$t")" "$t"
done

run_test "units/systemd-analyze" scripts/verify-units.sh

export ADMIN_TOKEN="test-admin-token-$(date +%s)-$$"
export SECRET_KEY="test-secret-key-$(date +%s)-$$"
export WORKERS=${WORKERS:-4}
# One origin allowed to call the API from its pages (t1940).
export CORS_ORIGINS=${CORS_ORIGINS:-https://box.example}
# Short holds, so that the expiry tests wait seconds, not minutes.
export HOLD_TTL_SECONDS=${HOLD_TTL_SECONDS:-3}
# Every test client is 127.0.0.1: lift every per-client limit, nginx's,
# the caps of an anonymous client and the budget of failed
# authentications (LIMITS=off). t0650, t1600 and t1550 check them on an
# nginx or workers of their own; t1500 walks ids with a wrong token.
stack_limits_off
if stack_pg_start "$(stack_pg_dir "$STACK_DIR/pg")" "$(stack_free_port)" \
   && scripts/migrate.sh >/dev/null \
   && stack_fcgi_start \
   && stack_nginx_start "$(stack_free_port)" \
   && stack_events_start; then
    export BASE_URL DATABASE_URL APP_DATABASE_URL FCGI_PID PG_DIR PG_BIN EVENTS_PID
    # every answer req() gets, for t9900-openapi to check against the document
    export RESPONSE_LOG="$STACK_DIR/responses.jsonl"
    for t in tests/integration/t[0-9][0-9][0-9][0-9]-*.sh; do
        # TESTS=t0200 (a prefix, or several separated by spaces) runs
        # only those integration tests, for a quicker loop while working.
        if [ -n "${TESTS:-}" ]; then
            match=0
            for want in $TESTS; do
                case $(basename "$t") in "$want"*) match=1;; esac
            done
            [ "$match" -eq 1 ] || continue
        fi
        run_test "$(basename "$t" .sh)" bash "$t"
        # a test may restart the server: pick up its new pid
        [ -f "$STACK_DIR/fcgi.pid" ] && FCGI_PID=$(cat "$STACK_DIR/fcgi.pid")
    done
else
    echo "not ok - the test stack did not start"
    failed=$((failed + 1))
fi

# booking-events lived through every test (database restarts among
# them), then stops first: a leak it had is reported at its exit.
if [ -z "${EVENTS_PID:-}" ] || kill -0 "$EVENTS_PID" 2>/dev/null; then
    echo "ok - booking-events ran through the tests"; passed=$((passed + 1))
else
    echo "not ok - booking-events exited during the tests (see $STACK_DIR/fcgi.log)"; failed=$((failed + 1))
fi
stack_events_stop
# Whatever the tests saw, the server must not have hit a sanitizer report
# or a 500 (which is reserved for true bugs).
san=$(grep -cE 'AddressSanitizer|LeakSanitizer|runtime error:' "$STACK_DIR/fcgi.log" 2>/dev/null)
if [ "${san:-0}" -eq 0 ]; then
    echo "ok - no sanitizer report in the server log"; passed=$((passed + 1))
else
    echo "not ok - $san sanitizer report lines in $STACK_DIR/fcgi.log"; failed=$((failed + 1))
fi
n500=$(grep -cE '^booking-fcgi: [A-Z]+ [^ ]+ 500 ' "$STACK_DIR/fcgi.log" 2>/dev/null)
if [ "${n500:-0}" -eq 0 ]; then
    echo "ok - no request was answered 500"; passed=$((passed + 1))
else
    echo "not ok - $n500 requests were answered 500 (see $STACK_DIR/fcgi.log)"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
