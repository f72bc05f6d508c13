import AuditCore
import Testing

@Suite("canonical writer")
struct CanonicalWriterTests {
    @Test("a timestamp is written as the string of its RFC 3339 text, inside the years 0–9999 and outside them")
    func timestampsMatchStrings() {
        var generator = SplitMix(seed: 0x7173)
        var instants: [Int64] = [
            0, -1, 1, Timestamp.plausibleRange.lowerBound.microseconds, Timestamp.plausibleRange.upperBound.microseconds - 1,
            Timestamp.plausibleRange.upperBound.microseconds, -62_167_219_200_000_000, -62_167_219_200_000_001,
        ]
        instants += (0..<5_000).map { _ in Int64(bitPattern: generator.next() % 600_000_000_000_000_000) - 300_000_000_000_000_000 }
        var direct = CanonicalWriter()
        var viaString = CanonicalWriter()
        for microseconds in instants {
            let instant = Timestamp(microseconds: microseconds)
            direct.write(reserving: 64) {
                $0.beginArray(); $0.timestamp(instant); $0.timestamp(instant); $0.endArray()
            }
            viaString.write(reserving: 256) {
                $0.beginArray(); $0.string(instant.rfc3339); $0.string(instant.rfc3339); $0.endArray()
            }
        }
        #expect(direct.bytes == viaString.bytes)
        #expect(direct.bytes.count > 5_000 * 58)
    }

    @Test("numbers and integers are written exactly as the value tree's canonical JSON spells them")
    func numbersMatchTree() {
        var generator = SplitMix(seed: 0x5eed_cafe)
        var doubles: [Double] = [
            0, -0.0, 1, -1, 0.1, 1e-7, 1e16, 1e15, 123_456_789_012_345_680, 5e-324, -2.2250738585072014e-308,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude, 0.9015531168386344,
        ]
        doubles += (0..<20_000).map { _ in Double(bitPattern: generator.next()) }.filter(\.isFinite)
        doubles += (0..<20_000).map { _ in Double(generator.next() % 2_000_001) / 1_000_000 - 1 }
        var integers: [Int64] = [0, -1, 1, .min, .max]
        integers += (0..<2_000).map { _ in Int64(bitPattern: generator.next()) }

        // Each value alone, then all of them in one array (separators and the writer's reuse of its storage).
        var writer = CanonicalWriter()
        var mismatches: [String] = []
        for value in doubles {
            writer.reset()
            writer.number(value)
            let expected = CanonicalJSON.text(.number(value))
            if writer.bytes != Array(expected.utf8) {
                mismatches.append("\(expected) written as \(String(decoding: writer.bytes, as: UTF8.self))")
            }
        }
        #expect(mismatches.count == 0, "e.g. \(mismatches.prefix(3))")
        writer.reset()
        writer.beginArray()
        for value in doubles { writer.number(value) }
        for value in integers { writer.integer(value) }
        writer.number(nil)
        writer.endArray()
        let tree = JSONValue.array(doubles.map { .number($0) } + integers.map { .integer($0) } + [.null])
        let sameAsTree = writer.bytes == Array(CanonicalJSON.text(tree).utf8)
        #expect(sameAsTree)
    }
}
