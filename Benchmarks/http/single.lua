-- wrk script: one new prediction per request, each connection pausing DELAY_MS between requests, so that
-- the offered rate is fixed (connections / (latency + delay)) rather than as fast as possible.
local token = os.getenv("TOKEN")
local run = os.getenv("RUN") or tostring(os.time())
local pause = tonumber(os.getenv("DELAY_MS") or "10")
local template = '{"prediction_id":"%s-%d","model":"bench-single","occurred_at":"2026-10-05T09:12:00Z",'
  .. '"options":["A","B","C","D"],"option_probs":[0.55,0.25,0.15,0.05],"predicted":0,"confidence":{"verbalized":0.7}}'
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

function init(args)
  prefix = "one-" .. run .. "-" .. thread_id
  counter = 0
  headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function delay()
  return pause
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/v1/predictions", headers, string.format(template, prefix, counter))
end
