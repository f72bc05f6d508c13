import AuditCore
import Crypto

/// Audit membership exactly as STATISTICS.md defines it, so that an auditor with the seed recomputes it in five lines:
/// u = (first 8 bytes of SHA-256(seed ‖ UTF-8(prediction_id)), big-endian) / 2^64, and a member is u < q.
public enum AuditMembership {
    /// The membership number u of a prediction: Python's `int.from_bytes(digest[:8], "big") / 2**64`, which rounds the
    /// 64-bit integer to the nearest double (ties to even) and then scales it exactly.
    public static func number(seed: [UInt8], predictionID: String) -> Double {
        Double(prefix(seed: seed, predictionID: predictionID)) * 0x1p-64
    }

    /// True when the prediction is a member at rate q.
    public static func isMember(seed: [UInt8], predictionID: String, rate: Double) -> Bool {
        number(seed: seed, predictionID: predictionID) < rate
    }

    /// The first 8 bytes of SHA-256(seed ‖ UTF-8(id)) as a big-endian integer.
    static func prefix(seed: [UInt8], predictionID: String) -> UInt64 {
        var hasher = SHA256()
        hasher.update(data: seed)
        hasher.update(data: Array(predictionID.utf8))
        var value: UInt64 = 0
        for byte in hasher.finalize().prefix(8) { value = value << 8 | UInt64(byte) }
        return value
    }

    /// The smallest 64-bit integer X whose u is ≥ q: a prediction is a member iff its prefix is < this bound, which
    /// lets SQL test membership on bytes (`member_bound`). Exact: u is monotone in X, so a binary search finds it.
    public static func bound(rate: Double) -> UInt64 {
        precondition(rate > 0 && rate <= 1, "an audit rate lies in (0, 1]")
        // Invariant: u(low) < q ≤ u(high); u(0) = 0 and u(UInt64.max) = 1 (it rounds up to 2^64).
        var low: UInt64 = 0
        var high = UInt64.max
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if Double(middle) * 0x1p-64 < rate { low = middle } else { high = middle }
        }
        return high
    }

    /// ``bound(rate:)`` as 16 lower-case hex digits (8 big-endian bytes).
    public static func boundHex(rate: Double) -> String {
        let value = bound(rate: rate)
        return lowerCaseHex((0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) })
    }
}
