import AuditCore
import Foundation
import Statistics
import Testing

/// The sequential monitor's e-process (docs/statistics.md, "Sequential monitoring") against mpmath and SciPy
/// (scripts/fixtures/make_monitor_fixtures.py), and its error guarantees by simulation.
@Suite("sequential monitor")
struct SequentialMonitorTests {
    // nonisolated(unsafe): initialised once (Swift's lazy globals are thread-safe) and never mutated.
    nonisolated(unsafe) static let cases: [[String: Any]] = ((try? Fixtures.load("monitor"))?["cases"] as? [[String: Any]]) ?? []

    @Test("ln M_t equals the 60-digit reference to 1e-9, from t = 1 to 10^6, S = 0 to t, α from 1e-6 to 1 − 1e-6")
    func matchesReference() throws {
        try #require(Self.cases.count > 400, "the fixture holds the reference cases")
        var worst = 0.0
        var underflowCases = 0
        for entry in Self.cases {
            let alpha = try #require(entry["alpha"] as? Double)
            let t = try #require(entry["t"] as? Int)
            let s = try #require(entry["s"] as? Int)
            let expected = try #require(entry["log_e"] as? Double)
            if entry["log_e_scipy"] == nil { underflowCases += 1 }
            let value = MixtureEProcess.logEValue(observations: t, errors: s, alpha: alpha)
            #expect(value.isFinite, "α \(alpha) t \(t) S \(s): \(value)")
            let error = abs(value - expected) / max(1, abs(expected))
            worst = max(worst, error)
            #expect(error <= 1e-9, "α \(alpha) t \(t) S \(s): \(value) vs reference \(expected)")
        }
        // The cases where 1 − I underflows in double precision are the point of computing in logs.
        #expect(underflowCases > 20)
        print("sequential monitor: worst relative error \(worst) over \(Self.cases.count) cases")
    }

    @Test("with no error, M_t = 1 / (t + 1) whatever α (the closed form of ∫ (1 − x)^t)")
    func noErrorClosedForm() {
        for alpha in [1e-6, 0.1, 0.5, 0.999] {
            for t in [1, 10, 1000, 1_000_000] {
                let value = MixtureEProcess.logEValue(observations: t, errors: 0, alpha: alpha)
                // The terms S ln α and (t − S) ln(1 − α) reach 10^6 in size: 1e-10 relative is the double-precision floor here.
                #expect(abs(value + log(Double(t + 1))) <= 1e-10 * log(Double(t + 1)), "α \(alpha) t \(t): \(value)")
            }
        }
    }

    @Test("updating after errors only gives the same maximum and first alarm as checking after every label")
    func incrementalEqualsBruteForce() {
        var generator = Xoshiro256StarStar(seed: 11)
        for (alpha, rate) in [(0.1, 0.1), (0.1, 0.2), (0.05, 0.12), (0.3, 0.3)] {
            var monitor = SequentialMonitor(alpha: alpha, delta: 0.05)
            var errors = 0
            var maxLog = 0.0
            var firstAlarm: Int?
            for t in 1...3000 {
                let error = Double.random(in: 0..<1, using: &generator) < rate
                monitor.observe(error: error)
                if error { errors += 1 }
                let value = MixtureEProcess.logEValue(observations: t, errors: errors, alpha: alpha)
                maxLog = max(maxLog, value)
                if firstAlarm == nil && value >= -log(0.05) { firstAlarm = t }
            }
            #expect(monitor.observations == 3000 && monitor.errors == errors)
            #expect(abs(monitor.maxLogEValue - maxLog) <= 1e-12 * max(1, abs(maxLog)), "α \(alpha), rate \(rate)")
            #expect(monitor.alarmAt == firstAlarm, "α \(alpha), rate \(rate)")
        }
    }

    @Test("resuming from a stored state continues exactly where the monitor stopped")
    func resumeFromState() {
        var generator = Xoshiro256StarStar(seed: 5)
        let errors = (0..<2000).map { _ in Double.random(in: 0..<1, using: &generator) < 0.14 }
        var whole = SequentialMonitor(alpha: 0.1, delta: 0.05)
        for error in errors { whole.observe(error: error) }
        var first = SequentialMonitor(alpha: 0.1, delta: 0.05)
        for error in errors.prefix(700) { first.observe(error: error) }
        var resumed = SequentialMonitor(
            alpha: 0.1, delta: 0.05, observations: first.observations, errors: first.errors,
            maxLogEValue: first.maxLogEValue, alarmAt: first.alarmAt)
        for error in errors.dropFirst(700) { resumed.observe(error: error) }
        #expect(resumed == whole)
    }

