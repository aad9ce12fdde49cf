# Malformed input of every kind gets the right 4xx in the JSON error shape
# ({"error","message"[,"field"]}, Content-Type: application/json), and
# none of it makes the service answer 5xx or stop answering.
source "$(dirname "$0")/lib.sh"

# Every answer's status, for the closing "no 5xx" check: req from lib.sh,
# renamed, plus one line per request in $TMP_T/answers.
eval "lib_$(declare -f req)"
req() {
    lib_req "$@"
    echo "$STATUS $1 $(echo "$2" | head -c 80)" >>"$TMP_T/answers"
}
log_start=$(wc -l <"$STACK_DIR/fcgi.log")

# Bodies name show 9223372036854775806, which no test creates: a body
# accepted by mistake then books nothing on another test's show.
FUTURE=2089-06-01T20:00:00Z
TOKEN_HEADER="Authorization: Bearer $ADMIN_TOKEN"

# is_error STATUS CODE [FIELD]: the last answer is the error shape with
# this status, code and field ("-" or absent: no "field" member).
is_error() {
    eq "$STATUS $(header Content-Type) $(jget '[.error, (.message | type), (.field // "-")] | join(" ")')" \
       "$1 application/json $2 string ${3:--}"
}

# send_raw book|show BODY [CURL ARGS...]: POST BODY to /book, or to
# /admin/show with the admin token. send: the same as JSON. send_file:
# the body from a file (bytes a shell variable cannot hold: NUL, 64 KiB).
send_raw() {
    local ep=$1 body=$2 path=/book auth=()
    shift 2
    [ "$ep" = show ] && path=/admin/show auth=(-H "$TOKEN_HEADER")
    req POST "$path" "$body" "${auth[@]}" "$@"
}
send() { send_raw "$1" "$2" -H "$JSON" "${@:3}"; }
send_file() { send_raw "$1" "" -H "$JSON" --data-binary "@$2"; }

# show_body NAME START SEATS: an /admin/show body from three JSON values.
show_body() {
    printf '{"name":%s,"start_time":%s,"total_seats":%s}' "$1" "$2" "$3"
}

# A string of N copies of a character.
repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; }

valid_show=$(show_body '"Bad input"' "\"$FUTURE\"" 10)

# ---- the body as a whole, on both POST routes ----------------------------

