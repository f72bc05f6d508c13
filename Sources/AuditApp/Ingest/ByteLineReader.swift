#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file descriptor line by line in 1 MiB chunks, so memory stays flat for files of any size.
///
/// Lines end at `\n`; a trailing `\r` is removed (CRLF files); a UTF-8 byte-order mark at the start is skipped.
/// A line longer than `maximumLineBytes` is returned truncated, with the number of bytes cut.
final class ByteLineReader {
    struct Line {
        let number: Int
        let bytes: [UInt8]
        let truncatedBytes: Int
    }

    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    private var lineNumber = 0
    private var bytesRead = 0
    let maximumLineBytes: Int

    /// Bytes of the input consumed by the lines returned so far (for progress).
    var consumedBytes: Int { bytesRead - (buffer.count - start) }

    /// Reads `path`, or standard input when the path is `-`.
    init(path: String, maximumLineBytes: Int = 1 << 20) throws {
        self.maximumLineBytes = maximumLineBytes
        if path == "-" {
            descriptor = 0
            ownsDescriptor = false
        } else {
            descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else {
                throw ReadError(description: "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            ownsDescriptor = true
        }
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line, or nil at end of input.
    func next() throws -> Line? {
        var line: [UInt8] = []
        var truncated = 0
        while true {
            if let newline = findNewline() {
                append(upTo: newline, into: &line, truncated: &truncated)
                start = newline + 1
                return finish(line, truncated)
            }
            append(upTo: buffer.count, into: &line, truncated: &truncated)
            start = buffer.count
            if finished {
                if line.isEmpty && truncated == 0 { return nil }
                return finish(line, truncated)
            }
            try fill()
        }
    }

    private func finish(_ bytes: [UInt8], _ truncated: Int) -> Line {
        lineNumber += 1
        var bytes = bytes
        if lineNumber == 1 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if bytes.last == 0x0D { bytes.removeLast() }
        return Line(number: lineNumber, bytes: bytes, truncatedBytes: truncated)
    }

    private func findNewline() -> Int? {
        guard start < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { pointer -> Int? in
            guard let found = memchr(pointer.baseAddress! + start, 0x0A, pointer.count - start) else { return nil }
            return pointer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    private func append(upTo end: Int, into line: inout [UInt8], truncated: inout Int) {
        guard end > start else { return }
        let room = max(0, maximumLineBytes - line.count)
        let take = min(room, end - start)
        line.append(contentsOf: buffer[start..<(start + take)])
        truncated += (end - start) - take
    }

    private func fill() throws {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let chunk = 1 << 20
        let oldCount = buffer.count
        buffer.reserveCapacity(oldCount + chunk)
        var readCount = 0
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        repeat {
            readCount = buffer.withUnsafeMutableBufferPointer { pointer in
                read(descriptor, pointer.baseAddress! + oldCount, chunk)
            }
        } while readCount < 0 && errno == EINTR
        guard readCount >= 0 else { throw ReadError(description: "read failed: \(String(cString: strerror(errno)))") }
        buffer.removeLast(chunk - readCount)
        bytesRead += readCount
        if readCount == 0 { finished = true }
    }
}
