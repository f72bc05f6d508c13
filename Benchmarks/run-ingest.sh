#!/usr/bin/env bash
# Ingest speed: the same prediction records loaded by `vlm-audit ingest` (JSON Lines: parse, validate, derive scores,
# hash, look up existing ids, COPY into predictions, chain) and by `psql \copy` (CSV into an equivalent plain table with
# no keys, triggers or checks; and, for the record, into one with the keys of `predictions`), side by side on one
# throwaway cluster. Prints rows/s, the ratio and where the time goes.
# Usage: Benchmarks/run-ingest.sh [per-model] [rounds]
#   12 models; the default 76 000 per model gives about 1 M records. With rounds > 1, the plain \copy, the ingest
#   (into a fresh database) and the server's floor are repeated side by side that many times in all and the medians are
#   printed too: this machine's speed drifts by a third within minutes, so one set of loads can mislead either way.
set -euo pipefail
cd "$(dirname "$0")/.."
per_model=${1:-76000}
rounds=${2:-1}
source scripts/lib/throwaway-cluster.sh

"$bin" simulate --out "$work/data" --per-model "$per_model" --months 1 --no-drift >/dev/null 2>&1
cat "$work"/data/predictions-*.jsonl > "$work/all.jsonl"
rows=$(wc -l < "$work/all.jsonl")
python3 - "$work/all.jsonl" "$work/all.csv" <<'PY'
import csv, json, sys
def array(values, quote=False):
    if values is None: return None
    return "{" + ",".join(('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"') if quote else repr(float(v)) for v in values) + "}"
columns = ["prediction_id", "model", "model_version", "site", "occurred_at", "case_ref", "image_ref", "attributes", "question",
           "options", "option_logits", "option_probs", "predicted", "confidence", "uncertainty", "perturbation_kind",
           "perturbation_of", "label", "escalated", "calibration_version"]
with open(sys.argv[1]) as source, open(sys.argv[2], "w", newline="") as target:
    out = csv.writer(target)
    out.writerow(columns)
    for line in source:
        r = json.loads(line)
        p = r.get("perturbation") or {}
        out.writerow([r["prediction_id"], r["model"], r.get("model_version"), r.get("site"), r["occurred_at"], r.get("case_ref"),
                      r.get("image_ref"), json.dumps(r.get("attributes", {})), r.get("question"), array(r["options"], True),
                      array(r.get("option_logits")), array(r.get("option_probs")), r["predicted"], json.dumps(r.get("confidence", {})),
                      json.dumps(r.get("uncertainty", {})), p.get("kind"), p.get("of"), r.get("label"), r.get("escalated"),
                      r.get("calibration_version")])
PY

"$bin" migrate >/dev/null 2>&1
socket=$(cluster_socket)
psql=(psql -X -q -h "$socket" -U vlm_audit -d vlm_audit -v ON_ERROR_STOP=1)
plain_columns="prediction_id text, model text, model_version text, site text,
    occurred_at timestamptz, case_ref text, image_ref text, attributes jsonb, question text, options text[],
    option_logits float8[], option_probs float8[], predicted int, confidence jsonb, uncertainty jsonb,
    perturbation_kind text, perturbation_of text, label int, escalated boolean, calibration_version bigint"
"${psql[@]}" -c "CREATE TABLE plain_predictions ($plain_columns)"
# WAL written by a load, in bytes: unlike its time, the same from run to run, so it shows the server's work plainly.
wal_position() { "${psql[@]}" -Atc "SELECT pg_current_wal_insert_lsn()"; }
wal_since() { "${psql[@]}" -Atc "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$1')::bigint"; }

# Each load starts from a quiet server: a checkpoint before the baseline, and the baseline's own aftermath (the
# autovacuum its 275 k+ inserted rows trigger, its dirty buffers) finished before vlm-audit's load starts.
"${psql[@]}" -c "CHECKPOINT"
wal=$(wal_position)
start=$(date +%s%N)
"${psql[@]}" -c "\\copy plain_predictions FROM '$work/all.csv' CSV HEADER"
copy_nanoseconds=$(( $(date +%s%N) - start ))
copy_wal=$(wal_since "$wal")
"${psql[@]}" -c "VACUUM (ANALYZE) plain_predictions" -c "CHECKPOINT"

