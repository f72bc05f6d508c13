import AuditCore
@testable import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// The one definition of a prediction's encoding (``PredictionField``): every field reaches the hash, the stored row and
/// the table, so a field that only one encoding learns cannot go unnoticed.
@Suite("one encoding of a prediction")
struct PredictionEncodingTests {
    /// A record with every field set.
    static let full = PredictionRecord(
        predictionID: "enc-1", model: "m1", modelVersion: "v7", site: "north", occurredAt: Timestamp(microseconds: 1_790_000_000_000_000),
        caseRef: "case-9", imageRef: "img-9", attributes: [(key: "age", value: "70+"), (key: "sex", value: "f")],
        question: "Which finding?", options: ["a", "b", "c"], optionLogits: [0.5, 1.5, -1], optionProbs: [0.2, 0.7, 0.1],
        predicted: 1, confidence: [(method: "verbalized", value: 0.8)], uncertainty: [(method: "semantic_entropy", value: 0.3)],
        perturbation: Perturbation(kind: Perturbation.notaKind, of: "enc-0"), label: 1, escalated: false, calibrationVersion: 3,
        derived: (msp: 0.7, margin: 0.5, entropy: 0.8))

    /// `record` with only `field` changed. The switch is exhaustive: a new field does not compile until it is changed here.
    static func changing(_ field: PredictionField, of record: PredictionRecord) -> PredictionRecord {
        var changed = record
        switch field {
        case .predictionID: changed.predictionID += "x"
        case .model: changed.model += "x"
        case .modelVersion: changed.modelVersion = nil
        case .site: changed.site = "south"
        case .occurredAt: changed.occurredAt = Timestamp(microseconds: record.occurredAt.microseconds + 1)
        case .caseRef: changed.caseRef = nil
        case .imageRef: changed.imageRef = "img-10"
        case .attributes: changed.attributes[0].value = "60-69"
        case .question: changed.question = nil
        case .options: changed.options[2] = "d"
        case .optionLogits: changed.optionLogits = nil
        case .optionProbs: changed.optionProbs?[0] = 0.25
        case .predicted: changed.predicted = 2
        case .confidence: changed.confidence[0].value = 0.81
        case .uncertainty: changed.uncertainty = []
        case .derivedMSP: changed.derived?.msp = 0.71
        case .derivedMargin: changed.derived?.margin = 0.51
        case .derivedEntropy: changed.derived?.entropy = 0.81
        case .perturbationKind: changed.perturbation = Perturbation(kind: "other", of: "enc-0")
        case .perturbationOf: changed.perturbation = Perturbation(kind: Perturbation.notaKind, of: "enc-00")
        case .label: changed.label = nil
        case .escalated: changed.escalated = true
        case .calibrationVersion: changed.calibrationVersion = 4
        }
        return changed
    }

    /// The record's COPY row (the batch's placeholders included) and its canonical bytes.
    static func encoded(_ record: PredictionRecord) -> (row: [UInt8], canonical: [UInt8]) {
        var writer = CanonicalWriter()
        let objects = record.writeCanonical(into: &writer)
        var encoder = CopyBinaryEncoder(capacity: 4096, header: false)
        writer.bytes.withUnsafeBufferPointer {
            RecordColumns.encode(
                record, seq: 0, hash: ChainHash.digest(bytes: writer.bytes), canonical: $0, objects: objects, into: &encoder)
        }
        return (encoder.bytes, writer.bytes)
    }

    @Test("the canonical form has every field once, under its key, in key order")
    func canonicalKeys() throws {
        guard case .object(let object) = try JSONParser.parse(Array(Self.full.canonicalText.utf8)) else {
            Issue.record("the canonical form is not an object")
            return
        }
        let keys = object.members.map(\.key)
        #expect(keys == PredictionField.canonicalOrder.map(\.canonicalKey.description))
        #expect(keys == keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(Set(keys).count == PredictionField.allCases.count)
    }

    @Test("changing any one field changes both the hashed canonical form and the stored row")
    func everyFieldReachesHashAndRow() {
        let base = Self.encoded(Self.full)
        for field in PredictionField.allCases {
            let changed = Self.encoded(Self.changing(field, of: Self.full))
            #expect(changed.canonical != base.canonical, "\(field) does not reach the canonical form")
            #expect(changed.row != base.row, "\(field) does not reach the COPY row")
        }
    }

    @Test("the stored row reads back as the record it was encoded from, so verify rebuilds the same canonical form")
    func rowRoundTrip() throws {
        let connection = try TestDatabase.createMigrated(prefix: "enc").connect()
        let writer = IngestBatchWriter(connection: connection, kind: .predictions, source: "encoding-test")
        let records =
            [Self.full]
            + PredictionField.allCases.map { field in
                var record = Self.changing(field, of: Self.full)
                record.predictionID = "enc-\(field)"
                return record
            }
        let outcome = try writer.commit(records.map { IngestItem(value: .null, outcome: .prediction($0)) })
        #expect(outcome.inserted == records.count)
        let result = try connection.query("SELECT \(RecordColumns.predictionSelectList) FROM predictions ORDER BY batch_seq")
        #expect(result.rowCount == records.count)
        let columns = try PredictionColumns(result)
        for row in 0..<result.rowCount {
            let stored = try columns.decode(row: row)
            #expect(stored.canonicalText == records[row].canonicalText, "\(records[row].predictionID)")
        }
    }

    @Test("the table's columns are exactly the fields', the batch's and the row hash")
    func tableColumns() throws {
        let connection = try TestDatabase.createMigrated(prefix: "enc").connect()
        let result = try connection.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'predictions'")
        let columns = Set((0..<result.rowCount).compactMap { result.string($0, 0) })
        let copied = Set(RecordColumns.predictionCopyList.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(columns.count == PredictionField.allCases.count + 4)
        #expect(columns == copied)
    }
}
