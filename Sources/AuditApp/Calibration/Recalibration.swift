import AuditCore
import AuditStore
import Logging
import Statistics

/// The settings of a recalibration run (docs/calibration.md).
public struct RecalibrationOptions: Sendable {
    /// Days of data before `asOf` to fit on.
    public var windowDays: Int = 90
    /// The end of the fitting window (default: the database's clock).
    public var asOf: Timestamp?
    /// α: the accepted-set error rate to guarantee.
    public var targetRisk: Double = 0.10
    /// δ: the probability that the guarantee may fail.
    public var delta: Double = 0.05
    /// The score to threshold; derived scores (msp, margin) use the fitted temperature.
    public var method: String = DerivedMethod.msp.rawValue
    /// Escalation budget (share of predictions that may be escalated); nil selects Learn-then-Test.
    public var budget: Double?
    /// Acceptance policy: the fewest fit rows for automatic activation.
    public var minimumFit: Int = 200
    /// Acceptance policy: how much worse hold-out ECE and NLL may be than the active version's.
    public var tolerance: Double = 0.005
    /// Acceptance policy: when false every version stays `proposed` for a person to activate.
    public var autoActivate: Bool = true
    /// Who or what fits (recorded in the version and its events).
    public var fittedBy: String = "vlm-audit recalibrate"
    /// Fit a threshold per value of this attribute, each at δ / G (docs/monitor.md, "Per-slice thresholds"); nil: one τ.
    public var perSlice: String?
    /// With `perSlice`: give slices with too few rows the global τ instead of escalating them (recorded per slice).
    public var acceptGlobalForSmallSlices = false

    public init() {}
}

/// What happened for one model.
public struct RecalibrationOutcome: Sendable {
    /// What a recalibration did for a model.
    public enum Status: String, Sendable, CaseIterable {
        /// A new version was stored and activated.
        case active
        /// A new version was stored for a person to review.
        case proposed
        /// The same data and settings were fitted before; that version stands.
        case unchanged
        /// Too little data to fit.
        case skipped
        /// The fit failed; the message says why.
        case failed
    }

    public let model: String
    /// The version stored now, or the existing identical one, or nil when nothing could be fitted.
    public let versionID: Int64?
    public let status: Status
    public let temperature: Double?
    public let threshold: Double?
    public let coverage: Double?
    public let message: String
}

extension AuditApp {
    /// Fits a temperature and an escalation threshold per model and stores a calibration version with its evidence.
    ///
    /// Two runs never fit the same model at once (advisory lock), and a run with no new data since the last
    /// version of a model stores nothing ("nothing to refit").
    public func recalibrate(models: [String]?, options: RecalibrationOptions) throws -> [RecalibrationOutcome] {
        let connection = try migratedConnection()
        let names = try models ?? ScoredPredictionQueries.modelNames(connection)
        try Self.requireKnown(models, connection)
        return try names.map { model in
            try CalibrationStore.lockModel(connection, model: model)
            defer { try? CalibrationStore.unlockModel(connection, model: model) }
            do {
                return try recalibrate(connection, model: model, options: options)
            } catch {
                logger.error("recalibration of \(model) failed: \(error)")
                return RecalibrationOutcome(
                    model: model, versionID: nil, status: .failed, temperature: nil, threshold: nil,
                    coverage: nil, message: "failed: \(error)")
            }
        }
    }

