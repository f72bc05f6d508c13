#!/usr/bin/env bash
# The reliability and security suite (issue 10): faults, bad input, tampering and access, each scenario tried on
# its own database in a throwaway cluster, with a table of tried / held / failed. Exits non-zero on any failure and
# rewrites docs/reliability.md with the table. Needs python3 and curl; takes about 10 minutes.
#   scripts/reliability.sh [crash-runs]
set -uo pipefail
cd "$(dirname "$0")/.."
crash_runs=${1:-20}
set -e
source scripts/lib/throwaway-cluster.sh
set +e
"$bin" db start >/dev/null
socket=$(cluster_socket)
pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)")
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgdata=$(ls -d "$VLM_AUDIT_HOME"/pgdata /tmp/vlm-audit-*/pgdata 2>/dev/null | head -1)
psql_admin() { psql -X -qAt -h "$socket" -U vlm_audit -d "${1:-postgres}" -v ON_ERROR_STOP=1 "${@:2}"; }

rows=()      # "scenario|tried|held|failed|note"
failures=0
record() {   # record NAME TRIED HELD NOTE
    local failed=$(( $2 - $3 ))
    rows+=("$1|$2|$3|$failed|$4")
    failures=$(( failures + failed ))
    printf '%-58s tried %3d  held %3d  failed %3d  %s\n' "$1" "$2" "$3" "$failed" "$4"
}
fresh_db() {  # fresh_db NAME: an empty database; exports DATABASE_URL for it
    psql_admin postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    export DATABASE_URL="host=$socket user=vlm_audit dbname=$1"
}
count() { psql -X -qAt -h "$socket" -U vlm_audit -d "$1" -c "$2"; }
wait_ready() { for _ in $(seq 100); do grep -q "listening on" "$1" && return 0; sleep 0.1; done; return 1; }

# Shared data: one model, one month of simulated predictions (with NOTA probes) and labels.
env -u DATABASE_URL "$bin" simulate --out "$work/sim" --models 1 --per-model 30000 --months 1 --no-drift --seed 7 >/dev/null
predictions="$work/sim/$(ls "$work/sim" | grep '^predictions-' | head -1)"
labels="$work/sim/labels.jsonl"
expected_rows=$(grep -c . "$predictions")

# 1. Crash safety: SIGKILL at a random moment, then the same command again. The moments are spread over the time one
#    uninterrupted ingest of the file takes here (measured first), so that the kills land while it runs.
fresh_db crash
started=$(date +%s%N)
"$bin" ingest predictions --batch-size 2000 "$predictions" >/dev/null 2>&1
full_seconds=$(python3 -c "print(round(($(date +%s%N) - $started) / 1e9, 2))")
held=0; mid=0
for run in $(seq "$crash_runs"); do
    fresh_db crash
    "$bin" ingest predictions --batch-size 2000 "$predictions" >/dev/null 2>&1 &
    victim=$!
    sleep "$(python3 -c "import random; print(round(random.uniform(0.1, 0.9) * $full_seconds, 2))")"
    kill -0 $victim 2>/dev/null && mid=$((mid + 1))
    kill -KILL $victim 2>/dev/null; wait $victim 2>/dev/null
    "$bin" ingest predictions --batch-size 2000 "$predictions" >/dev/null 2>&1
    n=$(count crash "SELECT count(*) FROM predictions")
    distinct=$(count crash "SELECT count(DISTINCT prediction_id) FROM predictions")
    if [ "$n" = "$expected_rows" ] && [ "$distinct" = "$n" ] && "$bin" verify >/dev/null 2>&1; then held=$((held + 1)); fi
done
record "crash: SIGKILL during file ingest, then re-run" "$crash_runs" "$held" "$mid killed mid-run (kills spread over the $full_seconds s an uninterrupted ingest takes); $expected_rows rows each time, verify clean"

