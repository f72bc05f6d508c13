import AuditCore
@testable import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// Several batch writers, each on a connection of its own, committing at the same time against the real database:
/// the chain stays one line in id order, and contended ids, contents and method orientations come out as if the
/// batches had been written one after the other.
@Suite("concurrent batch writers")
struct ConcurrentWritersTests {
    /// A batch of valid predictions read from `lines`.
    static func batch(_ lines: [String]) throws -> PreparedBatch {
        PreparedBatch(
            try lines.enumerated().map { index, line in
                var record = try RecordValidator.prediction(JSONParser.parse(line)).get()
                record.deriveScores()
                return IngestItem(lineNumber: index + 1, raw: line, outcome: .prediction(record))
            })
    }

    /// Commits each writer's batches in turn, all writers at once; returns every outcome, or throws the first error.
    static func commitConcurrently(_ database: AuditDatabase, _ batchesPerWriter: [[PreparedBatch]]) throws -> [BatchOutcome] {
        let lock = NSLock()
        nonisolated(unsafe) var results: [Result<BatchOutcome, any Error>] = []
        DispatchQueue.concurrentPerform(iterations: batchesPerWriter.count) { writerIndex in
            let outcomes: [Result<BatchOutcome, any Error>]
            do {
                let writer = IngestBatchWriter(connection: try database.connect(), kind: .predictions, source: "writer-\(writerIndex)")
                outcomes = batchesPerWriter[writerIndex].map { batch in Result { try writer.commit(batch) } }
            } catch {
                outcomes = [.failure(error)]
            }
            lock.withLock { results += outcomes }
        }
        return try results.map { try $0.get() }
    }

    /// The sum of one count over outcomes.
    static func total(_ outcomes: [BatchOutcome], _ count: KeyPath<BatchOutcome, Int>) -> Int {
        outcomes.reduce(0) { $0 + $1[keyPath: count] }
    }

    /// Problems of the chain, plus any batch whose time of record is earlier than that of a batch with a smaller id.
    static func chainProblems(_ connection: PQConnection) throws -> [String] {
        var problems = try ChainVerifier.verify(connection).problems.map(\.description)
        let disorder = try connection.query(
            """
            SELECT count(*) FROM (SELECT ingested_at < lag(ingested_at) OVER (ORDER BY batch_id) AS earlier FROM ingest_batches) b
            WHERE earlier
            """
        ).int(0, 0)!
        if disorder > 0 { problems.append("\(disorder) batches have an earlier time of record than the batch before them") }
        return problems
    }

    /// Expects `predictions` rows stored in `database` and a chain without problems; returns the connection it read on.
    @discardableResult
    static func expectIntact(_ database: AuditDatabase, predictions: Int) throws -> PQConnection {
        let connection = try database.connect()
        #expect(try RecordCounts.read(connection).predictions == predictions)
        #expect(try chainProblems(connection).isEmpty)
        return connection
    }

    @Test("writers of distinct records: every row lands, batches link in id order with times of record in the same order")
    func distinctRecords() throws {
        let database = try TestDatabase.createMigrated(prefix: "cw_distinct")
        let perWriter = try (0..<4).map { writer in
            try (0..<5).map { batch in
                try Self.batch((0..<60).map { SampleRecords.prediction(id: "w\(writer)-b\(batch)-\($0)") })
            }
        }
        let outcomes = try Self.commitConcurrently(database, perWriter)
        #expect(Self.total(outcomes, \.inserted) == 1200)
        let connection = try database.connect()
        #expect(try RecordCounts.read(connection) == RecordCounts(predictions: 1200, labels: 0, quarantined: 0, batches: 20))
        #expect(try Self.chainProblems(connection).isEmpty)
    }

    /// Two writers on connections of their own, each committing one batch on a thread: the earlier batch is held open
    /// just after it has drawn its id (its first attempt only) until ``release()``, while the later one is committed.
    final class HeldEarlierBatch: @unchecked Sendable {
        // @unchecked Sendable: `attempts` and `outcomes` are only touched under `lock`; each writer on one thread at a time.
        private let earlier: IngestBatchWriter
        private let later: IngestBatchWriter
        private let lock = NSLock()
        private var attempts = 0
        private var outcomes: [String: Result<BatchOutcome, any Error>] = [:]
        private let placed = DispatchSemaphore(value: 0), held = DispatchSemaphore(value: 0)
        let earlierDone = DispatchSemaphore(value: 0), laterDone = DispatchSemaphore(value: 0)