    private func recalibrate(_ connection: StoreConnection, model: String, options: RecalibrationOptions) throws -> RecalibrationOutcome {
        let end = try options.asOf ?? ScoredPredictionQueries.now(connection)
        let start = end.adding(seconds: -Int64(options.windowDays) * 86_400)
        let rows = try ScoredPredictionQueries.load(connection, model: model, from: start, to: end, includeProbes: false, labeledOnly: true)
            .filter { $0.hasOptionScores || options.method != DerivedMethod.msp.rawValue }
        guard !rows.isEmpty else {
            return RecalibrationOutcome(
                model: model, versionID: nil, status: .skipped, temperature: nil, threshold: nil, coverage: nil,
                message: "no labeled predictions between \(start.day) and \(end.day); nothing to fit")
        }
        let schedule = AuditPlanSchedule(plans: try AuditPlanStore.plans(connection, model: model))
        let fingerprint = Self.fingerprint(rows: rows, options: options, plans: schedule.plans(from: start, to: end))
        if let existing = try CalibrationStore.version(connection, model: model, fingerprint: fingerprint) {
            return RecalibrationOutcome(
                model: model, versionID: existing, status: .unchanged, temperature: nil, threshold: nil,
                coverage: nil, message: "no new data since version \(existing); nothing to refit")
        }
        let holdoutCount = rows.count / 5
        let fit = LabeledSet(Array(rows.prefix(rows.count - holdoutCount)))
        let holdout = LabeledSet(Array(rows.suffix(holdoutCount)))
        let orientations = try ScoredPredictionQueries.orientations(connection)

        let fitLogits = fit.withLogits
        let temperatureFit = fitLogits.logits.count > 0 ? TemperatureScaling.fit(logits: fitLogits.logits, labels: fitLogits.labels) : nil
        let temperature = temperatureFit?.temperature ?? 1
        let orientation = orientations[options.method] ?? .confidence
        // The guarantee holds only on a random sample of the deployment: LTT runs on the audited fit rows when there are
        // enough of them (the temperature above may use every label).
        let basis = Self.guaranteeBasis(fit: fit, schedule: schedule, from: start, to: end, minimumFit: options.minimumFit)
        let fitScores = Self.thresholdScores(basis.rows, method: options.method, temperature: temperature, orientation: orientation)
        let rule =
            options.budget.map {
                EscalationThreshold.budget(
                    scores: fitScores.scores, correct: fitScores.correct, escalationBudget: $0,
                    alpha: options.targetRisk, delta: options.delta)
            }
            ?? EscalationThreshold.learnThenTest(
                scores: fitScores.scores, correct: fitScores.correct, alpha: options.targetRisk, delta: options.delta)

        let active = try CalibrationStore.active(connection, model: model)
        let fitMetrics = Self.splitMetrics(fit, temperature: temperature, rule: rule, method: options.method, orientation: orientation)
        let holdoutMetrics = Self.splitMetrics(
            holdout, temperature: temperature, rule: rule, method: options.method, orientation: orientation)
        let activeOnHoldout = active.map {
            Self.splitMetrics(holdout, temperature: $0.temperature, rule: nil, method: options.method, orientation: orientation)
        }

        // Acceptance policy: recorded in the version, so a reviewer sees why it was or was not activated.
        var reasons: [String] = []
        if !rule.guaranteeMet {
            reasons.append(
                rule.escalatesEverything
                    ? "no threshold meets risk ≤ \(options.targetRisk) with confidence \(1 - options.delta): escalate everything"
                    : "the guarantee is not met at the budgeted coverage")
        }
        if fit.count < options.minimumFit { reasons.append("too little data: \(fit.count) fit rows < minimum \(options.minimumFit)") }
        if !basis.isAuditSample {
            reasons.append(
                "the guarantee rests on non-random labels: \(basis.auditedRows) audited fit rows"
                    + (basis.auditedRows < options.minimumFit ? " < minimum \(options.minimumFit)" : "")
                    + (basis.rate == nil ? " (no audit plan covers the window)" : ""))
        }
        if let activeOnHoldout {
            if let new = holdoutMetrics.eceAfter, let old = activeOnHoldout.eceAfter, new > old + options.tolerance {
                reasons.append("hold-out ECE \(rounded(new)) is worse than the active version's \(rounded(old))")
            }
            if let new = holdoutMetrics.nllAfter, let old = activeOnHoldout.nllAfter, new > old + options.tolerance {
                reasons.append("hold-out NLL \(rounded(new)) is worse than the active version's \(rounded(old))")
            }
        }
        if !options.autoActivate { reasons.append("automatic activation is off; a person must activate it") }
        if try CalibrationSignatures.requiresTwoSigners(connection) {
            reasons.append("the deployment requires two signers; two people must sign the activation")
        }
        // Only a person ends a monitor alarm (docs/monitor.md): a refit never replaces an alarmed version by itself.
        if let active, let alarm = try MonitorStore.alarms(connection, model: model, versionID: active.versionID).first {
            reasons.append(
                "the threshold monitor's alarm against version \(active.versionID) stands (\(alarm.recordedAt.map { String($0.rfc3339.prefix(10)) } ?? "recorded")); "
                    + "a person must review and activate the next version")
        }
        let status: CalibrationStatus = reasons.isEmpty ? .active : .proposed
        let reason =
            reasons.isEmpty
            ? "guarantee met, \(fit.count) fit rows, hold-out calibration not worse than the active version"
            : reasons.joined(separator: "; ")

        let slices = Self.sliceMetrics(holdout, temperature: temperature, rule: rule, method: options.method, orientation: orientation)
        let sliceTable = options.perSlice.map { attribute in
            SliceThresholds.fit(
                rows: basis.rows, attribute: attribute, method: options.method, temperature: temperature,
                orientation: orientation, alpha: options.targetRisk, delta: options.delta, minimum: options.minimumFit,
                globalThreshold: options.acceptGlobalForSmallSlices ? .some(rule.threshold) : nil)
        }
        let evidence = JSONValue.object(
            [
                ("data_fingerprint", .string(fingerprint)),
                (
                    "window",
                    .object([("from", .string(start.rfc3339)), ("to", .string(end.rfc3339)), ("days", .count(options.windowDays))])
                ),
                ("method", .string(options.method)), ("orientation", .string(orientation.rawValue)),
                (
                    "escalation_rule",
                    .string(
                        orientation == .confidence
                            ? "accept when calibrated \(options.method) ≥ τ; τ = null means escalate everything"
                            : "accept when −\(options.method) ≥ τ (i.e. \(options.method) ≤ −τ); τ = null means escalate everything")
                ),
                (
                    "temperature_fit",
                    .object([
                        ("temperature", .number(temperatureFit?.temperature)), ("iterations", .count(temperatureFit?.iterations ?? 0)),
                        ("at_bound", .bool(temperatureFit?.atBound ?? false)),
                    ])
                ),
                (
                    "threshold",
                    .object([
                        ("mode", .string(options.budget == nil ? "ltt" : "budget")), ("alpha", .number(options.targetRisk)),
                        ("delta", .number(options.delta)), ("budget", .number(options.budget)), ("tau", .number(rule.threshold)),
                        ("coverage", .number(rule.coverage)), ("empirical_risk", .number(rule.empiricalRisk)),
                        ("accepted", .count(rule.accepted)), ("errors", .count(rule.errors)), ("p_value", .number(rule.pValue)),
                        ("risk_upper_bound", .number(rule.riskUpperBound)), ("candidates_tested", .count(rule.candidatesTested)),
                    ])
                ),
                ("guarantee_basis", basis.json),
                ("fit", fitMetrics.json), ("holdout", holdoutMetrics.json),
                (
                    "active_version_on_holdout",
                    activeOnHoldout.map { metrics in
                        .object([
                            ("version", .integer(active!.versionID)), ("temperature", .number(active!.temperature)),
                            ("ece_after", .number(metrics.eceAfter)), ("nll_after", .number(metrics.nllAfter)),
                        ])
                    } ?? .null
                ),
                ("slices", slices),
                (
                    "policy",
                    .object([
                        ("minimum_fit", .count(options.minimumFit)), ("tolerance", .number(options.tolerance)),
                        ("auto_activate", .bool(options.autoActivate)),
                    ])
                ),
                ("decision", .object([("status", .string(status.rawValue)), ("reasons", .array(reasons.map { .string($0) }))])),
            ] + (sliceTable.map { [("per_slice", $0.json)] } ?? []))
        let version = CalibrationVersion(
            model: model, method: options.method, temperature: temperature, threshold: rule.threshold,
            mode: options.budget == nil ? "ltt" : "budget", targetRisk: options.targetRisk, delta: options.delta,
            coverage: rule.coverage, empiricalRisk: rule.empiricalRisk, guaranteeMet: rule.guaranteeMet,
            windowFrom: start, windowTo: end, nFit: fit.count, nHoldout: holdout.count, evidence: evidence,
            codeVersion: vlmAuditVersion, fittedBy: options.fittedBy)
        let id = try CalibrationStore.insert(connection, version: version, status: status, actor: options.fittedBy, reason: reason)
        return RecalibrationOutcome(
            model: model, versionID: id, status: status == .active ? .active : .proposed, temperature: temperature,
            threshold: rule.threshold, coverage: rule.coverage, message: reason)
    }

