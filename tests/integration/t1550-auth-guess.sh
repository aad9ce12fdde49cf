# A guesser of channel keys and booking tokens, as an attacker would try
# it: wrong keys on POST /book, wrong tokens on a victim's booking. After
# AUTH_FAIL_BURST failures from one address every try of that address
# that bears a key or token is answered 429 auth_rate_limited, with
# Retry-After, the right credential too (it is asked before the check);
# the owner from another address, the admin token and requests without a
# credential are untouched; after the refill one try passes again. The
# log says who was limited, and no guessed token is in any log. On
# workers of this test's own with the shipped budget (make test lifts it
# for the other tests): 10 at once, one more a second.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"

STACK_DIR=$TMP_T/own
mkdir -p "$STACK_DIR"
trap 'stack_nginx_stop; stack_fcgi_stop; rm -rf "$TMP_T"' EXIT
export AUTH_FAIL_BURST=10 AUTH_FAIL_RATE=1
stack_fcgi_start && stack_nginx_start "$(stack_free_port)" \
    || { echo "not ok - workers with the shipped budget did not start"; exit 1; }

GUESSES=$TMP_T/guesses      # every credential guessed, to look for in the logs
# guess PREFIX: a well-formed credential that is no one's, remembered.
guess() {
    local g
    g="$1$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    echo "$g" >>"$GUESSES"
    echo "$g"
}

# flood ADDR N METHOD PATH PREFIX: N requests from ADDR, one after the
# other on one connection, each with a fresh guess; prints their
# statuses in order, one a line.
flood() {
    local addr=$1 n=$2 method=$3 path=$4 prefix=$5 i
    for i in $(seq 1 "$n"); do
        [ "$i" -gt 1 ] && echo next
        printf 'url = "%s%s"\nrequest = "%s"\n' "$BASE_URL" "$path" "$method"
        printf 'interface = "%s"\n' "$addr"
        printf 'header = "Authorization: Bearer %s"\n' "$(guess "$prefix")"
        if [ "$path" = /book ]; then
            echo 'header = "Content-Type: application/json"'
            printf 'data = "{\\"show_id\\":%d,\\"seat_count\\":1}"\n' "$show"
        fi
        echo 'output = "/dev/null"'
        echo 'write-out = "%{http_code}\\n"'
    done >"$TMP_T/flood.cfg"
    curl -s -K "$TMP_T/flood.cfg" | tee -a "$TMP_T/codes"
}

# first_refused CODES: the try (1-based) first answered 429, and then
# whether every one after was 429 too.
first_refused() {
    awk '$1 == 429 && !f { f = NR } f && $1 != 429 { bad = 1 }
         END { print (f ? f : "none") (bad ? " then not 429" : "") }' <<<"$1"
}

scrape() { curl -s "$BASE_URL/metrics" | awk -v s="$1" '$1 == s { print $2 }'; }
failed0=$(scrape booking_auth_failures_total) refused0=$(scrape booking_auth_refused_total)

# The victims: a buyer at 127.0.0.3, a box office's channel.
show=$(make_show 100 "Guessed")
post_json /book "{\"show_id\":$show,\"seat_count\":2}" --interface 127.0.0.3
victim=$(jget .booking.id) vtoken=$(jget .token)
post_json /admin/keys '{"name":"Guessed box office"}' -H "$ADMIN"
key=$(jget .secret)
check "the victims: a booking and a channel key" \
    bash -c "[[ '$victim' =~ ^[0-9]+\$ && '$key' == key_* ]]"

# ---- channel keys, from 127.0.0.2 -------------------------------------------
codes=$(flood 127.0.0.2 15 POST /book key_)
echo "# 15 wrong keys on POST /book: $(echo $codes)"
check "wrong channel keys: the first 10 answered 401" eq \
    "$(head -n 10 <<<"$codes" | sort -u | tr '\n' ' ')" "401 "
check "then 429 from the 11th on" eq "$(first_refused "$codes")" 11
post_json /book "{\"show_id\":$show,\"seat_count\":1}" --interface 127.0.0.2 \
    -H "Authorization: Bearer $(guess key_)"
check "429 auth_rate_limited, in the service's error shape" eq \
    "$STATUS/$(jget .error)/$(jget '.message | length > 0')" "429/auth_rate_limited/true"
check "with Retry-After: 1 (one try a second)" eq "$(header Retry-After)" 1
echo "# Retry-After: $(header Retry-After)"
post_json /book "{\"show_id\":$show,\"seat_count\":1}" --interface 127.0.0.2 -H "Authorization: Bearer $key"
check "the right key from that address is refused too: it is asked before the check" eq \
    "$STATUS/$(jget .error)" "429/auth_rate_limited"
post_json /book "{\"show_id\":$show,\"seat_count\":1}" -H "Authorization: Bearer $key"
check "the same key from its own address books" eq "$STATUS" 201
post_json /book "{\"show_id\":$show,\"seat_count\":1}" --interface 127.0.0.2
check "the guesser without a credential is an anonymous buyer as before" eq "$STATUS" 201
req GET "/shows/$show" "" --interface 127.0.0.2
check "and reads shows" eq "$STATUS" 200
check "no booking was made with a guessed key" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show AND channel_id IS NOT NULL")" 1

