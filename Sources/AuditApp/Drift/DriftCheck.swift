import AuditCore
import AuditStore
import Foundation
import Statistics

/// Settings of a drift check (docs/drift.md).
public struct DriftOptions: Sendable {
    /// The reference window; default: the active calibration's fit window, before the current window.
    public var reference: (from: Timestamp, to: Timestamp)?
    /// The current window; default: the 7 days before `asOf`.
    public var current: (from: Timestamp, to: Timestamp)?
    /// "Now" for the default windows (default: the database clock).
    public var asOf: Timestamp?
    /// Bootstrap resamples and seed for label-based intervals.
    public var resamples = 1000
    public var seed: UInt64 = 20_261_129
    /// The fewest labeled predictions per window for label-based checks.
    public var minimumLabeled = 30
    /// The false-discovery rate for Benjamini–Hochberg.
    public var falseDiscoveryRate = 0.05

    public init() {}
}

/// One finding of a drift check.
struct DriftFinding {
    let severity: DriftSeverity
    let check: String
    let subject: String
    let message: String
    let action: String?
    let statistic: Double?
    let pValue: Double?
    var adjustedPValue: Double?
    /// Whether label-free checks can see this kind of change.
    let labelFree: Bool
    /// Further named statistics of the check (the KS D beside a score distribution's PSI), as numbers for scripts.
    var statistics: [(name: String, value: Double)] = []

    var json: JSONValue {
        .object(
            [
                ("severity", .string(severity.rawValue)), ("check", .string(check)), ("subject", .string(subject)),
                ("message", .string(message)), ("action", .text(action)), ("statistic", .number(statistic)),
                ("p_value", .number(pValue)), ("p_adjusted", .number(adjustedPValue)), ("label_free", .bool(labelFree)),
            ] + statistics.map { ($0.name, JSONValue.number($0.value)) })
    }
}

extension AuditApp {
    /// Runs the drift check for each model (all when nil), stores the findings and returns them.
    public func drift(models: [String]?, options: DriftOptions) throws -> [DriftRun] {
        let connection = try migratedConnection()
        let names = try models ?? ScoredPredictionQueries.modelNames(connection)
        try Self.requireKnown(models, connection)
        let now = try options.asOf ?? ScoredPredictionQueries.now(connection)
        let orientations = try ScoredPredictionQueries.orientations(connection)
        return try names.map { model in
            let run = try driftRun(connection, model: model, now: now, options: options, orientations: orientations)
            var stored = run
            stored.runID = try DriftStore.insert(connection, run)
            return stored
        }
    }

    /// The newest stored drift findings of each model.
    public func latestDrift(model: String? = nil) throws -> [DriftRun] {
        try DriftStore.latest(migratedConnection(), model: model)
    }

    private func driftRun(
        _ connection: StoreConnection, model: String, now: Timestamp, options: DriftOptions, orientations: [String: Orientation]
    ) throws -> DriftRun {
        let active = try CalibrationStore.active(connection, model: model)
        let current = options.current ?? (now.adding(seconds: -7 * 86_400), now)
        let reference =
            options.reference
            ?? active.map { ($0.windowFrom, min($0.windowTo, current.from)) }
            ?? (current.from.adding(seconds: -90 * 86_400), current.from)
        let referenceRows = try ScoredPredictionQueries.load(
            connection, model: model, from: reference.0, to: reference.1, includeProbes: false)
        let currentRows = try ScoredPredictionQueries.load(connection, model: model, from: current.0, to: current.1, includeProbes: false)
        let (findings, tests) = Self.driftFindings(
            reference: referenceRows, current: currentRows, active: active, orientations: orientations, options: options)
        let status = DriftSeverity.worst(of: findings.map(\.severity))
        let document = JSONValue.object([
            ("model", .string(model)), ("status", .string(status.rawValue)), ("tests_run", .count(tests)),
            (
                "reference",
                .object([("from", .string(reference.0.rfc3339)), ("to", .string(reference.1.rfc3339)), ("n", .count(referenceRows.count))])
            ),
            (
                "current",
                .object([("from", .string(current.0.rfc3339)), ("to", .string(current.1.rfc3339)), ("n", .count(currentRows.count))])
            ),
            ("calibration_version", active.map { .integer($0.versionID) } ?? .null),
            ("findings", .array(findings.map(\.json))),
            (
                "label_free_caveat",
                .string(
                    "The estimated accuracy assumes the calibration survived the shift; a drop in accuracy "
                        + "with unchanged confidence (as under NOTA-like failures) is invisible to label-free checks until labels arrive.")
            ),
        ])
        return DriftRun(model: model, reference: reference, current: current, status: status, testsRun: tests, findings: document)
    }

