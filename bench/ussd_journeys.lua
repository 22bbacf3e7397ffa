-- wrk script: every connection walks whole USSD sessions, hop by hop, exactly as AT posts them.
-- Run with as many threads as connections (-t32 -c32) so each Lua state drives one session.
-- JOURNEY=status|booking, TOKEN=callback token, BENCH_REFS=comma-separated document references.

local journey = os.getenv("JOURNEY") or "status"
local token = os.getenv("TOKEN") or ""
local refs = {}
for ref in string.gmatch(os.getenv("BENCH_REFS") or "HK-ID-100000", "[^,]+") do
  refs[#refs + 1] = ref
end

local threads = {}
local counter = 0
-- Session ids unique to this run: a later run must not find an earlier run's sessions.
local run = os.getenv("RUN_ID") or tostring(os.time())

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  sessions, step, errors, hops = 0, 0, 0, 0
  steps = {}
  wrk.method = "POST"
  wrk.path = "/ussd?token=" .. token
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local function new_session()
  sessions = sessions + 1
  step = 1
  if journey == "status" then
    local ref = refs[math.random(#refs)]
    steps = {"", "1", "1*1", "1*1*" .. ref}
  else
    local day, time = math.random(3), math.random(6)
    local prefix = "2*1*1*1*" .. day .. "*" .. time
    steps = {"", "2", "2*1", "2*1*1", "2*1*1*1", "2*1*1*1*" .. day, prefix,
             prefix .. "*12345678", prefix .. "*12345678*1"}
  end
end

function request()
  if step == 0 or step > #steps then new_session() end
  -- A phone per session and journey: a status session left open must not offer "Continue" here.
  local phone = string.format("+2547%d%02d%05d", journey == "status" and 1 or 2, tid,
    sessions % 100000)
  local body = "sessionId=bench-" .. run .. "-" .. journey .. "-" .. tid .. "-" .. sessions ..
    "&serviceCode=" .. urlencode("*384*1919#") .. "&phoneNumber=" .. urlencode(phone) ..
    "&networkCode=63902&text=" .. urlencode(steps[step])
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  hops = hops + 1
  local last = step == #steps
  local prefix = string.sub(body, 1, 4)
  local ok = status == 200 and (prefix == "CON " or (last and prefix == "END "))
  if journey == "booking" and last and not string.find(body, "HKA%-") then ok = false end
  if not ok then
    errors = errors + 1
    if errors <= 3 then
      io.stderr:write("unexpected reply (" .. status .. ") to " .. steps[step] .. ": " .. body .. "\n")
    end
    step = #steps + 1
  else
    step = step + 1
  end
end

function done(summary, latency, requests)
  local errors = 0
  for _, thread in ipairs(threads) do errors = errors + thread:get("errors") end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT journey=%s hops=%d hops_per_s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d socket_errors=%d\n",
    journey, summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
    summary.errors.timeout))
end
