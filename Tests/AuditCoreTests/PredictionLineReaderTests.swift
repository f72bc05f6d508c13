@testable import AuditCore
import Testing

/// The direct line reader against the general path (JSONParser + RecordValidator): whatever it accepts, the general
/// path accepts as the same record; what it declines, the general path still reads.
@Suite("prediction line reader")
struct PredictionLineReaderTests {
    /// Valid lines of different shapes: every optional field, logits or probabilities, whitespace, non-ASCII text,
    /// numbers in every spelling JSON allows.
    static let validLines: [String] = [
        predictionJSON(),
        predictionJSON([
            "perturbation": #"{"kind":"nota","of":"p-0"}"#, "label": "2", "escalated": "true", "calibration_version": "3",
            "site": #""radiology-north""#, "case_ref": #""c-9""#, "image_ref": #""sha256:abc""#, "model_version": #""2026.09""#,
            "question": #""Which finding is most likely?""#,
        ]),
        predictionJSON(["option_probs": nil, "option_logits": "[2.978251,0.35303,-0.177953,0.765464]", "escalated": "false"]),
        predictionJSON(["option_probs": nil, "option_logits": "[1,-2,3E2,-4.5e-3]", "label": "null", "site": "null"]),
        predictionJSON(["option_probs": "[0.6, 0.2, 1e-1, 0.1009]", "attributes": #"{"modality":"ÉCHO","region":"thorax – left"}"#]),
        predictionJSON([
            "question": #""Quelle est l’anomalie ? 肺炎""#, "options": #"["épanchement","normal"]"#, "option_probs": "[0.25,0.75]",
        ]),
        predictionJSON([
            "confidence": #"{"p_true":0.9015531168386344,"verbalized":1.0,"consistency":0}"#,
            "uncertainty": #"{"semantic_entropy":0.23443537445908047,"sequence_nll":5.111976086073055e-1}"#,
        ]),
        predictionJSON(["confidence": "{}", "uncertainty": "null", "attributes": "{}"]),
        predictionJSON([
            "attributes": #"{"region":"chest","modality":"CT","age_band":"60-69"}"#, "perturbation": "null",
            "uncertainty": #"{"z":1,"b":2,"a_b":3}"#, "question": "null", "calibration_version": "null",
        ]),
        "  { \"prediction_id\" : \"p-2\" ,\t\"model\":\"m\", \"occurred_at\":\"2026-10-05T11:12:00+02:00\",\r\n"
            + "\"options\":[ \"a\" , \"b\" ], \"option_probs\":[ 0.5 ,0.5 ], \"predicted\" : 1 }  ",
    ]

    @Test("valid lines are read directly, as the same records the general path makes")
    func validLinesAgree() throws {
        for line in Self.validLines {
            let direct = try #require(PredictionLineReader.record(Array(line.utf8)), "declined: \(line)")
            let general = try RecordValidator.prediction(try JSONParser.parse(line)).get()
            #expect(direct.canonicalText == general.canonicalText, "\(line)")
            #expect(bits(direct.optionLogits) == bits(general.optionLogits) && bits(direct.optionProbs) == bits(general.optionProbs))
            #expect(canonicalFromLineAgrees(Array(line.utf8), derived: (0.7, 0.1, 1.2)), "\(line)")
            #expect(canonicalFromLineAgrees(Array(line.utf8), derived: nil), "\(line)")
        }
    }

    @Test("a line read into a reused scan leaves nothing of the line before it")
    func scanReuse() {
        var scan = PredictionLine()
        var lines = Self.validLines.map { Array($0.utf8) }
        lines += lines.reversed()
        for line in lines {
            line.withUnsafeBufferPointer { bytes in
                let read = scan.read(bytes)
                #expect(read)
                #expect(scan.record(in: bytes).canonicalText == PredictionLineReader.record(line)?.canonicalText)
            }
        }
    }

    @Test("every kind of bad record is left to the general path", arguments: RecordValidatorTests.badRecords)
    func badRecordsDeclined(_ bad: BadPrediction) {
        #expect(PredictionLineReader.record(Array(predictionJSON(bad.changes).utf8)) == nil, "\(bad.name)")
    }

    @Test(
        "lines the general path rejects or reads through escapes are declined",
        arguments: [
            #"{"prediction_id":"p-1","prediction_id":"p-2"}"#,
            predictionJSON(["question": #""a \"quoted\" word""#]),
            predictionJSON(["question": #""caf\u00e9""#]),
            predictionJSON(["attributes": #"{"modality":"CT","modality":"MR"}"#]),
            predictionJSON(["confidence": #"{"verbalized":0.8,"verbalized":0.7}"#]),
            predictionJSON(["predicted": "2.0"]),
            predictionJSON(["predicted": "00"]),
            predictionJSON(["option_probs": "[0.6,0.2,0.1,01]"]),
            predictionJSON(["option_probs": nil, "option_logits": "[1,2,3,1e400]"]),
            predictionJSON(["option_probs": nil, "option_logits": "[1,2,3,-]"]),
            predictionJSON(["option_probs": nil, "option_logits": "[1,2,3,.5]"]),
            predictionJSON(["option_probs": nil, "option_logits": "[1,2,3,NaN]"]),
            predictionJSON(["perturbation": #"{"kind":"nota","of":"p-0","extra":1}"#]),
            predictionJSON(["perturbation": #"{"of":"p-0","kind":"nota","of":"p-9"}"#]),
            predictionJSON() + " x",
            predictionJSON() + ",",
            "[" + predictionJSON() + "]",
            String(predictionJSON().dropLast()),
            predictionJSON(["question": "\"tab\tinside\""]),
        ])
    func declined(_ line: String) {
        #expect(PredictionLineReader.record(Array(line.utf8)) == nil)
    }

    @Test("numbers convert exactly as the general parser converts them, and their canonical text is the same")
    func numbersAgree() throws {
        var random = SplitMix(seed: 23)
        var spellings: [String] = [
            "0", "-0", "-0.0", "0e0", "1E+2", "123456789012345678", "1234567890123456789",
            "-9223372036854775808", "98765432109876543210", "9007199254740993", "0.1", "4.35",
            "2.2250738585072011e-308", "4.9e-324", "1.7976931348623157e308", "0.000000000000000000000001",
            "1e22", "1e23", "123456789e-22", "9007199254740992e-22", "9007199254740993e-22",
        ]
        for _ in 0..<20_000 {
            let bits = random.next()
            switch bits % 5 {
            case 0: spellings.append(String(Double(bitPattern: bits & 0x7FEF_FFFF_FFFF_FFFF)))
            case 1: spellings.append(String(Double(bitPattern: bits >> 12 | 0x3FF0_0000_0000_0000) - 1))
            case 2: spellings.append("\(Int64(bitPattern: bits) >> Int64(bits % 63))")
            case 3: spellings.append("\(bits % 100_000_000).\(bits % 9_999_999_999)e\(Int(bits % 60) - 30)")
            default: spellings.append("-\(bits % 10_000_000_000_000_000).\(bits % 1000)")
            }
        }
        spellings += [
            "0.0", "0.000", "-0.000", "1.000", "10", "100.500", "0.0001", "0.00012", "0.00001", "-0.000099",
            "999999999999999", "1000000000000000", "999999999999999.9", "123456789012345.0", "0.123456789012345",
            "0.1234567890123456", "9.00000000000000000001", "0.30000000000000004", "2.978251", "-0.177953",
        ]
        spellings += Self.decimalSpellings(count: 20_000, seed: 29)
        var compared = 0
        for spelling in spellings {
            let line = predictionJSON(["option_probs": nil, "option_logits": "[\(spelling),1,2,3]", "confidence": #"{"v":\#(spelling)}"#])
            let general = try RecordValidator.prediction(try JSONParser.parse(line)).get()
            let direct = try #require(PredictionLineReader.record(Array(line.utf8)), "declined \(spelling)")
            #expect(direct.optionLogits?.first?.bitPattern == general.optionLogits?.first?.bitPattern, "\(spelling)")
            #expect(direct.confidence.first?.value.bitPattern == general.confidence.first?.value.bitPattern, "\(spelling)")
            #expect(canonicalFromLineAgrees(Array(line.utf8), derived: nil), "\(spelling)")
            compared += 1
        }
        #expect(compared == spellings.count)
    }

    @Test(
        "short decimal lexemes are copied into the canonical form, others printed",
        arguments: [
            ("2.978251", true), ("-0.177953", true), ("0.60", true), ("1", true), ("1.000", true), ("0.0", true), ("0.0001", true),
            ("999999999999999", true), ("0.123456789012345", true), ("0.9015531168386344", false), ("0.00001", false),
            ("1e-3", false), ("1000000000000000", false), ("-0", false), ("-0.0", false), ("0.1234567890123456", false),
        ])
    func numberTextCopied(_ spelling: String, copied: Bool) throws {
        let line = Array(predictionJSON(["option_probs": nil, "option_logits": "[\(spelling),1,2,3]"]).utf8)
        var scan = PredictionLine()
        #expect(line.withUnsafeBufferPointer { scan.read($0) })
        #expect(scan.numberTexts.first?.isCopied == copied)
    }

    /// Plain decimals of 1 to 17 significant digits, with leading zeros in the fraction, trailing zeros, a sign, or no
    /// fraction at all: the spellings whose canonical text may be copied, and their neighbours that may not.
    static func decimalSpellings(count: Int, seed: UInt64) -> [String] {
        var random = SplitMix(seed: seed)
        return (0..<count).map { _ in
            let digits = Int(random.next() % 17) + 1
            var mantissa = String(random.next() % 9 + 1)
            for _ in 1..<digits { mantissa += String(random.next() % 10) }
            let point = Int(random.next() % UInt64(digits + 5))  // digits before the point; beyond: leading zeros
            let sign = random.next() % 4 == 0 ? "-" : ""
            let trailing = String(repeating: "0", count: Int(random.next() % 3))
            if point == digits { return sign + mantissa + (trailing.isEmpty ? "" : "." + trailing) }
            if point < digits {
                return sign + mantissa.prefix(point) + (point == 0 ? "0" : "") + "." + mantissa.dropFirst(point) + trailing
            }
            return sign + "0." + String(repeating: "0", count: point - digits) + mantissa + trailing
        }
    }

    @Test("under random damage, what the reader accepts the general path accepts as the same record")
    func randomDamage() throws {
        var random = SplitMix(seed: 5)
        let alphabet = Array(#"{}[]:,"\ 0123456789.-+eEnulltruefalsx"#.utf8) + [0x00, 0x09, 0x0A, 0xC3, 0xA9, 0xFF]
        var accepted = 0
        var declinedButValid = 0
        for round in 0..<30_000 {
            var bytes = Array(Self.validLines[round % Self.validLines.count].utf8)
            for _ in 0...(random.next() % 3) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                case 2: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                default:
                    // A digit changed: mostly still valid, so the comparison of accepted records gets exercised.
                    if let digit = bytes[at...].firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) {
                        bytes[digit] = 0x30 + UInt8(random.next() % 10)
                    }
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            let general: PredictionRecord? = (try? JSONParser.parse(bytes)).flatMap { try? RecordValidator.prediction($0).get() }
            guard let direct = PredictionLineReader.record(bytes) else {
                if general != nil { declinedButValid += 1 }
                continue
            }
            accepted += 1
            let text = String(decoding: bytes, as: UTF8.self)
            let reference = try #require(general, "the reader accepted what the general path rejects: \(text)")
            #expect(direct.canonicalText == reference.canonicalText, "\(text)")
            #expect(canonicalFromLineAgrees(bytes, derived: round % 2 == 0 ? (Double(round), -0.0, 1e-300) : nil), "\(text)")
        }
        // The comparison ran on many damaged-but-valid lines, and the reader declined few valid ones (escapes, `2.0`).
        #expect(accepted > 5_000)
        #expect(declinedButValid < accepted / 10)
    }

    private func bits(_ values: [Double]?) -> [UInt64]? { values?.map(\.bitPattern) }

    /// True when the canonical JSON written straight from the line (with `derived`) is byte for byte the one written
    /// from its record, and its three objects lie at the same places.
    private func canonicalFromLineAgrees(_ line: [UInt8], derived: (msp: Double, margin: Double, entropy: Double)?) -> Bool {
        line.withUnsafeBufferPointer { bytes in
            var scan = PredictionLine()
            guard scan.read(bytes) else { return false }
            var record = scan.record(in: bytes)
            record.derived = derived
            var fromRecord = CanonicalWriter()
            let recordObjects = record.writeCanonical(into: &fromRecord)
            var fromLine = CanonicalWriter()
            let lineObjects = ScannedPrediction(scan: scan, line: bytes, derived: derived).writeCanonical(into: &fromLine)
            return fromLine.bytes == fromRecord.bytes && lineObjects.attributes == recordObjects.attributes
                && lineObjects.confidence == recordObjects.confidence && lineObjects.uncertainty == recordObjects.uncertainty
        }
    }
}
