/// A value that can be sent as a query parameter in PostgreSQL's text format.
///
/// Values are always sent out of band (`PQexecParams`), never spliced into SQL text.
public protocol PQEncodable: Sendable {
    /// The text form PostgreSQL's input function for the target type accepts.
    var pqText: String { get }
}

extension String: PQEncodable {
    public var pqText: String { self }
}

extension Int: PQEncodable {
    public var pqText: String { String(self) }
}

extension Int64: PQEncodable {
    public var pqText: String { String(self) }
}

extension Int32: PQEncodable {
    public var pqText: String { String(self) }
}

extension Double: PQEncodable {
    /// Shortest round-tripping decimal; non-finite values use PostgreSQL's spellings.
    public var pqText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
}

extension Bool: PQEncodable {
    public var pqText: String { self ? "true" : "false" }
}

extension Array: PQEncodable where Element: PQEncodable {
    /// An array literal (`{…}`) with every element quoted and escaped.
    public var pqText: String {
        var text = "{"
        for (index, element) in enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for character in element.pqText.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}
