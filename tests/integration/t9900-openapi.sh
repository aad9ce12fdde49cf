# The OpenAPI document, api/openapi.json, against the service as it
# behaves: redocly lint passes it with 0 errors, every answer the tests
# before this one recorded (req in lib.sh, with RESPONSE_LOG) is a
# documented route, status and content type with a body its schema
# accepts, and GET /openapi.json serves the document byte for byte.
# Runs last, so that it sees every other test's answers.
source "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OPENAPI=$ROOT/tests/openapi
DOC=$ROOT/api/openapi.json
# No usage report or update check from the npm tools (and no network).
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

if ! "$OPENAPI/setup.sh" >"$TMP_T/setup" 2>&1; then
    echo "not ok - npm ci of tests/openapi"
    sed -e 's/^/#   /' "$TMP_T/setup" | tail -n 20
    exit 1
fi

# ---- redocly lint: the recommended rules, all as errors -----------------------

"$OPENAPI/node_modules/.bin/redocly" lint --config "$OPENAPI/redocly.yaml" \
    "$DOC" >"$TMP_T/lint" 2>&1
lint_rc=$?
lint_line=$(grep -E 'Woohoo|Validation failed|You have [0-9]+ warning' "$TMP_T/lint" | tr '\n' ' ')
echo "# redocly lint: ${lint_line:-no summary line}"
lint_ok() {
    [ "$lint_rc" -eq 0 ] && grep -q 'Your API description is valid' "$TMP_T/lint" \
        || { sed -e 's/^/#   /' "$TMP_T/lint" | head -n 40; return 1; }
}
check "redocly lint of api/openapi.json: 0 errors" lint_ok

# ---- every recorded answer against the document -----------------------------

if [ -z "${RESPONSE_LOG:-}" ]; then
    echo "not ok - RESPONSE_LOG is not set (run through make test)"
    exit 1
fi
# the log stays as it is while it is read: this test's own req calls go
# to a log of their own
RECORDED=$RESPONSE_LOG
RESPONSE_LOG=$TMP_T/own.jsonl
node "$OPENAPI/validate.js" "$DOC" "$RECORDED"

# ---- the document as served -----------------------------------------------------

req GET /openapi.json
check "GET /openapi.json: 200, application/json" \
    eq "$STATUS $(header Content-Type)" "200 application/json"
check "GET /openapi.json is api/openapi.json byte for byte" cmp -s "$TMP_T/body" "$DOC"
