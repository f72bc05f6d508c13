import AuditApp
import AuditCore
import AuditStore
import Foundation

/// The client's share of file ingest, without a database: every line of a JSON Lines file of predictions read,
/// validated, its scores derived, hashed and encoded for COPY, in batches of 20 000. Side by side on the same lines in
/// memory: the direct path (`PredictionLine`, what `vlm-audit ingest` uses) against the general path every line could
/// take (`JSONParser`, `RecordValidator`, a `PredictionRecord`). Prints this thread's CPU seconds, which vary far
/// less on this machine than wall time, as JSON.
@main
struct IngestReaderBenchmark {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count > 1 else {
            FileHandle.standardError.write(Data("usage: IngestReaderBenchmark FILE.jsonl [rounds]\n".utf8))
            exit(2)
        }
        let rounds = arguments.count > 2 ? Int(arguments[2])! : 3
        let text = try Data(contentsOf: URL(fileURLWithPath: arguments[1]))
        let lines = text.split(separator: UInt8(ascii: "\n")).map { Array($0) }
        var direct: [Double] = []
        var general: [Double] = []
        var checksum = ""
        for _ in 0..<rounds {
            let (directSeconds, directHash) = try cpuSeconds { try prepareDirect(lines) }
            let (generalSeconds, generalHash) = try cpuSeconds { try prepareGeneral(lines) }
            guard directHash == generalHash else { throw BenchmarkError(description: "the two paths prepared different batches") }
            (checksum, direct, general) = (directHash, direct + [directSeconds], general + [generalSeconds])
        }
        let result: [String: Any] = [
            "records": lines.count, "rounds": rounds,
            "direct_seconds": direct, "general_seconds": general,
            "direct_microseconds_per_record": median(direct) / Double(lines.count) * 1e6,
            "general_microseconds_per_record": median(general) / Double(lines.count) * 1e6,
            "speedup": median(general) / median(direct), "rows_hash_of_last_batch": checksum,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
    }

    /// Every line through `PredictionLine`; returns the last batch's rows hash so both paths can be compared.
    static func prepareDirect(_ lines: [[UInt8]]) throws -> String {
        var preparer = PreparedBatch.Preparer(expectedCount: batchSize)
        var scan = PredictionLine()
        var last = ""
        for (index, line) in lines.enumerated() {
            let read = line.withUnsafeBufferPointer { scan.read($0) }
            guard read else { throw BenchmarkError(description: "line \(index + 1) needs the general path") }
            preparer.appendPrediction(scan, line: line, lineNumber: index + 1, derived: scan.derivedScores())
            if preparer.count == batchSize { last = preparer.finish().rowsHashIfAllStored ?? "" }
        }
        return preparer.count > 0 ? preparer.finish().rowsHashIfAllStored ?? "" : last
    }

    /// Every line parsed into a JSON tree, validated into a record and prepared from it.
    static func prepareGeneral(_ lines: [[UInt8]]) throws -> String {
        var preparer = PreparedBatch.Preparer(expectedCount: batchSize)
        var last = ""
        for (index, line) in lines.enumerated() {
            var record = try RecordValidator.prediction(try JSONParser.parse(line)).get()
            record.deriveScores()
            preparer.append(IngestItem(lineNumber: index + 1, line: line, outcome: .prediction(record)))
            if preparer.count == batchSize { last = preparer.finish().rowsHashIfAllStored ?? "" }
        }
        return preparer.count > 0 ? preparer.finish().rowsHashIfAllStored ?? "" : last
    }

    static let batchSize = 20_000

    static func cpuSeconds<T>(_ body: () throws -> T) rethrows -> (Double, T) {
        let start = threadCPUTime()
        let value = try body()
        return (threadCPUTime() - start, value)
    }

    static func threadCPUTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
}
