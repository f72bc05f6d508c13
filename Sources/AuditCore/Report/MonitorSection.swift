/// The sequential monitor of one model's active threshold over the month (docs/monitor.md).
public struct MonitorSection: Sendable {
    public var model: String
    public var version: Int64
    /// The version's global τ (nil when it has none).
    public var threshold: Double?
    /// The attribute of the version's per-slice thresholds, if it has them (the slice table then shows each τ).
    public var perSliceAttribute: String?
    public var alpha: Double
    public var delta: Double
    /// The stored state of the whole-model monitor: t accepted audited labels, S errors, ln M now and its running max.
    public var observations = 0
    public var errors = 0
    public var logEValue = 0.0
    public var maxLogEValue = 0.0
    /// The first alarm recorded against the version (the model escalates everything while it stands).
    public var alarmReason: String?
    /// The replayed stream up to the month's end: e-value and accepted-set error after each label (thinned for the chart).
    public var trajectory: [MonitorPoint] = []
    /// Stream positions where a monitor of the family (the whole model or a slice) raised its alarm.
    public var alarmPositions: [Int] = []
    public var slices: [MonitorSliceRow] = []

    public init(model: String, version: Int64, threshold: Double?, alpha: Double, delta: Double) {
        self.model = model
        self.version = version
        self.threshold = threshold
        self.alpha = alpha
        self.delta = delta
    }

    public var isAlarmed: Bool { alarmReason != nil }
}

/// One point of a monitor's trajectory.
public struct MonitorPoint: Sendable {
    /// Labels in the stream so far.
    public var t: Int
    public var logEValue: Double
    /// S / t.
    public var errorRate: Double
    /// The anytime-valid lower bound on the accepted-set error at level 1 − δ (running maximum over the points).
    public var lowerBound: Double

    public init(t: Int, logEValue: Double, errorRate: Double, lowerBound: Double) {
        self.t = t
        self.logEValue = logEValue
        self.errorRate = errorRate
        self.lowerBound = lowerBound
    }
}

/// One slice of a model's monitor family.
public struct MonitorSliceRow: Sendable {
    public var attribute: String
    public var value: String
    /// τ that applies to the slice.
    public var threshold: Double?
    /// Share of the slice's clean predictions of the month accepted under τ.
    public var coverage: Double?
    public var observations: Int
    public var errors: Int
    public var logEValue: Double
    public var delta: Double
    public var alarm: Bool

    public init(
        attribute: String, value: String, threshold: Double?, coverage: Double?, observations: Int, errors: Int,
        logEValue: Double, delta: Double, alarm: Bool
    ) {
        self.attribute = attribute
        self.value = value
        self.threshold = threshold
        self.coverage = coverage
        self.observations = observations
        self.errors = errors
        self.logEValue = logEValue
        self.delta = delta
        self.alarm = alarm
    }
}
