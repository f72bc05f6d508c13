import AuditApp
import AuditCore
import AuditServer
import AuditStore
import Foundation
import PQ
import Testing
import TestSupport

/// POST /v1/predictions and /v1/labels over a real socket: the same validation, quarantine and idempotency as files.
@Suite("HTTP ingest")
struct IngestEndpointTests {
    static func counts(_ server: ServerHarness) throws -> RecordCounts {
        try RecordCounts.read(server.app.database.connect())
    }

    @Test("one record: 201 inserted, re-post 200 duplicate, changed content 422 conflict; the stored row is untouched")
    func singleRecordIdempotency() async throws {
        try await ServerHarness.with { server in
            let token = try server.token(.ingest)
            let record = SampleRecords.prediction(id: "p-1")
            let first = try await server.send("POST", "/v1/predictions", token: token, body: record)
            #expect(first.status == 201)
            #expect(try first.json()["status"] == .string("inserted"))
            let again = try await server.send("POST", "/v1/predictions", token: token, body: record)
            #expect(again.status == 200)
            #expect(try again.json()["status"] == .string("duplicate"))
            let changed = try await server.send(
                "POST", "/v1/predictions", token: token, body: SampleRecords.prediction(id: "p-1", predicted: 1))
            #expect(changed.status == 422)
            let error = try changed.json()
            #expect(error["code"] == .string("invalid_record"))
            #expect(error["field"] == .string("prediction_id"))
            #expect(
                error["message"].flatMap { if case .string(let text) = $0 { text } else { nil } }?.contains("different content") == true)
            let counts = try Self.counts(server)
            #expect(counts.predictions == 1)
            #expect(counts.quarantined == 1)
            let stored = try server.app.database.connect().query("SELECT predicted FROM predictions WHERE prediction_id = 'p-1'")
            #expect(stored.int(0, 0) == 0)
            #expect(try server.app.verify().problems.isEmpty)
        }
    }

    @Test("a batch reports every record's outcome; good records land, bad ones are quarantined with field and reason")
    func batchOutcomes() async throws {
        try await ServerHarness.with { server in
            let token = try server.token(.ingest, .label)
            let records = [
                SampleRecords.prediction(id: "b-1"),
                #"{"prediction_id":"b-2","model":"m1"}"#,
                SampleRecords.prediction(id: "b-3", probabilities: [0.5, 0.6]),
                SampleRecords.prediction(id: "b-1"),
                SampleRecords.prediction(id: "b-4", extra: #","question":"'; DROP TABLE predictions; --""#),
            ]
            let reply = try await server.send("POST", "/v1/predictions", token: token, body: "[" + records.joined(separator: ",") + "]")
            #expect(reply.status == 200)
            let document = try reply.json()
            #expect(document["inserted"] == .integer(2))
            #expect(document["duplicates"] == .integer(1))
            #expect(document["rejected"] == .integer(2))
            guard case .array(let results)? = document["results"] else { Issue.record("no results"); return }
            #expect(results.map { $0["status"] } == ["inserted", "rejected", "rejected", "duplicate", "inserted"].map { .string($0) })
            #expect(results[1]["field"] == .string("options"))
            #expect(results[1]["reason"] == .string("options is required"))
            #expect(results[2]["field"] == .string("option_probs"))
            #expect(results.map { $0["index"] } == (0..<5).map { .integer(Int64($0)) })
            // The injection attempt is stored verbatim, never executed.
            let question = try server.app.database.connect().query("SELECT question FROM predictions WHERE prediction_id = 'b-4'")
            #expect(question.string(0, 0) == "'; DROP TABLE predictions; --")
            // Re-sending the whole batch changes nothing.
            let resent = try await server.send("POST", "/v1/predictions", token: token, body: "[" + records.joined(separator: ",") + "]")
            #expect(try resent.json()["inserted"] == .integer(0))
            let counts = try Self.counts(server)
            #expect(counts.predictions == 2)
            #expect(counts.quarantined == 2)
            // The quarantine names the source as the token holder.
            let source = try server.app.database.connect().query("SELECT DISTINCT source FROM quarantine")
            #expect(source.string(0, 0) == "http:test")
        }
    }

    @Test("labels: unknown prediction 422, then accepted once the prediction exists; revisions are kept")
    func labels() async throws {
        try await ServerHarness.with { server in
            let token = try server.token(.ingest, .label)
            let early = try await server.send("POST", "/v1/labels", token: token, body: SampleRecords.label(id: "l-1", label: 1))
            #expect(early.status == 422)
            #expect(try early.json()["field"] == .string("prediction_id"))
            #expect(try await server.send("POST", "/v1/predictions", token: token, body: SampleRecords.prediction(id: "l-1")).status == 201)
            #expect(try await server.send("POST", "/v1/labels", token: token, body: SampleRecords.label(id: "l-1", label: 1)).status == 201)
            let revision = SampleRecords.label(id: "l-1", label: 2, at: "2026-10-07T10:00:00Z")
            #expect(try await server.send("POST", "/v1/labels", token: token, body: revision).status == 201)
            let effective = try server.app.database.connect().query("SELECT label FROM effective_labels WHERE prediction_id = 'l-1'")
            #expect(effective.int(0, 0) == 2)
            #expect(try Self.counts(server).labels == 2)
        }
    }

    @Test("malformed bodies get 400, oversize bodies and batches 413, and nothing is stored")
    func limitsAndMalformedBodies() async throws {
        try await ServerHarness.with(limits: ServerLimits(maximumBodyBytes: 4096, maximumBatchRecords: 3)) { server in
            let token = try server.token(.ingest)
            let cases: [(body: String, status: Int, code: String)] = [
                ("[", 400, "invalid_json"),
                (#"{"a":1,"a":2}"#, 400, "invalid_json"),
                ("", 400, "invalid_json"),
                ("42", 400, "bad_request"),
                ("[]", 400, "bad_request"),
                ("[" + (1...4).map { SampleRecords.prediction(id: "x-\($0)") }.joined(separator: ",") + "]", 413, "too_many_records"),
                ("[" + String(repeating: " ", count: 5000) + "]", 413, "too_large"),
                (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), 400, "invalid_json"),
            ]
            for entry in cases {
                let reply = try await server.send("POST", "/v1/predictions", token: token, body: entry.body)
                #expect(reply.status == entry.status, "\(entry.body.prefix(40))")
                #expect(try reply.json()["code"] == .string(entry.code), "\(entry.body.prefix(40))")
            }
            let counts = try Self.counts(server)
            #expect(counts.predictions + counts.labels + counts.quarantined + counts.batches == 0)
        }
    }
}