# ---- booking tokens, from 127.0.0.4 -------------------------------------------
before=$(sql "SELECT status FROM bookings WHERE id = $victim")
codes=$( { flood 127.0.0.4 4 GET "/bookings/$victim" bk_
           flood 127.0.0.4 4 POST "/bookings/$victim/cancel" bk_
           flood 127.0.0.4 4 POST "/bookings/$victim/confirm" bk_; } )
echo "# 12 wrong tokens on the victim's booking (read, cancel, confirm): $(echo $codes)"
check "wrong booking tokens: the first 10 answered 404" eq \
    "$(head -n 10 <<<"$codes" | sort -u | tr '\n' ' ')" "404 "
check "then 429" eq "$(first_refused "$codes")" 11
check "the victim's booking is as it was" eq \
    "$(sql "SELECT status FROM bookings WHERE id = $victim")" "$before"
NO_TOKEN=1 req GET "/bookings/$victim" "" --interface 127.0.0.4 -H "Authorization: Bearer $vtoken"
check "the victim's own token from the guesser's address: 429" eq \
    "$STATUS/$(jget .error)/$(header Retry-After)" "429/auth_rate_limited/1"
NO_TOKEN=1 post_json "/bookings/$victim/extend" "" --interface 127.0.0.4 -H "Authorization: Bearer $(guess bk_)"
check "extend too" eq "$STATUS/$(jget .error)" "429/auth_rate_limited"
NO_TOKEN=1 req GET "/bookings/$victim" "" --interface 127.0.0.3 -H "Authorization: Bearer $vtoken"
check "the owner, from another address, reads the booking meanwhile: 200" eq \
    "$STATUS/$(jget .booking.id)" "200/$victim"
NO_TOKEN=1 req GET "/bookings/$victim" "" --interface 127.0.0.4
check "no credential from the guesser's address: 401 as ever" eq "$STATUS" 401
NO_TOKEN=1 req GET "/bookings/$victim" "" --interface 127.0.0.4 -H "$ADMIN"
check "the admin token (compared first, in memory) is not refused" eq "$STATUS" 200

# ---- the refill: one try a second ----------------------------------------------
# Spent again (the time above gave it back a try or more), then the
# Retry-After of its last refusal waited out.
codes=$(flood 127.0.0.2 12 POST /book key_)
check "the guesser's budget spent again" eq "$(tail -n 1 <<<"$codes")" 429
# The right key at once after a refusal (a flood slowed down by a busy
# machine may have earned a try back meanwhile: then spend it and ask
# again, at most three times).
for _ in 1 2 3; do
    post_json /book "{\"show_id\":$show,\"seat_count\":1}" --interface 127.0.0.2 -H "Authorization: Bearer $key"
    echo "$STATUS" >>"$TMP_T/codes"
    [ "$STATUS" = 429 ] && break
    flood 127.0.0.2 2 POST /book key_ >/dev/null
done
wait=$(header Retry-After)
check "refused with Retry-After: 1" eq "$STATUS/$wait" 429/1
sleep "$wait.1"
post_json /book "{\"show_id\":$show,\"seat_count\":1}" --interface 127.0.0.2 -H "Authorization: Bearer $key"
check "after it the right key passes from that address" eq "$STATUS" 201
# Retry-After is rounded up: the time slept may have refilled a little
# more than one try, never a whole second more.
codes=$(flood 127.0.0.2 3 POST /book key_)
check "then a wrong key passes, and 429 again within two" eq \
    "$(head -n 1 <<<"$codes")/$(tail -n 1 <<<"$codes")" 401/429
urls=()
for i in $(seq 1 12); do urls+=(-o /dev/null "$BASE_URL/bookings/$victim"); done
check "a right credential is never counted: 12 reads with the owner's token in a row, 12 200s" eq \
    "$(curl -s --interface 127.0.0.5 -H "Authorization: Bearer $vtoken" -w '%{http_code}\n' "${urls[@]}" | sort | uniq -c | awk '{print $2 ":" $1}')" 200:12

# ---- what the service says of it -------------------------------------------------
# 401 and 404 to a guess are failures; 429s to a guess or to a right
# credential from a limited address, refusals.
echo 429 429 429 >>"$TMP_T/codes"   # the right key, a guessed key, extend
echo 429 >>"$TMP_T/codes"           # the victim's token
failed=$(grep -cE '^(401|404)$' "$TMP_T/codes") refused=$(grep -o 429 "$TMP_T/codes" | wc -l)
check "/metrics: $failed failures counted, $refused tries refused, as answered" eq \
    "$(($(scrape booking_auth_failures_total) - failed0))/$(($(scrape booking_auth_refused_total) - refused0))" \
    "$failed/$refused"
check "the log names each address when it spent its budget" eq \
    "$(grep -c 'addr 127.0.0.2: 10 failed authentications' "$STACK_DIR/fcgi.log" | awk '{print ($1 >= 2)}')/$(grep -c 'addr 127.0.0.4: 10 failed authentications' "$STACK_DIR/fcgi.log")" "1/1"
echo "# $(grep -m 1 'failed authentications' "$STACK_DIR/fcgi.log")"
echo "$vtoken" >>"$GUESSES"
echo "$key" >>"$GUESSES"
check "$(wc -l <"$GUESSES") tokens and keys, none in any log" eq \
    "$(cat "$STACK_DIR/fcgi.log" "$STACK_DIR"/nginx/logs/* | grep -cF -f "$GUESSES")" 0
