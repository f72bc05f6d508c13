import Foundation
import PQ

/// Applies `Migrations/NNNN_name.sql` in order, each once, each in its own transaction, recorded in
/// `schema_migrations` with its sha256; an applied file that has since changed is an error naming it.
///
/// The binary carries the migrations it was built with (``embedded``), so an installed binary needs no checkout;
/// a folder given with `--migrations` or `VLM_AUDIT_MIGRATIONS` replaces them.
public struct Migrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
        public let checksum: String
    }

    /// Why migrating stopped.
    public enum Failure: Error, CustomStringConvertible {
        case folderMissing(String)
        case badFileName(String)
        case duplicateVersion(Int)
        case checksumChanged(file: String, applied: String, now: String)
        case failed(file: String, PQError)

        public var description: String {
            switch self {
            case .folderMissing(let path):
                return "migrations folder not found: \(path) (pass --migrations PATH or set VLM_AUDIT_MIGRATIONS)"
            case .badFileName(let name):
                return "migration file \(name) is not named NNNN_name.sql"
            case .duplicateVersion(let version):
                return "two migration files share version \(version)"
            case .checksumChanged(let file, let applied, let now):
                return "migration \(file) was edited after it was applied (applied sha256 \(applied.prefix(12))…, "
                    + "file now \(now.prefix(12))…); add a new migration instead of editing an applied one"
            case .failed(let file, let error):
                return "migration \(file) failed: \(error)"
            }
        }
    }

    /// Earlier texts of migrations that were rewritten without changing what they define where they ran: a store that
    /// applied one of them is current. 0001, 0002, 0003 and 0007 created the roles and granted to them unconditionally,
    /// which a plain database owner (no CREATEROLE) cannot do; their rewrites create roles only when the migrating role
    /// may, and grant only to roles that exist (docs/deployment.md). The schema they define is the same, which `verify`'s
    /// schema comparison (a replay of the current texts) checks on every store.
    static let equivalentEarlierChecksums: [String: Set<String>] = [
        "0001_records.sql": ["ac9f9edc98b3038c58d8779ad7632076eb5383ccfdd6c5ade4c2b839bc6d735e"],
        "0002_drift_findings.sql": ["9bc7186d0b7f8ac949b05ac6b924b1996da1132a85ea540c2d6578024f43831e"],
        "0003_api_tokens.sql": ["700ebbc92b38d886753e3cbe08f365aecf8ccf57484e855ad2d328ad6c0a314e"],
        "0007_drift_run_chain.sql": ["1535283e76fd97fd9b6d2b8ebe78928ff57216a17f1a95c46a3f2197408406fa"],
    ]

    /// The table of applied migrations, made before the first migration (which protects it like a record table).
    static let createSchemaMigrations = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// The folder holding the migration files; nil for the ones built into this binary.
    public let folder: URL?

    /// A migrator over the files of `folder`.
    public init(folder: URL) {
        self.folder = folder
    }

    private init() {
        folder = nil
    }

    /// The migrations built into this binary (scripts/embed-migrations.py writes them from `Migrations/`).
    public static let embedded = Migrator()

    /// Where the migrations come from, for messages.
    public var sourceDescription: String { folder?.path ?? "built into this binary" }

    /// The migration files, in version order.
    public func migrations() throws -> [Migration] {
        var files: [(name: String, bytes: [UInt8])] = []
        if let folder {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
                throw Failure.folderMissing(folder.path)
            }
            for name in names.sorted() where name.hasSuffix(".sql") {
                files.append((name, Array(try Data(contentsOf: folder.appendingPathComponent(name)))))
            }
        } else {
            files = Self.embeddedFiles.map { ($0.name, Array(Data(base64Encoded: $0.base64, options: .ignoreUnknownCharacters)!)) }
        }
        var result: [Migration] = []
        for (name, bytes) in files {
            guard let underscore = name.firstIndex(of: "_"), let version = Int(name[..<underscore]) else {
                throw Failure.badFileName(name)
            }
            result.append(
                Migration(
                    version: version, name: name, sql: String(decoding: bytes, as: UTF8.self),
                    checksum: ChainHash.sha256(bytes: bytes)))
        }
        if let duplicate = Dictionary(grouping: result, by: \.version).first(where: { $0.value.count > 1 }) {
            throw Failure.duplicateVersion(duplicate.key)
        }
        return result
    }

    /// Applies what is pending and returns the names applied now (empty when up to date).
    ///
    /// Concurrent runs are serialised by an advisory lock, so two processes never apply the same file.
    @discardableResult
    public func migrate(_ connection: PQConnection) throws -> [String] {
        let files = try migrations()
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").bool(0, 0) ?? false
        if !exists {
            try connection.execute(Self.createSchemaMigrations)
        }
        try connection.query("SELECT pg_advisory_lock($1)", [StoreLocks.migrations])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [StoreLocks.migrations]) }
        let applied = try appliedChecksums(connection)
        var appliedNow: [String] = []
        for migration in files {
            if let checksum = applied[migration.version] {
                guard checksum == migration.checksum || Self.equivalentEarlierChecksums[migration.name]?.contains(checksum) == true else {
                    throw Failure.checksumChanged(file: migration.name, applied: checksum, now: migration.checksum)
                }
                continue
            }
            do {
                try connection.transaction {
                    try connection.execute(migration.sql)
                    try connection.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, migration.checksum]
                    )
                }
            } catch let error as PQError {
                throw Failure.failed(file: migration.name, error)
            }
            appliedNow.append(migration.name)
        }
        return appliedNow
    }

    /// The migrations not yet applied (empty when the schema is current).
    public func pending(_ connection: PQConnection) throws -> [String] {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").bool(0, 0) ?? false
        let applied = exists ? try appliedChecksums(connection) : [:]
        return try migrations().filter { applied[$0.version] == nil }.map(\.name)
    }

    private func appliedChecksums(_ connection: PQConnection) throws -> [Int: String] {
        let rows = try connection.query("SELECT version, checksum FROM schema_migrations")
        var result: [Int: String] = [:]
        for row in rows.rows {
            result[try row.decode("version")] = try row.decode("checksum")
        }
        return result
    }

    /// The migrations to apply: the folder named by `VLM_AUDIT_MIGRATIONS` when it is set, else the ones built into
    /// this binary.
    public static func configured(environment: [String: String] = ProcessInfo.processInfo.environment) -> Migrator {
        if let configured = environment["VLM_AUDIT_MIGRATIONS"], !configured.isEmpty {
            return Migrator(folder: URL(fileURLWithPath: configured))
        }
        return .embedded
    }
}

