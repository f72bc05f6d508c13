#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The valid predictions of a batch as the preparer meets them: item, id and row hash, kept as bytes (the ids back
/// to back in one array).
struct PredictionCandidates: Sendable, Equatable {
    private(set) var seqs: [Int] = []
    private(set) var idBytes: [UInt8] = []
    /// Candidate `i`'s id is `idBytes[idStarts[i]..<idStarts[i + 1]]`.
    private(set) var idStarts: [Int] = [0]
    private(set) var digests: [RowDigest] = []

    init(expectedCount: Int = 0) {
        seqs.reserveCapacity(expectedCount)
        idBytes.reserveCapacity(expectedCount * 24)
        idStarts.reserveCapacity(expectedCount + 1)
        digests.reserveCapacity(expectedCount)
    }

    var count: Int { seqs.count }

    mutating func append(seq: Int, id: UnsafeBufferPointer<UInt8>, digest: RowDigest) {
        seqs.append(seq)
        idBytes.append(contentsOf: id)
        idStarts.append(idBytes.count)
        digests.append(digest)
    }

    mutating func append(seq: Int, id: String, digest: RowDigest) {
        var id = id
        id.withUTF8 { append(seq: seq, id: $0, digest: digest) }
    }

    func id(_ candidate: Int) -> String {
        idBytes.withUnsafeBufferPointer { String(decoding: id(candidate, in: $0), as: UTF8.self) }
    }

    /// The bytes of candidate `candidate`'s id, given `idBytes`'s buffer.
    func id(_ candidate: Int, in idBytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: idBytes[idStarts[candidate]..<idStarts[candidate + 1]])
    }
}

/// A batch's valid predictions sorted out by id before anything is looked up in the store: the first record of each id
/// is accepted; a later identical one is a repeat (a no-op), a later different one a conflict.
///
/// The ids are found through an open-addressing table of the accepted ones, keyed by the standard library's seeded
/// hash of the id's bytes: a `[String: Int]` cost a string per record, with its reference counting, about a tenth of
/// file ingest's reader thread.
struct PredictionSorting: Sendable {
    let candidates: PredictionCandidates
    /// The accepted records in batch order: position `p` is item `seqs[p]`, candidate `acceptedCandidates[p]`.
    let seqs: [Int]
    private let acceptedCandidates: [Int]
    /// Per slot: 0 when empty, else the accepted position + 1 in the low 32 bits and the high 32 bits of its id's hash.
    private let slots: [UInt64]
    /// Items identical to an accepted record earlier in the batch.
    let repeats: [Int]
    /// Items with an accepted record's id but different content: (item, id).
    let conflicts: [(seq: Int, id: String)]
    /// rows_hash of the batch if it stores exactly the accepted records and quarantines nothing, the usual case, so
    /// that the writer need not compute it while the database waits.
    let rowsHashIfAllStored: String?

    /// Sorts out `candidates`, the valid predictions of a batch of `itemCount` items.
    init(_ candidates: PredictionCandidates, itemCount: Int) {
        var slots = [UInt64](repeating: 0, count: Self.slotCount(for: candidates.count))
        var seqs: [Int] = [], acceptedCandidates: [Int] = [], repeats: [Int] = [], conflicts: [(seq: Int, id: String)] = []
        seqs.reserveCapacity(candidates.count)
        acceptedCandidates.reserveCapacity(candidates.count)
        candidates.idBytes.withUnsafeBufferPointer { idBytes in
            for candidate in 0..<candidates.count {
                let id = candidates.id(candidate, in: idBytes)
                let hash = Self.hash(id)
                let slot = Self.slot(of: id, hash: hash, in: slots, accepted: acceptedCandidates, of: candidates, idBytes: idBytes)
                let seq = candidates.seqs[candidate]
                if slots[slot] != 0 {
                    let earlier = acceptedCandidates[Int(slots[slot] & 0xFFFF_FFFF) - 1]
                    if candidates.digests[earlier] == candidates.digests[candidate] {
                        repeats.append(seq)
                    } else {
                        conflicts.append((seq, candidates.id(candidate)))
                    }
                    continue
                }
                seqs.append(seq)
                acceptedCandidates.append(candidate)
                slots[slot] = hash & 0xFFFF_FFFF_0000_0000 | UInt64(acceptedCandidates.count)
            }
        }
        (self.candidates, self.seqs, self.acceptedCandidates, self.slots) = (candidates, seqs, acceptedCandidates, slots)
        (self.repeats, self.conflicts) = (repeats, conflicts)
        rowsHashIfAllStored =
            candidates.count < itemCount || !conflicts.isEmpty || seqs.isEmpty
            ? nil : ChainHash.rowsHash(ofPredictions: acceptedCandidates.lazy.map { candidates.digests[$0] })
    }

    /// The number of accepted records.
    var count: Int { seqs.count }

    /// The id of the accepted record at `position`.
    func id(at position: Int) -> String { candidates.id(acceptedCandidates[position]) }

    /// The ids of the accepted records, in order.
    func ids() -> [String] { acceptedCandidates.map { candidates.id($0) } }

    /// The row hash (hex) of the accepted record at `position`.
    func hash(at position: Int) -> String { candidates.digests[acceptedCandidates[position]].hex }

    /// The position of the accepted record with this id, if any.
    func position(ofID id: String) -> Int? {
        var id = id
        return id.withUTF8 { position(ofID: $0) }
    }

    /// True when an id accepted here is also accepted in `other`.
    func sharesID(with other: PredictionSorting) -> Bool {
        candidates.idBytes.withUnsafeBufferPointer { idBytes in
            acceptedCandidates.contains { other.position(ofID: candidates.id($0, in: idBytes)) != nil }
        }
    }

    private func position(ofID id: UnsafeBufferPointer<UInt8>) -> Int? {
        let slot = candidates.idBytes.withUnsafeBufferPointer { idBytes in
            Self.slot(of: id, hash: Self.hash(id), in: slots, accepted: acceptedCandidates, of: candidates, idBytes: idBytes)
        }
        return slots[slot] == 0 ? nil : Int(slots[slot] & 0xFFFF_FFFF) - 1
    }

    /// The slot holding `id` (whose hash is `hash`) among the `accepted` candidates, or the empty slot where it goes.
    private static func slot(
        of id: UnsafeBufferPointer<UInt8>, hash: UInt64, in slots: [UInt64], accepted: [Int], of candidates: PredictionCandidates,
        idBytes: UnsafeBufferPointer<UInt8>
    ) -> Int {
        var slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
        while slots[slot] != 0 {
            if slots[slot] >> 32 == hash >> 32, same(id, candidates.id(accepted[Int(slots[slot] & 0xFFFF_FFFF) - 1], in: idBytes)) { break }
            slot = (slot + 1) & (slots.count - 1)
        }
        return slot
    }

    /// A power of two at least twice `count`, so that probes stay short.
    private static func slotCount(for count: Int) -> Int {
        var slots = 16
        while slots < 2 * count { slots <<= 1 }
        return slots
    }

    private static func hash(_ id: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(id))
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    private static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }
}
