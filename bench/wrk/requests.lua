-- wrk script for every server the bench drives (ours, the baseline, DRF).
-- REQUESTS_FILE holds one request a line: METHOD \t PATH \t AUTHORIZATION \t BODY
-- (AUTHORIZATION may be empty). Each thread cycles through the lines from its
-- own offset; "__ROLL__" in a body becomes a roll unique over the run:
-- ROLL_BASE + counter * threads + thread id. Requests without a roll are
-- formatted once, in init, so request() costs wrk almost nothing.
-- done() prints one line: RESULT {json}.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local lines = {}
local fixed = {}
local index = 0
local counter = 0
local base = tonumber(os.getenv("ROLL_BASE") or "0")
local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
statuses = {}
gqlErrors = 0
local checkErrors = os.getenv("CHECK_GRAPHQL_ERRORS") == "1"

local function split(line)
  local fields = {}
  local start = 1
  for _ = 1, 3 do
    local tab = string.find(line, "\t", start, true)
    table.insert(fields, string.sub(line, start, tab - 1))
    start = tab + 1
  end
  table.insert(fields, string.sub(line, start))
  return fields
end

local function format(f, body)
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  if f[3] ~= "" then headers["Authorization"] = f[3] end
  if f[1] == "GET" then headers["Content-Type"] = nil end
  return wrk.format(f[1], f[2], headers, body ~= "" and body or nil)
end

function init(args)
  local file = assert(io.open(os.getenv("REQUESTS_FILE"), "r"))
  for line in file:lines() do
    if line ~= "" then
      local f = split(line)
      table.insert(lines, f)
      if string.find(f[4], "__ROLL__", 1, true) then
        table.insert(fixed, false)
      else
        table.insert(fixed, format(f, f[4]))
      end
    end
  end
  file:close()
  index = (tid or 0) * 7919 % #lines
end

function request()
  index = index % #lines + 1
  local req = fixed[index]
  if req then return req end
  local roll = base + counter * nthreads + (tid or 0)
  counter = counter + 1
  local f = lines[index]
  return format(f, (string.gsub(f[4], "__ROLL__", tostring(roll))))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if checkErrors and status == 200 and string.find(body, '"errors"', 1, true) then
    gqlErrors = gqlErrors + 1
  end
end

function done(summary, latency, requests)
  local agg, errs = {}, 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do agg[code] = (agg[code] or 0) + n end
    errs = errs + t:get("gqlErrors")
  end
  local codes, non2xx = {}, 0
  for code, n in pairs(agg) do
    table.insert(codes, '"' .. code .. '":' .. n)
    if code < 200 or code > 299 then non2xx = non2xx + n end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"micros":%d,"p50":%.3f,"p99":%.3f,"max":%.3f,"non2xx":%d,"graphqlErrors":%d,' ..
    '"socketErrors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, non2xx, errs, e.connect + e.read + e.write + e.timeout,
    table.concat(codes, ",")))
end
