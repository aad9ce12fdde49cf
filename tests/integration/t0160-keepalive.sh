# nginx keeps its FastCGI connections to the workers open between
# requests (fastcgi_keep_conn), and a worker serves many of them: one
# connection carries request after request, several stay open at once,
# and every answer is whole.
source "$(dirname "$0")/lib.sh"

# conns: the inodes of the workers' ends of open FastCGI connections
conns() {
    ss -xn state connected src "$STACK_DIR/fcgi.sock" | awk 'NR > 1 {print $5}' | sort
}

req GET /health
first=$(conns)
check "a connection stays open after its answer" test -n "$first"
for _ in $(seq 1 20); do curl -s -o /dev/null "$BASE_URL/health"; done
check "the next 20 requests reuse it" test -n "$(comm -12 <(echo "$first") <(conns))"

# 40 at once: nginx opens more connections, the workers take them all
show=$(make_show 1000 "Keep-alive")
urls=()
for _ in $(seq 1 40); do urls+=(-o /dev/null "$BASE_URL/shows/$show"); done
curl -s --parallel --parallel-immediate --parallel-max 40 --max-time 10 \
    -w '%{http_code} %{size_download}\n' "${urls[@]}" >"$TMP_T/codes"
check "40 parallel requests all got 200" eq "$(grep -c '^200 ' "$TMP_T/codes")" 40
check "every answer arrived whole" eq "$(awk '$2 < 50' "$TMP_T/codes" | wc -l)" 0
check "several connections are kept open at once" test "$(conns | wc -l)" -gt 1
