import AuditCore
import Foundation
import PQ

/// One record of a batch as the ingest pipeline hands it over: accepted by validation or rejected.
public struct IngestItem: Sendable {
    /// What validation made of the record.
    public enum Outcome: Sendable {
        case prediction(PredictionRecord)
        case label(LabelRecord)
        case rejected(RecordRejection)
        /// A valid prediction that file ingest read straight from its line and hashed and encoded as it went
        /// (``PreparedBatch/Preparer/appendPrediction(_:line:lineNumber:derived:)``): its row is in the batch, and no
        /// record of it is kept.
        case encodedPrediction
    }

    /// The line where the record starts (1-based), when it came from a file.
    public let lineNumber: Int?
    private let source: Source
    public let outcome: Outcome
    /// The row hash of a valid label, once ``PreparedBatch`` has computed it (a prediction's stays in the batch).
    public var rowHash: String?

    /// How the record arrived; its text for the quarantine is made from this only when it is rejected.
    private enum Source: Sendable {
        case text(String)
        case line([UInt8])
        case value(JSONValue)
    }

    /// The record as received: the text of its line (invalid UTF-8 and U+0000 replaced so it can be stored), or the
    /// canonical JSON of a record that arrived parsed.
    public var raw: String {
        switch source {
        case .text(let text): text
        case .line(let bytes): String(storableUTF8: bytes)
        case .value(let value): CanonicalJSON.text(value)
        }
    }

    /// A record read as text (a file's line).
    public init(lineNumber: Int?, raw: String, outcome: Outcome) {
        self.lineNumber = lineNumber
        self.source = .text(raw)
        self.outcome = outcome
    }

    /// A record read from a file's line, kept as bytes: most records never need their text.
    public init(lineNumber: Int?, line: [UInt8], outcome: Outcome) {
        self.lineNumber = lineNumber
        self.source = .line(line)
        self.outcome = outcome
    }

    /// A record that arrived already parsed (an element of an HTTP request's body).
    public init(value: JSONValue, outcome: Outcome) {
        self.lineNumber = nil
        self.source = .value(value)
        self.outcome = outcome
    }
}

/// What one committed batch did.
public struct BatchOutcome: Sendable {
    public let batchID: Int64
    public let inserted: Int
    /// Identical records already stored: no-ops.
    public let duplicates: Int
    /// Records quarantined by this batch (validation rejects, conflicts, unknown predictions, …).
    public let quarantined: [QuarantinedRecord]
    /// Rejected records that were already in the quarantine with the same reason (re-sent): not stored twice.
    public let alreadyQuarantined: Int
    /// For each rejected input (in input order): its reason, whether newly quarantined or not.
    public let rejections: [QuarantinedRecord]
    /// What happened to each input record, in input order (worked out when asked: file ingest never asks).
    public var statuses: [ItemStatus] {
        var statuses = [ItemStatus](repeating: .inserted, count: count)
        for seq in duplicateSeqs { statuses[seq] = .duplicate }
        for (seq, record) in zip(rejectedSeqs, rejections) { statuses[seq] = .rejected(record) }
        return statuses
    }
    private let count: Int
    private let duplicateSeqs: [Int]
    private let rejectedSeqs: [Int]
    /// Seconds spent per phase: `copy` (new rows into their table), `merge` (look-up, classification, quarantine, chain).
    public var timings: [String: Double] = [:]

    /// What happened to one input record.
    public enum ItemStatus: Sendable {
        case inserted
        /// An identical record was already stored (or came earlier in the same input): nothing changed.
        case duplicate
        /// Quarantined, or already in the quarantine with the same reason.
        case rejected(QuarantinedRecord)
    }

