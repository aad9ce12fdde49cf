-- wrk script: the seated on-sale (issue 16), POST /book of 2 seats on the
-- seated show SHOW_ID, over and over:
--  - BENCH_OP=best (default): best available, 2 together;
--  - BENCH_OP=pick: 2 chosen seats, drawn again for every request: a
--    random seat of the hall and the next one in its row, as a buyer
--    picks neighbours on a map. The hall is SECTIONS (comma-separated
--    names), each of ROWS rows named 1..ROWS, of SEATS seats numbered
--    1..SEATS (labels "North-12-37"); as it fills, most draws collide.
-- Counts the answers by status and 409 code; a 201 of pick whose seats
-- are not the two asked counts as "wrong". When the hall has no block
-- left (409 sold_out or not_enough_adjacent), it interrupts wrk
-- (SIGINT, as Ctrl-C does): the run ends when the show sells out, and
-- wrk's figures cover the time it took. done() prints one line that
-- tests/bench/seated.sh reads.
-- usage: SHOW_ID=7 BENCH_OP=pick SECTIONS=North,South ROWS=50 SEATS=100 \
--            wrk -t2 -c64 -d10s -s tests/bench/seated.lua URL
local show = os.getenv("SHOW_ID") or "0"
local pick = os.getenv("BENCH_OP") == "pick"
local rows = tonumber(os.getenv("ROWS") or "1")
local seats = tonumber(os.getenv("SEATS") or "2")
local sections = {}
for name in (os.getenv("SECTIONS") or "A"):gmatch("[^,]+") do
    table.insert(sections, name)
end
local hdrs = { ["Content-Type"] = "application/json" }
local best_body = '{"show_id":' .. show .. ',"seat_count":2,"best_available":{}}'
local codes = { "created", "sold_out", "not_enough_adjacent", "seats_taken",
                "other", "wrong" }
local asked = {}            -- pick: how many requests asked for each pair
local wrk_pid, interrupted
counts = {}                 -- global: done() reads it with thread:get
-- setup() and seed_random(), from threads.lua beside this file
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "threads.lua")

function init(args)
    seed_random()
    for _, c in ipairs(codes) do counts[c] = 0 end
    local f = io.open("/proc/self/stat")   -- the process: wrk itself
    wrk_pid = f:read("*n")
    f:close()
end

function request()
    if not pick then
        return wrk.format("POST", "/book", hdrs, best_body)
    end
    local sec = sections[math.random(#sections)]
    local row = math.random(rows)
    local n = math.random(seats - 1)
    local a = sec .. "-" .. row .. "-" .. n
    local b = sec .. "-" .. row .. "-" .. (n + 1)
    local key = a .. "," .. b
    asked[key] = (asked[key] or 0) + 1
    return wrk.format("POST", "/book", hdrs, '{"show_id":' .. show ..
        ',"seats":["' .. a .. '","' .. b .. '"]}')
end

-- An answer does not say which request it answers (a thread's
-- connections interleave): a 201 of pick is right when its two labels,
-- in seat order, are a pair that some request asked for and that no
-- other 201 has matched.
local function pick_right(body)
    local got = {}
    for label in (body:match('"seats":%s*%[(.-)%]') or ""):gmatch('"([^"]+)"') do
        table.insert(got, label)
    end
    local key = #got == 2 and got[1] .. "," .. got[2]
    if not key or (asked[key] or 0) == 0 then return false end
    asked[key] = asked[key] - 1
    return true
end

function response(status, headers, body)
    local code
    if status == 201 then
        code = (not pick or pick_right(body)) and "created" or "wrong"
    elseif status == 409 then
        code = body:match('"error":%s*"([%w_]+)"') or "other"
        if counts[code] == nil or code == "created" then code = "other" end
    else
        code = "other"
    end
    counts[code] = counts[code] + 1
    if (code == "sold_out" or code == "not_enough_adjacent") and not interrupted then
        interrupted = true
        -- not os.execute: system() ignores SIGINT while its child runs
        io.popen("kill -INT " .. wrk_pid):close()
    end
end

function done(summary, latency, requests)
    local line = "bench: seated"
    for _, c in ipairs(codes) do
        local n = 0
        for _, t in ipairs(threads) do n = n + t:get("counts")[c] end
        line = line .. " " .. c .. " " .. n
    end
    io.write(line .. "\n")
end
