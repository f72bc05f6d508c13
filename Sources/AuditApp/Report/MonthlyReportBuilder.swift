import AuditCore
import AuditStore
import Foundation
import Reports
import Statistics

/// Why a report could not be built.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
}

/// Where a written report went.
public struct WrittenReport: Sendable {
    public let folder: String
    public let markdown: String
    public let html: String
    public let json: String
    /// The report model that was rendered.
    public let report: MonthlyReport
    /// Seconds the report waited for database reads, and spent computing and rendering.
    public let databaseSeconds: Double
    public let computeSeconds: Double
    /// Seconds the integrity check (`verify` from the newest checkpoint, or from genesis without one) took; it runs beside the rest, so it is not part of the two above.
    public let integritySeconds: Double
}

/// Where the time of one report went.
struct ReportTiming {
    /// Seconds the report's own thread waited for database reads (including the integrity check when it ran last).
    var databaseWait = 0.0
    /// Seconds the integrity check took.
    var integrity = 0.0
}

/// One model's stored rows of the month, read ahead of its statistics.
private struct ModelRows: Sendable {
    let rows: [ScoredPrediction]
    let active: CalibrationVersion?
    let cleanLookup: [String: ScoredPrediction]
    let schedule: AuditPlanSchedule
}

/// The formats a monthly report can be rendered in.
public enum ReportFormat: Sendable {
    case json, html, markdown
}

extension AuditApp {
    /// Builds the monthly safety report of `month` (`YYYY-MM`) and writes report.md, report.html and report.json
    /// into `outFolder/YYYY-MM/`; `progress` hears of each model done (done, of, model).
    public func writeMonthlyReport(
        month: String, outFolder: String,
        progress: (_ done: Int, _ total: Int, _ model: String) -> Void = { _, _, _ in }
    ) throws -> WrittenReport {
        let started = Date()
        var timing = ReportTiming()
        let report = try monthlyReport(month: month, timing: &timing, progress: progress)
        let folder = (outFolder as NSString).appendingPathComponent(month)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let paths = ["report.md", "report.html", "report.json"].map { (folder as NSString).appendingPathComponent($0) }
        try MarkdownRenderer.render(report).write(toFile: paths[0], atomically: true, encoding: .utf8)
        try HTMLRenderer.render(report).write(toFile: paths[1], atomically: true, encoding: .utf8)
        try (CanonicalJSON.text(report.json) + "\n").write(toFile: paths[2], atomically: true, encoding: .utf8)
        return WrittenReport(
            folder: folder, markdown: paths[0], html: paths[1], json: paths[2], report: report, databaseSeconds: timing.databaseWait,
            computeSeconds: Date().timeIntervalSince(started) - timing.databaseWait, integritySeconds: timing.integrity)
    }

    /// The report of `month` rendered in one format (the HTTP service builds it on request).
    public func renderedMonthlyReport(month: String, format: ReportFormat) throws -> String {
        let report = try monthlyReport(month: month)
        switch format {
        case .json: return CanonicalJSON.text(report.json) + "\n"
        case .html: return HTMLRenderer.render(report)
        case .markdown: return MarkdownRenderer.render(report)
        }
    }

    /// The report model of `month`.
    public func monthlyReport(month: String) throws -> MonthlyReport {
        var ignored = ReportTiming()
        return try monthlyReport(month: month, timing: &ignored)
    }

