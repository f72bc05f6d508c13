#!/usr/bin/env bash
# HTTP load on loopback against a release `vlm-audit serve` on a throwaway cluster:
#  1. batched ingestion with wrk (arrays of BATCH new records): predictions/s, and the rows really stored;
#  2. single records at a fixed offered rate (wrk with a pause per connection): p50 / p90 / p99 latency;
#  3. a PostgreSQL restart (fast mode) in the middle of a run of a retrying client: exact row counts after.
# Target (issue 8): batched ≥ 20 000 predictions/s. Needs wrk (apt-get install wrk) and python3.
# Usage: Benchmarks/run-http.sh [seconds] [batch]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
batch=${2:-500}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 2; }
source scripts/lib/throwaway-cluster.sh

"$bin" migrate >/dev/null
token=$("$bin" token create --name load --scope ingest,read 2>/dev/null)
"$bin" serve --port 0 --connections 4 > "$work/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; env -u DATABASE_URL "$bin" db stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o "http://[0-9.:]*" "$work/serve.log" | head -1)
socket=$(cluster_socket)
count() { psql -X -qAt -h "$socket" -U vlm_audit -d vlm_audit -c "SELECT count(*) FROM predictions WHERE model LIKE '$1'"; }

echo "== batched ingestion: $batch records per request, 2 threads × 4 connections, ${seconds}s"
TOKEN=$token BATCH=$batch RUN=batch wrk -t2 -c4 -d"${seconds}s" --timeout 30s -s Benchmarks/http/ingest.lua "$url" > "$work/batch.txt"
cat "$work/batch.txt"
requests=$(awk '/requests in/ {print $1}' "$work/batch.txt")
errors=$(awk '/Non-2xx/ {print $NF}' "$work/batch.txt"); errors=${errors:-0}
stored=$(count 'bench-m_')
python3 - "$requests" "$batch" "$seconds" "$stored" "$errors" <<'PY'
import sys
requests, batch, seconds, stored, errors = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
print(f"batched: {requests} requests, {requests * batch} records acknowledged, {stored} rows stored, {errors} non-2xx")
print(f"batched: {stored / seconds:,.0f} predictions/s stored (target 20,000)")
PY

echo "== single records at a fixed offered rate: 4 connections, each pausing 20 ms (≈ 190 requests/s offered)"
TOKEN=$token BATCH=1 RUN=single DELAY_MS=20 wrk -t2 -c4 -d"${seconds}s" --latency --timeout 10s -s Benchmarks/http/ingest.lua "$url" > "$work/single.txt"
grep -E "requests in|Requests/sec|50%|90%|99%|Non-2xx" "$work/single.txt"
echo "single: $(count 'bench-m9') rows stored"

echo "== PostgreSQL restarted (fast) while a retrying client posts 40 000 records in batches of 200"
python3 Benchmarks/http/retrying_client.py "$url" "$token" 40000 200 "$(date +%s)" > "$work/retry.json" &
client=$!
sleep 2
env -u DATABASE_URL "$bin" db stop >/dev/null
sleep 1
env -u DATABASE_URL "$bin" db start >/dev/null
wait $client
cat "$work/retry.json"
stored=$(count 'bench-retry')
echo "restart: $stored rows stored of 40000 sent"
"$bin" verify >/dev/null && echo "restart: verify intact" || { echo "restart: verify FAILED"; exit 1; }
[ "$stored" = 40000 ] || { echo "restart: row count is wrong"; exit 1; }
