#!/usr/bin/env bash
# make test-cluster's careful client, beside the load generator on the
# client host: what docs/cluster.md asks of a client. Each write books
# or holds 1-2 seats of one of SHOWS as CHANNEL, for a customer named
# as its Idempotency-Key, and is sent again with the same key after no
# answer, a timeout, a 502, a 503 or a 504, every half second, until it
# gets another answer or 20 s have passed. Every attempt is a line of
# OUT in tests/faults/loadgen's format, which the checks read:
#
#   op show id status booking-status error t-start-ms t-end-ms k key
#
# usage: careful.sh BASE_URL SHOW[,SHOW...] CHANNEL SECONDS OUT NAME
set -u

base=$1 shows=(${2//,/ }) channel=$3 seconds=$4 out=$5 name=$6
end=$((SECONDS + seconds))
body=$(mktemp)
trap 'rm -f "$body"' EXIT
seq=0

# attempt OP SHOW KEY DATA: one POST /book; sets STATUS; logs it.
attempt() {
    local t0 t1 id bstatus err
    t0=$(date +%s%3N)
    : >"$body"
    STATUS=$(curl -s -m 10 -o "$body" -w '%{http_code}' -X POST "$base/book" \
        -H 'Content-Type: application/json' -H "Authorization: Bearer $channel" \
        -H "Idempotency-Key: $3" -d "$4")
    t1=$(date +%s%3N)
    id=$(jq -r '.booking.id // 0' "$body" 2>/dev/null)
    bstatus=$(jq -r '.booking.status // "-"' "$body" 2>/dev/null)
    err=$(jq -r '.error // "-"' "$body" 2>/dev/null)
    [ "$STATUS" != 000 ] || err=timeout
    echo "$1 $2 ${id:-0} $((10#$STATUS)) ${bstatus:--} ${err:--} $t0 $t1 k $3" >>"$out"
}

while [ "$SECONDS" -lt "$end" ]; do
    seq=$((seq + 1))
    show=${shows[RANDOM % ${#shows[@]}]}
    key="cc-$name-$seq"
    op=book hold=
    [ $((RANDOM % 3)) -eq 0 ] && op=hold hold=',"hold":true'
    data="{\"show_id\":$show,\"seat_count\":$((1 + RANDOM % 2)),\"customer\":\"$key\"$hold}"
    give_up=$((SECONDS + 20))
    attempt "$op" "$show" "$key" "$data"
    while [[ $STATUS =~ ^(000|502|503|504)$ ]] && [ "$SECONDS" -lt "$give_up" ]; do
        sleep 0.5
        attempt "$op" "$show" "$key" "$data"
    done
done