    /// The report model of `month`, recording where the time went in `timing`.
    ///
    /// Three things overlap: the integrity check (`verify` from the newest checkpoint, on its own connection unless this copy runs on a
    /// lent pool connection), the reads of the next model's rows (``Prefetch/forEach(_:on:read:awaiting:_:)``), and the
    /// statistics of the current model.
    func monthlyReport(
        month: String, timing: inout ReportTiming,
        progress: (_ done: Int, _ total: Int, _ model: String) -> Void = { _, _, _ in }
    ) throws -> MonthlyReport {
        func read<T>(_ body: () throws -> T) rethrows -> T {
            let started = Date()
            defer { timing.databaseWait += Date().timeIntervalSince(started) }
            return try body()
        }
        guard let (start, end) = Timestamp.monthBounds(month), Timestamp.plausibleRange.contains(start) else {
            throw ReportError(description: "--month must be YYYY-MM, not \(month)")
        }
        let connection = try migratedConnection()
        let timedVerify = { @Sendable [self] () throws -> (ChainReport, Double) in
            let started = Date()
            return (try verify(), Date().timeIntervalSince(started))
        }
        let integrityCheck = isBorrowing ? nil : BackgroundWork(timedVerify)
        let orientations = try read { try ScoredPredictionQueries.orientations(connection) }
        let drift = Dictionary(uniqueKeysWithValues: try read { try DriftStore.latest(connection) }.map { ($0.model, $0) })
        let models = try read { try ScoredPredictionQueries.modelNames(connection) }
        let readModel = { @Sendable [self] (connection: StoreConnection, model: String) throws -> ModelRows in
            let rows = try ScoredPredictionQueries.load(connection, model: model, from: start, to: end)
            return ModelRows(
                rows: rows, active: try CalibrationStore.active(connection, model: model),
                cleanLookup: try cleanPredictionsOfProbes(connection, model: model, probes: rows.filter(\.isProbe)),
                schedule: AuditPlanSchedule(plans: try AuditPlanStore.plans(connection, model: model)))
        }
        var sections: [ModelSection] = []
        var coverage: [String: [MonitorSlice: Double]] = [:]
        var totals = (predictions: 0, labeled: 0, probes: 0)
        var modelsDone = 0
        try Prefetch.forEach(models, on: connection, read: readModel, awaiting: { try read($0) }) { model, stored in
            modelsDone += 1
            defer { progress(modelsDone, models.count, model) }
            guard !stored.rows.isEmpty else { return }
            let evaluation = Self.evaluation(
                model: model, from: start, to: end, predictions: stored.rows, orientations: orientations, active: stored.active,
                cleanLookup: stored.cleanLookup, schedule: stored.schedule)
            totals.predictions += evaluation.clean.count
            totals.labeled += evaluation.labeled.count
            totals.probes += stored.rows.count - evaluation.clean.count
            sections.append(
                Self.modelSection(
                    evaluation, active: stored.active, drift: drift[model],
                    orientation: stored.active.flatMap { orientations[$0.method] } ?? .confidence))
            coverage[model] = Self.sliceCoverage(
                evaluation.clean, version: stored.active,
                orientation: stored.active.flatMap { orientations[$0.method] } ?? .confidence)
        }
        // A lent pool connection has no sibling to verify on, so the HTTP service verifies after the models.
        let (integrity, integritySeconds) = try read { try integrityCheck?.wait() ?? timedVerify() }
        timing.integrity = integritySeconds
        let points = sections.compactMap(\.findingPoint)
        let spearman =
            points.count >= Descriptive.minimumSpearmanPoints ? Descriptive.spearman(points.map(\.accuracy), points.map(\.auroc)) : nil
        let versions = Dictionary(uniqueKeysWithValues: try CalibrationStore.list(connection).map { ($0.versionID, $0) })
        let changes = try CalibrationStore.events(connection, from: start, to: end).map { event in
            CalibrationChange(
                version: event.versionID, model: event.model, status: event.status, actor: event.actor, reason: event.reason,
                at: String(event.recordedAt.rfc3339.prefix(19)) + "Z", temperature: versions[event.versionID]?.temperature,
                threshold: versions[event.versionID]?.threshold)
        }
        let driftSummaries = drift.values.sorted { $0.model < $1.model }.map { run -> DriftSummary in
            var findings: [(severity: DriftSeverity, message: String, action: String?)] = []
            if case .array(let list)? = run.findings["findings"] {
                for finding in list {
                    guard let severity = finding["severity"]?.stringValue.flatMap(DriftSeverity.init(rawValue:)), severity != .ok else {
                        continue
                    }
                    findings.append((severity, finding["message"]?.stringValue ?? "", finding["action"]?.stringValue))
                }
            }
            return DriftSummary(model: run.model, status: run.status, findings: findings)
        }
        var report = MonthlyReport(
            month: month, chainHead: integrity.head?.hash, chainHeadBatch: integrity.head?.batchID,
            chainHeadTime: integrity.head?.ingestedAt,
            integrityIntact: integrity.intact, integrityProblems: integrity.problems.map(\.description),
            fleet: FleetSummary(
                predictions: totals.predictions, labeled: totals.labeled, probes: totals.probes, points: points, spearman: spearman,
                spearmanInterval: spearman.flatMap { Descriptive.spearmanInterval($0, n: points.count) }),
            models: sections, calibrationChanges: changes, driftRuns: driftSummaries,
            dataQuality: DataQuality(
                quarantinedByReason: try DataQualityQueries.quarantinedByField(connection, from: start, to: end),
                unknownPredictionLabels: try DataQualityQueries.unknownPredictionLabels(connection, from: start, to: end),
                lateLabels: try DataQualityQueries.lateLabels(connection, from: start, to: end)))
        report.monitors = try read { try Self.monitorSections(connection, end: end, coverage: coverage, orientations: orientations) }
        // The rule in force: a model whose monitor alarmed escalates everything, whatever its threshold says.
        for monitor in report.monitors where monitor.isAlarmed {
            guard let index = report.models.firstIndex(where: { $0.model == monitor.model }) else { continue }
            report.models[index].verdict +=
                " The threshold monitor's alarm against version \(monitor.version) stands: the model now "
                + "escalates everything until a person activates a new version (section 6)."
        }
        report.calibrationHead = integrity.calibrationHead
        report.driftHead = integrity.driftHead
        report.monitorHead = integrity.monitorHead
        report.checkpointHead = integrity.checkpointHead
        report.accessHead = integrity.accessHead
        report.access = try read { try AccessStore.section(connection, from: start, to: end) }
        report.verifiedRange = integrity.range
        (report.schemaDefinitions, report.schemaNotChecked) = (integrity.schemaDefinitions, integrity.schemaNotChecked)
        report.schemaDifferences = integrity.schemaProblems
        return report
    }

