# A booking stuck behind a lock is rolled back after DB_LOCK_TIMEOUT_MS
# and answered 503 at once: it must never wait past nginx's timeout and
# then commit behind the client's back.
source "$(dirname "$0")/lib.sh"

show=$(make_show 10 "Locked")
psql -X -q "$DATABASE_URL" -c "BEGIN; SELECT 1 FROM shows WHERE id = $show FOR UPDATE; SELECT pg_sleep(5); COMMIT;" \
    >/dev/null 2>&1 &
locker=$!
sleep 0.5

start=$(date +%s%N)
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "the stuck booking: 503 database_unavailable" eq "$STATUS/$(jget .error)" "503/database_unavailable"
check "with Retry-After" test -n "$(header Retry-After)"
check "after the lock timeout, not nginx's (${ms} ms)" test "$ms" -lt 4500
req GET /health
check "other requests are not held up" eq "$STATUS" 200
wait "$locker"
check "the refused booking never committed" eq \
    "$(sql "SELECT count(*) FROM bookings WHERE show_id = $show")" 0
check "the show's seats are untouched" eq "$(available "$show")" 10
post_json /book "{\"show_id\":$show,\"seat_count\":1}"
check "once the lock is gone, booking works" eq "$STATUS" 201
