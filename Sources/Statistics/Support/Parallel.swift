import Dispatch

/// A mutable buffer that parallel chunks may write to, each chunk only to its own disjoint range.
struct UncheckedBuffer<Element>: @unchecked Sendable {
    // @unchecked Sendable: every user writes disjoint ranges, and the buffer outlives the concurrent work.
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

enum Parallel {
    /// Inputs smaller than this run on the calling thread: splitting them costs more than it saves.
    static let minimumParallelCount = 65_536

    /// Runs `body` on `parts` contiguous ranges covering 0..<count, concurrently (one part per range, in order).
    static func forEachPart(count: Int, parts: Int, _ body: @Sendable (_ part: Int, _ range: Range<Int>) -> Void) {
        let size = (count + parts - 1) / max(parts, 1)
        if count < minimumParallelCount || parts < 2 {
            for part in 0..<parts { body(part, min(count, part * size)..<min(count, (part + 1) * size)) }
        } else {
            DispatchQueue.concurrentPerform(iterations: parts) { part in body(part, min(count, part * size)..<min(count, (part + 1) * size))
            }
        }
    }
}
