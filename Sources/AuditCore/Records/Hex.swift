/// Lower-case hex of `bytes` (two digits a byte), as PostgreSQL's `encode(…, 'hex')` and the chain's hashes write it.
public func lowerCaseHex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 15)])
    }
    return text
}
