# Sourced by the benchmark scripts: builds the release binary and prepares a throwaway embedded cluster that is
# stopped and removed on exit. Sets `bin`, `work` and `VLM_AUDIT_HOME`; `cluster_socket` prints the socket folder.
swift build -c release --product vlm-audit >/dev/null
bin=$PWD/.build/release/vlm-audit
work=$(mktemp -d /tmp/vlm-audit-bench.XXXXXX)
chmod 755 "$work"   # the server may run as the postgres user, which must reach its data folder
export VLM_AUDIT_HOME=$work/home
unset DATABASE_URL PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD
trap 'env -u DATABASE_URL "$bin" db stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cluster_socket() {
    ls -d "$VLM_AUDIT_HOME"/run 2>/dev/null || ls -d /tmp/vlm-audit-*-run | head -1
}
