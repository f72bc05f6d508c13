/// RFC 4180 CSV with the prediction and label column names of docs/formats.md, separated by commas, semicolons (the
/// default of spreadsheet exports in much of Europe) or tabs.
///
/// Cells of array and object fields (`options`, `option_probs`, `confidence`, `attributes`, …) hold JSON text;
/// integer and boolean fields hold their plain text; an empty cell means the field is absent. Header names are matched
/// without regard to case or surrounding spaces.
public enum CSVParser {
    /// Why a CSV record could not be split into fields.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    static let jsonColumns: Set<String> = [
        "options", "option_logits", "option_probs", "confidence", "uncertainty", "attributes", "perturbation",
    ]
    static let literalColumns: Set<String> = ["predicted", "label", "calibration_version", "escalated"]

    /// True when the bytes end inside a quoted field (the record continues on the next line).
    public static func hasOpenQuote(_ bytes: [UInt8]) -> Bool {
        bytes.reduce(false) { open, byte in byte == UInt8(ascii: "\"") ? !open : open }
    }

    /// The delimiters a file may use, by name: `,`, `;` or `tab`.
    public static let delimiters: [String: UInt8] = [",": UInt8(ascii: ","), ";": UInt8(ascii: ";"), "tab": 0x09]

    /// The delimiter a header line uses: the most frequent of `,`, `;` and tab outside quotes (comma on a tie).
    public static func guessDelimiter(header bytes: [UInt8]) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, 0x09: 0]
        var quoted = false
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { quoted.toggle() } else if !quoted, counts[byte] != nil { counts[byte]! += 1 }
        }
        let comma = counts[UInt8(ascii: ",")]!
        return [UInt8(ascii: ";"), 0x09].first { counts[$0]! > comma } ?? UInt8(ascii: ",")
    }

    /// The header's column names, lower-cased and trimmed (a UTF-8 byte-order mark dropped), checked against the
    /// record kind's fields.
    /// - Throws: ``Failure`` naming the columns expected and those found, when a required column is missing or a
    ///   column is not a field of the format.
    public static func header(_ names: [String], kind: RecordKind) throws(Failure) -> [String] {
        let columns = names.enumerated().map { index, name in
            var text = Substring(name)
            if index == 0, text.hasPrefix("\u{FEFF}") { text = text.dropFirst() }
            while text.first == " " || text.first == "\t" { text = text.dropFirst() }
            while text.last == " " || text.last == "\t" { text = text.dropLast() }
            return text.lowercased()
        }
        let (allowed, required): (Set<String>, [String]) =
            kind == .predictions
            ? (RecordValidator.predictionFields, ["prediction_id", "model", "occurred_at", "options", "predicted"])
            : (RecordValidator.labelFields, ["prediction_id", "label", "reviewer", "reviewed_at"])
        let missing = required.filter { !columns.contains($0) }
        let unknown = columns.filter { !allowed.contains($0) }
        guard missing.isEmpty && unknown.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.joined(separator: ", "))") }
            if !unknown.isEmpty { parts.append("unknown \(unknown.joined(separator: ", "))") }
            throw Failure(
                description: "the CSV header does not match the \(kind == .predictions ? "prediction" : "label") format ("
                    + parts.joined(separator: "; ") + "): found " + names.joined(separator: " | ") + "; expected columns "
                    + required.joined(separator: ", ") + ", optionally " + allowed.subtracting(required).sorted().joined(separator: ", "))
        }
        return columns
    }

    /// Splits one record into its fields.
    public static func fields(_ bytes: [UInt8], delimiter: UInt8 = UInt8(ascii: ",")) -> Result<[String], Failure> {
        var fields: [String] = []
        var current: [UInt8] = []
        var index = 0
        var quoted = false
        var wasQuoted = false
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        current.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(byte)
                }
            } else if byte == delimiter {
                guard let text = String(validating: current, as: UTF8.self) else {
                    return .failure(Failure(description: "field \(fields.count + 1) is not valid UTF-8"))
                }
                fields.append(text)
                current = []
                wasQuoted = false
            } else if byte == UInt8(ascii: "\"") {
                guard current.isEmpty, !wasQuoted else {
                    return .failure(Failure(description: "a quote appears inside unquoted field \(fields.count + 1)"))
                }
                quoted = true
                wasQuoted = true
            } else {
                guard !wasQuoted else {
                    return .failure(Failure(description: "text follows the closing quote of field \(fields.count + 1)"))
                }
                current.append(byte)
            }
            index += 1
        }
        guard !quoted else { return .failure(Failure(description: "a quoted field is not closed")) }
        guard let text = String(validating: current, as: UTF8.self) else {
            return .failure(Failure(description: "field \(fields.count + 1) is not valid UTF-8"))
        }
        fields.append(text)
        return .success(fields)
    }

    /// The record a CSV row stands for, as the JSON object the validators read.
    public static func record(header: [String], cells: [String]) -> Result<JSONValue, RecordRejection> {
        guard cells.count == header.count else {
            return .failure(RecordRejection(field: nil, reason: "row has \(cells.count) fields but the header has \(header.count)"))
        }
        var members: [(key: String, value: JSONValue)] = []
        for (name, cell) in zip(header, cells) where !cell.isEmpty {
            if jsonColumns.contains(name) || (literalColumns.contains(name)) {
                do {
                    members.append((name, try JSONParser.parse(cell)))
                } catch {
                    let what = jsonColumns.contains(name) ? "JSON" : "a \(name == "escalated" ? "boolean" : "number")"
                    return .failure(RecordRejection(field: name, reason: "\(name) is not \(what): \(error)"))
                }
            } else {
                members.append((name, .string(cell)))
            }
        }
        if let duplicate = Dictionary(grouping: header, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            return .failure(RecordRejection(field: duplicate, reason: "the CSV header names \(duplicate) twice"))
        }
        return .success(.object(JSONObject(members)))
    }
}