    /// Every check of docs/drift.md, with Benjamini–Hochberg across the tests that have p-values.
    static func driftFindings(
        reference: [ScoredPrediction], current: [ScoredPrediction], active: CalibrationVersion?,
        orientations: [String: Orientation], options: DriftOptions
    ) -> (findings: [DriftFinding], tests: Int) {
        var findings: [DriftFinding] = []
        guard !reference.isEmpty, !current.isEmpty else {
            return (
                [
                    DriftFinding(
                        severity: .warn, check: "data", subject: "windows",
                        message: "not enough data: \(reference.count) reference and \(current.count) current predictions",
                        action: "check that predictions are still being logged", statistic: nil, pValue: nil, labelFree: true)
                ], 0
            )
        }
        let temperature = active?.temperature ?? 1

        // Label-free: score distributions (PSI and KS).
        var scoreSeries: [(String, [Double], [Double])] = []
        let referenceMethods = methodSeries(reference, orientations: orientations)
        let currentMethods = methodSeries(current, orientations: orientations)
        for method in referenceMethods.keys.sorted() {
            guard let r = referenceMethods[method], let c = currentMethods[method], !r.isEmpty, !c.isEmpty else { continue }
            scoreSeries.append((method, r, c))
        }
        let calibratedR = reference.compactMap { $0.calibratedMSP(temperature: temperature) }
        let calibratedC = current.compactMap { $0.calibratedMSP(temperature: temperature) }
        if !calibratedR.isEmpty && !calibratedC.isEmpty { scoreSeries.append(("calibrated msp", calibratedR, calibratedC)) }
        for (name, r, c) in scoreSeries {
            guard let psi = DriftTests.psi(reference: r, current: c), let ks = DriftTests.kolmogorovSmirnov(reference: r, current: c) else {
                continue
            }
            let band = psi.band
            findings.append(
                DriftFinding(
                    severity: band == .alert ? .alert : (band == .warn ? .warn : .ok), check: "score distribution", subject: name,
                    message: "\(name): PSI \(format(psi.psi)) (\(band.rawValue)), KS D = \(format(ks.statistic))",
                    action: band == .stable ? nil : "recalibrate: the \(name) distribution moved", statistic: psi.psi, pValue: ks.pValue,
                    labelFree: true,
                    statistics: [("psi", psi.psi), ("ks_d", ks.statistic)]))
        }

        // Label-free: escalation rate.
        if let tau = active?.threshold ?? nil {
            let escalatedR = calibratedR.filter { $0 < tau }.count
            let escalatedC = calibratedC.filter { $0 < tau }.count
            let rateR = Double(escalatedR) / Double(max(calibratedR.count, 1))
            let rateC = Double(escalatedC) / Double(max(calibratedC.count, 1))
            let p = ProportionTests.twoSidedPValue(
                successes1: escalatedR, trials1: calibratedR.count, successes2: escalatedC, trials2: calibratedC.count)
            let moved = abs(rateC - rateR) > 0.05
            findings.append(
                DriftFinding(
                    severity: moved ? .warn : .ok, check: "escalation rate", subject: "calibrated msp < τ",
                    message: "escalation rate \(percent(rateR)) → \(percent(rateC))",
                    action: moved ? "review staffing for escalations and recalibrate" : nil, statistic: rateC - rateR, pValue: p,
                    labelFree: true))
        }

        // Label-free: slice-attribute mix, overall and per site.
        let attributes = Set(reference.flatMap { $0.attributes.map(\.key) } + ["site"]).sorted()
        for attribute in attributes {
            let r = reference.compactMap { $0.attribute(attribute) }
            let c = current.compactMap { $0.attribute(attribute) }
            guard let psi = DriftTests.categoricalPSI(reference: r, current: c) else { continue }
            let band = DriftBand(psi: psi)
            findings.append(
                DriftFinding(
                    severity: band == .stable ? .ok : .warn, check: "slice mix", subject: attribute,
                    message: "\(attribute) mix PSI \(format(psi)) (\(band.rawValue))",
                    action: band == .stable ? nil : "review the \(attribute) mix", statistic: psi,
                    pValue: ProportionTests.categoriesPValue(reference: r, current: c), labelFree: true))
        }
        let sites = Set(current.compactMap(\.site)).sorted()
        for site in sites {
            for attribute in attributes where attribute != "site" {
                let r = reference.filter { $0.site == site }.compactMap { $0.attribute(attribute) }
                let c = current.filter { $0.site == site }.compactMap { $0.attribute(attribute) }
                guard r.count >= 30, c.count >= 30, let psi = DriftTests.categoricalPSI(reference: r, current: c), psi > 0.25 else {
                    continue
                }
                findings.append(
                    DriftFinding(
                        severity: .warn, check: "slice mix", subject: "\(site) \(attribute)",
                        message: "\(site): \(attribute) mix changed (PSI \(format(psi)))",
                        action: "review \(site): \(attribute) mix changed (new equipment or referral pattern?)", statistic: psi,
                        pValue: ProportionTests.categoriesPValue(reference: r, current: c), labelFree: true))
            }
        }

        // Label-free: a model version that served none of the reference window. The active calibration (and its
        // guarantee) was fitted on other weights, so it says nothing about this version.
        let referenceVersions = Set(reference.compactMap(\.modelVersion))
        let newVersions = Dictionary(grouping: current.compactMap(\.modelVersion).filter { !referenceVersions.contains($0) }, by: { $0 })
        for (version, rows) in newVersions.sorted(by: { $0.key < $1.key }) {
            let share = Double(rows.count) / Double(current.count)
            findings.append(
                DriftFinding(
                    severity: .warn, check: "model version", subject: version,
                    message:
                        "new model version \(version) served \(percent(share)) of the current window; the active calibration was fitted on "
                        + (referenceVersions.isEmpty ? "unversioned predictions" : referenceVersions.sorted().joined(separator: ", ")),
                    action: "recalibrate for model version \(version) before trusting its threshold", statistic: share, pValue: nil,
                    labelFree: true))
        }

        // Label-free: confidence-based estimated accuracy of the unlabeled current predictions.
        let referenceLabeled = LabeledSet(reference)
        let unlabeled = current.filter { $0.label == nil }.compactMap { $0.calibratedMSP(temperature: temperature) }
        if let estimate = Descriptive.mean(unlabeled), let referenceEstimate = Descriptive.mean(calibratedR) {
            let drop = referenceEstimate - estimate
            findings.append(
                DriftFinding(
                    severity: drop > 0.05 ? .warn : .ok, check: "estimated accuracy", subject: "unlabeled current predictions",
                    message:
                        "estimated accuracy \(percent(estimate)) of \(unlabeled.count) unlabeled predictions vs \(percent(referenceEstimate)) "
                        + "in the reference window (mean calibrated msp; assumes calibration survived the shift)",
                    action: drop > 0.05 ? "prioritise labelling the current window" : nil, statistic: estimate - referenceEstimate,
                    pValue: nil, labelFree: true))
        }

        // Label-based: accuracy, ECE, AUROC and accepted-set error per window, with bootstrap intervals.
        let currentLabeled = LabeledSet(current)
        if referenceLabeled.count >= options.minimumLabeled && currentLabeled.count >= options.minimumLabeled {
            findings += labelBasedFindings(reference: referenceLabeled, current: currentLabeled, active: active, options: options)
        } else {
            findings.append(
                DriftFinding(
                    severity: .ok, check: "label-based", subject: "labels",
                    message:
                        "label-based checks wait for labels: \(currentLabeled.count) labeled current predictions (need \(options.minimumLabeled))",
                    action: nil, statistic: nil, pValue: nil, labelFree: false))
        }

        // Benjamini–Hochberg across every test with a p-value; a finding whose adjusted p ≥ FDR is not significant.
        let tested = findings.indices.filter { findings[$0].pValue != nil }
        let adjusted = MultipleTesting.benjaminiHochberg(tested.map { findings[$0].pValue! })
        for (position, index) in tested.enumerated() {
            findings[index].adjustedPValue = adjusted[position]
            if adjusted[position] >= options.falseDiscoveryRate && findings[index].severity != .ok {
                findings[index] = DriftFinding(
                    severity: .ok, check: findings[index].check, subject: findings[index].subject,
                    message: findings[index].message + " (not significant after Benjamini–Hochberg)", action: nil,
                    statistic: findings[index].statistic, pValue: findings[index].pValue, adjustedPValue: adjusted[position],
                    labelFree: findings[index].labelFree)
            }
        }
        // The most serious first, then by check and subject.
        findings.sort { lhs, rhs in
            lhs.severity != rhs.severity ? lhs.severity > rhs.severity : (lhs.check, lhs.subject) < (rhs.check, rhs.subject)
        }
        return (findings, tested.count)
    }

