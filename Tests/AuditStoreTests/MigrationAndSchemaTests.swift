@testable import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

@Suite("migrations and the append-only schema")
struct MigrationAndSchemaTests {
    @Test("migrate applies every file once; a second run is a no-op")
    func migrateTwice() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "mig")
        let connection = try PQConnection(conninfo: conninfo)
        let migrator = Migrator(folder: TestDatabase.migrations)
        let applied = try migrator.migrate(connection)
        #expect(applied == (try migrator.migrations()).map(\.name))
        #expect(applied.first == "0001_records.sql")
        #expect(try migrator.migrate(connection).isEmpty)
        #expect(try migrator.pending(connection).isEmpty)
        let recorded = try connection.query("SELECT count(*) FROM schema_migrations").int(0, 0)
        #expect(recorded == applied.count)
    }

    @Test("the migrations built into the binary are Migrations/ byte for byte (run scripts/embed-migrations.py after adding one)")
    func embeddedMigrationsMatchTheFolder() throws {
        let embedded = try Migrator.embedded.migrations()
        let files = try Migrator(folder: TestDatabase.migrations).migrations()
        #expect(embedded.map(\.name) == files.map(\.name))
        #expect(embedded.map(\.checksum) == files.map(\.checksum))
        #expect(embedded == files)
        #expect(embedded.count >= 9)
        // A store migrated from the folder is current for the binary, and the other way round.
        let connection = try PQConnection(conninfo: try TestDatabase.createEmpty(prefix: "mig"))
        try Migrator(folder: TestDatabase.migrations).migrate(connection)
        #expect(try Migrator.embedded.pending(connection).isEmpty)
        #expect(try Migrator.embedded.migrate(connection).isEmpty)
    }

    @Test("a store that applied the earlier texts of the rewritten role migrations is current; any other text is still an error")
    func earlierEquivalentTexts() throws {
        let connection = try PQConnection(conninfo: try TestDatabase.createEmpty(prefix: "mig"))
        try Migrator.embedded.migrate(connection)
        // What a store migrated before the rewrite recorded: the earlier checksums of 0001, 0002, 0003 and 0007.
        try connection.execute("SET session_replication_role = replica")
        for (name, checksums) in Migrator.equivalentEarlierChecksums {
            try connection.query("UPDATE schema_migrations SET checksum = $1 WHERE name = $2", [checksums.first!, name])
        }
        try connection.execute("SET session_replication_role = origin")
        #expect(try Migrator.embedded.migrate(connection).isEmpty)
        #expect(try Migrator.embedded.pending(connection).isEmpty)
        try connection.execute("SET session_replication_role = replica")
        try connection.query(
            "UPDATE schema_migrations SET checksum = $1 WHERE name = '0001_records.sql'", [String(repeating: "0", count: 64)])
        try connection.execute("SET session_replication_role = origin")
        #expect(throws: Migrator.Failure.self) { try Migrator.embedded.migrate(connection) }
    }

    @Test("an applied migration that was edited is an error naming the file")
    func editedMigration() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "mig")
        let connection = try PQConnection(conninfo: conninfo)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "CREATE TABLE edited_t (a int);\n".write(to: folder.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        try Migrator(folder: folder).migrate(connection)
        try "CREATE TABLE edited_t (a int, b int);\n".write(
            to: folder.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        let error = try #require(throws: Migrator.Failure.self) { try Migrator(folder: folder).migrate(connection) }
        #expect(error.description.contains("0001_first.sql was edited after it was applied"))
    }

    @Test("a failing migration rolls back whole and is not recorded")
    func failingMigration() throws {
        let conninfo = try TestDatabase.createEmpty(prefix: "mig")
        let connection = try PQConnection(conninfo: conninfo)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "CREATE TABLE half_t (a int);\nSELECT no_such_function();\n".write(
            to: folder.appendingPathComponent("0001_broken.sql"), atomically: true, encoding: .utf8)
        let error = try #require(throws: Migrator.Failure.self) { try Migrator(folder: folder).migrate(connection) }
        #expect(error.description.contains("0001_broken.sql failed"))
        #expect(try connection.query("SELECT to_regclass('half_t') IS NULL").bool(0, 0) == true)
        #expect(try connection.query("SELECT count(*) FROM schema_migrations").int(0, 0) == 0)
    }

    @Test(
        "UPDATE, DELETE and TRUNCATE on record tables fail, even for the owner",
        arguments: [
            "UPDATE predictions SET model = 'x'", "DELETE FROM predictions", "TRUNCATE quarantine", "TRUNCATE ground_truth",
            "UPDATE ground_truth SET label = 0", "DELETE FROM quarantine", "UPDATE ingest_batches SET source = 'x'",
            "DELETE FROM calibration_versions", "UPDATE calibration_events SET status = 'active'", "DELETE FROM ue_methods",
        ])
    func appendOnly(statement: String) throws {
        let database = try TestDatabase.createMigrated(prefix: "ao")
        let connection = try database.connect()
        try seedOneOfEach(connection)
        let error = try #require(throws: PQError.self) { try connection.query(statement) }
        #expect(error.sqlState == "42501")
        #expect(error.message.contains("append-only"))
    }

    @Test("the application role may insert and read but not change records")
    func applicationRole() throws {
        let database = try TestDatabase.createMigrated(prefix: "role")
        let connection = try database.connect()
        try seedOneOfEach(connection)
        try connection.execute("SET ROLE vlm_audit_app")
        #expect(try connection.query("SELECT count(*) FROM predictions").int(0, 0) == 1)
        let error = try #require(throws: PQError.self) { try connection.query("ALTER TABLE predictions DISABLE TRIGGER ALL") }
        #expect(error.sqlState == "42501")
        #expect(throws: PQError.self) { try connection.query("UPDATE predictions SET model = 'x'") }
    }

    @Test("COPY can load predictions in multi-row groups: no volatile default, no row trigger before insert")
    func predictionsAllowMultiRowCopy() throws {
        // PostgreSQL's COPY falls back to one heap insert (and WAL record) per row when a column it fills by default
        // calls a volatile function or a BEFORE/INSTEAD row trigger fires on insert.
        let connection = try TestDatabase.createMigrated(prefix: "mig").connect()
        let volatileDefaults = try connection.query(
            """
            SELECT a.attname || ' = ' || pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            CROSS JOIN LATERAL regexp_matches(pg_get_expr(d.adbin, d.adrelid), '([a-z_][a-z0-9_]*)\\(', 'g') AS f(name)
            JOIN pg_proc p ON p.proname = f.name[1]
            WHERE d.adrelid = 'predictions'::regclass AND p.provolatile = 'v'
            """)
        #expect(volatileDefaults.rowCount == 0, "\((0..<volatileDefaults.rowCount).map { volatileDefaults.string($0, 0)! })")
        let rowTriggersBeforeInsert = try connection.query(
            """
            SELECT tgname FROM pg_trigger
            WHERE tgrelid = 'predictions'::regclass AND NOT tgisinternal AND tgtype & 1 = 1 AND tgtype & 4 = 4 AND tgtype & 66 <> 0
            """)
        #expect(rowTriggersBeforeInsert.rowCount == 0)
        // The check itself sees a volatile default where there is one.
        try connection.execute("CREATE TABLE volatile_default_probe (a int, t timestamptz DEFAULT clock_timestamp())")
        let probe = try connection.query(
            """
            SELECT 1 FROM pg_attrdef d
            CROSS JOIN LATERAL regexp_matches(pg_get_expr(d.adbin, d.adrelid), '([a-z_][a-z0-9_]*)\\(', 'g') AS f(name)
            JOIN pg_proc p ON p.proname = f.name[1]
            WHERE d.adrelid = 'volatile_default_probe'::regclass AND p.provolatile = 'v'
            """)
        #expect(probe.rowCount == 1)
    }

    private func seedOneOfEach(_ connection: PQConnection) throws {
        try connection.execute(
            """
            INSERT INTO ingest_batches (kind, source, inserted_count, duplicate_count, rejected_count, rows_hash, prev_chain_hash, chain_hash, code_version)
            VALUES ('predictions', 't', 1, 0, 0, 'r', 'p', 'c', 'test');
            INSERT INTO predictions (prediction_id, batch_id, batch_seq, model, occurred_at, options, predicted, row_hash)
            VALUES ('p1', 1, 0, 'm', now(), ARRAY['a','b'], 0, 'h');
            INSERT INTO ground_truth (prediction_id, label, reviewer, reviewed_at, batch_id, batch_seq, row_hash)
            VALUES ('p1', 0, 'r', now(), 1, 1, 'h');
            INSERT INTO quarantine (batch_id, batch_seq, kind, source, reason, raw, raw_hash, row_hash)
            VALUES (1, 2, 'predictions', 't', 'bad', '{}', 'x', 'h');
            INSERT INTO calibration_versions (model, method, temperature, mode, target_risk, delta, coverage, guarantee_met,
                window_from, window_to, n_fit, n_holdout, evidence, code_version, fitted_by, content_hash)
            VALUES ('m', 'msp', 1.2, 'ltt', 0.1, 0.05, 0.5, true, now(), now(), 10, 2, '{}', 'test', 'test', 'h');
            INSERT INTO calibration_events (version_id, model, status, actor, reason, prev_event_hash, event_hash)
            VALUES (1, 'm', 'proposed', 'test', 'seed', 'p', 'e');
            """)
    }
}

