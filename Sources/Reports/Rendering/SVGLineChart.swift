import AuditCore
import Foundation

extension SVGCharts {
    /// A line chart over x ∈ [0, xMax] and y ∈ `yRange`, the y axis linear or base-10 logarithmic (then `yRange` holds
    /// the values, not their logs); horizontal reference lines and vertical markers (alarms) on top.
    static func lineChart(
        id: String, title: String, description: String, xLabel: String, yLabel: String, xMax: Double,
        yRange: ClosedRange<Double>, logY: Bool, series: [Series], references: [ReferenceLine] = [],
        verticals: [(x: Double, label: String)] = []
    ) -> String {
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let scale: (Double) -> Double = logY ? { log10(max($0, 1e-300)) } : { $0 }
        let (low, high) = (scale(yRange.lowerBound), scale(yRange.upperBound))
        func px(_ x: Double) -> Double { left + min(max(x / max(xMax, 1e-12), 0), 1) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - min(max((scale(y) - low) / (high - low), 0), 1) * plotHeight }
        var svg =
            #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-labelledby="\#(id)-t \#(id)-d" class="chart">"#
        svg += #"<title id="\#(id)-t">\#(HTML.escape(title))</title><desc id="\#(id)-d">\#(HTML.escape(description))</desc>"#
        svg += #"<text x="\#(left)" y="16" class="chart-title">\#(HTML.escape(title))</text>"#
        for fraction in stride(from: 0.0, through: 1.0, by: 0.25) {
            let x = (xMax * fraction).rounded()
            svg += #"<line x1="\#(n(px(x)))" y1="\#(n(top))" x2="\#(n(px(x)))" y2="\#(n(top + plotHeight))" class="grid"/>"#
            svg += #"<text x="\#(n(px(x)))" y="\#(n(top + plotHeight + 14))" text-anchor="middle" class="tick">\#(Int(x))</text>"#
        }
        let yTicks: [Double] =
            logY
            ? stride(from: ceil(low), through: floor(high), by: max(1, ((high - low) / 6).rounded(.up))).map { pow(10, $0) }
            : stride(from: 0.0, through: 1.0, by: 0.25).map { yRange.lowerBound + $0 * (yRange.upperBound - yRange.lowerBound) }
        for tick in yTicks {
            svg += #"<line x1="\#(n(left))" y1="\#(n(py(tick)))" x2="\#(n(left + plotWidth))" y2="\#(n(py(tick)))" class="grid"/>"#
            let text =
                logY
                ? (tick >= 1e4 || tick < 1e-2 ? "1e\(Int(log10(tick).rounded()))" : Numbers.fixed(tick, tick < 1 ? 2 : 0))
                : Numbers.fixed(tick, 2)
            svg += #"<text x="\#(n(left - 6))" y="\#(n(py(tick) + 4))" text-anchor="end" class="tick">\#(text)</text>"#
        }
        svg += #"<rect x="\#(n(left))" y="\#(n(top))" width="\#(n(plotWidth))" height="\#(n(plotHeight))" class="frame"/>"#
        svg +=
            #"<text x="\#(n(left + plotWidth / 2))" y="\#(n(height - 8))" text-anchor="middle" class="axis">\#(HTML.escape(xLabel))</text>"#
        svg +=
            #"<text transform="translate(12 \#(n(top + plotHeight / 2))) rotate(-90)" text-anchor="middle" class="axis">\#(HTML.escape(yLabel))</text>"#
        for reference in references {
            svg +=
                #"<line x1="\#(n(px(0)))" y1="\#(n(py(reference.y)))" x2="\#(n(px(xMax)))" y2="\#(n(py(reference.y)))" class="reference"/>"#
            svg +=
                #"<text x="\#(n(px(xMax) - 4))" y="\#(n(py(reference.y) - 4))" text-anchor="end" class="legend">\#(HTML.escape(reference.label))</text>"#
        }
        for vertical in verticals {
            svg +=
                #"<line x1="\#(n(px(vertical.x)))" y1="\#(n(top))" x2="\#(n(px(vertical.x)))" y2="\#(n(top + plotHeight))" class="reference"/>"#
            let anchor = vertical.x > xMax * 0.6 ? "end" : "start"
            let dx = vertical.x > xMax * 0.6 ? -4.0 : 4.0
            svg +=
                #"<text x="\#(n(px(vertical.x) + dx))" y="\#(n(top + plotHeight - 6))" text-anchor="\#(anchor)" class="legend">\#(HTML.escape(vertical.label))</text>"#
        }
        for entry in series where entry.points.count > 1 {
            let path = entry.points.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
            svg += #"<polyline points="\#(path)" fill="none" stroke="\#(entry.color)" stroke-width="2"/>"#
        }
        svg += legend(series.filter { !$0.name.isEmpty }.map { ($0.name, $0.color) }, x: left + 6, y: top + 6, maxX: width - right)
        return svg + "</svg>"
    }

    private static func n(_ value: Double) -> String { Numbers.fixed(value, 1) }
}
