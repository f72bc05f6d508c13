#!/usr/bin/env bash
# Deployment as a hospital runs it (docs/deployment.md): a PostgreSQL server of its own on loopback with password
# authentication, a database owned by a plain role (no superuser, no CREATEROLE, no CREATEDB), and the vlm-audit binary
# copied outside the source tree. It runs migrate → audit plan → ingest → recalibrate → report → verify as that owner,
# checks that a wrong password fails with the server's message and no password printed, then plays the DBA's optional
# step (create the least-privilege roles, `db grant-roles`), evaluates as the reader role and checks it can change nothing.
# Usage: scripts/deployment-check.sh [path/to/vlm-audit]   (default: .build/debug/vlm-audit)
# Exits non-zero on the first step that fails; scripts/test.sh runs it after the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
built=$(realpath "${1:-.build/debug/vlm-audit}")
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d "${TMPDIR:-/tmp}/vlm-audit-deploy.XXXXXX")
chmod 755 "$work"
as_server=()
if [ "$(id -u)" = 0 ]; then as_server=(runuser -u postgres --); fi
cleanup() {
    status=$?
    "${as_server[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT INT TERM
step() { printf 'deployment-check: %s\n' "$*" >&2; }
fail() { printf 'deployment-check: FAIL: %s\n' "$*" >&2; exit 1; }

# The server: its own data folder, TCP on a free loopback port, scram-sha-256 for every TCP connection.
mkdir -p "$work/data" "$work/socket"
[ "$(id -u)" = 0 ] && chown postgres "$work/data" "$work/socket"
printf 'superpass\n' > "$work/pwfile" && chmod 644 "$work/pwfile"
"${as_server[@]}" "$bindir/initdb" -D "$work/data" -U dba --pwfile="$work/pwfile" --auth-local=scram-sha-256 \
    --auth-host=scram-sha-256 >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"${as_server[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/socket/server.log" -w -s \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$work/socket" start
dba="postgresql://dba:superpass@127.0.0.1:$port/postgres"
psql_dba() { psql "$dba" -v ON_ERROR_STOP=1 -qAt -c "$1"; }
psql_dba "CREATE ROLE audit_owner LOGIN PASSWORD 'ownerpass' NOCREATEROLE NOCREATEDB NOSUPERUSER"
psql_dba "CREATE DATABASE audit OWNER audit_owner"
step "server on 127.0.0.1:$port; audit_owner owns database audit (no superuser, CREATEROLE or CREATEDB)"

# The binary, installed outside the checkout, run from a folder with no Migrations/ beside it.
mkdir -p "$work/bin" "$work/run"
cp "$built" "$work/bin/vlm-audit"
cd "$work/run"
export DATABASE_URL="postgresql://audit_owner:ownerpass@127.0.0.1:$port/audit"
unset VLM_AUDIT_MIGRATIONS PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE
vlm() { "$work/bin/vlm-audit" "$@"; }

vlm migrate 2>&1 | tail -1 >&2 || fail "migrate as a plain database owner"
vlm simulate --out sim --models 2 --per-model 1500 --months 2 --audit-rate 0.4 >/dev/null 2>"$work/simulate.txt" \
    || fail "simulate"
seed=$(grep -o 'seed [0-9a-f]\{64\}' "$work/simulate.txt" | head -1 | cut -d' ' -f2)
for model in llava-med-7b med-flamingo-9b; do
    vlm audit plan create --model "$model" --rate 0.4 --effective-from 2026-09-01 --seed "$seed" --new-model 2>/dev/null \
        || fail "audit plan create"
done
vlm ingest predictions sim/predictions-2026-09.jsonl sim/predictions-2026-10.jsonl 2>/dev/null || fail "ingest predictions"
vlm ingest labels sim/labels.jsonl 2>/dev/null || fail "ingest labels"
vlm recalibrate --all --as-of 2026-10-01 >/dev/null 2>&1 || fail "recalibrate"
vlm report monthly --month 2026-10 --out Reports >/dev/null 2>&1 || fail "report monthly"
grep -q "Integrity: the audit log verified intact" Reports/2026-10/report.md || fail "the report's integrity line: $(head -3 Reports/2026-10/report.md)"
verify=$(vlm verify 2>&1) || fail "verify: $verify"
grep -q "definitions match the migrations" <<<"$verify" || fail "verify did not compare the schema: $verify"
step "as audit_owner from $work/bin: migrate, audit plans, ingest, recalibrate, report and verify passed (schema compared)"

# A wrong password stops the command with the server's message, and prints no password.
if out=$(DATABASE_URL="postgresql://audit_owner:Wr0ngSecret@127.0.0.1:$port/audit" vlm verify 2>&1); then
    fail "verify with a wrong password succeeded"
fi
grep -q "password authentication failed" <<<"$out" || fail "wrong password: $out"
if out=$(DATABASE_URL="postgresql://audit_owner:Wr0ngSecret/audit" vlm verify 2>&1); then fail "a URL without @ was accepted"; fi
if grep -q "Wr0ngSecret" <<<"$out"; then fail "an error printed the password: $out"; fi
step "a wrong password fails with the server's message; a malformed URL's password is never printed"

# The DBA's optional step: the least-privilege roles, then the owner grants them their access.
psql_dba "CREATE ROLE vlm_audit_app NOLOGIN; CREATE ROLE vlm_audit_reader NOLOGIN;
          CREATE ROLE report_reader LOGIN PASSWORD 'readerpass' IN ROLE vlm_audit_reader"
vlm db grant-roles 2>&1 | grep -q "granted: vlm_audit_reader" || fail "db grant-roles"
reader="postgresql://report_reader:readerpass@127.0.0.1:$port/audit"
[ "$(psql "$reader" -qAt -c 'SELECT count(*) > 0 FROM predictions')" = t ] || fail "the reader cannot read predictions"
if psql "$reader" -qAt -c 'SELECT count(*) FROM api_tokens' >/dev/null 2>&1; then fail "the reader can read API tokens"; fi
if psql "$reader" -qAt -c "DELETE FROM predictions" >/dev/null 2>&1; then fail "the reader can delete"; fi
if psql "$reader" -qAt -c "INSERT INTO audit_plans (model) VALUES ('x')" >/dev/null 2>&1; then fail "the reader can insert"; fi
evaluation=$(DATABASE_URL="$reader" vlm evaluate --model llava-med-7b --json 2>/dev/null) || fail "evaluate as the reader"
grep -q '"audit":{' <<<"$evaluation" || fail "the reader's evaluation has no audit block"
if out=$(DATABASE_URL="$reader" vlm verify 2>&1); then fail "verify as the reader (no CREATE for the schema comparison) passed"; fi
grep -q "PARTIALLY VERIFIED" <<<"$out" || fail "verify as the reader: $out"
step "after the DBA's step, the reader role evaluates with the audit sample, changes nothing, and its verify says partial"
# The service as deployed: it starts as the owner, and its metrics parse with a real Prometheus parser.
http_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
vlm serve --port "$http_port" --public-metrics > "$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null || fail "serve did not become ready: $(cat "$work/serve.log")"
curl -s "http://127.0.0.1:$http_port/v1/models" >/dev/null   # a 401, which the metrics must count too
curl -sf "http://127.0.0.1:$http_port/metrics" > "$work/metrics.txt" || fail "GET /metrics"
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
python3 -m venv "$work/venv" >/dev/null && "$work/venv/bin/pip" install -q prometheus-client >/dev/null 2>&1 \
    || fail "could not install prometheus-client from PyPI to parse the scrape (nothing was checked)"
"$work/venv/bin/python" - "$work/metrics.txt" <<'PYTHON' || fail "the scrape does not parse or breaks a naming convention"
import sys
from prometheus_client.parser import text_string_to_metric_families
families = list(text_string_to_metric_families(open(sys.argv[1]).read()))
assert families, "no metric families"
for family in families:
    assert family.name.startswith("vlm_audit_"), family.name
    assert family.documentation, f"{family.name} has no HELP text"
    if family.type == "histogram":
        assert family.name.endswith("_seconds"), family.name
    for sample in family.samples:
        if family.type == "counter":
            assert sample.name.endswith("_total") or sample.name.endswith("_created"), sample.name
statuses = {s.labels.get("status") for f in families for s in f.samples if f.name == "vlm_audit_http_requests"}
assert "401" in statuses and "200" in statuses, statuses
print(f"deployment-check: the scrape parses with prometheus_client: {len(families)} families", file=sys.stderr)
PYTHON
step "serve starts as the owner; /metrics parses with prometheus_client and counts the 401 too"
echo "deployment-check: 5 passed, 0 failed"
