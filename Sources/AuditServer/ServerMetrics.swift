import AuditApp
import Metrics
import Prometheus
import Synchronization

/// The process's metrics: swift-metrics, exported in Prometheus text format by swift-prometheus.
///
/// swift-metrics has one global backend per process, so the registry is made and bootstrapped once, on first use.
enum ServerMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Counts one request's records by kind and outcome.
    static func recordOutcomes(kind: String, inserted: Int, duplicates: Int, rejected: Int) {
        _ = registry
        for (outcome, count) in [("inserted", inserted), ("duplicate", duplicates), ("quarantined", rejected)] where count > 0 {
            Counter(label: "vlm_audit_records_total", dimensions: [("kind", kind), ("outcome", outcome)]).increment(by: count)
        }
    }

    /// The Prometheus exposition of every metric, with the pool's gauges read now.
    static func exposition(service: AuditService) -> [UInt8] {
        let usage = service.poolUsage
        Gauge(label: "vlm_audit_db_pool_connections").record(usage.size)
        Gauge(label: "vlm_audit_db_pool_busy").record(usage.busy)
        Gauge(label: "vlm_audit_db_pool_waiting").record(usage.waiting)
        return registry.emitToBuffer()
    }
}
