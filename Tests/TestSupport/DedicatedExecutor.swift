import Foundation

/// A task executor with threads of its own, for an in-process server under test.
///
/// Swift Testing runs other suites' synchronous work (database calls, child processes) on the cooperative pool, which
/// has one thread per core. A server whose tasks queue behind that work can leave a request unanswered for many seconds;
/// tasks that prefer this executor run on its threads instead.
public final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `jobs` is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    /// One executor shared by every test server of the process.
    public static let shared = DedicatedExecutor(threads: 4, name: "vlm-audit.test-server")

    /// Starts `threads` threads that run enqueued jobs for as long as the process lives.
    public init(threads: Int, name: String) {
        for index in 0..<threads {
            let thread = Thread { [self] in
                while true { nextJob().runSynchronously(on: asUnownedTaskExecutor()) }
            }
            thread.name = "\(name).\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func nextJob() -> UnownedJob {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty { condition.wait() }
        return jobs.removeFirst()
    }
}
