#!/usr/bin/env bash
# The access log's cost on the HTTP read path, side by side: the same reads (wrk, GET with a read token, 2 threads ×
# 4 connections) against a release `vlm-audit serve` built from this tree, which records every read, and one built from
# the commit before the access log existed (a git worktree), each on its own throwaway cluster with the same simulated
# fleet. Two reads: the cheapest (a model's active calibration, one indexed query: the worst case for a per-read cost)
# and a typical one (a model's evaluation over a week). Prints requests/s of both builds, their ratio (target >= 0.9),
# and checks that every read of this tree's runs left exactly one access event. Needs wrk (apt-get install wrk).
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
    # An active version of every model, so that the calibration read answers 200 (without an audit sample a version is
    # never activated automatically: a person signs it in).
    "$binary" recalibrate --all --as-of 2026-12-05 --min-fit 0 --target-risk 0.45 --propose-only >/dev/null 2>&1
    for version in 1 2 3 4; do "$binary" calibration activate $version --by bench --reason bench >/dev/null 2>&1 || true; done
    local token model
    token=$("$binary" token create --name "bench-$name" --scope read 2>/dev/null)
    model=$(head -1 "$work"/data/predictions-*.jsonl | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['model'])")
    "$binary" serve --port 0 --connections 4 > "$work/serve-$name.log" 2>&1 &
    local server=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/serve-$name.log" && break; sleep 0.1; done
    local url
    url=$(grep -o "http://[0-9.:]*" "$work/serve-$name.log" | head -1)
    for read in calibration evaluation; do
        local path="/v1/models/$model/calibration"
        [ "$read" = evaluation ] && path="/v1/models/$model/evaluation?from=2026-11-20&to=2026-11-27"
        wrk -t2 -c4 -d"${seconds}s" -H "Authorization: Bearer $token" "$url$path" > "$work/$name-$read.wrk"
        awk '/Requests\/sec/ {print $2}' "$work/$name-$read.wrk" > "$work/$name-$read.rps"
        awk '/requests in/ {print $1}' "$work/$name-$read.wrk" > "$work/$name-$read.requests"
        echo "$name, $read: $(cat "$work/$name-$read.rps") requests/s ($(cat "$work/$name-$read.requests") requests," \
            "$(awk '/Non-2xx/ {print $NF}' "$work/$name-$read.wrk") non-2xx)"
    done
    kill -TERM $server; wait $server 2>/dev/null || true
    env -u DATABASE_URL "$binary" db stop >/dev/null 2>&1 || true
}

serve baseline "$base_bin"
serve current "$current"
export VLM_AUDIT_HOME=$work/home-current
"$current" access-log --json --limit 10000000 > "$work/access.jsonl" 2>/dev/null
env -u DATABASE_URL "$current" db stop >/dev/null 2>&1 || true
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
read = lambda name: open(f"{work}/{name}").read().strip()
logged = {"calibration": 0, "evaluation": 0}
for line in open(f"{work}/access.jsonl"):
    action = json.loads(line)["action"]
    for name in logged:
        if action.endswith("/" + name):
            logged[name] += 1
missing = False
for name in ("calibration", "evaluation"):
    base, current = float(read(f"baseline-{name}.rps")), float(read(f"current-{name}.rps"))
    requests = int(read(f"current-{name}.requests"))
    ratio = current / base
    print(f"{name}: access log on / off {ratio:.3f} (target >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'}); "
          f"{requests} reads answered, {logged[name]} access events stored for them")
    missing |= logged[name] < requests
print("every read logged" if not missing else "MISSING EVENTS")
sys.exit(1 if missing else 0)
PY
