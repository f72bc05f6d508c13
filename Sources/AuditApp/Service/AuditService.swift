import AuditCore
import AuditStore
import Dispatch
import Foundation
import Logging
import Synchronization

/// The application as a long-running service: use cases run asynchronously on a pool of database connections.
///
/// The HTTP face calls only this type. Every method runs its blocking database work on a pool thread, never on
/// Swift's cooperative pool. While PostgreSQL is unreachable, calls fail fast with an error for which
/// ``AuditService/isUnavailable(_:)`` is true, and the pool reconnects by itself when the server returns.
public final class AuditService: Sendable {
    /// The application whose use cases are served.
    public let app: AuditApp
    private let pool: StorePool
    private let schemaReady = Mutex(false)
    private let tokenCache = Mutex<[String: CachedCaller]>([:])
    /// How long a token look-up is remembered; a revocation takes effect within this time.
    public let tokenCacheSeconds: Double
    /// Jobs allowed to wait for a connection before new calls are refused as busy.
    public let maximumQueue: Int
    private let conninfo: String
    private let connectTimeoutSeconds: Int
    /// The access log's writer: requests hand it their events, it stores them in small batches.
    private let accessRecorder: AccessRecorder

    private struct CachedCaller {
        let caller: Caller?
        let until: UInt64
    }

    /// A service over `app`'s database with `connections` pooled connections.
    ///
    /// Each connection gets a statement timeout, so no request can hold a connection for long; connecting
    /// gives up after `connectTimeoutSeconds`.
    public init(
        app: AuditApp, connections: Int = 4, statementTimeoutSeconds: Int = 30, connectTimeoutSeconds: Int = 5,
        maximumQueue: Int = 512, tokenCacheSeconds: Double = 5
    ) throws {
        self.app = app
        self.tokenCacheSeconds = tokenCacheSeconds
        self.maximumQueue = maximumQueue
        // Resolved once: the embedded cluster is started now, and not restarted behind an operator who stops it.
        let conninfo = try app.database.conninfo()
        self.conninfo = conninfo
        self.connectTimeoutSeconds = connectTimeoutSeconds
        let database = app.database
        let pool = StorePool(size: connections) {
            try database.serviceConnection(
                conninfo: conninfo, connectTimeoutSeconds: connectTimeoutSeconds,
                statementTimeoutSeconds: statementTimeoutSeconds)
        }
        self.pool = pool
        accessRecorder = AccessRecorder(logger: app.logger)
        // Batches run as service jobs: on a pool connection, the schema made current once, like every use case.
        accessRecorder.attach { [weak self] events in
            guard let self else { throw AccessRecorderDetached() }
            _ = try await run { app in try AccessStore.append(app.migratedConnection(), events) }
        }
    }

    /// Connects once and brings the schema up to date, so that a failure retrying cannot fix (a wrong password, a missing
    /// database, a schema that cannot be migrated) stops start-up with the server's message. An unreachable server does
    /// not: the pool connects when it returns, and `/readyz` says it is unreachable until then.
    /// - Throws: the connection or migration failure, its text free of passwords.
    public func checkStartup() throws {
        let connection: StoreConnection
        do {
            connection = try app.database.connect(conninfo: conninfo, connectTimeoutSeconds: connectTimeoutSeconds)
        } catch  where DatabaseFailure.isTransientConnectionFailure(error) {
            app.logger.warning("the database is unreachable at start-up; serving, and not ready until it answers: \(error)")
            return
        }
        try app.database.migrate(connection)
        schemaReady.withLock { $0 = true }
    }

    /// Writes the access events still waiting, then closes the pool once the calls in flight are done.
    public func shutdown() async {
        await accessRecorder.close()
        pool.shutdown()
    }

    /// Records one read in the access log (written in the next small batch, off the request path).
    public func recordAccess(_ event: AccessEvent) {
        accessRecorder.record(event)
    }

    /// Writes every access event still waiting (tests; ``shutdown()`` does it too).
    public func flushAccessLog() async {
        await accessRecorder.flush()
    }

    /// Access events written, waiting, and dropped because too many waited while the database was away.
    public var accessLogCounts: (written: Int, pending: Int, dropped: Int) {
        let counts = accessRecorder.counts
        return (counts.written, counts.pending, accessRecorder.dropped)
    }

    /// Connections busy and calls waiting for one.
    public var poolUsage: (size: Int, busy: Int, waiting: Int) {
        let usage = pool.usage
        return (pool.size, usage.busy, usage.waiting)
    }

    /// True when `error` means the database is unreachable or the service is saturated: retry later (HTTP 503).
    public static func isUnavailable(_ error: any Error) -> Bool {
        error is ServiceBusy || DatabaseFailure.isUnavailable(error)
    }

    /// Thrown when too many calls already wait for a connection.
    public struct ServiceBusy: Error, CustomStringConvertible {
        public var description: String { "the service is busy; retry shortly" }
    }

    /// Runs `body` with a copy of the application bound to one pooled, migrated connection.
    func run<T: Sendable>(_ body: @escaping @Sendable (AuditApp) throws -> T) async throws -> T {
        guard pool.usage.waiting < maximumQueue else { throw ServiceBusy() }
        return try await pool.withConnection { [self] connection in
            if !schemaReady.withLock({ $0 }) {
                try app.database.migrate(connection)
                schemaReady.withLock { $0 = true }
            }
            return try body(app.borrowing(connection))
        }
    }

    // MARK: - Use cases

