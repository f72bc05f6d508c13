import AuditCore
import AuditStore
import Foundation
import Logging
import Reports
import Statistics

/// Settings of the sequential monitor (docs/monitor.md).
public struct MonitorOptions: Sendable {
    /// The attributes whose values each get a slice monitor at δ / K (K = the slices of the family).
    public var sliceAttributes: [String] = ["site", "modality", "question_type"]

    public init() {}
}

/// One monitor's state as `monitor --json` prints it.
public struct MonitorState: Sendable {
    public let slice: MonitorSlice
    public let delta: Double
    public let observations: Int
    public let errors: Int
    public let logEValue: Double
    public let maxLogEValue: Double
    public let alarmAt: Int?
    public let alarmPredictionID: String?

    init(_ event: MonitorEvent) {
        slice = event.slice
        delta = event.delta
        observations = event.observations
        errors = event.errors
        logEValue = event.logEValue
        maxLogEValue = event.maxLogEValue
        alarmAt = event.alarmAt
        alarmPredictionID = event.alarmPredictionID
    }

    public var isAlarmed: Bool { alarmAt != nil }
    /// The anytime-valid p-value min(1, 1 / max M).
    public var pValue: Double { min(1, exp(-maxLogEValue)) }

    /// The e-value now.
    public var eValue: Double { MonitorSection.eValue(logEValue) }

    var sliceJSON: JSONValue {
        .object([
            ("attribute", .string(slice.attribute)), ("value", .string(slice.value)), ("t", .count(observations)),
            ("errors", .count(errors)), ("e_value", .number(eValue)), ("max_e_value", .number(MonitorSection.eValue(maxLogEValue))),
            ("log_e_value", .number(logEValue)), ("alarm", .bool(isAlarmed)), ("alarm_prediction_id", .text(alarmPredictionID)),
            ("delta", .number(delta)),
        ])
    }
}

/// A model's monitor: its active version, the whole-model monitor, the slice family, and whether an alarm is in force.
public struct ModelMonitor: Sendable {
    public let model: String
    public let versionID: Int64
    /// The version's global τ (nil when it has none).
    public let threshold: Double?
    /// The attribute of the version's per-slice thresholds, if it has them.
    public let perSliceAttribute: String?
    /// False when the version escalates everything (nothing is accepted, nothing to watch).
    public let acceptsAnything: Bool
    public let alpha: Double
    public let delta: Double
    /// The whole model's monitor (nil when there is no threshold).
    public let whole: MonitorState?
    public let slices: [MonitorState]
    /// The alarms recorded for this version, oldest first: while any exists the model escalates everything.
    public let alarms: [MonitorEvent]
    /// Alarms this look raised.
    public let newAlarms: [MonitorEvent]

    public var isAlarmed: Bool { !alarms.isEmpty }

    /// The `monitor --json` entry (FORMATS.md), with `escalates_everything` and the alarm's reason added.
    public var json: JSONValue {
        let first = alarms.first
        return .object([
            ("model", .string(model)), ("version", .integer(versionID)), ("threshold", .number(threshold)), ("alpha", .number(alpha)),
            ("delta", .number(delta)), ("t", .count(whole?.observations ?? 0)), ("errors", .count(whole?.errors ?? 0)),
            ("e_value", .number(MonitorSection.eValue(whole?.logEValue ?? 0))),
            ("max_e_value", .number(MonitorSection.eValue(whole?.maxLogEValue ?? 0))),
            ("log_e_value", .number(whole?.logEValue ?? 0)), ("p_value", .number(whole?.pValue ?? 1)),
            ("alarm", .bool(isAlarmed)), ("alarm_prediction_id", .text(first?.alarmPredictionID)),
            ("alarm_slice", first.map { $0.slice.isWhole ? .null : .string("\($0.slice.attribute)=\($0.slice.value)") } ?? .null),
            ("alarm_reason", .text(first?.reason)), ("escalates_everything", .bool(isAlarmed || !acceptsAnything)),
            ("per_slice_attribute", .text(perSliceAttribute)),
            ("slices", .array(slices.map(\.sliceJSON))),
        ])
    }
}

extension AuditApp {
    /// Reads the labels that arrived since each monitor's last look and updates the sequential monitors of every active
    /// threshold (of `models`, or of all): the whole model at δ and each slice at δ / K (docs/statistics.md, "Sequential
    /// monitoring"). An alarm is recorded once, chained; from then on the model escalates everything until a person
    /// activates a new version. Cost per look grows with the new labels only.
    public func updateMonitors(models: [String]? = nil, options: MonitorOptions = MonitorOptions()) throws -> [ModelMonitor] {
        try updateMonitors(on: migratedConnection(), models: models, options: options)
    }

    /// ``updateMonitors(models:options:)`` on a connection already open and migrated (an ingest's, between batches).
    func updateMonitors(
        on connection: StoreConnection, models: [String]?, options: MonitorOptions = MonitorOptions()
    ) throws -> [ModelMonitor] {
        try Self.requireKnown(models, connection)
        let names = try models ?? ScoredPredictionQueries.modelNames(connection)
        let orientations = try ScoredPredictionQueries.orientations(connection)
        return try names.compactMap { model in
            guard let version = try CalibrationStore.active(connection, model: model) else { return nil }
            return try MonitorStore.withModelLocked(connection, model: model) {
                try look(connection, version: version, orientation: orientations[version.method] ?? .confidence, options: options)
            }
        }
    }

    /// The stored monitor of a model's active version, without reading new labels (nil without an active version).
    public func monitorStatus(model: String) throws -> ModelMonitor? {
        let connection = try migratedConnection()
        try Self.requireKnown([model], connection)
        guard let version = try CalibrationStore.active(connection, model: model) else { return nil }
        return try Self.modelMonitor(
            version: version, states: MonitorStore.states(connection, model: model, versionID: version.versionID),
            alarms: MonitorStore.alarms(connection, model: model, versionID: version.versionID), newAlarms: [])
    }

