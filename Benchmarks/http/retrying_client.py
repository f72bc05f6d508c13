"""A client that keeps retrying until every batch is acknowledged, as a deployed service's logger would.

Posts TOTAL new prediction records in batches of BATCH to URL with TOKEN; a batch that fails (connection
refused or reset, 503, timeout) is sent again, unchanged, after a short pause. Prints how many attempts
failed and were retried. Standard library only.
"""
import http.client, json, sys, time, urllib.parse

url, token, total, batch, run = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
target = urllib.parse.urlparse(url)
record = ('{"prediction_id":"retry-%s-%d","model":"bench-retry","occurred_at":"2026-10-05T09:12:00Z",'
          '"options":["A","B","C","D"],"option_logits":[1.5,0.2,-0.3,-1.0],"predicted":0}')
failures, inserted, duplicates = 0, 0, 0
for start in range(0, total, batch):
    body = "[" + ",".join(record % (run, i) for i in range(start, min(total, start + batch))) + "]"
    while True:
        try:
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            connection.request("POST", "/v1/predictions", body,
                               {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            connection.close()
            if response.status == 200:
                answer = json.loads(payload)
                inserted += answer["inserted"]
                duplicates += answer["duplicates"]
                if answer["rejected"]:
                    sys.exit("rejected records: %s" % payload[:300])
                break
            if response.status != 503:
                sys.exit("unexpected status %d: %s" % (response.status, payload[:300]))
        except (ConnectionError, OSError, http.client.HTTPException):
            pass
        failures += 1
        time.sleep(0.2)
print(json.dumps({"sent": total, "inserted": inserted, "duplicates": duplicates, "retried_attempts": failures}))
