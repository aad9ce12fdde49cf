-- wrk script: hold 2 seats (POST /book with "hold": true), then confirm
-- the hold (POST /bookings/{id}/confirm), over and over. The show is
-- SHOW_ID, or with SHOW_FIRST and SHOW_COUNT a random one of that many
-- consecutive ids (a hold each). With BENCH_AUTH set, each hold carries
-- "Authorization: <BENCH_AUTH>" (a channel's "Bearer key_..."), so that
-- it counts against that channel's caps.
-- Each 201 hold queues its booking id and token in this thread; the next
-- request the thread sends confirms a queued hold with its token (as its
-- owner), else makes a new one, so
-- holds and confirms alternate. done() prints the acknowledged holds
-- and confirms, which make bench checks against the database.
-- usage: SHOW_ID=1 wrk -t2 -c64 -d10s -s tests/bench/hold_confirm.lua URL
--        SHOW_FIRST=1 SHOW_COUNT=1000 BENCH_AUTH="Bearer key_..." wrk ...
local first = tonumber(os.getenv("SHOW_FIRST") or os.getenv("SHOW_ID") or "1")
local count = tonumber(os.getenv("SHOW_COUNT") or "1")
local auth = os.getenv("BENCH_AUTH")
local hold_hdrs = { ["Content-Type"] = "application/json",
                    ["Authorization"] = auth }
local pending = {}          -- {id, token} held and not yet confirmed, this thread
holds, confirms = 0, 0      -- globals: done() reads them with thread:get
-- setup() and seed_random(), from threads.lua beside this file
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "threads.lua")

function init(args)
    seed_random()
end

function request()
    local hold = table.remove(pending)
    if hold then
        return wrk.format("POST", "/bookings/" .. hold[1] .. "/confirm",
                          { ["Authorization"] = "Bearer " .. hold[2] }, "")
    end
    local show = first + math.random(0, count - 1)
    return wrk.format("POST", "/book", hold_hdrs,
                      '{"show_id":' .. show .. ',"seat_count":2,"hold":true}')
end

function response(status, hdrs, body)
    if status == 201 then
        local id = body:match('"booking":{"id":(%d+)')
        local token = body:match('"token":"(bk_[%w_-]+)"')
        if id and token then
            holds = holds + 1
            table.insert(pending, { id, token })
        end
    elseif status == 200 then
        confirms = confirms + 1
    end
end

function done(summary, latency, requests)
    local h, c = 0, 0
    for _, t in ipairs(threads) do
        h = h + t:get("holds")
        c = c + t:get("confirms")
    end
    io.write(string.format("bench: holds %d confirms %d pairs/s %.1f\n",
        h, c, c / (summary.duration / 1e6)))
end
