#!/usr/bin/env bash
# Threshold monitor update cost (docs/monitor.md): the time of `vlm-audit monitor` reading one batch of new labels,
# with 10^3 labels already in the model's stream and again with 10^6 (default; the first argument sets it). The monitor
# reads only the labels of ingest batches after its cursor, so the two must be about equal.
# Target: median(10^6) / median(10^3) <= 1.5.
# Usage: Benchmarks/run-monitor.sh [big-stream] [batch] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
big=${1:-1000000}
batch=${2:-500}
rounds=${3:-5}
source scripts/lib/throwaway-cluster.sh
model=llava-med-7b   # the name the simulator gives a one-model fleet

simulate() {   # simulate MONTH COUNT SEED -> folder; every prediction an audit member (rate 1), almost all labeled
    "$bin" simulate --out "$work/$1" --models 1 --per-model "$2" --months 1 --start "$1" --seed "$3" --no-drift --audit-rate 1 >/dev/null 2>&1
    echo "$work/$1"
}
load() {       # load FOLDER: predictions, then labels without the automatic look
    "$bin" ingest predictions --quiet --batch-size 50000 "$1"/predictions-*.jsonl >/dev/null 2>&1
    "$bin" ingest labels --quiet --skip-monitor --batch-size 50000 "$1/labels.jsonl" >/dev/null 2>&1
}
seconds() {    # wall seconds of one `monitor` look
    python3 - "$bin" "$model" <<'PY'
import subprocess, sys, time
start = time.perf_counter()
run = subprocess.run([sys.argv[1], "monitor", "--model", sys.argv[2], "--json"], capture_output=True, text=True)
if run.returncode not in (0, 3):
    sys.exit(run.stderr)
print(f"{time.perf_counter() - start:.4f}")
PY
}

# A version fitted on January, active, watching everything after it (the audit plan covers every prediction).
"$bin" audit plan create --model "$model" --rate 1 --effective-from 2025-12-01 --new-model --by bench --reason "benchmark" >/dev/null 2>&1
load "$(simulate 2026-01 3000 1)"
"$bin" recalibrate --model "$model" --as-of 2026-02-01 --window 60d --min-fit 0 --target-risk 0.5 --by bench >/dev/null 2>&1
"$bin" calibration list --model "$model" | grep -q active || { echo "no active version: nothing to benchmark" >&2; exit 1; }

measure() {    # measure FIRST-MONTH-INDEX: $rounds looks, each at one new batch of $batch labels; prints the median
    local times=()
    for round in $(seq 1 "$rounds"); do
        local month
        month=$(printf "2027-%02d" $(( $1 + round )))
        load "$(simulate "$month" "$batch" $(( 100 + $1 + round )))"
        times+=("$(seconds)")
    done
    printf "%s\n" "${times[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p"
}

load "$(simulate 2026-02 1000 2)"
"$bin" monitor --model "$model" >/dev/null 2>&1 || true
small_t=$("$bin" monitor --model "$model" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["t"])' || true)
small=$(measure 0)
echo "stream of $small_t accepted labels: one look at $batch new labels takes $small s (median of $rounds)"

echo "setting up: $big more predictions and their labels …"
load "$(simulate 2026-03 "$big" 3)"
"$bin" monitor --model "$model" >/dev/null 2>&1 || true   # reads them all once
big_t=$("$bin" monitor --model "$model" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["t"])' || true)
large=$(measure 6)
echo "stream of $big_t accepted labels: one look at $batch new labels takes $large s (median of $rounds)"
python3 - "$small" "$large" <<'PY'
import sys
small, large = map(float, sys.argv[1:])
ratio = large / small
print(f"ratio {ratio:.2f} (target <= 1.5): {'met' if ratio <= 1.5 else 'NOT met'}")
sys.exit(0 if ratio <= 1.5 else 1)
PY
