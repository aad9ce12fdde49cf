# CORS: only the origins in CORS_ORIGINS (scripts/test.sh sets one) get
# Access-Control headers, on answers, errors and the live events; nginx
# answers their preflight itself. And the publisher of live events is
# not reachable over TCP.
source "$(dirname "$0")/lib.sh"

ok_origin=${CORS_ORIGINS%% *}
bad_origin=https://stranger.example
# answers to OPTIONS are nginx's own, not the API's: not for t9900
RESPONSE_LOG=

req OPTIONS /book "" -H "Origin: $ok_origin" -H "Access-Control-Request-Method: POST" \
    -H "Access-Control-Request-Headers: authorization, content-type, idempotency-key"
check "a preflight from an allowed origin: 204 from nginx" eq "$STATUS" 204
check "it allows that origin, and only it" eq "$(header Access-Control-Allow-Origin)" "$ok_origin"
check "it allows POST" eval '[[ $(header Access-Control-Allow-Methods) == *POST* ]]'
check "it allows the headers the API reads" \
    eq "$(header Access-Control-Allow-Headers)" "Authorization, Content-Type, Idempotency-Key, If-None-Match"
check "it says the answer depends on Origin" eq "$(header Vary)" Origin

req OPTIONS /book "" -H "Origin: $bad_origin" -H "Access-Control-Request-Method: POST"
check "a preflight from another origin is not allowed" eq "$(header Access-Control-Allow-Origin)" ""
check "... and is not answered 204" eval '[ "$STATUS" != 204 ]'

req GET /shows "" -H "Origin: $ok_origin"
check "GET /shows from an allowed origin: 200" eq "$STATUS" 200
check "... with its Access-Control-Allow-Origin" eq "$(header Access-Control-Allow-Origin)" "$ok_origin"
check "... exposing ETag, Location, Retry-After" \
    eq "$(header Access-Control-Expose-Headers)" "Date, ETag, Link, Location, Retry-After"
check "... and no preflight headers" eq "$(header Access-Control-Allow-Methods)" ""
req GET /shows "" -H "Origin: $bad_origin"
check "GET /shows from another origin: no Access-Control-Allow-Origin" \
    eq "$(header Access-Control-Allow-Origin)" ""
req GET /shows ""
check "GET /shows without Origin: none either" eq "$(header Access-Control-Allow-Origin)" ""

req GET /shows/999999999 "" -H "Origin: $ok_origin"
check "an error answer (404) carries it too, so the page can read the error" \
    eq "$STATUS/$(header Access-Control-Allow-Origin)" "404/$ok_origin"
req GET /no/such/thing "" -H "Origin: $ok_origin"
check "nginx's own 404 too" eq "$STATUS/$(header Access-Control-Allow-Origin)" "404/$ok_origin"

# The live events (nchan): a long-poll subscriber that gets no message
# answers 304 after its timeout; read its headers from a subscription
# that is cut short.
show=$(make_show 10)
curl -s -D "$TMP_T/ev.h" -o /dev/null --max-time 1 -H "Origin: $ok_origin" \
    -H 'Accept: text/event-stream' "$BASE_URL/events/shows/$show"
check "the live events allow that origin" \
    grep -qi "^Access-Control-Allow-Origin: $ok_origin" "$TMP_T/ev.h"
check "... once" eq "$(grep -ci '^Access-Control-Allow-Origin:' "$TMP_T/ev.h")" 1
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H "Origin: $bad_origin" \
    -H 'Accept: text/event-stream' "$BASE_URL/events/shows/$show")
check "... and refuse another origin: 403" eq "$code" 403
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -H "Origin: $BASE_URL" \
    -H 'Accept: text/event-stream' "$BASE_URL/events/shows/$show")
check "... but not the site's own origin (a WebSocket always sends it)" eq "$code" 200
check "... as an event stream" grep -qi '^Content-Type: text/event-stream' "$TMP_T/ev.h"

req POST "/pub/show_$show" '{"show":1,"resync":true}' -H "$JSON"
check "the publisher is not reachable over TCP: 404" eq "$STATUS" 404
check "the publisher's socket is there" test -S "$STACK_DIR/events.sock"
