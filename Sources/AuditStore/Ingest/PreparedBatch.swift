#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuditCore
import PQ

/// A batch made ready for ``IngestBatchWriter`` away from the writer's thread: each valid record's row hash and, for
/// predictions, its id, the UE methods it names and its row in COPY's binary format, with the batch id left blank
/// (the id is drawn inside the batch's transaction and written into the rows as they are sent). A prediction's id and
/// row hash are kept as bytes (``PredictionSorting``); a label's row hash is its item's ``IngestItem/rowHash``.
///
/// File ingest prepares the next batches on its reader thread while the writer commits earlier ones, so the writer
/// touches no prediction record: only these arrays.
public struct PreparedBatch: Sendable {
    /// The records (a valid label with its row hash).
    public let items: [IngestItem]
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
    /// The batch's `rows_hash` if every valid prediction in it is stored and nothing is quarantined (the usual case).
    public var rowsHashIfAllStored: String? { predictions.rowsHashIfAllStored }

    /// True when a prediction id that this batch would store is also one that `other` would: two such batches are not
    /// committed side by side, where each could wait for the other's row (``IngestBatchWriter``).
    public func sharesPredictionIDs(with other: PreparedBatch) -> Bool {
        let (smaller, larger) = predictions.count <= other.predictions.count ? (self, other) : (other, self)
        return smaller.predictions.sharesID(with: larger.predictions)
    }

    /// Prepares `items` on the calling thread.
    public init(_ items: [IngestItem]) {
        var preparer = Preparer(expectedCount: items.count)
        self = preparer.prepare(items)
    }

    fileprivate init(
        items: [IngestItem], methodListOfItem: [Int], methodLists: [MethodList], rows: [UInt8], rowStarts: [Int],
        predictions: PredictionSorting
    ) {
        self.items = items
        self.methodListOfItem = methodListOfItem
        self.methodLists = methodLists
        self.rows = rows
        self.rowStarts = rowStarts
        self.predictions = predictions
    }

    /// Prepares batches one after another, record by record as they are read, reusing its scratch buffer.
    public struct Preparer {
        private var canonical = CanonicalWriter(capacity: 1024)
        private let expectedCount: Int
        // The batch being prepared.
        private var items: [IngestItem] = []
        private var candidates = PredictionCandidates()
        private var methodListOfItem: [Int] = []
        private var methodLists: [MethodList] = []
        private var rowStarts: [Int] = []
        private var encoder = CopyBinaryEncoder(capacity: 0, header: false)
        private var lastList = -1

        /// A preparer for batches of about `expectedCount` records.
        public init(expectedCount: Int = 0) {
            self.expectedCount = expectedCount
            startBatch()
        }

        /// Records added to the batch being prepared.
        public var count: Int { items.count }

        /// Hashes every valid record of `items` and encodes every valid prediction.
        public mutating func prepare(_ items: consuming [IngestItem]) -> PreparedBatch {
            for item in items { append(item) }
            return finish()
        }

        /// Adds a record: a valid one is hashed and, if a prediction, encoded.
        public mutating func append(_ item: consuming IngestItem) {
            var item = item
            rowStarts.append(encoder.bytes.count)
            switch item.outcome {
            case .prediction(let record):
                // One canonical writing serves the hash and the row's jsonb columns.
                let objects = record.writeCanonical(into: &canonical)
                let digest = ChainHash.digest(bytes: canonical.bytes)
                reserveRows()
                canonical.bytes.withUnsafeBufferPointer {
                    RecordColumns.encode(record, seq: items.count, hash: digest, canonical: $0, objects: objects, into: &encoder)
                }
                candidates.append(seq: items.count, id: record.predictionID, digest: digest)
                noteMethods(matching: { $0.matches(record) }, else: { MethodList(record) })
            case .label(let record):
                if item.rowHash == nil { item.rowHash = ChainHash.rowHash(of: record) }
                methodListOfItem.append(-1)
            case .rejected:
                methodListOfItem.append(-1)
            case .encodedPrediction:
                preconditionFailure("an encoded prediction is added with its line")
            }
            items.append(item)
        }

        /// Adds a valid prediction read straight from its line (file ingest's fast path): hashed and encoded from the
        /// line's bytes, with no record made; `derived` are its msp, margin and entropy at T = 1.
        public mutating func appendPrediction(
            _ scan: PredictionLine, line: [UInt8], lineNumber: Int, derived: (msp: Double, margin: Double, entropy: Double)?
        ) {
            rowStarts.append(encoder.bytes.count)
            line.withUnsafeBufferPointer { bytes in
                let scanned = ScannedPrediction(scan: scan, line: bytes, derived: derived)
                let objects = scanned.writeCanonical(into: &canonical)
                let digest = ChainHash.digest(bytes: canonical.bytes)
                reserveRows()
                canonical.bytes.withUnsafeBufferPointer {
                    RecordColumns.encode(scanned, seq: items.count, hash: digest, canonical: $0, objects: objects, into: &encoder)
                }
                noteMethods(matching: { $0.matches(scan, in: bytes) }, else: { MethodList(scan, in: bytes) })
                candidates.append(seq: items.count, id: UnsafeBufferPointer(rebasing: bytes[scan.predictionID]), digest: digest)
            }
            items.append(IngestItem(lineNumber: lineNumber, line: line, outcome: .encodedPrediction))
        }