# 2. Database faults during file ingest: PostgreSQL stopped (fast, immediate), restarted, command re-run.
for mode in fast immediate; do
    held=0; mid=0
    for try in 1 2 3; do
        fresh_db fault
        "$bin" ingest predictions --batch-size 2000 "$predictions" >/dev/null 2>&1 &
        ingest=$!
        sleep "$(python3 -c "import random; print(round(random.uniform(0.2, 0.8) * $full_seconds, 2))")"
        kill -0 $ingest 2>/dev/null && mid=$((mid + 1))
        as_postgres "$pgbin/pg_ctl" stop -D "$pgdata" -m "$mode" -w >/dev/null 2>&1
        wait $ingest
        env -u DATABASE_URL "$bin" db start >/dev/null 2>&1
        "$bin" ingest predictions --batch-size 2000 "$predictions" >/dev/null 2>&1
        n=$(count fault "SELECT count(*) FROM predictions")
        if [ "$n" = "$expected_rows" ] && "$bin" verify >/dev/null 2>&1; then held=$((held + 1)); fi
    done
    record "database stopped ($mode) during file ingest" 3 "$held" "$mid stopped mid-run; exact rows after restart and re-run, verify clean"
done

# 3. Database faults during HTTP load, with a retrying client.
fresh_db httpfault
"$bin" migrate >/dev/null
token=$("$bin" token create --name reliability --scope admin 2>/dev/null)
"$bin" serve --port 0 > "$work/serve.log" 2>&1 &
server=$!
wait_ready "$work/serve.log"
url=$(grep -o "http://[0-9.:]*" "$work/serve.log" | head -1)
held=0
for mode in fast immediate; do
    before=$(count httpfault "SELECT count(*) FROM predictions")
    python3 Benchmarks/http/retrying_client.py "$url" "$token" 60000 100 "$mode" > "$work/retry-$mode.json" &
    client=$!
    sleep 1.5
    kill -0 $client 2>/dev/null; loaded=$?  # the outage must hit the load, or the scenario proves nothing
    as_postgres "$pgbin/pg_ctl" stop -D "$pgdata" -m "$mode" -w >/dev/null 2>&1
    sleep 1
    env -u DATABASE_URL "$bin" db start >/dev/null 2>&1
    wait $client; client_status=$?
    after=$(count httpfault "SELECT count(*) FROM predictions")
    retried=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['retried_attempts'])" "$work/retry-$mode.json" 2>/dev/null)
    errors=$(grep -c "request failed" "$work/serve.log")
    if [ "$loaded" = 0 ] && [ "$client_status" = 0 ] && [ $((after - before)) = 60000 ] && [ "$errors" = 0 ] && "$bin" verify >/dev/null 2>&1; then
        held=$((held + 1))
    else
        grep -A1 "request failed" "$work/serve.log" | head -6
    fi
    echo "   ($mode: ${retried:-?} attempts refused with 503 or a reset during the outage and retried)"
done
record "database stopped (fast, immediate) under HTTP load" 2 "$held" "retrying client: 60 000 records each, stopped while it sends, none lost or doubled, no 500"