    /// The rows the threshold's guarantee rests on: the labeled design sample of the fit split when it holds at least
    /// `minimumFit` rows, else every fit row (and the version says the guarantee rests on non-random labels).
    struct GuaranteeBasis {
        let rows: LabeledSet
        let isAuditSample: Bool
        let rate: Double?
        let planIDs: [Int64]
        let auditedRows: Int
        let fitRows: Int

        var json: JSONValue {
            .object([
                ("sample", .string(isAuditSample ? "audit" : "all labels")), ("audit_rate", .number(rate)),
                ("plans", .array(planIDs.map { .integer($0) })), ("audited_fit_rows", .count(auditedRows)), ("fit_rows", .count(fitRows)),
                (
                    "statement",
                    .string(
                        isAuditSample
                            ? "the guarantee rests on the audit sample: a uniform random sample of the window's predictions"
                            : "the guarantee rests on non-random labels (clinicians review mostly escalated cases); it is not valid for the deployment"
                    )
                ),
            ])
        }
    }

    static func guaranteeBasis(
        fit: LabeledSet, schedule: AuditPlanSchedule, from: Timestamp, to: Timestamp, minimumFit: Int
    ) -> GuaranteeBasis {
        guard let design = DesignSample(clean: fit.rows, schedule: schedule, from: from, to: to) else {
            return GuaranteeBasis(rows: fit, isAuditSample: false, rate: nil, planIDs: [], auditedRows: 0, fitRows: fit.count)
        }
        let audited = LabeledSet(fit.rows.indices.filter { design.member[$0] }.map { fit.rows[$0] })
        let enough = audited.count >= minimumFit
        return GuaranteeBasis(
            rows: enough ? audited : fit, isAuditSample: enough, rate: design.rate, planIDs: design.planIDs,
            auditedRows: audited.count, fitRows: fit.count)
    }

