-- wrk script: POST /book of 1 seat on the show named by SHOW_ID.
-- usage: SHOW_ID=1 wrk -t2 -c64 -d10s -s tests/bench/book.lua http://127.0.0.1:8080
local show = os.getenv("SHOW_ID") or "1"
wrk.method = "POST"
wrk.path = "/book"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"show_id":' .. show .. ',"seat_count":1}'

local codes = {}
function response(status)
    codes[status] = (codes[status] or 0) + 1
end
