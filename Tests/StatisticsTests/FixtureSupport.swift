import AuditCore
import Foundation
import Statistics
import Testing

/// Loads the JSON fixtures written by scripts/fixtures/make_statistics_fixtures.py.
enum Fixtures {
    static func load(_ name: String) throws -> [String: Any] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json"))
        // AuditCore's parser rounds numbers correctly; Foundation's JSONSerialization on Linux does not always.
        let value = try JSONParser.parse([UInt8](try Data(contentsOf: url)), maximumDepth: 64)
        return try #require(plain(value) as? [String: Any])
    }

    /// JSON as plain Swift values: [String: Any], [Any] (homogeneous arrays typed), Int, Double, String, Bool.
    static func plain(_ value: JSONValue) -> Any? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        case .integer(let integer): return Int(integer)
        case .number(let number): return number
        case .string(let string): return string
        case .object(let object):
            var result: [String: Any] = [:]
            for member in object.members { result[member.key] = plain(member.value) }
            return result
        case .array(let elements):
            if elements.allSatisfy({ $0.doubleValue != nil }) && elements.contains(where: { if case .number = $0 { true } else { false } })
            {
                return elements.map { $0.doubleValue! }
            }
            if elements.allSatisfy({ if case .integer = $0 { true } else { false } }) && !elements.isEmpty {
                return elements.map { Int($0.integerValue!) }
            }
            if elements.allSatisfy({ if case .array = $0 { true } else { false } }) && !elements.isEmpty {
                let rows = elements.map { plain($0) }
                if let doubles = rows as? [[Double]] { return doubles }
                if let integers = rows as? [[Int]] { return integers.map { $0.map(Double.init) } }
                return rows
            }
            if elements.allSatisfy({ $0.stringValue != nil }) && !elements.isEmpty { return elements.map { $0.stringValue! } }
            return elements.map { plain($0) as Any }
        }
    }

    // nonisolated(unsafe): initialised once (Swift's lazy globals are thread-safe) and never mutated.
    nonisolated(unsafe) static let datasets: [[String: Any]] = {
        (try? load("datasets"))?["datasets"] as? [[String: Any]] ?? []
    }()

    static var datasetNames: [String] { datasets.compactMap { $0["name"] as? String } }

    static func dataset(_ name: String) -> [String: Any] {
        datasets.first { $0["name"] as? String == name } ?? [:]
    }
}

/// A data set's inputs, rebuilt from the fixture (or from the portable generator for the large one).
struct DatasetInputs {
    var logits = LogitRows()
    var predicted: [Int] = []
    var labels: [Int] = []
    var external: (values: [Double], orientation: String)?

    init(_ fixture: [String: Any]) {
        if let generator = fixture["generator"] as? [String: Any] {
            let seed = UInt64(generator["seed"] as! Int)
            let n = generator["n"] as! Int
            let k = generator["k"] as! Int
            var random = Xoshiro256StarStar(seed: seed)
            logits = LogitRows(reservingRows: n, options: k)
            for _ in 0..<n {
                let row = (0..<k).map { _ in random.uniform() * 8.0 - 4.0 }
                var top = 0
                for index in 1..<k where row[index] > row[top] { top = index }
                let label = random.uniform() < 0.6 ? top : random.index(below: k)
                logits.append(row)
                predicted.append(top)
                labels.append(label)
            }
        } else {
            if let rows = fixture["logits"] as? [[Double]] {
                logits = LogitRows(rows)
            } else if let probabilities = fixture["probabilities"] as? [[Double]] {
                for row in probabilities { logits.append(probabilities: row) }
            }
            predicted = fixture["predicted"] as! [Int]
            labels = fixture["labels"] as! [Int]
            if let external = fixture["external"] as? [String: Any] {
                self.external = (external["values"] as! [Double], external["orientation"] as! String)
            }
        }
    }

    var correct: [Bool] { zip(predicted, labels).map { $0 == $1 } }

    func derived(temperature: Double = 1) -> [DerivedScores] {
        (0..<logits.count).map { DerivedScores(logits: logits[$0], temperature: temperature, predicted: predicted[$0]) }
    }
}

/// |actual − expected| ≤ relative·|expected| + absolute.
func expectClose(
    _ actual: Double?, _ expected: Any?, relative: Double = 1e-9, absolute: Double = 1e-12,
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let reference = expected as? Double ?? (expected as? Int).map(Double.init)
    guard let reference else {
        #expect(actual == nil, "\(what): expected null, got \(String(describing: actual))", sourceLocation: sourceLocation)
        return
    }
    guard let actual else {
        Issue.record("\(what): expected \(reference), got nil", sourceLocation: sourceLocation)
        return
    }
    let tolerance = relative * abs(reference) + absolute
    #expect(abs(actual - reference) <= tolerance, "\(what): \(actual) vs reference \(reference)", sourceLocation: sourceLocation)
}

/// A fixture number as a double, whether JSON wrote it as an integer or not.
func number(_ value: Any?) -> Double {
    if let double = value as? Double { return double }
    return Double(value as! Int)
}