    /// The ranking scores the threshold is chosen on: derived scores at T, client scores as stored.
    static func thresholdScores(
        _ set: LabeledSet, method: String, temperature: Double, orientation: Orientation
    ) -> (scores: [Double], correct: [Bool]) {
        var scores: [Double] = []
        var correct: [Bool] = []
        for (index, row) in set.rows.enumerated() {
            guard let score = thresholdScore(row, method: method, temperature: temperature, orientation: orientation) else { continue }
            scores.append(score)
            correct.append(set.correct[index])
        }
        return (scores, correct)
    }

    /// One prediction's ranking score for the rule "accept when score ≥ τ": derived scores at T, client scores as
    /// stored, negated for uncertainty methods; nil when the prediction lacks the method.
    static func thresholdScore(_ row: ScoredPrediction, method: String, temperature: Double, orientation: Orientation) -> Double? {
        let value: Double?
        if let derivedMethod = DerivedMethod(rawValue: method), let derived = row.derivedScores(temperature: temperature) {
            value = derived.value(of: derivedMethod)
        } else {
            value = row.scores.first { $0.method == method }?.value
        }
        guard let value, value.isFinite else { return nil }
        return orientation == .confidence ? value : -value
    }

    struct SplitMetrics {
        let n: Int
        let accuracy: Double?
        let nllBefore: Double?
        let nllAfter: Double?
        let eceBefore: Double?
        let eceAfter: Double?
        let coverage: Double?
        let acceptedRisk: Double?