printf '{"show_id":9223372036854775806,"seat_count":1}\0' >"$TMP_T/nul-after"
repeat ' ' 65537 >"$TMP_T/over"
repeat ' ' 65536 >"$TMP_T/limit"
repeat ' ' 1048577 >"$TMP_T/over_admin"
repeat ' ' 1048576 >"$TMP_T/limit_admin"
for ep in book show; do
    send $ep ""
    check "$ep: no body: 400 invalid_json" is_error 400 invalid_json
    send $ep "" --data-binary ''
    check "$ep: empty body: 400 invalid_json" is_error 400 invalid_json
    send $ep 'hello'
    check "$ep: not JSON: 400 invalid_json" is_error 400 invalid_json
    send $ep '{"show_id":9223372036854775806,'
    check "$ep: truncated JSON: 400 invalid_json" is_error 400 invalid_json
    send $ep '{"show_id":9223372036854775806,"seat_count":1}x'
    check "$ep: trailing garbage: 400 invalid_json" is_error 400 invalid_json
    send $ep '{"show_id":9223372036854775806,"seat_count":1} {}'
    check "$ep: two JSON values: 400 invalid_json" is_error 400 invalid_json
    send_file $ep "$TMP_T/nul-after"
    check "$ep: NUL after the JSON: 400 invalid_json" is_error 400 invalid_json
    send $ep '[{"show_id":9223372036854775806,"seat_count":1}]'
    check "$ep: top-level array: 400 invalid_json" is_error 400 invalid_json
    send $ep '"hello"'
    check "$ep: top-level string: 400 invalid_json" is_error 400 invalid_json
    send $ep '5'
    check "$ep: top-level number: 400 invalid_json" is_error 400 invalid_json
    send $ep 'null'
    check "$ep: top-level null: 400 invalid_json" is_error 400 invalid_json
    send $ep "$(repeat '[' 10000)"
    check "$ep: 10000 '[': 400 invalid_json" is_error 400 invalid_json
    send $ep "{\"show_id\":$(repeat '[' 10000)"
    check "$ep: 10000 '[' inside a field: 400 invalid_json" is_error 400 invalid_json
    send $ep '{"show_id":9223372036854775806,"seat_count":1,}'
    check "$ep: trailing comma: 400 invalid_json" is_error 400 invalid_json
    send $ep "{'show_id':9223372036854775806,'seat_count':1,'name':\"t0200 single quotes\",'start_time':\"$FUTURE\",'total_seats':1}"
    check "$ep: single-quoted keys: 400 invalid_json" is_error 400 invalid_json
    send $ep '{"show_id":9223372036854775806,"seat_count":NaN,"name":"x","start_time":"'$FUTURE'","total_seats":NaN}'
    check "$ep: NaN is not JSON: 400 invalid_json" is_error 400 invalid_json

    ok_body='{"show_id":9223372036854775806,"seat_count":1}'
    [ $ep = show ] && ok_body=$valid_show
    send_raw $ep ""
    check "$ep: no body, no Content-Type: 415" is_error 415 unsupported_media_type
    send_raw $ep "$ok_body" -H 'Content-Type: text/plain'
    check "$ep: Content-Type text/plain: 415" is_error 415 unsupported_media_type
    send_raw $ep "$ok_body" -H 'Content-Type:'
    check "$ep: no Content-Type: 415" is_error 415 unsupported_media_type
    send_raw $ep "$ok_body"
    check "$ep: curl's default form type: 415" is_error 415 unsupported_media_type
    send_raw $ep "$ok_body" -H 'Content-Type: application/jsonx'
    check "$ep: Content-Type application/jsonx: 415" is_error 415 unsupported_media_type
    send_raw $ep '{}' -H 'Content-Type: Application/JSON; charset=utf-8'
    check "$ep: application/json with a charset is JSON: 400 missing_field" \
        eq "$STATUS $(jget .error)" "400 missing_field"

    # POST /admin/show takes 1 MiB (a seated show's layout), the rest 64 KiB
    size=$([ $ep = show ] && echo "1 MiB" || echo "64 KiB")
    send_file $ep "$TMP_T/over$([ $ep = show ] && echo _admin)"
    check "$ep: $size + 1 body: 413 body_too_large" is_error 413 body_too_large
    send_file $ep "$TMP_T/limit$([ $ep = show ] && echo _admin)"
    check "$ep: a $size body is read: 400 invalid_json" is_error 400 invalid_json
done

# ---- POST /book, field by field ------------------------------------------

# bad_int book|show FIELD FMT [VALUE...]: FMT is the body with %s for the
# field's value; null, each wrong type and each out-of-range value (the
# VALUEs too) gets 400 with the field named.
bad_int() {
    local ep=$1 f=$2 fmt=$3
    shift 3
    send $ep "$(printf "$fmt" 'null')"
    check "$ep: $f null: 400 missing_field" is_error 400 missing_field "$f"
    local v
    for v in '"5"' true false 2.5 2.0 1e3 1E3 '{}' '[]' '[1]'; do
        send $ep "$(printf "$fmt" "$v")"
        check "$ep: $f $v: 400 invalid_type" is_error 400 invalid_type "$f"
    done
    for v in -1 0 -0 99999999999999999999 -99999999999999999999 \
             18446744073709551616 "$@"; do
        send $ep "$(printf "$fmt" "$v")"
        check "$ep: $f $v: 400 out_of_range" is_error 400 out_of_range "$f"
    done
}

send book '{"seat_count":1}'
check "book: show_id missing: 400 missing_field" is_error 400 missing_field show_id
send book '{"show_id":1}'
check "book: seat_count missing: 400 missing_field" is_error 400 missing_field seat_count
send book '{}'
check "book: both missing: the first is named" is_error 400 missing_field show_id
bad_int book show_id '{"show_id":%s,"seat_count":1}'
bad_int book seat_count '{"show_id":9223372036854775806,"seat_count":%s}' 1000001
send book '{"show_id":9223372036854775806,"seat_count":1}'
check "book: unknown show: 404 show_not_found" is_error 404 show_not_found