    static func modelSection(
        _ evaluation: ModelEvaluation, active: CalibrationVersion?, drift: DriftRun?,
        orientation: Orientation = .confidence
    ) -> ModelSection {
        var section = ModelSection(model: evaluation.model)
        let labeled = evaluation.labeled
        section.predictions = evaluation.clean.count
        section.labeled = labeled.count
        section.accuracy = labeled.accuracy
        if let interval = Bootstrap.proportionInterval(labeled.correct, seed: stableSeed(evaluation.model)) {
            section.accuracyLower = interval.lower
            section.accuracyUpper = interval.upper
        }
        let delays = labeled.rows.compactMap { row in
            row.labelReviewedAt.map { Double($0.microseconds - row.occurredAt.microseconds) / 86_400e6 }
        }.sorted()
        section.medianLabelDelayDays = delays.isEmpty ? nil : Descriptive.quantile(sorted: delays, 0.5)
        section.calibrationVersion = active?.versionID
        section.temperature = active?.temperature
        section.threshold = active?.threshold
        section.alpha = active?.targetRisk
        if let active {
            // The product's rule: the slice's τ when the version has per-slice thresholds, else the version's.
            let rule = AcceptanceRule(version: active, orientation: orientation)
            if rule.acceptsAnything {
                let scored = evaluation.clean.filter { rule.score($0) != nil }
                section.escalationRate = scored.isEmpty ? nil : Double(scored.filter { !rule.accepts($0) }.count) / Double(scored.count)
                let accepted = labeled.rows.indices.filter { rule.accepts(labeled.rows[$0]) }
                let missed = accepted.filter { !labeled.correct[$0] }.count
                section.missedErrors = missed
                section.acceptedErrorRate = accepted.isEmpty ? nil : Double(missed) / Double(accepted.count)
                section.acceptedCount = accepted.count
                section.acceptedCoverage = labeled.count == 0 ? nil : Double(accepted.count) / Double(labeled.count)
            } else {
                section.escalationRate = 1
                section.missedErrors = 0
            }
        } else {
            // The product's rule without an active version: every answer needs clinician review.
            section.escalationRate = 1
        }
        let logged = evaluation.clean.compactMap(\.escalated)
        section.loggedEscalationRate = logged.isEmpty ? nil : Double(logged.filter { $0 }.count) / Double(logged.count)
        section.driftStatus = drift?.status
        if let audit = evaluation.audit {
            let interval = audit.interval
            let classical = Bootstrap.proportionInterval(audit.labeled.correct, seed: stableSeed(evaluation.model))
            section.audit = AuditSummary(
                rate: audit.rate, members: audit.members, labeled: audit.labeled.count, completion: audit.completion,
                accuracy: audit.accuracy, accuracyLower: classical?.lower, accuracyUpper: classical?.upper,
                ppiEstimate: audit.ppi?.estimate, ppiLower: interval?.low, ppiUpper: interval?.high, naiveAccuracy: audit.naiveAccuracy,
                selectionGap: audit.selectionGap, selectionFlag: audit.selectionFlag, completionLow: audit.completionLow)
            section.auditMSPAUROC = audit.methods[DerivedMethod.msp.rawValue]?.auroc
        }
        section.methods = evaluation.methods.keys.sorted().map { name in
            let metrics = evaluation.methods[name]!
            return MethodRow(
                method: name, orientation: metrics.orientation.rawValue, n: metrics.n, auroc: metrics.auroc,
                auprcError: metrics.auprcError, aurc: metrics.aurc, prr: metrics.prr, eceBefore: metrics.calibration?.ece,
                eceAfter: evaluation.calibratedMethods[name]?.calibration?.ece)
        }
        if let msp = evaluation.methods[DerivedMethod.msp.rawValue] {
            section.reliabilityBefore = (msp.calibration?.reliability ?? []).map {
                ReliabilityPoint(confidence: $0.conf, accuracy: $0.acc, n: $0.n)
            }
            section.riskCoverage = downsample(msp.riskCoverage).map { CurvePoint(x: $0.coverage, y: $0.risk) }
        }
        section.reliabilityAfter = (evaluation.calibratedMethods[DerivedMethod.msp.rawValue]?.calibration?.reliability ?? []).map {
            ReliabilityPoint(confidence: $0.conf, accuracy: $0.acc, n: $0.n)
        }
        section.slices = slices(labeled, modelAccuracy: labeled.accuracy)
        // The seed's findings rest on the audit sample when there is one (docs/audit.md), else on every label.
        let findingsNota = evaluation.audit.map { ($0.nota, $0.fragilityPairs) } ?? (evaluation.nota, evaluation.fragilityPairs)
        section.findingsBasis = evaluation.audit == nil ? "all labels" : "audit sample"
        if let nota = findingsNota.0 {
            let threshold = fragilityThreshold(findingsNota.1)
            let fragile = threshold.map { tau in evaluation.cleanMSP.filter { ($0 ?? 1) < tau }.count } ?? 0
            section.nota = NotaSection(
                pairs: nota.pairs, cleanAccuracy: nota.cleanAccuracy, notaAccuracy: nota.notaAccuracy, collapses: nota.collapses,
                methods: nota.methods.keys.sorted().map { name in
                    let method = nota.methods[name]!
                    return (
                        name, method.meanConfidenceClean, method.meanConfidenceNota, method.calibrationGapNota, method.eceNota,
                        method.fragilityAUROC
                    )
                },
                fragileLive: fragile, fragilityThreshold: threshold)
        }
        section.verdict = verdict(section)
        return section
    }

