import AuditCore
import AuditStore
import Statistics

/// The monitors of one version: the whole model's and one per watched slice value, fed the same accepted labels. The
/// monitor's looks and the report's replay both go through it, so they cannot disagree on which monitors a label moves.
struct MonitorFamily {
    private(set) var monitors: [MonitorSlice: SequentialMonitor]
    /// The slice attributes watched, in order.
    private let attributes: [String]

    /// The family of `states` (one per monitor), resumed where they stopped, or from t = 0 when `resume` is false.
    init(_ states: [MonitorEvent], resume: Bool) {
        monitors = Dictionary(
            uniqueKeysWithValues: states.map { state in
                (
                    state.slice,
                    resume
                        ? SequentialMonitor(
                            alpha: state.alpha, delta: state.delta, observations: state.observations, errors: state.errors,
                            maxLogEValue: state.maxLogEValue, alarmAt: state.alarmAt)
                        : SequentialMonitor(alpha: state.alpha, delta: state.delta)
                )
            })
        attributes = Set(states.map(\.slice.attribute)).subtracting([""]).sorted()
    }

    /// Adds one accepted label of `row` to the whole model's monitor and to those of its watched slices (a slice value
    /// the fitting window never saw has none). Returns the monitors it moved and those whose alarm it raised.
    mutating func observe(_ row: ScoredPrediction, error: Bool) -> (moved: [MonitorSlice], raised: [MonitorSlice]) {
        let keys =
            [MonitorSlice.whole] + attributes.compactMap { name in row.attribute(name).map { MonitorSlice(attribute: name, value: $0) } }
        var moved: [MonitorSlice] = []
        var raised: [MonitorSlice] = []
        for key in keys where monitors[key] != nil {
            moved.append(key)
            if monitors[key]!.observe(error: error) { raised.append(key) }
        }
        return (moved, raised)
    }
}