# ---- POST /admin/show, field by field -------------------------------------

# The admin token is checked before the body is looked at.
req POST /admin/show "$valid_show" -H "$JSON"
check "show: no Authorization: 401" is_error 401 unauthorized
check "show: no Authorization: WWW-Authenticate: Bearer" eq "$(header WWW-Authenticate | cut -d' ' -f1)" Bearer
req POST /admin/show "$valid_show" -H "$JSON" -H "Authorization: Bearer wrong-token-0123456789"
check "show: wrong token: 401" is_error 401 unauthorized
check "show: wrong token: WWW-Authenticate: Bearer" eq "$(header WWW-Authenticate | cut -d' ' -f1)" Bearer
req POST /admin/show "$valid_show" -H "$JSON" -H "Authorization: Basic $ADMIN_TOKEN"
check "show: Basic scheme with the token: 401" is_error 401 unauthorized
check "show: Basic scheme: WWW-Authenticate: Bearer" eq "$(header WWW-Authenticate | cut -d' ' -f1)" Bearer
req POST /admin/show "$valid_show" -H "$JSON" \
    -H "Authorization: Basic $(printf 'admin:%s' "$ADMIN_TOKEN" | base64 -w0)"
check "show: Basic credentials: 401" is_error 401 unauthorized
req POST /admin/show "$valid_show" -H "$JSON" -H "${TOKEN_HEADER}x"
check "show: token with an extra character: 401" is_error 401 unauthorized
check "show: extra character: WWW-Authenticate: Bearer" eq "$(header WWW-Authenticate | cut -d' ' -f1)" Bearer
req POST /admin/show "$valid_show" -H "$JSON" -H "${TOKEN_HEADER%?}"
check "show: token missing its last character: 401" is_error 401 unauthorized
req POST /admin/show "$valid_show" -H "$JSON" -H "Authorization: Bearer"
check "show: Bearer without a token: 401" is_error 401 unauthorized
req POST /admin/show 'not json' -H 'Content-Type: text/plain'
check "show: no token and a bad body: 401 comes first" is_error 401 unauthorized

send show "$(show_body '"x"' "\"$FUTURE\"" 10 | sed 's/"name":"x",//')"
check "show: name missing: 400 missing_field" is_error 400 missing_field name
send show "$(show_body null "\"$FUTURE\"" 10)"
check "show: name null: 400 missing_field" is_error 400 missing_field name
send show "$(show_body 5 "\"$FUTURE\"" 10)"
check "show: name a number: 400 invalid_type" is_error 400 invalid_type name
send show "$(show_body '["x"]' "\"$FUTURE\"" 10)"
check "show: name an array: 400 invalid_type" is_error 400 invalid_type name
send show "$(show_body '""' "\"$FUTURE\"" 10)"
check "show: name empty: 400 invalid_value" is_error 400 invalid_value name
send show "$(show_body '"   "' "\"$FUTURE\"" 10)"
check "show: name blank: 400 invalid_value" is_error 400 invalid_value name
send show "$(show_body "\"$(repeat a 201)\"" "\"$FUTURE\"" 10)"
check "show: name of 201 characters: 400 invalid_value" is_error 400 invalid_value name
send show "$(show_body '"a\u0001b"' "\"$FUTURE\"" 10)"
check "show: name with \\u0001: 400 invalid_value" is_error 400 invalid_value name
send show "$(show_body '"a\nb"' "\"$FUTURE\"" 10)"
check "show: name with \\n: 400 invalid_value" is_error 400 invalid_value name
send show "$(show_body '"a\u0000b"' "\"$FUTURE\"" 10)"
check "show: name with \\u0000: 400 invalid_value" is_error 400 invalid_value name
send show "$(show_body "$(printf '"a\tb"')" "\"$FUTURE\"" 10)"
# RFC 8259: a raw control character inside a string is not JSON at all
check "show: name with a raw tab: 400 invalid_json" is_error 400 invalid_json
send show "$(show_body "$(printf '"a\x7fb"')" "\"$FUTURE\"" 10)"
check "show: name with DEL: 400 invalid_value" is_error 400 invalid_value name
send show "$(show_body '"a\u0085b"' "\"$FUTURE\"" 10)"
check "show: name with a C1 control (U+0085): 400 invalid_value" is_error 400 invalid_value name
show_body '"a' "\"$FUTURE\"" 10 | sed 's/"a,/"a\x00b",/' >"$TMP_T/nul-name"
send_file show "$TMP_T/nul-name"
check "show: name with a raw NUL: 400 invalid_json" is_error 400 invalid_json

