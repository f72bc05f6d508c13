import AuditCore
import Reports

/// A small report with every section filled: two models (one with an active version, an audit sample, NOTA probes, slices
/// and a monitor; one without a version), a calibration change, drift findings and quarantined records. Built in code so
/// that the renderers can be tested without a database.
enum SampleReport {
    static func make() -> MonthlyReport {
        var watched = ModelSection(model: "llava-med-7b")
        watched.predictions = 1_666
        watched.labeled = 417
        watched.medianLabelDelayDays = 4.7
        watched.accuracy = 0.655
        watched.accuracyLower = 0.607
        watched.accuracyUpper = 0.700
        watched.escalationRate = 0.881
        watched.loggedEscalationRate = 0.106
        watched.acceptedErrorRate = 0.032
        watched.acceptedCount = 31
        watched.acceptedCoverage = 0.074
        watched.alpha = 0.1
        watched.missedErrors = 1
        watched.calibrationVersion = 4
        watched.temperature = 1.284
        watched.threshold = 0.979
        watched.driftStatus = .warn
        watched.verdict = "Calibration version 4 accepts calibrated msp ≥ 0.979 and escalates 88.1 %. Drift status WARN: see section 7."
        watched.methods = [
            MethodRow(
                method: "msp", orientation: "confidence", n: 417, auroc: 0.763, auprcError: 0.61, aurc: 0.18, prr: 0.41,
                eceBefore: 0.121, eceAfter: 0.034),
            MethodRow(
                method: "semantic_entropy", orientation: "uncertainty", n: 417, auroc: 0.702, auprcError: 0.55, aurc: 0.21,
                prr: 0.30, eceBefore: nil, eceAfter: nil),
        ]
        watched.reliabilityBefore = [
            ReliabilityPoint(confidence: 0.55, accuracy: 0.41, n: 120), ReliabilityPoint(confidence: 0.85, accuracy: 0.72, n: 297),
        ]
        watched.reliabilityAfter = [
            ReliabilityPoint(confidence: 0.5, accuracy: 0.47, n: 150), ReliabilityPoint(confidence: 0.8, accuracy: 0.77, n: 267),
        ]
        watched.riskCoverage = [CurvePoint(x: 0.1, y: 0.02), CurvePoint(x: 0.5, y: 0.15), CurvePoint(x: 1, y: 0.345)]
        watched.slices = [
            SliceRow(attribute: "site", value: "site-a", n: 210, accuracy: 0.70, auroc: 0.78, flagged: false),
            SliceRow(attribute: "site", value: "site-b", n: 207, accuracy: 0.61, auroc: 0.64, flagged: true),
        ]
        watched.nota = NotaSection(
            pairs: 32, cleanAccuracy: 0.75, notaAccuracy: 0.594, collapses: 6,
            methods: [(method: "msp", meanClean: 0.850, meanNota: 0.819, gap: 0.031, eceNota: 0.29, fragility: 0.71)],
            fragileLive: 212, fragilityThreshold: 0.62)
        watched.findingsBasis = "audit sample"
        watched.audit = AuditSummary(
            rate: 0.15, members: 263, labeled: 230, completion: 0.875, accuracy: 0.726, accuracyLower: 0.673, accuracyUpper: 0.780,
            ppiEstimate: 0.719, ppiLower: 0.671, ppiUpper: 0.768, naiveAccuracy: 0.655, selectionGap: -0.071, selectionFlag: true,
            completionLow: true)
        watched.auditMSPAUROC = 0.771

        var unwatched = ModelSection(model: "rad-phi-4b")
        unwatched.predictions = 1_666
        unwatched.labeled = 0
        unwatched.escalationRate = 1
        unwatched.driftStatus = .ok
        unwatched.verdict = "No labels this month. No active calibration: every answer needs clinician review."

        var report = MonthlyReport(
            month: "2026-11", chainHead: String(repeating: "ab", count: 32), chainHeadBatch: 8,
            chainHeadTime: "2026-12-01T02:00:00.000000Z",
            integrityIntact: true, integrityProblems: [],
            fleet: FleetSummary(
                predictions: 3_332, labeled: 417, probes: 320, points: [(model: "llava-med-7b", accuracy: 0.655, auroc: 0.763)],
                spearman: nil),
            models: [watched, unwatched],
            calibrationChanges: [
                CalibrationChange(
                    version: 4, model: "llava-med-7b", status: .active, actor: "recalibrate", reason: "guarantee met",
                    at: "2026-11-01T00:00:00Z", temperature: 1.284, threshold: 0.979)
            ],
            driftRuns: [
                DriftSummary(
                    model: "llava-med-7b", status: .warn,
                    findings: [(severity: .warn, message: "modality mix PSI 0.130 (warn)", action: "review the modality mix")])
            ],
            dataQuality: DataQuality(
                quarantinedByReason: [(field: "option_probs", count: 3, example: "option_probs sum to 1.2")],
                unknownPredictionLabels: 1, lateLabels: 2))
        report.calibrationHead = String(repeating: "cd", count: 32)
        report.driftHead = String(repeating: "ef", count: 32)
        report.monitorHead = String(repeating: "01", count: 32)
        report.checkpointHead = String(repeating: "02", count: 32)
        report.accessHead = String(repeating: "03", count: 32)
        report.access = AccessSection(
            counts: [
                .init(actor: "anonymous", action: "GET /v1/models", outcome: .denied, count: 2),
                .init(actor: "os:auditor", action: "cli report monthly", outcome: .allowed, count: 1),
                .init(actor: "token:dashboard#4", action: "GET /v1/models/{model}/evaluation", outcome: .allowed, count: 412),
                .init(actor: "token:dashboard#4", action: "GET /v1/models/{model}/evaluation", outcome: .failed, count: 3),
            ],
            newActors: ["token:dashboard#4"],
            offHoursBulk: [.init(actor: "token:dashboard#4", hour: "2026-11-07T02:00Z", count: 37)])
        report.verifiedRange = VerifiedRange(fromCheckpoint: 3, afterBatch: 380, throughBatch: 420, batchesChecked: 40, rowsChecked: 51_234)
        report.schemaDefinitions = 310
        var monitor = MonitorSection(model: "llava-med-7b", version: 4, threshold: 0.979, alpha: 0.1, delta: 0.05)
        monitor.observations = 31
        monitor.errors = 1
        monitor.logEValue = -1.2
        monitor.maxLogEValue = 0.4
        monitor.trajectory = [
            MonitorPoint(t: 10, logEValue: 0.4, errorRate: 0.1, lowerBound: 0),
            MonitorPoint(t: 31, logEValue: -1.2, errorRate: 0.032, lowerBound: 0),
        ]
        monitor.slices = [
            MonitorSliceRow(
                attribute: "site", value: "site-b", threshold: 0.979, coverage: 0.06, observations: 14, errors: 1,
                logEValue: -0.3, delta: 0.0125, alarm: false)
        ]
        report.monitors = [monitor]
        return report
    }
}
