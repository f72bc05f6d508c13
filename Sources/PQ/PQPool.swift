import Foundation

/// A fixed set of connections, each owned by its own worker thread, for use from async code.
///
/// Blocking libpq calls run on the pool's threads, never on Swift's cooperative thread pool. A connection
/// is made on first use and remade after it is lost, so the pool recovers by itself when the server returns.
///
/// ```swift
/// let pool = PQPool(size: 4) { try PQConnection(conninfo: "") }
/// let count = try await pool.withConnection { try $0.query("SELECT count(*) FROM t").int(0, 0) }
/// ```
public final class PQPool: Sendable {
    private let jobs: JobQueue
    /// Number of connections (and worker threads).
    public let size: Int

    /// Starts `size` worker threads; each calls `connect` when it first needs a connection.
    public init(size: Int, connect: @escaping @Sendable () throws -> PQConnection) {
        precondition(size > 0, "a pool needs at least one connection")
        self.size = size
        jobs = JobQueue()
        for index in 0..<size {
            jobs.workerStarted()
            let thread = Thread { [jobs] in
                Worker(connect: connect).run(jobs)
                jobs.workerStopped()
            }
            thread.name = "vlm-audit.pq.\(index)"
            thread.start()
        }
    }

    deinit {
        jobs.close()
    }

    /// Runs `body` with exclusive use of one connection on a pool thread and returns its value.
    ///
    /// - Throws: whatever `body` throws, or the connection error when no connection could be made.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PQConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job(
                run: { connection in continuation.resume(with: Result { try body(connection) }) },
                fail: { error in continuation.resume(throwing: error) }
            )
            if !jobs.submit(job) {
                continuation.resume(throwing: PQError(kind: .connection, message: "the connection pool is shut down"))
            }
        }
    }

    /// Counts for monitoring: connections busy running a job and jobs waiting for one.
    public var usage: (busy: Int, waiting: Int) { jobs.usage }

    /// Stops the workers once the queued jobs are done, closes their connections, and waits for both.
    public func shutdown() {
        jobs.close()
        jobs.waitForWorkers()
    }
}

private struct Job: Sendable {
    let run: @Sendable (PQConnection) -> Void
    let fail: @Sendable (any Error) -> Void
}

/// The jobs waiting for a worker.
private final class JobQueue: @unchecked Sendable {
    // @unchecked Sendable: every stored property is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var head = 0
    private var closed = false
    private var busy = 0
    private var liveWorkers = 0

    func workerStarted() {
        condition.lock()
        liveWorkers += 1
        condition.unlock()
    }

    func workerStopped() {
        condition.lock()
        liveWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    func waitForWorkers() {
        condition.lock()
        while liveWorkers > 0 { condition.wait() }
        condition.unlock()
    }

    func submit(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        pending.append(job)
        condition.signal()
        return true
    }

    /// The next job, or nil once closed and drained. Marks the caller busy until `finished()`.
    func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == pending.count && !closed { condition.wait() }
        guard head < pending.count else { return nil }
        let job = pending[head]
        head += 1
        if head > 1024 && head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
        busy += 1
        return job
    }

    func finished() {
        condition.lock()
        busy -= 1
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    var usage: (busy: Int, waiting: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (busy, pending.count - head)
    }
}

/// One pool thread and the connection it alone owns.
private final class Worker {
    private let connect: @Sendable () throws -> PQConnection
    private var connection: PQConnection?

    init(connect: @escaping @Sendable () throws -> PQConnection) {
        self.connect = connect
    }

    func run(_ jobs: JobQueue) {
        while let job = jobs.next() {
            do {
                if connection?.isHealthy != true { connection = try connect() }
                job.run(connection!)
            } catch {
                connection = nil
                job.fail(error)
            }
            if connection?.isHealthy == false { connection = nil }
            jobs.finished()
        }
        connection = nil
    }
}
