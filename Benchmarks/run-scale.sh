#!/usr/bin/env bash
# A store that grows: the same month's `report monthly` and `verify` on a store holding 1 month and on one holding
# 12 months of the same daily volume (12 models, N clean predictions per model and month, labels, NOTA probes).
# Each store is used as the product means it to be: the months before the report month are ingested, `verify
# --checkpoint` seals them, then the report month's predictions and the labels reviewed from its first day on arrive.
# Prints, per store, the report's wall time and peak memory, the incremental `verify`, and `verify --full`; then the
# ratios (12 months / 1 month). Targets (issue #24): report ratio <= 1.2, incremental verify ratio <= 1.2, memory flat.
# Usage: Benchmarks/run-scale.sh [per-model-per-month]   (default 10000: 1.44 M predictions in the 12-month store)
set -euo pipefail
cd "$(dirname "$0")/.."
per_month=${1:-10000}
month=2026-11
source scripts/lib/throwaway-cluster.sh
results=$work/results.txt

# run LABEL COMMAND…: wall seconds and peak memory (MB) of one command, appended to $results.
measure() {
    python3 - "$results" "$@" <<'PY'
import resource, subprocess, sys, time
results, label, command = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.perf_counter()
run = subprocess.run(command, capture_output=True, text=True)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
tail = run.stderr.strip().splitlines()
if run.returncode != 0:
    sys.exit(f"{label}: exit {run.returncode}: {' | '.join(tail[-3:])}")
with open(results, "a") as out:
    out.write(f"{label}\t{seconds:.2f}\t{peak:.0f}\n")
detail = next((line for line in tail if line.startswith("verified range:")), tail[-1] if tail else "")
print(f"  {label:<28} {seconds:7.2f} s  {peak:6.0f} MB   {detail}")
PY
}

store() {  # store MONTHS: builds a store of MONTHS months ending with $month and measures it
    local months=$1 home=$work/home-$1 data=$work/data-$1 start
    start=$(python3 -c "y,m=map(int,'$month'.split('-')); m-=$months-1
while m<1: m+=12; y-=1
print(f'{y:04d}-{m:02d}')")
    export VLM_AUDIT_HOME=$home
    "$bin" simulate --out "$data" --per-model $((per_month * months)) --months "$months" --start "$start" --no-drift >/dev/null 2>&1
    python3 - "$data" "$month" <<'PY'
import sys, json, os
data, month = sys.argv[1], sys.argv[2]
with open(f"{data}/labels.jsonl") as labels, open(f"{data}/labels-before.jsonl", "w") as before, open(f"{data}/labels-month.jsonl", "w") as during:
    for line in labels:
        (before if json.loads(line)["reviewed_at"][:7] < month else during).write(line)
PY
    local history=() total
    for file in "$data"/predictions-*.jsonl; do [[ $file == *"$month"* ]] || history+=("$file"); done
    total=$(cat "$data"/predictions-*.jsonl | wc -l)
    echo "store of $months month(s): $total predictions (${#history[@]} months of history, then $month)"
    if [ ${#history[@]} -gt 0 ]; then
        "$bin" ingest predictions --batch-size 50000 "${history[@]}" >/dev/null 2>&1
    fi
    "$bin" ingest labels --batch-size 50000 "$data/labels-before.jsonl" >/dev/null 2>&1
    if [ ${#history[@]} -gt 0 ]; then "$bin" verify --checkpoint >/dev/null 2>&1; fi
    "$bin" ingest predictions --batch-size 50000 "$data/predictions-$month.jsonl" >/dev/null 2>&1
    "$bin" ingest labels --batch-size 50000 "$data/labels-month.jsonl" >/dev/null 2>&1
    "$bin" recalibrate --all --as-of 2026-12-04 --min-fit 0 >/dev/null 2>&1
    measure "report monthly ($months mo)" "$bin" report monthly --month "$month" --out "$work/reports-$months"
    measure "verify ($months mo)" "$bin" verify
    measure "verify --full ($months mo)" "$bin" verify --full
    if [ "$months" -eq 12 ]; then  # what a row costs on disk, for docs/scaling.md's arithmetic
        psql -X -q -h "$(cluster_socket)" -U vlm_audit -d vlm_audit -P footer=off -c "
            SELECT relname AS table_name, n AS row_count,
                   round(pg_table_size(c.oid)::numeric / greatest(n, 1)) AS table_bytes_per_row,
                   round(pg_indexes_size(c.oid)::numeric / greatest(n, 1)) AS index_bytes_per_row,
                   pg_size_pretty(pg_total_relation_size(c.oid)) AS total
            FROM (VALUES ('predictions', (SELECT count(*) FROM predictions)), ('ground_truth', (SELECT count(*) FROM ground_truth)),
                         ('quarantine', (SELECT count(*) FROM quarantine))) AS t(relname, n)
            JOIN pg_class c USING (relname)"
    fi
    env -u DATABASE_URL "$bin" db stop >/dev/null 2>&1 || true
    rm -rf "$data"
}

store 1
store 12
python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, seconds, peak = line.rstrip("\n").split("\t")
    rows[label] = (float(seconds), float(peak))
def ratio(name):
    one, twelve = rows[f"{name} (1 mo)"], rows[f"{name} (12 mo)"]
    return twelve[0] / one[0], twelve[1] / one[1]
for name, target in [("report monthly", 1.2), ("verify", 1.2), ("verify --full", None)]:
    time_ratio, memory_ratio = ratio(name)
    verdict = "" if target is None else (f"  target <= {target}: " + ("met" if time_ratio <= target else "NOT met"))
    print(f"{name:<16} 12 months / 1 month: time {time_ratio:.2f}x, peak memory {memory_ratio:.2f}x{verdict}")
PY
