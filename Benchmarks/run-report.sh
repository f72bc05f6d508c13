#!/usr/bin/env bash
# Report speed and memory: 12 models × N predictions in one month (default 100 000, with labels, NOTA probes and
# 8 UE methods) → `vlm-audit report monthly`; prints wall time, peak memory and the database / computation split.
# Targets: <= 60 s and <= 1 GiB on a 2-core machine.
# Usage: Benchmarks/run-report.sh [per-model]
set -euo pipefail
cd "$(dirname "$0")/.."
per_model=${1:-100000}
source scripts/lib/throwaway-cluster.sh
"$bin" simulate --out "$work/data" --per-model "$per_model" --months 1 --start 2026-11 --no-drift >/dev/null 2>&1
echo "setting up: ingesting $(cat "$work"/data/predictions-*.jsonl | wc -l) predictions and their labels …"
"$bin" ingest predictions --batch-size 50000 "$work"/data/predictions-*.jsonl >/dev/null 2>&1
"$bin" ingest labels --batch-size 50000 "$work/data/labels.jsonl" >/dev/null 2>&1
"$bin" recalibrate --all --as-of 2026-12-04 --min-fit 0 >/dev/null 2>&1
python3 - "$bin" "$work/reports" <<'PY'
import resource, subprocess, sys, time
start = time.perf_counter()
run = subprocess.run([sys.argv[1], "report", "monthly", "--month", "2026-11", "--out", sys.argv[2]], capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "")
print(f"report monthly: {seconds:.1f} s wall, peak memory {peak:.0f} MB (targets: <= 60 s, <= 1024 MB); exit {run.returncode}")
sys.exit(run.returncode)
PY