@Suite("embedded cluster")
struct EmbeddedClusterTests {
    @Test("start, status, connect and stop a private cluster in a new folder")
    func lifecycle() throws {
        let home = URL(fileURLWithPath: "/tmp/vlm-audit-ec-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: home.path)
        defer { try? FileManager.default.removeItem(at: home) }
        let cluster = EmbeddedCluster(home: home)
        #expect(try cluster.status() == .notInitialized)
        #expect(try cluster.start())
        defer { _ = try? cluster.stop() }
        #expect(try cluster.status() == .running)
        #expect(try !cluster.start(), "a second start is a no-op")
        let connection = try PQConnection(conninfo: cluster.conninfo)
        #expect(try connection.query("SELECT current_database()").string(0, 0) == "vlm_audit")
        #expect(try connection.query("SHOW listen_addresses").string(0, 0) == "", "no TCP port")
        #expect(try cluster.stop())
        #expect(try cluster.status() == .stopped)
        #expect(!connection.isHealthy || (try? connection.query("SELECT 1")) == nil)
    }

    @Test("the location follows DATABASE_URL, then PG* settings, then the embedded cluster")
    func resolution() {
        if case .external(let conninfo) = DatabaseLocation.resolve(environment: ["DATABASE_URL": "postgresql://x/y", "PGHOST": "h"]) {
            #expect(conninfo == "postgresql://x/y")
        } else {
            Issue.record("DATABASE_URL should win")
        }
        if case .external(let conninfo) = DatabaseLocation.resolve(environment: ["PGHOST": "db.internal"]) {
            #expect(conninfo == "")
        } else {
            Issue.record("PGHOST should select libpq's environment rules")
        }
        if case .embedded(let cluster) = DatabaseLocation.resolve(environment: ["VLM_AUDIT_HOME": "/srv/audit"]) {
            #expect(cluster.home.path == "/srv/audit")
        } else {
            Issue.record("no settings should select the embedded cluster")
        }
        #expect(!DatabaseLocation.external(conninfo: "postgresql://u:secret@h/d").safeDescription.contains("secret"))
    }
}

/// A hospital DBA's normal grant: a database owner with no CREATEROLE and no CREATEDB (docs/deployment.md).
@Suite("a plain database owner")
struct PlainOwnerTests {
    /// A new login role that owns a new, empty database; returns its conninfo (the test cluster trusts its socket).
    static func plainOwnerDatabase() throws -> String {
        let superuser = try PQConnection(conninfo: try TestDatabase.createEmpty(prefix: "own"))
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let role = "plain_owner_\(suffix)"
        try superuser.execute("CREATE ROLE \(role) LOGIN NOCREATEROLE NOCREATEDB NOSUPERUSER")
        try superuser.execute("CREATE DATABASE owned_\(suffix) OWNER \(role)")
        return TestDatabase.cluster.conninfo(database: "owned_\(suffix)").replacingOccurrences(
            of: "user=\(TestDatabase.cluster.superuser)", with: "user=\(role)")
    }