    /// Simulated streams: `streams` of `length` labels with error rate `rate`; the first alarm of each (nil: none).
    /// Seconds of computation: run off the cooperative pool, which the HTTP servers of other suites in this process need.
    static func firstAlarms(streams: Int, length: Int, rate: Double, alpha: Double, delta: Double, seed: UInt64) async throws -> [Int?] {
        try await BackgroundWork.value {
            var generator = Xoshiro256StarStar(seed: seed)
            return (0..<streams).map { _ in
                var monitor = SequentialMonitor(alpha: alpha, delta: delta)
                for _ in 0..<length {
                    if monitor.observe(error: Double.random(in: 0..<1, using: &generator) < rate) { return monitor.alarmAt }
                }
                return nil
            }
        }
    }

    @Test("at the true error rate α, at most δ of 1 000 streams of 5 000 labels alarm (checked after every label)")
    func falseAlarmsStayBelowDelta() async throws {
        let alarms = try await Self.firstAlarms(streams: 1000, length: 5000, rate: 0.10, alpha: 0.10, delta: 0.05, seed: 2026)
        let share = Double(alarms.compactMap { $0 }.count) / 1000
        print("sequential monitor: false alarms in \(share * 100) % of 1 000 streams at p = α = 0.10, δ = 0.05")
        #expect(share <= 0.05)
    }

    @Test("at α + 0.05 the alarm comes in at least 90 % of 1 000 streams of 5 000 labels")
    func detectsAnErrorRateAboveAlpha() async throws {
        let alarms = try await Self.firstAlarms(streams: 1000, length: 5000, rate: 0.15, alpha: 0.10, delta: 0.05, seed: 7)
        let delays = alarms.compactMap { $0 }.sorted()
        let share = Double(delays.count) / 1000
        let median = delays.isEmpty ? 0 : delays[delays.count / 2]
        print("sequential monitor: at p = 0.15, α = 0.10: detected in \(share * 100) % of 1 000 streams, median delay \(median) labels")
        #expect(share >= 0.90)
        #expect(median > 0)
    }

    @Test("K slice monitors at δ / K keep the family's false alarms at most δ")
    func sliceFamilyKeepsDelta() async throws {
        let slices = 4
        let delta = 0.05
        let familiesWithAlarm = try await BackgroundWork.value {
            var generator = Xoshiro256StarStar(seed: 99)
            var alarmed = 0
            for _ in 0..<1000 {
                var monitors = (0..<slices).map { _ in SequentialMonitor(alpha: 0.1, delta: delta / Double(slices)) }
                for _ in 0..<5000 {
                    let slice = generator.index(below: slices)
                    monitors[slice].observe(error: Double.random(in: 0..<1, using: &generator) < 0.1)
                }
                if monitors.contains(where: \.isAlarmed) { alarmed += 1 }
            }
            return alarmed
        }
        print("sequential monitor: \(familiesWithAlarm) of 1 000 families of \(slices) slice monitors alarmed at p = α")
        #expect(Double(familiesWithAlarm) / 1000 <= delta)
    }

    @Test("the anytime-valid lower bound is below S/t, exceeds α exactly when the monitor at α alarms, and is 0 without errors")
    func lowerBound() {
        #expect(MixtureEProcess.lowerBound(observations: 500, errors: 0, delta: 0.05) == 0)
        for (t, s) in [(100, 10), (1000, 150), (400, 80), (5000, 520), (50, 49)] {
            let bound = MixtureEProcess.lowerBound(observations: t, errors: s, delta: 0.05)
            #expect(bound > 0 && bound < Double(s) / Double(t))
            for alpha in [0.05, 0.1, 0.12, 0.15, 0.2] {
                let alarmed = MixtureEProcess.logEValue(observations: t, errors: s, alpha: alpha) >= -log(0.05)
                if abs(alpha - bound) > 1e-6 { #expect(alarmed == (alpha < bound), "t \(t) S \(s) α \(alpha) bound \(bound)") }
            }
        }
    }
}
