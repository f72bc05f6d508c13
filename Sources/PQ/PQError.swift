import CLibPQ

/// An error from PostgreSQL or from libpq, carrying the server's SQLSTATE when there is one.
///
/// The description never contains a password or a connection string: libpq's messages name the
/// host, user and database at most.
public struct PQError: Error, CustomStringConvertible, Sendable {
    /// What kind of operation failed.
    public enum Kind: String, Sendable {
        case connection, query, copy, protocolViolation = "protocol"
    }

    /// The operation that failed.
    public let kind: Kind
    /// The five-character SQLSTATE (e.g. `23505` for a unique violation), when the server sent one.
    public let sqlState: String?
    /// The primary, human-readable message.
    public let message: String
    /// The server's DETAIL field, if any.
    public let detail: String?
    /// The server's HINT field, if any.
    public let hint: String?
    /// True when the connection was found broken after the failure (the server went away mid-session).
    public let connectionBroken: Bool

    /// Creates an error from its parts.
    public init(
        kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil,
        connectionBroken: Bool = false
    ) {
        self.kind = kind
        self.connectionBroken = connectionBroken
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    /// True for errors after which the connection itself is unusable (server gone, network cut).
    public var isConnectionLoss: Bool {
        if kind == .connection || connectionBroken { return true }
        guard let state = sqlState else { return false }
        // Class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now).
        return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
    }

    /// True for a failure to connect that may pass by itself (the server is down, starting, stopping or out of reach),
    /// as opposed to one retrying cannot fix (a wrong password, a missing database or role, a malformed conninfo).
    public var isTransientConnectionFailure: Bool {
        guard kind == .connection else { return false }
        let transient = [
            "Connection refused", "timeout expired", "starting up", "shutting down", "No such file or directory",
            "server closed the connection", "could not receive data", "Network is unreachable", "No route to host",
            "in recovery mode", "too many clients",
        ]
        return transient.contains { message.contains($0) }
    }

    /// True for a unique-constraint violation (SQLSTATE 23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// True when the server rolled the transaction back to break a deadlock (SQLSTATE 40P01); trying it again can succeed.
    public var isDeadlock: Bool { sqlState == "40P01" }

    public var description: String {
        var text = "PostgreSQL \(kind.rawValue) error"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail { text += " (detail: \(detail))" }
        if let hint { text += " (hint: \(hint))" }
        return text
    }

    /// Builds an error from a failed result, or from the connection's message when the result is missing.
    static func from(result: OpaquePointer?, connection: OpaquePointer?, kind: Kind) -> PQError {
        func field(_ code: Int32) -> String? {
            guard let result, let raw = PQresultErrorField(result, code) else { return nil }
            return String(cString: raw)
        }
        let primary = field(Int32(UInt8(ascii: "M")))
        let fallback = connection.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? "unknown libpq error"
        let message = (primary ?? fallback).trimmingTrailingNewlines()
        return PQError(
            kind: kind,
            sqlState: field(Int32(UInt8(ascii: "C"))),
            message: message,
            detail: field(Int32(UInt8(ascii: "D"))),
            hint: field(Int32(UInt8(ascii: "H"))),
            // A server that went away mid-session sends no SQLSTATE; the connection's state, or failing that libpq's
            // own message for a lost connection, tells.
            connectionBroken: connection.map { PQstatus($0) == CONNECTION_BAD } ?? false
                || (field(Int32(UInt8(ascii: "C"))) == nil && lostConnectionMessages.contains { message.contains($0) })
        )
    }
}

/// libpq's client-side messages for a connection that is gone (they carry no SQLSTATE).
private let lostConnectionMessages = [
    "server closed the connection unexpectedly", "no connection to the server", "terminating connection",
    "could not receive data from server", "could not send data to server", "connection to server",
]

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == "\r" || last == " " { text = text.dropLast() }
        return String(text)
    }
}
