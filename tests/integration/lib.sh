# Helpers for the integration tests: one HTTP request at a time with curl,
# TAP-style assertions, and SQL through psql. Sourced by tNNNN-*.sh; the
# runner (scripts/test.sh) exports BASE_URL, DATABASE_URL, ADMIN_TOKEN.

set -u
: "${BASE_URL:?run through make test}"

TMP_T=$(mktemp -d)
trap 'rm -rf "$TMP_T"' EXIT
JSON='Content-Type: application/json'

# req METHOD PATH [BODY [CURL ARGS...]]: sets STATUS, BODY and HEADERS
# (the response headers, lower-cased names). With RESPONSE_LOG set, each
# answer is appended to it as one JSON line {method, path, query, status,
# content_type, body} for tests/integration/t9900-openapi.sh to check
# against api/openapi.json (under a lock: tests may call req at once).
req() {
    local method=$1 path=$2 data=${3-}
    shift 3 2>/dev/null || shift $#
    local args=(-s -X "$method" -o "$TMP_T/body" -D "$TMP_T/headers" -w '%{http_code}')
    [ -n "$data" ] && args+=(--data-binary "$data")
    : >"$TMP_T/body"
    STATUS=$(curl "${args[@]}" "$@" "$BASE_URL$path")
    BODY=$(cat "$TMP_T/body")
    HEADERS=$(tr -d '\r' <"$TMP_T/headers" | awk -F': ' 'NF>1 {printf "%s: %s\n", tolower($1), substr($0, length($1)+3)}')
    if [ -n "${RESPONSE_LOG:-}" ] && [ "$STATUS" != 000 ]; then
        local query=
        [[ $path == *'?'* ]] && query=${path#*\?}
        { flock 9; jq -c -n --arg method "$method" --arg path "${path%%\?*}" \
            --arg query "$query" --argjson status "$STATUS" \
            --arg content_type "$(header Content-Type)" --rawfile body "$TMP_T/body" \
            '{$method, $path, $query, $status, $content_type, $body}' >&9; } 9>>"$RESPONSE_LOG"
    fi
}

# post_json PATH BODY [CURL ARGS...]
post_json() {
    local path=$1 data=$2
    shift 2
    req POST "$path" "$data" -H "$JSON" "$@"
}

# admin_post BODY [CURL ARGS...]
admin_post() {
    local data=$1
    shift
    post_json /admin/show "$data" -H "Authorization: Bearer $ADMIN_TOKEN" "$@"
}

header() {
    echo "$HEADERS" | awk -v n="$(echo "$1" | tr A-Z a-z)" -F': ' '$1 == n {print substr($0, length($1)+3)}' | head -n 1
}

# jget FILTER: jq on the last body, raw output.
jget() {
    echo "$BODY" | jq -r "$1" 2>/dev/null
}

sql() {
    psql -X -q -t -A -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"
}

# check NAME TEST...: one TAP line; on failure show the last answer.
check() {
    local name=$1
    shift
    if "$@"; then
        echo "ok - $name"
    else
        echo "not ok - $name"
        echo "#   status=${STATUS-} body=$(echo "${BODY-}" | head -c 300)"
    fi
}

eq() { [ "$1" = "$2" ] || { echo "#   expected '$2', got '$1'"; return 1; }; }

# A show starting in a year, with N seats; prints its id.
make_show() {
    local seats=$1 name=${2:-Test show}
    admin_post "{\"name\":\"$name\",\"start_time\":\"$(date -u -d '+1 year' +%Y-%m-%dT%H:%M:%SZ)\",\"total_seats\":$seats}"
    jget .show.id
}

# A hold of N seats on show S; prints the booking id.
make_hold() {
    post_json /book "{\"show_id\":$1,\"seat_count\":$2,\"hold\":true}"
    jget .booking.id
}

# "booked/live": the show's counter, and the seats of its live bookings
# (CONFIRMED and PENDING, lapsed or not: all are still counted).
counters() {
    sql "SELECT s.booked_seats || '/' || coalesce(sum(b.seat_count)
                FILTER (WHERE b.status IN ('CONFIRMED', 'PENDING')), 0)
           FROM shows_counted s LEFT JOIN bookings b ON b.show_id = s.id
          WHERE s.id = $1 GROUP BY s.id, s.booked_seats"
}

available() {
    curl -s "$BASE_URL/shows/$1" | jq -r .available_seats
}
