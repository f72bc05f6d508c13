import AuditCore
import AuditStore
import Foundation

extension AuditApp {
    /// Who runs this command, as the access log names a command-line reader.
    public static var commandLineActor: String {
        "os:"
            + (ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"]
                ?? ProcessInfo.processInfo.userName)
    }

    /// Records one read at once (the command line's; the HTTP service batches through ``AuditService``).
    public func recordAccess(_ event: AccessEvent) throws {
        try AccessStore.append(migratedConnection(), [event])
    }

    /// Runs `body`, a command-line read of `action` on `object`, and records it in the access log as allowed or, when
    /// `body` throws, as failed (then rethrows). When the event cannot be recorded, the command fails with that error.
    public func audited<T>(_ action: String, object: [String: String], _ body: () throws -> T) throws -> T {
        let started = Timestamp.now()
        func event(_ outcome: AccessOutcome, status: Int) -> AccessEvent {
            AccessEvent(
                occurredAt: started, channel: .cli, actor: Self.commandLineActor, action: "cli " + action, object: object, client: nil,
                outcome: outcome, status: status)
        }
        let value: T
        do {
            value = try body()
        } catch {
            try? recordAccess(event(.failed, status: 1))
            throw error
        }
        try recordAccess(event(.allowed, status: 0))
        return value
    }

    /// The access log of [since, until), oldest first, optionally of one actor (at most `limit` events).
    public func accessLog(
        since: Timestamp? = nil, until: Timestamp? = nil, actor: String? = nil, limit: Int = 10_000
    ) throws
        -> [AccessEvent]
    {
        try AccessStore.list(migratedConnection(), since: since, until: until, actor: actor, limit: limit)
    }
}