# Invalid UTF-8 (RFC 3629): a stray byte, a cut sequence, an overlong
# form, a UTF-16 surrogate, a code point past U+10FFFF.
for bytes in '\xff' '\x80' '\xc3' '\xc0\xaf' '\xe0\x80\xaf' '\xed\xa0\x80' \
             '\xf4\x90\x80\x80' '\xf8\x88\x80\x80\x80'; do
    send show "$(show_body "$(printf "\"a${bytes}b\"")" "\"$FUTURE\"" 10)"
    check "show: name with invalid UTF-8 $bytes: 400 invalid_json" is_error 400 invalid_json
done

# 200 characters is the limit, counted in characters, not bytes.
send show "$(show_body "\"t0200 $(printf 'é%.0s' $(seq 194))\"" "\"$FUTURE\"" 10)"
check "show: name of 200 two-byte characters: 201" eq "$STATUS" 201

send show "$(show_body '"x"' "\"$FUTURE\"" 10 | sed 's/"start_time":"[^"]*",//')"
check "show: start_time missing: 400 missing_field" is_error 400 missing_field start_time
send show "$(show_body '"x"' null 10)"
check "show: start_time null: 400 missing_field" is_error 400 missing_field start_time
send show "$(show_body '"x"' 3786912000 10)"
check "show: start_time a number: 400 invalid_type" is_error 400 invalid_type start_time
send show "$(show_body '"x"' true 10)"
check "show: start_time a boolean: 400 invalid_type" is_error 400 invalid_type start_time
for t in 2089-06-01T20:00:00 '2089-06-01 20:00:00Z' 2089-06-01 soon '' \
         2089-02-30T20:00:00Z 2089-06-01T24:00:00Z 2089-06-01T20:00:60Z \
         2089-06-01T20:00:00+24:00 2089-06-01T20:00:00+0200 2089-06-01T20:00Z \
         ' 2089-06-01T20:00:00Z' 2089-06-01T20:00:00Z. 2089-06-01T20:00:00ZZ; do
    send show "$(show_body '"x"' "\"$t\"" 10)"
    check "show: start_time '$t': 400 invalid_value" is_error 400 invalid_value start_time
done
for t in 2000-01-01T00:00:00Z "$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)" \
         "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S+02:00)" 0001-01-01T00:00:00+23:59; do
    send show "$(show_body '"x"' "\"$t\"" 10)"
    check "show: start_time in the past ($t): 400 invalid_value" is_error 400 invalid_value start_time
done
# The zone moves this past 9999-12-31T23:59:59Z: no RFC 3339 UTC form.
send show "$(show_body '"x"' '"9999-12-31T23:59:59-23:59"' 10)"
check "show: start_time past year 9999 in UTC: 400 invalid_value" is_error 400 invalid_value start_time

send show "$(show_body '"x"' "\"$FUTURE\"" 10 | sed 's/,"total_seats":10//')"
check "show: total_seats missing: 400 missing_field" is_error 400 missing_field total_seats
bad_int show total_seats "$(show_body '"x"' "\"$FUTURE\"" '%s')" 1000001

# ---- routes, ids, methods --------------------------------------------------

for path in /nope / /shows/ /shows/1/ /SHOWS /book/ /admin /admin/show/1 /health/ \
            /shows/abc /shows/0 /shows/-1 /shows/007 /shows/1x \
            /shows/99999999999999999999 /shows/9223372036854775808 \
            /bookings/abc /bookings/0 /bookings/007 /bookings/99999999999999999999; do
    req GET "$path"
    check "GET $path: 404 not_found" is_error 404 not_found
