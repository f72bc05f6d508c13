import AuditApp
import AuditCore
import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// The ingest use case against a real PostgreSQL, through files as users give them.
@Suite("ingest")
struct IngestTests {
    let database: AuditDatabase
    let app: AuditApp

    init() throws {
        database = try TestDatabase.createMigrated(prefix: "ing")
        app = AuditApp(database: database)
    }

    func counts() throws -> RecordCounts { try RecordCounts.read(try database.connect()) }

    @Test("a mixed file lands exactly its good rows and quarantines the rest with reasons")
    func mixedFile() throws {
        let lines = [
            SampleRecords.prediction(id: "a"),
            SampleRecords.prediction(id: "b", probabilities: [0.5, 0.5, 0.5, 0.5]),
            "{broken json",
            SampleRecords.prediction(id: "c", predicted: 9),
            SampleRecords.prediction(id: "d"),
            "",
            SampleRecords.prediction(id: "e", at: "not a time"),
        ]
        let summary = try app.ingest(paths: [try SampleRecords.file(lines)], options: IngestOptions(kind: .predictions))
        #expect(summary.read == 6, "the blank line is skipped")
        #expect(summary.inserted == 2)
        #expect(summary.quarantined == 4)
        let connection = try database.connect()
        let ids = try connection.query("SELECT prediction_id FROM predictions ORDER BY 1")
        #expect((0..<ids.rowCount).map { ids.string($0, 0)! } == ["a", "d"])
        let reasons = try connection.query("SELECT line_number, prediction_id, field, reason FROM quarantine ORDER BY line_number")
        #expect(reasons.rowCount == 4)
        #expect(reasons.int(0, 0) == 2 && reasons.string(0, 1) == "b" && reasons.string(0, 2) == "option_probs")
        #expect(reasons.string(0, 3) == "option_probs sums to 2.0, not 1 ± 0.001")
        #expect(reasons.int(1, 0) == 3 && reasons.string(1, 3)!.hasPrefix("line is not valid JSON"))
        #expect(reasons.string(2, 3) == "predicted=9 but only 4 options")
        #expect(reasons.int(3, 0) == 7 && reasons.string(3, 2) == "occurred_at")
        #expect(try ChainVerifier.verify(connection).intact)
    }

