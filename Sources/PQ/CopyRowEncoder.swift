/// Encodes rows in the text format of `COPY … FROM STDIN`: fields separated by tabs, rows by newlines,
/// NULL as `\N`, and backslash, tab, newline and carriage return escaped.
///
/// ```swift
/// var encoder = CopyRowEncoder()
/// encoder.field("a\tb"); encoder.null(); encoder.field(1.5); encoder.endRow()
/// ```
public struct CopyRowEncoder: Sendable {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8] = []
    private var atRowStart = true

    /// Creates an empty encoder, reserving `capacity` bytes.
    public init(capacity: Int = 1 << 16) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends a text field (`nil` is NULL).
    public mutating func field(_ text: String?) {
        separate()
        guard var utf8Text = text else {
            appendNull()
            return
        }
        utf8Text.withUTF8 { appendEscaped(contentsOf: $0) }
    }

    /// Appends bytes with COPY escaping, copying the runs between bytes that need an escape whole.
    private mutating func appendEscaped(contentsOf utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for index in 0..<utf8.count {
            let byte = utf8[index]
            guard byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            appendEscaped(byte)
            runStart = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
    }

    @inline(__always)
    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
        case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
        default: bytes.append(byte)
        }
    }

    /// Appends a text field given as UTF-8 bytes (already valid UTF-8), escaping as COPY requires.
    public mutating func field(utf8 bytes: [UInt8]) {
        separate()
        bytes.withUnsafeBufferPointer { appendEscaped(contentsOf: $0) }
    }

    /// Appends a `float8[]` field written directly (`{1.5,-2.0}`; `nil` is NULL).
    public mutating func field(doubles values: [Double]?) {
        separate()
        guard let values else { return appendNull() }
        bytes.append(UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: value.pqText.utf8)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Appends a `text[]` field written directly, every element quoted (`{"a","b \"c\""}`).
    public mutating func field(texts values: [String]) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                // Array-literal escaping (backslash before " and \), then COPY escaping of the result.
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { appendEscaped(UInt8(ascii: "\\")) }
                appendEscaped(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Appends any encodable value through its text form (`nil` is NULL).
    public mutating func field(_ value: (any PQEncodable)?) {
        field(value?.pqText)
    }

    /// Appends a NULL field.
    public mutating func null() {
        separate()
        appendNull()
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        atRowStart = true
    }

    /// Empties the buffer (keeping its capacity), typically after sending it.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        atRowStart = true
    }

    private mutating func separate() {
        if atRowStart {
            atRowStart = false
        } else {
            bytes.append(UInt8(ascii: "\t"))
        }
    }

    private mutating func appendNull() {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "N"))
    }
}
