import AuditApp
@testable import AuditStore
import PQ
import Testing
import TestSupport

/// `verify` compares the schema around the records with what the migrations define: tampering that changes no hashed
/// row (a redefined view, a disabled or replaced trigger, a policy that hides rows) must still be reported.
@Suite("tamper evidence: schema")
struct SchemaTamperTests {
    static let scenarios: [TamperScenario] = [
        .init(
            name: "redefine effective_labels to prefer the logged label",
            sql: """
                CREATE OR REPLACE VIEW effective_labels AS
                SELECT p.prediction_id, coalesce(p.label, g.label) AS label, g.reviewed_at, g.recorded_at
                FROM predictions p
                LEFT JOIN LATERAL (SELECT label, reviewed_at, recorded_at FROM ground_truth gt
                                   WHERE gt.prediction_id = p.prediction_id ORDER BY reviewed_at DESC, label_id DESC LIMIT 1) g ON true
                WHERE g.label IS NOT NULL OR p.label IS NOT NULL
                """,
            expected: "schema: view effective_labels differs from the migrations' definition"),
        .init(
            name: "disable the append-only trigger", sql: "ALTER TABLE predictions DISABLE TRIGGER predictions_append_only",
            expected: "schema: trigger predictions.predictions_append_only is disabled"),
        .init(
            name: "drop the truncate guard", sql: "DROP TRIGGER ground_truth_no_truncate ON ground_truth",
            expected: "schema: trigger ground_truth.ground_truth_no_truncate defined by the migrations is missing"),
        .init(
            name: "make the append-only function a no-op",
            sql:
                "CREATE OR REPLACE FUNCTION vlm_audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN coalesce(NEW, OLD); END $$",
            expected: "schema: function vlm_audit_reject_change() differs from the migrations' definition"),
        .init(
            name: "hide a model's rows behind row security",
            sql:
                "ALTER TABLE predictions ENABLE ROW LEVEL SECURITY; ALTER TABLE predictions FORCE ROW LEVEL SECURITY; CREATE POLICY hide ON predictions USING (model <> 'm2')",
            expected: "schema: policy predictions.hide is not defined by the migrations"),
        .init(
            name: "add a trigger that rewrites incoming labels",
            sql: """
                CREATE FUNCTION shift_label() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.label := 0; RETURN NEW; END $$;
                CREATE TRIGGER shift BEFORE INSERT ON ground_truth FOR EACH ROW EXECUTE FUNCTION shift_label()
                """,
            expected: "schema: trigger ground_truth.shift is not defined by the migrations"),
        .init(
            name: "move the default time of record",
            sql: "ALTER TABLE predictions ALTER COLUMN ingested_at SET DEFAULT now() - interval '1 day'",
            expected: "schema: column predictions.ingested_at differs from the migrations' definition"),
        .init(
            name: "drop a check constraint", sql: "ALTER TABLE ground_truth DROP CONSTRAINT ground_truth_label_check",
            expected: "schema: constraint ground_truth.ground_truth_label_check defined by the migrations is missing"),
    ]

    @Test("verify reports schema tampering that leaves every hashed row intact", arguments: scenarios)
    func detects(_ scenario: TamperScenario) throws {
        let database = try TestDatabase.createMigrated(prefix: "schema")
        let app = AuditApp(database: database)
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "p1"), SampleRecords.prediction(id: "p2", model: "m2")])],
            options: IngestOptions(kind: .predictions))
        let before = try app.verify()
        #expect(before.intact, "\(before.problems)")
        #expect(before.schemaDefinitions > 150 && before.schemaNotChecked == nil)

        try scenario.apply(to: try database.connect())

        scenario.expectReported(in: try app.verify().problems.map(\.description))
    }

    @Test("an index a DBA adds for speed, and tables of its own, are not tampering")
    func extraIndexAllowed() throws {
        let database = try TestDatabase.createMigrated(prefix: "schema")
        let app = AuditApp(database: database)
        let connection = try database.connect()
        try connection.execute("CREATE INDEX predictions_site ON predictions (site); CREATE TABLE dba_notes (note text)")
        let report = try app.verify()
        #expect(report.intact, "\(report.problems)")
        #expect(report.schemaNotChecked == nil)
        // The check leaves nothing behind: its scratch schema lives only in a transaction that is rolled back.
        #expect(try connection.query("SELECT count(*) FROM pg_namespace WHERE nspname = $1", [SchemaCheck.scratchSchema]).int(0, 0) == 0)
    }

    @Test("a role that may not create a schema gets the chains checked and the schema reported as not checked")
    func withoutCreatePrivilege() throws {
        let database = try TestDatabase.createMigrated(prefix: "schema")
        let connection = try database.connect()
        let name = try connection.query("SELECT current_database()").string(0, 0)!
        try connection.execute(
            """
            DO $$ BEGIN CREATE ROLE vlm_audit_schema_test LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            GRANT vlm_audit_reader TO vlm_audit_schema_test; REVOKE CREATE ON DATABASE "\(name)" FROM PUBLIC
            """)
        try connection.execute("SET ROLE vlm_audit_schema_test")
        let result = try SchemaCheck.check(connection, migrations: database.migrator.migrations())
        #expect(result.compared == 0 && result.problems.isEmpty)
        #expect(result.notChecked?.contains("the scratch schema cannot be created") == true, "\(String(describing: result.notChecked))")
    }
}
