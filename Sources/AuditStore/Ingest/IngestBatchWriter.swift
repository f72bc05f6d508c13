import AuditCore
import Foundation
import PQ

/// Writes batches of records: predictions are streamed by COPY into `predictions` (looked up by id when some are
/// stored already); labels go through a temporary staging table and one set-based merge; both in one transaction per
/// batch, chained by hash to the previous batch (docs/hash-chain.md).
///
/// A batch lands completely or not at all: a crash before COMMIT leaves nothing, and re-sending is harmless
/// because identical records are recognised by their content hash.
///
/// Writers on several connections run at once: each batch first draws its id and time of record, in chain order, and
/// takes a ticket for its id; it may then COPY its new predictions beside other batches, and waits until every batch
/// with a smaller id has finished before anything that depends on them (the look-up of stored ids, the registry of
/// method orientations, quarantine, its link). So batches commit in id order, and the links never fork.
public final class IngestBatchWriter {
    let connection: PQConnection
    let kind: RecordKind
    let source: String
    var stagingReady = false
    /// True while this connection holds the session lock under which ids are drawn (IngestBatchWriter+Ordering.swift).
    var holdsDrawLock = false
    /// True once this transaction has waited for every earlier batch and holds the chain lock.
    var serialized = false
    /// Seconds per phase of the batch being committed (``BatchOutcome/timings``).
    var phases: [String: Double] = [:]

    /// Called on the writer's thread once a batch being committed has its id (its place in the chain): a caller that
    /// commits the next batch on another connection waits for this, so that batches take their places in input order.
    public var whenPlaced: (@Sendable () -> Void)?

    /// A writer for records of `kind` from `source` (a file name, `stdin`, or `http`).
    public init(connection: PQConnection, kind: RecordKind, source: String) {
        self.connection = connection
        self.kind = kind
        self.source = source
    }

    /// Commits one batch and reports what happened to every record.
    public func commit(_ items: [IngestItem]) throws -> BatchOutcome {
        try commit(PreparedBatch(items))
    }

    /// Commits one batch prepared ahead (hashed and encoded, on another thread) and reports what happened to every record.
    ///
    /// A batch that the server chose to break a deadlock with another writer (both inserting one id) is rolled back and
    /// written again with a new id, this time alone (see ``drawTicket(alone:)``), where no deadlock can arise.
    public func commit(_ batch: PreparedBatch) throws -> BatchOutcome {
        if kind == .labels { try prepareStaging() }  // predictions are COPYed straight into their table
        var alone = false
        for attempt in 1... {
            do {
                return try commitOnce(batch, alone: alone)
            } catch let error as PQError where error.isDeadlock && attempt < Self.attempts {
                alone = true
            } catch is ChainOrderRace where attempt < Self.attempts {
                continue
            }
        }
        preconditionFailure("unreachable")
    }

    /// How many times a batch is tried when writers contend (a deadlock, or a batch linked out of order).
    public static let attempts = 5

    func commitOnce(_ batch: PreparedBatch, alone: Bool) throws -> BatchOutcome {
        phases = [:]
        serialized = false
        let started = DispatchTime.now()
        defer { releaseDrawLockIfHeld() }  // after COMMIT or ROLLBACK: a batch written alone holds it until then
        var outcome = try connection.transaction {
            let ticket = try drawTicket(alone: alone)
            if alone { try waitForEarlierBatches(ticket) }
            whenPlaced?()
            switch kind {
            case .predictions: return try commitPredictions(batch, ticket: ticket)
            case .labels: return try commitLabels(batch.items, ticket: ticket)
            }
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        phases["merge"] = total - (phases["copy"] ?? 0)
        outcome.timings = phases
        return outcome
    }

    /// Runs `body`, adding its duration to the named phase.
    func timed<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        let started = DispatchTime.now()
        defer { phases[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }
        return try body()
    }
}