done
req GET /shows/9223372036854775807
check "GET an unknown show id: 404 show_not_found" is_error 404 show_not_found
req GET /bookings/9223372036854775807 "" -H "$STRANGER"
check "GET an unknown booking id: 404 booking_not_found" is_error 404 booking_not_found
req GET /bookings/9223372036854775807
check "GET a booking without a credential: 401" is_error 401 unauthorized

for mp in "DELETE /shows|GET, HEAD" "POST /shows|GET, HEAD" "PUT /shows/1|GET, HEAD" \
          "GET /book|POST" "PUT /book|POST" "PUT /admin/show|POST" \
          "GET /admin/show|POST" "DELETE /bookings/1|GET, HEAD" \
          "POST /health|GET, HEAD" "OPTIONS /shows|GET, HEAD"; do
    allow=${mp#*|}
    set -- ${mp%|*}
    req "$1" "$2"
    check "$1 $2: 405 method_not_allowed" is_error 405 method_not_allowed
    check "$1 $2: Allow: $allow" eq "$(header Allow)" "$allow"
done
req DELETE /nope
check "DELETE an unknown path: 404, not 405" is_error 404 not_found
req TRACE /shows
check "TRACE /shows: 405 in the JSON shape" is_error 405 method_not_allowed

req HEAD /shows "" -I
check "HEAD /shows: 200" eq "$STATUS" 200
check "HEAD /shows: JSON content type" eq "$(header Content-Type)" application/json
req HEAD /shows/abc "" -I
check "HEAD /shows/abc: 404" eq "$STATUS" 404

# ---- GET /shows query parameters --------------------------------------------

for q in limit=0 limit=1001 limit=abc limit=-1 limit= limit 'limit=1.5' 'limit=+5' \
         'limit=1e2' 'limit=%zz' 'limit=5%00' limit=99999999999999999999 'cursor=1_1&limit=0'; do
    req GET "/shows?$q"
    check "GET /shows?$q: 400 field limit" is_error 400 invalid_value limit
done
for q in cursor=garbage cursor= cursor cursor=1_0 cursor=1_ cursor=_1 cursor=1_-1 \
         cursor=99999999999999999999_1 'cursor=%zz' cursor=9223372036854775807_1 \
         cursor=253402300800000000_1; do
    req GET "/shows?$q"
    check "GET /shows?$q: 400 field cursor" is_error 400 invalid_value cursor
done

# ---- what nginx answers itself --------------------------------------------

req GET "/shows?x=$(repeat a 10000)"
check "a 10 KB request line: 414 request_too_large" is_error 414 request_too_large
req GET /shows "" -H "X-Big: $(repeat a 20000)"
check "a 20 KB header: 4xx in the JSON shape" \
    eq "${STATUS:0:1} $(header Content-Type) $(jget .error)" "4 application/json request_too_large"
req POST /book '{"show_id":9223372036854775806,"seat_count":1}' -H "$JSON" -H 'Content-Length: abc'
check "a bad Content-Length: 400 bad_request" is_error 400 bad_request
req POST /book '{"show_id":9223372036854775806,"seat_count":1}' -H "$JSON" -H 'Transfer-Encoding: gzip'
check "an unknown Transfer-Encoding: 501 in the JSON shape" \
    eq "$STATUS $(header Content-Type) $(jget '.error | type')" "501 application/json string"

# ---- and after all of that ------------------------------------------------

req GET /health
check "health still 200 ok" eq "$STATUS/$(jget .status)" "200/ok"
check "no answer was a 5xx (but the 501 asked for)" \
    eq "$(awk '$1 >= 500 && $1 != 501' "$TMP_T/answers" | sort | uniq -c | head -n 5)" ""
check "the worker log has no 5xx for this test" \
    eq "$(tail -n +"$((log_start + 1))" "$STACK_DIR/fcgi.log" \
          | grep -aE '^booking-fcgi: [A-Z]+ [^ ]+ 5[0-9]{2} ' | head -n 5)" ""
