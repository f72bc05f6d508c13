-- wrk script: POST new prediction records to /v1/predictions, unique ids per thread and run.
--   BATCH=500   arrays of 500 records per request (throughput)
--   BATCH=1     one record object per request; with DELAY_MS each connection pauses between requests, so the
--               offered rate is fixed (connections / (latency + pause)) rather than as fast as possible (latency)
local batch = tonumber(os.getenv("BATCH") or "500")
local pause = tonumber(os.getenv("DELAY_MS") or "0")
local token = os.getenv("TOKEN")
local run = os.getenv("RUN") or tostring(os.time())
local template = '{"prediction_id":"%s-%d","model":"bench-m%d","site":"site-a","occurred_at":"2026-10-05T09:12:00Z",'
  .. '"attributes":{"modality":"CT","question_type":"abnormality"},"options":["A","B","C","D","E"],'
  .. '"option_logits":[2.1,0.3,-0.4,0.1,-1.2],"predicted":0,"confidence":{"verbalized":0.8},'
  .. '"uncertainty":{"semantic_entropy":1.25}}'
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

function init(args)
  prefix = run .. "-" .. thread_id
  counter = 0
  headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

if pause > 0 then
  function delay()
    return pause
  end
end

function request()
  if batch == 1 then
    counter = counter + 1
    return wrk.format("POST", "/v1/predictions", headers, string.format(template, prefix, counter, 9))
  end
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    parts[i] = string.format(template, prefix, counter, counter % 4)
  end
  return wrk.format("POST", "/v1/predictions", headers, "[" .. table.concat(parts, ",") .. "]")
end
