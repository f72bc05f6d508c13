import AuditCore
import AuditApp
@testable import AuditStore
import PQ
import Testing
import TestSupport

/// `verify` must notice every kind of tampering, including by a superuser who switched the triggers off.
@Suite("tamper evidence")
struct TamperTests {
    static let scenarios: [TamperScenario] = [
        .init(
            name: "edit a prediction", sql: "UPDATE predictions SET predicted = 1 WHERE prediction_id = 'p3'",
            expected: "prediction p3: row content does not match"),
        .init(
            name: "edit a derived score", sql: "UPDATE predictions SET msp = 0.99 WHERE prediction_id = 'p2'",
            expected: "prediction p2: row content does not match"),
        .init(
            name: "edit a label", sql: "UPDATE ground_truth SET label = 3 WHERE prediction_id = 'p1'",
            expected: "row content does not match"),
        .init(
            name: "delete a prediction", sql: "DELETE FROM predictions WHERE prediction_id = 'p4'",
            expected: "rows were deleted or inserted"),
        .init(name: "delete a quarantined record", sql: "DELETE FROM quarantine", expected: "rows were deleted or inserted"),
        .init(
            name: "insert a prediction into a batch",
            sql:
                "INSERT INTO predictions (prediction_id, batch_id, batch_seq, model, occurred_at, options, predicted, row_hash) SELECT 'x', batch_id, 99, 'm1', now(), ARRAY['a','b'], 0, row_hash FROM predictions WHERE prediction_id = 'p1'",
            expected: "rows were deleted or inserted"),
        .init(
            name: "insert a prediction outside any batch",
            sql:
                "INSERT INTO predictions (prediction_id, batch_id, batch_seq, model, occurred_at, options, predicted, row_hash) VALUES ('ghost', 999, 0, 'm1', now(), ARRAY['a','b'], 0, 'h')",
            expected: "prediction ghost: row belongs to a batch that is not in the chain"),
        .init(
            name: "reorder two rows",
            sql:
                "UPDATE predictions SET batch_seq = -1 WHERE prediction_id = 'p1'; UPDATE predictions SET batch_seq = 0 WHERE prediction_id = 'p2'; UPDATE predictions SET batch_seq = 1 WHERE prediction_id = 'p1'",
            expected: "rows hash does not match its rows"),
        .init(
            name: "edit a batch header", sql: "UPDATE ingest_batches SET source = 'elsewhere.jsonl' WHERE batch_id = 1",
            expected: "chain hash does not match the batch header"),
        .init(
            name: "remove a whole batch from the middle",
            sql:
                "DELETE FROM ground_truth WHERE batch_id = 1; DELETE FROM quarantine WHERE batch_id = 1; DELETE FROM predictions WHERE batch_id = 1; DELETE FROM ingest_batches WHERE batch_id = 1",
            expected: "prev_chain_hash does not match"),
        // Times of record (hash version 2): one instant per batch, in every row and under the batch's chain hash.
        .init(
            name: "backdate a prediction's time of record",
            sql: "UPDATE predictions SET ingested_at = ingested_at - interval '1 day' WHERE prediction_id = 'p3'",
            expected: "prediction p3: time of record is not its batch's"),
        .init(
            name: "backdate a label's time of record", sql: "UPDATE ground_truth SET recorded_at = recorded_at - interval '1 day'",
            expected: "of p1: time of record is not its batch's"),
        .init(
            name: "backdate a quarantined record's time of record",
            sql: "UPDATE quarantine SET recorded_at = recorded_at - interval '1 hour'",
            expected: "time of record is not its batch's"),
        .init(
            name: "backdate a batch with all its rows",
            sql:
                "UPDATE ingest_batches SET ingested_at = ingested_at - interval '1 hour' WHERE batch_id = 2; UPDATE predictions SET ingested_at = ingested_at - interval '1 hour' WHERE batch_id = 2",
            expected: "chain hash does not match the batch header"),
        .init(
            name: "downgrade a batch's hash version", sql: "UPDATE ingest_batches SET hash_version = 1 WHERE batch_id = 2",
            expected: "chain hash does not match the batch header"),
        // The orientation registry is not hashed, but every score is read through it: verify checks it against the rows.
        .init(
            name: "flip a method's orientation", sql: "UPDATE ue_methods SET orientation = 'uncertainty' WHERE method = 'verbalized'",
            expected: "ue_methods: verbalized is registered as uncertainty-oriented, but stored predictions carry it on the other side"),
        .init(
            name: "flip a derived method's orientation", sql: "UPDATE ue_methods SET orientation = 'uncertainty' WHERE method = 'msp'",
            expected: "ue_methods: msp is registered as uncertainty-oriented"),
        .init(
            name: "delete a method from the registry", sql: "DELETE FROM ue_methods WHERE method = 'verbalized'",
            expected: "ue_methods: verbalized is carried by stored predictions but not registered"),
        .init(
            name: "register a method no record carries", sql: "INSERT INTO ue_methods (method, orientation) VALUES ('ghost', 'confidence')",
            expected: "ue_methods: ghost is registered, but no stored prediction carries it"),
    ]

