#!/usr/bin/env bash
# The client's share of file ingest, without a database: simulated prediction lines read, validated, derived, hashed
# and encoded for COPY by the direct path that `vlm-audit ingest` uses, side by side with the general path (JSON tree,
# validator, record) on the same lines in memory. Prints CPU microseconds per record for both (this thread's CPU time,
# steadier here than wall time); the two paths must prepare the same batches.
# Usage: Benchmarks/run-ingest-reader.sh [per-model] [rounds]   (12 models; default 23 000 per model, about 275 k lines)
set -euo pipefail
cd "$(dirname "$0")/.."
per_model=${1:-23000}
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build -c release --product vlm-audit >/dev/null
VLM_AUDIT_BENCHMARKS=1 swift build -c release --product IngestReaderBenchmark >/dev/null
.build/release/vlm-audit simulate --out "$work/data" --per-model "$per_model" --months 1 --no-drift >/dev/null 2>&1
cat "$work"/data/predictions-*.jsonl > "$work/all.jsonl"
"$(VLM_AUDIT_BENCHMARKS=1 swift build -c release --show-bin-path 2>/dev/null)/IngestReaderBenchmark" "$work/all.jsonl" "$rounds"