    /// The models among `predictionIDs`' predictions (whose monitors a label post may move).
    func models(ofPredictions predictionIDs: [String], on connection: StoreConnection) throws -> [String] {
        try ScoredPredictionQueries.models(ofPredictions: predictionIDs, on: connection)
    }

    private func look(
        _ connection: StoreConnection, version: CalibrationVersion, orientation: Orientation, options: MonitorOptions
    ) throws -> ModelMonitor {
        let model = version.model
        var states = try MonitorStore.states(connection, model: model, versionID: version.versionID)
        let rule = AcceptanceRule(version: version, orientation: orientation)
        guard rule.acceptsAnything else {
            return Self.modelMonitor(version: version, states: [], alarms: [], newAlarms: [])
        }
        var events: [MonitorEvent] = []
        if states.isEmpty {
            // Open the family: K is fixed now, from the slices of the version's fitting window.
            let slices = try MonitorStore.sliceValues(
                connection, model: model, attributes: options.sliceAttributes,
                from: version.windowFrom, to: version.windowTo)
            let sliceDelta = version.delta / Double(max(slices.count, 1))
            for slice in [MonitorSlice.whole] + slices {
                events.append(
                    MonitorEvent(
                        kind: .open, model: model, versionID: version.versionID, slice: slice, alpha: version.targetRisk,
                        delta: slice.isWhole ? version.delta : sliceDelta, threshold: version.threshold, batchCursor: 0, observations: 0,
                        errors: 0,
                        logEValue: 0, maxLogEValue: 0, alarmAt: nil, alarmPredictionID: nil, lastPredictionID: nil,
                        reason: slice.isWhole
                            ? "watching version \(version.versionID): α = \(version.targetRisk), δ = \(version.delta), K = \(slices.count) slices"
                            : "slice of version \(version.versionID) at δ / K = \(sliceDelta)"))
            }
            states = events
        }
        let cursor = states.first { $0.slice.isWhole }?.batchCursor ?? 0
        let head = try MonitorStore.batchHead(connection)
        var family = MonitorFamily(states, resume: true)
        var latest = Dictionary(uniqueKeysWithValues: states.map { ($0.slice, $0) })
        var alarms: [MonitorEvent] = []
        for row in try MonitorStore.freshLabeledMembers(connection, model: model, from: version.windowTo, cursor: cursor, head: head) {
            guard let label = row.label, rule.accepts(row) else { continue }
            let (moved, raised) = family.observe(row, error: label != row.predicted)
            for key in moved { latest[key]!.lastPredictionID = row.predictionID }
            for key in raised {
                latest[key]!.alarmPredictionID = row.predictionID
                alarms.append(Self.alarmEvent(family.monitors[key]!, latest[key]!, version: version))
            }
        }
        if head > cursor {
            for key in latest.keys.sorted() {
                let monitor = family.monitors[key]!
                guard key.isWhole || monitor.observations != latest[key]!.observations else { continue }
                var event = latest[key]!
                event.kind = .update
                event.batchCursor = head
                event.observations = monitor.observations
                event.errors = monitor.errors
                event.logEValue = monitor.logEValue
                event.maxLogEValue = monitor.maxLogEValue
                event.alarmAt = monitor.alarmAt
                event.reason = ""
                events.append(event)
            }
        }
        events += alarms
        try MonitorStore.append(connection, events)
        if !alarms.isEmpty { logger.critical("monitor alarm: \(alarms.map(\.reason).joined(separator: "; "))") }
        return Self.modelMonitor(
            version: version, states: try MonitorStore.states(connection, model: model, versionID: version.versionID),
            alarms: try MonitorStore.alarms(connection, model: model, versionID: version.versionID), newAlarms: alarms)
    }

    private static func alarmEvent(_ monitor: SequentialMonitor, _ state: MonitorEvent, version: CalibrationVersion) -> MonitorEvent {
        let scope = state.slice.isWhole ? "" : " on \(state.slice.attribute) = \(state.slice.value)"
        let reason =
            "the accepted-set error of version \(version.versionID)\(scope) exceeds α = \(version.targetRisk): "
            + "M = \(MonitorSection.text(eValue: MonitorSection.eValue(monitor.logEValue))) ≥ 1/δ = \(MonitorSection.text(eValue: 1 / monitor.delta)) after \(monitor.observations) accepted "
            + "audited labels with \(monitor.errors) errors; the model escalates everything until a person activates a new version"
        var event = state
        event.kind = .alarm
        event.observations = monitor.observations
        event.errors = monitor.errors
        event.logEValue = monitor.logEValue
        event.maxLogEValue = monitor.maxLogEValue
        event.alarmAt = monitor.alarmAt
        event.reason = reason
        return event
    }

    static func modelMonitor(
        version: CalibrationVersion, states: [MonitorEvent], alarms: [MonitorEvent], newAlarms: [MonitorEvent]
    ) -> ModelMonitor {
        let sorted = states.sorted { $0.slice < $1.slice }
        let rule = AcceptanceRule(version: version)
        return ModelMonitor(
            model: version.model, versionID: version.versionID, threshold: version.threshold, perSliceAttribute: rule.slices?.attribute,
            acceptsAnything: rule.acceptsAnything, alpha: version.targetRisk,
            delta: version.delta, whole: sorted.first { $0.slice.isWhole }.map(MonitorState.init),
            slices: sorted.filter { !$0.slice.isWhole }.map(MonitorState.init), alarms: alarms, newAlarms: newAlarms)
    }
}
