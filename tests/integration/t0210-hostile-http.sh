# Hostile HTTP through nginx, as raw bytes on a TCP socket (what curl will
# not send): lying Content-Length, truncated, slow and stalled bodies,
# chunked bodies good and bad, huge and odd headers, huge request lines,
# path traversal and percent-encoding tricks, odd methods and versions,
# pipelining, and JSON with duplicate keys, NUL bytes and deep nesting.
# Every answer is a 4xx (or a 2xx for what is valid) in the JSON error
# shape, or a closed connection where HTTP has nothing to say; never a
# 5xx, a hang or a crash.
source "$(dirname "$0")/lib.sh"

# Bytes, not characters: ${#s}, ${s:i:1} and read -N count bytes.
export LC_ALL=C
PORT=${BASE_URL##*:}
log_start=$(wc -l <"$STACK_DIR/fcgi.log")
NGINX_LOG="$STACK_DIR/nginx/logs/error.log"
nginx_log_start=$(wc -l <"$NGINX_LOG" 2>/dev/null || echo 0)

# ---- the request builders ---------------------------------------------------
#
# Requests are written as printf %b text: \r\n, \x00 and friends are bytes
# on the wire. "@@" marks where a trickled request starts its trickle.

C='Connection: close\r\n'
J='Content-Type: application/json\r\n'
H='Host: t0210\r\n'
UNKNOWN=9223372036854775807          # in a path: no show or booking has it

blen() { printf '%b' "${1//@@/}" | wc -c; }
repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; }

# get PATH [HEADERS]: a GET that closes after its answer.
get() { printf '%s' "GET $1 HTTP/1.1\r\n$H${2-}$C\r\n"; }

# post PATH BODY [HEADERS]: a JSON POST with a true Content-Length.
post() {
    printf '%s' "POST $1 HTTP/1.1\r\n$H$J${3-}Content-Length: $(blen "$2")\r\n$C\r\n$2"
}

# post_cl PATH LENGTH BODY [HEADERS]: Content-Length says LENGTH, whatever
# BODY is; no "Connection: close", so what nginx makes of any leftover
# bytes is seen.
post_cl() {
    printf '%s' "POST $1 HTTP/1.1\r\n$H$J${4-}Content-Length: $2\r\n\r\n$3"
}

# chunked PATH CHUNKS [HEADERS]: a JSON POST with a chunked body.
chunked() {
    printf '%s' "POST $1 HTTP/1.1\r\n$H$J${3-}Transfer-Encoding: chunked\r\n$C\r\n$2"
}

# chunk DATA...: each DATA as one chunk of its true size; "end" for the
# last chunk.
chunk() {
    local d
    for d in "$@"; do
        if [ "$d" = end ]; then
            printf '%s' '0\r\n\r\n'
        else
            printf '%x\\r\\n%s\\r\\n' "$(blen "$d")" "$d"
        fi
    done
}

# ---- what the requests carry ---------------------------------------------

# The one show the valid bodies book on: each case that expects 201 from
# POST /book books one seat, and nothing else may book on it.
SHOW=$(make_show 1000 "t0210 hostile http")
[ -n "$SHOW" ] && [ "$SHOW" != null ] || { echo "not ok - make_show failed: $STATUS $BODY"; exit 1; }
FUTURE=2089-06-01T20:00:00Z
OK1="{\"show_id\":$SHOW,\"seat_count\":1}"               # books one seat
# In a body: INT64_MAX is out of range there (json-c saturates to it).
NOPE='{"show_id":9223372036854775806,"seat_count":1}'      # 404 show_not_found
TWO="{\"show_id\":$SHOW,\"seat_count\":2}"               # must never book
SHOWB="{\"name\":\"t0210 chunked show\",\"start_time\":\"$FUTURE\",\"total_seats\":5}"
AUTH="Authorization: Bearer $ADMIN_TOKEN\r\n"
# Ids that only the cases that must never reach a worker use: the worker
# log is searched for them afterwards.
S=99999999999000

# Nested arrays: DEPTH levels of objects and arrays in all, inside "x",
# a member /book does not take: a body the parser accepts is answered
# 400 unknown_field (x), one it refuses 400 invalid_json.
nest() {
    local n=$(($1 - 1))
    printf '{"show_id":9223372036854775806,"seat_count":1,"x":%s1%s}' \
        "$(repeat '[' "$n")" "$(repeat ']' "$n")"
}

