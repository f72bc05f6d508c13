@testable import AuditApp
import AuditCore
@testable import AuditStore
import Foundation
import Testing
import TestSupport

/// File ingest's fast path (a prediction hashed and encoded straight from its line) against the general one (the line
/// parsed, validated into a record, its scores derived, then hashed and encoded): the batch the writer receives must be
/// the same, byte for byte.
@Suite("prepared batches")
struct PreparedBatchTests {
    @Test("a batch prepared straight from lines is the batch prepared from their records")
    func linesAgreeWithRecords() throws {
        var options = SimulationOptions()
        (options.models, options.perModel, options.months, options.seed) = (3, 400, 1, 11)
        var simulator = FleetSimulator(options: options)
        let output = try simulator.write(
            to: FileManager.default.temporaryDirectory.appendingPathComponent("prep-\(UUID().uuidString)").path)
        var lines = try output.predictionFiles.flatMap {
            try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        lines += [
            SampleRecords.prediction(id: "v-1", extra: #","label":2,"escalated":true,"calibration_version":4,"site":"north""#),
            SampleRecords.prediction(id: "v-2", extra: #","perturbation":{"kind":"nota","of":"v-1"},"question":"Quelle anomalie ? 肺炎""#),
            SampleRecords.prediction(id: "v-3", probabilities: [0.25, 0.75], extra: #","uncertainty":{"z":1,"b":2},"model_version":null"#),
            #"{"prediction_id":"v-4","model":"m1","occurred_at":"2026-10-05T11:12:00+02:00","options":["a","b","c"],"#
                + #""option_logits":[1e-3,-2,30],"predicted":2,"attributes":{"site_kind":"rural","age":"70+"},"confidence":null}"#,
            // The simulator's methods but one: a prefix of its list must not pass for the list.
            #"{"prediction_id":"v-5","model":"m1","occurred_at":"2026-10-05T11:12:00Z","options":["a","b"],"option_probs":[0.5,0.5],"#
                + #""predicted":0,"confidence":{"consistency":1,"p_true":0.5,"verbalized":0.9},"uncertainty":{"semantic_entropy":0.2}}"#,
        ]
        #expect(lines.count > 1_200)

        var fromLines = PreparedBatch.Preparer(expectedCount: lines.count)
        var fromRecords = PreparedBatch.Preparer(expectedCount: lines.count)
        var scan = PredictionLine()
        var methodsOfRecords: [[String]] = []
        var records: [PredictionRecord] = []
        for (index, text) in lines.enumerated() {
            let line = Array(text.utf8)
            let read = line.withUnsafeBufferPointer { scan.read($0) }
            try #require(read, "the fast path declined \(text)")
            fromLines.appendPrediction(scan, line: line, lineNumber: index + 1, derived: scan.derivedScores())
            let outcome = AuditApp.outcome(of: .success(try JSONParser.parse(line)), kind: .predictions)
            guard case .prediction(let record) = outcome else { throw HTTPClient.Failure(description: "rejected: \(text)") }
            methodsOfRecords.append(
                record.confidence.map { "confidence:\($0.method)" } + record.uncertainty.map { "uncertainty:\($0.method)" })
            records.append(record)
            fromRecords.append(IngestItem(lineNumber: index + 1, line: line, outcome: outcome))
        }
        let direct = fromLines.finish()
        let general = fromRecords.finish()

        #expect(direct.rows.count > 1_200 * 300)
        #expect(direct.rows == general.rows)
        #expect(direct.rowStarts == general.rowStarts)
        #expect(direct.predictions.candidates == general.predictions.candidates)
        #expect(direct.predictions.ids() == records.map(\.predictionID))
        #expect(direct.predictions.seqs.indices.map { direct.predictions.hash(at: $0) } == records.map { ChainHash.rowHash(of: $0) })
        #expect(direct.items.map(\.raw) == general.items.map(\.raw))
        #expect(direct.methodListOfItem == general.methodListOfItem)
        let lists = direct.methodLists.map { $0.used.map { "\($0.side):\($0.method)" } }
        #expect(lists == general.methodLists.map { $0.used.map { "\($0.side):\($0.method)" } })
        // Each record points at the list of exactly its own methods, and no list is there twice.
        #expect(direct.methodListOfItem.map { lists[$0] } == methodsOfRecords)
        #expect(Set(lists).count == lists.count && lists.count >= 3)
        #expect(direct.predictions.rowsHashIfAllStored == general.predictions.rowsHashIfAllStored)
    }

    @Test("two batches share a prediction id exactly when one that either would store is in both")
    func sharedIDs() throws {
        func batch(_ ids: [String], invalid: [String] = []) throws -> PreparedBatch {
            PreparedBatch(
                try ids.map { id in
                    let line = SampleRecords.prediction(id: id)
                    return IngestItem(
                        lineNumber: nil, raw: line, outcome: .prediction(try RecordValidator.prediction(JSONParser.parse(line)).get()))
                }
                    + invalid.map { id in
                        IngestItem(
                            lineNumber: nil, raw: id, outcome: .rejected(RecordRejection(predictionID: id, field: "x", reason: "bad")))
                    })
        }
        let first = try batch(["a", "b", "c"], invalid: ["z"])
        #expect(try first.sharesPredictionIDs(with: batch(["d", "c"])))
        #expect(try batch(["d", "c"]).sharesPredictionIDs(with: first))
        #expect(try batch(["a"]).sharesPredictionIDs(with: first), "the smaller batch is looked up in the larger one, either way round")
        #expect(try !first.sharesPredictionIDs(with: batch(["d", "e", "f", "g"])))
        #expect(try !first.sharesPredictionIDs(with: batch(["y"], invalid: ["a"])), "a rejected record stores nothing")
        #expect(try !first.sharesPredictionIDs(with: batch([], invalid: ["z"])))
    }

    @Test("a batch's predictions are sorted out by id: the first accepted, an identical one repeated, a different one in conflict")
    func sortingByID() throws {
        // Enough ids for the table's probes to meet, some of them long, one empty-looking prefix of another.
        // The last two are canonically equivalent strings with different bytes: distinct ids, as for the primary key.
        var ids = (0..<4_998).map { "p-\($0)" } + ["x", "x-", String(repeating: "long-", count: 40), "caf\u{E9}", "cafe\u{301}"]
        ids += ["p-7", "p-8", "x"]  // a repeat, a conflict, a repeat
        var candidates = PredictionCandidates()
        var distinct = PredictionCandidates()
        for (seq, id) in ids.enumerated() {
            let content = seq == 5_004 ? "changed" : id  // the second p-8 differs from the first
            candidates.append(seq: seq, id: id, digest: ChainHash.digest(bytes: Array(content.utf8)))
            if seq < 5_003 { distinct.append(seq: seq, id: id, digest: ChainHash.digest(bytes: Array(content.utf8))) }
        }
        let sorting = PredictionSorting(candidates, itemCount: ids.count + 1)
        #expect(sorting.seqs == Array(0..<5_003))
        #expect(sorting.ids() == Array(ids.prefix(5_003)))
        #expect(sorting.repeats == [5_003, 5_005])
        #expect(sorting.conflicts.map(\.seq) == [5_004] && sorting.conflicts.map(\.id) == ["p-8"])
        #expect(ids.prefix(5_003).enumerated().allSatisfy { sorting.position(ofID: $1) == $0 })
        #expect(sorting.position(ofID: "p-5000") == nil && sorting.position(ofID: "") == nil && sorting.position(ofID: "long-") == nil)
        #expect(sorting.hash(at: 7) == ChainHash.sha256("p-7"))
        #expect(sorting.rowsHashIfAllStored == nil, "a conflict, and an item that is not a valid prediction")

        let clean = PredictionSorting(distinct, itemCount: 5_003)
        let expected = ChainHash.rowsHash(ids.prefix(5_003).enumerated().map { (seq: $0, tag: Character("P"), hash: ChainHash.sha256($1)) })
        #expect(clean.rowsHashIfAllStored == expected)
    }

    @Test("derived scores from a line are those of its record, bit for bit")
    func derivedScoresAgree() throws {
        let lines = [
            SampleRecords.prediction(id: "d-1"),
            SampleRecords.prediction(id: "d-2", probabilities: [1e-15, 1 - 1e-15]),
            #"{"prediction_id":"d-3","model":"m","occurred_at":"2026-10-05T09:00:00Z","options":["a","b"],"option_logits":[700,-700],"predicted":1}"#,
            #"{"prediction_id":"d-4","model":"m","occurred_at":"2026-10-05T09:00:00Z","options":["a","b"],"predicted":0}"#,
        ]
        var scan = PredictionLine()
        for text in lines {
            let line = Array(text.utf8)
            let read = line.withUnsafeBufferPointer { scan.read($0) }
            try #require(read)
            guard case .prediction(let record) = AuditApp.outcome(of: .success(try JSONParser.parse(line)), kind: .predictions) else {
                Issue.record("rejected: \(text)")
                continue
            }
            let fromLine = scan.derivedScores()
            #expect(
                fromLine.map { [$0.msp, $0.margin, $0.entropy].map(\.bitPattern) }
                    == record.derived.map { [$0.msp, $0.margin, $0.entropy].map(\.bitPattern) }, "\(text)")
            #expect((fromLine == nil) == (text.contains("option_") == false))
        }
    }
}
