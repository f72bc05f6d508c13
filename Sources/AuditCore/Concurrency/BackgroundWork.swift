import Foundation

/// One piece of work running on its own thread while the caller does something else; ``wait()`` collects its value.
///
/// A dedicated thread, not a dispatch queue: the work usually blocks on the database, which must not starve the
/// dispatch pool that parallel computations run on.
public final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `outcome` is written once by the worker thread before it signals `done`, and read only
    // after `wait()` has seen that signal; `finished` is touched by the waiting thread only.
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<Value, Error>?
    private var finished = false

    /// Starts `work` now.
    public init(_ work: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            outcome = Result { try work() }
            done.signal()
        }
        thread.start()
    }

    /// Runs `work` on a thread of its own and awaits its value without holding a thread of Swift's cooperative pool, which
    /// async code sharing the process (an HTTP server, other tasks) needs meanwhile.
    public static func value(of work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// The work's value once it is done (rethrows its error). Call it from one thread.
    public func wait() throws -> Value {
        if !finished {
            done.wait()
            finished = true
        }
        return try outcome!.get()
    }
}
