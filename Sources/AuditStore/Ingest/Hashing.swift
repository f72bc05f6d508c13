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
        var hasher = SHA256()
        hasher.update(data: bytes)
        return hex(hasher.finalize())
    }

    /// Lower-case hex of a SHA-256 digest, written straight into the string's storage.
    static func hex(_ digest: SHA256Digest) -> String {
        String(unsafeUninitializedCapacity: 2 * SHA256Digest.byteCount) { text in
            let digits: StaticString = "0123456789abcdef"
            var count = 0
            for byte in digest {
                text[count] = digits.utf8Start[Int(byte >> 4)]
                text[count + 1] = digits.utf8Start[Int(byte & 0x0F)]
                count += 2
            }
            return count
        }
    }

    /// rows_hash: SHA-256 over `"<tag>:<row_hash>\n"` for every row of a batch in batch_seq order,
    /// tag P (prediction), L (label) or Q (quarantine).
    public static func rowsHash(_ rows: [(seq: Int, tag: Character, hash: String)]) -> String {
        var order = Array(rows.indices)
        if !rows.indices.dropFirst().allSatisfy({ rows[$0 - 1].seq < rows[$0].seq }) { order.sort { rows[$0].seq < rows[$1].seq } }
        // The lines are gathered in one buffer, hashed a piece at a time (the same bytes as one line per update).
        var hasher = SHA256()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        for index in order {
            buffer.append(contentsOf: rows[index].tag.utf8)
            buffer.append(UInt8(ascii: ":"))
            buffer.append(contentsOf: rows[index].hash.utf8)
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= (1 << 16) - 256 {
                hasher.update(data: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        hasher.update(data: buffer)
        return hex(hasher.finalize())
    }

    /// chain_hash: SHA-256 of the previous chain hash, a newline, and the batch header's canonical JSON.
    public static func chainHash(previous: String, header: BatchHeader) -> String {
        sha256(previous + "\n" + header.canonicalText)
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
