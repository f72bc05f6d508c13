#!/usr/bin/env bash
# The README's test command: builds, starts a throwaway PostgreSQL cluster, runs every test against it, and stops and
# removes the cluster afterwards, whether the tests pass or fail; then runs scripts/deployment-check.sh.
# Extra arguments go to `swift test` (e.g. `scripts/test.sh --filter PQTests`).
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests

home=$(mktemp -d "${TMPDIR:-/tmp}/vlm-audit-test.XXXXXX")
chmod 755 "$home"   # the server may run as the postgres user, which must reach its data folder
cleanup() {
    status=$?
    VLM_AUDIT_HOME="$home" .build/debug/vlm-audit db stop >/dev/null 2>&1 || true
    rm -rf "$home" "/tmp/vlm-audit-test-run-$$"
    exit $status
}
trap cleanup EXIT INT TERM

export VLM_AUDIT_TEST_HOME="$home"
export VLM_AUDIT_EXECUTABLE="$PWD/.build/debug/vlm-audit"
unset DATABASE_URL PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE PGSSLMODE
swift test --skip-build "$@"
# The layout every Swift file keeps (.swift-format: 4 spaces, lines of at most 140 characters where a break is possible).
if [ $# -eq 0 ]; then swift format lint --strict --recursive --parallel Package.swift Sources Tests Benchmarks; fi
# The FHIR R5 export as the product writes it today, validated by the fhir.resources package in a throwaway venv.
if [ $# -eq 0 ]; then scripts/check-fhir.sh "$VLM_AUDIT_EXECUTABLE"; fi
# The deployment a hospital runs: its own server with password auth, a plain database owner, the binary installed
# outside the checkout (skipped when only some tests were asked for).
if [ $# -eq 0 ]; then scripts/deployment-check.sh "$VLM_AUDIT_EXECUTABLE"; fi
