import AuditStore
import Testing

/// The chain's hashes against their definition in docs/hash-chain.md, computed the plain way.
@Suite("chain hashes")
struct HashingTests {
    @Test("SHA-256 in lower-case hex: the FIPS 180-2 test vectors")
    func sha256Vectors() {
        #expect(ChainHash.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ChainHash.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            ChainHash.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

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