    /// Per-slice accuracy and msp AUROC; flagged when accuracy is below the model's and AUROC is weak.
    static func slices(_ labeled: LabeledSet, modelAccuracy: Double?) -> [SliceRow] {
        var rows: [SliceRow] = []
        var names = Set<String>(["site"])
        for row in labeled.rows { for attribute in row.attributes { names.insert(attribute.key) } }
        for name in names.sorted() {
            var groups: [String: [Int]] = [:]
            for (index, row) in labeled.rows.enumerated() {
                if let value = row.attribute(name) { groups[value, default: []].append(index) }
            }
            for (value, indices) in groups.sorted(by: { $0.key < $1.key }) {
                let correct = indices.map { labeled.correct[$0] }
                let accuracy = Double(correct.filter { $0 }.count) / Double(correct.count)
                let scores = indices.compactMap { labeled.msp[$0] }
                let auroc = scores.count == correct.count ? Discrimination.auroc(scores: scores, positive: correct) : nil
                let flagged = indices.count >= 30 && accuracy < (modelAccuracy ?? 0) - 0.05 && (auroc ?? 0.5) < 0.65
                rows.append(SliceRow(attribute: name, value: value, n: indices.count, accuracy: accuracy, auroc: auroc, flagged: flagged))
            }
        }
        return rows
    }

    /// The msp below which a clean prediction is flagged fragile: the threshold on clean msp that best separates
    /// collapses from survivals among NOTA pairs whose clean answer was right (maximum Youden's J = TPR − FPR).
    static func fragilityThreshold(_ pairs: [(cleanMSP: Double, collapsed: Bool)]) -> Double? {
        let collapses = pairs.filter(\.collapsed).count
        let survivals = pairs.count - collapses
        guard collapses > 0, survivals > 0 else { return nil }
        let sorted = pairs.sorted { $0.cleanMSP < $1.cleanMSP }
        var best: (j: Double, threshold: Double)?
        var flaggedCollapses = 0
        var flaggedSurvivals = 0
        var index = 0
        while index < sorted.count {
            // Flag everything strictly below this candidate.
            let candidate = sorted[index].cleanMSP
            let j = Double(flaggedCollapses) / Double(collapses) - Double(flaggedSurvivals) / Double(survivals)
            if best == nil || j > best!.j { best = (j, candidate) }
            while index < sorted.count && sorted[index].cleanMSP == candidate {
                if sorted[index].collapsed { flaggedCollapses += 1 } else { flaggedSurvivals += 1 }
                index += 1
            }
        }
        return best?.threshold
    }