# 4. Concurrency.
fresh_db concurrent
"$bin" migrate >/dev/null
python3 - "$predictions" "$work" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
n = len(lines)
parts = {"a": lines[: n * 3 // 5], "b": lines[n // 5 : n * 4 // 5], "c": lines[n * 2 // 5 :], "d": lines[::-1]}
for name, chunk in parts.items():
    open(f"{sys.argv[2]}/overlap-{name}.jsonl", "w").write("\n".join(chunk) + "\n")
PY
pids=()
for name in a b c d; do "$bin" ingest predictions --batch-size 3000 "$work/overlap-$name.jsonl" >/dev/null 2>&1 & pids+=($!); done
ok=0; for pid in "${pids[@]}"; do wait "$pid" && ok=$((ok + 1)); done
n=$(count concurrent "SELECT count(*) FROM predictions")
held=0; [ "$ok" = 4 ] && [ "$n" = "$expected_rows" ] && "$bin" verify >/dev/null 2>&1 && held=1
record "4 concurrent ingests of overlapping files" 1 "$held" "$n rows of $expected_rows, all 4 exit 0"

python3 - "$predictions" "$work" <<'PY'
import json, sys
ids = [json.loads(l)["prediction_id"] for l in open(sys.argv[1]) if '"perturbation"' not in l][:2000]
for k in range(1, 5):   # reviewer k labels every prediction at hour k; label alternates so the newest is known
    with open(f"{sys.argv[2]}/revision-{k}.jsonl", "w") as f:
        for i in ids:
            f.write(json.dumps({"prediction_id": i, "label": k % 2, "reviewer": f"rad-{k}",
                                "reviewed_at": f"2026-12-01T0{k}:00:00Z"}) + "\n")
PY
pids=()
for k in 4 3 2 1; do "$bin" ingest labels "$work/revision-$k.jsonl" >/dev/null 2>&1 & pids+=($!); done
ok=0; for pid in "${pids[@]}"; do wait "$pid" && ok=$((ok + 1)); done
revisions=$(count concurrent "SELECT count(*) FROM ground_truth")
wrong=$(count concurrent "SELECT count(*) FROM effective_labels e JOIN ground_truth g USING (prediction_id) WHERE g.reviewer = 'rad-4' AND e.label <> 0")
held=0; [ "$ok" = 4 ] && [ "$revisions" = 8000 ] && [ "$wrong" = 0 ] && held=1
record "4 concurrent label revision streams" 1 "$held" "$revisions revisions kept, newest wins for all 2 000"

"$bin" ingest labels "$labels" >/dev/null 2>&1
now=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["now"])' "$work/sim/manifest.json")
pids=()
for _ in 1 2 3; do "$bin" recalibrate --all --as-of "$now" --target-risk 0.4 >/dev/null 2>&1 & pids+=($!); done
ok=0; for pid in "${pids[@]}"; do wait "$pid" && ok=$((ok + 1)); done
versions=$(count concurrent "SELECT count(*) FROM calibration_versions")
active=$(count concurrent "SELECT count(*) FROM calibration_status WHERE status = 'active'")
held=0; [ "$ok" = 3 ] && [ "$versions" = 1 ] && [ "$active" -le 1 ] && held=1
record "3 concurrent recalibrate runs" 1 "$held" "$versions version stored, $active active"

# 5. Bad input.
python3 scripts/reliability/bad_corpus.py "$work/corpus" >/dev/null
fresh_db badinput
held=0; tried=0
check_file() {  # check_file FILE KEY: good records land, bad ones are quarantined, the process does not crash
    tried=$((tried + 1))
    "$bin" ingest predictions --json --rejects "$work/rejects-$2.jsonl" "$1" > "$work/summary-$2.json" 2>/dev/null
    local status=$?
    if [ $status -le 1 ] && python3 - "$work/corpus/expected.json" "$2" "$work/summary-$2.json" "$work/rejects-$2.jsonl" <<'PY'
import json, sys
expected = json.load(open(sys.argv[1]))[sys.argv[2]]
summary = json.load(open(sys.argv[3]))
rejects = [json.loads(l) for l in open(sys.argv[4])]
assert summary["inserted"] == expected["good"], (summary["inserted"], expected["good"])
assert summary["quarantined"] == expected["bad"] == len(rejects), (summary["quarantined"], expected["bad"], len(rejects))
assert all(r["reason"] for r in rejects)
PY
    then held=$((held + 1)); fi
}
check_file "$work/corpus/corpus.jsonl" jsonl
check_file "$work/corpus/corpus.csv" csv
check_file "$work/corpus/bom_crlf.jsonl" bom_crlf
check_file "$work/corpus/empty.jsonl" empty
stored=$(count badinput "SELECT count(*) FROM predictions WHERE question = \$\$'); DROP TABLE predictions; --\$\$ AND model = question AND site = question AND case_ref = question")
[ "$stored" = 1 ] || held=$((held - 1))
kinds=$(python3 -c "import json; e=json.load(open('$work/corpus/expected.json')); print(len(e['jsonl']['kinds']) + e['csv']['bad'] + 2)")
record "bad input corpus ($kinds kinds, 4 files)" "$tried" "$held" "good rows landed, every bad one quarantined with a reason; SQL stored verbatim"

# 6. Tampering: each on a fresh copy of a populated database, including a superuser with triggers disabled.
fresh_db tamperbase
"$bin" ingest predictions "$predictions" >/dev/null 2>&1
for model in $(python3 -c "import json,sys; print(' '.join(sorted({json.loads(l)['model'] for l in open('$predictions') if l.strip()})))"); do
    "$bin" audit plan create --model "$model" --rate 0.3 --effective-from 2020-01-01 --by reliability --reason "tamper base" >/dev/null 2>&1
done
"$bin" ingest labels "$labels" >/dev/null 2>&1
"$bin" recalibrate --all --as-of "$now" --target-risk 0.4 >/dev/null 2>&1
"$bin" monitor >/dev/null 2>&1 || true   # opens the monitors of the active versions: chained events to tamper with
"$bin" drift --all --as-of "$now" >/dev/null 2>&1
echo '{"prediction_id":"rejected-1","model":"m"}' > "$work/one-bad.jsonl"
"$bin" ingest predictions "$work/one-bad.jsonl" >/dev/null 2>&1
"$bin" token create --name tamper --scope read >/dev/null 2>&1
# A signature (a proposed version rejected), a signing policy, a checkpoint and an access event (the verify), so that the
# tables they live in hold rows for the access checks below. With a checkpoint sealing the history, the tampering
# checks run `verify --full`: an edit before a checkpoint is found from genesis (docs/hash-chain.md).
"$bin" recalibrate --all --as-of "$now" --target-risk 0.35 --propose-only >/dev/null 2>&1
proposed=$("$bin" calibration list --json 2>/dev/null | python3 -c 'import json,sys; print(next((str(v["version"]) for v in json.load(sys.stdin) if v["status"] == "proposed"), ""))')
[ -n "$proposed" ] && "$bin" calibration reject "$proposed" --by reliability --reason "tamper base" >/dev/null 2>&1
"$bin" calibration policy --two-signers off --by reliability --reason "tamper base" >/dev/null 2>&1
"$bin" verify --checkpoint >/dev/null 2>&1
# Anchors, as an auditor would keep them from an earlier report: the two chain heads.
anchors=$("$bin" verify --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["head"]["hash"], d.get("calibration_head", ""), d.get("drift_head", ""), d.get("audit_plan_head", ""), d.get("monitor_head", ""))')
anchor_args=(); for a in $anchors; do anchor_args+=(--anchor "$a"); done
unset DATABASE_URL
disable="SET session_replication_role = replica;"
tampers=(
    "$disable UPDATE predictions SET predicted = 1 - predicted WHERE prediction_id = (SELECT min(prediction_id) FROM predictions)"
    "$disable UPDATE predictions SET msp = msp + 0.01 WHERE batch_seq = 7"
    "$disable DELETE FROM predictions WHERE batch_seq = 3 AND batch_id = (SELECT min(batch_id) FROM predictions)"
    "$disable INSERT INTO predictions SELECT 'forged-' || prediction_id, batch_id, batch_seq + 100000, model, model_version, site, occurred_at, case_ref, image_ref, attributes, question, options, option_logits, option_probs, predicted, confidence, uncertainty, msp, margin, entropy, perturbation_kind, perturbation_of, label, escalated, calibration_version, row_hash, ingested_at FROM predictions LIMIT 1"
    "$disable UPDATE predictions SET batch_seq = -batch_seq WHERE batch_seq IN (1, 2) AND batch_id = (SELECT min(batch_id) FROM predictions); UPDATE predictions SET batch_seq = CASE batch_seq WHEN -1 THEN 2 ELSE 1 END WHERE batch_seq IN (-1, -2)"
    "$disable UPDATE ground_truth SET label = 1 - label WHERE label_id = (SELECT min(label_id) FROM ground_truth)"
    "$disable UPDATE ground_truth SET recorded_at = recorded_at - interval '2 days' WHERE label_id = (SELECT max(label_id) FROM ground_truth)"
    "$disable DELETE FROM ground_truth WHERE label_id = (SELECT max(label_id) FROM ground_truth)"
    "$disable UPDATE quarantine SET reason = 'nothing to see'"
    "$disable DELETE FROM quarantine"
    "$disable DELETE FROM ingest_batches WHERE batch_id = (SELECT max(batch_id) FROM ingest_batches)"
    "$disable DELETE FROM quarantine WHERE batch_id = (SELECT max(batch_id) FROM ingest_batches); DELETE FROM ingest_batches WHERE batch_id = (SELECT max(batch_id) FROM ingest_batches)"
    "$disable UPDATE ingest_batches SET inserted_count = inserted_count + 1 WHERE batch_id = (SELECT min(batch_id) FROM ingest_batches)"
    "$disable UPDATE calibration_versions SET temperature = temperature * 1.1"
    "$disable UPDATE calibration_events SET actor = 'someone else'"
    "$disable DELETE FROM calibration_events WHERE event_id = (SELECT max(event_id) FROM calibration_events)"
    "$disable UPDATE drift_runs SET status = CASE status WHEN 'OK' THEN 'ALERT' ELSE 'OK' END"
    "$disable DELETE FROM drift_runs WHERE run_id = (SELECT min(run_id) FROM drift_runs)"
    "$disable UPDATE ue_methods SET orientation = 'uncertainty' WHERE method = 'p_true'"
    "$disable DELETE FROM drift_run_links WHERE run_id = (SELECT max(run_id) FROM drift_runs); DELETE FROM drift_runs WHERE run_id = (SELECT max(run_id) FROM drift_runs)"
    "$disable UPDATE audit_plans SET rate = 0.9 WHERE plan_id = (SELECT min(plan_id) FROM audit_plans)"
    "$disable UPDATE monitor_events SET delta = delta * 2 WHERE event_id = (SELECT min(event_id) FROM monitor_events)"
    "$disable DELETE FROM monitor_events WHERE event_id = (SELECT max(event_id) FROM monitor_events)"
    "ALTER TABLE predictions DISABLE TRIGGER USER; UPDATE predictions SET model = 'renamed' WHERE batch_seq = 5; ALTER TABLE predictions ENABLE TRIGGER USER"
    # The schema around the rows: no hashed row changes, so only the comparison with the migrations can see these.
    "ALTER TABLE ground_truth DISABLE TRIGGER ground_truth_append_only"
    "CREATE OR REPLACE VIEW calibration_status AS SELECT DISTINCT ON (e.version_id) e.version_id, e.model, 'active'::text AS status, e.actor, e.reason, e.recorded_at FROM calibration_events e ORDER BY e.version_id, e.event_id DESC"
    "ALTER TABLE predictions ENABLE ROW LEVEL SECURITY; ALTER TABLE predictions FORCE ROW LEVEL SECURITY; CREATE POLICY hide_one_site ON predictions USING (site IS DISTINCT FROM 'site-a')"
)
held=0
for sql in "${tampers[@]}"; do
    psql_admin postgres -c "DROP DATABASE IF EXISTS tampered" -c "CREATE DATABASE tampered TEMPLATE tamperbase" >/dev/null
    psql_admin tampered -c "$sql" >/dev/null 2>&1 || echo "   (tamper statement failed: $sql)"
    DATABASE_URL="host=$socket user=vlm_audit dbname=tampered" "$bin" verify --full "${anchor_args[@]}" >/dev/null 2>&1
    if [ $? = 1 ]; then held=$((held + 1)); else echo "   (not detected: $sql)"; fi
done
psql_admin postgres -c "DROP DATABASE IF EXISTS tampered" -c "CREATE DATABASE tampered TEMPLATE tamperbase" >/dev/null
DATABASE_URL="host=$socket user=vlm_audit dbname=tampered" "$bin" verify --full "${anchor_args[@]}" >/dev/null 2>&1; untouched=$?
record "tampering: edit, delete, insert, reorder, truncate, backdate; calibration; drift; audit plans; monitor; UE orientations; schema" "${#tampers[@]}" "$held" "verify --full (with the earlier chain heads as anchors) exits 1 for each; the untouched copy exits $untouched"
[ "$untouched" = 0 ] || failures=$((failures + 1))

# 7. Access: the application role and the triggers.
held=0; tried=0
denied() { tried=$((tried + 1)); if psql_admin tamperbase -c "$1" >/dev/null 2>&1; then echo "   (allowed: $1)"; else held=$((held + 1)); fi; }
tables=(predictions ground_truth quarantine ingest_batches calibration_versions calibration_events drift_runs drift_run_links api_tokens
        audit_plans monitor_events chain_checkpoints access_events calibration_signatures calibration_policy)
for table in "${tables[@]}"; do
    # A column the table has, set to itself: refused only by the privileges, never by a misspelt column.
    column=$(psql_admin tamperbase -Atc "SELECT column_name FROM information_schema.columns WHERE table_name = '$table' ORDER BY ordinal_position LIMIT 1")
    # (not `rows`: that is the results table, and assigning to it replaced its first row)
    stored=$(psql_admin tamperbase -Atc "SELECT count(*) FROM $table")
    [ "${stored:-0}" -gt 0 ] || echo "   (note: $table is empty here; its DELETE checks prove less)"
    denied "SET ROLE vlm_audit_app; UPDATE $table SET $column = $column" 2>/dev/null
    denied "SET ROLE vlm_audit_app; DELETE FROM $table"
    denied "SET ROLE vlm_audit_app; TRUNCATE $table CASCADE"
    denied "DELETE FROM $table"   # the superuser too: the append-only trigger refuses
done
record "access: app role / superuser cannot change history" "$tried" "$held" "UPDATE, DELETE, TRUNCATE on ${#tables[@]} tables"

held=0; tried=0
for endpoint in "POST /v1/predictions" "POST /v1/labels" "GET /v1/models" "GET /v1/models/x/calibration" \
                "GET /v1/models/x/evaluation" "GET /v1/models/x/drift" "GET /v1/models/x/audit/worklist" "GET /v1/models/x/monitor" \
                "GET /v1/reports/2026-10" "POST /v1/calibrations/1/activate" "POST /v1/calibrations/1/reject" "GET /metrics"; do
    for header in "" "Authorization: Bearer vla_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "Authorization: Basic eDp5"; do
        tried=$((tried + 1))
        status=$(curl -s -o /dev/null -w '%{http_code}' -X "${endpoint%% *}" ${header:+-H "$header"} -d '{}' "$url${endpoint#* }")
        [ "$status" = 401 ] && held=$((held + 1))
    done
done
record "API: unauthenticated access refused on every endpoint" "$tried" "$held" "401 without, with a forged, with a Basic token"
kill -TERM $server; wait $server 2>/dev/null
cp "$work/serve.log" /tmp/vlm-audit-reliability-serve.log

# 8. Memory safety: the PQ layer's stress loop built with AddressSanitizer, whose LeakSanitizer reports every block
#    still allocated and unreachable at exit. A second run leaks on purpose, to show the checker is awake.
fresh_db stress
VLM_AUDIT_BENCHMARKS=1 swift build --product pq-stress --sanitize address --scratch-path .build-asan >/dev/null 2>&1
ASAN_OPTIONS=detect_leaks=1 .build-asan/debug/pq-stress "$DATABASE_URL" 200 > "$work/lsan.log" 2>&1; clean_status=$?
ASAN_OPTIONS=detect_leaks=1 .build-asan/debug/pq-stress "$DATABASE_URL" 1 --leak-on-purpose > "$work/lsan-control.log" 2>&1
control_caught=$(grep -c "ERROR: LeakSanitizer" "$work/lsan-control.log")
held=0
[ "$clean_status" = 0 ] && ! grep -q "LeakSanitizer" "$work/lsan.log" && grep -q "200 rounds done" "$work/lsan.log" && [ "$control_caught" -ge 1 ] && held=1
record "memory: PQ stress loop under LeakSanitizer" 1 "$held" "200 rounds (connect, COPY, typed reads, errors, rollbacks, pool): no leak; a planted leak is reported"

# The table, for docs/reliability.md.
{
    echo "# Reliability and security suite"
    echo
    echo "Written by \`scripts/reliability.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores; PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')). Each scenario runs on its own database in a throwaway cluster; a scenario holds when the promise it tests is kept exactly (row counts, \`verify\`, exit codes)."
    echo
    echo "| scenario | tried | held | failed | what was checked |"
    echo "|---|---:|---:|---:|---|"
    for row in "${rows[@]}"; do IFS='|' read -r name tried held failed note <<< "$row"; echo "| $name | $tried | $held | $failed | $note |"; done
    echo
    echo "## What the scenarios guard against"
    echo
    echo "- **Lost connections.** libpq can report a lost connection without a SQLSTATE while the connection still reads as healthy (PostgreSQL stopped in immediate mode). \`PQError\` recognises libpq's lost-connection messages, so such requests get 503 and the client retries; none gets a 500."
    echo "- **Deleting the newest link.** Deleting the newest batch with its rows, or the newest event of a chain, leaves a chain that verifies on its own: the limit of any self-contained chain. \`verify --anchor HASH\` checks that a head kept outside the database (from an earlier \`verify\` or a monthly report) is still a link; the suite verifies with the heads taken before tampering."
    echo "- **Drift runs.** Runs are chained (\`drift_run_links\`, migration 0007; docs/hash-chain.md), so deleting a run (an ALERT, say) is found; the suite deletes the only run, and the newest run with its link."
    echo "- **Times of record.** Each batch has one instant of the database clock, written into all its rows and covered by its chain hash (hash version 2, migration 0008); the suite backdates a label."
    echo "- **UE orientations.** \`verify\` compares \`ue_methods\` with the methods the stored, hashed predictions carry on each side, so a flipped orientation (which would invert what the report says about a method) is found."
    echo "- **Empty tables prove nothing.** The base database holds a row in every table before each tamper and access check."
    echo "- **Faults that land mid-run.** Kills and stops are spread over the time an uninterrupted ingest takes (measured first), the HTTP outage needs the client still sending (60 000 records), and the table says how many faults landed mid-run."
    echo "- **Input PostgreSQL refuses.** A NUL character in any string and a year-0000 timestamp are rejected per record with a reason, so they cannot fail a whole batch (found by schemathesis, \`scripts/api-conformance.sh\`)."
    echo
    echo "Re-run: \`scripts/reliability.sh [crash-runs]\` (default 20). The fast parts are ordinary tests too: crash safety (CommandLineTests), tampering (TamperTests, DriftChainTests), bad input (RecordValidatorTests, IngestTests), access (TamperTests), HTTP auth and outages (AuditServerTests)."
} > docs/reliability.md
echo
echo "$failures failed"
[ "$failures" = 0 ]