many_headers() {
    local i
    for ((i = 1; i <= $1; i++)); do printf 'X-H%d: v\\r\\n' "$i"; done
}

one_byte_chunks() {
    local s=$1 i
    for ((i = 0; i < ${#s}; i++)); do printf '1\\r\\n%s\\r\\n' "${s:i:1}"; done
    printf '%s' '0\r\n\r\n'
}

# ---- the table --------------------------------------------------------------
#
# t NAME EXPECT MODE REQUEST. EXPECT is an extended regex matched against
# the whole answer, summed up as one word per thing seen, space separated:
#   STATUS:error   an error answer in the JSON shape, with its "error" code
#   STATUS         a 1xx, or a 2xx whose body is JSON
#   STATUS:NOT_JSON  an answer that is not the JSON error shape (never right)
#   0.9:error      an HTTP/0.9 answer: the JSON error body alone
#   closed         the connection ended with no answer at all
#   HANG           no end within the case's time bound (never right)
#   unseen / SEEN  whether the worker logged the request's path (only for
#                  paths with a $S id: those must never reach a worker)
# MODE: "-" sends it at once and reads until nginx closes (8 s bound);
# "stall" sends it, keeps the connection open and waits (13 s bound);
# "close" sends it and hangs up at once; "trickle:GAP" sends what is
# before "@@" at once, then the rest a byte every GAP seconds (20 s bound);
# "linger" is "-" for an answer after which nginx lingers before closing.
NAMES=() EXPECTS=() MODES=() REQS=()
t() { NAMES+=("$1"); EXPECTS+=("$2"); MODES+=("$3"); REQS+=("$4"); }

# -- Content-Length that lies, bodies cut short, slow or stalled
t "Content-Length shorter than the body: the JSON is cut, the rest is a bad next request" \
  "400:invalid_json 400:bad_request" - "$(post_cl /book 20 "$TWO")"
t "Content-Length longer than the body: 408 or closed once client_body_timeout passes" \
  "(408:request_timeout|closed) unseen" stall "$(post_cl /bookings/${S}001/cancel 100 "$TWO")"
t "half a body, then the client hangs up: nothing reaches a worker" \
  "unseen" close "$(post_cl /bookings/${S}002/cancel 46 '{"show_id":')"
t "a body trickled a byte every 0.4 s (12 s in all): read, since the timeout is between reads" \
  "201" trickle:0.4 "$(post /book "@@$OK1")"
t "a body that stops half way: 408 or closed, and nothing booked" \
  "(408:request_timeout|closed)" stall "$(post_cl /book 30 '{"show_id":'"$SHOW")"
t "a request line and headers trickled over ~3 s: served" \
  "404:show_not_found" trickle:0.05 "@@$(get /shows/$UNKNOWN)"
t "headers trickled past client_header_timeout (10 s in all): closed" \
  "closed unseen" trickle:0.25 "@@$(get /bookings/${S}003 'X-Slow: loris-loris-loris\r\n')"
t "headers that never end: closed within client_header_timeout" \
  "closed unseen" stall "GET /bookings/${S}004 HTTP/1.1\r\n${H}X-A: b\r\n"
t "a connection that sends nothing: closed" \
  "closed" stall ""
t "a chunked body that stops before its last chunk: 408 or closed" \
  "(408:request_timeout|closed) unseen" stall "$(chunked /bookings/${S}005/cancel "$(chunk "$TWO")")"
t "a chunk size larger than its data: 408 or closed" \
  "(408:request_timeout|closed) unseen" stall "$(chunked /bookings/${S}006/cancel "40\r\n$TWO\r\n0\r\n\r\n")"
t "two Content-Length headers: 400" \
  "400:bad_request" - "$(post /book "$NOPE" 'Content-Length: 46\r\n')"
t "Content-Length: 46, 46: 400" \
  "400:bad_request" - "$(post_cl /book '46, 46' "$NOPE" "$C")"
t "Content-Length: -1: 400" \
  "400:bad_request" - "$(post_cl /book -1 "$NOPE" "$C")"
t "Content-Length: +46: 400" \
  "400:bad_request" - "$(post_cl /book +46 "$NOPE" "$C")"
t "Content-Length: 4.6e1: 400" \
  "400:bad_request" - "$(post_cl /book 4.6e1 "$NOPE" "$C")"
t "Content-Length of 20 digits: 400" \
  "400:bad_request" - "$(post_cl /book 99999999999999999999 "$NOPE" "$C")"
t "Content-Length over 64 KiB, no body sent: 413 at once" \
  "413:body_too_large" linger "$(post_cl /book 1000000 "" "$C")"
t "Content-Length and Transfer-Encoding both (smuggling): 400" \
  "400:bad_request" - "$(chunked /book "$(chunk "$NOPE" end)" 'Content-Length: 5\r\n')"
t "a GET with a body: the body is ignored" \
  "404:show_not_found" - "$(get /shows/$UNKNOWN 'Content-Length: 5\r\n')hello"

# -- chunked bodies
t "a valid chunked body in two chunks: booked" \
  "201" - "$(chunked /book "$(chunk "${OK1:0:10}" "${OK1:10}" end)")"
t "a valid chunked admin show: created" \
  "201" - "$(chunked /admin/show "$(chunk "${SHOWB:0:20}" "${SHOWB:20}" end)" "$AUTH")"
t "chunked without the admin token: 401" \
  "401:unauthorized" - "$(chunked /admin/show "$(chunk "$SHOWB" end)")"
t "a chunk extension and a trailer: accepted" \
  "404:show_not_found" - "$(chunked /book "2e;ext=1\r\n$NOPE\r\n0\r\nX-Trailer: t\r\n\r\n")"
t "a body in one-byte chunks: accepted" \
  "404:show_not_found" - "$(chunked /book "$(one_byte_chunks "$NOPE")")"
t "a chunk size that is not hex: 400" \
  "400:bad_request" - "$(chunked /book "zz\r\n$NOPE\r\n0\r\n\r\n")"
t "a chunk size with 0x: 400" \
  "400:bad_request" - "$(chunked /book "0x2e\r\n$NOPE\r\n0\r\n\r\n")"
t "a negative chunk size: 400" \
  "400:bad_request" - "$(chunked /book "-2e\r\n$NOPE\r\n0\r\n\r\n")"
t "a chunk size of 20 hex digits: 400" \
  "400:bad_request" - "$(chunked /book "ffffffffffffffffffff\r\n$NOPE\r\n0\r\n\r\n")"
t "a chunk longer than its size: 400" \
  "400:bad_request" - "$(chunked /book "20\r\n$TWO\r\n0\r\n\r\n")"
t "chunks adding up past 64 KiB: 413" \
  "413:body_too_large" - "$(chunked /book "$(chunk "$(repeat ' ' 40000)" "$(repeat ' ' 30000)" end)")"
t "2000 one-byte chunks of '[': 400 invalid_json" \
  "400:invalid_json" - "$(chunked /book "$(one_byte_chunks "{\"a\":$(repeat '[' 2000)")")"
t "a NUL after the JSON, in a chunk: 400 invalid_json" \
  "400:invalid_json" - "$(chunked /book "2f\r\n$NOPE\x00\r\n0\r\n\r\n")"
t "Transfer-Encoding: Chunked, in capitals: accepted" \
  "404:show_not_found" - "POST /book HTTP/1.1\r\n$H${J}Transfer-Encoding:  Chunked\r\n$C\r\n$(chunk "$NOPE" end)"
t "two Transfer-Encoding: chunked headers: 400" \
  "400:bad_request" - "$(chunked /book "$(chunk "$NOPE" end)" 'Transfer-Encoding: chunked\r\n')"
t "Transfer-Encoding: gzip, chunked: 501 in the JSON shape" \
  "501:not_implemented" - "POST /book HTTP/1.1\r\n$H${J}Transfer-Encoding: gzip, chunked\r\n$C\r\n$(chunk "$NOPE" end)"
t "Transfer-Encoding: chunked, identity: 501 in the JSON shape" \
  "501:not_implemented" - "POST /book HTTP/1.1\r\n$H${J}Transfer-Encoding: chunked, identity\r\n$C\r\n$(chunk "$NOPE" end)"
t "chunked on HTTP/1.0: 400" \
  "400:bad_request" - "POST /book HTTP/1.0\r\n$H${J}Transfer-Encoding: chunked\r\n\r\n$(chunk "$NOPE" end)"

# -- headers: huge, many, malformed
t "a 7 KB header: served" \
  "404:show_not_found" - "$(get /shows/$UNKNOWN "X-Big: $(repeat a 7000)\r\n")"
t "a 10 KB header line: 400 request_too_large" \
  "400:request_too_large" - "$(get /shows/$UNKNOWN "X-Big: $(repeat a 10000)\r\n")"
t "a 100 KB header line: 400 request_too_large" \
  "400:request_too_large" - "$(get /shows/$UNKNOWN "X-Big: $(repeat a 100000)\r\n")"
t "a 10 KB Host header: 400 request_too_large" \
  "400:request_too_large" - "GET /shows/$UNKNOWN HTTP/1.1\r\nHost: $(repeat a 10000)\r\n$C\r\n"
t "a 10 KB Authorization header on the admin route: 400 request_too_large" \
  "400:request_too_large" - "$(post /admin/show "$SHOWB" "Authorization: Bearer $(repeat a 10000)\r\n")"
t "600 headers: served" \
  "404:show_not_found" - "$(get /shows/$UNKNOWN "$(many_headers 600)")"
t "2000 headers: 400 request_too_large" \
  "400:request_too_large" - "$(get /shows/$UNKNOWN "$(many_headers 2000)")"
t "a NUL in a header value: 400" \
  "400:bad_request" - "$(get /shows/$UNKNOWN 'X-A: a\x00b\r\n')"
t "a NUL in a header name: 400" \
  "400:bad_request" - "$(get /shows/$UNKNOWN 'X\x00A: b\r\n')"
t "a folded header line: 400" \
  "400:bad_request" - "$(get /shows/$UNKNOWN 'X-A: a\r\n  folded\r\n')"
t "a space before the colon: 400" \
  "400:bad_request" - "GET /shows/$UNKNOWN HTTP/1.1\r\nHost : t0210\r\n$C\r\n"
t "a header line without a colon: ignored" \
  "404:show_not_found" - "$(get /shows/$UNKNOWN 'NoColonHere\r\n')"
t "a Host with a path in it: 400" \
  "400:bad_request" - "GET /shows/$UNKNOWN HTTP/1.1\r\nHost: ../../etc\r\n$C\r\n"
t "two Host headers: 400" \
  "400:bad_request" - "$(get /shows/$UNKNOWN 'Host: other\r\n')"
t "two Authorization headers: 400" \
  "400:bad_request" - "$(post /admin/show '{}' "Authorization: Bearer wrong\r\n$AUTH")"
t "two Content-Types, JSON first: the first counts" \
  "404:show_not_found" - "$(post /book "$NOPE" 'Content-Type: text/plain\r\n')"
t "two Content-Types, text first: the first counts, 415" \
  "415:unsupported_media_type" - "POST /book HTTP/1.1\r\n${H}Content-Type: text/plain\r\n${J}Content-Length: 46\r\n$C\r\n$NOPE"
t "HTTP/1.1 without Host: 400" \
  "400:bad_request" - "GET /shows/$UNKNOWN HTTP/1.1\r\n$C\r\n"
t "HTTP/1.0 without Host: served" \
  "404:show_not_found" - "GET /shows/$UNKNOWN HTTP/1.0\r\n\r\n"
t "bare LF line ends: served" \
  "404:show_not_found" - "GET /shows/$UNKNOWN HTTP/1.1\nHost: t0210\nConnection: close\n\n"
t "Expect: 100-continue: 100, then the answer" \
  "100 404:show_not_found" - "$(post /book "$NOPE" 'Expect: 100-continue\r\n')"
t "an unknown Expect: ignored" \
  "404:show_not_found" - "$(post /book "$NOPE" 'Expect: 200-ok\r\n')"

# -- request lines: huge, traversal, encodings
t "a 7 KB query string: served" \
  "200" - "$(get "/shows?x=$(repeat a 7000)")"
t "a 9 KB query string: 414" \
  "414:request_too_large" - "$(get "/shows?x=$(repeat a 9000)")"
t "a 100 KB query string: 414" \
  "414:request_too_large" - "$(get "/shows?x=$(repeat a 100000)")"
t "a 10 KB path: 414" \
  "414:request_too_large" - "$(get "/shows/$(repeat 1 10000)")"
t "/shows/1%00: 400 or 404, in JSON" \
  "400:bad_request|404:not_found" - "$(get '/shows/1%00')"
t "a raw NUL in the path: 400" \
  "400:bad_request" - "$(get '/shows/1\x00')"
t "POST /shows/../admin/show without a token: 401, not 201" \
  "401:unauthorized" - "$(post /shows/../admin/show "$SHOWB")"
t "POST /shows/%2e%2e/admin/show without a token: 401" \
  "401:unauthorized" - "$(post /shows/%2e%2e/admin/show "$SHOWB")"
t "POST /shows/%2E%2E/admin/show without a token: 401" \
  "401:unauthorized" - "$(post /shows/%2E%2E/admin/show "$SHOWB")"
t "POST /shows/..%2fadmin/show without a token: 401" \
  "401:unauthorized" - "$(post /shows/..%2fadmin/show "$SHOWB")"
t "POST //admin//show without a token: 401" \
  "401:unauthorized" - "$(post //admin//show "$SHOWB")"
t "POST /admin/./show without a token: 401" \
  "401:unauthorized" - "$(post /admin/./show "$SHOWB")"
t "POST /%61dmin/show without a token: 401" \
  "401:unauthorized" - "$(post /%61dmin/show "$SHOWB")"
t "POST /admin%2fshow without a token: 401" \
  "401:unauthorized" - "$(post /admin%2fshow "$SHOWB")"
t "POST /%2e%2e/admin/show (above the root): 400" \
  "400:bad_request" - "$(post /%2e%2e/admin/show "$SHOWB")"
t "POST /book/..%2f..%2fadmin/show (above the root): 400" \
  "400:bad_request" - "$(post /book/..%2f..%2fadmin/show "$SHOWB")"
t "GET /../../etc/passwd: 400" \
  "400:bad_request" - "$(get /../../etc/passwd)"
t "GET /admin/show/..: 404" \
  "404:not_found" - "$(get /admin/show/..)"
t "GET /admin/show;x: 404" \
  "404:not_found" - "$(get '/admin/show;x')"
t "POST /ADMIN/SHOW: 404" \
  "404:not_found" - "$(post /ADMIN/SHOW "$SHOWB")"
t "overlong UTF-8 dots, percent-encoded: 404" \
  "404:not_found" - "$(get /shows/%c0%ae%c0%ae/admin/show)"
t "overlong UTF-8 dots, raw: 404" \
  "404:not_found" - "$(get '/shows/\xc0\xae\xc0\xae/admin/show')"
t "a percent-encoded digit in an id: decoded" \
  "404:show_not_found" - "$(get /shows/%39223372036854775807)"
t "an Arabic-Indic digit as an id: 404" \
  "404:not_found" - "$(get '/shows/\xd9\xa1')"
t "a bad percent escape: 400" \
  "400:bad_request" - "$(get '/shows/1%zz')"
t "an encoded newline in the path: 404" \
  "404:not_found" - "$(get '/shows/1%0a')"
t "an encoded slash after an id: 404" \
  "404:not_found" - "$(get '/shows/1%2f')"
t "absolute-form on another host: served as a path" \
  "404:show_not_found" - "$(get http://evil.example/shows/$UNKNOWN)"
t "absolute-form POST with traversal, no token: 401" \
  "401:unauthorized" - "$(post http://evil.example/shows/../admin/show "$SHOWB")"
t "absolute-form above the root: 400" \
  "400:bad_request" - "$(get http://evil.example/../admin/show)"
t "absolute-form https: 400" \
  "400:bad_request" - "GET https://evil.example/shows/$UNKNOWN HTTP/1.1\r\n$C\r\n"
t "asterisk-form OPTIONS *: 400 or 405" \
  "400:bad_request|405:method_not_allowed" - "OPTIONS * HTTP/1.1\r\n$H$C\r\n"
t "a request target without a slash: 400" \
  "400:bad_request" - "GET shows HTTP/1.1\r\n$H$C\r\n"

# -- methods and versions
t "TRACE: 405 in the JSON shape" \
  "405:method_not_allowed" - "TRACE /shows HTTP/1.1\r\n$H$C\r\n"
t "TRACE with the admin token: 405, nothing echoed" \
  "405:method_not_allowed" - "TRACE /admin/show HTTP/1.1\r\n$H$AUTH$C\r\n"
t "TRACK: 405" \
  "405:method_not_allowed" - "TRACK /shows HTTP/1.1\r\n$H$C\r\n"
t "CONNECT: 400 or 405" \
  "400:bad_request|405:method_not_allowed" - "CONNECT 127.0.0.1:22 HTTP/1.1\r\n$H$C\r\n"
t "a lower-case method: 400" \
  "400:bad_request" - "get /shows HTTP/1.1\r\n$H$C\r\n"
t "a NUL in the method: 400" \
  "400:bad_request" - "G\x00T /shows HTTP/1.1\r\n$H$C\r\n"
t "a 5000-letter method: 405" \
  "405:method_not_allowed" - "$(repeat A 5000) /shows HTTP/1.1\r\n$H$C\r\n"
t "HTTP/2.0 in a text request line: a JSON error" \
  "4[0-9][0-9]:[a-z_]+|505:[a-z_]+" - "GET /shows HTTP/2.0\r\n$H$C\r\n"
t "HTTP/9.9: a JSON error" \
  "4[0-9][0-9]:[a-z_]+|505:[a-z_]+" - "GET /shows HTTP/9.9\r\n$H$C\r\n"
t "junk after the version: 400" \
  "400:bad_request" - "GET /shows HTTP/1.1x\r\n$H$C\r\n"
t "a garbage request line: 400" \
  "400:bad_request" - "GARBAGE\r\n\r\n"
t "HTTP/0.9: the JSON error body alone" \
  "0.9:show_not_found" - "GET /shows/$UNKNOWN\r\n"

# -- JSON bodies sent raw
t "duplicate show_id, an unknown one last: the last counts" \
  "404:show_not_found" - "$(post /book "{\"show_id\":$SHOW,\"show_id\":9223372036854775806,\"seat_count\":1}")"
t "the same again: the same answer" \
  "404:show_not_found" - "$(post /book "{\"show_id\":$SHOW,\"show_id\":9223372036854775806,\"seat_count\":1}")"
t "duplicate show_id, the real one last: booked" \
  "201" - "$(post /book "{\"show_id\":9223372036854775806,\"show_id\":$SHOW,\"seat_count\":1}")"
t "duplicate show_id, a string last: 400 invalid_type" \
  "400:invalid_type" - "$(post /book "{\"show_id\":$SHOW,\"show_id\":\"x\",\"seat_count\":1}")"
t "duplicate seat_count, 0 last: 400 out_of_range" \
  "400:out_of_range" - "$(post /book "{\"show_id\":$SHOW,\"seat_count\":1,\"seat_count\":0}")"
t "duplicate admin name, a number last: 400 invalid_type" \
  "400:invalid_type" - "$(post /admin/show "{\"name\":\"t0210 dup\",\"name\":5,\"start_time\":\"$FUTURE\",\"total_seats\":5}" "$AUTH")"
t "JSON nested 16 deep: parsed, then 400 unknown_field for its member x" \
  "400:unknown_field" - "$(post /book "$(nest 16)")"
t "JSON nested 17 deep: 400 invalid_json" \
  "400:invalid_json" - "$(post /book "$(nest 17)")"
t "a NUL inside a key: 400 invalid_json" \
  "400:invalid_json" - "$(post /book '{"show\x00_id":1,"seat_count":1}')"
t "a UTF-8 byte order mark: 400 invalid_json" \
  "400:invalid_json" - "$(post /book "\xef\xbb\xbf$NOPE")"

# -- pipelining
t "two GETs pipelined: both answered, in order" \
  "404:show_not_found 200" - "GET /shows/$UNKNOWN HTTP/1.1\r\n$H\r\nGET /health HTTP/1.1\r\n$H$C\r\n"
t "a POST with its body, then a GET, pipelined: both answered" \
  "404:show_not_found 200" - "$(post_cl /book 46 "$NOPE")GET /health HTTP/1.1\r\n$H$C\r\n"
t "a bad request, then a good one pipelined: 400 and closed" \
  "400:bad_request" - "GET /shows HTTP/1.1\r\nHost: ../x\r\n\r\nGET /health HTTP/1.1\r\n$H$C\r\n"
t "a smuggled request behind Content-Length and chunked: 400 only" \
  "400:bad_request" - "POST /book HTTP/1.1\r\n$H${J}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /health HTTP/1.1\r\n$H$C\r\n"

# ---- running a case -----------------------------------------------------------

# json_token STATUS CONTENT-TYPE BODY: one word for an answer (see above).
json_token() {
    local st=$1 ct=$2 body=$3 code
    if [ "$st" -lt 200 ]; then
        echo "$st"
    elif [ "$st" -lt 300 ]; then
        if [ "$ct" = application/json ] && printf '%s' "$body" | jq -e . >/dev/null 2>&1; then
            echo "$st"
        else
            echo "$st:NOT_JSON"
        fi
    else
        code=$(printf '%s' "$body" | jq -r 'select(type == "object"
            and (.error | type) == "string" and (.message | type) == "string")
            | .error' 2>/dev/null)
        if [ "$ct" = application/json ] && [ -n "$code" ]; then
            echo "$st:$code"
        else
            echo "$st:NOT_JSON"
        fi
    fi
}

# summarise FILE: the words for every answer in FILE, in order.
summarise() {
    local f=$1 line st ct len body words=()
    exec 4<"$f"
    if ! IFS= read -r line <&4 && [ -z "$line" ]; then
        exec 4<&-
        echo closed
        return
    fi
    if [[ $line != HTTP/* ]]; then
        exec 4<&-
        echo "0.9:$(json_token 400 application/json "$(cat "$f")" | cut -d: -f2)"
        return
    fi
    while :; do
        line=${line%$'\r'}
        if ! [[ $line =~ ^HTTP/1\.[01]\ ([0-9]{3}) ]]; then
            words+=("GARBAGE")
            break
        fi
        st=${BASH_REMATCH[1]} ct= len=0 body=
        while IFS= read -r line <&4; do
            line=${line%$'\r'}
            [ -z "$line" ] && break
            case ${line,,} in
            content-type:*)      ct=${line#*: } ;;
            content-length:*)    len=${line#*: } ;;
            transfer-encoding:*) words+=("CHUNKED_ANSWER") ;;
            esac
        done
        [ "$st" -ge 200 ] && [ "$len" -gt 0 ] && IFS= read -r -N "$len" body <&4
        words+=("$(json_token "$st" "$ct" "$body")")
        IFS= read -r line <&4 || break
    done
    exec 4<&-
    echo "${words[*]}"
}

# now_ms: milliseconds on the monotonic-enough wall clock, without a fork.
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# run_case I: send case I; write its summary and the milliseconds it took
# to $TMP_T/case.I, and what came back to $TMP_T/resp.I.
run_case() {
    local i=$1 mode=${MODES[$1]} req=${REQS[$1]//@@/} bound=8 head tail_ k path
    local resp="$TMP_T/resp.$i" start rc=0 words left
    trap '' PIPE
    : >"$resp"
    start=$(now_ms)
    # stall: nginx's 10 s timeout, and 3 s to spare
    case $mode in stall) bound=13 ;; trickle:*) bound=20 ;; esac
    if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
        printf 'REFUSED\n0\n' >"$TMP_T/case.$i"
        return
    fi
    case $mode in
    trickle:*)
        printf -v head '%b' "${REQS[$i]%%@@*}"
        printf -v tail_ '%b' "${REQS[$i]#*@@}"
        { printf '%s' "$head" >&3; } 2>/dev/null
        for ((k = 0; k < ${#tail_}; k++)); do
            sleep "${mode#trickle:}"
            { printf '%s' "${tail_:k:1}" >&3; } 2>/dev/null || break
        done
        ;;
    *)
        # a write nginx stops reading fails (EPIPE): it never blocks for long
        { printf '%b' "$req" >&3; } 2>/dev/null
        ;;
    esac
    if [ "$mode" = close ]; then
        exec 3<&-
        sleep 1
        words="-"
    else
        left=$((bound - ($(now_ms) - start) / 1000))
        timeout "$((left > 1 ? left : 1))" cat <&3 >"$resp" 2>/dev/null
        rc=$?
        exec 3<&-
        words=$(summarise "$resp")
        [ "$rc" -eq 124 ] && words="$words HANG"
    fi
    # a path with a sentinel id must never have reached a worker
    read -r _ path _ <<<"${req:0:300}"
    if [[ $path == *"$S"* ]]; then
        if grep -qaF " $path " "$STACK_DIR/fcgi.log"; then
            words="$words SEEN"
        else
            words="$words unseen"
        fi
    fi
    printf '%s\n%s\n' "${words#- }" "$(($(now_ms) - start))" >"$TMP_T/case.$i"
}

# The slow cases (stall, trickle, close, and linger: nginx's lingering
# close holds the connection up to 5 s after its answer) run side by side
# in the background, the quick ones one after the other meanwhile: the
# test takes about as long as its slowest case (~12 s), not the sum.
t0=$(now_ms)
for i in "${!NAMES[@]}"; do
    [ "${MODES[$i]}" = - ] || run_case "$i" &
done
for i in "${!NAMES[@]}"; do
    [ "${MODES[$i]}" = - ] && run_case "$i"
done
wait

# ---- the report ----------------------------------------------------------------

booked=0
for i in "${!NAMES[@]}"; do
    { read -r words; read -r ms; } <"$TMP_T/case.$i"
    echo "$words" >>"$TMP_T/all-words"
    [[ ${EXPECTS[$i]} == 201 && ${REQS[$i]} == "POST /book "* ]] && booked=$((booked + 1))
    if [[ $words =~ ^(${EXPECTS[$i]})$ ]]; then
        echo "ok - ${NAMES[$i]}"
    else
        echo "not ok - ${NAMES[$i]}"
        echo "#   expected /${EXPECTS[$i]}/, got '$words' after $ms ms; sent:"
        printf '%s' "${REQS[$i]//@@/}" | head -c 200 | awk '{ print "#     " $0 }'
        echo "#   received:"
        head -c 400 "$TMP_T/resp.$i" | tr -c '[:print:]\n' '.' | awk '{ print "#     " $0 }'
    fi
done
slowest=$(for i in "${!NAMES[@]}"; do echo "$(sed -n 2p "$TMP_T/case.$i") ${NAMES[$i]}"; done | sort -n | tail -n 1)
echo "# ${#NAMES[@]} cases in $(($(now_ms) - t0)) ms; the slowest, ${slowest%% *} ms: ${slowest#* }"

# ---- and after all of that ------------------------------------------------------

req GET /health
check "health still 200 ok" eq "$STATUS/$(jget .status)" "200/ok"
# 501 and 505 in the JSON shape are nginx saying what HTTP it does not
# speak (a transfer coding, a version), not a failure of the service.
check "no answer was a 5xx (but a JSON 501 or 505)" \
    eq "$(tr ' ' '\n' <"$TMP_T/all-words" | grep -E '^5[0-9][0-9]' | grep -vE '^50[15]:[a-z_]+$' | sort | uniq -c)" ""
check "only the cases meant to book did: $booked seats on the test show" \
    eq "$(sql "SELECT count(*) || '/' || coalesce(sum(seat_count), 0) FROM bookings WHERE show_id = $SHOW")" "$booked/$booked"
new_log=$(tail -n +"$((log_start + 1))" "$STACK_DIR/fcgi.log")
check "the worker log has no 5xx for this test" \
    eq "$(echo "$new_log" | grep -aE '^booking-fcgi: [A-Z]+ [^ ]+ 5[0-9]{2} ' | head -n 5)" ""
check "no worker died or hit a sanitizer report" \
    eq "$(echo "$new_log" | grep -aE 'killed by signal|exited with status|AddressSanitizer|LeakSanitizer|runtime error:' | head -n 5)" ""
check "nginx logged no crash" \
    eq "$(tail -n +"$((nginx_log_start + 1))" "$NGINX_LOG" 2>/dev/null | grep -aE 'exited on signal|\[(alert|emerg)\]' | head -n 5)" ""
