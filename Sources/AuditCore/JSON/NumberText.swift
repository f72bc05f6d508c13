/// Where a number's canonical text (`Double.description`, which ``CanonicalOutput/number(_:)`` writes) can be copied
/// from the JSON text the number was read from, instead of printed from its value: for a plain decimal lexeme such as
/// `2.978251`, `0.60` or `1`, the text is the lexeme without the trailing zeros of its fraction, and `.0` after an
/// integer.
///
/// Why that is exact: a decimal of at most 15 significant digits (`DBL_DIG`) is recovered from the nearest `Double`
/// when that `Double` is rounded to 15 digits, so no other decimal of at most 15 digits, in particular no shorter one,
/// converts to the same `Double`; the shortest text that reads back as the value is therefore the lexeme's own digits.
/// Between 0.0001 and 10^15 `Double.description` writes them in positional notation, as the lexeme does. Anything
/// else (an exponent, more digits, a smaller or larger magnitude, a negative zero) is printed from the value.
public struct NumberText: Sendable, Equatable {
    /// `start << 8 | count << 1 | appendsPointZero`, or -1 when the text must be printed.
    private let packed: Int

    /// A number whose text is printed from its value.
    public static let printed = NumberText(packed: -1)

    private init(packed: Int) { self.packed = packed }

    init(copying range: Range<Int>, appendingPointZero: Bool) {
        precondition(range.count < 128 && range.lowerBound >= 0, "a copied number is short")
        packed = range.lowerBound << 8 | range.count << 1 | (appendingPointZero ? 1 : 0)
    }

    /// True when the canonical text is copied from the source rather than printed.
    public var isCopied: Bool { packed >= 0 }
    /// The bytes of the source copied as they are (empty when printed).
    public var copiedRange: Range<Int> { isCopied ? (packed >> 8)..<((packed >> 8) + (packed >> 1 & 0x7F)) : 0..<0 }
    /// Whether `.0` follows the copied bytes (an integer lexeme).
    public var appendsPointZero: Bool { isCopied && packed & 1 == 1 }

    /// The text of the number lexeme at `range` of `bytes` (valid JSON number syntax), whose value has been read with
    /// a correctly rounded conversion.
    static func of(lexeme range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> NumberText {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        var position = range.lowerBound
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let integerStart = position
        while position < range.upperBound, isDigit(bytes[position]) { position += 1 }
        let integerDigits = position - integerStart
        let integerIsZero = bytes[integerStart] == UInt8(ascii: "0")  // JSON allows no other leading zero
        guard integerDigits <= 15 else { return .printed }
        if position == range.upperBound {
            // `-0` reads as +0 (an integer), which prints as `0.0`.
            return negative && integerIsZero ? .printed : NumberText(copying: range, appendingPointZero: true)
        }
        guard bytes[position] == UInt8(ascii: ".") else { return .printed }  // an exponent
        let fractionStart = position + 1
        position = fractionStart
        while position < range.upperBound, isDigit(bytes[position]) { position += 1 }
        guard position == range.upperBound else { return .printed }  // an exponent
        // The fraction without its trailing zeros, keeping one digit (`1.000` is `1.0`).
        var end = range.upperBound
        while end > fractionStart + 1, bytes[end - 1] == UInt8(ascii: "0") { end -= 1 }
        var significantDigits = integerDigits + (end - fractionStart)
        if integerIsZero {
            var leadingZeros = 0
            while fractionStart + leadingZeros < end, bytes[fractionStart + leadingZeros] == UInt8(ascii: "0") { leadingZeros += 1 }
            if fractionStart + leadingZeros == end {
                return negative ? .printed : NumberText(copying: range.lowerBound..<end, appendingPointZero: false)  // 0.0
            }
            guard leadingZeros <= 3 else { return .printed }  // below 0.0001: exponent notation
            significantDigits = end - fractionStart - leadingZeros
        }
        // Trailing zeros of the integer part are counted too: a few numbers that could be copied are printed.
        guard significantDigits <= 15 else { return .printed }
        return NumberText(copying: range.lowerBound..<end, appendingPointZero: false)
    }
}
