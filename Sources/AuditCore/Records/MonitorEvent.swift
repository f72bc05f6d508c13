/// The stream a monitor watches: the whole model (empty attribute) or one slice value.
public struct MonitorSlice: Hashable, Comparable, Sendable {
    public let attribute: String
    public let value: String

    public init(attribute: String, value: String) {
        self.attribute = attribute
        self.value = value
    }

    /// The model's whole stream.
    public static let whole = MonitorSlice(attribute: "", value: "")

    public var isWhole: Bool { attribute.isEmpty }

    public static func < (lhs: MonitorSlice, rhs: MonitorSlice) -> Bool {
        (lhs.attribute, lhs.value) < (rhs.attribute, rhs.value)
    }
}

/// The kinds of monitor event (migration 0010).
public enum MonitorEventKind: String, Sendable {
    /// A monitor starts watching a version (t = 0), together with the rest of its family.
    case open
    /// A look that changed the monitor.
    case update
    /// M reached 1/δ: the model escalates everything until a new version is activated.
    case alarm
}

/// One stored monitor event: a monitor's state after a look, or an alarm.
public struct MonitorEvent: Sendable, Equatable {
    public var eventID: Int64 = 0
    public var kind: MonitorEventKind
    public var model: String
    public var versionID: Int64
    public var slice: MonitorSlice
    public var alpha: Double
    /// The monitor's level: δ for the whole model, δ / K for each of its K slices.
    public var delta: Double
    /// The version's global τ (nil when it has none; per-slice thresholds live in the version's evidence).
    public var threshold: Double?
    /// The newest ingest batch read.
    public var batchCursor: Int64
    public var observations: Int
    public var errors: Int
    public var logEValue: Double
    public var maxLogEValue: Double
    /// Stream position of the first alarm.
    public var alarmAt: Int?
    public var alarmPredictionID: String?
    public var lastPredictionID: String?
    public var reason: String = ""
    /// The previous event's hash as stored (set when read back).
    public var prevEventHash: String = ""
    public var eventHash: String = ""
    public var recordedAt: Timestamp?

    public init(
        kind: MonitorEventKind, model: String, versionID: Int64, slice: MonitorSlice, alpha: Double, delta: Double,
        threshold: Double?, batchCursor: Int64, observations: Int, errors: Int, logEValue: Double, maxLogEValue: Double,
        alarmAt: Int?, alarmPredictionID: String?, lastPredictionID: String?, reason: String = ""
    ) {
        self.kind = kind
        self.model = model
        self.versionID = versionID
        self.slice = slice
        self.alpha = alpha
        self.delta = delta
        self.threshold = threshold
        self.batchCursor = batchCursor
        self.observations = observations
        self.errors = errors
        self.logEValue = logEValue
        self.maxLogEValue = maxLogEValue
        self.alarmAt = alarmAt
        self.alarmPredictionID = alarmPredictionID
        self.lastPredictionID = lastPredictionID
        self.reason = reason
    }

    /// The canonical JSON the event's chain link covers: every field but its id, hash and time of record.
    public var canonicalText: String {
        CanonicalJSON.text(
            .object(
                JSONObject([
                    ("alarm_at", alarmAt.map { .integer(Int64($0)) } ?? .null), ("alarm_prediction_id", .text(alarmPredictionID)),
                    ("alpha", .number(alpha)), ("batch_cursor", .integer(batchCursor)), ("delta", .number(delta)),
                    ("errors", .integer(Int64(errors))), ("kind", .string(kind.rawValue)), ("last_prediction_id", .text(lastPredictionID)),
                    ("log_e_value", .number(logEValue)), ("max_log_e_value", .number(maxLogEValue)), ("model", .string(model)),
                    ("observations", .integer(Int64(observations))), ("reason", .string(reason)),
                    ("slice_attribute", .string(slice.attribute)), ("slice_value", .string(slice.value)), ("threshold", .number(threshold)),
                    ("version_id", .integer(versionID)),
                ])))
    }
}
