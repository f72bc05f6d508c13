import AuditCore
import Foundation

/// One record as read from an input, before validation.
struct RawRecord {
    let lineNumber: Int
    /// What reading made of the text.
    let content: Content

    enum Content {
        /// A valid prediction, read straight from its line into the source's ``RecordSource/scan``, which holds it
        /// until the next record is read; the line's text is made only if the record is rejected later (a conflict).
        case scannedPrediction(line: [UInt8])
        /// The parsed JSON value for the validator, or why the text could not be read as a record; with the record's
        /// text as received (invalid UTF-8 and NUL replaced by U+FFFD so it can be stored).
        case parsed(Result<JSONValue, RecordRejection>, raw: String)
    }

    init(lineNumber: Int, raw: String, value: Result<JSONValue, RecordRejection>) {
        self.lineNumber = lineNumber
        content = .parsed(value, raw: raw)
    }

    init(lineNumber: Int, scannedPrediction line: [UInt8]) {
        self.lineNumber = lineNumber
        content = .scannedPrediction(line: line)
    }

    /// The content, handed over with the record's end.
    consuming func takeContent() -> Content { content }
}

/// The input formats of docs/formats.md.
public enum InputFormat: String, Sendable, CaseIterable {
    case jsonl, csv

    /// The format a file name suggests (`.csv` → CSV, anything else JSON Lines).
    public static func guess(path: String) -> InputFormat {
        path.lowercased().hasSuffix(".csv") ? .csv : .jsonl
    }
}

/// Turns a stream of lines into raw records, for JSON Lines or CSV.
struct RecordSource {
    private let lines: ByteLineReader
    private let format: InputFormat
    private let kind: RecordKind
    private var csvHeader: [String]?
    /// The CSV delimiter: given, or guessed from the header line.
    private var csvDelimiter: UInt8?
    /// The prediction read last by the fast path (see ``RawRecord/Content/scannedPrediction(line:)``).
    private(set) var scan = PredictionLine()

    init(path: String, format: InputFormat, kind: RecordKind, delimiter: UInt8? = nil) throws {
        lines = try ByteLineReader(path: path)
        self.format = format
        self.kind = kind
        csvDelimiter = delimiter
    }

    /// Bytes of the file consumed so far.
    var consumedBytes: Int { lines.consumedBytes }

    mutating func next() throws -> RawRecord? {
        switch format {
        case .jsonl: return try nextJSONLine()
        case .csv: return try nextCSVRecord()
        }
    }

    private mutating func nextJSONLine() throws -> RawRecord? {
        while let line = try lines.next() {
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            // Most prediction lines are read directly; the rest (and every invalid one) take the general path.
            if kind == .predictions, line.truncatedBytes == 0, line.bytes.withUnsafeBufferPointer({ scan.read($0) }) {
                return RawRecord(lineNumber: line.number, scannedPrediction: line.bytes)
            }
            let raw = Self.storableText(line.bytes, truncated: line.truncatedBytes)
            if line.truncatedBytes > 0 {
                return RawRecord(
                    lineNumber: line.number, raw: raw,
                    value: .failure(
                        RecordRejection(
                            field: nil,
                            reason:
                                "line is longer than \(lines.maximumLineBytes) bytes (\(line.bytes.count + line.truncatedBytes)); stored truncated"
                        )))
            }
            do {
                return RawRecord(lineNumber: line.number, raw: raw, value: .success(try JSONParser.parse(line.bytes)))
            } catch {
                return RawRecord(
                    lineNumber: line.number, raw: raw,
                    value: .failure(
                        RecordRejection(
                            predictionID: Self.guessIdentifier(raw), field: nil, reason: "line is not valid JSON: \(error)")))
            }
        }
        return nil
    }

    private mutating func nextCSVRecord() throws -> RawRecord? {
        while true {
            guard let first = try lines.next() else { return nil }
            var bytes = first.bytes
            var truncated = first.truncatedBytes
            // A quoted field may span lines: keep reading while a quote is open.
            while CSVParser.hasOpenQuote(bytes), truncated == 0, let more = try lines.next() {
                bytes.append(0x0A)
                bytes.append(contentsOf: more.bytes)
                truncated += more.truncatedBytes
            }
            if bytes.isEmpty { continue }
            let raw = Self.storableText(bytes, truncated: truncated)
            guard let header = csvHeader else {
                let delimiter = csvDelimiter ?? CSVParser.guessDelimiter(header: bytes)
                csvDelimiter = delimiter
                do {
                    csvHeader = try CSVParser.header(try CSVParser.fields(bytes, delimiter: delimiter).get(), kind: kind)
                    continue
                } catch {
                    throw ByteLineReader.ReadError(description: "line \(first.number): \(error)")
                }
            }
            if truncated > 0 {
                return RawRecord(
                    lineNumber: first.number, raw: raw,
                    value: .failure(
                        RecordRejection(
                            field: nil,
                            reason: "record is longer than \(lines.maximumLineBytes) bytes; stored truncated")))
            }
            switch CSVParser.fields(bytes, delimiter: csvDelimiter!) {
            case .failure(let error):
                return RawRecord(lineNumber: first.number, raw: raw, value: .failure(RecordRejection(field: nil, reason: "\(error)")))
            case .success(let cells):
                return RawRecord(lineNumber: first.number, raw: raw, value: CSVParser.record(header: header, cells: cells))
            }
        }
    }

    /// Text that a PostgreSQL `text` column accepts: invalid UTF-8 and NUL become U+FFFD.
    static func storableText(_ bytes: [UInt8], truncated: Int) -> String {
        var text = String(storableUTF8: bytes)
        if truncated > 0 { text += " […\(truncated) more bytes not stored]" }
        return text
    }

    /// A best-effort prediction_id from unparseable JSON, so that the reject can be traced.
    static func guessIdentifier(_ raw: String) -> String? {
        guard let range = raw.range(of: "\"prediction_id\"") else { return nil }
        let rest = raw[range.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "\"" else { return nil }
        let value = rest.dropFirst().prefix { $0 != "\"" }
        return value.isEmpty || value.count > RecordLimits.identifier ? nil : String(value)
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        var slice = Substring(self)
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}
