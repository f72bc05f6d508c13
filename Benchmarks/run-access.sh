#!/usr/bin/env bash
# The access log's cost on the HTTP read path, side by side: the same reads (wrk, GET with a read token, 2 threads ×
# 4 connections) against a release `vlm-audit serve` built from this tree, which records every read, and one built from
# the commit before the access log existed (a git worktree), each on its own throwaway cluster with the same simulated
# fleet. Prints requests/s of both, their ratio (target >= 0.9), and checks that every read of this tree's run left
# exactly one access event. Needs wrk (apt-get install wrk).
# Usage: Benchmarks/run-access.sh [seconds] [baseline-commit]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
baseline=${2:-$(git rev-parse "$(git log --diff-filter=A --format=%H -- Migrations/0012_access_events.sql | tail -1)^")}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 2; }
source scripts/lib/throwaway-cluster.sh
current=$bin
echo "baseline: $(git log --format='%h %s' -1 "$baseline" | cut -c1-100)"
# The baseline's checkout and build are kept between runs (a release build from scratch takes minutes).
base_tree=${VLM_AUDIT_BASELINE_TREE:-${TMPDIR:-/tmp}/vlm-audit-baseline-$(git rev-parse --short "$baseline")}
[ -d "$base_tree" ] || git worktree add --detach "$base_tree" "$baseline" >/dev/null 2>&1
echo "building the baseline (release) in $base_tree …"
(cd "$base_tree" && swift build -c release --product vlm-audit >/dev/null 2>&1)
base_bin=$base_tree/.build/release/vlm-audit
"$current" simulate --out "$work/data" --models 4 --per-model 2000 --months 1 --start 2026-11 --no-drift >/dev/null 2>&1

# serve NAME BINARY: a populated store served by BINARY; GETs for $seconds; prints requests/s into $work/NAME.rps.
serve() {
    local name=$1 binary=$2
    export VLM_AUDIT_HOME=$work/home-$name
    "$binary" ingest predictions "$work"/data/predictions-*.jsonl >/dev/null 2>&1
    "$binary" ingest labels "$work/data/labels.jsonl" >/dev/null 2>&1
    "$binary" recalibrate --all --as-of 2026-12-05 --min-fit 0 >/dev/null 2>&1  # an active version: the read answers 200
    local token model
    token=$("$binary" token create --name "bench-$name" --scope read 2>/dev/null)
    model=$(head -1 "$work"/data/predictions-*.jsonl | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['model'])")
    "$binary" serve --port 0 --connections 4 > "$work/serve-$name.log" 2>&1 &
    local server=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/serve-$name.log" && break; sleep 0.1; done
    local url
    url=$(grep -o "http://[0-9.:]*" "$work/serve-$name.log" | head -1)
    wrk -t2 -c4 -d"${seconds}s" -H "Authorization: Bearer $token" "$url/v1/models/$model/calibration" > "$work/$name.wrk"
    kill -TERM $server; wait $server 2>/dev/null || true
    awk '/Requests\/sec/ {print $2}' "$work/$name.wrk" > "$work/$name.rps"
    awk '/requests in/ {print $1}' "$work/$name.wrk" > "$work/$name.requests"
    echo "$name: $(cat "$work/$name.rps") requests/s ($(cat "$work/$name.requests") requests, $(awk '/Non-2xx/ {print $NF}' "$work/$name.wrk") non-2xx)"
    env -u DATABASE_URL "$binary" db stop >/dev/null 2>&1 || true
}

serve baseline "$base_bin"
serve current "$current"
export VLM_AUDIT_HOME=$work/home-current
logged=$("$current" access-log --json --limit 10000000 2>/dev/null | grep -c '"action":"GET /v1/models/{model}/calibration"' || true)
env -u DATABASE_URL "$current" db stop >/dev/null 2>&1 || true
python3 - "$(cat "$work/baseline.rps")" "$(cat "$work/current.rps")" "$(cat "$work/current.requests")" "$logged" <<'PY'
import sys
base, current, requests, logged = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ratio = current / base
print(f"access log on / off: {ratio:.3f} (target >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'})")
print(f"reads answered {requests}, access events stored for them {logged}: {'every read logged' if logged >= requests else 'MISSING EVENTS'}")
sys.exit(0 if logged >= requests else 1)
PY
