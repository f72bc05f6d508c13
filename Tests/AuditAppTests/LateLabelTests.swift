import AuditApp
import AuditCore
import AuditStore
import Testing
import TestSupport

/// The data-quality count of late labels, on a real database.
@Suite("late labels")
struct LateLabelTests {
    @Test("labels reviewed more than 30 days after their prediction, counted for the month's predictions of every model")
    func lateLabels() throws {
        let database = try TestDatabase.createMigrated(prefix: "late")
        let app = AuditApp(database: database)
        _ = try app.ingest(
            paths: [
                try SampleRecords.file([
                    SampleRecords.prediction(id: "a-late", model: "a", at: "2026-11-02T08:00:00Z"),
                    SampleRecords.prediction(id: "a-prompt", model: "a", at: "2026-11-03T08:00:00Z"),
                    SampleRecords.prediction(id: "b-late", model: "b", at: "2026-11-20T08:00:00Z"),
                    SampleRecords.prediction(id: "b-october", model: "b", at: "2026-10-20T08:00:00Z"),
                ])
            ], options: IngestOptions(kind: .predictions))
        let labels = [
            #"{"prediction_id":"a-late","label":0,"reviewer":"r1","reviewed_at":"2026-12-05T08:00:01Z"}"#,  // 33 days
            #"{"prediction_id":"a-late","label":1,"reviewer":"r2","reviewed_at":"2026-12-20T08:00:00Z"}"#,  // a second, also late
            #"{"prediction_id":"a-prompt","label":0,"reviewer":"r1","reviewed_at":"2026-11-05T08:00:00Z"}"#,
            #"{"prediction_id":"b-late","label":0,"reviewer":"r1","reviewed_at":"2026-12-20T08:00:01Z"}"#,  // 30 days + 1 s
            #"{"prediction_id":"b-october","label":0,"reviewer":"r1","reviewed_at":"2026-12-20T08:00:00Z"}"#,  // late, but October's
        ]
        _ = try app.ingest(paths: [try SampleRecords.file(labels)], options: IngestOptions(kind: .labels))
        let (start, end) = Timestamp.monthBounds("2026-11")!
        #expect(try DataQualityQueries.lateLabels(database.connect(), from: start, to: end) == 3)
        let (octoberStart, octoberEnd) = Timestamp.monthBounds("2026-10")!
        #expect(try DataQualityQueries.lateLabels(database.connect(), from: octoberStart, to: octoberEnd) == 1)
    }
}
