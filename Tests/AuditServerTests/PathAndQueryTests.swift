import AuditApp
import AuditCore
import Foundation
import Testing
import TestSupport

/// Paths and query strings as clients send them: percent-encoded model names, days as window bounds.
@Suite("HTTP paths and queries")
struct PathAndQueryTests {
    @Test(
        "a model named with a space, a slash or non-ASCII text is reached through its percent-encoded path",
        arguments: [
            ("x y", "x%20y"), ("a/b", "a%2Fb"), ("ñandú", "%C3%B1and%C3%BA"), ("semi;colon", "semi%3Bcolon"),
        ])
    func percentEncodedModels(model: String, encoded: String) async throws {
        try await ServerHarness.with { server in
            let ingest = try server.token(.ingest)
            let read = try server.token(.read)
            let posted = try await server.send(
                "POST", "/v1/predictions", token: ingest,
                body: SampleRecords.prediction(id: "pq-\(encoded)", model: model))
            #expect(posted.status == 201)
            let evaluation = try await server.send("GET", "/v1/models/\(encoded)/evaluation?from=2026-10-01&to=2026-11-01", token: read)
            #expect(evaluation.status == 200, "\(evaluation.text)")
            #expect(try evaluation.json()["model"] == .string(model))
            #expect(try evaluation.json()["n"] == .integer(1))
            let calibration = try await server.send("GET", "/v1/models/\(encoded)/calibration", token: read)
            #expect(calibration.status == 404)
            #expect(calibration.text.contains("model \(model) has no active calibration"), "\(calibration.text)")
            let worklist = try await server.send("GET", "/v1/models/\(encoded)/audit/worklist", token: read)
            #expect(worklist.status == 200)
            #expect(try worklist.json()["model"] == .string(model))
        }
    }

    @Test("window bounds take a day or an RFC 3339 instant, and anything else is a 400 naming the field")
    func dayBounds() async throws {
        try await ServerHarness.with { server in
            let read = try server.token(.read)
            _ = try await server.send(
                "POST", "/v1/predictions", token: try server.token(.ingest), body: SampleRecords.prediction(id: "d-1"))
            let day = try await server.send("GET", "/v1/models/m1/evaluation?from=2026-10-05&to=2026-10-06", token: read)
            let instant = try await server.send(
                "GET", "/v1/models/m1/evaluation?from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z", token: read)
            #expect(day.status == 200 && day.text == instant.text)
            let bad = try await server.send("GET", "/v1/models/m1/evaluation?from=yesterday", token: read)
            #expect(bad.status == 400)
            #expect(try bad.json()["field"] == .string("from"))
        }
    }

    @Test("a known path asked with another method is 405 naming the allowed ones; an unknown path is 404")
    func methodNotAllowed() async throws {
        try await ServerHarness.with { server in
            let token = try server.token(.ingest, .read)
            let delete = try await server.send("DELETE", "/v1/models", token: token)
            #expect(delete.status == 405 && delete.headers["allow"] == "GET")
            #expect(try delete.json()["code"] == .string("method_not_allowed"))
            let get = try await server.send("GET", "/v1/predictions", token: token)
            #expect(get.status == 405 && get.headers["allow"] == "POST")
            let parameterised = try await server.send("PUT", "/v1/models/m1/calibration", token: token)
            #expect(parameterised.status == 405 && parameterised.headers["allow"] == "GET", "\(parameterised.status) \(parameterised.text)")
            #expect(try await server.send("GET", "/v1/nothing/here", token: token).status == 404)
        }
    }
}
