/// Helpers for the JSON documents the product emits: keys always present, undefined numbers as `null`.
extension JSONValue {
    /// A number, or `null` when absent or not finite.
    public static func number(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .number(value)
    }

    /// An integer.
    public static func count(_ value: Int) -> JSONValue { .integer(Int64(value)) }

    /// A string, or `null`.
    public static func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }

    /// An object from key–value pairs.
    public static func object(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject(members.map { (key: $0.0, value: $0.1) }))
    }
}
