#!/usr/bin/env bash
# Runs schemathesis (from PyPI) against a live `vlm-audit serve` with docs/openapi.json: it generates requests
# for every operation and fails on any server error (5xx) or any answer that breaks the document (status,
# content type, headers, body schema), and checks that every protected operation refuses a missing token.
# Needs: pip install schemathesis. Uses its own throwaway cluster; prints schemathesis's summary.
#   scripts/api-conformance.sh [--max-examples N]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${2:-100}
command -v schemathesis >/dev/null || { echo "schemathesis is not installed: pip install schemathesis" >&2; exit 2; }
source scripts/lib/throwaway-cluster.sh

# Data, so that the read operations answer 200 as well as 404: a small simulated fleet, calibrated and drift-checked.
"$bin" simulate --out "$work/sim" --models 2 --per-model 400 --months 2 --seed 5 >/dev/null
"$bin" ingest predictions "$work"/sim/predictions-*.jsonl >/dev/null
"$bin" ingest labels "$work/sim/labels.jsonl" >/dev/null
now=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["now"])' "$work/sim/manifest.json")
"$bin" recalibrate --all --as-of "$now" --target-risk 0.4 >/dev/null || true
"$bin" drift --all --as-of "$now" >/dev/null || true   # exit 3 (ALERT) is a finding, not a failure here
token=$("$bin" token create --name schemathesis --scope admin 2>/dev/null)

"$bin" serve --port 0 > "$work/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; env -u DATABASE_URL "$bin" db stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o "http://[0-9.:]*" "$work/serve.log" | head -1)
echo "server at $url"

status=0
schemathesis run docs/openapi.json --url "$url" -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth \
    --max-examples "$examples" --generation-deterministic --workers 2 || status=$?
if grep -q "request failed" "$work/serve.log"; then
    echo "server errors logged:"
    grep -A2 "request failed" "$work/serve.log" | head -40
fi
exit $status
