import AuditApp
import AuditCore
import AuditServer
import Foundation
import Testing
import TestSupport

/// The read endpoints over a real socket, on a simulated fleet that has calibrations and drift findings.
@Suite("HTTP reads")
struct ReadEndpointTests {
    /// Two simulated models, ingested, recalibrated (activated) and drift-checked.
    static func populate(_ app: AuditApp) throws -> Timestamp {
        let output = try SimulatedFleet.ingest(into: app) { options in
            options.models = 2
            options.perModel = 800
            options.months = 2
            options.seed = 11
            options.driftEvent = false
            options.auditRate = 0.5  // enough audited fit rows (≥ 200) for a guarantee that may be activated
        }
        var recalibration = RecalibrationOptions()
        recalibration.asOf = output.now
        recalibration.targetRisk = 0.4  // the simulated models are about 60 % accurate
        let outcomes = try app.recalibrate(models: nil, options: recalibration)
        #expect(outcomes.first?.status == .active, "\(outcomes.map(\.message))")
        var drift = DriftOptions()
        drift.asOf = output.now
        drift.resamples = 200
        _ = try app.drift(models: nil, options: drift)
        return output.now
    }

    @Test("models, calibration with ETag, evaluation, drift and report agree with the use cases they serve")
    func readsAgreeWithUseCases() async throws {
        try await ServerHarness.with { server in
            let now = try Self.populate(server.app)
            let token = try server.token(.read)
            let model = FleetSimulator.names(count: 2)[0]

            let models = try await server.send("GET", "/v1/models", token: token).json()
            guard case .array(let list)? = models["models"] else { Issue.record("no models array"); return }
            #expect(list.count == 2)
            #expect(list[0]["model"] == .string(model))
            #expect(list[0]["active_calibration"]?["version"] != nil)

            // The active calibration, cacheable by ETag.
            let active = try #require(try server.app.activeCalibration(model: model))
            let calibration = try await server.send("GET", "/v1/models/\(model)/calibration", token: token)
            #expect(calibration.status == 200)
            let document = try calibration.json()
            #expect(document["version"] == .integer(active.versionID))
            #expect(document["temperature"] == .number(active.temperature))
            #expect(document["threshold"] == active.threshold.map { .number($0) } ?? .null)
            #expect(document["valid_from"] != .null)
            let etag = try #require(calibration.headers["etag"])
            let cached = try await server.send("GET", "/v1/models/\(model)/calibration", token: token, headers: ["If-None-Match": etag])
            #expect(cached.status == 304)
            #expect(cached.body.isEmpty)
            let stale = try await server.send("GET", "/v1/models/\(model)/calibration", token: token, headers: ["If-None-Match": "\"old\""])
            #expect(stale.status == 200)
            let missing = try await server.send("GET", "/v1/models/no-such-model/calibration", token: token)
            #expect(missing.status == 404)
            #expect(try missing.json()["code"] == .string("no_active_calibration"))

            // The evaluation document is exactly what `evaluate --json` computes.
            let from = now.adding(seconds: -30 * 86_400)
            let evaluation = try await server.send(
                "GET", "/v1/models/\(model)/evaluation?from=\(from.rfc3339)&to=\(now.rfc3339)", token: token)
            #expect(evaluation.status == 200)
            #expect(evaluation.text == CanonicalJSON.text(try server.app.evaluate(model: model, from: from, to: now)) + "\n")
            #expect(try await server.send("GET", "/v1/models/\(model)/evaluation?from=yesterday", token: token).status == 400)
            #expect(try await server.send("GET", "/v1/models/no-such-model/evaluation", token: token).status == 404)

            // The latest drift findings.
            let drift = try await server.send("GET", "/v1/models/\(model)/drift", token: token)
            #expect(drift.status == 200)
            let stored = try #require(try server.app.latestDrift(model: model).first)
            #expect(try drift.json()["status"] == .string(stored.status.rawValue))
            #expect(try drift.json()["run_id"] == .integer(stored.runID))
            #expect(try await server.send("GET", "/v1/models/no-such-model/drift", token: token).status == 404)

            // The monthly report: JSON by default, HTML on request; both equal the renderer's output.
            let month = String(now.adding(seconds: -86_400).rfc3339.prefix(7))
            let json = try await server.send("GET", "/v1/reports/\(month)", token: token)
            #expect(json.status == 200)
            #expect(json.headers["content-type"] == "application/json")
            // Equal but for the access log, which this very read (and the use case's render) moves on.
            #expect(
                try Self.withoutAccessLog(json.text) == Self.withoutAccessLog(server.app.renderedMonthlyReport(month: month, format: .json))
            )
            let html = try await server.send("GET", "/v1/reports/\(month)", token: token, headers: ["Accept": "text/html"])
            #expect(html.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(html.text.hasPrefix("<!DOCTYPE html>"))
            #expect(try await server.send("GET", "/v1/reports/2026-13", token: token).status == 400)
        }
    }

    /// A report.json without its access section and access chain head.
    static func withoutAccessLog(_ text: String) throws -> JSONValue {
        guard case .object(var report) = try JSONParser.parse(text) else { return .null }
        report.members.removeAll { $0.key == "access" }
        if let index = report.members.firstIndex(where: { $0.key == "integrity" }),
            case .object(var integrity) = report.members[index].value
        {
            integrity.members.removeAll { $0.key == "access_head" }
            report.members[index].value = .object(integrity)
        }
        return .object(report)
    }

    @Test("/metrics speaks Prometheus text and counts ingested and quarantined records and requests")
    func metrics() async throws {
        try await ServerHarness.with { server in
            let token = try server.token(.ingest, .read)
            _ = try await server.send("POST", "/v1/predictions", token: token, body: SampleRecords.prediction(id: "metric-1"))
            _ = try await server.send("POST", "/v1/predictions", token: token, body: #"{"prediction_id":"metric-2"}"#)
            let reply = try await server.send("GET", "/metrics", token: token)
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"]?.hasPrefix("text/plain") == true)
            let text = reply.text
            #expect(text.contains(#"vlm_audit_records_total{kind="predictions",outcome="inserted"}"#))
            #expect(text.contains(#"vlm_audit_records_total{kind="predictions",outcome="quarantined"}"#))
            #expect(text.contains("vlm_audit_db_pool_connections 2"))
            #expect(text.contains(#"vlm_audit_http_request_duration_seconds_bucket{method="POST",route="/v1/predictions",status="201""#))
        }
    }
}
