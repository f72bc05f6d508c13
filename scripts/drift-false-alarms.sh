#!/usr/bin/env bash
# Drift false-alarm rate: simulate fleets WITHOUT drift under N seeds (default 50), calibrate on the first two months,
# check the third, and count ALERTs per model. The target is at most 5 % per model.
# Usage: scripts/drift-false-alarms.sh [seeds] [models] [per-model] [first-seed]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-50}
models=${2:-3}
per_model=${3:-2400}
first_seed=${4:-1}
source scripts/lib/throwaway-cluster.sh
"$bin" db start >/dev/null 2>&1
socket=$(cluster_socket)
alerts=0
runs=0
for seed in $(seq "$first_seed" $((first_seed + seeds - 1))); do
    psql -X -q -h "$socket" -U vlm_audit -d postgres -c "CREATE DATABASE seed_$seed" >/dev/null
    export DATABASE_URL="host=$socket dbname=seed_$seed user=vlm_audit"
    "$bin" simulate --out "$work/data-$seed" --models "$models" --per-model "$per_model" --seed "$seed" --no-drift >/dev/null 2>&1
    "$bin" ingest predictions "$work"/data-"$seed"/predictions-*.jsonl >/dev/null 2>&1
    "$bin" ingest labels "$work/data-$seed/labels.jsonl" >/dev/null 2>&1
    "$bin" recalibrate --all --as-of 2026-11-01 --min-fit 0 >/dev/null 2>&1
    # drift exits 3 when a model is in ALERT: that is what is being counted, not a failure of this script.
    statuses=$({ "$bin" drift --current 2026-11-01..2026-12-04 --json 2>/dev/null || true; } | python3 -c "import json,sys; print(' '.join(r['status'] for r in json.load(sys.stdin)))")
    for status in $statuses; do
        runs=$((runs + 1))
        [ "$status" = "ALERT" ] && alerts=$((alerts + 1))
    done
    echo "seed $seed: $statuses"
    rm -rf "$work/data-$seed"
done
python3 -c "import sys; a, r = int(sys.argv[1]), int(sys.argv[2]); print(f'false alarms: {a} ALERT of {r} model-checks = {100 * a / r:.1f} % (target <= 5 % per model)'); sys.exit(0 if a / r <= 0.05 else 1)" "$alerts" "$runs"