    init(batchID: Int64, count: Int, inserted: Int, duplicates: [Int], rejected: [(seq: Int, record: QuarantinedRecord)],
         fresh: [QuarantinedRecord], alreadyQuarantined: Int)
    {
        self.batchID = batchID
        self.inserted = inserted
        self.duplicates = duplicates.count
        self.quarantined = fresh
        self.alreadyQuarantined = alreadyQuarantined
        let ordered = rejected.sorted { $0.seq < $1.seq }
        rejections = ordered.map(\.record)
        rejectedSeqs = ordered.map(\.seq)
        duplicateSeqs = duplicates
        self.count = count
    }
}

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
    private let connection: PQConnection
    private let kind: RecordKind
    private let source: String
    private var stagingReady = false

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
        if kind == .labels { try prepareStaging() } // predictions are COPYed straight into their table
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

    private func commitOnce(_ batch: PreparedBatch, alone: Bool) throws -> BatchOutcome {
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

    // MARK: - Order among writers

    /// A batch's place in the chain: its id and its time of record, drawn together in chain order.
    private struct Ticket {
        let batchID: Int64
        let instant: Timestamp
    }

    /// Thrown when a batch with a larger id was linked first (only a writer without tickets, an older version, can do
    /// that): the batch is rolled back and written again with a new id.
    struct ChainOrderRace: Error {}

    /// True while this connection holds the session lock under which ids are drawn.
    private var holdsDrawLock = false
    /// True once this transaction has waited for every earlier batch and holds the chain lock.
    private var serialized = false

    /// Draws the batch's id and time of record and takes its ticket, a transaction lock on the id. The session lock
    /// around the three makes sure that when a batch has its id, every batch with a smaller id holds its ticket or has
    /// finished, so ``waitForEarlierBatches(_:)`` sees them all; it also makes the times of record follow the ids.
    ///
    /// A batch written `alone` keeps the session lock until its transaction has ended: no later batch can draw an id,
    /// so none inserts a row meanwhile, and once the earlier batches have finished nothing can wait for this one while
    /// it waits for another.
    private func drawTicket(alone: Bool) throws -> Ticket {
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
    private func releaseDrawLockIfHeld() {
        guard holdsDrawLock, connection.isHealthy else { return }
        if (try? connection.query("SELECT pg_advisory_unlock($1)", [StoreLocks.batchDraw])) != nil { holdsDrawLock = false }
    }

    /// Waits until every batch with a smaller id has committed or rolled back (their tickets are released then), and
    /// takes the chain lock: from here on, everything this batch reads of stored records is final for it, and no other
    /// batch links or registers a method until it has finished.
    private func waitForEarlierBatches(_ ticket: Ticket) throws {
        guard !serialized else { return }
        try connection.query("""
            SELECT count(pg_advisory_xact_lock_shared(l.classid::int8::int4, l.objid::int8::int4)) FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid::int8 = $1 AND l.objid::int8 < $2
              AND l.mode = 'ExclusiveLock' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, [StoreLocks.batchTicket, ticket.batchID])
        try connection.query("SELECT pg_advisory_xact_lock($1)", [StoreLocks.chain])
        serialized = true
    }

    private var phases: [String: Double] = [:]

    /// Runs `body`, adding its duration to the named phase.
    private func timed<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        let started = DispatchTime.now()
        defer { phases[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }
        return try body()
    }

    private func prepareStaging() throws {
        guard !stagingReady else { return }
        // The staging tables live as long as the session; a second writer on the same connection reuses them.
        if try connection.query("SELECT to_regclass('pg_temp.label_staging') IS NOT NULL").bool(0, 0) == true {
            stagingReady = true
            return
        }
        try connection.execute("""
            CREATE TEMP TABLE label_staging (
                seq integer, prediction_id text, label integer, reviewer text, reviewed_at timestamptz, note text,
                row_hash text
            ) ON COMMIT DELETE ROWS;
            """)
        stagingReady = true
    }

    // MARK: - Predictions

    private func commitPredictions(_ batch: PreparedBatch, ticket: Ticket) throws -> BatchOutcome {
        let items = batch.items
        // The accepted records, as parallel arrays referred to by position, sorted out on the reader's thread; the
        // records themselves are not touched here: the prepared batch holds what the writer needs.
        let sorting = batch.predictions
        let acceptedSeqs = sorting.seqs
        var duplicates = sorting.repeats
        var rejected: [(seq: Int, record: QuarantinedRecord)] = []
        if sorting.candidates.count < items.count {  // some records are not valid predictions: rejected ones
            for seq in items.indices {
                switch items[seq].outcome {
                case .rejected(let rejection): rejected.append((seq, quarantine(items[seq], rejection.predictionID, rejection.field, rejection.reason)))
                case .label: preconditionFailure("a label in a predictions batch")
                case .prediction, .encodedPrediction: continue
                }
            }
        }
        for (seq, id) in sorting.conflicts {
            rejected.append((seq, quarantine(items[seq], id, "prediction_id",
                                             "duplicate prediction_id with different content (earlier in the same input)")))
        }
        if !sorting.conflicts.isEmpty { rejected.sort { $0.seq < $1.seq } }  // input order, as the quarantine stores them

        // The batch's time of record, drawn with its id (so batches get theirs in chain order): written into every row
        // of the batch and covered by its chain hash (hash version 2).
        let (batchID, instant) = (ticket.batchID, ticket.instant)

        // The registered orientations of the batch's UE methods, read once (a registration is never changed). A method
        // seen for the first time is registered with its orientation once the earlier batches are done, so that two
        // batches cannot register it both ways, and the registry is read again after that wait, as they may have
        // registered it; a savepoint below must not be rolled back past the wait.
        let methods = Set(batch.methodLists.flatMap { $0.used.map(\.method) })
        var registered = try registeredOrientations(of: methods)
        if registered.count < methods.count {
            try waitForEarlierBatches(ticket)
            registered = try registeredOrientations(of: methods)
        }

        // Which accepted records are new. Most batches hold only new ids, so they are first COPYed as they are, under
        // a savepoint, without looking anything up and beside other writers' batches; an id already stored makes the
        // primary key fail the COPY (an id that another batch is inserting makes it wait for that batch), and the batch
        // then rolls back to the savepoint, waits for the earlier batches and takes the look-up, which tells re-sent
        // records from conflicts.
        var outcome: (inserted: [Int], rejected: [(seq: Int, record: QuarantinedRecord)])?
        if !acceptedSeqs.isEmpty {
            try connection.execute("SAVEPOINT all_new")
            do {
                outcome = try insertNew(Array(acceptedSeqs.indices), batch: batch, registered: registered, batchID: batchID, instant: instant)
                try connection.execute("RELEASE SAVEPOINT all_new")
            } catch let error as PQError where error.isUniqueViolation {
                try connection.execute("ROLLBACK TO SAVEPOINT all_new; RELEASE SAVEPOINT all_new")
            }
        }
        if outcome == nil {
            try waitForEarlierBatches(ticket)
            // Existing rows with the same id: identical content is a no-op, anything else a conflict.
            var stored = Set<Int>()
            if !acceptedSeqs.isEmpty {
                // One primary-key probe per id (LIMIT 1 keeps the subquery from being flattened into a join): `= ANY`
                // and a plain join were planned as a scan of the whole table, whose cost grows with every batch stored.
                let existing = try connection.query("""
                    SELECT p.prediction_id, p.row_hash FROM unnest($1::text[]) AS i(id)
                    CROSS JOIN LATERAL (SELECT prediction_id, row_hash FROM predictions WHERE prediction_id = i.id LIMIT 1) p
                    """, [sorting.ids()])
                for row in existing.rows {
                    let id: String = try row.decode("prediction_id")
                    guard let position = sorting.position(ofID: id) else {
                        throw PQError(kind: .protocolViolation, message: "the look-up of the batch's ids returned \(id), which the batch does not hold")
                    }
                    let seq = acceptedSeqs[position]
                    stored.insert(position)
                    if try row.decode("row_hash") == sorting.hash(at: position) {
                        duplicates.append(seq)
                    } else {
                        rejected.append((seq, quarantine(items[seq], sorting.id(at: position), "prediction_id",
                                                         "duplicate prediction_id with different content; the stored record is unchanged")))
                    }
                }
            }
            let newPositions = acceptedSeqs.indices.filter { !stored.contains($0) }
            outcome = try insertNew(newPositions, batch: batch, registered: registered, batchID: batchID, instant: instant)
        }
        let inserted = outcome!.inserted
        rejected += outcome!.rejected

        try waitForEarlierBatches(ticket)
        let (fresh, repeated) = try splitAlreadyQuarantined(rejected)
        let rowsHash: String
        if let precomputed = sorting.rowsHashIfAllStored, fresh.isEmpty, inserted.count == acceptedSeqs.count {
            rowsHash = precomputed
        } else {
            rowsHash = ChainHash.rowsHash(inserted.map { (seq: acceptedSeqs[$0], tag: Character("P"), hash: sorting.hash(at: $0)) }
                + fresh.map { (seq: $0.seq, tag: Character("Q"), hash: $0.rowHash) })
        }
        try appendBatch(batchID, inserted: inserted.count, duplicates: duplicates.count, rejected: fresh.count, rowsHash: rowsHash,
                        instant: instant)
        try insertQuarantine(fresh, batchID: batchID, instant: instant)
        return BatchOutcome(batchID: batchID, count: items.count, inserted: inserted.count, duplicates: duplicates,
                            rejected: rejected, fresh: fresh.map(\.record), alreadyQuarantined: repeated)
    }

    /// The orientation the registry holds for each of `methods` it holds.
    private func registeredOrientations(of methods: Set<String>) throws -> [String: Orientation] {
        guard !methods.isEmpty else { return [:] }
        let known = try connection.query("SELECT method, orientation FROM ue_methods WHERE method = ANY($1)", [Array(methods)])
        var orientation: [String: Orientation] = [:]
        for row in known.rows {
            orientation[try row.decode("method")] = try row.decode("orientation", as: Orientation.self)
        }
        return orientation
    }

    /// Inserts the accepted records at `positions` (none of them stored yet, as far as the caller knows) after the
    /// method-orientation check against `registered` (``registeredOrientations(of:)``), which quarantines the records
    /// that clash; returns the positions inserted and the clashes. Throws a unique violation when an id is stored after
    /// all.
    private func insertNew(
        _ positions: [Int], batch: PreparedBatch, registered: [String: Orientation], batchID: Int64, instant: Timestamp
    ) throws -> (inserted: [Int], rejected: [(seq: Int, record: QuarantinedRecord)]) {
        let acceptedSeqs = batch.predictions.seqs
        // Method orientation: fixed on first sight, enforced afterwards. Each distinct list of method names is checked
        // once, in the order the lists first appear (a list's outcome cannot change later in the batch: a clashing
        // list registers nothing, a clean one everything).
        var listInUse = [Bool](repeating: false, count: batch.methodLists.count)
        for position in positions { listInUse[batch.methodListOfItem[acceptedSeqs[position]]] = true }
        let lists = batch.methodLists.indices.filter { listInUse[$0] }
        var orientation = registered
        var newMethods: [(String, Orientation)] = []
        var clashes = [(field: String, reason: String)?](repeating: nil, count: batch.methodLists.count)
        for list in lists {
            let used = batch.methodLists[list].used
            if let clash = used.first(where: { orientation[$0.method] != nil && orientation[$0.method] != $0.side }) {
                clashes[list] = ("\(clash.side.rawValue).\(clash.method)", "method \(clash.method) is \(orientation[clash.method]!.rawValue)-oriented "
                    + "(fixed when first seen); it cannot appear under \(clash.side.rawValue)")
                continue
            }
            for (method, side) in used where orientation[method] == nil {
                orientation[method] = side
                newMethods.append((method, side))
            }
        }
        var inserted: [Int] = []
        inserted.reserveCapacity(positions.count)
        var rejected: [(seq: Int, record: QuarantinedRecord)] = []
        for position in positions {
            let seq = acceptedSeqs[position]
            if let clash = clashes[batch.methodListOfItem[seq]] {
                rejected.append((seq, quarantine(batch.items[seq], batch.predictions.id(at: position), clash.field, clash.reason)))
            } else {
                inserted.append(position)
            }
        }
        if !newMethods.isEmpty {
            try connection.query("""
                INSERT INTO ue_methods (method, orientation) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING
                """, [newMethods.map(\.0), newMethods.map(\.1.rawValue)])
        }
        try timed("copy") {
            try copyPredictions(batch, seqs: inserted.map { acceptedSeqs[$0] }, batchID: batchID, instant: instant)
        }
        return (inserted, rejected)
    }

    /// Streams the new rows, encoded ahead, straight into `predictions` with the batch's id and instant written in (its
    /// batch row follows in the same transaction).
    private func copyPredictions(_ batch: PreparedBatch, seqs: [Int], batchID: Int64, instant: Timestamp) throws {
        guard !seqs.isEmpty else { return }
        // Binary COPY: the server parses no numbers, timestamps or arrays from text.
        try connection.copyIn("COPY predictions (\(RecordColumns.predictionCopyList)) FROM STDIN (FORMAT binary)") { stream in
            let idBytes = withUnsafeBytes(of: batchID.bigEndian) { Array($0) }
            let instantBytes = RecordColumns.timestamptzBytes(microsecondsSinceUnixEpoch: instant.microseconds)
            var chunk = CopyBinaryEncoder.header
            chunk.reserveCapacity((1 << 20) + (1 << 16))
            try batch.rows.withUnsafeBufferPointer { rows in
                for seq in seqs {
                    let start = chunk.count
                    chunk.append(contentsOf: UnsafeBufferPointer(rebasing: rows[batch.rowStarts[seq]..<batch.rowStarts[seq + 1]]))
                    chunk.replaceSubrange((start + RecordColumns.batchIDOffset)..<(start + RecordColumns.batchIDOffset + 8), with: idBytes)
                    chunk.replaceSubrange((start + RecordColumns.ingestedAtOffset)..<(start + RecordColumns.ingestedAtOffset + 8),
                                          with: instantBytes)
                    if chunk.count >= 1 << 20 {
                        try stream.send(chunk)
                        chunk.removeAll(keepingCapacity: true)
                    }
                }
            }
            chunk.append(contentsOf: CopyBinaryEncoder.trailer)
            try stream.send(chunk)
        }
    }

    // MARK: - Labels

    private func commitLabels(_ items: [IngestItem], ticket: Ticket) throws -> BatchOutcome {
        var rejected: [(seq: Int, record: QuarantinedRecord)] = []
        var accepted: [(seq: Int, record: LabelRecord, hash: String, item: IngestItem)] = []
        var firstByKey: [String: Int] = [:]
        var duplicates: [Int] = []
        for (seq, item) in items.enumerated() {
            switch item.outcome {
            case .label(let record):
                guard let hash = item.rowHash else { preconditionFailure("PreparedBatch hashes every valid record") }
                let key = "\(record.predictionID)\u{1}\(record.reviewer)\u{1}\(record.reviewedAt.microseconds)"
                if let earlier = firstByKey[key] {
                    if accepted[earlier].hash == hash {
                        duplicates.append(seq)
                    } else {
                        rejected.append((seq, quarantine(item, record.predictionID, "label",
                            "a different label by the same reviewer at the same reviewed_at appears earlier in the same input")))
                    }
                    continue
                }
                firstByKey[key] = accepted.count
                accepted.append((seq, record, hash, item))
            case .rejected(let rejection):
                rejected.append((seq, quarantine(item, rejection.predictionID, rejection.field, rejection.reason)))
            case .prediction, .encodedPrediction:
                preconditionFailure("a prediction in a labels batch")
            }
        }
        if !accepted.isEmpty {
            try connection.copyIn("COPY label_staging (seq, prediction_id, label, reviewer, reviewed_at, note, row_hash) FROM STDIN") { stream in
                var encoder = CopyRowEncoder()
                for row in accepted {
                    encoder.field(row.seq)
                    encoder.field(row.record.predictionID)
                    encoder.field(row.record.label)
                    encoder.field(row.record.reviewer)
                    encoder.field(row.record.reviewedAt.rfc3339)
                    encoder.field(row.record.note)
                    encoder.field(row.hash)
                    encoder.endRow()
                }
                try stream.send(encoder.bytes)
            }
        }
        // Labels are classified against the predictions and labels of every earlier batch, so they wait for them first.
        try waitForEarlierBatches(ticket)
        let (batchID, instant) = (ticket.batchID, ticket.instant)  // the batch's time of record, as for predictions
        // Index probes per staged label (LIMIT 1 keeps each subquery from being flattened into a join): plain joins
        // were planned as scans of all of `predictions` and `ground_truth`, whose cost grows with every batch stored.
        let status = try connection.query("""
            SELECT s.seq,
                   CASE WHEN p.options IS NULL THEN 'unknown'
                        WHEN s.label >= p.options THEN 'range'
                        WHEN g.label_id IS NOT NULL AND g.row_hash = s.row_hash THEN 'duplicate'
                        WHEN g.label_id IS NOT NULL THEN 'conflict'
                        ELSE 'new' END AS status,
                   p.options
            FROM label_staging s
            LEFT JOIN LATERAL (
                SELECT cardinality(options) AS options FROM predictions WHERE prediction_id = s.prediction_id LIMIT 1
            ) p ON true
            LEFT JOIN LATERAL (
                SELECT label_id, row_hash FROM ground_truth
                WHERE prediction_id = s.prediction_id AND reviewer = s.reviewer AND reviewed_at = s.reviewed_at LIMIT 1
            ) g ON true
            """)
        let positions = Dictionary(uniqueKeysWithValues: accepted.enumerated().map { ($0.element.seq, $0.offset) })
        var dropped: [Int] = []
        var inserted: [(seq: Int, hash: String)] = []
        for row in status.rows {
            let seq: Int = try row.decode("seq")
            guard let position = positions[seq] else {
                throw PQError(kind: .protocolViolation, message: "the label classification returned seq \(seq), which the batch does not hold")
            }
            let entry = accepted[position]
            let id = entry.record.predictionID
            switch try row.decode("status", as: String.self) {
            case "new":
                inserted.append((seq, entry.hash))
                continue
            case "duplicate":
                duplicates.append(seq)
            case "unknown":
                rejected.append((seq, quarantine(entry.item, id, "prediction_id",
                    "label for unknown prediction \(id) (re-submit it once the prediction has arrived)")))
            case "range":
                rejected.append((seq, quarantine(entry.item, id, "label",
                    "label=\(entry.record.label) but prediction \(id) has only \(try row.decode("options", as: Int.self)) options")))
            default:
                rejected.append((seq, quarantine(entry.item, id, "label",
                    "a different label by \(entry.record.reviewer) at the same reviewed_at is already stored; revisions need a new reviewed_at")))
            }
            dropped.append(seq)
        }
        if !dropped.isEmpty {
            try connection.query("DELETE FROM label_staging WHERE seq = ANY($1::int[])", [dropped])
        }
        let (fresh, repeated) = try splitAlreadyQuarantined(rejected)
        let rows = inserted.map { (seq: $0.seq, tag: Character("L"), hash: $0.hash) }
            + fresh.map { (seq: $0.seq, tag: Character("Q"), hash: $0.rowHash) }
        try appendBatch(batchID, inserted: inserted.count, duplicates: duplicates.count, rejected: fresh.count,
                        rowsHash: ChainHash.rowsHash(rows), instant: instant)
        try connection.query("""
            INSERT INTO ground_truth (prediction_id, label, reviewer, reviewed_at, note, batch_id, batch_seq, row_hash, recorded_at)
            SELECT prediction_id, label, reviewer, reviewed_at, note, $1, seq, row_hash, $2::timestamptz FROM label_staging ORDER BY seq
            """, [batchID, instant.rfc3339])
        try insertQuarantine(fresh, batchID: batchID, instant: instant)
        return BatchOutcome(batchID: batchID, count: items.count, inserted: inserted.count, duplicates: duplicates,
                            rejected: rejected, fresh: fresh.map(\.record), alreadyQuarantined: repeated)
    }

    // MARK: - Quarantine and chain

    private func quarantine(_ item: IngestItem, _ predictionID: String?, _ field: String?, _ reason: String) -> QuarantinedRecord {
        QuarantinedRecord(kind: kind, source: source, lineNumber: item.lineNumber, predictionID: predictionID, field: field, reason: reason,
                          raw: item.raw)
    }

    static func rawHash(kind: RecordKind, raw: String) -> String {
        ChainHash.sha256(kind.rawValue + "\n" + raw)
    }

    /// A reject to be quarantined by this batch, with the two hashes its quarantine row stores.
    private struct FreshQuarantine {
        let seq: Int
        let record: QuarantinedRecord
        let rawHash: String
        let rowHash: String
    }

    /// Separates rejects already quarantined with the same reason (a re-sent file) from new ones.
    private func splitAlreadyQuarantined(_ rejected: [(seq: Int, record: QuarantinedRecord)]) throws -> ([FreshQuarantine], Int) {
        guard !rejected.isEmpty else { return ([], 0) }
        let hashes = rejected.map { Self.rawHash(kind: kind, raw: $0.record.raw) }
        let stored = try connection.query("SELECT raw_hash, reason FROM quarantine WHERE raw_hash = ANY($1)", [hashes])
        var seen = Set<String>()
        for row in stored.rows { seen.insert(try row.decode("raw_hash") + "\u{1}" + (try row.decode("reason") as String)) }
        var fresh: [FreshQuarantine] = []
        var repeated = 0
        for (index, entry) in rejected.enumerated() {
            let key = hashes[index] + "\u{1}" + entry.record.reason
            if seen.contains(key) {
                repeated += 1
            } else {
                seen.insert(key)
                fresh.append(FreshQuarantine(seq: entry.seq, record: entry.record, rawHash: hashes[index], rowHash: ChainHash.rowHash(of: entry.record)))
            }
        }
        return (fresh, repeated)
    }

    /// Draws the id of the batch being committed.
    private func nextBatchID() throws -> Int64 {
        try connection.query("SELECT nextval(pg_get_serial_sequence('ingest_batches', 'batch_id')) AS batch_id").value("batch_id")
    }

    /// Inserts the batch's row, chained to the newest batch (the caller has waited for the earlier batches and holds the
    /// chain lock).
    private func appendBatch(
        _ batchID: Int64, inserted: Int, duplicates: Int, rejected: Int, rowsHash: String, instant: Timestamp
    ) throws {
        precondition(serialized, "a batch links only after the earlier batches")
        let head = try connection.query("SELECT chain_hash, batch_id FROM ingest_batches ORDER BY batch_id DESC LIMIT 1")
        let newest = head.rows.first
        if let newest, try newest.decode("batch_id", as: Int64.self) > batchID { throw ChainOrderRace() }
        let previous = try newest?.decode("chain_hash") ?? ChainHash.genesis
        var header = BatchHeader(
            batchID: batchID, kind: kind.rawValue, source: source, inserted: inserted, duplicates: duplicates,
            rejected: rejected, rowsHash: rowsHash, codeVersion: vlmAuditVersion)
        header.ingestedAt = instant.rfc3339
        try connection.query("""
            INSERT INTO ingest_batches (batch_id, kind, source, inserted_count, duplicate_count, rejected_count, rows_hash,
                prev_chain_hash, chain_hash, code_version, ingested_at, hash_version)
            OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz, 2)
            """, [batchID, kind.rawValue, source, inserted, duplicates, rejected, header.rowsHash, previous,
                  ChainHash.chainHash(previous: previous, header: header), vlmAuditVersion, instant.rfc3339])
    }

    private func insertQuarantine(_ rows: [FreshQuarantine], batchID: Int64, instant: Timestamp) throws {
        guard !rows.isEmpty else { return }
        try connection.copyIn("""
            COPY quarantine (batch_id, batch_seq, kind, source, line_number, prediction_id, field, reason, raw, raw_hash, row_hash,
                recorded_at)
            FROM STDIN
            """) { stream in
            var encoder = CopyRowEncoder()
            for row in rows {
                let record = row.record
                encoder.field(batchID)
                encoder.field(row.seq)
                encoder.field(record.kind.rawValue)
                encoder.field(record.source)
                encoder.field(record.lineNumber)
                encoder.field(record.predictionID)
                encoder.field(record.field)
                encoder.field(record.reason)
                encoder.field(record.raw)
                encoder.field(row.rawHash)
                encoder.field(row.rowHash)
                encoder.field(instant.rfc3339)
                encoder.endRow()
            }
            try stream.send(encoder.bytes)
        }
    }
}
