import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// One libpq connection. Not Sendable: confine it to one thread at a time (``PQPool`` does).
///
/// Every call blocks the calling thread until the server answers, so never call it from Swift's
/// cooperative thread pool; use ``PQPool/withConnection(_:)`` from async code.
public final class PQConnection {
    let handle: OpaquePointer
    private let noticeSink: Unmanaged<NoticeSink>

    /// Connects with a conninfo string or `postgresql://` URI; an empty string uses libpq's
    /// environment rules (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE`,
    /// `~/.pgpass`, service files) exactly as `psql` does.
    ///
    /// - Throws: ``PQError`` of kind `.connection` with libpq's message, every text of `conninfo` or `PGPASSWORD` that may
    ///   be a password replaced (``ConnectionSecrets``).
    ///
    /// `connectTimeoutSeconds`, when given, bounds the time spent connecting unless the conninfo sets its own.
    public init(
        conninfo: String, applicationName: String = "vlm-audit", connectTimeoutSeconds: Int? = nil,
        logger: Logger = Logger(label: "vlm-audit.pq")
    ) throws {
        // Keywords before dbname are overridden by the conninfo's own settings.
        var keywords = ["dbname", "fallback_application_name"]
        var values = [conninfo, applicationName]
        if let connectTimeoutSeconds {
            keywords.insert("connect_timeout", at: 0)
            values.insert(String(connectTimeoutSeconds), at: 0)
        }
        let connection = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PQError(kind: .connection, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let error = PQError.from(result: nil, connection: connection, kind: .connection)
            PQfinish(connection)
            throw error.redacting(ConnectionSecrets.secrets(in: conninfo))
        }
        handle = connection
        noticeSink = Unmanaged.passRetained(NoticeSink(logger: logger))
        PQsetNoticeProcessor(
            connection,
            { context, message in
                guard let context, let message else { return }
                let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
                sink.logger.notice("\(String(cString: message).trimmingTrailingNewlines())")
            }, noticeSink.toOpaque())
        try execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'")
    }

    deinit {
        PQfinish(handle)
        noticeSink.release()
    }

    /// True while the connection is usable.
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's major version number, e.g. 15.
    public var serverMajorVersion: Int { Int(PQserverVersion(handle)) / 10_000 }

    /// Runs one statement with parameters sent out of band (`$1`, `$2`, …) and returns its rows.
    ///
    /// - Throws: ``PQError`` carrying the SQLSTATE, message, detail and hint.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PQEncodable)?] = []) throws -> PQResult {
        let texts = parameters.map { $0?.pqText }
        let result = withOptionalCStringArray(texts) { pointers in
            PQexecParams(handle, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
        }
        return try check(result, kind: .query)
    }

    /// Runs one or more statements without parameters (DDL, migrations, `BEGIN`/`COMMIT`).
    public func execute(_ sql: String) throws {
        _ = try check(PQexec(handle, sql), kind: .query)
    }

    /// Runs `body` inside a transaction: commits when it returns, rolls back when it throws.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isHealthy { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Streams data into a `COPY … FROM STDIN` statement (text format).
    ///
    /// `produce` receives a ``CopyInStream`` to send encoded rows through (see ``CopyRowEncoder``).
    /// When it throws, the COPY is aborted on the server and the error is rethrown.
    /// - Returns: the number of rows the server reports as copied.
    @discardableResult
    public func copyIn(_ sql: String, _ produce: (CopyInStream) throws -> Void) throws -> Int {
        let started = try checkStatus(PQexec(handle, sql), expecting: PGRES_COPY_IN, kind: .copy)
        _ = started
        let stream = CopyInStream(handle: handle)
        do {
            try produce(stream)
        } catch {
            _ = PQputCopyEnd(handle, "aborted by client")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw PQError.from(result: nil, connection: handle, kind: .copy)
        }
        let result = try check(PQgetResult(handle), kind: .copy)
        drainResults()
        return result.affectedRows
    }

    private func drainResults() {
        while let extra = PQgetResult(handle) { PQclear(extra) }
    }

    private func check(_ result: OpaquePointer?, kind: PQError.Kind) throws -> PQResult {
        guard let result else { throw PQError.from(result: nil, connection: handle, kind: kind) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PQResult(handle: result)
        default:
            let error = PQError.from(result: result, connection: handle, kind: kind)
            PQclear(result)
            throw error
        }
    }

    private func checkStatus(_ result: OpaquePointer?, expecting status: ExecStatusType, kind: PQError.Kind) throws -> PQResult {
        guard let result else { throw PQError.from(result: nil, connection: handle, kind: kind) }
        guard PQresultStatus(result) == status else {
            let error = PQError.from(result: result, connection: handle, kind: kind)
            PQclear(result)
            throw error
        }
        return PQResult(handle: result)
    }
}

/// The sending side of a `COPY … FROM STDIN` in progress.
public final class CopyInStream {
    private let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// Sends already-encoded COPY data (text: whole rows, each ending in a newline; binary: see ``CopyBinaryEncoder``).
    public func send(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { try send($0) }
    }

    /// Sends already-encoded COPY data from a buffer.
    public func send(_ buffer: UnsafeBufferPointer<UInt8>) throws {
        guard let start = buffer.baseAddress, !buffer.isEmpty else { return }
        let status = start.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
            PQputCopyData(handle, pointer, Int32(buffer.count))
        }
        guard status == 1 else { throw PQError.from(result: nil, connection: handle, kind: .copy) }
    }
}

/// Routes server notices (`RAISE NOTICE`, warnings) to the logger instead of stderr.
private final class NoticeSink {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStringArray(strings.map { Optional($0) }) { pointers in
        body(pointers + [nil])
    }
}

private func withOptionalCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { owned.forEach { free($0) } }
    return body(owned.map { $0.map { UnsafePointer($0) } })
}
