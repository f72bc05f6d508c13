import AuditCore
@testable import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// Drift runs are chained (migration 0007): removing, inserting or re-sealing a run breaks `verify`, as it does for
/// ingest batches and calibration events; the runs stored before the migration are linked by it.
@Suite("drift chain")
struct DriftChainTests {
    static let now = Timestamp(microseconds: 1_790_000_000_000_000)

    static func run(_ model: String, status: DriftSeverity, tests: Int = 4) -> DriftRun {
        DriftRun(
            model: model, reference: (now.adding(seconds: -90 * 86_400), now.adding(seconds: -7 * 86_400)),
            current: (now.adding(seconds: -7 * 86_400), now), status: status, testsRun: tests,
            findings: .array([.object(JSONObject([("check", .string("accuracy")), ("severity", .string(status.rawValue))]))]))
    }

    /// A migrated database with three runs: OK, ALERT, WARN (run ids 1, 2, 3).
    static func threeRuns() throws -> PQConnection {
        let connection = try TestDatabase.createMigrated(prefix: "dchain").connect()
        for (model, status) in [("m1", DriftSeverity.ok), ("m2", DriftSeverity.alert), ("m3", DriftSeverity.warn)] {
            try DriftStore.insert(connection, run(model, status: status))
        }
        #expect(try DriftStore.verify(connection).isEmpty)
        return connection
    }

    static let scenarios: [TamperScenario] = [
        .init(
            name: "remove the ALERT run with its link",
            sql: "DELETE FROM drift_run_links WHERE run_id = 2; DELETE FROM drift_runs WHERE run_id = 2",
            expected: "drift run 3: does not match the drift chain"),
        .init(
            name: "remove the ALERT run, leaving its link", sql: "DELETE FROM drift_runs WHERE run_id = 2",
            expected: "drift run 2: missing, though the drift chain links it"),
        .init(
            name: "insert a run outside the chain",
            sql:
                "INSERT INTO drift_runs (model, reference_from, reference_to, current_from, current_to, status, tests_run, findings, content_hash) SELECT model, reference_from, reference_to, current_from, current_to, 'OK', tests_run, findings, content_hash FROM drift_runs WHERE run_id = 1",
            expected: "not linked in the drift chain"),
        // A consistent pair (content and its content hash) taken from another run: the run's own seal still holds.
        .init(
            name: "replace the ALERT run by another run's sealed content",
            sql:
                "UPDATE drift_runs d SET model = o.model, status = o.status, findings = o.findings, content_hash = o.content_hash FROM drift_runs o WHERE d.run_id = 2 AND o.run_id = 1",
            expected: "drift run 2: does not match the drift chain"),
        .init(
            name: "swap two runs' links",
            sql:
                "UPDATE drift_run_links SET run_id = -run_id WHERE run_id IN (1, 2); UPDATE drift_run_links SET run_id = CASE run_id WHEN -1 THEN 2 ELSE 1 END WHERE run_id IN (-1, -2)",
            expected: "drift run 1: does not match the drift chain"),
    ]

    @Test("verify detects drift runs removed, inserted or re-sealed with the triggers disabled", arguments: scenarios)
    func detects(_ scenario: TamperScenario) throws {
        let connection = try Self.threeRuns()
        try scenario.apply(to: connection)
        scenario.expectReported(in: try DriftStore.verify(connection))
    }

    @Test("the head is the newest run's link; it stays a link until the chain is truncated")
    func headAndAnchor() throws {
        let connection = try Self.threeRuns()
        let head = try #require(try DriftStore.chainHead(connection))
        #expect(head == (try connection.query("SELECT link_hash FROM drift_run_links WHERE run_id = 3").string(0, 0)))
        #expect(try DriftStore.containsLink(connection, hash: head))
        try connection.execute(
            """
            SET session_replication_role = replica;
            DELETE FROM drift_run_links WHERE run_id = 3; DELETE FROM drift_runs WHERE run_id = 3;
            SET session_replication_role = origin;
            """)
        // The shorter chain is consistent in itself; only the earlier head exposes it.
        #expect(try DriftStore.verify(connection).isEmpty)
        #expect(try !DriftStore.containsLink(connection, hash: head))
    }

    @Test("links are append-only for every role")
    func appendOnly() throws {
        let connection = try Self.threeRuns()
        for statement in ["UPDATE drift_run_links SET link_hash = 'x'", "DELETE FROM drift_run_links", "TRUNCATE drift_run_links"] {
            let error = try #require(throws: PQError.self) { try connection.query(statement) }
            #expect(error.sqlState == "42501", "\(statement)")
        }
    }

    @Test("migration 0007 links the runs stored before it exactly as the store links new ones")
    func migrationLinksEarlierRuns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let all = try FileManager.default.contentsOfDirectory(atPath: TestDatabase.migrations.path).filter { $0.hasSuffix(".sql") }.sorted()
        for name in all where name < "0007" {
            try FileManager.default.copyItem(
                at: TestDatabase.migrations.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let connection = try PQConnection(conninfo: try TestDatabase.createEmpty(prefix: "dchain"))
        try Migrator(folder: folder).migrate(connection)
        // Runs stored the way the store did before the chain: sealed one by one.
        for (model, status) in [("m1", DriftSeverity.ok), ("m2", DriftSeverity.alert), ("m1", DriftSeverity.warn)] {
            let run = Self.run(model, status: status)
            try connection.query(
                """
                INSERT INTO drift_runs (model, reference_from, reference_to, current_from, current_to, status, tests_run, findings, content_hash)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                [
                    run.model, run.reference.from.rfc3339, run.reference.to.rfc3339, run.current.from.rfc3339, run.current.to.rfc3339,
                    run.status, run.testsRun, CanonicalJSON.text(run.findings), ChainHash.sha256(run.canonicalText),
                ])
        }
        try Migrator(folder: TestDatabase.migrations).migrate(connection)
        #expect(try connection.query("SELECT count(*) FROM drift_run_links").int(0, 0) == 3)
        #expect(try DriftStore.verify(connection).isEmpty)
        try DriftStore.insert(connection, Self.run("m2", status: .ok))
        #expect(try DriftStore.verify(connection).isEmpty)
        // The SQL and the Swift definitions of a link agree, so a removed early run is caught like any other.
        try connection.execute(
            "SET session_replication_role = replica; DELETE FROM drift_run_links WHERE run_id = 1; DELETE FROM drift_runs WHERE run_id = 1")
        #expect(try DriftStore.verify(connection).contains { $0.contains("drift run 2: does not match the drift chain") })
    }
}
