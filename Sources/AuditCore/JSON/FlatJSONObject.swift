/// A reader for the flat JSON objects the store keeps in `jsonb` columns: attributes (`{"modality": "CT"}`) and UE
/// scores (`{"msp": 0.91, "semantic_entropy": 0.3}`).
///
/// It reads their members straight from UTF-8 bytes without building a ``JSONValue`` tree, which matters when
/// `verify` and the monthly report decode millions of rows. It answers exactly what ``JSONParser`` followed by
/// `stringValue ?? ""` / `doubleValue ?? .nan` would answer, or nil when the text is anything it does not handle
/// itself (escapes, nesting, other value kinds, anything malformed): callers then fall back to ``JSONParser``, which
/// also owns every error message.
public enum FlatJSONObject {
    /// The members of an object whose values are all strings without escapes; nil for anything else.
    public static func stringMembers(_ bytes: UnsafeBufferPointer<UInt8>) -> [(key: String, value: String)]? {
        var reader = Reader(bytes: bytes)
        return reader.members { reader in reader.plainString() }
    }

    /// The members of an object whose values are all JSON numbers; nil for anything else.
    public static func numberMembers(_ bytes: UnsafeBufferPointer<UInt8>) -> [(key: String, value: Double)]? {
        var reader = Reader(bytes: bytes)
        return reader.members { reader in reader.number() }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func members<Value>(_ value: (inout Reader) -> Value?) -> [(key: String, value: Value)]? {
            skipWhitespace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var members: [(key: String, value: Value)] = []
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return atEnd() ? members : nil }
            while true {
                skipWhitespace()
                guard let key = plainString(), !members.contains(where: { $0.key == key }) else { return nil }
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipWhitespace()
                guard let member = value(&self) else { return nil }
                members.append((key, member))
                skipWhitespace()
                if take(UInt8(ascii: ",")) { continue }
                guard take(UInt8(ascii: "}")) else { return nil }
                return atEnd() ? members : nil
            }
        }

        /// A quoted string with no escape and no control character, validated as UTF-8.
        mutating func plainString() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let text = String(validatingUTF8Bytes: UnsafeBufferPointer(rebasing: bytes[start..<position]))
                    position += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                position += 1
            }
            return nil
        }

        /// A number in RFC 8259 form, converted as ``JSONParser`` converts it (integers through `Int64`).
        mutating func number() -> Double? {
            let start = position
            var isInteger = true
            _ = take(UInt8(ascii: "-"))
            guard position < bytes.count, isDigit(bytes[position]) else { return nil }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
                if position < bytes.count, isDigit(bytes[position]) { return nil }
            } else {
                skipDigits()
            }
            if take(UInt8(ascii: ".")) {
                isInteger = false
                guard position < bytes.count, isDigit(bytes[position]) else { return nil }
                skipDigits()
            }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                isInteger = false
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard position < bytes.count, isDigit(bytes[position]) else { return nil }
                skipDigits()
            }
            let lexeme = Substring(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            if isInteger, let integer = Int64(lexeme) { return Double(integer) }
            guard let value = Double(lexeme), value.isFinite else { return nil }
            return value
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func skipWhitespace() {
            while position < bytes.count, isWhitespace(bytes[position]) { position += 1 }
        }

        mutating func skipDigits() {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }

        func atEnd() -> Bool {
            var rest = position
            while rest < bytes.count, isWhitespace(bytes[rest]) { rest += 1 }
            return rest == bytes.count
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    }
}