    @Test("lines the direct reader declines (escapes, 2.0 for an index) land through the general path, the same as the others")
    func generalPathLines() throws {
        let lines = [
            SampleRecords.prediction(id: "direct", extra: #","question":"plain text""#),
            SampleRecords.prediction(id: "escaped", extra: #","question":"caf\u00e9 \"x\"""#),
            SampleRecords.prediction(id: "two-point-oh").replacingOccurrences(of: #""predicted":0"#, with: #""predicted":0.0"#),
        ]
        let path = try SampleRecords.file(lines)
        let summary = try app.ingest(paths: [path], options: IngestOptions(kind: .predictions))
        #expect(summary.inserted == 3 && summary.rejected == 0)
        let connection = try database.connect()
        let question = try connection.query("SELECT question FROM predictions WHERE prediction_id = 'escaped'").string(0, 0)
        #expect(question == "café \"x\"")
        #expect(try connection.query("SELECT predicted FROM predictions WHERE prediction_id = 'two-point-oh'").int(0, 0) == 0)
        // Re-sent, each line is recognised as the record it stored, whichever path read it.
        let again = try app.ingest(paths: [path], options: IngestOptions(kind: .predictions))
        #expect(again.duplicates == 3 && again.inserted == 0)
        #expect(try ChainVerifier.verify(connection).intact)
    }

    @Test("re-sending a file is a no-op: no duplicates, no errors, no second quarantine entry")
    func resend() throws {
        let path = try SampleRecords.file([SampleRecords.prediction(id: "a"), SampleRecords.prediction(id: "bad", predicted: 7)])
        let first = try app.ingest(paths: [path], options: IngestOptions(kind: .predictions))
        let second = try app.ingest(paths: [path], options: IngestOptions(kind: .predictions))
        #expect(first.inserted == 1 && first.quarantined == 1)
        #expect(second.inserted == 0 && second.duplicates == 1 && second.quarantined == 0 && second.alreadyQuarantined == 1)
        let counts = try counts()
        #expect(counts.predictions == 1 && counts.quarantined == 1)
        #expect(try ChainVerifier.verify(try database.connect()).intact)
    }

    @Test("the same prediction_id with different content is a conflict; the stored record is untouched")
    func conflict() throws {
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "a", predicted: 0)])],
            options: IngestOptions(kind: .predictions))
        let summary = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "a", predicted: 1)])],
            options: IngestOptions(kind: .predictions))
        #expect(summary.quarantined == 1)
        let connection = try database.connect()
        #expect(try connection.query("SELECT predicted FROM predictions WHERE prediction_id = 'a'").int(0, 0) == 0)
        let reason = try connection.query("SELECT reason FROM quarantine").string(0, 0)
        #expect(reason == "duplicate prediction_id with different content; the stored record is unchanged")
    }

    @Test("a batch mixing stored, conflicting, clashing and new records lands exactly the new ones, and only they register methods")
    func mixedBatchAgainstStore() throws {
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "a"), SampleRecords.prediction(id: "b")])],
            options: IngestOptions(kind: .predictions))
        let flipped = SampleRecords.prediction(id: "d").replacingOccurrences(
            of: #""confidence":{"verbalized":0.8}"#, with: #""uncertainty":{"verbalized":0.2}"#)
        let lines = [
            SampleRecords.prediction(id: "a"),
            // A conflict naming a method never seen: the method must not be registered by a record that is not stored.
            SampleRecords.prediction(id: "b", predicted: 1, extra: #","uncertainty":{"conflict_only":0.3}"#),
            SampleRecords.prediction(id: "c"),
            flipped,
            SampleRecords.prediction(id: "e", extra: #","uncertainty":{"new_method":0.4}"#),
        ]
        let summary = try app.ingest(paths: [try SampleRecords.file(lines)], options: IngestOptions(kind: .predictions))
        #expect(summary.inserted == 2 && summary.duplicates == 1 && summary.quarantined == 2)
        let connection = try database.connect()
        let ids = try connection.query("SELECT prediction_id FROM predictions ORDER BY 1")
        #expect((0..<ids.rowCount).map { ids.string($0, 0)! } == ["a", "b", "c", "e"])
        #expect(try connection.query("SELECT predicted FROM predictions WHERE prediction_id = 'b'").int(0, 0) == 0)
        let fields = try connection.query("SELECT prediction_id, field FROM quarantine ORDER BY line_number")
        #expect(fields.string(0, 0) == "b" && fields.string(0, 1) == "prediction_id")
        #expect(fields.string(1, 0) == "d" && fields.string(1, 1) == "uncertainty.verbalized")
        let methods = try connection.query("SELECT method FROM ue_methods WHERE method IN ('new_method', 'conflict_only')")
        #expect((0..<methods.rowCount).map { methods.string($0, 0)! } == ["new_method"])
        let batches = try connection.query(
            "SELECT batch_id, inserted_count, duplicate_count, rejected_count FROM ingest_batches ORDER BY 1")
        #expect(batches.rowCount == 2 && batches.int(1, 1) == 2 && batches.int(1, 2) == 1 && batches.int(1, 3) == 2)
        #expect(try ChainVerifier.verify(connection).intact)
    }

    @Test("a conflict inside one file: the first record wins, the second is quarantined")
    func conflictWithinFile() throws {
        let summary = try app.ingest(
            paths: [
                try SampleRecords.file([
                    SampleRecords.prediction(id: "a", predicted: 0), SampleRecords.prediction(id: "a", predicted: 0),
                    SampleRecords.prediction(id: "a", predicted: 2),
                ])
            ], options: IngestOptions(kind: .predictions))
        #expect(summary.inserted == 1 && summary.duplicates == 1 && summary.quarantined == 1)
    }

    @Test("ids that differ only in their bytes (é precomposed or with a combining accent) are two ids, in one batch as in two")
    func idsToldApartByBytes() throws {
        let (composed, decomposed) = ("caf\u{E9}", "cafe\u{301}")
        let summary = try app.ingest(
            paths: [
                try SampleRecords.file([
                    SampleRecords.prediction(id: composed), SampleRecords.prediction(id: decomposed),
                ])
            ], options: IngestOptions(kind: .predictions))
        #expect(summary.inserted == 2 && summary.duplicates == 0 && summary.quarantined == 0)
        let stored = try database.connect().query("SELECT count(DISTINCT convert_to(prediction_id, 'UTF8')) FROM predictions")
        #expect(stored.int(0, 0) == 2)
        let again = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: decomposed)])],
            options: IngestOptions(kind: .predictions))
        #expect(again.inserted == 0 && again.duplicates == 1, "re-sent, the decomposed id is found as itself")
    }

    @Test("labels are revisions: all kept, the newest reviewed_at wins; unknown predictions wait in quarantine")
    func labels() throws {
        _ = try app.ingest(paths: [try SampleRecords.file([SampleRecords.prediction(id: "a")])], options: IngestOptions(kind: .predictions))
        let labelFile = try SampleRecords.file([
            SampleRecords.label(id: "a", label: 0, reviewer: "rad-1", at: "2026-10-06T10:00:00Z"),
            SampleRecords.label(id: "a", label: 2, reviewer: "rad-2", at: "2026-10-08T10:00:00Z"),
            SampleRecords.label(id: "a", label: 1, reviewer: "rad-3", at: "2026-10-07T10:00:00Z"),
            SampleRecords.label(id: "later", label: 1),
            SampleRecords.label(id: "a", label: 9, reviewer: "rad-4"),
        ])
        let summary = try app.ingest(paths: [labelFile], options: IngestOptions(kind: .labels))
        #expect(summary.inserted == 3 && summary.quarantined == 2)
        let connection = try database.connect()
        #expect(try connection.query("SELECT label FROM effective_labels WHERE prediction_id = 'a'").int(0, 0) == 2)
        let reasons = try connection.query("SELECT reason FROM quarantine ORDER BY line_number")
        #expect(reasons.string(0, 0) == "label for unknown prediction later (re-submit it once the prediction has arrived)")
        #expect(reasons.string(1, 0) == "label=9 but prediction a has only 4 options")

        // Once the prediction arrives, re-sending the same label file lands the waiting label and nothing twice.
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "later")])], options: IngestOptions(kind: .predictions))
        let again = try app.ingest(paths: [labelFile], options: IngestOptions(kind: .labels))
        #expect(again.inserted == 1 && again.duplicates == 3 && again.quarantined == 0 && again.alreadyQuarantined == 1)
        #expect(try RecordCounts.read(connection).labels == 4)
        #expect(try ChainVerifier.verify(connection).intact)
    }

    @Test("a method keeps the orientation it was first seen with")
    func orientation() throws {
        _ = try app.ingest(paths: [try SampleRecords.file([SampleRecords.prediction(id: "a")])], options: IngestOptions(kind: .predictions))
        let flipped = SampleRecords.prediction(id: "b").replacingOccurrences(
            of: #""confidence":{"verbalized":0.8}"#, with: #""uncertainty":{"verbalized":0.2}"#)
        let summary = try app.ingest(paths: [try SampleRecords.file([flipped])], options: IngestOptions(kind: .predictions))
        #expect(summary.quarantined == 1)
        let reason = try database.connect().query("SELECT field, reason FROM quarantine")
        #expect(reason.string(0, 0) == "uncertainty.verbalized")
        #expect(reason.string(0, 1)!.contains("verbalized is confidence-oriented"))
    }

    @Test("CSV and JSON Lines give the same stored records")
    func csv() throws {
        let header = "prediction_id,model,occurred_at,options,option_probs,predicted,confidence,attributes"
        let row =
            #"a,m1,2026-10-05T09:12:00Z,"[""option 0"",""option 1"",""option 2"",""option 3""]","[0.6,0.2,0.1,0.1]",0,"{""verbalized"":0.8}","{""modality"":""CT""}""#
        let summary = try app.ingest(
            paths: [try SampleRecords.file([header, row], extension: "csv")], options: IngestOptions(kind: .predictions))
        #expect(summary.inserted == 1)
        let again = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "a")])], options: IngestOptions(kind: .predictions))
        #expect(again.duplicates == 1, "the JSON line is the same record as the CSV row")
    }

    @Test(
        "CSV as hospitals export it: semicolons or tabs, headers in any case, a byte-order mark; the same record each time",
        arguments: [";", "\t"])
    func csvDialects(delimiter: String) throws {
        let header = "\u{FEFF}Prediction_ID;Model;Occurred_At;OPTIONS;option_probs;Predicted;confidence;attributes"
            .replacingOccurrences(of: ";", with: delimiter)
        let row =
            #"a;m1;2026-10-05T09:12:00Z;"[""option 0"",""option 1"",""option 2"",""option 3""]";"[0.6,0.2,0.1,0.1]";0;"{""verbalized"":0.8}";"{""modality"":""CT""}""#
            .replacingOccurrences(of: ";", with: delimiter)
        let summary = try app.ingest(
            paths: [try SampleRecords.file([header, row], extension: "csv")], options: IngestOptions(kind: .predictions))
        #expect(summary.inserted == 1 && summary.rejected == 0)
        let again = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "a")])], options: IngestOptions(kind: .predictions))
        #expect(again.duplicates == 1, "the JSON line is the same record as the CSV row")
    }

    @Test("a CSV header that does not match names the columns missing, unknown, found and expected, and stores nothing")
    func csvWrongHeader() throws {
        let path = try SampleRecords.file(
            ["prediction;model;occurred_at;options;predicted;patient_name", "a;m1;2026-10-05T09:12:00Z;\"[]\";0;x"],
            extension: "csv")
        let error = try #require(throws: (any Error).self) { try app.ingest(paths: [path], options: IngestOptions(kind: .predictions)) }
        let text = "\(error)"
        #expect(
            text.contains("line 1") && text.contains("missing prediction_id") && text.contains("unknown prediction, patient_name"),
            "\(text)")
        #expect(text.contains("found prediction | model") && text.contains("expected columns prediction_id, model"), "\(text)")
        #expect(try counts().predictions == 0 && counts().quarantined == 0)
    }

    @Test("progress counts bytes of every file against their total, in order, and ends at 100 %")
    func progressByBytes() throws {
        let first = try SampleRecords.file((0..<30).map { SampleRecords.prediction(id: "pb-\($0)") })
        let second = try SampleRecords.file((30..<45).map { SampleRecords.prediction(id: "pb-\($0)") })
        let total = try [first, second].reduce(0) { $0 + (try FileManager.default.attributesOfItem(atPath: $1)[.size] as! Int) }
        var reports: [IngestProgress] = []
        _ = try app.ingest(paths: [first, second], options: IngestOptions(kind: .predictions, batchSize: 10)) { reports.append($0) }
        #expect(reports.count == 5)
        #expect(reports.allSatisfy { $0.bytesTotal == total && $0.files == 2 })
        #expect(reports.map(\.bytesDone) == reports.map(\.bytesDone).sorted() && reports.last?.bytesDone == total)
        #expect(reports.map(\.file) == [1, 1, 1, 2, 2])
        #expect(reports.last?.fraction == 1 && reports.first.map { $0.fraction! > 0 && $0.fraction! < 1 } == true)
    }

    @Test("batches of N rows: each is its own link in the chain")
    func batches() throws {
        let lines = (0..<25).map { SampleRecords.prediction(id: "r\($0)") }
        let summary = try app.ingest(paths: [try SampleRecords.file(lines)], options: IngestOptions(kind: .predictions, batchSize: 10))
        #expect(summary.batches == 3 && summary.inserted == 25)
        let report = try ChainVerifier.verify(try database.connect())
        #expect(report.intact && report.batches == 3 && report.rows == 25)
    }

    @Test("batches committed two at a time take their places in the chain in input order", arguments: [1, 2, 3])
    func lanesKeepInputOrder(lanes: Int) throws {
        let lines = (0..<120).map { SampleRecords.prediction(id: String(format: "o%03d", $0)) }
        let summary = try app.ingest(
            paths: [try SampleRecords.file(lines)],
            options: IngestOptions(kind: .predictions, batchSize: 7, commitLanes: lanes))
        #expect(summary.batches == 18 && summary.inserted == 120)
        let connection = try database.connect()
        // Line i is in the file's batch i / 7: the batches' ids must rise with it, and their rows in line order.
        let rows = try connection.query(
            """
            SELECT prediction_id, dense_rank() OVER (ORDER BY batch_id), batch_seq FROM predictions ORDER BY batch_id, batch_seq
            """)
        #expect((0..<rows.rowCount).map { rows.string($0, 0)! } == (0..<120).map { String(format: "o%03d", $0) })
        #expect((0..<rows.rowCount).allSatisfy { rows.int($0, 1)! == $0 / 7 + 1 && rows.int($0, 2)! == $0 % 7 })
        let report = try ChainVerifier.verify(connection)
        #expect(report.intact && report.batches == 18)
    }

    @Test("an id repeated in the next batch, committed beside it: the first in the file wins, the later copies are sorted out")
    func repeatedAcrossLanes() throws {
        var lines = (0..<40).map { SampleRecords.prediction(id: "x\($0)") }
        lines[13] = SampleRecords.prediction(id: "x2", predicted: 0)  // batch 2 repeats batch 1's x2: a duplicate
        lines[17] = SampleRecords.prediction(id: "x5", predicted: 3)  // and changes x5: a conflict
        let summary = try app.ingest(
            paths: [try SampleRecords.file(lines)],
            options: IngestOptions(kind: .predictions, batchSize: 10, commitLanes: 2))
        #expect(summary.inserted == 38 && summary.duplicates == 1 && summary.quarantined == 1)
        let connection = try database.connect()
        #expect(try connection.query("SELECT predicted FROM predictions WHERE prediction_id = 'x5'").int(0, 0) == 0)
        let conflict = try connection.query("SELECT line_number, prediction_id FROM quarantine")
        #expect(conflict.rowCount == 1 && conflict.int(0, 0) == 18 && conflict.string(0, 1) == "x5")
        #expect(try ChainVerifier.verify(connection).intact)
    }

    @Test("ingested_at is the database's clock when the batch began: one instant per batch, the batch row's own")
    func ingestedAtFromDatabaseClock() throws {
        let connection = try database.connect()
        let before = try connection.query("SELECT clock_timestamp()::text").string(0, 0)!
        let lines = (0..<25).map { SampleRecords.prediction(id: "t\($0)") }
        _ = try app.ingest(paths: [try SampleRecords.file(lines)], options: IngestOptions(kind: .predictions, batchSize: 10))
        let after = try connection.query("SELECT clock_timestamp()::text").string(0, 0)!
        let perBatch = try connection.query(
            """
            SELECT b.batch_id, count(DISTINCT p.ingested_at), min(p.ingested_at) >= $1::timestamptz,
                   max(p.ingested_at) = b.ingested_at, b.ingested_at <= $2::timestamptz
            FROM predictions p JOIN ingest_batches b USING (batch_id) GROUP BY b.batch_id, b.ingested_at ORDER BY 1
            """, [before, after])
        #expect(perBatch.rowCount == 3)
        for row in 0..<perBatch.rowCount {
            #expect(perBatch.int(row, 1) == 1)
            #expect(perBatch.bool(row, 2) == true && perBatch.bool(row, 3) == true && perBatch.bool(row, 4) == true)
        }
        let distinctBatches = try connection.query("SELECT count(DISTINCT ingested_at) FROM predictions").int(0, 0)
        #expect(distinctBatches == 3)
    }

    @Test("derived scores are computed at ingest from the probabilities")
    func derivedScores() throws {
        _ = try app.ingest(
            paths: [try SampleRecords.file([SampleRecords.prediction(id: "a", predicted: 1, probabilities: [0.5, 0.3, 0.2])])],
            options: IngestOptions(kind: .predictions))
        let row = try database.connect().query("SELECT msp, margin, entropy FROM predictions")
        #expect(abs(row.double(0, 0)! - 0.3) < 1e-12)
        #expect(abs(row.double(0, 1)! - 0.2) < 1e-12)
        let entropy = -(0.5 * log(0.5) + 0.3 * log(0.3) + 0.2 * log(0.2))
        #expect(abs(row.double(0, 2)! - entropy) < 1e-12)
    }
}
