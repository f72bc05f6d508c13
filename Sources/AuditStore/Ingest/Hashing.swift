import AuditCore
import Crypto

/// SHA-256 helpers for the tamper-evident chain (docs/hash-chain.md).
public enum ChainHash {
    /// The previous-hash of the first batch.
    public static let genesis = String(repeating: "0", count: 64)

    /// Lower-case hex SHA-256 of the UTF-8 bytes of `text`.
    public static func sha256(_ text: String) -> String {
        sha256(bytes: Array(text.utf8))
    }

    /// row_hash of a prediction: SHA-256 of its canonical JSON (written by ingest, recomputed by verify).
    public static func rowHash(of record: PredictionRecord) -> String { sha256(bytes: record.canonicalBytes) }

    /// row_hash of a label: SHA-256 of its canonical JSON.
    public static func rowHash(of record: LabelRecord) -> String { sha256(record.canonicalText) }

    /// row_hash of a quarantine entry: SHA-256 of its canonical JSON.
    public static func rowHash(of record: QuarantinedRecord) -> String { sha256(record.canonicalText) }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256(bytes: [UInt8]) -> String {
        digest(bytes: bytes).hex
    }

    /// SHA-256 of `bytes`, kept as bytes.
    static func digest(bytes: [UInt8]) -> RowDigest {
        var hasher = SHA256()
        hasher.update(data: bytes)
        return RowDigest(hasher.finalize())
    }

    /// rows_hash: SHA-256 over `"<tag>:<row_hash>\n"` for every row of a batch in batch_seq order,
    /// tag P (prediction), L (label) or Q (quarantine).
    public static func rowsHash(_ rows: [(seq: Int, tag: Character, hash: String)]) -> String {
        var order = Array(rows.indices)
        if !rows.indices.dropFirst().allSatisfy({ rows[$0 - 1].seq < rows[$0].seq }) { order.sort { rows[$0].seq < rows[$1].seq } }
        var hasher = RowsHasher()
        for index in order { hasher.add(tag: rows[index].tag, hash: rows[index].hash) }
        return hasher.finish()
    }

    /// rows_hash of a batch whose rows are exactly predictions with these row hashes, in batch_seq order.
    static func rowsHash(ofPredictions digests: some Sequence<RowDigest>) -> String {
        var hasher = RowsHasher()
        for digest in digests { hasher.add(predictionDigest: digest) }
        return hasher.finish()
    }

    /// chain_hash: SHA-256 of the previous chain hash, a newline, and the batch header's canonical JSON.
    public static func chainHash(previous: String, header: BatchHeader) -> String {
        sha256(previous + "\n" + header.canonicalText)
    }
}

/// A row hash as its 32 bytes, the hex text made only where it is needed: what a prepared batch keeps per record
/// (a string per record, and its reference counting, cost more than its hashing).
struct RowDigest: Equatable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    init(_ digest: SHA256Digest) {
        words = digest.withUnsafeBytes { raw in
            (
                raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            )
        }
    }

    static func == (lhs: RowDigest, rhs: RowDigest) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    /// The digest's bytes as lower-case hex: what `row_hash` holds.
    var hex: String {
        String(unsafeUninitializedCapacity: Self.hexCount) { text in
            writeHex(into: text.baseAddress!)
            return Self.hexCount
        }
    }

    static let hexCount = 64

    /// Writes the 64 hex digits at `text`.
    func writeHex(into text: UnsafeMutablePointer<UInt8>) {
        let digits: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: words) { bytes in
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = digits.utf8Start[Int(byte >> 4)]
                text[2 * index + 1] = digits.utf8Start[Int(byte & 0x0F)]
            }
        }
    }

    /// Runs `body` on the 64 hex digits.
    func withHex<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.hexCount) { text in
            writeHex(into: text.baseAddress!)
            return body(UnsafeBufferPointer(text))
        }
    }
}

/// rows_hash built line by line (`"<tag>:<row_hash>\n"`): the lines are gathered in one buffer and hashed a piece at a
/// time, the same bytes as one line per update.
private struct RowsHasher {
    private var hasher = SHA256()
    private var buffer: [UInt8] = []

    init() {
        buffer.reserveCapacity(1 << 16)
    }

    mutating func add(tag: Character, hash: String) {
        var hash = hash
        hash.withUTF8 { add(tag: tag, hex: $0) }
    }

    mutating func add(predictionDigest digest: RowDigest) {
        digest.withHex { add(tag: "P", hex: $0) }
    }

    private mutating func add(tag: Character, hex: UnsafeBufferPointer<UInt8>) {
        buffer.append(contentsOf: tag.utf8)
        buffer.append(UInt8(ascii: ":"))
        buffer.append(contentsOf: hex)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= (1 << 16) - 256 {
            hasher.update(data: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    consuming func finish() -> String {
        hasher.update(data: buffer)
        return RowDigest(hasher.finalize()).hex
    }
}

/// The hashed summary of one ingest batch.
public struct BatchHeader: Sendable, Equatable {
    public let batchID: Int64
    public let kind: String
    public let source: String
    public let inserted: Int
    public let duplicates: Int
    public let rejected: Int
    public let rowsHash: String
    public let codeVersion: String
    /// The batch's time of record (canonical RFC 3339), which every row of the batch carries: hashed from hash version
    /// 2 on (migration 0008); nil for a version-1 batch, whose header never covered a time.
    public var ingestedAt: String? = nil

    var canonicalText: String {
        var members: [(key: String, value: JSONValue)] = [
            ("batch_id", .integer(batchID)),
            ("code_version", .string(codeVersion)),
            ("duplicate_count", .integer(Int64(duplicates))),
            ("inserted_count", .integer(Int64(inserted))),
        ]
        if let ingestedAt { members.append(("ingested_at", .string(ingestedAt))) }
        members += [
            ("kind", .string(kind)),
            ("rejected_count", .integer(Int64(rejected))),
            ("rows_hash", .string(rowsHash)),
            ("source", .string(source)),
        ]
        return CanonicalJSON.text(.object(JSONObject(members)))
    }
}
