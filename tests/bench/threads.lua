-- wrk scripts' shared part (dofile'd by random_show.lua, hold_confirm.lua
-- and seated.lua): each thread its own random seed, and the list of
-- threads that a script's done() reads its counts from (thread:get).
threads = {}
local nthreads = 0

-- Runs in wrk's main Lua state: give each thread its own seed.
function setup(thread)
    nthreads = nthreads + 1
    thread:set("seed", nthreads)
    table.insert(threads, thread)
end

-- In each thread's init(): seed math.random with the thread's seed.
function seed_random()
    math.randomseed(os.time() * 1000 + (seed or 0))
end
