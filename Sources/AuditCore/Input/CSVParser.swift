/// RFC 4180 CSV with the prediction and label column names of docs/formats.md.
///
/// Cells of array and object fields (`options`, `option_probs`, `confidence`, `attributes`, …) hold JSON text;
/// integer and boolean fields hold their plain text; an empty cell means the field is absent.
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

    /// Splits one record into its fields.
    public static func fields(_ bytes: [UInt8]) -> Result<[String], Failure> {
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
            } else if byte == UInt8(ascii: ",") {
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
