import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster run from the installed server binaries, reachable only through a
/// Unix socket (no TCP port), so that a newcomer needs no database administration.
///
/// Data lives in `home/pgdata`; the socket in `home/run` (or a short folder under `/tmp` when that path
/// would exceed the Unix socket limit). When invoked as root the cluster runs as the `postgres` system
/// user, since `initdb` refuses to run as root. See docs/embedded-cluster.md.
public struct EmbeddedCluster: Sendable {
    /// The folder that holds everything of the cluster (`VLM_AUDIT_HOME`, default `./.vlm-audit`).
    public let home: URL
    /// The database the product uses inside the cluster.
    public let databaseName = "vlm_audit"
    /// The superuser role created by `initdb`.
    public let superuser = "vlm_audit"
    /// Extra `postgresql.conf` lines (tests turn fsync off for speed).
    public var extraSettings: [String] = []
    /// Extra `pg_hba.conf` rules placed before the default `trust` rules (tests check password errors).
    public var extraAccessRules: [String] = []

    /// A cluster in `home`.
    public init(home: URL) {
        self.home = home.standardizedFileURL
    }

    /// The cluster of `VLM_AUDIT_HOME`, or `./.vlm-audit` in the working directory.
    public init(environment: [String: String]) {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if let configured = environment["VLM_AUDIT_HOME"], !configured.isEmpty {
            self.init(home: URL(fileURLWithPath: configured, relativeTo: cwd))
        } else {
            self.init(home: cwd.appendingPathComponent(".vlm-audit"))
        }
    }

    /// The data directory (`PGDATA`).
    public var dataDirectory: URL { storageRoot.appendingPathComponent("pgdata") }
    /// The server log.
    public var logFile: URL { storageRoot.appendingPathComponent("postgres.log") }

    /// Where the cluster's files live: `home`, unless the server's user cannot reach it (root's home
    /// folders, typically), in which case a folder under /tmp named after `home`.
    var storageRoot: URL {
        guard runsAsServiceUser, !Self.isTraversableByOthers(home.deletingLastPathComponent()) else { return home }
        return URL(fileURLWithPath: "/tmp/vlm-audit-\(Self.shortHash(home.path))")
    }

    /// The Unix socket folder, short enough for the ~100-byte socket path limit.
    public var socketDirectory: URL {
        let preferred = storageRoot.appendingPathComponent("run")
        if preferred.path.utf8.count <= 80 { return preferred }
        return URL(fileURLWithPath: "/tmp/vlm-audit-\(Self.shortHash(home.path))-run")
    }

    /// The libpq conninfo of the product database.
    public var conninfo: String {
        "host='\(socketDirectory.path)' dbname=\(databaseName) user=\(superuser)"
    }

    /// The conninfo of another database in the same cluster.
    public func conninfo(database: String) -> String {
        "host='\(socketDirectory.path)' dbname=\(database) user=\(superuser)"
    }

    var runsAsServiceUser: Bool { geteuid() == 0 }

    // MARK: - Lifecycle

    /// The cluster's state as `pg_ctl status` sees it.
    public enum Status: Equatable, Sendable {
        case notInitialized, stopped, running
    }

