extension String {
    /// The text of `bytes` as a PostgreSQL `text` column can store it: invalid UTF-8 and U+0000 become U+FFFD.
    public init(storableUTF8 bytes: [UInt8]) {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.containsNUL { text = text.replacingOccurrences(ofScalar: "\u{0}", with: "\u{FFFD}") }
        self = text
    }

    func replacingOccurrences(ofScalar scalar: Unicode.Scalar, with replacement: Unicode.Scalar) -> String {
        var scalars = String.UnicodeScalarView()
        for element in unicodeScalars { scalars.append(element == scalar ? replacement : element) }
        return String(scalars)
    }
}
