import AuditApp
import AuditCore
import AuditServer
import AuditStore
import Foundation
import Testing
import TestSupport

/// The audit sample over a real socket: the `audit` flag of a posted prediction and the worklist (docs/audit.md).
@Suite("HTTP audit sample")
struct AuditEndpointTests {
    @Test("a posted prediction answers whether it is an audit member; the worklist lists exactly the unlabeled members")
    func flagAndWorklist() async throws {
        try await ServerHarness.with { server in
            let seed = Array(repeating: UInt8(3), count: 32)
            var request = AuditPlanRequest(
                model: "m1", rate: 0.5, seed: seed, effectiveFrom: Timestamp(rfc3339: "2026-10-01T00:00:00Z"),
                createdBy: "test")
            request.allowNewModel = true
            _ = try server.app.createAuditPlan(request)
            let ingest = try server.token(.ingest)
            let read = try server.token(.read)
            var members: [String] = []
            for index in 0..<40 {
                let id = "h-\(index)"
                let reply = try await server.send(
                    "POST", "/v1/predictions", token: ingest,
                    body: SampleRecords.prediction(id: id, at: String(format: "2026-10-05T09:%02d:00Z", index)))
                #expect(reply.status == 201)
                let flag = try reply.json()["audit"]
                let expected = AuditMembership.isMember(seed: seed, predictionID: id, rate: 0.5)
                #expect(flag == .bool(expected), "\(id)")
                if expected { members.append(id) }
            }
            #expect(members.count > 5 && members.count < 35)
            let batch = try await server.send(
                "POST", "/v1/predictions", token: ingest,
                body: "[" + SampleRecords.prediction(id: "h-0", at: "2026-10-05T09:00:00Z") + "]")
            #expect(
                try batch.json()["results"].flatMap { if case .array(let items) = $0 { items.first?["audit"] } else { nil } }
                    == .bool(members.contains("h-0")), "a re-sent duplicate keeps its answer")
            let worklist = try await server.send("GET", "/v1/models/m1/audit/worklist", token: read)
            #expect(worklist.status == 200)
            guard case .array(let items)? = try worklist.json()["items"] else { Issue.record("no items"); return }
            #expect(items.compactMap { $0["prediction_id"]?.stringValue } == members, "oldest first")
            #expect(items.allSatisfy { ($0["waiting_days"]?.doubleValue ?? -1) > 0 })
            let limited = try await server.send("GET", "/v1/models/m1/audit/worklist?limit=2", token: read)
            #expect(try limited.json()["count"] == .integer(2))
            #expect(try await server.send("GET", "/v1/models/m1/audit/worklist?limit=zero", token: read).status == 400)
            #expect(try await server.send("GET", "/v1/models/nobody/audit/worklist", token: read).status == 404)
            #expect(try await server.send("GET", "/v1/models/m1/audit/worklist", token: nil).status == 401)
        }
    }
}
