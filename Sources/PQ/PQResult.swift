import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rows of a completed query, with typed access by row and column.
///
/// All values arrive in PostgreSQL's text format; the accessors parse them. A NULL reads as `nil`.
public final class PQResult: @unchecked Sendable {
    // @unchecked Sendable: a PGresult is immutable once libpq hands it over and libpq documents that it
    // may be read from any thread; this class exposes no mutation and frees it exactly once in deinit.
    let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    /// Number of rows returned.
    public var rowCount: Int { Int(PQntuples(handle)) }

    /// Number of columns returned.
    public var columnCount: Int { Int(PQnfields(handle)) }

    /// Rows affected by an INSERT, UPDATE, DELETE, COPY or similar command (0 when not applicable).
    public var affectedRows: Int {
        guard let raw = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: raw)) ?? 0
    }

    /// The column names, in order.
    public var columnNames: [String] {
        (0..<columnCount).map { String(cString: PQfname(handle, Int32($0))) }
    }

    /// The index of the named column.
    public func column(_ name: String) throws -> Int {
        let index = Int(PQfnumber(handle, name))
        guard index >= 0 else {
            throw PQError(kind: .protocolViolation, message: "result has no column named \(name)")
        }
        return index
    }

    /// True when the value is SQL NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The value as text.
    public func string(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column), let raw = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return String(cString: raw)
    }

    /// The value as a 64-bit integer (int2, int4, int8 columns).
    public func int(_ row: Int, _ column: Int) -> Int? {
        withBytes(row, column) { bytes in Int(Substring(decoding: bytes, as: UTF8.self)) } ?? nil
    }

    /// The value as a double (float4, float8, numeric columns; `NaN` and `±Infinity` included).
    public func double(_ row: Int, _ column: Int) -> Double? {
        guard let text = string(row, column) else { return nil }
        return PQResult.parseDouble(text)
    }

    /// The value as a boolean (`t` / `f`).
    public func bool(_ row: Int, _ column: Int) -> Bool? {
        withBytes(row, column) { bytes in bytes.first == UInt8(ascii: "t") }
    }

    /// A one-dimensional `float8[]` value; NULL elements read as `nil`. Parsed in place with `strtod`.
    public func doubles(_ row: Int, _ column: Int) -> [Double?]? {
        guard !isNull(row, column), let raw = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        var values: [Double?] = []
        var cursor = raw
        guard cursor.pointee == CChar(UInt8(ascii: "{")) else { return [] }
        cursor += 1
        if cursor.pointee == CChar(UInt8(ascii: "}")) { return [] }
        while true {
            if strncmp(cursor, "NULL", 4) == 0 {
                values.append(nil)
                cursor += 4
            } else {
                var end: UnsafeMutablePointer<CChar>?
                let value = strtod(cursor, &end)
                guard let end, end != cursor else { return values }
                values.append(value)
                cursor = end
            }
            guard cursor.pointee == CChar(UInt8(ascii: ",")) else { return values }
            cursor += 1
        }
    }

    /// A one-dimensional `text[]` value; NULL elements read as `nil`.
    public func strings(_ row: Int, _ column: Int) -> [String?]? {
        withBytes(row, column) { PQArrayParser.elements(of: $0) }
    }

    /// A `timestamptz` value as microseconds since 1970-01-01T00:00:00Z.
    ///
    /// Reads the ISO output style (`2026-10-05 09:12:00.5+00`), which every connection of this package uses.
    public func epochMicroseconds(_ row: Int, _ column: Int) -> Int64? {
        guard let text = string(row, column) else { return nil }
        return PQTimestampParser.epochMicroseconds(iso: text)
    }

    /// Calls `body` with the value's text bytes, valid only during the call; nil for NULL.
    public func withBytes<T, E: Error>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> T) throws(E) -> T? {
        guard !isNull(row, column), let raw = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return try raw.withMemoryRebound(to: UInt8.self, capacity: length) { pointer throws(E) in
            try body(UnsafeBufferPointer(start: pointer, count: length))
        }
    }

    static func parseDouble(_ text: String) -> Double? {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: return Double(text)
        }
    }
}

/// Parses PostgreSQL's text output of one-dimensional arrays.
enum PQArrayParser {
    static func elements(of text: String) -> [String?] {
        var text = text
        return text.withUTF8 { elements(of: $0) }
    }

    /// The elements of a one-dimensional array in PostgreSQL's text form (`{a,"b c",NULL}`), read byte by byte:
    /// its delimiters are ASCII, which never occurs inside a multi-byte UTF-8 sequence.
    static func elements(of bytes: UnsafeBufferPointer<UInt8>) -> [String?] {
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return [] }
        if bytes.count == 2 { return [] }
        var result: [String?] = []
        var current: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        var escaped = false
        for byte in bytes[1..<(bytes.count - 1)] {
            if escaped {
                current.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                quoted.toggle()
                wasQuoted = true
            } else if byte == UInt8(ascii: ",") && !quoted {
                result.append(finish(current, wasQuoted))
                current.removeAll(keepingCapacity: true)
                wasQuoted = false
            } else {
                current.append(byte)
            }
        }
        result.append(finish(current, wasQuoted))
        return result
    }

    private static func finish(_ bytes: [UInt8], _ wasQuoted: Bool) -> String? {
        if !wasQuoted && bytes.elementsEqual("NULL".utf8) { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Parses `timestamptz` text in the ISO DateStyle.
enum PQTimestampParser {
    static func epochMicroseconds(iso text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<digits {
                let byte = bytes[index + offset]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2), expect(UInt8(ascii: " ")) || expect(UInt8(ascii: "T")),
            let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2), expect(UInt8(ascii: ":")),
            let second = number(2)
        else { return nil }
        var micros: Int64 = 0
        if expect(UInt8(ascii: ".")) {
            var scale: Int64 = 100_000
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                micros += Int64(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds: Int64 = 0
        if index < bytes.count {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { return nil }
            index += 1
            guard let offsetHours = number(2) else { return nil }
            var offsetMinutes: Int64 = 0
            if expect(UInt8(ascii: ":")) { offsetMinutes = number(2) ?? 0 }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * 1_000_000 + micros
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = (month + 9) % 12
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