        var json: JSONValue {
            .object([
                ("n", .count(n)), ("accuracy", .number(accuracy)), ("nll_before", .number(nllBefore)), ("nll_after", .number(nllAfter)),
                ("ece_before", .number(eceBefore)), ("ece_after", .number(eceAfter)), ("coverage", .number(coverage)),
                ("accepted_error_rate", .number(acceptedRisk)),
            ])
        }
    }

    /// NLL and ECE (msp) before and after T, and coverage and accepted-set error rate at τ.
    static func splitMetrics(
        _ set: LabeledSet, temperature: Double, rule: EscalationRule?, method: String, orientation: Orientation
    ) -> SplitMetrics {
        let logits = set.withLogits
        // Raw msp from the logged option scores themselves; calibrated msp through the logits (docs/statistics.md).
        let mspBefore = set.rows.compactMap { $0.calibratedMSP(temperature: 1) }
        let mspAfter = DerivedScores.msp(of: logits.logits, predicted: logits.predicted, temperature: temperature)
        var coverage: Double?
        var acceptedRisk: Double?
        if let rule {
            let scores = thresholdScores(set, method: method, temperature: temperature, orientation: orientation)
            let accepted = rule.threshold.map { tau in scores.scores.indices.filter { scores.scores[$0] >= tau } } ?? []
            coverage = scores.scores.isEmpty ? nil : Double(accepted.count) / Double(scores.scores.count)
            acceptedRisk = accepted.isEmpty ? nil : Double(accepted.filter { !scores.correct[$0] }.count) / Double(accepted.count)
        }
        return SplitMetrics(
            n: set.count, accuracy: set.accuracy,
            nllBefore: CalibrationMetrics.nll(logits: logits.logits, labels: logits.labels),
            nllAfter: CalibrationMetrics.nll(logits: logits.logits, labels: logits.labels, temperature: temperature),
            eceBefore: CalibrationMetrics.ece(scores: mspBefore, correct: logits.correct)?.ece,
            eceAfter: CalibrationMetrics.ece(scores: mspAfter, correct: logits.correct)?.ece,
            coverage: coverage, acceptedRisk: acceptedRisk)
    }

    /// Hold-out metrics per slice attribute value (site and every attribute seen).
    static func sliceMetrics(
        _ set: LabeledSet, temperature: Double, rule: EscalationRule, method: String, orientation: Orientation
    ) -> JSONValue {
        var names = Set<String>(["site"])
        for row in set.rows { for attribute in row.attributes { names.insert(attribute.key) } }
        var entries: [JSONValue] = []
        for name in names.sorted() {
            let groups = Dictionary(grouping: set.rows) { $0.attribute(name) }
            for (value, rows) in groups.sorted(by: { ($0.key ?? "") < ($1.key ?? "") }) {
                guard let value else { continue }
                let metrics = splitMetrics(LabeledSet(rows), temperature: temperature, rule: rule, method: method, orientation: orientation)
                entries.append(.object([("attribute", .string(name)), ("value", .string(value)), ("metrics", metrics.json)]))
            }
        }
        return .array(entries)
    }

    /// Identifies the fit data and settings: the same labeled rows and options give the same fingerprint.
    static func fingerprint(rows: [ScoredPrediction], options: RecalibrationOptions, plans: [AuditPlan]) -> String {
        var text =
            "\(options.method)|\(options.targetRisk)|\(options.delta)|\(options.budget.map { "\($0)" } ?? "ltt")|\(options.minimumFit)|\(options.tolerance)|\(options.autoActivate)\n"
        if let attribute = options.perSlice { text += "per-slice:\(attribute)|\(options.acceptGlobalForSmallSlices)\n" }
        if !plans.isEmpty { text += "plans:" + plans.map(\.planHash).joined(separator: ",") + "\n" }
        for row in rows { text += "\(row.predictionID)\t\(row.label!)\n" }
        return ChainHash.sha256(text)
    }
}

private func rounded(_ value: Double) -> String {
    String((value * 10_000).rounded() / 10_000)
}
