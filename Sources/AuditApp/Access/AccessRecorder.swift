import AuditCore
import Logging
import Synchronization

/// Collects the HTTP service's access events and writes them in small batches, off the request path.
///
/// A request only appends its event to a buffer; the first event of a quiet moment schedules a write 200 ms later, so
/// events arriving meanwhile share one transaction. A failed write (the database away) keeps the events and retries
/// after a second; beyond ``maximumPending`` waiting events the oldest are dropped and counted in ``dropped`` (and the
/// log says so), so an outage cannot exhaust memory.
final class AccessRecorder: Sendable {
    static let maximumPending = 100_000
    static let batchDelay = Duration.milliseconds(200)
    static let retryDelay = Duration.seconds(1)

    private struct State {
        var pending: [AccessEvent] = []
        var scheduled = false
        var writing = false
        var dropped = 0
        var written = 0
        /// Set by ``close()``: no write is scheduled any more.
        var closed = false
    }

    private let state = Mutex(State())
    private let writer = Mutex<(@Sendable ([AccessEvent]) async throws -> Void)?>(nil)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Sets how batches are written (once, by the service that owns the recorder, when it can run jobs).
    func attach(write: @escaping @Sendable ([AccessEvent]) async throws -> Void) {
        writer.withLock { $0 = write }
    }

    /// Events dropped because too many waited while the database was away.
    var dropped: Int { state.withLock { $0.dropped } }
    /// Events written so far, and events waiting.
    var counts: (written: Int, pending: Int) { state.withLock { ($0.written, $0.pending.count) } }

    /// Queues `event` and makes sure a write is scheduled.
    func record(_ event: AccessEvent) {
        let schedule = state.withLock { state -> Bool in
            if state.closed {
                state.dropped += 1
                return false
            }
            if state.pending.count >= Self.maximumPending {
                state.pending.removeFirst()
                state.dropped += 1
            }
            state.pending.append(event)
            guard !state.scheduled else { return false }
            state.scheduled = true
            return true
        }
        if schedule { scheduleWrite(after: Self.batchDelay) }
    }

    /// Writes every waiting event now (tests, and a service shutting down); returns when they are stored or the write
    /// failed.
    func flush() async {
        while true {
            let batch = state.withLock { state -> [AccessEvent]? in
                guard !state.writing, !state.pending.isEmpty else { return nil }
                state.writing = true
                defer { state.pending = [] }
                return state.pending
            }
            guard let batch else {
                if state.withLock({ $0.writing }) {
                    try? await Task.sleep(for: .milliseconds(5))
                    continue
                }
                return
            }
            do {
                guard let write = writer.withLock({ $0 }) else { throw AccessRecorderDetached() }
                try await write(batch)
                state.withLock {
                    $0.writing = false
                    $0.written += batch.count
                }
            } catch {
                let lost = state.withLock { state -> Int in
                    state.writing = false
                    state.pending.insert(contentsOf: batch, at: 0)
                    let excess = max(0, state.pending.count - Self.maximumPending)
                    state.pending.removeFirst(excess)
                    state.dropped += excess
                    return excess
                }
                logger.error("access events not written yet (\(batch.count) waiting, \(lost) dropped): \(error)")
                scheduleWrite(after: Self.retryDelay)
                return
            }
        }
    }

    /// Writes what waits, then stops scheduling writes (the service is shutting down). Events recorded later stay
    /// unwritten and are counted as dropped.
    func close() async {
        await flush()
        let left = state.withLock { state -> Int in
            state.closed = true
            state.dropped += state.pending.count
            defer { state.pending = [] }
            return state.pending.count
        }
        if left > 0 { logger.error("\(left) access events could not be written before shutdown") }
    }

    private func scheduleWrite(after delay: Duration) {
        guard !state.withLock({ $0.closed }) else { return }
        Task { [self] in
            try? await Task.sleep(for: delay)
            state.withLock { $0.scheduled = false }
            await flush()
        }
    }
}

/// A batch was ready before the recorder had a writer (it is kept and retried).
struct AccessRecorderDetached: Error, CustomStringConvertible {
    var description: String { "the access recorder has no writer yet" }
}
