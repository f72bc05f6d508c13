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

    /// Prepares `items` on the calling thread.
    public init(_ items: [IngestItem]) {
        var builder = Builder(capacity: items.count)
        for item in items { builder.append(item) }
        self = builder.finish()
    }

    fileprivate init(builder: Builder) {
        items = builder.items
        predictionIDs = builder.predictionIDs
        methodListOfItem = builder.methodListOfItem
        methodLists = builder.methodLists
        rows = builder.encoder.bytes
        rowStarts = builder.rowStarts + [builder.encoder.bytes.count]
    }

    /// Builds prepared batches one record at a time (each record is hashed and encoded as it arrives).
    public struct Builder {
        fileprivate var items: [IngestItem] = []
        fileprivate var predictionIDs: [String?] = []
        fileprivate var methodListOfItem: [Int] = []
        fileprivate var methodLists: [MethodList] = []
        fileprivate var encoder: CopyBinaryEncoder
        fileprivate var rowStarts: [Int] = []
        private var canonical = CanonicalWriter(capacity: 1024)
        private let capacity: Int

        /// A builder for batches of about `capacity` records.
        public init(capacity: Int) {
            self.capacity = capacity
            encoder = CopyBinaryEncoder(capacity: capacity * 768, header: false)
            reserve()
        }

        /// Records added since the last ``finish()``.
        public var count: Int { items.count }

        /// Adds one record: a valid one is hashed, and a prediction also encoded.
        public mutating func append(_ item: IngestItem) {
            var item = item
            rowStarts.append(encoder.bytes.count)
            switch item.outcome {
            case .prediction(let record):
                // One canonical writing serves the hash and the row's jsonb columns.
                let objects = record.writeCanonical(into: &canonical)
                let hash = ChainHash.sha256(bytes: canonical.bytes)
                item.rowHash = hash
                RecordColumns.encode(record, batchID: 0, seq: items.count, hash: hash, canonical: canonical.bytes, objects: objects,
                                     into: &encoder)
                predictionIDs.append(record.predictionID)
                methodListOfItem.append(methodList(of: record))
            case .label(let record):
                if item.rowHash == nil { item.rowHash = ChainHash.rowHash(of: record) }
                predictionIDs.append(nil)
                methodListOfItem.append(-1)
            case .rejected:
                predictionIDs.append(nil)
                methodListOfItem.append(-1)
            }
            items.append(item)
        }

        /// The batch of the records added so far; the builder starts over, empty.
        public mutating func finish() -> PreparedBatch {
            let batch = PreparedBatch(builder: self)
            items = []
            predictionIDs = []
            methodListOfItem = []
            methodLists = []
            rowStarts = []
            encoder = CopyBinaryEncoder(capacity: capacity * 768, header: false)
            reserve()
            return batch
        }

        private mutating func reserve() {
            items.reserveCapacity(capacity)
            predictionIDs.reserveCapacity(capacity)
            methodListOfItem.reserveCapacity(capacity)
            rowStarts.reserveCapacity(capacity + 1)
        }

        /// The index of the record's list of methods; records of one source nearly always name the same ones.
        private mutating func methodList(of record: PredictionRecord) -> Int {
            if let last = methodListOfItem.last(where: { $0 >= 0 }), methodLists[last].matches(record) { return last }
            if let found = methodLists.firstIndex(where: { $0.matches(record) }) { return found }
            methodLists.append(MethodList(record))
            return methodLists.count - 1
        }
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
