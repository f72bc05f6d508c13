import Foundation

/// Reads and validates batches on a thread of its own while the caller commits the previous batch, so that
/// parsing (on one core) overlaps with the database's work (in its own process, on the other).
///
/// At most `depth` batches wait between the two, so memory stays bounded whatever the input's size.
final class BatchPipeline<Batch: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `queue`, `finished` and `failure` are only touched while `condition` is locked.
    private let condition = NSCondition()
    private var queue: [Batch] = []
    /// Batches the consumer is done with, left for the producer's thread to free (see ``recycle(_:)``).
    private var spent: [Batch] = []
    private var finished = false
    private var cancelled = false
    private var failure: (any Error)?
    private let depth: Int

    /// Starts `produce` on a new thread; it hands each batch to `emit`, which blocks while `depth` batches wait.
    init(depth: Int = 2, produce: @escaping @Sendable (_ emit: (Batch) -> Bool) throws -> Void) {
        self.depth = depth
        let thread = Thread { [self] in
            do {
                try produce { batch in self.put(batch) }
            } catch {
                condition.lock()
                failure = error
                condition.unlock()
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "vlm-audit.ingest.reader"
        thread.start()
    }

    /// False once the consumer has stopped: the producer should stop too.
    private func put(_ batch: Batch) -> Bool {
        var freed: [Batch] = []
        defer { freed.removeAll() }  // outside the lock, on the producer's thread
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= depth && !cancelled { condition.wait() }
        swap(&freed, &spent)
        guard !cancelled else { return false }
        queue.append(batch)
        condition.broadcast()
        return true
    }

    /// Hands back a batch the consumer is done with, so that its memory is freed on the producer's thread rather than
    /// on the consumer's (freeing a batch of records takes long enough to delay the next commit).
    func recycle(_ batch: consuming Batch) {
        condition.lock()
        spent.append(batch)
        condition.unlock()
    }

    /// The next batch, nil at the end of the input; rethrows the producer's error once the batches before it are taken.
    func next() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !finished { condition.wait() }
        if !queue.isEmpty {
            let batch = queue.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// Tells the producer to stop (the consumer failed) and waits until it has.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