    private static func labelBasedFindings(
        reference: LabeledSet, current: LabeledSet, active: CalibrationVersion?, options: DriftOptions
    ) -> [DriftFinding] {
        var findings: [DriftFinding] = []
        let temperature = active?.temperature ?? 1
        func accuracy(_ set: LabeledSet, _ indices: [Int]) -> Double? {
            indices.isEmpty ? nil : Double(indices.filter { set.correct[$0] }.count) / Double(indices.count)
        }
        let referenceCorrect = reference.correct.filter { $0 }.count
        let currentCorrect = current.correct.filter { $0 }.count
        let accuracyInterval = differenceInterval(reference: reference, current: current, options: options) { accuracy($0, $1) }
        let p = ProportionTests.twoSidedPValue(
            successes1: referenceCorrect, trials1: reference.count, successes2: currentCorrect, trials2: current.count)
        let dropped = (accuracyInterval.map { $0.upper < 0 } ?? false) && (accuracyInterval?.estimate ?? 0) < -0.02
        findings.append(
            DriftFinding(
                severity: dropped ? .alert : .ok, check: "accuracy", subject: "labeled predictions",
                message: "accuracy \(percent(reference.accuracy)) → \(percent(current.accuracy)) (difference 95 % CI "
                    + "\(accuracyInterval.map { "[\(format($0.lower)), \(format($0.upper))]" } ?? "n/a"))",
                action: dropped ? "accuracy fell: recalibrate, and review the slices where it fell" : nil,
                statistic: accuracyInterval?.estimate, pValue: p, labelFree: false))

        // Per site: a drop confined to one site is diluted in the fleet-wide figure.
        for site in Set(current.rows.compactMap(\.site)).sorted() {
            let r = reference.rows.indices.filter { reference.rows[$0].site == site }
            let c = current.rows.indices.filter { current.rows[$0].site == site }
            guard r.count >= options.minimumLabeled, c.count >= options.minimumLabeled else { continue }
            let rCorrect = r.filter { reference.correct[$0] }.count
            let cCorrect = c.filter { current.correct[$0] }.count
            let change = Double(cCorrect) / Double(c.count) - Double(rCorrect) / Double(r.count)
            let p = ProportionTests.twoSidedPValue(successes1: rCorrect, trials1: r.count, successes2: cCorrect, trials2: c.count)
            let dropped = change < -0.05
            findings.append(
                DriftFinding(
                    severity: dropped ? .alert : .ok, check: "accuracy", subject: site,
                    message:
                        "\(site): accuracy \(percent(Double(rCorrect) / Double(r.count))) → \(percent(Double(cCorrect) / Double(c.count))) "
                        + "(\(r.count) and \(c.count) labeled)",
                    action: dropped ? "review \(site): accuracy fell while confidence did not; escalate its cases until recalibrated" : nil,
                    statistic: change, pValue: p, labelFree: false))
        }

        func mspECE(_ set: LabeledSet, _ indices: [Int]) -> Double? {
            let scores = indices.compactMap { set.rows[$0].calibratedMSP(temperature: temperature) }
            guard scores.count == indices.count else { return nil }
            return CalibrationMetrics.ece(scores: scores, correct: indices.map { set.correct[$0] })?.ece
        }
        if reference.count >= 200, current.count >= 200,
            let interval = differenceInterval(reference: reference, current: current, options: options, statistic: mspECE)
        {
            let worse = interval.lower > 0.02
            findings.append(
                DriftFinding(
                    severity: worse ? .warn : .ok, check: "calibration", subject: "ECE of calibrated msp",
                    message: "ECE changed by \(format(interval.estimate)) (95 % CI [\(format(interval.lower)), \(format(interval.upper))])",
                    action: worse ? "recalibrate" : nil, statistic: interval.estimate, pValue: nil, labelFree: false))
        }
        func mspAUROC(_ set: LabeledSet, _ indices: [Int]) -> Double? {
            let scores = indices.compactMap { set.rows[$0].calibratedMSP(temperature: 1) }
            guard scores.count == indices.count else { return nil }
            return Discrimination.auroc(scores: scores, positive: indices.map { set.correct[$0] })
        }
        if let interval = differenceInterval(reference: reference, current: current, options: options, statistic: mspAUROC) {
            let worse = interval.upper < -0.02
            findings.append(
                DriftFinding(
                    severity: worse ? .warn : .ok, check: "discrimination", subject: "AUROC of msp",
                    message:
                        "AUROC changed by \(format(interval.estimate)) (95 % CI [\(format(interval.lower)), \(format(interval.upper))])",
                    action: worse ? "uncertainty separates right from wrong less well: review before trusting escalation" : nil,
                    statistic: interval.estimate, pValue: nil, labelFree: false))
        }
        // The product's rule (per-slice τ when the version has them).
        if let active, case let rule = AcceptanceRule(version: active), rule.acceptsAnything {
            func acceptedError(_ set: LabeledSet, _ indices: [Int]) -> Double? {
                let accepted = indices.filter { rule.accepts(set.rows[$0]) }
                return accepted.isEmpty ? nil : Double(accepted.filter { !set.correct[$0] }.count) / Double(accepted.count)
            }
            let indices = Array(current.rows.indices)
            if let rate = acceptedError(current, indices),
                let interval = Bootstrap.interval(
                    count: current.count, resamples: options.resamples, seed: options.seed, statistic: { acceptedError(current, $0) })
            {
                let exceeds = interval.lower > active.targetRisk
                let above = rate > active.targetRisk
                findings.append(
                    DriftFinding(
                        severity: exceeds ? .alert : .ok, check: "accepted-set error", subject: "calibrated \(active.method) ≥ τ",
                        message:
                            "error among accepted predictions \(percent(rate)) (95 % CI [\(percent(interval.lower)), \(percent(interval.upper))]) "
                            + "vs the guaranteed α = \(percent(active.targetRisk))",
                        action: exceeds
                            ? "accepted-set error exceeds α: tighten the threshold or escalate all"
                            : (above ? "watch: above α but not significantly" : nil),
                        statistic: rate, pValue: nil, labelFree: false))
            }
        }
        return findings
    }

