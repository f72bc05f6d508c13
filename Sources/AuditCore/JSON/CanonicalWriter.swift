#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes canonical JSON (see ``CanonicalJSON``) straight into bytes, for the hot ingest path.
///
/// The caller emits object keys in sorted order itself; the output is byte-identical to ``CanonicalJSON`` for the same
/// value (pinned by tests). Containers nest at most 64 deep (records nest 2 deep).
///
/// Every operation is done by a ``CanonicalOutput`` on raw memory with room reserved ahead, and what it wrote is then
/// appended to ``bytes`` in one copy. A whole record's canonical form goes through one output
/// (``write(reserving:_:)``), which also writes keys that are not fixed, strings that need no escaping and spans:
/// appending byte by byte to an array checked its uniqueness and capacity each time, which cost more than the writing.
public struct CanonicalWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    /// Open containers, and per open container (bit `depth - 1`) whether the next value needs a comma before it.
    private var depth = 0
    private var needsComma: UInt64 = 0
    private var scratch: ScratchBuffer

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
        scratch = ScratchBuffer(capacity: max(capacity, 256))
    }

    /// Empties the writer for the next value, keeping its storage.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        depth = 0
        needsComma = 0
    }

    /// Runs `body` on an output with room for `bound` more bytes (it must write no more: a precondition checks each
    /// write), then appends what it wrote.
    public mutating func write<T>(reserving bound: Int, _ body: (inout CanonicalOutput) -> T) -> T {
        if bound > scratch.capacity { scratch = ScratchBuffer(capacity: max(bound, 2 * scratch.capacity)) }
        var output = CanonicalOutput(base: scratch.pointer, limit: bound, offset: bytes.count, depth: depth, needsComma: needsComma)
        let result = body(&output)
        bytes.append(contentsOf: UnsafeBufferPointer(start: scratch.pointer, count: output.count))
        (depth, needsComma) = (output.depth, output.needsComma)
        return result
    }

    public mutating func beginObject() { write(reserving: 2) { $0.beginObject() } }
    public mutating func endObject() { write(reserving: 1) { $0.endObject() } }
    public mutating func beginArray() { write(reserving: 2) { $0.beginArray() } }
    public mutating func endArray() { write(reserving: 1) { $0.endArray() } }

    /// Writes `"key":` for a fixed key that needs no escaping (letters, digits, `_`), copying its bytes as they are.
    public mutating func plainKey(_ key: StaticString) { write(reserving: key.utf8CodeUnitCount + 4) { $0.plainKey(key) } }

    public mutating func string(_ value: String?) { write(reserving: CanonicalOutput.bound(value)) { $0.string(value) } }

    /// Writes `value` as `value.description` spells it (the shortest text that reads back as the same `Double`).
    public mutating func number(_ value: Double?) { write(reserving: CanonicalOutput.numberBound) { $0.number(value) } }

    public mutating func integer(_ value: Int64?) { write(reserving: CanonicalOutput.numberBound) { $0.integer(value) } }

    public mutating func bool(_ value: Bool?) { write(reserving: 6) { $0.bool(value) } }

    public mutating func null() { write(reserving: 5) { $0.null() } }
}

/// Where ``CanonicalWriter`` writes: raw memory with room reserved ahead, no checks beyond one bound per write.
public struct CanonicalOutput {
    private let base: UnsafeMutablePointer<UInt8>
    private let limit: Int
    /// Where the output starts in the writer's ``CanonicalWriter/bytes``, so that spans are given in those terms.
    private let offset: Int
    /// Bytes written.
    fileprivate private(set) var count = 0
    fileprivate private(set) var depth: Int
    fileprivate private(set) var needsComma: UInt64

    fileprivate init(base: UnsafeMutablePointer<UInt8>, limit: Int, offset: Int, depth: Int, needsComma: UInt64) {
        (self.base, self.limit, self.offset, self.depth, self.needsComma) = (base, limit, offset, depth, needsComma)
    }

    /// The most a number or an integer takes, with its comma (`-2.2250738585072014e-308` is 24 bytes).
    public static let numberBound = 32

    /// The most `string(value)` takes: a comma, quotes, and every byte escaped as `\u00XX` at worst.
    public static func bound(_ value: String?) -> Int { 3 + 6 * (value?.utf8.count ?? 1) }

    public mutating func beginObject() {
        separate()
        append(UInt8(ascii: "{"))
        open()
    }

    public mutating func endObject() {
        append(UInt8(ascii: "}"))
        depth -= 1
    }

    public mutating func beginArray() {
        separate()
        append(UInt8(ascii: "["))
        open()
    }

    public mutating func endArray() {
        append(UInt8(ascii: "]"))
        depth -= 1
    }

    private mutating func open() {
        precondition(depth < 64, "CanonicalWriter nests at most 64 containers")
        needsComma &= ~(1 << UInt64(depth))
        depth += 1
    }

    /// Runs `body` and returns where the bytes it wrote lie in the writer's bytes.
    public mutating func span(_ body: (inout CanonicalOutput) -> Void) -> Range<Int> {
        let start = offset + count
        body(&self)
        return start..<(offset + count)
    }

