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
        var text: [UInt8] = [UInt8(ascii: "{")]
        for (index, element) in enumerated() {
            if index > 0 { text.append(UInt8(ascii: ",")) }
            text.append(UInt8(ascii: "\""))
            var elementText = element.pqText
            elementText.withUTF8 { utf8 in
                // Runs without a quote or backslash are copied whole (both are ASCII, never inside a multi-byte scalar).
                var runStart = 0
                for position in 0..<utf8.count where utf8[position] == UInt8(ascii: "\"") || utf8[position] == UInt8(ascii: "\\") {
                    text.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<position]))
                    text.append(UInt8(ascii: "\\"))
                    runStart = position
                }
                text.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            }
            text.append(UInt8(ascii: "\""))
        }
        text.append(UInt8(ascii: "}"))
        return String(decoding: text, as: UTF8.self)
    }
}
