/// Everything the monthly safety report shows, as plain values: the app builds it, the renderers draw it.
public struct MonthlyReport: Sendable {
    public var month: String
    /// The newest ingest batch at report time: printed so that the report anchors history outside the database.
    public var chainHead: String?
    public var chainHeadBatch: Int64?
    public var chainHeadTime: String?
    /// The heads of the calibration event chain and of the drift chain at report time, printed for the same reason.
    public var calibrationHead: String?
    public var driftHead: String?
    /// Schema definitions `verify` found matching the migrations, or why it could not compare them.
    public var schemaDefinitions = 0
    public var schemaNotChecked: String?
    /// How many of `integrityProblems` are differences between the schema and the migrations.
    public var schemaDifferences = 0
    public var integrityIntact: Bool
    public var integrityProblems: [String]
    public var fleet: FleetSummary
    public var models: [ModelSection]
    public var calibrationChanges: [CalibrationChange]
    public var driftRuns: [DriftSummary]
    public var dataQuality: DataQuality
    /// The sequential monitor of every model with an active version.
    public var monitors: [MonitorSection] = []
    /// The newest monitor event's hash (nil when there is none).
    public var monitorHead: String?
    /// The newest checkpoint's hash (nil when none was sealed).
    public var checkpointHead: String?
    /// The newest access event's hash (nil while nothing was read).
    public var accessHead: String?
    /// Who read what during the month (nil in a report built without the access log).
    public var access: AccessSection?
    /// Which batches the integrity check recomputed (nil in a report built without one).
    public var verifiedRange: VerifiedRange?

    public init(
        month: String, chainHead: String?, chainHeadBatch: Int64?, chainHeadTime: String?, integrityIntact: Bool,
        integrityProblems: [String], fleet: FleetSummary, models: [ModelSection], calibrationChanges: [CalibrationChange],
        driftRuns: [DriftSummary], dataQuality: DataQuality
    ) {
        self.month = month
        self.chainHead = chainHead
        self.chainHeadBatch = chainHeadBatch
        self.chainHeadTime = chainHeadTime
        self.integrityIntact = integrityIntact
        self.integrityProblems = integrityProblems
        self.fleet = fleet
        self.models = models
        self.calibrationChanges = calibrationChanges
        self.driftRuns = driftRuns
        self.dataQuality = dataQuality
    }
}

/// The fleet at a glance, and the seed's finding measured on this hospital's data.
public struct FleetSummary: Sendable {
    public var predictions: Int
    public var labeled: Int
    public var probes: Int
    /// Accuracy vs msp AUROC per model.
    public var points: [(model: String, accuracy: Double, auroc: Double)]
    /// Spearman's ρ between model accuracy and msp AUROC (nil with fewer than five models).
    public var spearman: Double?
    /// Its approximate 95 % interval (docs/statistics.md).
    public var spearmanInterval: (low: Double, high: Double)?

    public init(
        predictions: Int, labeled: Int, probes: Int, points: [(model: String, accuracy: Double, auroc: Double)], spearman: Double?,
        spearmanInterval: (low: Double, high: Double)? = nil
    ) {
        self.predictions = predictions
        self.labeled = labeled
        self.probes = probes
        self.points = points
        self.spearman = spearman
        self.spearmanInterval = spearmanInterval
    }

    /// Why ρ may be missing: "3 models with labels (at least 5 are needed)".
    public var spearmanShortfall: String {
        "\(points.count) model\(points.count == 1 ? "" : "s") with labels (at least 5 are needed)"
    }
}

/// What the uncertainty-quality section says for a model without a labeled prediction this month.
public let noMethodQuality = "No labeled prediction this month: uncertainty quality cannot be measured."

/// One model's section.
public struct ModelSection: Sendable {
    public var model: String
    public var predictions: Int
    public var labeled: Int
    public var medianLabelDelayDays: Double?
    public var accuracy: Double?
    public var accuracyLower: Double?
    public var accuracyUpper: Double?
    /// The share of clean predictions the product's rule escalates (calibrated msp < τ; all of them without an active
    /// version or when no threshold met the guarantee).
    public var escalationRate: Double?
    /// The share the deployed service logged as escalated (`escalated` in the records), which may follow another rule.
    public var loggedEscalationRate: Double?
    public var acceptedErrorRate: Double?
    /// Labeled predictions the rule accepts, and their share of the labeled (the risk–coverage chart's τ marker).
    public var acceptedCount: Int?
    public var acceptedCoverage: Double?
    public var alpha: Double?
    /// Accepted (not escalated) and wrong: errors that reached patients' records unreviewed.
    public var missedErrors: Int?
    public var calibrationVersion: Int64?
    public var temperature: Double?
    public var threshold: Double?
    public var driftStatus: DriftSeverity?
    public var verdict: String
    public var methods: [MethodRow]
    public var reliabilityBefore: [ReliabilityPoint]
    public var reliabilityAfter: [ReliabilityPoint]
    public var riskCoverage: [CurvePoint]
    public var slices: [SliceRow]
    public var nota: NotaSection?
    /// Which labels the NOTA section and the fleet findings rest on: `audit sample` or `all labels`.
    public var findingsBasis = "all labels"
    /// The audit sample's estimates beside the naive ones; nil when no audit plan covers the month.
    public var audit: AuditSummary?
    /// msp AUROC on the audit sample (nil without one).
    public var auditMSPAUROC: Double?

