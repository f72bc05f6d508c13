import AuditApp
import AuditCore
import Dispatch
import Hummingbird
import Prometheus
import Synchronization

/// The service's metrics in Prometheus text format, named by Prometheus's conventions (`_total` counters, `_seconds`
/// durations, a `# HELP` line each); docs/http-api.md lists every series. One per server, so that servers sharing a
/// process (the tests) never mix their figures.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// The stored alarm count of each model already added to `vlm_audit_monitor_alarms_total`.
    private let monitorAlarmsSeen = Mutex<[String: Int]>([:])

    /// The metrics of a new server, with the series that exist from start-up on.
    init() {
        registerStartupSeries()
    }

    /// Upper bounds of the request-duration buckets.
    let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    /// One finished request: counted, and its duration observed, whatever its status.
    func requestFinished(method: String, route: String, status: Int, nanoseconds: UInt64) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(
            name: "vlm_audit_http_requests_total", labels: labels,
            help: "HTTP requests answered, by method, route pattern and status code"
        ).increment()
        registry.makeDurationHistogram(
            name: "vlm_audit_http_request_duration_seconds", labels: labels, buckets: durationBuckets,
            help: "Time from receiving a request to its response, by method, route pattern and status code"
        )
        .record(.nanoseconds(Int64(clamping: nanoseconds)))
    }

    /// Counts one request's records by kind and outcome.
    func recordOutcomes(kind: String, inserted: Int, duplicates: Int, rejected: Int) {
        for (outcome, count) in [("inserted", inserted), ("duplicate", duplicates), ("quarantined", rejected)] where count > 0 {
            registry.makeCounter(
                name: "vlm_audit_records_total", labels: [("kind", kind), ("outcome", outcome)],
                help: "Records received over HTTP, by kind (predictions, labels) and outcome (inserted, duplicate, quarantined)"
            )
            .increment(by: Int64(count))
        }
    }

    /// Makes the series that exist from start-up on, so that a dashboard or an alert rule finds them before the first event.
    private func registerStartupSeries() {
        readiness(false)
        registry.makeCounter(name: "vlm_audit_db_unavailable_total", help: unavailableHelp)
    }

    let unavailableHelp = "Requests answered 503 because the database was unreachable or busy"

    /// The outcome of the latest readiness check: 1 ready, 0 not.
    func readiness(_ ready: Bool) {
        registry.makeGauge(
            name: "vlm_audit_ready", help: "1 when the database answered and its schema was current at the last readiness check, else 0"
        )
        .set(to: ready ? 1 : 0)
    }

    /// A request refused because the database was unreachable or the service saturated (answered 503).
    func unavailable() {
        registry.makeCounter(name: "vlm_audit_db_unavailable_total", help: unavailableHelp).increment()
    }

    /// Records the newest drift status of each model: `vlm_audit_drift_status{model}` 0 OK, 1 WARN, 2 ALERT.
    func driftStatus(_ runs: [(model: String, status: DriftSeverity)]) {
        for run in runs {
            registry.makeGauge(
                name: "vlm_audit_drift_status", labels: [("model", run.model)],
                help: "The newest stored drift check of each model: 0 OK, 1 WARN, 2 ALERT (vlm-audit drift writes them)"
            )
            .set(to: Self.gaugeValue(run.status))
        }
    }

    private static func gaugeValue(_ severity: DriftSeverity) -> Double {
        switch severity {
        case .ok: 0
        case .warn: 1
        case .alert: 2
        }
    }

    /// Records each model's sequential monitor: `vlm_audit_monitor_e_value{model}` (the whole-model e-value of the active
    /// version) and `vlm_audit_monitor_alarms_total{model}` (alarms recorded, all versions; the counter catches up with the
    /// stored count, which only grows).
    func monitors(_ gauges: [(model: String, eValue: Double, alarms: Int)]) {
        for gauge in gauges {
            registry.makeGauge(
                name: "vlm_audit_monitor_e_value", labels: [("model", gauge.model)],
                help: "The e-value of the sequential monitor of each model's active threshold; an alarm at 1/delta (20 by default)"
            )
            .set(to: gauge.eValue)
            let counter = registry.makeCounter(
                name: "vlm_audit_monitor_alarms_total", labels: [("model", gauge.model)],
                help: "Alarms of the sequential monitors of each model: the model escalates everything until a new version is active")
            let seen = monitorAlarmsSeen.withLock { seen in
                defer { seen[gauge.model] = max(seen[gauge.model] ?? 0, gauge.alarms) }
                return seen[gauge.model] ?? 0
            }
            if gauge.alarms > seen { counter.increment(by: Int64(gauge.alarms - seen)) }
        }
    }

    /// The Prometheus exposition of every metric, with the pool's gauges read now.
    func exposition(service: AuditService) -> [UInt8] {
        let usage = service.poolUsage
        for (name, value, help) in [
            ("vlm_audit_db_pool_connections", usage.size, "Database connections in the service's pool"),
            ("vlm_audit_db_pool_busy", usage.busy, "Pool connections running a request now"),
            ("vlm_audit_db_pool_waiting", usage.waiting, "Requests waiting for a pool connection"),
        ] {
            registry.makeGauge(name: name, help: help).set(to: Double(value))
        }
        return registry.emitToBuffer()
    }
}

/// Counts every request and observes its duration after ``ErrorMiddleware`` has turned errors into responses, so that
/// 4xx and 5xx answers are measured like the rest; the route is the matched pattern (`/v1/models/{model}/evaluation`),
/// never the raw path, so that a model name cannot multiply the series.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AuditRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        // Hummingbird names a path no route matched "NotFound" (or leaves it nil).
        let route =
            context.endpointPath.flatMap { path in
                path == "NotFound" || path == "/NotFound"
                    ? nil
                    : "/" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            } ?? "unmatched"
        metrics.requestFinished(
            method: request.method.rawValue, route: route, status: response.status.code,
            nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
        if response.status == .serviceUnavailable && route != "/readyz" { metrics.unavailable() }
        return response
    }
}