    /// One plain-language paragraph per model.
    static func verdict(_ section: ModelSection) -> String {
        var sentences: [String] = []
        if let audit = section.audit, let estimate = audit.ppiEstimate ?? audit.accuracy {
            var text =
                "Accuracy \(percent(estimate)) (95 % CI \(percent(audit.ppiLower ?? 0))–\(percent(audit.ppiUpper ?? 0)), on the audit "
                + "sample: \(audit.labeled) of \(audit.members) members labeled); every label alone would say \(percent(audit.naiveAccuracy ?? 0))"
            if audit.selectionFlag { text += ", outside that interval: the labels are not a random sample" }
            if audit.completionLow {
                text += "; audit completion \(percent(audit.completion ?? 0)) is below 90 %: the missing labels may be the hard cases"
            }
            sentences.append(text + ".")
        } else if let accuracy = section.accuracy {
            sentences.append(
                "Accuracy \(percent(accuracy)) on \(section.labeled) labeled predictions (no audit plan: labels are not a random sample).")
        } else {
            sentences.append("No clinician labels yet; accuracy unknown.")
        }
        if let version = section.calibrationVersion {
            if let threshold = section.threshold {
                var text =
                    "Calibration version \(version) accepts calibrated msp ≥ \(format(threshold)) and escalates \(percent(section.escalationRate))"
                if let error = section.acceptedErrorRate, let alpha = section.alpha {
                    text += "; accepted answers erred \(percent(error)) against the guaranteed \(percent(alpha))"
                    text += error > alpha ? " (above α: review)" : " (within α)"
                }
                sentences.append(text + ".")
            } else {
                sentences.append("No threshold meets the guarantee: every prediction is escalated to a clinician.")
            }
        } else {
            sentences.append("No active calibration: every answer needs clinician review.")
        }
        if let auroc = section.auditMSPAUROC ?? section.methods.first(where: { $0.method == DerivedMethod.msp.rawValue })?.auroc {
            let quality = auroc >= 0.8 ? "well" : (auroc >= 0.65 ? "moderately" : "poorly")
            sentences.append("Its uncertainty separates right from wrong \(quality) (msp AUROC \(format(auroc))).")
        }
        if let nota = section.nota, let clean = nota.cleanAccuracy, let probe = nota.notaAccuracy,
            let msp = nota.msp, let before = msp.meanClean, let after = msp.meanNota
        {
            sentences.append(
                "Under NOTA probes accuracy falls from \(percent(clean)) to \(percent(probe)) while mean msp moves only "
                    + "\(format(before)) → \(format(after)).")
        }
        if let drift = section.driftStatus, drift != .ok { sentences.append("Drift status \(drift.rawValue): see section 7.") }
        return sentences.joined(separator: " ")
    }

    /// At most 60 points of a curve, evenly spaced, always with the last.
    static func downsample(_ curve: [RiskCoveragePoint]) -> [RiskCoveragePoint] {
        guard curve.count > 60 else { return curve }
        let step = Double(curve.count - 1) / 59
        return (0..<60).map { curve[Int((Double($0) * step).rounded())] }
    }

    /// A seed that depends only on the model's name (FNV-1a), so bootstrap intervals are reproducible.
    static func stableSeed(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

extension ModelSection {
    /// The model's point of the fleet finding "UE quality tracks accuracy": accuracy and msp AUROC on the audit sample
    /// when there is one, else on every label.
    var findingPoint: (model: String, accuracy: Double, auroc: Double)? {
        if let audit {
            guard let accuracy = audit.accuracy, let auroc = auditMSPAUROC else { return nil }
            return (model, accuracy, auroc)
        }
        guard let accuracy, let auroc = methods.first(where: { $0.method == DerivedMethod.msp.rawValue })?.auroc else { return nil }
        return (model, accuracy, auroc)
    }
}
