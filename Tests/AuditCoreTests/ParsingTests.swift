import AuditCore
import Testing

@Suite("strict JSON parser")
struct JSONParserTests {
    @Test(
        "malformed and unsafe JSON is rejected with a reason",
        arguments: [
            (#"{"a":1,"a":2}"#, "duplicate key \"a\""),
            (#"{"a":NaN}"#, "NaN and Infinity are not JSON numbers"),
            (#"{"a":Infinity}"#, "NaN and Infinity are not JSON numbers"),
            (#"{"a":1e400}"#, "number out of range"),
            (#"{"a":01}"#, "leading zeros"),
            ("{\"a\":\"tab\there\"}", "unescaped control character"),
            (#"{"a":"\ud800"}"#, "unpaired surrogate"),
            (#"{"a":1,}"#, "expected a quoted key"),
            (#"{"a":1} trailing"#, "unexpected text after the JSON value"),
            (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "nested deeper than 32 levels"),
            ("", "unexpected end of JSON"),
        ])
    func rejects(text: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
        do {
            _ = try JSONParser.parse(text)
        } catch {
            #expect(error.message.contains(message), "got \(error.message)")
        }
    }

    @Test("invalid UTF-8 inside a string is rejected")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    @Test("numbers are correctly rounded and integers kept as integers")
    func numbers() throws {
        let value = try JSONParser.parse(#"[0.06666666666666667, 3, -0.0, 1e-5, 9007199254740993, "\u00e9\ud83d\ude00"]"#)
        guard case .array(let elements) = value else { Issue.record("not an array"); return }
        #expect(elements[0] == .number(1.0 / 15.0))
        #expect(elements[1] == .integer(3))
        #expect(elements[3] == .number(1e-5))
        #expect(elements[4] == .integer(9_007_199_254_740_993))
        #expect(elements[5] == .string("é😀"))
    }

    @Test("canonical JSON sorts keys and escapes control characters")
    func canonical() throws {
        let value = try JSONParser.parse("{\"b\": [1, 2.50, true, null], \"a\": \"x\\u0001\\\"\"}")
        #expect(CanonicalJSON.text(value) == #"{"a":"x\u0001\"","b":[1,2.5,true,null]}"#)
    }
}

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test("offsets, fractions and separators")
    func parsing() {
        #expect(Timestamp(rfc3339: "1970-01-01T00:00:00Z")?.microseconds == 0)
        #expect(Timestamp(rfc3339: "2026-10-05T11:12:00+02:00") == Timestamp(rfc3339: "2026-10-05T09:12:00Z"))
        #expect(Timestamp(rfc3339: "2026-10-05 09:12:00.123456789z")?.rfc3339 == "2026-10-05T09:12:00.123456Z")
        #expect(Timestamp(rfc3339: "2024-02-29T00:00:00Z") != nil)
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.5Z")?.microseconds == -500_000)
        #expect(Timestamp(rfc3339: "1969-12-31T23:59:59.5Z")?.rfc3339 == "1969-12-31T23:59:59.500000Z")
    }

    @Test(
        "rejects what is not RFC 3339",
        arguments: [
            "2026-10-05", "2026-10-05T09:12Z", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-10-05T24:00:00Z",
            "2026-10-05T09:12:60Z", "2026-10-05T09:12:00", "2026-10-05T09:12:00+0200", "2026-10-05T09:12:00.Z", " 2026-10-05T09:12:00Z",
        ])
    func rejects(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("formatting round-trips through parsing across years 0001-9999, and years outside print in full")
    func formatting() throws {
        var random = SplitMix(seed: 11)
        let first = try #require(Timestamp(rfc3339: "0001-01-01T00:00:00Z")).microseconds
        let last = try #require(Timestamp(rfc3339: "9999-12-31T23:59:59.999999Z")).microseconds
        for _ in 0..<5_000 {
            let value = first + Int64(random.next() % UInt64(last - first + 1))
            let text = Timestamp(microseconds: value).rfc3339
            #expect(text.utf8.count == 27 && text.hasSuffix("Z"), "\(text)")
            #expect(Timestamp(rfc3339: text)?.microseconds == value, "\(text)")
        }
        #expect(Timestamp(microseconds: first).rfc3339 == "0001-01-01T00:00:00.000000Z")
        #expect(Timestamp(microseconds: last).rfc3339 == "9999-12-31T23:59:59.999999Z")
        #expect(Timestamp(microseconds: last + 1).rfc3339 == "10000-01-01T00:00:00.000000Z")
    }

    @Test("month bounds")
    func months() throws {
        let (start, end) = try #require(Timestamp.monthBounds("2026-12"))
        #expect(start.rfc3339 == "2026-12-01T00:00:00.000000Z")
        #expect(end.rfc3339 == "2027-01-01T00:00:00.000000Z")
        #expect(Timestamp.monthBounds("2026-13") == nil)
    }
}

@Suite("CSV records")
struct CSVTests {
    @Test("quoted fields, escaped quotes and embedded commas")
    func fields() throws {
        let row = Array(#"p1,"a ""quoted"", value","[""x"",""y""]",,3"#.utf8)
        #expect(try CSVParser.fields(row).get() == ["p1", #"a "quoted", value"#, #"["x","y"]"#, "", "3"])
        #expect(CSVParser.hasOpenQuote(Array(#"p1,"open"#.utf8)))
    }

    @Test("a CSV row becomes the same record as its JSON line")
    func record() throws {
        let header = ["prediction_id", "model", "occurred_at", "options", "option_probs", "predicted", "confidence", "escalated"]
        let cells = ["p-1", "m", "2026-10-05T09:12:00Z", #"["a","b"]"#, "[0.3,0.7]", "1", #"{"verbalized":0.9}"#, "true"]
        let value = try CSVParser.record(header: header, cells: cells).get()
        let record = try RecordValidator.prediction(value).get()
        let json = try RecordValidator.prediction(
            try JSONParser.parse(
                #"{"prediction_id":"p-1","model":"m","occurred_at":"2026-10-05T09:12:00Z","options":["a","b"],"option_probs":[0.3,0.7],"predicted":1,"confidence":{"verbalized":0.9},"escalated":true}"#
            )
        ).get()
        #expect(record.canonicalText == json.canonicalText)
    }

    @Test("malformed CSV is reported", arguments: [#"a,"b"c"#, #"a,b"c""#, #"a,"open"#])
    func malformed(text: String) {
        #expect(throws: CSVParser.Failure.self) { try CSVParser.fields(Array(text.utf8)).get() }
    }

    @Test("a row with the wrong number of fields names the counts")
    func wrongWidth() {
        guard case .failure(let rejection) = CSVParser.record(header: ["a", "b"], cells: ["1"]) else {
            Issue.record("accepted")
            return
        }
        #expect(rejection.reason == "row has 1 fields but the header has 2")
    }
}

@Suite("flat JSON objects read without a value tree")
struct FlatJSONObjectTests {
    /// What the full parser answers for the same text, mapped as the store maps attributes and scores.
    private func parsed(_ text: String) -> (strings: [(String, String)], numbers: [(String, Double)])? {
        guard case .object(let object)? = try? JSONParser.parse(text, maximumDepth: 64) else { return nil }
        return (object.members.map { ($0.key, $0.value.stringValue ?? "") }, object.members.map { ($0.key, $0.value.doubleValue ?? .nan) })
    }

    private func fast<T>(_ text: String, _ read: (UnsafeBufferPointer<UInt8>) -> T?) -> T? {
        var text = text
        return text.withUTF8 { read($0) }
    }

    @Test(
        "the texts PostgreSQL prints for jsonb take the fast path and read as the parser reads them",
        arguments: [
            #"{}"#, #"{"modality": "CT"}"#, #"{"site": "north-2", "modality": "MR", "question_type": "diagnosis"}"#,
            #"{"msp": 0.9134, "semantic_entropy": 1.2e-7}"#, #"{"a": -0, "b": 0, "c": 9007199254740993, "d": 1E+2, "e": -12.5e-3}"#,
            #"{"x": 0.06666666666666667, "y": 12345678901234567890}"#, #"{ "é": "ü😀" }"#, "{\"a\":\t\"b\"\n}",
        ])
    func fastPathAgrees(text: String) throws {
        let reference = try #require(parsed(text))
        let strings = fast(text, FlatJSONObject.stringMembers)
        let numbers = fast(text, FlatJSONObject.numberMembers)
        #expect(strings != nil || numbers != nil, "neither fast reader took \(text)")
        if let strings {
            #expect(strings.map(\.key) == reference.strings.map(\.0))
            #expect(strings.map(\.value) == reference.strings.map(\.1))
        }
        if let numbers {
            #expect(numbers.map(\.key) == reference.numbers.map(\.0))
            #expect(numbers.map(\.value.bitPattern) == reference.numbers.map(\.1.bitPattern), "\(text)")
        }
    }

    @Test(
        "anything else is left to the full parser",
        arguments: [
            #"{"a": "with \"escape\""}"#, #"{"a": {"nested": 1}}"#, #"{"a": [1]}"#, #"{"a": true}"#, #"{"a": null}"#,
            #"{"a": 1, "a": 2}"#, #"{"a": 01}"#, #"{"a": 1.}"#, #"{"a": 1e}"#, #"{"a": .5}"#, #"{"a": +1}"#, #"{"a": 1e400}"#,
            #"{"a": 1,}"#, #"{"a": 1} x"#, #"{"a" 1}"#, #"{"a": 1"#, #"["a"]"#, "", "{\"a\": \"tab\there\"}", #"{"a": NaN}"#,
        ])
    func othersFallBack(text: String) {
        let numbers = fast(text, FlatJSONObject.numberMembers)
        let strings = fast(text, FlatJSONObject.stringMembers)
        #expect(numbers == nil)
        #expect(strings == nil)
    }

    @Test("invalid UTF-8 in a key or value is never accepted")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(bytes.withUnsafeBufferPointer { FlatJSONObject.stringMembers($0) } == nil)
    }

    @Test("random flat objects of numbers read bit for bit as the parser reads them")
    func randomNumbers() throws {
        var generator = SplitMix(seed: 7)
        for _ in 0..<2_000 {
            var members: [String] = []
            for index in 0..<Int(generator.next() % 6) {
                let bits = generator.next()
                let value: String
                switch bits % 4 {
                case 0: value = String(Double(bitPattern: bits >> 12 | 0x3FF0_0000_0000_0000) - 1)
                case 1: value = String(Int64(bitPattern: bits) >> Int64(bits % 60))
                case 2: value = String(Double(bitPattern: bits & 0x7FEF_FFFF_FFFF_FFFF))
                default: value = "\(Int(bits % 1000)).\(bits % 97)e-\(bits % 30)"
                }
                members.append("\"m\(index)\": \(value)")
            }
            let text = "{" + members.joined(separator: ", ") + "}"
            let reference = try #require(parsed(text), "\(text)")
            let numbers = try #require(fast(text, FlatJSONObject.numberMembers), "\(text)")
            #expect(numbers.map(\.value.bitPattern) == reference.numbers.map(\.1.bitPattern), "\(text)")
        }
    }
}

/// SplitMix64, for reproducible random test inputs.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