    /// Readiness: the database answers and its schema is current.
    public func readiness() async -> Readiness {
        do {
            return try await run { app in
                let pending = try app.database.migrator.pending(app.migratedConnection())
                return pending.isEmpty
                    ? Readiness(ready: true, reason: nil)
                    : Readiness(ready: false, reason: "pending migrations: \(pending.joined(separator: ", "))")
            }
        } catch {
            app.logger.warning("not ready: \(error)")
            let reason: String
            if DatabaseFailure.isRefusedConnection(error) {
                reason = "the database refuses the connection (credentials, database or role): see the server's log"
            } else {
                reason = Self.isUnavailable(error) ? "database unreachable" : "database check failed: see the server's log"
            }
            return Readiness(ready: false, reason: reason)
        }
    }

    /// The caller holding the bearer token `secret`, or nil (unknown, revoked or malformed). Remembered briefly.
    ///
    /// With `staleWhenUnavailable`, a token that was valid when last looked up is still accepted while the database is
    /// unreachable (the metrics scrape, so that an outage shows in the metrics instead of hiding them).
    public func caller(secret: String, staleWhenUnavailable: Bool = false) async throws -> Caller? {
        guard APITokens.isWellFormed(secret) else { return nil }  // no database round trip for garbage
        let key = APITokens.hash(secret)
        let now = DispatchTime.now().uptimeNanoseconds
        let cached = tokenCache.withLock { $0[key] }
        if let cached, cached.until > now { return cached.caller }
        let caller: Caller?
        do {
            caller = try await run { app in try AuditApp.caller(secret: secret, on: app.migratedConnection()) }
        } catch  where staleWhenUnavailable && Self.isUnavailable(error) && cached?.caller != nil {
            return cached?.caller
        }
        let until = now + UInt64(tokenCacheSeconds * 1e9)
        tokenCache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[key] = CachedCaller(caller: caller, until: until)
        }
        return caller
    }

    /// Ingests records received over the network (already parsed), as one batch.
    public func ingest(_ values: [JSONValue], kind: RecordKind, source: String) async throws -> HTTPIngestResult {
        try await run { app in try app.ingest(values: values, kind: kind, source: source) }
    }

    /// Every model with its counts and active calibration.
    public func models() async throws -> [ModelOverview] {
        try await run { app in try app.modelOverviews() }
    }

    /// The model's active calibration, if any.
    public func activeCalibration(model: String) async throws -> CalibrationVersion? {
        try await run { app in try app.activeCalibration(model: model) }
    }

    /// The model's served calibration (active version and any monitor alarm against it).
    public func servedCalibration(model: String) async throws -> ServedCalibration? {
        try await run { app in try app.servedCalibration(model: model) }
    }

    /// The stored monitor of a model's active version; nil without one. Throws ``UnknownModelError`` for a model with no
    /// prediction.
    public func monitor(model: String) async throws -> ModelMonitor? {
        try await run { app in try app.monitorStatus(model: model) }
    }

    /// The monitors' gauges of every model (for the metrics scrape).
    public func monitorGauges() async throws -> [(model: String, eValue: Double, alarms: Int)] {
        try await run { app in try app.monitorGauges() }
    }

    /// The `evaluate --json` document of a model and window; nil when the model has no predictions at all.
    public func evaluation(model: String, from: Timestamp?, to: Timestamp?) async throws -> JSONValue? {
        try await run { app in
            do {
                return try app.evaluate(model: model, from: from, to: to)
            } catch is UnknownModelError {
                return nil
            }
        }
    }

    /// The audit worklist of a model; nil when the model has no predictions at all.
    public func auditWorklist(model: String, limit: Int) async throws -> AuditWorklist? {
        try await run { app in
            do {
                return try app.auditWorklist(model: model, limit: limit)
            } catch is UnknownModelError {
                return nil
            }
        }
    }

    /// The newest stored drift findings of a model (empty when none were stored).
    public func latestDrift(model: String) async throws -> [DriftRun] {
        try await run { app in try app.latestDrift(model: model) }
    }

    /// The newest stored drift run of every model (for the metrics scrape).
    public func latestDriftOfEveryModel() async throws -> [DriftRun] {
        try await run { app in try app.latestDrift() }
    }

    /// Signs the activation (or rejection) of a calibration version as `signer`.
    /// - Throws: ``CalibrationDecisionRefused`` when the version is unknown or its status does not allow the decision.
    public func decide(version: Int64, activate: Bool, signer: Signer, reason: String) async throws -> SignedDecision {
        try await run { app in
            do {
                return activate
                    ? try app.activateCalibration(id: version, signer: signer, reason: reason)
                    : try app.rejectCalibration(id: version, signer: signer, reason: reason)
            } catch let error as CalibrationStoreError {
                throw CalibrationDecisionRefused(description: error.description, unknownVersion: error.isUnknownVersion)
            }
        }
    }

    /// The monthly report of `month` (YYYY-MM) rendered as JSON or HTML.
    public func monthlyReport(month: String, format: ReportFormat) async throws -> String {
        try await run { app in try app.renderedMonthlyReport(month: month, format: format) }
    }
}

/// Whether the service can take requests, and why not.
public struct Readiness: Sendable {
    public let ready: Bool
    public let reason: String?
}

extension AuditService {
    /// Runs a recalibration of every model (the in-service scheduler's job).
    public func recalibrateAll(options: RecalibrationOptions) async throws -> [RecalibrationOutcome] {
        try await run { app in try app.recalibrate(models: nil, options: options) }
    }
}
