/// Writes canonical JSON (see ``CanonicalJSON``) straight into bytes, for the hot ingest path.
///
/// The caller emits object keys in sorted order itself; the output is byte-identical to ``CanonicalJSON`` for the same
/// value (pinned by tests). Containers nest at most 64 deep (records nest 2 deep).
public struct CanonicalWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    /// Open containers, and per open container (bit `depth - 1`) whether the next value needs a comma before it.
    private var depth = 0
    private var needsComma: UInt64 = 0

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    /// Empties the writer for the next value, keeping its storage.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        depth = 0
        needsComma = 0
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        open()
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        depth -= 1
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        open()
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        depth -= 1
    }

    private mutating func open() {
        precondition(depth < 64, "CanonicalWriter nests at most 64 containers")
        needsComma &= ~(1 << UInt64(depth))
        depth += 1
    }

    /// Runs `body` and returns where the bytes it wrote lie in ``bytes``.
    public mutating func span(_ body: (inout CanonicalWriter) -> Void) -> Range<Int> {
        let start = bytes.count
        body(&self)
        return start..<bytes.count
    }

    /// Writes `"key":` for a fixed key that needs no escaping (letters, digits, `_`), copying its bytes as they are.
    public mutating func plainKey(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { utf8 in
            assert(utf8.allSatisfy { $0 >= 0x20 && $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
            bytes.append(contentsOf: utf8)
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        valueFollowsKey()
    }

    /// Writes `"key":` for a key whose UTF-8 needs no escaping (no control character, quote or backslash), as it is.
    public mutating func plainKey(_ key: UnsafeBufferPointer<UInt8>) {
        separate()
        appendPlain(key)
        bytes.append(UInt8(ascii: ":"))
        valueFollowsKey()
    }

    /// Writes a string whose UTF-8 needs no escaping (no control character, quote or backslash), as it is; nil is null.
    public mutating func plainString(_ utf8: UnsafeBufferPointer<UInt8>?) {
        separate()
        guard let utf8 else { return appendNull() }
        appendPlain(utf8)
    }

    private mutating func appendPlain(_ utf8: UnsafeBufferPointer<UInt8>) {
        assert(utf8.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `"key":`; the next value follows without a comma.
    public mutating func key(_ key: String) {
        separate()
        appendString(key)
        bytes.append(UInt8(ascii: ":"))
        valueFollowsKey()
    }

    public mutating func string(_ value: String?) {
        separate()
        guard let value else { return appendNull() }
        appendString(value)
    }

    /// Writes `value` as `value.description` spells it (the shortest text that reads back as the same `Double`).
    public mutating func number(_ value: Double?) {
        separate()
        guard let value else { return appendNull() }
        appendText(of: value)
    }

    public mutating func integer(_ value: Int64?) {
        separate()
        guard let value else { return appendNull() }
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Appends `value`'s text as `description` spells it, without making a `String` of it: a `Double` writes itself to a
    /// text stream as ASCII bytes (an allocation per number saved on the ingest path).
    private mutating func appendText(of value: Double) {
        var sink = ASCIISink()
        swap(&sink.bytes, &bytes)
        value.write(to: &sink)
        swap(&sink.bytes, &bytes)
    }

    public mutating func bool(_ value: Bool?) {
        separate()
        guard let value else { return appendNull() }
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func null() {
        separate()
        appendNull()
    }

    private mutating func appendNull() {
        bytes.append(contentsOf: "null".utf8)
    }

    /// Before a value or key: a comma unless it is the first in its container (or the value after a key).
    private mutating func separate() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if needsComma & bit != 0 { bytes.append(UInt8(ascii: ",")) }
        needsComma |= bit
    }

    /// After a key: its value takes no comma.
    private mutating func valueFollowsKey() {
        if depth > 0 { needsComma &= ~(1 << UInt64(depth - 1)) }
    }

    /// Writes a quoted string: runs of bytes that need no escape are copied whole.
    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendEscape(of: byte)
                runStart = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(of byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
        case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
        default:
            let digits = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: Array("\\u00".utf8))
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
    }
}

/// A text stream appending to bytes; numbers hand it their ASCII digits directly (`_writeASCII`), text goes as UTF-8.
private struct ASCIISink: TextOutputStream {
    var bytes: [UInt8] = []

    mutating func write(_ string: String) {
        bytes.append(contentsOf: string.utf8)
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }
}
