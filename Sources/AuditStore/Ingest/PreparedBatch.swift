import AuditCore
import PQ

/// A batch made ready for ``IngestBatchWriter`` away from the writer's thread: each valid record's row hash and, for
/// predictions, its id, the UE methods it names and its row in COPY's binary format, with the batch id left blank
/// (the id is drawn inside the batch's transaction and written into the rows as they are sent).
///
/// File ingest prepares the next batches on its reader thread while the writer commits earlier ones, so the writer
/// touches no prediction record: only these arrays.
public struct PreparedBatch: Sendable {
    /// The records, each valid one with its row hash.
    public let items: [IngestItem]
    /// Per item: the prediction id of a valid prediction, else nil.
    let predictionIDs: [String?]
    /// Per item: the index in `methodLists` of the methods a valid prediction names, else -1.
    let methodListOfItem: [Int]
    /// The distinct lists of UE methods the batch's predictions name, in order of first appearance.
    let methodLists: [MethodList]
    /// Encoded `predictions` rows back to back: item `i`'s is `rows[rowStarts[i]..<rowStarts[i + 1]]`, empty unless
    /// the item is a valid prediction.
    let rows: [UInt8]
    let rowStarts: [Int]
    /// The valid predictions sorted out within the batch: which are accepted, repeated or in conflict.
    let predictions: PredictionSorting

    /// Prepares `items` on the calling thread.
    public init(_ items: [IngestItem]) {
        var preparer = Preparer()
        self = preparer.prepare(items)
    }

    fileprivate init(items: [IngestItem], predictionIDs: [String?], methodListOfItem: [Int], methodLists: [MethodList],
                     rows: [UInt8], rowStarts: [Int], predictions: PredictionSorting) {
        self.items = items
        self.predictionIDs = predictionIDs
        self.methodListOfItem = methodListOfItem
        self.methodLists = methodLists
        self.rows = rows
        self.rowStarts = rowStarts
        self.predictions = predictions
    }

    /// Prepares batches one after another, reusing its scratch buffer.
    public struct Preparer {
        private var canonical = CanonicalWriter(capacity: 1024)

        public init() {}

        /// Hashes every valid record of `items` and encodes every valid prediction.
        public mutating func prepare(_ items: consuming [IngestItem]) -> PreparedBatch {
            var items = items
            var predictionIDs: [String?] = []
            var methodListOfItem: [Int] = []
            var methodLists: [MethodList] = []
            var rowStarts: [Int] = []
            predictionIDs.reserveCapacity(items.count)
            methodListOfItem.reserveCapacity(items.count)
            rowStarts.reserveCapacity(items.count + 1)
            var encoder = CopyBinaryEncoder(capacity: 0, header: false)
            var lastList = -1
            for seq in items.indices {
                rowStarts.append(encoder.bytes.count)
                switch items[seq].outcome {
                case .prediction(let record):
                    if encoder.bytes.isEmpty { encoder.reserveCapacity(items.count * 768) }  // labels encode no rows
                    // One canonical writing serves the hash and the row's jsonb columns.
                    let objects = record.writeCanonical(into: &canonical)
                    let hash = ChainHash.sha256(bytes: canonical.bytes)
                    items[seq].rowHash = hash
                    RecordColumns.encode(record, seq: seq, hash: hash, canonical: canonical.bytes, objects: objects, into: &encoder)
                    predictionIDs.append(record.predictionID)
                    // Records of one source nearly always name the same methods.
                    if lastList < 0 || !methodLists[lastList].matches(record) {
                        lastList = methodLists.firstIndex { $0.matches(record) } ?? methodLists.count
                        if lastList == methodLists.count { methodLists.append(MethodList(record)) }
                    }
                    methodListOfItem.append(lastList)
                case .label(let record):
                    if items[seq].rowHash == nil { items[seq].rowHash = ChainHash.rowHash(of: record) }
                    predictionIDs.append(nil)
                    methodListOfItem.append(-1)
                case .rejected:
                    predictionIDs.append(nil)
                    methodListOfItem.append(-1)
                }
            }
            rowStarts.append(encoder.bytes.count)
            return PreparedBatch(items: items, predictionIDs: predictionIDs, methodListOfItem: methodListOfItem,
                                 methodLists: methodLists, rows: encoder.bytes, rowStarts: rowStarts,
                                 predictions: PredictionSorting(items: items, predictionIDs: predictionIDs))
        }
    }
}

/// A batch's valid predictions sorted out by id before anything is looked up in the store: the first record of each id
/// is accepted; a later identical one is a repeat (a no-op), a later different one a conflict.
struct PredictionSorting: Sendable {
    /// The accepted records as parallel arrays, in batch order: position `i` is item `seqs[i]`.
    let seqs: [Int]
    let ids: [String]
    let hashes: [String]
    /// Position in the arrays above of each accepted id.
    let positionOfID: [String: Int]
    /// Items identical to an accepted record earlier in the batch.
    let repeats: [Int]
    /// Items with an accepted record's id but different content: (item, id).
    let conflicts: [(seq: Int, id: String)]
    /// rows_hash of the batch if it stores exactly the accepted records and quarantines nothing, the usual case, so
    /// that the writer need not compute it while the database waits.
    let rowsHashIfAllStored: String?

    init(items: [IngestItem], predictionIDs: [String?]) {
        var seqs: [Int] = [], ids: [String] = [], hashes: [String] = [], repeats: [Int] = []
        var conflicts: [(seq: Int, id: String)] = []
        var positionOfID: [String: Int] = [:]
        positionOfID.reserveCapacity(items.count)
        // An item without an id is a rejected record in a predictions batch (a labels batch accepts nothing here).
        var anyWithoutID = false
        for seq in items.indices {
            guard let id = predictionIDs[seq], let hash = items[seq].rowHash else {
                anyWithoutID = true
                continue
            }
            if let earlier = positionOfID[id] {
                if hashes[earlier] == hash { repeats.append(seq) } else { conflicts.append((seq, id)) }
                continue
            }
            positionOfID[id] = seqs.count
            seqs.append(seq)
            ids.append(id)
            hashes.append(hash)
        }
        (self.seqs, self.ids, self.hashes, self.positionOfID, self.repeats, self.conflicts) = (seqs, ids, hashes, positionOfID, repeats, conflicts)
        rowsHashIfAllStored = anyWithoutID || !conflicts.isEmpty || seqs.isEmpty
            ? nil : ChainHash.rowsHash(seqs.indices.map { (seq: seqs[$0], tag: Character("P"), hash: hashes[$0]) })
    }
}

/// The UE methods one prediction names, confidence ones first: what the orientation check looks at.
struct MethodList: Sendable {
    let used: [(method: String, side: Orientation)]

    init(_ record: PredictionRecord) {
        used = record.confidence.map { ($0.method, .confidence) } + record.uncertainty.map { ($0.method, .uncertainty) }
    }

    func matches(_ record: PredictionRecord) -> Bool {
        guard used.count == record.confidence.count + record.uncertainty.count else { return false }
        for (index, score) in record.confidence.enumerated() where used[index].side != .confidence || used[index].method != score.method {
            return false
        }
        let offset = record.confidence.count
        for (index, score) in record.uncertainty.enumerated()
        where used[offset + index].side != .uncertainty || used[offset + index].method != score.method {
            return false
        }
        return true
    }
}
