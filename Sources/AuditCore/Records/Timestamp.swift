import Foundation
/// An instant with microsecond precision (PostgreSQL's `timestamptz` resolution), as microseconds since
/// 1970-01-01T00:00:00Z.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since the Unix epoch.
    public let microseconds: Int64

    /// The instant `microseconds` after the epoch.
    /// The instants a clinical record may carry: 1900-01-01 up to (not including) 10000-01-01, UTC.
    public static let plausibleRange = Timestamp(microseconds: -2_208_988_800_000_000)..<Timestamp(microseconds: 253_402_300_800_000_000)

    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// The canonical form: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, always UTC, always six fractional digits.
    public var description: String { rfc3339 }

    /// The canonical RFC 3339 text (UTC, six fractional digits).
    public var rfc3339: String {
        let text = String(unsafeUninitializedCapacity: Self.rfc3339Count) { writeRFC3339(into: $0.baseAddress!) ?? 0 }
        guard text.isEmpty else { return text }
        let (days, remainder) = microseconds.floorDivided(by: 86_400_000_000)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        let seconds = remainder / 1_000_000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):"
            + "\(pad(seconds % 60, 2)).\(pad(remainder % 1_000_000, 6))Z"
    }

    /// The length of ``rfc3339`` for a four-digit year (every timestamp a record can carry).
    public static let rfc3339Count = 27

    /// Writes ``rfc3339`` (``rfc3339Count`` bytes) at `buffer`, digits in place with no intermediate strings, and
    /// returns its length; nil, writing nothing, for a year outside 0...9999.
    public func writeRFC3339(into buffer: UnsafeMutablePointer<UInt8>) -> Int? {
        let (days, remainder) = microseconds.floorDivided(by: 86_400_000_000)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        guard (0...9999).contains(year) else { return nil }
        let seconds = remainder / 1_000_000
        var position = 0
        func put(_ value: Int64, _ width: Int) {
            var value = value
            for offset in stride(from: width - 1, through: 0, by: -1) {
                buffer[position + offset] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                value /= 10
            }
            position += width
        }
        func put(_ byte: Unicode.Scalar) {
            buffer[position] = UInt8(byte.value)
            position += 1
        }
        put(year, 4); put("-"); put(month, 2); put("-"); put(day, 2); put("T")
        put(seconds / 3600, 2); put(":"); put(seconds / 60 % 60, 2); put(":"); put(seconds % 60, 2); put(".")
        put(remainder % 1_000_000, 6); put("Z")
        return position
    }

    /// The date part, `YYYY-MM-DD` in UTC.
    public var day: String { String(rfc3339.prefix(10)) }

    /// `YYYY-MM` in UTC.
    public var month: String { String(rfc3339.prefix(7)) }

    /// Parses RFC 3339 (`2026-10-05T09:12:00Z`, `…T09:12:00.123+02:00`); the separator may be `T`, `t` or a
    /// space; fractions beyond microseconds are truncated. Returns nil for anything else, including
    /// impossible dates and leap seconds.
    public init?(rfc3339 text: String) {
        var text = text
        guard let value = text.withUTF8({ TimestampParser.parse($0) }) else { return nil }
        microseconds = value
    }

    /// Parses RFC 3339 given as UTF-8 bytes in place (see ``init(rfc3339:)``).
    init?(rfc3339UTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = TimestampParser.parse(bytes) else { return nil }
        microseconds = value
    }

    /// Midnight UTC of the first day of `month` (`YYYY-MM`), and of the month after it.
    public static func monthBounds(_ month: String) -> (start: Timestamp, end: Timestamp)? {
        let parts = month.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int64(parts[0]), let number = Int64(parts[1]),
            (1...12).contains(number)
        else { return nil }
        let start = Timestamp(microseconds: days(year: year, month: number, day: 1) * 86_400_000_000)
        let next = number == 12 ? days(year: year + 1, month: 1, day: 1) : days(year: year, month: number + 1, day: 1)
        return (start, Timestamp(microseconds: next * 86_400_000_000))
    }

    /// The machine's clock now, to the microsecond.
    public static func now() -> Timestamp {
        Timestamp(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// This instant moved by whole seconds.
    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(microseconds: microseconds + seconds * 1_000_000)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

private struct TimestampParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    /// Microseconds since 1970 of the RFC 3339 text in `bytes`, nil if it is not one.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var parser = TimestampParser(bytes: bytes)
        return parser.parse()
    }

    mutating func digits(_ count: Int) -> Int64? {
        guard index + count <= bytes.count else { return nil }
        var value: Int64 = 0
        for offset in 0..<count {
            let byte = bytes[index + offset]
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        index += count
        return value
    }

    mutating func expect(_ options: UInt8...) -> Bool {
        guard index < bytes.count, options.contains(bytes[index]) else { return false }
        index += 1
        return true
    }

    mutating func parse() -> Int64? {
        guard let year = digits(4), expect(UInt8(ascii: "-")), let month = digits(2), expect(UInt8(ascii: "-")),
            let day = digits(2), expect(UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")),
            let hour = digits(2), expect(UInt8(ascii: ":")), let minute = digits(2), expect(UInt8(ascii: ":")),
            let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var micros: Int64 = 0
        if expect(UInt8(ascii: ".")) {
            var scale: Int64 = 100_000
            var count = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                micros += Int64(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
                count += 1
            }
            guard count > 0 else { return nil }
        }
        var offset: Int64 = 0
        if expect(UInt8(ascii: "Z"), UInt8(ascii: "z")) {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = digits(2), expect(UInt8(ascii: ":")), let offsetMinutes = digits(2),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = Timestamp.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return seconds * 1_000_000 + micros
    }
}

extension Timestamp {
    /// A day (`YYYY-MM-DD`, meaning its midnight UTC) or an RFC 3339 timestamp: what the CLI and the HTTP API accept for
    /// window bounds.
    public init?(dayOrRFC3339 text: String) {
        guard let instant = Timestamp(rfc3339: text) ?? (text.count == 10 ? Timestamp(rfc3339: text + "T00:00:00Z") : nil) else {
            return nil
        }
        self = instant
    }
}
