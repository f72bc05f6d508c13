import AuditApp
import AuditCore
import AuditStore
import Foundation
import Statistics
import Testing
import TestSupport

/// Raw scores from logged probabilities (docs/statistics.md): the outputs of real classifiers on real data, logged
/// with `option_probs` (exact zeros and ones, heavy ties, probabilities far below 1e-12), ingested into a real database;
/// `evaluate --json` must equal scikit-learn and NumPy on the very same logged probabilities
/// (scripts/fixtures/make_logged_probability_fixtures.py).
@Suite("scores from logged probabilities", .serialized)
struct LoggedProbabilityTests {
    static let folder = TestDatabase.packageRoot.appendingPathComponent("Tests/AuditAppTests/Fixtures/logged-probabilities")

    static func expected() throws -> JSONObject {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        guard case .object(let root) = try JSONParser.parse([UInt8](data), maximumDepth: 64),
            case .object(let models)? = root["models"]
        else { throw FixtureError() }
        return models
    }

    struct FixtureError: Error {}

    @Test("every raw metric of ten real classifiers equals scikit-learn's on the logged probabilities, through ingest and evaluate")
    func evaluateMatchesScikitLearn() throws {
        let database = try TestDatabase.createMigrated(prefix: "lp")
        let app = AuditApp(database: database)
        let predictions = try app.ingest(
            paths: [Self.folder.appendingPathComponent("predictions.jsonl").path],
            options: IngestOptions(kind: .predictions))
        let labels = try app.ingest(paths: [Self.folder.appendingPathComponent("labels.jsonl").path], options: IngestOptions(kind: .labels))
        #expect(predictions.rejected == 0 && labels.rejected == 0)
        let models = try Self.expected()
        #expect(models.members.count == 10)
        for (model, expected) in models.members {
            let document = try app.evaluate(model: model)
            #expect(document["n"]?.integerValue == expected["n"]?.integerValue, "\(model): n")
            expectClose(document["accuracy"], expected["accuracy"], path: "\(model).accuracy")
            guard case .object(let methods)? = expected["methods"] else { Issue.record("\(model): no methods"); continue }
            for (method, metrics) in methods.members {
                guard case .object(let entries) = metrics else { continue }
                for (key, value) in entries.members {
                    expectClose(document["methods"]?[method]?[key], value, path: "\(model).\(method).\(key)")
                }
            }
        }
    }

    @Test("the temperature fit on logged probabilities uses z = ln max(p, 1e-12) and equals SciPy's fit to 1e-6")
    func temperatureFitMatchesSciPy() throws {
        let models = try Self.expected()
        var rowsByModel: [String: (logits: LogitRows, labels: [Int])] = [:]
        let labelLines = try String(contentsOf: Self.folder.appendingPathComponent("labels.jsonl"), encoding: .utf8)
        var labelOf: [String: Int] = [:]
        for line in labelLines.split(separator: "\n") {
            let value = try JSONParser.parse([UInt8](line.utf8), maximumDepth: 8)
            labelOf[value["prediction_id"]!.stringValue!] = Int(value["label"]!.integerValue!)
        }
        let lines = try String(contentsOf: Self.folder.appendingPathComponent("predictions.jsonl"), encoding: .utf8)
        for line in lines.split(separator: "\n") {
            let value = try JSONParser.parse([UInt8](line.utf8), maximumDepth: 8)
            guard case .array(let probabilities)? = value["option_probs"] else { continue }
            let model = value["model"]!.stringValue!
            rowsByModel[model, default: (LogitRows(), [])].logits.append(probabilities: probabilities.map { $0.doubleValue! })
            rowsByModel[model]!.labels.append(labelOf[value["prediction_id"]!.stringValue!]!)
        }
        for (model, expected) in models.members {
            let rows = try #require(rowsByModel[model])
            let fit = try #require(TemperatureScaling.fit(logits: rows.logits, labels: rows.labels))
            let reference = try #require(expected["temperature_floored_logits"]?.doubleValue)
            #expect(abs(fit.temperature - reference) / reference < 1e-6, "\(model): T \(fit.temperature) vs SciPy \(reference)")
        }
    }
}

/// Compares a computed JSON value with a reference: numbers to 1e-9 relative (1e-12 absolute near zero), null with
/// null, arrays and objects member by member (every key of the reference must be present).
func expectClose(_ actual: JSONValue?, _ expected: JSONValue?, path: String, sourceLocation: SourceLocation = #_sourceLocation) {
    switch expected {
    case nil, .null?:
        #expect(
            actual == nil || actual == .null, "\(path): expected null, got \(String(describing: actual))", sourceLocation: sourceLocation)
    case .array(let elements)?:
        guard case .array(let got)? = actual, got.count == elements.count else {
            Issue.record("\(path): expected \(elements.count) elements, got \(String(describing: actual))", sourceLocation: sourceLocation)
            return
        }
        for (index, element) in elements.enumerated() {
            expectClose(got[index], element, path: "\(path)[\(index)]", sourceLocation: sourceLocation)
        }
    case .object(let members)?:
        for (key, value) in members.members {
            expectClose(actual?[key], value, path: "\(path).\(key)", sourceLocation: sourceLocation)
        }
    case let value?:
        if let number = value.doubleValue {
            guard let got = actual?.doubleValue else {
                Issue.record("\(path): expected \(number), got \(String(describing: actual))", sourceLocation: sourceLocation)
                return
            }
            #expect(
                abs(got - number) <= max(1e-9 * abs(number), 1e-12), "\(path): \(got) vs reference \(number)",
                sourceLocation: sourceLocation)
        } else {
            #expect(actual == value, "\(path): \(String(describing: actual)) vs reference \(value)", sourceLocation: sourceLocation)
        }
    }
}