    /// Writes `"key":` for a fixed key that needs no escaping (letters, digits, `_`), copying its bytes as they are.
    public mutating func plainKey(_ key: StaticString) {
        assert(
            UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount).allSatisfy {
                $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\")
            })
        plainKey(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
    }

    /// Writes `"key":` for a key whose UTF-8 needs no escaping (no control character, quote or backslash), as it is.
    public mutating func plainKey(_ key: UnsafeBufferPointer<UInt8>) {
        separate()
        appendPlain(key)
        append(UInt8(ascii: ":"))
        valueFollowsKey()
    }

    /// Writes `"key":`; the next value follows without a comma.
    public mutating func key(_ key: String) {
        separate()
        appendString(key)
        append(UInt8(ascii: ":"))
        valueFollowsKey()
    }

    public mutating func string(_ value: String?) {
        separate()
        guard let value else { return appendNull() }
        appendString(value)
    }

    /// Writes a string whose UTF-8 needs no escaping (no control character, quote or backslash), as it is; nil is null.
    public mutating func plainString(_ utf8: UnsafeBufferPointer<UInt8>?) {
        separate()
        guard let utf8 else { return appendNull() }
        appendPlain(utf8)
    }

    /// Writes `value` as `value.description` spells it (the shortest text that reads back as the same `Double`).
    public mutating func number(_ value: Double?) {
        separate()
        guard let value else { return appendNull() }
        // A `Double` writes its digits to a text stream as ASCII (no `String` made), here straight into the output.
        var sink = ASCIISink(output: self)
        value.write(to: &sink)
        self = sink.output
    }

    /// Writes `value` as ``number(_:)`` does, copying its text from `source` when `text` says it can be
    /// (``NumberText``: the same bytes, without printing).
    public mutating func number(_ value: Double, text: NumberText, in source: UnsafeBufferPointer<UInt8>) {
        guard text.isCopied else { return number(value) }
        separate()
        append(UnsafeBufferPointer(rebasing: source[text.copiedRange]))
        if text.appendsPointZero { append(".0") }
    }

    /// Writes `value`'s canonical RFC 3339 text as a string, as `string(value.rfc3339)` does, without making the string.
    public mutating func timestamp(_ value: Timestamp) {
        separate()
        precondition(count + Timestamp.rfc3339Count + 2 <= limit, "CanonicalOutput wrote past the room reserved for it")
        guard let written = value.writeRFC3339(into: base + count + 1) else { return appendString(value.rfc3339) }
        base[count] = UInt8(ascii: "\"")
        base[count + 1 + written] = UInt8(ascii: "\"")
        count += written + 2
    }

    public mutating func integer(_ value: Int64?) {
        separate()
        guard let value else { return appendNull() }
        var text = String(value)  // at most 20 bytes; a short one is stored inline, with no allocation
        text.withUTF8 { append($0) }
    }

    public mutating func bool(_ value: Bool?) {
        separate()
        guard let value else { return appendNull() }
        append(value ? "true" : "false")
    }

    public mutating func null() {
        separate()
        appendNull()
    }

    private mutating func appendNull() {
        append("null")
    }

    /// Before a value or key: a comma unless it is the first in its container (or the value after a key).
    private mutating func separate() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if needsComma & bit != 0 { append(UInt8(ascii: ",")) }
        needsComma |= bit
    }

    /// After a key: its value takes no comma.
    private mutating func valueFollowsKey() {
        if depth > 0 { needsComma &= ~(1 << UInt64(depth - 1)) }
    }

    private mutating func appendPlain(_ utf8: UnsafeBufferPointer<UInt8>) {
        assert(utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        append(UInt8(ascii: "\""))
        append(utf8)
        append(UInt8(ascii: "\""))
    }

    /// Writes a quoted string: runs of bytes that need no escape are copied whole.
    private mutating func appendString(_ text: String) {
        append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                append(UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendEscape(of: byte)
                runStart = index + 1
            }
            append(UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(of byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(UInt8(ascii: "\\")); append(byte)
        case 0x0A: append("\\n")
        case 0x0D: append("\\r")
        case 0x09: append("\\t")
        default:
            let digits: StaticString = "0123456789abcdef"
            append("\\u00")
            append(digits.utf8Start[Int(byte >> 4)])
            append(digits.utf8Start[Int(byte & 0x0F)])
        }
    }

    private mutating func append(_ byte: UInt8) {
        precondition(count < limit, "CanonicalOutput wrote past the room reserved for it")
        base[count] = byte
        count += 1
    }

    fileprivate mutating func append(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard let source = utf8.baseAddress else { return }
        precondition(count + utf8.count <= limit, "CanonicalOutput wrote past the room reserved for it")
        memcpy(base + count, source, utf8.count)
        count += utf8.count
    }

    private mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

/// A text stream appending to an output; numbers hand it their ASCII digits directly (`_writeASCII`).
private struct ASCIISink: TextOutputStream {
    var output: CanonicalOutput

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { output.append($0) }
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        output.append(buffer)
    }
}

/// The raw memory a writer's outputs write into; replaced, never resized, so that its fields can be constants.
private final class ScratchBuffer {
    let pointer: UnsafeMutablePointer<UInt8>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        pointer = .allocate(capacity: capacity)
    }

    deinit {
        pointer.deallocate()
    }
}
