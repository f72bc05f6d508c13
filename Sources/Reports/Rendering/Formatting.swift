import AuditCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Number formatting shared by the renderers (fixed decimals, so output is byte-stable).
enum Numbers {
    static func fixed(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value, value.isFinite else { return "–" }
        let scale = pow(10, Double(digits))
        let rounded = (value * scale).rounded() / scale
        if digits == 0 && abs(rounded) < 1e15 { return String(Int(rounded)) }
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else if digits > 0 {
            text += "." + String(repeating: "0", count: digits)
        }
        return text == "-0." + String(repeating: "0", count: digits) ? String(text.dropFirst()) : text
    }

    static func percent(_ value: Double?, _ digits: Int = 1) -> String {
        guard let value, value.isFinite else { return "–" }
        return fixed(value * 100, digits) + " %"
    }
}
