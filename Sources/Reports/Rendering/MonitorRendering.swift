import AuditCore
import Foundation

extension MonitorSection {
    /// The e-value e^x of its log x, held below the largest finite double (an e-value beyond 10^300 is printed as e^690;
    /// its log, printed beside it, is exact). Every place that shows an e-value goes through it.
    public static func eValue(_ logValue: Double) -> Double { exp(min(logValue, 690)) }

    /// An e-value (or its bound 1/δ) as text: two decimals below a million, three significant digits above.
    public static func text(eValue value: Double) -> String {
        value >= 1e6 ? String(format: "%.3g", value) : String(format: "%.2f", value)
    }

    /// The e-value of the log `logValue` as text.
    static func eValueText(_ logValue: Double) -> String { text(eValue: eValue(logValue)) }

    var json: JSONValue {
        .object([
            ("model", .string(model)), ("version", .integer(version)), ("threshold", .number(threshold)),
            ("per_slice_attribute", .text(perSliceAttribute)), ("alpha", .number(alpha)),
            ("delta", .number(delta)), ("t", .count(observations)), ("errors", .count(errors)),
            ("e_value", .number(Self.eValue(logEValue))), ("max_e_value", .number(Self.eValue(maxLogEValue))),
            ("log_e_value", .number(logEValue)), ("alarm", .bool(isAlarmed)), ("alarm_reason", .text(alarmReason)),
            ("alarm_positions", .array(alarmPositions.map { .count($0) })),
            (
                "trajectory",
                .array(
                    trajectory.map { point in
                        .object([
                            ("t", .count(point.t)), ("log_e_value", .number(point.logEValue)), ("error_rate", .number(point.errorRate)),
                            ("lower_bound", .number(point.lowerBound)),
                        ])
                    })
            ),
            (
                "slices",
                .array(
                    slices.map { slice in
                        .object([
                            ("attribute", .string(slice.attribute)), ("value", .string(slice.value)),
                            ("threshold", .number(slice.threshold)),
                            ("coverage", .number(slice.coverage)), ("t", .count(slice.observations)), ("errors", .count(slice.errors)),
                            ("e_value", .number(Self.eValue(slice.logEValue))), ("delta", .number(slice.delta)),
                            ("alarm", .bool(slice.alarm)),
                        ])
                    })
            ),
        ])
    }

    /// The state in one table row: model, version, τ, t, errors, e-value (max), alarm bound, state.
    var row: [String] {
        [
            model, String(version), perSliceAttribute.map { "per \($0)" } ?? threshold.map { Numbers.fixed($0, 4) } ?? "+∞",
            String(observations), String(errors),
            "\(Self.eValueText(logEValue)) (max \(Self.eValueText(maxLogEValue)))", Numbers.fixed(1 / delta, 0),
            isAlarmed ? "ALARM: escalates everything" : (threshold == nil && perSliceAttribute == nil ? "nothing accepted" : "ok"),
        ]
    }

    static let header = ["model", "version", "τ", "accepted audited labels", "errors", "e-value (max)", "alarm at", "state"]

    /// The slice rows: slice, τ, coverage this month, t, errors, e-value, level, state.
    var sliceRows: [[String]] {
        slices.map { slice in
            [
                "\(slice.attribute) = \(slice.value)", thresholdText(slice), Numbers.percent(slice.coverage),
                String(slice.observations), String(slice.errors), Self.eValueText(slice.logEValue), Numbers.fixed(1 / slice.delta, 0),
                slice.alarm ? "ALARM" : "ok",
            ]
        }
    }

    /// τ of a slice row: its value; "per ATTRIBUTE" for a slice of another attribute than the version's per-slice table
    /// (its predictions meet several τ); +∞ when the slice escalates everything.
    private func thresholdText(_ slice: MonitorSliceRow) -> String {
        if let threshold = slice.threshold { return Numbers.fixed(threshold, 4) }
        if let attribute = perSliceAttribute, attribute != slice.attribute { return "per \(attribute)" }
        return "+∞"
    }

    static let sliceHeader = ["slice", "τ", "coverage (month)", "accepted audited labels", "errors", "e-value", "alarm at", "state"]

    /// What the monitor is, in one paragraph.
    static let explanation =
        "An anytime-valid test, after every label, that the error among accepted audit-sample predictions stays at or below α "
        + "(docs/statistics.md, \"Sequential monitoring\"). The e-value M measures the evidence against it; at 1/δ the model "
        + "escalates everything until a person activates a new calibration version. Each slice is tested at δ / K, K the slices "
        + "watched, so the family keeps its δ."
}
