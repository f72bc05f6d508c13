import Foundation
import Statistics

/// Times the full metric set of one method and the temperature fit on 1 M rows × 5 options.
///
/// Writes the generated data to `DIR/logits.f64` and `DIR/labels.i64` so that the NumPy baseline
/// (`Benchmarks/statistics_baseline.py`) computes the same numbers on the same rows; prints timings and results as JSON.
@main
struct StatisticsBenchmark {
    static func main() throws {
        let arguments = CommandLine.arguments
        let folder = arguments.count > 1 ? arguments[1] : NSTemporaryDirectory()
        let rows = arguments.count > 2 ? Int(arguments[2])! : 1_000_000
        let options = 5
        var random = Xoshiro256StarStar(seed: 2026)
        var logits = LogitRows(reservingRows: rows, options: options)
        var labels: [Int] = []
        var predicted: [Int] = []
        labels.reserveCapacity(rows)
        predicted.reserveCapacity(rows)
        var row = [Double](repeating: 0, count: options)
        for _ in 0..<rows {
            for index in 0..<options { row[index] = random.uniform() * 8 - 4 }
            var top = 0
            for index in 1..<options where row[index] > row[top] { top = index }
            logits.append(row)
            predicted.append(top)
            labels.append(random.uniform() < 0.6 ? top : random.index(below: options))
        }
        try logits.values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: folder + "/logits.f64")) }
        try labels.map(Int64.init).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: folder + "/labels.i64")) }

        let metricsStart = Date()
        let msp = DerivedScores.msp(of: logits, predicted: predicted)
        var correct = [Bool](repeating: false, count: rows)
        for index in 0..<rows { correct[index] = predicted[index] == labels[index] }
        let set = MetricSet(scores: msp, correct: correct, calibrationScores: msp)
        let metricsSeconds = Date().timeIntervalSince(metricsStart)
        let calibration = set.calibration!

        let fitStart = Date()
        let fit = TemperatureScaling.fit(logits: logits, labels: labels)!
        let fitSeconds = Date().timeIntervalSince(fitStart)

        let result: [String: Any] = [
            "rows": rows, "metrics_seconds": metricsSeconds, "fit_seconds": fitSeconds,
            "ece": calibration.ece, "mce": calibration.mce, "ace": calibration.ace, "brier": calibration.brier,
            "auroc": set.auroc!, "auprc_error": set.auprcError!, "aurc": set.aurc!, "prr": set.prr!, "temperature": fit.temperature,
            "resident_megabytes": residentMegabytes(),
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    }

    /// Peak resident set size (VmHWM) of this process.
    static func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }
}