    @Test("verify detects tampering done with the triggers disabled", arguments: scenarios)
    func detects(_ scenario: TamperScenario) throws {
        let database = try TestDatabase.createMigrated(prefix: "tamper")
        let app = AuditApp(database: database)
        _ = try app.ingest(
            paths: [
                try SampleRecords.file([
                    SampleRecords.prediction(id: "p1"), SampleRecords.prediction(id: "p2"),
                    SampleRecords.prediction(id: "bad", predicted: 9),
                ])
            ], options: IngestOptions(kind: .predictions))
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "p3"), SampleRecords.prediction(id: "p4")])],
            options: IngestOptions(kind: .predictions))
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.label(id: "p1", label: 0)])], options: IngestOptions(kind: .labels))
        let connection = try database.connect()
        #expect(try ChainVerifier.verify(connection).intact)

        try scenario.apply(to: connection)

        scenario.expectReported(in: try ChainVerifier.verify(connection).problems.map(\.description))
    }
}

/// Batches stored before migration 0008 (hash version 1) keep verifying as they were hashed.
@Suite("tamper evidence: hash versions")
struct HashVersionTests {
    @Test("a version-1 batch verifies as before: its header never covered a time, so its times of record stay uncovered")
    func versionOneBatches() throws {
        let database = try TestDatabase.createMigrated(prefix: "tamper")
        _ = try AuditApp(database: database).ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "v1")])],
            options: IngestOptions(kind: .predictions))
        let connection = try database.connect()
        let stored = try connection.query(
            """
            SELECT batch_id, kind, source, inserted_count, duplicate_count, rejected_count, rows_hash, code_version FROM ingest_batches
            """)
        let header = BatchHeader(
            batchID: Int64(stored.int(0, 0)!), kind: stored.string(0, 1)!, source: stored.string(0, 2)!, inserted: stored.int(0, 3)!,
            duplicates: stored.int(0, 4)!, rejected: stored.int(0, 5)!, rowsHash: stored.string(0, 6)!, codeVersion: stored.string(0, 7)!)
        try connection.execute("SET session_replication_role = replica")
        try connection.query(
            "UPDATE ingest_batches SET hash_version = 1, chain_hash = $1",
            [ChainHash.chainHash(previous: ChainHash.genesis, header: header)])
        #expect(try ChainVerifier.verify(connection).intact)
        try connection.execute("UPDATE predictions SET ingested_at = ingested_at - interval '1 day'")
        #expect(try ChainVerifier.verify(connection).intact)
    }
}

/// Truncating the newest links leaves a chain that is consistent in itself; an anchor taken earlier exposes it.
@Suite("tamper evidence: anchors")
struct AnchorTests {
    @Test("deleting the newest batch with its rows, or the newest calibration event, is caught by an earlier anchor")
    func truncationNeedsAnAnchor() throws {
        let database = try TestDatabase.createMigrated(prefix: "anchor")
        let app = AuditApp(database: database)
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "a1")])], options: IngestOptions(kind: .predictions))
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "a2")])], options: IngestOptions(kind: .predictions))
        let before = try app.verify()
        let recordsHead = try #require(before.head?.hash)
        let connection = try database.connect()

        try connection.execute(
            """
            SET session_replication_role = replica;
            DELETE FROM predictions WHERE batch_id = (SELECT max(batch_id) FROM ingest_batches);
            DELETE FROM ingest_batches WHERE batch_id = (SELECT max(batch_id) FROM ingest_batches);
            SET session_replication_role = origin;
            """)
        // Without an anchor the shorter chain is consistent: this is the limit of any self-contained hash chain.
        #expect(try app.verify().intact)
        let anchored = try app.verify(anchors: [recordsHead])
        #expect(!anchored.intact)
        #expect(anchored.problems.contains { $0.message.contains("anchor \(recordsHead) is no longer a link") })
        // An anchor that is still in the chain passes.
        #expect(try app.verify(anchors: [try #require(app.verify().head?.hash)]).intact)
    }

    @Test("the drift chain's head is an anchor too: deleting the newest drift run (an ALERT, say) is caught by it")
    func driftRunTruncation() throws {
        let database = try TestDatabase.createMigrated(prefix: "anchor")
        let app = AuditApp(database: database)
        let connection = try database.connect()
        let now = Timestamp(microseconds: 1_790_000_000_000_000)
        for status in [DriftSeverity.ok, .alert] {
            try DriftStore.insert(
                connection,
                DriftRun(
                    model: "m1", reference: (now.adding(seconds: -30 * 86_400), now.adding(seconds: -7 * 86_400)),
                    current: (now.adding(seconds: -7 * 86_400), now), status: status, testsRun: 1, findings: .array([])))
        }
        let driftHead = try #require(try app.verify().driftHead)
        #expect(try app.verify(anchors: [driftHead]).intact)
        try connection.execute(
            """
            SET session_replication_role = replica;
            DELETE FROM drift_run_links WHERE run_id = 2; DELETE FROM drift_runs WHERE run_id = 2;
            SET session_replication_role = origin;
            """)
        #expect(try app.verify().intact)
        let anchored = try app.verify(anchors: [driftHead])
        #expect(
            anchored.problems.contains {
                $0.message.contains(
                    "anchor \(driftHead) is no longer a link of the records, calibration, drift, audit plan, monitor, checkpoint or access chain"
                )
            })
    }
}
