import AuditStore
import Testing

/// The chain's hashes against their definition in docs/hash-chain.md, computed the plain way.
@Suite("chain hashes")
struct HashingTests {
    @Test("rows_hash is SHA-256 over \"<tag>:<row_hash>\\n\" in batch_seq order, whatever order the rows come in")
    func rowsHash() {
        // Enough rows to cross the writer's 64 KiB hashing pieces, given out of order.
        let rows: [(seq: Int, tag: Character, hash: String)] = (0..<3_000).map { seq in
            (seq, seq % 7 == 0 ? "Q" : "P", ChainHash.sha256("row \(seq)"))
        }
        let shuffled = rows.enumerated().sorted { ($0.offset * 7_919) % 3_000 < ($1.offset * 7_919) % 3_000 }.map(\.element)
        let definition = ChainHash.sha256(rows.map { "\($0.tag):\($0.hash)\n" }.joined())
        #expect(ChainHash.rowsHash(rows) == definition)
        #expect(ChainHash.rowsHash(shuffled) == definition)
        #expect(ChainHash.rowsHash([]) == ChainHash.sha256(""))
    }
}
