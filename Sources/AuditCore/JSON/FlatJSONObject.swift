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
        var cursor = JSONByteCursor(bytes: bytes)
        return try? cursor.flatObject { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.string(limit: .max) }
    }

    /// The members of an object whose values are all JSON numbers; nil for anything else.
    public static func numberMembers(_ bytes: UnsafeBufferPointer<UInt8>) -> [(key: String, value: Double)]? {
        var cursor = JSONByteCursor(bytes: bytes)
        return try? cursor.flatObject { (cursor: inout JSONByteCursor) throws(NotPlainJSON) in try cursor.number() }
    }
}

private extension JSONByteCursor {
    /// A whole text that is one object of `value`s, its keys plain strings, each once (as ``JSONParser`` requires).
    mutating func flatObject<Value>(
        _ value: (inout JSONByteCursor) throws(NotPlainJSON) -> Value
    ) throws(NotPlainJSON) -> [(key: String, value: Value)] {
        var members: [(key: String, value: Value)] = []
        skipWhitespace()
        if try !openIsEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")) {
            repeat {
                let key = try string(limit: .max)
                guard !members.contains(where: { $0.key == key }) else { throw NotPlainJSON() }
                try colon()
                members.append((key, try value(&self)))
            } while try continues(UInt8(ascii: "}"))
        }
        skipWhitespace()
        guard position == bytes.count else { throw NotPlainJSON() }
        return members
    }
}
