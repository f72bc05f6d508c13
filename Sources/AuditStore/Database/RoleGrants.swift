import PQ

/// The two database roles of least privilege and what they may touch (docs/deployment.md):
/// `vlm_audit_app` reads and appends records (never changes them), `vlm_audit_reader` reads them (auditors, reporting).
///
/// The migrations create the roles only when the migrating role may (a superuser, or CREATEROLE) and grant only to roles
/// that exist, so a plain database owner migrates without them. A DBA creates them later (`CREATE ROLE vlm_audit_app
/// NOLOGIN; CREATE ROLE vlm_audit_reader NOLOGIN;`), and the owner then grants with ``apply(_:)``
/// (`vlm-audit db grant-roles`): the same grants the migrations make where the roles existed.
public enum RoleGrants {
    public static let appRole = "vlm_audit_app"
    public static let readerRole = "vlm_audit_reader"

    /// Tables the application role reads and appends to.
    static let appendTables = [
        "ingest_batches", "ue_methods", "predictions", "ground_truth", "quarantine", "calibration_versions", "calibration_events",
        "schema_migrations", "drift_runs", "api_tokens", "api_token_revocations", "drift_run_links", "audit_plans",
        "monitor_events", "chain_checkpoints", "access_events", "calibration_signatures", "calibration_policy",
    ]
    /// Tables the reader role reads (API tokens are the application's alone).
    static let readTables = [
        "ingest_batches", "ue_methods", "predictions", "ground_truth", "quarantine", "calibration_versions", "calibration_events",
        "schema_migrations", "drift_runs", "drift_run_links", "audit_plans", "effective_labels", "calibration_status",
        "monitor_events", "chain_checkpoints", "access_events", "calibration_signatures", "calibration_policy",
    ]

    /// Grants to whichever of the two roles exist; returns the roles granted to and those missing.
    @discardableResult
    public static func apply(_ connection: PQConnection) throws -> (granted: [String], missing: [String]) {
        var granted: [String] = []
        var missing: [String] = []
        try connection.transaction {
            for role in [appRole, readerRole] {
                guard try connection.query("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", [role]).bool(0, 0) == true else {
                    missing.append(role)
                    continue
                }
                if role == appRole {
                    try connection.execute("GRANT SELECT, INSERT ON \(appendTables.joined(separator: ", ")) TO \(appRole)")
                    try connection.execute("GRANT SELECT ON effective_labels, calibration_status TO \(appRole)")
                    try connection.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \(appRole)")
                } else {
                    try connection.execute("GRANT SELECT ON \(readTables.joined(separator: ", ")) TO \(readerRole)")
                    // A reader's reads are logged under the reader's own role: it appends to the access log.
                    try connection.execute("GRANT INSERT ON access_events TO \(readerRole)")
                    try connection.execute("GRANT USAGE ON SEQUENCE access_events_event_id_seq TO \(readerRole)")
                }
                granted.append(role)
            }
        }
        return (granted, missing)
    }

    /// The table, column and sequence privileges the two roles hold, one line each, sorted (for comparisons).
    public static func held(_ connection: PQConnection) throws -> [String] {
        let result = try connection.query(
            """
            SELECT grantee || ' ' || privilege_type || ' ' || table_name AS privilege FROM information_schema.role_table_grants
            WHERE grantee IN ($1, $2) AND table_schema = 'public'
            UNION ALL
            SELECT grantee || ' ' || privilege_type || ' ' || table_name || '.' || column_name FROM information_schema.column_privileges
            WHERE grantee IN ($1, $2) AND table_schema = 'public'
            UNION ALL
            SELECT r.rolname || ' USAGE ' || c.relname FROM pg_class c CROSS JOIN pg_roles r
            WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace AND r.rolname IN ($1, $2)
              AND has_sequence_privilege(r.rolname, c.oid, 'USAGE')
            ORDER BY 1
            """, [appRole, readerRole])
        return try result.rows.map { try $0.decode("privilege") }
    }
}
