import AuditApp
import AuditCore
import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// Checkpoints and incremental verify (docs/hash-chain.md, "Checkpoints and incremental verify"), on a real database.
@Suite("checkpoints and incremental verify")
struct CheckpointTests {
    /// A store with two prediction batches (p1, p2; p3) and one label batch, all intact.
    private func store() throws -> (AuditApp, AuditDatabase) {
        let database = try TestDatabase.createMigrated(prefix: "checkpoint")
        let app = AuditApp(database: database)
        try ingest(app, predictions: ["p1", "p2"])
        try ingest(app, predictions: ["p3"])
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.label(id: "p1", label: 0)])], options: IngestOptions(kind: .labels))
        return (app, database)
    }

    private func ingest(_ app: AuditApp, predictions ids: [String]) throws {
        _ = try app.ingest(
            paths: [try SampleRecords.file(ids.map { SampleRecords.prediction(id: $0) })], options: IngestOptions(kind: .predictions))
    }

    /// Runs `sql` as a superuser with the append-only triggers off.
    private func tamper(_ database: AuditDatabase, _ sql: String) throws {
        let connection = try database.connect()
        try connection.execute("SET session_replication_role = replica; \(sql); SET session_replication_role = origin")
    }

    @Test("verify checks from the newest checkpoint and says so; --full and a store without checkpoints check from genesis")
    func incrementalRange() throws {
        let (app, _) = try store()
        let before = try app.verify()
        #expect(before.intact)
        #expect(before.range == VerifiedRange(fromCheckpoint: nil, afterBatch: 0, throughBatch: 3, batchesChecked: 3, rowsChecked: 4))

        let (sealedOver, checkpoint) = try app.checkpoint(by: "tester")
        #expect(sealedOver.intact)
        #expect(checkpoint.checkpointID == 1 && checkpoint.batchID == 3 && checkpoint.batches == 3 && checkpoint.rows == 4)
        #expect(checkpoint.batchChainHash == before.head?.hash)
        #expect(checkpoint.createdBy.hasPrefix("tester (database role "))

        let nothingNew = try app.verify()
        #expect(nothingNew.intact)
        #expect(nothingNew.range == VerifiedRange(fromCheckpoint: 1, afterBatch: 3, throughBatch: nil, batchesChecked: 0, rowsChecked: 0))
        #expect(nothingNew.head?.hash == before.head?.hash && nothingNew.batches == 3 && nothingNew.rows == 4)
        #expect(nothingNew.checkpointHead == checkpoint.checkpointHash)

        try ingest(app, predictions: ["p4", "p5"])
        let after = try app.verify()
        #expect(after.intact)
        #expect(after.range == VerifiedRange(fromCheckpoint: 1, afterBatch: 3, throughBatch: 4, batchesChecked: 1, rowsChecked: 2))
        #expect(after.batches == 4 && after.rows == 6)
        let full = try app.verify(full: true)
        #expect(full.intact && full.range?.isFull == true && full.range?.batchesChecked == 4 && full.head?.hash == after.head?.hash)
        // The checkpoint's hash is an anchor like the other chains' heads.
        #expect(try app.verify(anchors: [checkpoint.checkpointHash]).intact)
    }

    @Test("a row edited before the checkpoint is found by --full only; one edited after it by either")
    func tamperBeforeAndAfter() throws {
        let (app, database) = try store()
        _ = try app.checkpoint(by: "tester")
        try ingest(app, predictions: ["p4"])

        try tamper(database, "UPDATE predictions SET predicted = 1 WHERE prediction_id = 'p2'")
        #expect(try app.verify().intact)  // sealed: the incremental check does not reread it, and says which range it read
        let full = try app.verify(full: true)
        #expect(full.problems.contains { $0.description.contains("prediction p2: row content does not match") })

        try tamper(database, "UPDATE predictions SET predicted = 1 WHERE prediction_id = 'p4'")
        let incremental = try app.verify()
        #expect(incremental.problems.contains { $0.description.contains("prediction p4: row content does not match") })
        #expect(!incremental.problems.contains { $0.description.contains("p2") })
    }

    @Test("a chain rewritten before the checkpoint, a removed batch, or a tampered checkpoint is found by either verify")
    func rewrittenHistoryAndTamperedCheckpoints() throws {
        let cases: [(sql: String, expected: String)] = [
            (
                "UPDATE ingest_batches SET chain_hash = repeat('a', 64) WHERE batch_id = 3",
                "batch 3's chain hash is no longer the one sealed"
            ),
            (
                "DELETE FROM predictions WHERE batch_id = 2; DELETE FROM ingest_batches WHERE batch_id = 2",
                "2 batches lead to batch 3, but 3 were sealed"
            ),
            ("UPDATE chain_checkpoints SET row_count = 3", "checkpoint 1: does not match the checkpoint chain"),
            ("UPDATE chain_checkpoints SET batch_chain_hash = repeat('b', 64)", "checkpoint 1: does not match the checkpoint chain"),
            ("DELETE FROM chain_checkpoints", "anchor"),
        ]
        for (sql, expected) in cases {
            let (app, database) = try store()
            let (_, checkpoint) = try app.checkpoint(by: "tester")
            try tamper(database, sql)
            for full in [false, true] {
                let report = try app.verify(anchors: [checkpoint.checkpointHash], full: full)
                #expect(
                    report.problems.contains { $0.description.contains(expected) }, "\(sql), full \(full): \(report.problems)")
            }
        }
    }

    @Test("a checkpoint is sealed only over a chain that passed every check, and only when something new is stored")
    func refusals() throws {
        let empty = AuditApp(database: try TestDatabase.createMigrated(prefix: "checkpoint"))
        #expect(throws: CheckpointRefused.self) { try empty.checkpoint(by: "tester") }

        let (app, database) = try store()
        try tamper(database, "UPDATE predictions SET predicted = 1 WHERE prediction_id = 'p3'")
        let broken = #expect(throws: CheckpointRefused.self) { try app.checkpoint(by: "tester") }
        #expect(broken?.reason.contains("not intact") == true)
        #expect(try database.connect().query("SELECT count(*) AS n FROM chain_checkpoints").value("n", as: Int.self) == 0)

        let (clean, _) = try store()
        _ = try clean.checkpoint(by: "tester")
        let again = #expect(throws: CheckpointRefused.self) { try clean.checkpoint(by: "tester") }
        #expect(again?.reason.contains("nothing newer to seal") == true)
    }

    @Test("the registry check of an incremental verify still knows the methods only sealed rows carry")
    func registryAfterCheckpoint() throws {
        let database = try TestDatabase.createMigrated(prefix: "checkpoint")
        let app = AuditApp(database: database)
        try ingest(app, predictions: ["v1"])  // carries the confidence method "verbalized"
        let (_, checkpoint) = try app.checkpoint(by: "tester")
        #expect(checkpoint.confidenceMethods == ["verbalized"])
        let withoutVerbalized = SampleRecords.prediction(id: "p9").replacingOccurrences(of: #""confidence":{"verbalized":0.8},"#, with: "")
        #expect(!withoutVerbalized.contains("verbalized"))
        _ = try app.ingest(paths: [try SampleRecords.file([withoutVerbalized])], options: IngestOptions(kind: .predictions))
        // Only the sealed batch carries "verbalized": without the checkpoint's methods it would read as registered by no row.
        #expect(try app.verify().intact)
        try tamper(database, "UPDATE ue_methods SET orientation = 'uncertainty' WHERE method = 'verbalized'")
        #expect(
            try app.verify().problems.contains {
                $0.description.contains("verbalized is registered as uncertainty-oriented, but stored predictions carry it")
            })
    }
}