    public init(model: String) {
        self.model = model
        predictions = 0
        labeled = 0
        verdict = ""
        methods = []
        reliabilityBefore = []
        reliabilityAfter = []
        riskCoverage = []
        slices = []
    }
}

/// One UE method's quality.
public struct MethodRow: Sendable {
    public var method: String
    public var orientation: String
    public var n: Int
    public var auroc: Double?
    public var auprcError: Double?
    public var aurc: Double?
    public var prr: Double?
    public var eceBefore: Double?
    public var eceAfter: Double?

    public init(
        method: String, orientation: String, n: Int, auroc: Double?, auprcError: Double?, aurc: Double?, prr: Double?,
        eceBefore: Double?, eceAfter: Double?
    ) {
        self.method = method
        self.orientation = orientation
        self.n = n
        self.auroc = auroc
        self.auprcError = auprcError
        self.aurc = aurc
        self.prr = prr
        self.eceBefore = eceBefore
        self.eceAfter = eceAfter
    }
}

/// A reliability-diagram bin.
public struct ReliabilityPoint: Sendable {
    public var confidence: Double
    public var accuracy: Double
    public var n: Int

    public init(confidence: Double, accuracy: Double, n: Int) {
        self.confidence = confidence
        self.accuracy = accuracy
        self.n = n
    }
}

/// A point of a curve (risk–coverage).
public struct CurvePoint: Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// Accuracy and UE quality of one slice.
public struct SliceRow: Sendable {
    public var attribute: String
    public var value: String
    public var n: Int
    public var accuracy: Double?
    public var auroc: Double?
    /// Accuracy below the model's and AUROC weak: uncertainty is least reliable here.
    public var flagged: Bool

    public init(attribute: String, value: String, n: Int, accuracy: Double?, auroc: Double?, flagged: Bool) {
        self.attribute = attribute
        self.value = value
        self.n = n
        self.accuracy = accuracy
        self.auroc = auroc
        self.flagged = flagged
    }
}

/// NOTA stress tests of one model.
public struct NotaSection: Sendable {
    public var pairs: Int
    public var cleanAccuracy: Double?
    public var notaAccuracy: Double?
    public var collapses: Int
    public var methods: [(method: String, meanClean: Double?, meanNota: Double?, gap: Double?, eceNota: Double?, fragility: Double?)]
    /// Live clean predictions of the month whose msp is below the fragility threshold.
    public var fragileLive: Int
    public var fragilityThreshold: Double?

    public init(
        pairs: Int, cleanAccuracy: Double?, notaAccuracy: Double?, collapses: Int,
        methods: [(method: String, meanClean: Double?, meanNota: Double?, gap: Double?, eceNota: Double?, fragility: Double?)],
        fragileLive: Int, fragilityThreshold: Double?
    ) {
        self.pairs = pairs
        self.cleanAccuracy = cleanAccuracy
        self.notaAccuracy = notaAccuracy
        self.collapses = collapses
        self.methods = methods
        self.fragileLive = fragileLive
        self.fragilityThreshold = fragilityThreshold
    }

    /// The row of msp, the derived method every prediction with option scores has.
    public var msp: (method: String, meanClean: Double?, meanNota: Double?, gap: Double?, eceNota: Double?, fragility: Double?)? {
        methods.first { $0.method == DerivedMethod.msp.rawValue }
    }
}

/// A calibration status change in the month.
public struct CalibrationChange: Sendable {
    public var version: Int64
    public var model: String
    public var status: CalibrationStatus
    public var actor: String
    public var reason: String
    public var at: String
    public var temperature: Double?
    public var threshold: Double?

