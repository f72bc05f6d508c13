import AuditApp
import Logging
import ServiceLifecycle

/// Recalibrates every model at a fixed interval while the server runs (`serve --recalibrate-every`).
///
/// Each run is an ordinary `recalibrate`: it stores a version only when there is new data, and the acceptance
/// policy decides whether it becomes active. A failed run is logged and retried at the next interval.
public struct RecalibrationScheduler: Service {
    let service: AuditService
    let intervalSeconds: Double
    let options: RecalibrationOptions
    let logger: Logger

    public init(
        service: AuditService, intervalSeconds: Double, options: RecalibrationOptions,
        logger: Logger = Logger(label: "vlm-audit.scheduler")
    ) {
        self.service = service
        self.intervalSeconds = intervalSeconds
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(intervalSeconds)) }
            } catch {
                return  // shutting down
            }
            do {
                for outcome in try await service.recalibrateAll(options: options) {
                    logger.notice("recalibrated \(outcome.model): \(outcome.status.rawValue), \(outcome.message)")
                }
            } catch {
                logger.error("scheduled recalibration failed: \(error)")
            }
        }
    }
}
