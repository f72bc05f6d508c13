import AuditCore
import AuditStore
import Reports
import Statistics

extension AuditApp {
    /// The monitor section of every model with an active version: the stored state and alarms (what the service acted
    /// on), and the stream replayed up to `end` for the charts (each label's effective label now).
    static func monitorSections(
        _ connection: StoreConnection, end: Timestamp, coverage: [String: [MonitorSlice: Double]],
        orientations: [String: Orientation]
    ) throws -> [MonitorSection] {
        var sections: [MonitorSection] = []
        for model in try ScoredPredictionQueries.modelNames(connection) {
            guard let version = try CalibrationStore.active(connection, model: model) else { continue }
            var section = MonitorSection(
                model: model, version: version.versionID, threshold: version.threshold, alpha: version.targetRisk,
                delta: version.delta)
            let states = try MonitorStore.states(connection, model: model, versionID: version.versionID)
            let alarms = try MonitorStore.alarms(connection, model: model, versionID: version.versionID)
            section.alarmReason = alarms.first?.reason
            if let whole = states.first(where: { $0.slice.isWhole }) {
                (section.observations, section.errors) = (whole.observations, whole.errors)
                (section.logEValue, section.maxLogEValue) = (whole.logEValue, whole.maxLogEValue)
            }
            let rule = AcceptanceRule(version: version, orientation: orientations[version.method] ?? .confidence)
            section.slices = states.filter { !$0.slice.isWhole }.sorted { $0.slice < $1.slice }.map { state in
                let tau =
                    rule.slices.map { $0.attribute == state.slice.attribute ? $0.threshold(for: state.slice.value) : nil }
                    ?? version.threshold
                return MonitorSliceRow(
                    attribute: state.slice.attribute, value: state.slice.value, threshold: tau,
                    coverage: coverage[model]?[state.slice], observations: state.observations, errors: state.errors,
                    logEValue: state.logEValue, delta: state.delta, alarm: state.alarmAt != nil)
            }
            section.perSliceAttribute = rule.slices?.attribute
            if rule.acceptsAnything, !states.isEmpty {
                let stream =
                    end > version.windowTo ? try MonitorStore.stream(connection, model: model, from: version.windowTo, to: end) : []
                (section.trajectory, section.alarmPositions) = replay(stream, rule: rule, states: states)
            }
            sections.append(section)
        }
        return sections
    }

    /// The family's monitors run again over `stream`: the whole model's trajectory, thinned to about 150 points (every
    /// alarm and the last point kept), and the positions where any monitor of the family alarmed.
    static func replay(
        _ stream: [ScoredPrediction], rule: AcceptanceRule, states: [MonitorEvent]
    ) -> (points: [MonitorPoint], alarms: [Int]) {
        let version = rule.version
        var family = MonitorFamily(states, resume: false)
        var errorsAt: [Bool] = []
        var alarms: [Int] = []
        for row in stream {
            guard let label = row.label, rule.accepts(row) else { continue }
            let error = label != row.predicted
            errorsAt.append(error)
            if !family.observe(row, error: error).raised.isEmpty { alarms.append(errorsAt.count) }
        }
        let count = errorsAt.count
        guard count > 0 else { return ([], alarms) }
        let step = max(1, count / 150)
        var keep = Set(stride(from: step, through: count, by: step)).union(alarms).union([count])
        keep.remove(0)
        var points: [MonitorPoint] = []
        var errors = 0
        var bound = 0.0
        for (index, error) in errorsAt.enumerated() {
            if error { errors += 1 }
            let t = index + 1
            guard keep.contains(t) else { continue }
            bound = max(bound, MixtureEProcess.lowerBound(observations: t, errors: errors, delta: version.delta))
            points.append(
                MonitorPoint(
                    t: t, logEValue: MixtureEProcess.logEValue(observations: t, errors: errors, alpha: version.targetRisk),
                    errorRate: Double(errors) / Double(t), lowerBound: bound))
        }
        return (points, alarms)
    }

    /// Per slice of the monitored attributes, the share of the month's clean predictions accepted under the version.
    static func sliceCoverage(
        _ clean: [ScoredPrediction], version: CalibrationVersion?, orientation: Orientation,
        attributes: [String] = MonitorOptions().sliceAttributes
    ) -> [MonitorSlice: Double] {
        guard let version else { return [:] }
        let rule = AcceptanceRule(version: version, orientation: orientation)
        var tally: [MonitorSlice: (accepted: Int, all: Int)] = [:]
        for row in clean {
            let accepted = rule.accepts(row)
            for name in attributes {
                guard let value = row.attribute(name) else { continue }
                let key = MonitorSlice(attribute: name, value: value)
                tally[key, default: (0, 0)].all += 1
                if accepted { tally[key]!.accepted += 1 }
            }
        }
        return tally.mapValues { Double($0.accepted) / Double($0.all) }
    }
}