    public init(
        version: Int64, model: String, status: CalibrationStatus, actor: String, reason: String, at: String, temperature: Double?,
        threshold: Double?
    ) {
        self.version = version
        self.model = model
        self.status = status
        self.actor = actor
        self.reason = reason
        self.at = at
        self.temperature = temperature
        self.threshold = threshold
    }
}

/// A model's drift status and its non-OK findings.
public struct DriftSummary: Sendable {
    public var model: String
    public var status: DriftSeverity
    public var findings: [(severity: DriftSeverity, message: String, action: String?)]

    public init(model: String, status: DriftSeverity, findings: [(severity: DriftSeverity, message: String, action: String?)]) {
        self.model = model
        self.status = status
        self.findings = findings
    }
}

/// Data quality of the month.
public struct DataQuality: Sendable {
    public var quarantinedByReason: [(field: String, count: Int, example: String)]
    public var unknownPredictionLabels: Int
    /// Labels recorded more than 30 days after their prediction.
    public var lateLabels: Int

    public init(quarantinedByReason: [(field: String, count: Int, example: String)], unknownPredictionLabels: Int, lateLabels: Int) {
        self.quarantinedByReason = quarantinedByReason
        self.unknownPredictionLabels = unknownPredictionLabels
        self.lateLabels = lateLabels
    }
}

extension MonthlyReport {
    /// Which part of the records chain was recomputed, in one sentence for the integrity section.
    public var verifiedRangeSentence: String {
        guard let range = verifiedRange else { return "Verified range: not recorded." }
        let checked = "\(range.batchesChecked) batches, \(range.rowsChecked) rows recomputed"
        return "Verified range: \(range.description); \(checked)"
            + (range.isFull ? "." : ". Rows before the checkpoint are covered by its seal; vlm-audit verify --full rechecks them.")
    }

    /// What the comparison of the schema with the migrations found, in one sentence for the integrity section.
    /// True only when every check ran and passed: rows, chains and the schema's comparison with the migrations.
    public var integrityComplete: Bool { integrityIntact && schemaNotChecked == nil }

    /// The integrity verdict as the report's first line states it; a check that could not run never reads as passed.
    public var integrityVerdict: String {
        if !integrityIntact { return "the audit log FAILED verification" }
        if let reason = schemaNotChecked {
            return
                "the audit log is only PARTIALLY verified: rows and chains are intact, but the schema was not compared with the migrations (\(reason))"
        }
        return "the audit log verified intact"
    }

    public var schemaSentence: String {
        if let reason = schemaNotChecked { return "Schema: not compared with the migrations (\(reason))." }
        return "Schema: \(schemaDefinitions) definitions (views, triggers, functions, constraints, columns) compared with the migrations"
            + (schemaDifferences > 0 ? "; differences are listed above." : "; all match.")
    }
}

/// A model's accuracy three ways (docs/audit.md): naive (every label, biased by who gets reviewed), on the audit sample
/// (a uniform random sample, unbiased), and prediction-powered (the audit sample corrected with every prediction's
/// calibrated confidence: unbiased and tightest). The validity conditions come with them.
public struct AuditSummary: Sendable {
    public var rate: Double
    public var members: Int
    public var labeled: Int
    public var completion: Double?
    public var accuracy: Double?
    public var accuracyLower: Double?
    public var accuracyUpper: Double?
    public var ppiEstimate: Double?
    public var ppiLower: Double?
    public var ppiUpper: Double?
    public var naiveAccuracy: Double?
    /// naive − audit accuracy.
    public var selectionGap: Double?
    /// The naive accuracy lies outside the audit interval: the labels are not a random sample.
    public var selectionFlag: Bool
    /// Completion below 90 %: the missing audit labels may be the hard cases.
    public var completionLow: Bool

    public init(
        rate: Double, members: Int, labeled: Int, completion: Double?, accuracy: Double?, accuracyLower: Double?,
        accuracyUpper: Double?, ppiEstimate: Double?, ppiLower: Double?, ppiUpper: Double?, naiveAccuracy: Double?,
        selectionGap: Double?, selectionFlag: Bool, completionLow: Bool
    ) {
        self.rate = rate
        self.members = members
        self.labeled = labeled
        self.completion = completion
        self.accuracy = accuracy
        self.accuracyLower = accuracyLower
        self.accuracyUpper = accuracyUpper
        self.ppiEstimate = ppiEstimate
        self.ppiLower = ppiLower
        self.ppiUpper = ppiUpper
        self.naiveAccuracy = naiveAccuracy
        self.selectionGap = selectionGap
        self.selectionFlag = selectionFlag
        self.completionLow = completionLow
    }
}
