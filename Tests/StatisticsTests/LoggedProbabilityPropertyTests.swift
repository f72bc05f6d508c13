import Foundation
import Statistics
import Testing

/// Raw scores from logged probabilities keep what the log says (docs/statistics.md, "Methods the product derives
/// itself"): exact zeros, exact ones and ties survive; no floor and no log/exp round trip reorders them.
@Suite("raw scores from logged probabilities")
struct LoggedProbabilityPropertyTests {
    /// Rows whose probabilities are equal but for where an exact zero sits, as trees and neighbours log them.
    static func tiedRows(seed: UInt64, count: Int) -> (rows: [[Double]], predicted: [Int], correct: [Bool]) {
        var random = Xoshiro256StarStar(seed: seed)
        let shapes: [[Double]] = [[0.6, 0.4, 0, 0], [0.8, 0.2, 0, 0], [1, 0, 0, 0], [0.4, 0.4, 0.2, 0], [0.64, 0.36, 0, 0]]
        var rows: [[Double]] = []
        var predicted: [Int] = []
        var correct: [Bool] = []
        for _ in 0..<count {
            let shape = shapes[random.index(below: shapes.count)]
            rows.append(shape)
            predicted.append(0)
            correct.append(random.uniform() < shape[0])
        }
        return (rows, predicted, correct)
    }

    static func metrics(_ rows: [[Double]], _ predicted: [Int], _ correct: [Bool]) -> [String: MetricSet] {
        let scores = zip(rows, predicted).map { DerivedScores(probabilities: $0.0, predicted: $0.1) }
        return [
            "msp": MetricSet(scores: scores.map(\.msp), correct: correct, calibrationScores: scores.map(\.msp)),
            "margin": MetricSet(scores: scores.map(\.margin), correct: correct, calibrationScores: scores.map(\.margin)),
            "entropy": MetricSet(scores: scores.map { -$0.entropy }, correct: correct, calibrationScores: nil),
        ]
    }

    @Test("moving the exact zeros among otherwise equal probabilities changes no raw metric")
    func permutedZerosChangeNothing() throws {
        let (rows, predicted, correct) = Self.tiedRows(seed: 11, count: 2000)
        var random = Xoshiro256StarStar(seed: 12)
        // Permute the options after the predicted one: the zeros move, the multiset of probabilities stays.
        let permuted = rows.map { row -> [Double] in
            var tail = Array(row.dropFirst())
            for index in stride(from: tail.count - 1, to: 0, by: -1) { tail.swapAt(index, random.index(below: index + 1)) }
            return [row[0]] + tail
        }
        #expect(permuted != rows, "the permutation must move some zeros")
        let before = Self.metrics(rows, predicted, correct)
        let after = Self.metrics(permuted, predicted, correct)
        for method in ["msp", "margin", "entropy"] {
            let a = try #require(before[method])
            let b = try #require(after[method])
            #expect(a.auroc == b.auroc && a.auprcError == b.auprcError && a.aurc == b.aurc && a.prr == b.prr, "\(method)")
            #expect(a.calibration?.ece == b.calibration?.ece && a.calibration?.ace == b.calibration?.ace, "\(method)")
            #expect(a.calibration?.reliability.map(\.n) == b.calibration?.reliability.map(\.n), "\(method)")
        }
        // The ties are real ties: five shapes give five distinct msp values, however many rows.
        #expect(Set(permuted.map { DerivedScores(probabilities: $0, predicted: 0).msp }).count == 5)
    }

    @Test(
        "adding a zero-probability option changes none of a row's raw scores",
        arguments: [
            [0.64, 0.36], [1.0, 0.0], [0.5, 0.25, 0.25], [1e-20, 1 - 1e-20], [0.3, 0.3, 0.4], [0.2, 1e-15, 0.8 - 1e-15],
        ])
    func zeroOptionChangesNothing(row: [Double]) {
        for predicted in row.indices {
            let base = DerivedScores(probabilities: row, predicted: predicted)
            for position in 0...row.count {
                var widened = row
                widened.insert(0, at: position)
                let shifted = position <= predicted ? predicted + 1 : predicted
                let scores = DerivedScores(probabilities: widened, predicted: shifted)
                #expect(scores == base, "\(row) with a zero at \(position)")
            }
        }
    }

    @Test("exact values survive: msp of 0.64 is 0.64, a logged 1 has entropy 0 and margin 1")
    func exactValues() {
        let scores = DerivedScores(probabilities: [0.64, 0.36, 0, 0], predicted: 0)
        #expect(scores.msp == 0.64)
        #expect(abs(scores.margin - 0.28) < 1e-16)
        let certain = DerivedScores(probabilities: [0, 1, 0], predicted: 1)
        #expect(certain.msp == 1 && certain.margin == 1 && certain.entropy == 0)
        // Tiny probabilities keep their order; under the old floor both became 1e-12.
        let a = DerivedScores(probabilities: [1 - 1e-15, 1e-15], predicted: 1)
        let b = DerivedScores(probabilities: [1 - 1e-20, 1e-20], predicted: 1)
        #expect(a.msp == 1e-15 && b.msp == 1e-20 && a.msp > b.msp)
    }

    @Test("calibrated scores (T ≠ 1) from probabilities go through z = ln max(p, 1e-12), so a logged zero can gain mass")
    func calibratedScoresUseTheFloor() throws {
        let probabilities: [Double] = [0.7, 0.3, 0]
        let calibrated = try #require(DerivedScores.of(logits: nil, probabilities: probabilities[...], predicted: 0, temperature: 2))
        let reference = DerivedScores(logits: probabilities.map { log(max($0, 1e-12)) }, temperature: 2, predicted: 0)
        #expect(calibrated == reference)
        let raw = try #require(DerivedScores.of(logits: nil, probabilities: probabilities[...], predicted: 0))
        #expect(raw == DerivedScores(probabilities: probabilities, predicted: 0))
        #expect(raw.msp == 0.7)
    }
}
