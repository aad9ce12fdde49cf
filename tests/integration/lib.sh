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
#
# A booking's token comes once, in the answer that made it: req keeps it
# (in $TOKENS, by booking id, for every test of the run) and sends it with
# each later request to that booking's routes, unless the caller passes
# an Authorization header of its own or sets NO_TOKEN=1.
TOKENS=${STACK_DIR:-$TMP_T}/tokens
mkdir -p "$TOKENS"
req() {
    local method=$1 path=$2 data=${3-} id a
    shift 3 2>/dev/null || shift $#
    local args=(-s -X "$method" -o "$TMP_T/body" -D "$TMP_T/headers" -w '%{http_code}')
    [ -n "$data" ] && args+=(--data-binary "$data")
    if [[ $path =~ ^/bookings/([0-9]+) ]] && [ -z "${NO_TOKEN:-}" ] \
       && [ -f "$TOKENS/${BASH_REMATCH[1]}" ]; then
        for a in "$@"; do [[ $a == [Aa]uthorization:* ]] && break; done
        [[ ${a-} == [Aa]uthorization:* ]] \
            || args+=(-H "Authorization: Bearer $(cat "$TOKENS/${BASH_REMATCH[1]}")")
    fi
    : >"$TMP_T/body"
    STATUS=$(curl "${args[@]}" "$@" "$BASE_URL$path")
    BODY=$(cat "$TMP_T/body")
    if [ "$path" = /book ] && id=$(jget '.booking.id // empty') && [ -n "$id" ] \
       && [ -n "$(jget '.token // empty')" ]; then
        jget .token >"$TOKENS/$id"
    fi
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

# A well-formed booking token that belongs to no booking.
STRANGER="Authorization: Bearer bk_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
ADMIN="Authorization: Bearer $ADMIN_TOKEN"

# stored_key KEY [SCOPE]: the Idempotency-Key as the database keeps it,
# hashed with the client it belongs to (fcgi/idempotency.c); the test
# clients are all 127.0.0.1.
stored_key() {
    printf 'k2:%s' "$(printf 'key\n%s\n%s\n' "${2:-addr 127.0.0.1}" "$1" | sha256sum | cut -d' ' -f1)"
}

# token_of ID: the token kept for booking ID.
token_of() {
    cat "$TOKENS/$1"
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

# seat_rows_stale SHOW: how many places of a seated show's rows
# (seat_rows, which best available reads) say other than the tables:
# a seat free or taken as seats_free() says for a buyer who is neither
# a channel nor the admin, and a place that is no seat '|'. 0 when
# exact.
seat_rows_stale() {
    sql "WITH t AS (
             SELECT s.show_id, s.part, s.row_first, s.pos,
                    EXISTS (SELECT 1 FROM seats_free($1, NULL, false, NULL, NULL) f
                             WHERE f.seat = s.seat) AS free
               FROM seats s WHERE s.show_id = $1)
         SELECT (SELECT count(*) FROM t
                   LEFT JOIN seat_rows w USING (show_id, part, row_first)
                  WHERE substr(w.free, t.pos + 1, 1) IS DISTINCT FROM
                        CASE WHEN t.free THEN '1' ELSE '0' END)
              + (SELECT count(*) FROM seat_rows w
                  WHERE w.show_id = $1
                    AND length(replace(w.free, '|', ''))
                        <> (SELECT count(*) FROM t WHERE t.row_first = w.row_first))"
}
