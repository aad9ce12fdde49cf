# nginx/booking-cluster.conf in front of two worker pools on two TCP
# ports, as two app hosts would be, and a third host that is down: a
# booking whose connection the down host refused is made on another;
# the two serve, each counted on its own; one pool SIGKILLed under
# a booking load, the bookings go on on the other, nginx sends no POST
# twice (the bookings stored are the 201s, plus at most the 502s of
# requests in flight on the killed pool); all dead, every request is
# the JSON 503 (safe to retry), whether nginx tried the hosts or had
# marked them failed; a pool back is served again. The metrics server answers for
# each host on its own. The shared stack is left as it was.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/stack.sh"
source "$(dirname "$0")/../cluster/lib.sh"

log="$TMP_T/pools.log"
NG=
trap cluster_test_cleanup EXIT

# Syntax first: the site as shipped, its sample hosts and all (nginx -t
# binds the metrics server's address, moved to the loopback).
cluster_nginx_conf "$TMP_T/shipped" "$(stack_free_port)" "127.0.0.1:$(stack_free_port)"
check "the site as shipped passes nginx -t" \
    nginx -t -q -p "$TMP_T/shipped/nginx" -c "$TMP_T/shipped/nginx/conf/nginx.conf" \
        -e "$TMP_T/shipped/nginx/logs/error.log"

check "it passes a request on only after an error or a timeout, never a POST sent" \
    eq "$(grep -E '^ *fastcgi_next_upstream ' "$STACK_ROOT/nginx/booking-cluster.conf")" \
       "    fastcgi_next_upstream error timeout;"

# Two hosts, and a third that is down from the start (nothing on p3).
p1=$(stack_free_port)
p2=$(stack_free_port)
p3=$(stack_free_port)
while [ "$p2" = "$p1" ]; do p2=$(stack_free_port); done
while [ "$p3" = "$p1" ] || [ "$p3" = "$p2" ]; do p3=$(stack_free_port); done
cluster_pool_start "127.0.0.1:$p1" "$log" && a=$POOL \
    && cluster_pool_start "127.0.0.1:$p2" "$log" && b=$POOL
check "two pools listen on 127.0.0.1:$p1 and :$p2" test -n "${a:-}" -a -n "${b:-}"

port=$(stack_free_port)
mport=$(stack_free_port)
cluster_nginx_conf "$TMP_T/ng" "$port" "127.0.0.1:$mport" \
    "127.0.0.1:$p1" "127.0.0.1:$p2" "127.0.0.1:$p3"
errlog=$TMP_T/ng/nginx/logs/error.log
nginx -q -p "$TMP_T/ng/nginx" -c "$TMP_T/ng/nginx/conf/nginx.conf" -e "$errlog" &
NG=$!
BASE_URL="http://127.0.0.1:$port"
MBASE="http://127.0.0.1:$mport"
stack_wait_for 5 curl -s -o /dev/null "$BASE_URL/openapi.json"
check "the upstream has the three hosts, max_fails and keepalive" \
    eq "$(grep -cE "server 127\.0\.0\.1:($p1|$p2|$p3) max_fails=1 fail_timeout=|keepalive 16;" \
          "$TMP_T/ng/nginx/conf/booking.conf")" 4

show=$(make_show 100000 "Upstreams")
check "an admin request creates a show" test -n "$show"
for _ in $(seq 1 6); do
    post_json /book "{\"show_id\":$show,\"seat_count\":1}"
    echo "$STATUS" >>"$TMP_T/first"
done
check "bookings are made, the down host's share too" eq "$(sort -u "$TMP_T/first")" 201
check "nginx passed on a booking whose connection the down host refused" \
    grep -q "connect() failed (111: Connection refused) while connecting to upstream.*fastcgi://127.0.0.1:$p3" "$errlog"
for _ in $(seq 1 20); do req GET "/shows/$show"; done
check "reads are served" eq "$STATUS" 200