# For the record, not the target: the same \copy into a table with the keys and indexes `predictions` has for these
# columns (primary key on prediction_id, (model, occurred_at), probes' perturbation_of): what the server alone spends
# on a keyed load in one process (vlm-audit commits on two connections, so two server processes share the work).
"${psql[@]}" -c "CREATE TABLE keyed_predictions (LIKE plain_predictions, PRIMARY KEY (prediction_id))" \
    -c "CREATE INDEX ON keyed_predictions (model, occurred_at)" \
    -c "CREATE INDEX ON keyed_predictions (perturbation_of) WHERE perturbation_of IS NOT NULL"
wal=$(wal_position)
start=$(date +%s%N)
"${psql[@]}" -c "\\copy keyed_predictions FROM '$work/all.csv' CSV HEADER"
keyed_nanoseconds=$(( $(date +%s%N) - start ))
keyed_wal=$(wal_since "$wal")
"${psql[@]}" -c "VACUUM (ANALYZE) keyed_predictions" -c "CHECKPOINT"

wal=$(wal_position)
start=$(date +%s%N)
summary=$("$bin" ingest predictions --json --batch-size 20000 "$work/all.jsonl" 2>/dev/null)
ingest_nanoseconds=$(( $(date +%s%N) - start ))
ingest_wal=$(wal_since "$wal")

# For the record too: the floor of this design on the server's side, for one connection. vlm-audit's own stored rows,
# exported in COPY's binary format and loaded by psql into an empty copy of `predictions` (every key and check) in one
# COPY: what one PostgreSQL process spends on storing these rows, with no client work at all.
"${psql[@]}" -c "VACUUM (ANALYZE) predictions" -c "\\copy predictions TO '$work/rows.bin' (FORMAT binary)" \
    -c "CREATE TABLE floor_predictions (LIKE predictions INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)" -c "CHECKPOINT"
wal=$(wal_position)
start=$(date +%s%N)
"${psql[@]}" -c "\\copy floor_predictions FROM '$work/rows.bin' (FORMAT binary)"
floor_nanoseconds=$(( $(date +%s%N) - start ))
floor_wal=$(wal_since "$wal")

# The same rows into a copy of `predictions` without its keys and indexes: what the keys cost the server.
"${psql[@]}" -c "CREATE TABLE keyless_predictions (LIKE predictions INCLUDING DEFAULTS)" -c "CHECKPOINT"
wal=$(wal_position)
start=$(date +%s%N)
"${psql[@]}" -c "\\copy keyless_predictions FROM '$work/rows.bin' (FORMAT binary)"
keyless_nanoseconds=$(( $(date +%s%N) - start ))
keyless_wal=$(wal_since "$wal")
"${psql[@]}" -c "DROP TABLE keyless_predictions"

# Further rounds: the plain \copy again (into a new table), the ingest into a fresh database and the server's floor
# again, in turn, so that every round has all three from the same minutes.
copy_rounds=$copy_nanoseconds
ingest_rounds=$ingest_nanoseconds
floor_rounds=$floor_nanoseconds
for round in $(seq 2 "$rounds"); do
    "${psql[@]}" -c "DROP TABLE plain_predictions" -c "CREATE TABLE plain_predictions ($plain_columns)" -c "CHECKPOINT"
    start=$(date +%s%N)
    "${psql[@]}" -c "\\copy plain_predictions FROM '$work/all.csv' CSV HEADER"
    copy_rounds="$copy_rounds,$(( $(date +%s%N) - start ))"
    "${psql[@]}" -c "VACUUM (ANALYZE) plain_predictions" -c "CREATE DATABASE ingest_round_$round" -c "CHECKPOINT"
    start=$(date +%s%N)
    DATABASE_URL="postgresql://vlm_audit@/ingest_round_$round?host=$socket" "$bin" ingest predictions --batch-size 20000 \
        "$work/all.jsonl" >/dev/null 2>&1
    ingest_rounds="$ingest_rounds,$(( $(date +%s%N) - start ))"
    "${psql[@]}" -c "DROP DATABASE ingest_round_$round"
    "${psql[@]}" -c "DROP TABLE floor_predictions" \
        -c "CREATE TABLE floor_predictions (LIKE predictions INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)" -c "CHECKPOINT"
    start=$(date +%s%N)
    "${psql[@]}" -c "\\copy floor_predictions FROM '$work/rows.bin' (FORMAT binary)"
    floor_rounds="$floor_rounds,$(( $(date +%s%N) - start ))"
