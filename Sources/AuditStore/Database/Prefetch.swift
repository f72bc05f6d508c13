import AuditCore
import Foundation
import PQ

/// Reads ahead on a connection: the read runs on a helper thread while the caller works on the previous result.
public enum Prefetch {
    /// Starts `read` on `connection` now. The connection belongs to the helper thread until `wait()` on the returned
    /// work has returned; the caller must not use it before.
    public static func read<Value: Sendable>(
        _ connection: PQConnection, _ read: @escaping @Sendable (PQConnection) throws -> Value
    ) -> BackgroundWork<Value> {
        let confined = ConfinedConnection(connection: connection)
        return BackgroundWork { try read(confined.connection) }
    }
}

/// A connection handed to one other thread for the duration of a read.
private struct ConfinedConnection: @unchecked Sendable {
    // @unchecked Sendable: see Prefetch.read; the handing thread does not touch the connection until the read is done.
    let connection: PQConnection
}

/// Slots that parallel chunks fill, one slot per chunk.
final class ParallelResults<Value>: @unchecked Sendable {
    // @unchecked Sendable: every access holds the lock.
    private let lock = NSLock()
    private var slots: [Value?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.withLock { slots[index] = value }
    }

    /// The slots in order (nil where no chunk wrote).
    var values: [Value?] { lock.withLock { slots } }
}