    @Test("migrates, stores and verifies completely, the schema compared with the migrations")
    func migrateAndVerify() throws {
        let conninfo = try Self.plainOwnerDatabase()
        let database = AuditDatabase(location: .external(conninfo: conninfo))
        let connection = try database.connect()
        #expect(try connection.query("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user").bool(0, 0) == false)
        let applied = try database.migrate(connection)
        #expect(applied.count == (try Migrator.embedded.migrations()).count)
        let schema = try SchemaCheck.check(connection, migrations: try Migrator.embedded.migrations())
        #expect(schema.notChecked == nil, "\(schema.notChecked ?? "")")
        #expect(schema.problems.isEmpty, "\(schema.problems)")
        #expect(schema.compared > 100)
        #expect(try ChainVerifier.verify(connection).intact)
    }

    @Test("db grant-roles gives the roles exactly the privileges the migrations grant where the roles exist")
    func grantRolesMatchesMigrations() throws {
        let connection = try TestDatabase.createMigrated(prefix: "own").connect()
        let granted = try RoleGrants.held(connection)
        #expect(granted.contains("vlm_audit_app INSERT predictions") && granted.contains("vlm_audit_reader SELECT audit_plans"))
        #expect(
            !granted.contains { $0.hasPrefix("vlm_audit_reader") && $0.contains("api_token") }, "API tokens are the application's alone")
        #expect(!granted.contains { $0.hasPrefix("vlm_audit_app UPDATE") || $0.hasPrefix("vlm_audit_app DELETE") })
        try connection.execute(
            """
            REVOKE ALL ON ALL TABLES IN SCHEMA public FROM vlm_audit_app, vlm_audit_reader;
            REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM vlm_audit_app, vlm_audit_reader
            """)
        #expect(try RoleGrants.held(connection).isEmpty)
        let outcome = try RoleGrants.apply(connection)
        #expect(outcome.granted == ["vlm_audit_app", "vlm_audit_reader"] && outcome.missing.isEmpty)
        #expect(try RoleGrants.held(connection) == granted)
    }
}