enum StoreLocks {
    static let migrations: Int64 = 0x766c_6d61_0001
    static let chain: Int64 = 0x766c_6d61_0002
    static let calibrationEvents: Int64 = 0x766c_6d61_0003
    static let driftRuns: Int64 = 0x766c_6d61_0004
    static let auditPlans: Int64 = 0x766c_6d61_0006
    static let monitorEvents: Int64 = 0x766c_6d61_0007
    static let checkpoints: Int64 = 0x766c_6d61_0008
    static let accessEvents: Int64 = 0x766c_6d61_0009
    static let calibrationSignatures: Int64 = 0x766c_6d61_000a
    static let calibrationPolicy: Int64 = 0x766c_6d61_000b
    /// The first key of a model's monitor lock, `pg_advisory_xact_lock(monitorModel, hashtext(model))`.
    static let monitorModel: Int32 = 0x766c_6d63
    /// Held (session level, briefly) while a batch draws its id and takes its ticket.
    static let batchDraw: Int64 = 0x766c_6d61_0005
    /// The first key of a batch's ticket, `pg_advisory_xact_lock(batchTicket, batch_id)`: held by the batch's transaction.
    static let batchTicket: Int64 = 0x766c_6d62
    static func recalibration(model: String) -> String { "vlm-audit.recalibrate.\(model)" }
}
