import AuditCore
import PQ

/// Committing a batch of predictions.
extension IngestBatchWriter {
    /// Commits a batch of predictions in four steps: the records refused before storage, the method registry, the new
    /// rows stored, the batch sealed (quarantine and link).
    func commitPredictions(_ batch: PreparedBatch, ticket: Ticket) throws -> BatchOutcome {
        var rejected = refusedBeforeStorage(batch)
        let registered = try registeredOrientations(of: batch, ticket: ticket)
        let stored = try storeNewPredictions(batch, registered: registered, ticket: ticket)
        rejected += stored.rejected
        let sorting = batch.predictions
        let allStored = stored.inserted.count == sorting.seqs.count
        return try seal(
            ticket, count: batch.items.count, stored: stored.inserted.count,
            storedRows: { stored.inserted.map { (seq: sorting.seqs[$0], tag: Character("P"), hash: sorting.hash(at: $0)) } },
            duplicates: sorting.repeats + stored.duplicates, rejected: rejected,
            rowsHashIfNothingQuarantined: allStored ? sorting.rowsHashIfAllStored : nil)
    }

    /// The records refused before anything is stored, in input order: those validation rejected, and a second record
    /// with an id seen earlier in the same input but other content (the accepted records were sorted out by id on the
    /// reader's thread: the prepared batch holds what the writer needs, and the records are not touched here).
    private func refusedBeforeStorage(_ batch: PreparedBatch) -> [(seq: Int, record: QuarantinedRecord)] {
        let items = batch.items
        let sorting = batch.predictions
        var rejected: [(seq: Int, record: QuarantinedRecord)] = []
        if sorting.candidates.count < items.count {  // some records are not valid predictions: rejected ones
            for seq in items.indices {
                switch items[seq].outcome {
                case .rejected(let rejection):
                    rejected.append((seq, quarantine(items[seq], rejection.predictionID, rejection.field, rejection.reason)))
                case .label: preconditionFailure("a label in a predictions batch")
                case .prediction, .encodedPrediction: continue
                }
            }
        }
        for (seq, id) in sorting.conflicts {
            rejected.append(
                (
                    seq,
                    quarantine(
                        items[seq], id, "prediction_id",
                        "duplicate prediction_id with different content (earlier in the same input)")
                ))
        }
        if !sorting.conflicts.isEmpty { rejected.sort { $0.seq < $1.seq } }  // input order, as the quarantine stores them
        return rejected
    }

    /// The registered orientations of the batch's UE methods, read once (a registration is never changed). A method
    /// seen for the first time is registered with its orientation once the earlier batches are done, so that two
    /// batches cannot register it both ways, and the registry is read again after that wait, as they may have
    /// registered it; a savepoint of ``storeNewPredictions(_:registered:ticket:)`` must not be rolled back past the wait.
    private func registeredOrientations(of batch: PreparedBatch, ticket: Ticket) throws -> [String: Orientation] {
        let methods = Set(batch.methodLists.flatMap { $0.used.map(\.method) })
        let registered = try registeredOrientations(of: methods)
        guard registered.count < methods.count else { return registered }
        try waitForEarlierBatches(ticket)
        return try registeredOrientations(of: methods)
    }

    /// Stores the accepted records not stored yet and says what became of the others. Most batches hold only new ids,
    /// so they are first COPYed as they are, under a savepoint, without looking anything up and beside other writers'
    /// batches; an id already stored makes the primary key fail the COPY (an id that another batch is inserting makes it
    /// wait for that batch), and the batch then rolls back to the savepoint, waits for the earlier batches and looks its
    /// ids up, which tells re-sent records (duplicates) from conflicts.
    ///
    /// - Returns: the positions (in the batch's sorting) stored, the seqs of re-sent records, and the records refused.
    private func storeNewPredictions(
        _ batch: PreparedBatch, registered: [String: Orientation], ticket: Ticket
    ) throws
        -> (inserted: [Int], duplicates: [Int], rejected: [(seq: Int, record: QuarantinedRecord)])
    {
        let acceptedSeqs = batch.predictions.seqs
        guard !acceptedSeqs.isEmpty else { return ([], [], []) }
        try connection.execute("SAVEPOINT all_new")
        do {
            let outcome = try insertNew(Array(acceptedSeqs.indices), batch: batch, registered: registered, ticket: ticket)
            try connection.execute("RELEASE SAVEPOINT all_new")
            return (outcome.inserted, [], outcome.rejected)
        } catch let error as PQError where error.isUniqueViolation {
            try connection.execute("ROLLBACK TO SAVEPOINT all_new; RELEASE SAVEPOINT all_new")
        }
        try waitForEarlierBatches(ticket)
        let stored = try storedAlready(batch)
        let newPositions = acceptedSeqs.indices.filter { stored.positions.contains($0) == false }
        let outcome = try insertNew(newPositions, batch: batch, registered: registered, ticket: ticket)
        return (outcome.inserted, stored.duplicates, stored.conflicts + outcome.rejected)
    }

    /// The batch's accepted records whose id is stored already: identical content is a re-sent record (a no-op),
    /// anything else a conflict, quarantined while the stored record stays unchanged.
    private func storedAlready(
        _ batch: PreparedBatch
    ) throws
        -> (positions: Set<Int>, duplicates: [Int], conflicts: [(seq: Int, record: QuarantinedRecord)])
    {
        let sorting = batch.predictions
        var positions = Set<Int>()
        var duplicates: [Int] = []
        var conflicts: [(seq: Int, record: QuarantinedRecord)] = []
        // One primary-key probe per id (LIMIT 1 keeps the subquery from being flattened into a join): `= ANY` and a
        // plain join were planned as a scan of the whole table, whose cost grows with every batch stored.
        let existing = try connection.query(
            """
            SELECT p.prediction_id, p.row_hash FROM unnest($1::text[]) AS i(id)
            CROSS JOIN LATERAL (SELECT prediction_id, row_hash FROM predictions WHERE prediction_id = i.id LIMIT 1) p
            """, [sorting.ids()])
        for row in existing.rows {
            let id: String = try row.decode("prediction_id")
            guard let position = sorting.position(ofID: id) else {
                throw PQError(
                    kind: .protocolViolation, message: "the look-up of the batch's ids returned \(id), which the batch does not hold")
            }
            let seq = sorting.seqs[position]
            positions.insert(position)
            if try row.decode("row_hash") == sorting.hash(at: position) {
                duplicates.append(seq)
            } else {
                conflicts.append(
                    (
                        seq,
                        quarantine(
                            batch.items[seq], sorting.id(at: position), "prediction_id",
                            "duplicate prediction_id with different content; the stored record is unchanged")
                    ))
            }
        }
        return (positions, duplicates, conflicts)
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
        _ positions: [Int], batch: PreparedBatch, registered: [String: Orientation], ticket: Ticket
    ) throws -> (inserted: [Int], rejected: [(seq: Int, record: QuarantinedRecord)]) {
        let (batchID, instant) = (ticket.batchID, ticket.instant)
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
                clashes[list] = (
                    "\(clash.side.rawValue).\(clash.method)",
                    "method \(clash.method) is \(orientation[clash.method]!.rawValue)-oriented "
                        + "(fixed when first seen); it cannot appear under \(clash.side.rawValue)"
                )
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
            try connection.query(
                """
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
                    chunk.replaceSubrange(
                        (start + RecordColumns.ingestedAtOffset)..<(start + RecordColumns.ingestedAtOffset + 8),
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
}