    /// Whether the cluster exists and is running.
    public func status() throws -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) else {
            return .notInitialized
        }
        let result = try run(binary: "pg_ctl", ["status", "-D", dataDirectory.path])
        return result.status == 0 ? .running : .stopped
    }

    /// Initialises the cluster if needed, starts it if stopped, and creates the product database.
    ///
    /// Safe to call from several processes at once: a lock file serialises them.
    /// - Returns: true when this call started the server.
    @discardableResult
    public func start() throws -> Bool {
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return try withLock {
            try prepareFolders()
            if try status() == .notInitialized { try initialize() }
            guard try status() != .running else { return false }
            let result = try run(
                binary: "pg_ctl",
                ["start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "120", "-s"]
            )
            guard result.status == 0 else {
                throw EmbeddedClusterError.commandFailed(
                    "pg_ctl start", "\(result.output)\n\(tailOfLog())".trimmingCharacters(in: .whitespacesAndNewlines))
            }
            try createDatabaseIfMissing()
            return true
        }
    }

    /// Stops the server (fast mode: open transactions are rolled back, sessions ended).
    /// - Returns: true when a running server was stopped.
    @discardableResult
    public func stop() throws -> Bool {
        guard try status() == .running else { return false }
        let result = try run(binary: "pg_ctl", ["stop", "-D", dataDirectory.path, "-m", "fast", "-w", "-t", "60", "-s"])
        guard result.status == 0 else { throw EmbeddedClusterError.commandFailed("pg_ctl stop", result.output) }
        return true
    }

    private func initialize() throws {
        let result = try run(
            binary: "initdb",
            [
                "-D", dataDirectory.path, "-U", superuser, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-instructions",
            ])
        guard result.status == 0 else { throw EmbeddedClusterError.commandFailed("initdb", result.output) }
        let settings =
            [
                "# Written by vlm-audit: a private cluster reachable only through its Unix socket.",
                "listen_addresses = ''",
                "unix_socket_directories = '\(socketDirectory.path)'",
                "unix_socket_permissions = 0700",
                "max_connections = 100",
                "shared_buffers = 256MB",
                "logging_collector = off",
            ] + extraSettings
        let config = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: config)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(("\n" + settings.joined(separator: "\n") + "\n").utf8))
        if !extraAccessRules.isEmpty {
            let hba = dataDirectory.appendingPathComponent("pg_hba.conf")
            let rules = try String(contentsOf: hba, encoding: .utf8)
            try (extraAccessRules.joined(separator: "\n") + "\n" + rules).write(to: hba, atomically: false, encoding: .utf8)
        }
    }

    private func createDatabaseIfMissing() throws {
        let check = try run(
            binary: "psql",
            [
                "-X", "-q", "-h", socketDirectory.path, "-U", superuser, "-d", "postgres", "-tAc",
                "SELECT 1 FROM pg_database WHERE datname = '\(databaseName)'",
            ])
        guard check.output.trimmingCharacters(in: .whitespacesAndNewlines) != "1" else { return }
        let create = try run(binary: "createdb", ["-h", socketDirectory.path, "-U", superuser, databaseName])
        guard create.status == 0 else { throw EmbeddedClusterError.commandFailed("createdb", create.output) }
    }

    private func prepareFolders() throws {
        let manager = FileManager.default
        for folder in [storageRoot, socketDirectory] {
            try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: socketDirectory.path)
        guard runsAsServiceUser else { return }
        for folder in [storageRoot, socketDirectory] {
            _ = try Self.execute("/bin/chown", ["-R", "postgres:postgres", folder.path])
        }
    }

    private func tailOfLog() -> String {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(10).joined(separator: "\n")
    }

    // MARK: - Running the server binaries

    /// Runs a PostgreSQL binary, as the `postgres` user when we are root.
    func run(binary: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let path = try Self.serverBinary(binary)
        if runsAsServiceUser {
            // From "/": the caller's working folder may be closed to the postgres user, and psql's warning about it
            // would otherwise be mixed into the output that is parsed.
            return try Self.execute("/sbin/runuser", ["-u", "postgres", "--", "/usr/bin/env", "-C", "/", path] + arguments)
        }
        return try Self.execute(path, arguments)
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let lockPath = home.appendingPathComponent(".lock").path
        let descriptor = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw EmbeddedClusterError.commandFailed("lock", "cannot open \(lockPath)") }
        defer { close(descriptor) }
        flock(descriptor, LOCK_EX)
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// The full path of a server binary: `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`.
    static func serverBinary(_ name: String) throws -> String {
        for folder in serverBinaryFolders() {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw EmbeddedClusterError.serverNotInstalled(name)
    }

    private static func serverBinaryFolders() -> [String] {
        var folders: [String] = []
        if let output = try? execute("/usr/bin/env", ["pg_config", "--bindir"]), output.status == 0 {
            folders.append(output.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let newestFirst = versions.compactMap(Int.init).sorted(by: >)
        folders += newestFirst.map { "/usr/lib/postgresql/\($0)/bin" }
        folders += ["/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin"]
        return folders
    }

    /// Runs a program and returns its exit status with stdout and stderr combined.
    static func execute(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try ProcessRunner.run(path, arguments)
    }

    static func isTraversableByOthers(_ folder: URL) -> Bool {
        var current = folder.standardizedFileURL
        while true {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: current.path),
                let permissions = attributes[.posixPermissions] as? Int
            else { return false }
            if permissions & 0o001 == 0 { return false }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return true }
            current = parent
        }
    }

    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Why the embedded cluster could not be used.
public enum EmbeddedClusterError: Error, CustomStringConvertible {
    case serverNotInstalled(String)
    case commandFailed(String, String)

    public var description: String {
        switch self {
        case .serverNotInstalled(let binary):
            return "PostgreSQL server binaries not found (no \(binary)): install them with "
                + "`apt-get install -y postgresql`, or set DATABASE_URL to use an existing server."
        case .commandFailed(let command, let output):
            return "\(command) failed: \(output)"
        }
    }
}
