import AuditCore
import PQ

/// Order among writers: each batch draws its id and time of record in chain order, and waits for the batches before it
/// before anything that depends on them.
extension IngestBatchWriter {
    /// A batch's place in the chain: its id and its time of record, drawn together in chain order.
    struct Ticket {
        let batchID: Int64
        let instant: Timestamp
    }

    /// Thrown when a batch with a larger id was linked first (only a writer without tickets, an older version, can do
    /// that): the batch is rolled back and written again with a new id.
    struct ChainOrderRace: Error {}

    /// Draws the batch's id and time of record and takes its ticket, a transaction lock on the id. The session lock
    /// around the three makes sure that when a batch has its id, every batch with a smaller id holds its ticket or has
    /// finished, so ``waitForEarlierBatches(_:)`` sees them all; it also makes the times of record follow the ids.
    ///
    /// A batch written `alone` keeps the session lock until its transaction has ended: no later batch can draw an id,
    /// so none inserts a row meanwhile, and once the earlier batches have finished nothing can wait for this one while
    /// it waits for another.
    func drawTicket(alone: Bool) throws -> Ticket {
        try connection.query("SELECT pg_advisory_lock($1)", [StoreLocks.batchDraw])
        holdsDrawLock = true
        let batchID = try nextBatchID()
        try connection.query("SELECT pg_advisory_xact_lock($1::int4, $2::int4)", [StoreLocks.batchTicket, batchID])
        let instant = try ScoredPredictionQueries.now(connection)
        if !alone {
            try connection.query("SELECT pg_advisory_unlock($1)", [StoreLocks.batchDraw])
            holdsDrawLock = false
        }
        return Ticket(batchID: batchID, instant: instant)
    }

    /// Releases the draw lock when a batch written alone has finished, or when a failure interrupted
    /// ``drawTicket(alone:)`` (a session lock outlives the transaction).
    func releaseDrawLockIfHeld() {
        guard holdsDrawLock, connection.isHealthy else { return }
        if (try? connection.query("SELECT pg_advisory_unlock($1)", [StoreLocks.batchDraw])) != nil { holdsDrawLock = false }
    }

    /// Waits until every batch with a smaller id has committed or rolled back (their tickets are released then), and
    /// takes the chain lock: from here on, everything this batch reads of stored records is final for it, and no other
    /// batch links or registers a method until it has finished.
    func waitForEarlierBatches(_ ticket: Ticket) throws {
        guard !serialized else { return }
        try connection.query(
            """
            SELECT count(pg_advisory_xact_lock_shared(l.classid::int8::int4, l.objid::int8::int4)) FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid::int8 = $1 AND l.objid::int8 < $2
              AND l.mode = 'ExclusiveLock' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [StoreLocks.batchTicket, ticket.batchID])
        try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.chain])
        serialized = true
    }

    /// Draws the id of the batch being committed.
    func nextBatchID() throws -> Int64 {
        try connection.query("SELECT nextval(pg_get_serial_sequence('ingest_batches', 'batch_id')) AS batch_id").value("batch_id")
    }
}
