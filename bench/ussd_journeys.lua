-- wrk script: every connection walks whole USSD sessions, hop by hop, exactly as AT posts them.
-- Run with as many threads as connections (-t32 -c32) so each Lua state drives one session.
-- JOURNEY=status|booking, TOKEN=callback token, BENCH_REFS=comma-separated document references,
-- RUN_ID=text unique to this run (session ids), RUN_SLOT=0..30, different for each run of one
-- bench (phone numbers: a caller who dials again within minutes is offered to resume),
-- TRANSCRIPT=file to append every hop's text and reply to (to compare two systems' screens).

---------------------------------------------------------------------------------------------
-- THE JOURNEYS: what a caller types on each screen after dialling, in order. When a menu gains
-- or loses a screen, change the inputs here (and `answer`, the final screen's expected text);
-- a status screen changes bench/node/status_menu.js too (the bench compares both systems' screens).
-- {ref} is a random reference from BENCH_REFS, {day} a date 2-4, {time} a time 1-6.
---------------------------------------------------------------------------------------------
local JOURNEYS = {
  -- Every session dials from a new number: its first screen asks the language.
  status = {
    inputs = {"1", "1", "{ref}"},  -- English, check document status, the reference
    -- Lua patterns, any of which the last reply must match: the answer, ready or not.
    answer = {"^END Application %*%*%*", "^CON Your .* is ready"},
  },
  booking = {
    -- English, book, first service, first county (most centres), its first centre, a date
    -- (option 1 is the earliest time), a time, ID number, confirm
    inputs = {"1", "2", "1", "1", "1", "{day}", "{time}", "12345678", "1"},
    answer = {"HKA%-"},  -- the booking reference
  },
}
---------------------------------------------------------------------------------------------

local journey = os.getenv("JOURNEY") or "status"
local spec = JOURNEYS[journey] or error("JOURNEY is one of: status, booking")
local token = os.getenv("TOKEN") or ""
local refs = {}
for ref in string.gmatch(os.getenv("BENCH_REFS") or "HK-ID-100000", "[^,]+") do
  refs[#refs + 1] = ref
end

local threads = {}
local counter = 0
-- Session ids unique to this run: a later run must not find an earlier run's sessions.
local run = os.getenv("RUN_ID") or tostring(os.time())
local slot = tonumber(os.getenv("RUN_SLOT") or "0") % 31

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  sessions, step, errors = 0, 0, 0
  texts = {}
  wrk.method = "POST"
  wrk.path = "/ussd?token=" .. token
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  local path = os.getenv("TRANSCRIPT")
  transcript = path and io.open(path, "a")
end

local function fill(input)
  local values = {ref = refs[math.random(#refs)], day = math.random(2, 4), time = math.random(6)}
  return (string.gsub(input, "{(%a+)}", function(name) return tostring(values[name]) end))
end

-- The `text` AT posts on each hop: "" on the dial, then every input so far joined with "*".
local function new_session()
  sessions = sessions + 1
  step = 1
  texts = {""}
  for i, input in ipairs(spec.inputs) do
    texts[i + 1] = (i == 1 and "" or texts[i] .. "*") .. fill(input)
  end
end

-- A number of its own for every session of the bench: up to 32 threads x 31 slots x 100,000.
local function phone()
  return string.format("+254%09d", 700000000 + (tid - 1) * 3125000 + slot * 100000 +
    sessions % 100000)
end

function request()
  if step == 0 or step > #texts then new_session() end
  local body = "sessionId=bench-" .. run .. "-" .. journey .. "-" .. tid .. "-" .. sessions ..
    "&serviceCode=" .. urlencode("*384*1919#") .. "&phoneNumber=" .. urlencode(phone()) ..
    "&networkCode=63902&text=" .. urlencode(texts[step])
  return wrk.format(nil, nil, nil, body)
end

local function matches_any(body, patterns)
  for _, pattern in ipairs(patterns) do
    if string.find(body, pattern) then return true end
  end
  return false
end

-- Right: HTTP 200, "CON " on every hop but the last (an "END " there ended the session early),
-- and on the last hop "CON " or "END " with the expected answer.
local function right(status, body)
  local prefix = string.sub(body, 1, 4)
  if status ~= 200 or (prefix ~= "CON " and prefix ~= "END ") then return false end
  if step < #texts then return prefix == "CON " end
  return matches_any(body, spec.answer)
end

function response(status, headers, body)
  if transcript then
    transcript:write(texts[step], " => ", status, " ", (string.gsub(body, "\n", "|")), "\n")
    transcript:flush()
  end
  if right(status, body) then
    step = step + 1
    return
  end
  errors = errors + 1
  if errors <= 3 then
    io.stderr:write("unexpected reply (", status, ") to '", texts[step], "': ", body, "\n")
  end
  step = #texts + 1  -- abandon the session: the next request dials a new one
end

function done(summary, latency, requests)
  local errors = 0
  for _, thread in ipairs(threads) do errors = errors + thread:get("errors") end
  local e = summary.errors
  io.write(string.format("RESULT journey=%s hops=%d hops_per_s=%.0f p50_ms=%.2f p99_ms=%.2f" ..
    " errors=%d socket_errors=%d\n", journey, summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors, e.connect + e.read + e.write + e.timeout))
end