        init(_ database: AuditDatabase) throws {
            earlier = IngestBatchWriter(connection: try database.connect(), kind: .predictions, source: "earlier")
            later = IngestBatchWriter(connection: try database.connect(), kind: .predictions, source: "later")
            // The methods registered first, so that neither batch waits for a registration.
            _ = try later.commit(ConcurrentWritersTests.batch([SampleRecords.prediction(id: "warm-up")]))
            earlier.whenPlaced = { [unowned self] in
                guard
                    lock.withLock({
                        attempts += 1; return attempts
                    }) == 1
                else { return }  // a retry is not held
                placed.signal()
                held.wait()
            }
        }

        /// Starts committing the earlier batch and returns once it has its id.
        func startEarlier(_ batch: PreparedBatch) {
            start("earlier", batch, done: earlierDone)
            placed.wait()
        }

        func startLater(_ batch: PreparedBatch) {
            start("later", batch, done: laterDone)
        }

        private func start(_ writer: String, _ batch: PreparedBatch, done: DispatchSemaphore) {
            Thread.detachNewThread { [self] in
                let outcome = Result { try (writer == "earlier" ? earlier : later).commit(batch) }
                lock.withLock { outcomes[writer] = outcome }
                done.signal()
            }
        }

        /// Lets the earlier batch go on.
        func release() { held.signal() }

        /// What the batch committed by `writer` ("earlier" or "later") did; throws the error it failed with.
        func outcome(_ writer: String) throws -> BatchOutcome {
            try #require(lock.withLock { outcomes[writer] }).get()
        }
    }

    @Test("a batch that drew its id later waits for the earlier one's transaction before it links, then links after it")
    func laterBatchWaitsForEarlier() throws {
        let database = try TestDatabase.createMigrated(prefix: "cw_wait")
        let pair = try HeldEarlierBatch(database)
        pair.startEarlier(try Self.batch((0..<20).map { SampleRecords.prediction(id: "e\($0)") }))
        pair.startLater(try Self.batch((0..<20).map { SampleRecords.prediction(id: "l\($0)") }))
        let laterWaited = pair.laterDone.wait(timeout: .now() + 2) == .timedOut
        #expect(laterWaited, "the later batch committed while the earlier one was open")
        pair.release()
        pair.earlierDone.wait()
        if laterWaited { pair.laterDone.wait() }
        #expect(try pair.outcome("earlier").batchID < pair.outcome("later").batchID)
        try Self.expectIntact(database, predictions: 41)
    }

    @Test(
        "two batches inserting one id, each waiting for the other: the server breaks the deadlock, the batch it rolled back is written again alone"
    )
    func deadlockRetried() throws {
        let database = try TestDatabase.createMigrated(prefix: "cw_deadlock")
        let pair = try HeldEarlierBatch(database)
        // Both hold "shared": the later batch inserts it first and then waits for the earlier batch to finish; the
        // earlier one, released, waits for the later one's row: a cycle only the server can break.
        pair.startEarlier(try Self.batch(["e1", "shared", "e2"].map { SampleRecords.prediction(id: $0) }))
        pair.startLater(try Self.batch(["l1", "shared", "l2"].map { SampleRecords.prediction(id: $0) }))
        Thread.sleep(forTimeInterval: 0.5)  // the later batch has COPYed its rows and waits for the earlier one
        pair.release()
        pair.earlierDone.wait()
        pair.laterDone.wait()
        let (earlier, later) = (try pair.outcome("earlier"), try pair.outcome("later"))
        #expect(earlier.inserted + later.inserted == 5)
        #expect(earlier.duplicates + later.duplicates == 1, "the second copy of the shared record is a no-op")
        let connection = try Self.expectIntact(database, predictions: 6)
        // The server's statistics arrive within about a second of the rolled-back transaction.
        var deadlocks = 0
        for _ in 0..<20 where deadlocks == 0 {
            deadlocks = try connection.query("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()").int(0, 0)!
            if deadlocks == 0 { Thread.sleep(forTimeInterval: 0.25) }
        }
        #expect(deadlocks == 1, "the scenario should have made exactly one deadlock")
    }

