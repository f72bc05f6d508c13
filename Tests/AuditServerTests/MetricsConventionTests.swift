import AuditApp
import AuditCore
import AuditStore
import Foundation
import Testing
import TestSupport

/// /metrics follows Prometheus's conventions, and every series the shipped Grafana dashboard and alert rules query
/// exists in a real scrape (scripts/monitoring/).
@Suite("metrics conventions, dashboard and alert rules")
struct MetricsConventionTests {
    static let monitoring = TestDatabase.packageRoot.appendingPathComponent("scripts/monitoring")

    /// The metric families a PromQL text names (`_bucket`, `_sum`, `_count` belong to their histogram).
    static func families(in promql: String) -> Set<String> {
        let regex = try! Regex(#"vlm_audit_[a-z_]+"#)
        return Set(
            promql.matches(of: regex).map { match in
                var name = String(promql[match.range])
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && name.contains("_seconds") {
                    name = String(name.dropLast(suffix.count))
                }
                return name
            })
    }

    /// Every `expr` of the dashboard's panels and of the alert rules.
    static func queries() throws -> [String] {
        let dashboard = try JSONParser.parse(
            [UInt8](try Data(contentsOf: monitoring.appendingPathComponent("grafana-dashboard.json"))),
            maximumDepth: 16)
        var exprs: [String] = []
        guard case .array(let panels)? = dashboard["panels"] else { return [] }
        for panel in panels {
            guard case .array(let targets)? = panel["targets"] else { continue }
            exprs += targets.compactMap { $0["expr"]?.stringValue }
        }
        let rules = try String(contentsOf: monitoring.appendingPathComponent("alerts.yml"), encoding: .utf8)
        exprs += rules.split(separator: "\n").compactMap { line in
            let trimmed = line.drop { $0 == " " }
            return trimmed.hasPrefix("expr:") ? String(trimmed.dropFirst("expr:".count)) : nil
        }
        return exprs
    }

    @Test(
        "counters end in _total, durations in _seconds, every family has # HELP; 4xx answers are timed; the dashboard's and rules' series exist"
    )
    func conventions() async throws {
        let queries = try Self.queries()
        #expect(queries.count >= 14, "the dashboard and the rules hold \(queries.count) queries")
        try await ServerHarness.with { server in
            let token = try server.token(.ingest, .read)
            _ = try await server.send("POST", "/v1/predictions", token: token, body: SampleRecords.prediction(id: "mc-1"))
            _ = try await server.send("POST", "/v1/predictions", token: token, body: #"{"prediction_id":"mc-2"}"#)
            _ = try await server.send("GET", "/v1/models", token: nil)
            _ = try await server.send("GET", "/no/such/path", token: token)
            _ = try await server.send("GET", "/readyz", token: nil)
            _ = try server.app.drift(models: nil, options: DriftOptions())  // a stored drift run: its status is a series
            // An active version with a threshold, watched once: its monitor's e-value and alarm count are series.
            let version = CalibrationVersion(
                model: "m1", method: "msp", temperature: 1, threshold: 0.8, mode: "ltt", targetRisk: 0.1, delta: 0.05, coverage: 0.5,
                empiricalRisk: 0.05, guaranteeMet: true, windowFrom: Timestamp(rfc3339: "2026-09-01T00:00:00Z")!,
                windowTo: Timestamp(rfc3339: "2026-10-01T00:00:00Z")!, nFit: 300, nHoldout: 75, evidence: .object([]), codeVersion: "test",
                fittedBy: "test")
            _ = try CalibrationStore.insert(
                server.app.migratedConnection(), version: version, status: .active, actor: "test", reason: "metrics")
            _ = try server.app.updateMonitors()
            let scrape = try await server.send("GET", "/metrics", token: token).text
            var types: [String: String] = [:]
            var helped: Set<String> = []
            for line in scrape.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 3)
                if parts.count >= 4, parts[0] == "#", parts[1] == "TYPE" { types[String(parts[2])] = String(parts[3]) }
                if parts.count >= 3, parts[0] == "#", parts[1] == "HELP" { helped.insert(String(parts[2])) }
            }
            #expect(!types.isEmpty)
            for (name, type) in types {
                #expect(name.hasPrefix("vlm_audit_"), "\(name) is not the product's")
                #expect(helped.contains(name), "\(name) has no # HELP line")
                if type == "counter" { #expect(name.hasSuffix("_total"), "counter \(name) must end in _total") }
                if type == "histogram" { #expect(name.hasSuffix("_seconds"), "histogram \(name) must end in _seconds") }
            }
            #expect(!scrape.contains("hb_") && !scrape.contains("error_type"))
            #expect(
                scrape.contains(#"vlm_audit_http_request_duration_seconds_count{method="GET",route="/v1/models",status="401"}"#),
                "\(scrape)")
            #expect(scrape.contains(#"vlm_audit_http_requests_total{method="GET",route="unmatched",status="404"}"#))
            #expect(scrape.contains("vlm_audit_ready 1"))
            #expect(scrape.contains(#"vlm_audit_drift_status{model="m1"}"#))
            #expect(scrape.contains(#"vlm_audit_monitor_e_value{model="m1"} 1"#), "a monitor with no label yet: M_0 = 1")
            #expect(scrape.contains(#"vlm_audit_monitor_alarms_total{model="m1"} 0"#))
            for family in queries.reduce(into: Set<String>(), { $0.formUnion(Self.families(in: $1)) }) {
                #expect(types[family] != nil, "the dashboard or an alert rule queries \(family), which the scrape lacks")
            }
        }
    }
}
