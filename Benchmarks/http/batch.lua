-- wrk script: POST arrays of BATCH new prediction records (unique ids per thread and run) to /v1/predictions.
local batch = tonumber(os.getenv("BATCH") or "500")
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
  prefix = "wrk-" .. run .. "-" .. thread_id
  counter = 0
  headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function request()
  local parts = {}
  for i = 1, batch do
    counter = counter + 1
    parts[i] = string.format(template, prefix, counter, counter % 4)
  end
  return wrk.format("POST", "/v1/predictions", headers, "[" .. table.concat(parts, ",") .. "]")
end
