#!/usr/bin/env bash
# Writes a FHIR R5 Bundle with the product as it is today and validates it with the `fhir.resources` package (R5 models)
# in a throwaway virtual environment: a small simulated fleet on its own embedded cluster, a label revision, a proposed
# version signed into activation, command-line reads (access events), then `vlm-audit export fhir`.
# Usage: scripts/check-fhir.sh [vlm-audit binary]   (default: the debug build). Needs python3 with venv and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-$PWD/.build/debug/vlm-audit}
work=$(mktemp -d "${TMPDIR:-/tmp}/vlm-audit-fhir.XXXXXX")
chmod 755 "$work"
export VLM_AUDIT_HOME=$work/home
unset DATABASE_URL PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE
trap '"$bin" db stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

venv=${VLM_AUDIT_FHIR_VENV:-$work/venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "fhir.resources==8.3.0"
fi

"$bin" simulate --out "$work/data" --models 2 --per-model 600 --months 1 --start 2026-11 --no-drift >/dev/null 2>&1
"$bin" ingest predictions "$work"/data/predictions-*.jsonl >/dev/null 2>&1
"$bin" ingest labels "$work/data/labels.jsonl" >/dev/null 2>&1
# A second opinion on one labeled prediction: a label revision.
python3 - "$work/data/labels.jsonl" "$work/revision.jsonl" <<'PY'
import json, sys
first = json.loads(open(sys.argv[1]).readline())
first.update(label=(first["label"] + 1) % 4, reviewer="second-reader", reviewed_at=first["reviewed_at"].replace("Z", "").split(".")[0] + ".5Z")
open(sys.argv[2], "w").write(json.dumps(first) + "\n")
PY
"$bin" ingest labels "$work/revision.jsonl" >/dev/null 2>&1
"$bin" recalibrate --all --as-of 2026-12-05 --min-fit 0 --propose-only >/dev/null 2>&1
"$bin" calibration activate 1 --by "Dr. Check Signer" --reason "validation of the FHIR export" >/dev/null 2>&1
"$bin" verify >/dev/null 2>&1
"$bin" export fhir --from 2000-01-01 --to 2100-01-01 --out "$work/bundle.json" 2>/dev/null
"$venv/bin/python" scripts/validate-fhir.py "$work/bundle.json" \
    AuditEvent:ingest-batch AuditEvent:label-revision AuditEvent:calibration-status AuditEvent:access Provenance