# served HOST: the requests host appN has answered, from its own metrics.
served() {
    curl -s "$MBASE/hosts/$1/metrics" \
        | awk '/^booking_http_requests_total\{/ {n += $NF} END {print n + 0}'
}
check "the metrics server answers for app1 alone" test "$(served app1)" -gt 0
check "and for app2 alone: nginx spread the requests" test "$(served app2)" -gt 0
req GET /health
check "/health through the site is 200" eq "$STATUS" 200
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$MBASE/hosts/app2/health")
check "/hosts/app2/health is 200" eq "$STATUS" 200
STATUS=$(curl -s -o "$TMP_T/body" -w '%{http_code}' "$MBASE/hosts/app3/metrics")
check "the down host's metrics are a JSON 503" \
    eq "$STATUS/$(jq -r .error "$TMP_T/body")" "503/service_unavailable"
STATUS=$(curl -s -o "$TMP_T/body" -w '%{http_code}' "$MBASE/hosts/app9/metrics")
check "a host it does not know is 404 there" eq "$STATUS/$(jq -r .error "$TMP_T/body")" "404/not_found"
# (not recorded for t9900: the API documents /metrics on a single host)
RESPONSE_LOG= req GET /metrics
check "the public site has no /metrics" eq "$STATUS" 404

# Four buyers, one booking at a time each, no Idempotency-Key (so that a
# POST sent twice would book twice), for 6 s; pool A killed after 2 s.
show=$(make_show 100000 "Upstreams, a host killed")
load=()
for c in 1 2 3 4; do
    (
        end=$((SECONDS + 6))
        while [ "$SECONDS" -lt "$end" ]; do
            curl -s -o /dev/null --max-time 10 -w "%{http_code} $(date +%s%N)\n" \
                -X POST -H "$JSON" -d "{\"show_id\":$show,\"seat_count\":1}" "$BASE_URL/book"
        done >"$TMP_T/codes.$c"
    ) &
    load+=($!)
done
sleep 2
killed_at=$(date +%s%N)
cluster_pool_kill "$a"
wait "${load[@]}"
cat "$TMP_T"/codes.? >"$TMP_T/codes"
n201=$(grep -c '^201 ' "$TMP_T/codes")
n502=$(grep -c '^502 ' "$TMP_T/codes")
stored=$(sql "SELECT count(*) FROM bookings WHERE show_id = $show")
check "every booking was 201, or 502 (in flight on the killed pool)" \
    eq "$(grep -vcE '^(201|502) ' "$TMP_T/codes")" 0
check "at most one 502 a buyer ($n502)" test "$n502" -le 4
check "bookings went on after the kill" \
    test "$(awk -v t="$killed_at" '$1 == 201 && $2 > t + 500000000' "$TMP_T/codes" | wc -l)" -gt 10
check "none doubled: $stored stored for $n201 201s and $n502 502s" \
    test "$stored" -ge "$n201" -a "$stored" -le $((n201 + n502))
check "nginx found the killed host failing" \
    grep -qE "(connect\(\) failed \(111|recv\(\) failed|prematurely closed).*fastcgi://127.0.0.1:$p1" "$errlog"
STATUS=$(curl -s -o "$TMP_T/body" -w '%{http_code}' "$MBASE/hosts/app1/metrics")
check "the killed host's metrics are a JSON 503" \
    eq "$STATUS/$(jq -r .error "$TMP_T/body")" "503/service_unavailable"

# All dead: nothing was done, so 503 and Retry-After, with the hosts
# tried ("-, -"), or all marked failed (no live upstreams).
cluster_pool_kill "$b"
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "all dead: a booking is a JSON 503" eq "$STATUS/$(jget .error)" "503/service_unavailable"
check "with Retry-After" eq "$(header Retry-After)" 1
req GET "/shows/$show"
check "a read too" eq "$STATUS/$(jget .error)" "503/service_unavailable"
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "again, every host marked failed: 503" eq "$STATUS/$(jget .error)" "503/service_unavailable"
check "nginx had no live upstream for it" grep -q "no live upstreams" "$errlog"
check "nothing was booked while all were dead" \
    eq "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show")" "$stored"

# One back: nginx tries it again once its fail_timeout has passed.
cluster_pool_start "127.0.0.1:$p1" "$log"
for _ in $(seq 1 80); do
    post_json /book "{\"show_id\":$show,\"seat_count\":1}"
    [ "$STATUS" = 201 ] && break
    sleep 0.1
done
check "a pool started again is booked on within fail_timeout" eq "$STATUS" 201

check "no sanitizer report in the pools' log" \
    bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$log'"