    @Test("writers sending the same records at once: each stored once, every other copy a duplicate, nothing fails")
    func sameRecords() throws {
        let database = try TestDatabase.createMigrated(prefix: "cw_same")
        let batches = try (0..<4).map { batch in try Self.batch((0..<80).map { SampleRecords.prediction(id: "s-\(batch)-\($0)") }) }
        // Each writer sends the batches in another order, so writers collide on ids in both directions.
        let perWriter = (0..<3).map { writer in (0..<batches.count).map { batches[($0 + writer) % batches.count] } }
        let outcomes = try Self.commitConcurrently(database, perWriter)
        #expect(Self.total(outcomes, \.inserted) == 320)
        #expect(Self.total(outcomes, \.duplicates) == 2 * 320)
        #expect(outcomes.allSatisfy { $0.quarantined.isEmpty })
        try Self.expectIntact(database, predictions: 320)
    }

    @Test("writers sending different contents under the same ids: one content stored per id, every other one quarantined")
    func conflictingRecords() throws {
        let database = try TestDatabase.createMigrated(prefix: "cw_conflict")
        let perWriter = try (0..<3).map { writer in
            try (0..<3).map { batch in
                try Self.batch(
                    (0..<50).map { index in
                        SampleRecords.prediction(id: "c-\((batch + writer) % 3)-\(index)", extra: #","site":"writer-\#(writer)""#)
                    })
            }
        }
        let outcomes = try Self.commitConcurrently(database, perWriter)
        #expect(Self.total(outcomes, \.inserted) == 150)
        #expect(Self.total(outcomes, \.quarantined.count) == 300)
        let connection = try database.connect()
        #expect(try RecordCounts.read(connection) == RecordCounts(predictions: 150, labels: 0, quarantined: 300, batches: 9))
        let reasons = try connection.query("SELECT DISTINCT reason FROM quarantine")
        #expect(
            reasons.rowCount == 1
                && reasons.string(0, 0) == "duplicate prediction_id with different content; the stored record is unchanged")
        #expect(try Self.chainProblems(connection).isEmpty)
    }

    @Test("writers introducing one new method with opposite orientations at once: the first registered wins everywhere")
    func newMethodBothWays() throws {
        let database = try TestDatabase.createMigrated(prefix: "cw_method")
        let sides = ["confidence", "uncertainty"]
        let perWriter = try (0..<2).map { writer in
            try (0..<4).map { batch in
                try Self.batch(
                    (0..<30).map { index in
                        let line = SampleRecords.prediction(id: "m\(writer)-\(batch)-\(index)")
                        return writer == 0
                            ? line.replacingOccurrences(of: #""verbalized":0.8"#, with: #""verbalized":0.8,"fresh_score":0.5"#)
                            : SampleRecords.prediction(id: "m\(writer)-\(batch)-\(index)", extra: #","uncertainty":{"fresh_score":0.5}"#)
                    })
            }
        }
        let outcomes = try Self.commitConcurrently(database, perWriter)
        let connection = try database.connect()
        let registered = try connection.query("SELECT orientation FROM ue_methods WHERE method = 'fresh_score'")
        #expect(registered.rowCount == 1)
        let winner = try #require(registered.string(0, 0))
        let loser = sides.first { $0 != winner }!
        // Every record naming it on the other side is quarantined; none is stored.
        let stored = try connection.query(
            """
            SELECT count(*) FILTER (WHERE \(winner) ? 'fresh_score'), count(*) FILTER (WHERE \(loser) ? 'fresh_score') FROM predictions
            """)
        #expect(stored.int(0, 0) == 120 && stored.int(0, 1) == 0)
        #expect(Self.total(outcomes, \.quarantined.count) == 120)
        #expect(try Self.chainProblems(connection).isEmpty)
    }
}
