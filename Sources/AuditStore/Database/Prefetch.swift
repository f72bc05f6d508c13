import AuditCore
import PQ

/// Reads ahead on a connection: the read runs on a helper thread while the caller works on the previous result.
public enum Prefetch {
    /// Calls `body` with `read(key)` for each key in order, reading one key ahead: the read of the next key runs on a
    /// helper thread while `body` handles the current one. `awaiting` wraps each wait (to time it, say). The
    /// connection belongs to the helper thread during a read and is free again whenever this returns or throws.
    public static func forEach<Key: Sendable, Value: Sendable>(
        _ keys: [Key], on connection: PQConnection,
        read: @escaping @Sendable (PQConnection, Key) throws -> Value,
        awaiting: (() throws -> Value) throws -> Value = { try $0() },
        _ body: (Key, Value) throws -> Void
    ) throws {
        let confined = ConfinedConnection(connection: connection)
        func start(_ key: Key) -> BackgroundWork<Value> { BackgroundWork { try read(confined.connection, key) } }
        var next = keys.first.map(start)
        defer { _ = try? next?.wait() }
        for (index, key) in keys.enumerated() {
            let value = try awaiting { try next!.wait() }
            next = index + 1 < keys.count ? start(keys[index + 1]) : nil
            try body(key, value)
        }
    }
}

/// A connection handed to one other thread for the duration of a read.
private struct ConfinedConnection: @unchecked Sendable {
    // @unchecked Sendable: see Prefetch.forEach; the handing thread does not touch the connection until the read is done.
    let connection: PQConnection
}