        /// The batch prepared so far; the preparer starts the next one.
        public mutating func finish() -> PreparedBatch {
            rowStarts.append(encoder.bytes.count)
            let batch = PreparedBatch(
                items: items, methodListOfItem: methodListOfItem, methodLists: methodLists, rows: encoder.bytes,
                rowStarts: rowStarts, predictions: PredictionSorting(candidates, itemCount: items.count))
            startBatch()
            return batch
        }

        private mutating func startBatch() {
            (items, methodListOfItem, methodLists, rowStarts) = ([], [], [], [])
            candidates = PredictionCandidates(expectedCount: expectedCount)
            items.reserveCapacity(expectedCount)
            methodListOfItem.reserveCapacity(expectedCount)
            rowStarts.reserveCapacity(expectedCount + 1)
            encoder = CopyBinaryEncoder(capacity: 0, header: false)
            lastList = -1
        }

        /// Room for the batch's rows, made once, at its first prediction (labels encode no rows).
        private mutating func reserveRows() {
            if encoder.bytes.isEmpty { encoder.reserveCapacity(max(expectedCount, 1) * 768) }
        }

        /// Notes which list of UE methods the prediction just encoded names: records of one source nearly always name
        /// the same methods, so the last list is tried first.
        private mutating func noteMethods(matching matches: (MethodList) -> Bool, else makeList: () -> MethodList) {
            if lastList < 0 || !matches(methodLists[lastList]) {
                lastList = methodLists.firstIndex(where: matches) ?? methodLists.count
                if lastList == methodLists.count { methodLists.append(makeList()) }
            }
            methodListOfItem.append(lastList)
        }
    }
}

/// The UE methods one prediction names, confidence ones first: what the orientation check looks at.
struct MethodList: Sendable {
    let used: [(method: String, side: Orientation)]
    /// The names' UTF-8 back to back with a separator, confidence ones, then a side marker, then uncertainty ones: what
    /// the next record's names are compared with in one `memcmp`.
    private let key: [UInt8]

    init(_ record: PredictionRecord) {
        used = record.confidence.map { ($0.method, .confidence) } + record.uncertainty.map { ($0.method, .uncertainty) }
        key = Self.key(
            confidence: record.confidence.map { Array($0.method.utf8) }, uncertainty: record.uncertainty.map { Array($0.method.utf8) })
    }

    init(_ scan: PredictionLine, in line: UnsafeBufferPointer<UInt8>) {
        func name(_ span: PredictionLine.Span) -> String { String(decoding: UnsafeBufferPointer(rebasing: line[span]), as: UTF8.self) }
        used = scan.confidence.map { (name($0.method), .confidence) } + scan.uncertainty.map { (name($0.method), .uncertainty) }
        key = Self.key(
            confidence: scan.confidence.map { Array(line[$0.method]) }, uncertainty: scan.uncertainty.map { Array(line[$0.method]) })
    }

    /// True when the record names this list's methods, on the same sides and in the same order.
    func matches(_ record: PredictionRecord) -> Bool {
        key.withUnsafeBufferPointer { key in
            var walk = KeyWalk(key: key)
            for score in record.confidence { var name = score.method; guard name.withUTF8({ walk.name($0) }) else { return false } }
            guard walk.sideMarker() else { return false }
            for score in record.uncertainty { var name = score.method; guard name.withUTF8({ walk.name($0) }) else { return false } }
            return walk.atEnd
        }
    }

    /// True when the scan names this list's methods, on the same sides and in the same order; compared in place.
    func matches(_ scan: PredictionLine, in line: UnsafeBufferPointer<UInt8>) -> Bool {
        key.withUnsafeBufferPointer { key in
            var walk = KeyWalk(key: key)
            for score in scan.confidence where !walk.name(UnsafeBufferPointer(rebasing: line[score.method])) { return false }
            guard walk.sideMarker() else { return false }
            for score in scan.uncertainty where !walk.name(UnsafeBufferPointer(rebasing: line[score.method])) { return false }
            return walk.atEnd
        }
    }

    /// A walk along a list's key, name by name.
    private struct KeyWalk {
        let key: UnsafeBufferPointer<UInt8>
        var position = 0

        /// Whether `name` comes next (and steps over it).
        mutating func name(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
            guard position + name.count < key.count, key[position + name.count] == 0,
                name.isEmpty || memcmp(key.baseAddress! + position, name.baseAddress!, name.count) == 0
            else { return false }
            position += name.count + 1
            return true
        }

        /// Whether the uncertainty-oriented names start here (and steps over the marker).
        mutating func sideMarker() -> Bool {
            guard position < key.count, key[position] == 1 else { return false }
            position += 1
            return true
        }

        var atEnd: Bool { position == key.count }
    }

    /// Method names never hold a 0 or 1 byte (`isMethodNameByte`), so these separate them unambiguously.
    private static func key(confidence: [[UInt8]], uncertainty: [[UInt8]]) -> [UInt8] {
        var key: [UInt8] = []
        for name in confidence { key += name + [0] }
        key.append(1)
        for name in uncertainty { key += name + [0] }
        return key
    }
}
