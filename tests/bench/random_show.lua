-- wrk script: one request on a random one of SHOW_COUNT shows with
-- consecutive ids from SHOW_FIRST: POST /book of 1 seat, or with
-- BENCH_OP=show, GET /shows/{id}. make bench's spread runs the booking
-- on 1000 shows and its hot on one (SHOW_COUNT=1), so that both cost the
-- client the same and their ratio measures the server only.
-- usage: SHOW_FIRST=1 SHOW_COUNT=1000 [BENCH_OP=show] wrk -t2 -c64 -d10s \
--            -s tests/bench/random_show.lua http://127.0.0.1:8080
local first = tonumber(os.getenv("SHOW_FIRST") or "1")
local count = tonumber(os.getenv("SHOW_COUNT") or "1")
local get = os.getenv("BENCH_OP") == "show"
local hdrs = { ["Content-Type"] = "application/json" }
-- setup() and seed_random(), from threads.lua beside this file
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "threads.lua")

function init(args)
    seed_random()
end

function request()
    local show = first + math.random(0, count - 1)
    if get then
        return wrk.format("GET", "/shows/" .. show)
    end
    return wrk.format("POST", "/book", hdrs,
        '{"show_id":' .. show .. ',"seat_count":1}')
end
