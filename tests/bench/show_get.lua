-- wrk script: GET /shows/{id} of a random one of SHOW_COUNT shows with
-- consecutive ids from SHOW_FIRST (make bench's show scenario).
-- usage: SHOW_FIRST=1 SHOW_COUNT=1000 wrk -t2 -c64 -d10s \
--            -s tests/bench/show_get.lua http://127.0.0.1:8080
local first = tonumber(os.getenv("SHOW_FIRST") or "1")
local count = tonumber(os.getenv("SHOW_COUNT") or "1")
local nthreads = 0

function setup(thread)
    nthreads = nthreads + 1
    thread:set("seed", nthreads)
end

function init(args)
    math.randomseed(os.time() * 1000 + (seed or 0))
end

function request()
    return wrk.format("GET", "/shows/" .. (first + math.random(0, count - 1)))
end
