import Foundation
import Logging
import PQ

/// The product's database: where it is, how to connect, and its schema.
public struct AuditDatabase: Sendable {
    /// Where the database lives.
    public let location: DatabaseLocation
    /// The migrations this binary applies.
    public let migrator: Migrator
    let logger: Logger

    /// A database at `location`, migrated from the files of `migrationsFolder` (default: ``Migrator/configured(environment:)``,
    /// the migrations built into this binary unless `VLM_AUDIT_MIGRATIONS` names a folder).
    public init(location: DatabaseLocation, migrationsFolder: URL? = nil, logger: Logger = Logger(label: "vlm-audit.store")) {
        self.location = location
        self.migrator = migrationsFolder.map { Migrator(folder: $0) } ?? .configured()
        self.logger = logger
    }

    /// The conninfo to hand to libpq; starts the embedded cluster on demand.
    public func conninfo() throws -> String {
        switch location {
        case .external(let conninfo):
            return conninfo
        case .embedded(let cluster):
            if try cluster.status() != .running, try cluster.start() {
                // Said once, by the command that started it: the cluster outlives the command on purpose (the next one
                // connects at once), and nothing should keep running unannounced.
                FileHandle.standardError.write(
                    Data(
                        ("vlm-audit: started the embedded PostgreSQL cluster in \(cluster.home.path); "
                            + "it keeps running after this command (`vlm-audit db stop` stops it)\n").utf8))
            }
            return cluster.conninfo
        }
    }

    /// A new connection (starting the embedded cluster first when needed).
    public func connect() throws -> PQConnection {
        try Self.configured(PQConnection(conninfo: conninfo(), logger: logger))
    }

    /// A pool of `size` connections; the embedded cluster is started now, not on first use.
    public func makePool(size: Int) throws -> StorePool {
        let conninfo = try conninfo()
        let logger = logger
        return StorePool(size: size) { try Self.configured(PQConnection(conninfo: conninfo, logger: logger)) }
    }

    /// A connection to `conninfo` with the product's session settings that waits at most `connectTimeoutSeconds` for
    /// the server.
    public func connect(conninfo: String, connectTimeoutSeconds: Int) throws -> StoreConnection {
        try Self.configured(PQConnection(conninfo: conninfo, connectTimeoutSeconds: connectTimeoutSeconds, logger: logger))
    }

    /// A connection of the HTTP service's pool to `conninfo` (resolved once at start-up): the product's session settings,
    /// a statement timeout so that no request holds a connection for long, and a bounded wait for the server.
    public func serviceConnection(conninfo: String, connectTimeoutSeconds: Int, statementTimeoutSeconds: Int) throws -> StoreConnection {
        let connection = try connect(conninfo: conninfo, connectTimeoutSeconds: connectTimeoutSeconds)
        try connection.execute("SET statement_timeout = '\(statementTimeoutSeconds)s'")
        return connection
    }

    /// Session settings of every connection the product opens. JIT compilation is off: the per-model reads of the
    /// report and evaluation cross its cost threshold, and compiling took longer (0.8 s a query) than it saved.
    /// `work_mem` is 64 MB instead of 4 MB: a model's month (about 100 k rows) is then sorted in memory instead of
    /// on disk, and its rows are found through a bitmap of the (model, occurred_at) index instead of a scan of
    /// every prediction (1.5 s → 1.1 s a model on the benchmark). The product opens a handful of sessions (the
    /// service's pool is 4 by default), so the bound stays far below the machine's memory.
    private static func configured(_ connection: PQConnection) throws -> PQConnection {
        try connection.execute("SET jit = off")
        try connection.execute("SET work_mem = '64MB'")
        return connection
    }

    /// Applies pending migrations; returns the file names applied now.
    @discardableResult
    public func migrate(_ connection: PQConnection) throws -> [String] {
        try migrator.migrate(connection)
    }
}
