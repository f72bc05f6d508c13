import AuditCore
import AuditStore
import Foundation

/// Commits batches on a thread and a database connection of its own, one batch at a time, so that file ingest can have
/// two batches committing at once: PostgreSQL then stores their rows in two processes, on both cores, which is where
/// most of an ingest's time goes. ``IngestBatchWriter`` keeps the batches' order in the chain whatever the order in
/// which their transactions reach the server.
final class CommitLane: @unchecked Sendable {
    // @unchecked Sendable: `connection` and `writer` are only used on the lane's thread; `job`, `result`, `placed` and
    // `closing` only while `condition` is locked.
    private let condition = NSCondition()
    private var job: Job?
    private var result: Result<BatchOutcome, any Error>?
    /// True once the batch started last has its place in the chain (or has failed before it could take one).
    private var placed = false
    private var closing = false
    private var connection: StoreConnection?
    private var writer: (kind: RecordKind, source: String, writer: IngestBatchWriter)?

    private struct Job {
        let batch: PreparedBatch
        let kind: RecordKind
        let source: String
    }

    /// A lane that commits on `connection` (handed over: used on the lane's thread only from now on), or on a
    /// connection it opens with `connect` on its thread when it first needs one.
    init(name: String, connection: StoreConnection?, connect: @escaping @Sendable () throws -> StoreConnection) {
        self.connection = connection
        let thread = Thread { [self] in serve(connect: connect) }  // holds the lane until ``close()``
        thread.name = name
        thread.start()
    }

    /// Starts committing `batch` (the lane must be idle: ``wait()`` took the previous result).
    func start(_ batch: PreparedBatch, kind: RecordKind, source: String) {
        condition.lock()
        precondition(job == nil && result == nil, "a lane commits one batch at a time")
        job = Job(batch: batch, kind: kind, source: source)
        placed = false
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the batch started last has its place in the chain: a batch started on another lane after this
    /// returns comes after it in the chain (unless a deadlock with another process's writer made this one start over).
    func waitUntilPlaced() {
        condition.lock()
        while !placed { condition.wait() }
        condition.unlock()
    }

    private func markPlaced() {
        condition.lock()
        placed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the batch started last and returns what its commit did or the error it failed with.
    func wait() -> Result<BatchOutcome, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        defer { result = nil }
        return result!
    }

    /// Stops the lane's thread once its batch, if any, is done; its connection closes with it.
    func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        condition.unlock()
    }

    private func serve(connect: () throws -> StoreConnection) {
        while true {
            condition.lock()
            while job == nil && !closing { condition.wait() }
            guard let job else {
                condition.unlock()
                return
            }
            condition.unlock()
            let outcome = Result { try commit(job, connect: connect) }
            condition.lock()
            self.job = nil
            placed = true
            result = outcome
            condition.broadcast()
            condition.unlock()
        }
    }

    private func commit(_ job: Job, connect: () throws -> StoreConnection) throws -> BatchOutcome {
        let connection = try self.connection ?? connect()
        self.connection = connection
        if writer?.kind != job.kind || writer?.source != job.source {
            let writer = IngestBatchWriter(connection: connection, kind: job.kind, source: job.source)
            writer.whenPlaced = { [unowned self] in markPlaced() }
            self.writer = (job.kind, job.source, writer)
        }
        return try writer!.writer.commit(job.batch)
    }
}