done

python3 - "$rows" "$copy_nanoseconds" "$ingest_nanoseconds" "$summary" "$keyed_nanoseconds" "$floor_nanoseconds" \
    "$copy_rounds" "$ingest_rounds" "$floor_rounds" "$keyless_nanoseconds" \
    "$copy_wal,$keyed_wal,$floor_wal,$keyless_wal,$ingest_wal" <<'PY'
import json, statistics, sys
rows, copy_s, ingest_s, summary = int(sys.argv[1]), int(sys.argv[2]) / 1e9, int(sys.argv[3]) / 1e9, json.loads(sys.argv[4])
keyed_s, floor_s = int(sys.argv[5]) / 1e9, int(sys.argv[6]) / 1e9
copy_rounds = [int(v) / 1e9 for v in sys.argv[7].split(",")]
ingest_rounds = [int(v) / 1e9 for v in sys.argv[8].split(",")]
floor_rounds = [int(v) / 1e9 for v in sys.argv[9].split(",")]
keyless_s = int(sys.argv[10]) / 1e9
copy_wal, keyed_wal, floor_wal, keyless_wal, ingest_wal = (int(v) / 2**20 for v in sys.argv[11].split(","))
print(f"records: {rows:,} (stored {summary['inserted']:,})")
print(f"psql \\copy (CSV, plain table): {copy_s:8.2f} s  {rows / copy_s:>10,.0f} rows/s")
print(f"psql \\copy (CSV, keyed table): {keyed_s:8.2f} s  {rows / keyed_s:>10,.0f} rows/s   (for the record: the same keys as predictions)")
print(f"psql \\copy (binary, vlm-audit's rows into a copy of predictions): {floor_s:.2f} s  {rows / floor_s:,.0f} rows/s   (the server's floor on one connection)")
print(f"psql \\copy (binary, the same rows into a copy of predictions without keys or indexes): {keyless_s:.2f} s  {rows / keyless_s:,.0f} rows/s")
print(f"vlm-audit ingest (JSON Lines):   {ingest_s:8.2f} s  {rows / ingest_s:>10,.0f} rows/s")
print(f"ratio ingest / \\copy: {copy_s / ingest_s:.2f}x   (target >= 0.8x)")
print(f"WAL written (MiB): plain \\copy {copy_wal:.0f}, keyed \\copy {keyed_wal:.0f}, floor {floor_wal:.0f}, "
      f"floor without keys {keyless_wal:.0f}, ingest {ingest_wal:.0f}")
timings = summary.get("timings", {})
total = sum(timings.values()) or 1
print("where vlm-audit's time goes: " + ", ".join(f"{k} {v:.2f} s ({100 * v / total:.0f} %)" for k, v in sorted(timings.items(), key=lambda kv: -kv[1])))
if len(copy_rounds) > 1:
    ratios = [c / i for c, i in zip(copy_rounds, ingest_rounds)]
    floor_ratios = [c / f for c, f in zip(copy_rounds, floor_rounds)]
    above_floor = [i / f for i, f in zip(ingest_rounds, floor_rounds)]
    for number, (c, i, f) in enumerate(zip(copy_rounds, ingest_rounds, floor_rounds), start=1):
        print(f"round {number}: \\copy {c:6.2f} s, floor {f:6.2f} s, ingest {i:6.2f} s; ratio {c / i:.2f}x, "
              f"floor's ratio {c / f:.2f}x, ingest / floor {i / f:.2f}")
    def spread(values, unit="x"):
        return f"{statistics.median(values):.2f}{unit} (from {min(values):.2f}{unit} to {max(values):.2f}{unit})"
    print(f"median over {len(ratios)} rounds: ratio {spread(ratios)}; the floor's own ratio {spread(floor_ratios)}; "
          f"ingest / floor {spread(above_floor, '')}")
PY
