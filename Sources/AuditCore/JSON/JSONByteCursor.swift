#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thrown by ``JSONByteCursor`` (and the direct readers built on it) for anything they leave to ``JSONParser``: an
/// escape, a control character, a malformed token, a number `JSONParser` would not convert the same way. Never shown
/// to a user: the caller takes the general path, which words every error.
struct NotPlainJSON: Error {}

/// Token-level reading of JSON text in UTF-8 for the direct readers (``PredictionLineReader``, ``FlatJSONObject``),
/// which build no ``JSONValue`` tree: each token is read exactly as ``JSONParser`` reads it, or ``NotPlainJSON`` is
/// thrown.
struct JSONByteCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Consumes `open`; true when the container closes right away (`close` consumed too).
    mutating func openIsEmpty(_ open: UInt8, _ close: UInt8) throws(NotPlainJSON) -> Bool {
        guard position < bytes.count, bytes[position] == open else { throw NotPlainJSON() }
        position += 1
        skipWhitespace()
        guard position < bytes.count, bytes[position] == close else { return false }
        position += 1
        return true
    }

    /// After a value: true at `,` (another element follows), false at `close` (consumed).
    mutating func continues(_ close: UInt8) throws(NotPlainJSON) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw NotPlainJSON() }
        if bytes[position] == UInt8(ascii: ",") {
            position += 1
            skipWhitespace()
            return true
        }
        guard bytes[position] == close else { throw NotPlainJSON() }
        position += 1
        return false
    }

    mutating func colon() throws(NotPlainJSON) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw NotPlainJSON() }
        position += 1
        skipWhitespace()
    }

    /// `null` (consumed) gives nil; anything else is read by `read`.
    mutating func nullOr<T>(_ read: (inout JSONByteCursor) throws(NotPlainJSON) -> T) throws(NotPlainJSON) -> T? {
        if literal("null") { return nil }
        return try read(&self)
    }

    /// Consumes `word` when it comes next.
    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count else { return false }
        for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { return false }
        position += count
        return true
    }

    mutating func bool() throws(NotPlainJSON) -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw NotPlainJSON()
    }

    /// The bytes of a string without escapes or control characters (quotes consumed).
    mutating func rawString() throws(NotPlainJSON) -> UnsafeBufferPointer<UInt8> {
        guard position < bytes.count, bytes[position] == quote else { throw NotPlainJSON() }
        position += 1
        let start = position
        // Eight bytes at a time while none of them ends the string or needs a look (a quote, a backslash, a control
        // character); the byte loop below then finds which one it is.
        let base = UnsafeRawPointer(bytes.baseAddress!)
        while position + 8 <= bytes.count {
            let word = (base + position).loadUnaligned(as: UInt64.self)
            guard !hasQuoteBackslashOrControl(word) else { break }
            position += 8
        }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == quote {
                position += 1
                return UnsafeBufferPointer(rebasing: bytes[start..<(position - 1)])
            }
            guard byte >= 0x20, byte != backslash else { throw NotPlainJSON() }
            position += 1
        }
        throw NotPlainJSON()
    }

    /// A string of at most `limit` bytes (the general path's limits count characters, never more than bytes).
    mutating func string(limit: Int) throws(NotPlainJSON) -> String {
        let raw = try rawString()
        guard raw.count <= limit, let text = String(validatingUTF8Bytes: raw) else { throw NotPlainJSON() }
        return text
    }

    /// A number as ``JSONValue/doubleValue`` gives it: integers that fit Int64 through Int64, others correctly rounded.
    mutating func number() throws(NotPlainJSON) -> Double {
        try value(of: numberLexeme())
    }

    /// A number as ``number()`` reads it, and where its canonical text can be copied from (``NumberText``).
    mutating func numberAndText() throws(NotPlainJSON) -> (value: Double, text: NumberText) {
        let lexeme = try numberLexeme()
        return (try value(of: lexeme), NumberText.of(lexeme: lexeme.range, in: bytes))
    }

    private func value(of lexeme: NumberLexeme) throws(NotPlainJSON) -> Double {
        if lexeme.isInteger, let integer = lexeme.integer { return Double(integer) }
        if let significand = lexeme.significand, significand <= 1 << 53, let exponent = lexeme.exponent, abs(exponent) <= 22 {
            // Clinger's fast path: both operands are exact, so the one rounding is the correct one.
            let magnitude =
                exponent >= 0 ? Double(significand) * exactPowersOfTen[exponent] : Double(significand) / exactPowersOfTen[-exponent]
            return lexeme.negative ? -magnitude : magnitude
        }
        let value = try correctlyRounded(lexeme.range)
        guard value.isFinite else { throw NotPlainJSON() }
        return value
    }

    /// An integer literal that fits Int64 (`2.0` and `2e0`, which the general path also accepts, go there).
    mutating func integer() throws(NotPlainJSON) -> Int64 {
        let lexeme = try numberLexeme()
        guard lexeme.isInteger, let integer = lexeme.integer else { throw NotPlainJSON() }
        return integer
    }

    /// One number by JSON's grammar, with what the conversions need.
    struct NumberLexeme {
        var range: Range<Int>
        var negative = false
        var isInteger = true
        /// The value, for an integer literal of at most 18 digits.
        var integer: Int64?
        /// All digits as one integer (nil beyond 19 digits) and the power of ten that scales it (nil when huge).
        var significand: UInt64?
        var exponent: Int?
    }

    mutating func numberLexeme() throws(NotPlainJSON) -> NumberLexeme {
        let start = position
        var lexeme = NumberLexeme(range: start..<start)
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
            lexeme.negative = true
            position += 1
        }
        var significand: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        guard position < bytes.count, isDigit(bytes[position]) else { throw NotPlainJSON() }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw NotPlainJSON() }
        } else {
            while position < bytes.count, isDigit(bytes[position]) {
                accumulate(bytes[position], into: &significand, digits: &digits)
                position += 1
            }
        }
        let integerDigits = digits
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            lexeme.isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw NotPlainJSON() }
            while position < bytes.count, isDigit(bytes[position]) {
                accumulate(bytes[position], into: &significand, digits: &digits)
                fractionDigits += 1
                position += 1
            }
        }
        var exponent = 0
        var exponentIsSmall = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            lexeme.isInteger = false
            position += 1
            var exponentNegative = false
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                exponentNegative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw NotPlainJSON() }
            while position < bytes.count, isDigit(bytes[position]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[position] - 0x30) } else { exponentIsSmall = false }
                position += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        lexeme.range = start..<position
        // Leading zeros of a fraction (0.000123) add digits but no value, so `digits` may overcount: that only sends
        // a few more numbers to strtod.
        if digits <= 19 {
            lexeme.significand = significand
            if exponentIsSmall { lexeme.exponent = exponent - fractionDigits }
        }
        if lexeme.isInteger, integerDigits <= 18 {
            lexeme.integer = lexeme.negative ? -Int64(significand) : Int64(significand)
        }
        return lexeme
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private func accumulate(_ byte: UInt8, into significand: inout UInt64, digits: inout Int) {
        digits += 1
        if digits <= 19 { significand = significand &* 10 &+ UInt64(byte - 0x30) }
    }

    /// C's correctly rounded conversion of the bytes in `range`, when the process's locale writes the decimal point
    /// as `.` (as it does unless something calls `setlocale`); the general path converts otherwise.
    private func correctlyRounded(_ range: Range<Int>) throws(NotPlainJSON) -> Double {
        guard range.count < 512, let conventions = localeconv(), conventions.pointee.decimal_point?.pointee == CChar(UInt8(ascii: ".")),
            conventions.pointee.decimal_point?.successor().pointee == 0
        else { throw NotPlainJSON() }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { text in
            for offset in 0..<range.count { text[offset] = CChar(bitPattern: bytes[range.lowerBound + offset]) }
            text[range.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(text.baseAddress!, &end)
            return end == text.baseAddress! + range.count ? value : .nan
        }
    }
}

/// True when one of the eight bytes of `word` is `"`, `\\` or below 0x20 (exact: a byte that borrows only makes a byte
/// after a true one look special too).
private func hasQuoteBackslashOrControl(_ word: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
    let belowSpace = (word &- 0x20 &* ones) & ~word & highs != 0
    return belowSpace || hasZeroByte(word ^ (0x22 &* ones)) || hasZeroByte(word ^ (0x5C &* ones))
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

/// Exact powers of ten for the fast decimal conversion (every one up to 1e22 is a double).
private let exactPowersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
}