    /// The bootstrap interval of statistic(current) − statistic(reference), each window resampled independently.
    private static func differenceInterval(
        reference: LabeledSet, current: LabeledSet, options: DriftOptions, statistic: (LabeledSet, [Int]) -> Double?
    ) -> BootstrapInterval? {
        guard let r = statistic(reference, Array(reference.rows.indices)), let c = statistic(current, Array(current.rows.indices)) else {
            return nil
        }
        var generator = Xoshiro256StarStar(seed: options.seed)
        var differences: [Double] = []
        for _ in 0..<options.resamples {
            let ri = (0..<reference.count).map { _ in generator.index(below: reference.count) }
            let ci = (0..<current.count).map { _ in generator.index(below: current.count) }
            if let rs = statistic(reference, ri), let cs = statistic(current, ci) { differences.append(cs - rs) }
        }
        guard !differences.isEmpty else { return nil }
        differences.sort()
        return BootstrapInterval(
            estimate: c - r, lower: Descriptive.quantile(sorted: differences, 0.025),
            upper: Descriptive.quantile(sorted: differences, 0.975))
    }

    /// Raw values of every method over the rows that carry it (derived ones at T = 1).
    private static func methodSeries(_ rows: [ScoredPrediction], orientations: [String: Orientation]) -> [String: [Double]] {
        var series: [String: [Double]] = [:]
        for row in rows {
            for (method, value) in methodValues(of: row, orientations: orientations) { series[method, default: []].append(value.value) }
        }
        return series
    }
}

func format(_ value: Double) -> String {
    String(format: "%.3f", value)
}

func percent(_ value: Double?) -> String {
    value.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a"
}

extension DriftRun {
    /// The stored findings document with the run's id and the time it was stored.
    public var json: JSONValue {
        guard case .object(let object) = findings else { return findings }
        return .object(JSONObject([("run_id", .integer(runID)), ("recorded_at", .text(recordedAt?.rfc3339))] + object.members))
    }
}
