import AuditCore
/// Hand-written SVG charts for the HTML report: axes, units, legend, and a title and description for screen readers.
enum SVGCharts {
    struct Series {
        let name: String
        let color: String
        let points: [(x: Double, y: Double)]
        let line: Bool
        var labels: [String] = []
    }

    static let width = 480.0
    static let height = 300.0
    static let left = 48.0
    static let right = 12.0
    static let top = 28.0
    static let bottom = 42.0

    /// A horizontal reference line (α on a risk–coverage chart).
    struct ReferenceLine {
        let y: Double
        let label: String
    }

    /// A marked point (the active threshold τ on a risk–coverage chart).
    struct Marker {
        let x: Double
        let y: Double
        let label: String
    }

    /// A chart with both axes on [0, 1].
    static func unitChart(
        id: String, title: String, description: String, xLabel: String, yLabel: String,
        series: [Series], diagonal: Bool = false, yMax: Double = 1, reference: ReferenceLine? = nil,
        marker: Marker? = nil
    ) -> String {
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + min(max(x, 0), 1) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - min(max(y / yMax, 0), 1) * plotHeight }
        var svg =
            #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-labelledby="\#(id)-t \#(id)-d" class="chart">"#
        svg += #"<title id="\#(id)-t">\#(HTML.escape(title))</title><desc id="\#(id)-d">\#(HTML.escape(description))</desc>"#
        svg += #"<text x="\#(left)" y="16" class="chart-title">\#(HTML.escape(title))</text>"#
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += #"<line x1="\#(f(px(tick)))" y1="\#(f(top))" x2="\#(f(px(tick)))" y2="\#(f(top + plotHeight))" class="grid"/>"#
            svg +=
                #"<line x1="\#(f(left))" y1="\#(f(py(tick * yMax)))" x2="\#(f(left + plotWidth))" y2="\#(f(py(tick * yMax)))" class="grid"/>"#
            svg +=
                #"<text x="\#(f(px(tick)))" y="\#(f(top + plotHeight + 14))" text-anchor="middle" class="tick">\#(Numbers.fixed(tick, 2))</text>"#
            svg +=
                #"<text x="\#(f(left - 6))" y="\#(f(py(tick * yMax) + 4))" text-anchor="end" class="tick">\#(Numbers.fixed(tick * yMax, 2))</text>"#
        }
        svg += #"<rect x="\#(f(left))" y="\#(f(top))" width="\#(f(plotWidth))" height="\#(f(plotHeight))" class="frame"/>"#
        svg +=
            #"<text x="\#(f(left + plotWidth / 2))" y="\#(f(height - 8))" text-anchor="middle" class="axis">\#(HTML.escape(xLabel))</text>"#
        svg +=
            #"<text transform="translate(12 \#(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle" class="axis">\#(HTML.escape(yLabel))</text>"#
        if diagonal {
            svg += #"<line x1="\#(f(px(0)))" y1="\#(f(py(0)))" x2="\#(f(px(1)))" y2="\#(f(py(yMax)))" class="diagonal"/>"#
        }
        if let reference {
            svg += #"<line x1="\#(f(px(0)))" y1="\#(f(py(reference.y)))" x2="\#(f(px(1)))" y2="\#(f(py(reference.y)))" class="reference"/>"#
            svg +=
                #"<text x="\#(f(px(1) - 4))" y="\#(f(py(reference.y) - 4))" text-anchor="end" class="legend">\#(HTML.escape(reference.label))</text>"#
        }
        for entry in series {
            if entry.line && entry.points.count > 1 {
                let path = entry.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                svg += #"<polyline points="\#(path)" fill="none" stroke="\#(entry.color)" stroke-width="2"/>"#
            }
            for (index, point) in entry.points.enumerated() {
                svg += #"<circle cx="\#(f(px(point.x)))" cy="\#(f(py(point.y)))" r="\#(entry.line ? 2.5 : 4)" fill="\#(entry.color)"/>"#
                if index < entry.labels.count {
                    svg +=
                        #"<text x="\#(f(px(point.x) + 5))" y="\#(f(py(point.y) - 5))" class="point-label">\#(HTML.escape(entry.labels[index]))</text>"#
                }
            }
        }
        if let marker {
            svg += #"<circle cx="\#(f(px(marker.x)))" cy="\#(f(py(marker.y)))" r="5" class="marker"/>"#
            let anchor = marker.x > 0.6 ? "end" : "start"
            let dx = marker.x > 0.6 ? -8.0 : 8.0
            svg +=
                #"<text x="\#(f(px(marker.x) + dx))" y="\#(f(py(marker.y) + 14))" text-anchor="\#(anchor)" class="legend">\#(HTML.escape(marker.label))</text>"#
        }
        svg += legend(series.filter { !$0.name.isEmpty }.map { ($0.name, $0.color) }, x: left + 6, y: top + 6, maxX: width - right)
        return svg + "</svg>"
    }

    /// Legend entries from (x, y) on, wrapped onto a new row before `maxX`.
    static func legend(_ entries: [(name: String, color: String)], x: Double, y: Double, maxX: Double) -> String {
        var svg = ""
        var entryX = x
        var rowY = y
        for entry in entries {
            let entryWidth = 14 + Double(entry.name.count) * 5.6 + 12
            if entryX + entryWidth > maxX && entryX > x {
                entryX = x
                rowY += 14
            }
            svg += #"<rect x="\#(f(entryX))" y="\#(f(rowY))" width="10" height="10" fill="\#(entry.color)"/>"#
            svg += #"<text x="\#(f(entryX + 14))" y="\#(f(rowY + 9))" class="legend">\#(HTML.escape(entry.name))</text>"#
            entryX += entryWidth
        }
        return svg
    }

    /// Grouped bars on [0, 1], one group per category.
    static func groupedBars(
        id: String, title: String, description: String, yLabel: String,
        categories: [String], series: [(name: String, color: String, values: [Double?])]
    ) -> String {
        // Room for the category names, written at 30° (at most about 6.5 px per character at 9 px): below the bars, and to the right
        // of the last one.
        let longest = Double(categories.map(\.count).max() ?? 0) * 6.5
        let labelRoom = longest * 0.5 + 16
        let plotWidth = max(width - left - right, Double(categories.count) * 56)
        let chartWidth = left + plotWidth + max(right, longest * 0.87 - plotWidth / Double(max(categories.count, 1)) * 0.6)
        let barsTop = top + 28  // the legend's two rows
        let chartHeight = barsTop + 170 + labelRoom
        let plotHeight = 170.0
        func py(_ y: Double) -> Double { barsTop + plotHeight - min(max(y, 0), 1) * plotHeight }
        var svg =
            #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(chartWidth)) \#(Int(chartHeight))" role="img" aria-labelledby="\#(id)-t \#(id)-d" class="chart wide">"#
        svg += #"<title id="\#(id)-t">\#(HTML.escape(title))</title><desc id="\#(id)-d">\#(HTML.escape(description))</desc>"#
        svg += #"<text x="\#(left)" y="16" class="chart-title">\#(HTML.escape(title))</text>"#
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += #"<line x1="\#(f(left))" y1="\#(f(py(tick)))" x2="\#(f(left + plotWidth))" y2="\#(f(py(tick)))" class="grid"/>"#
            svg += #"<text x="\#(f(left - 6))" y="\#(f(py(tick) + 4))" text-anchor="end" class="tick">\#(Numbers.fixed(tick, 2))</text>"#
        }
        svg +=
            #"<text transform="translate(12 \#(f(barsTop + plotHeight / 2))) rotate(-90)" text-anchor="middle" class="axis">\#(HTML.escape(yLabel))</text>"#
        let groupWidth = plotWidth / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        for (index, category) in categories.enumerated() {
            let groupX = left + Double(index) * groupWidth + groupWidth * 0.1
            for (seriesIndex, entry) in series.enumerated() {
                guard let value = entry.values[index] else { continue }
                let x = groupX + Double(seriesIndex) * barWidth
                svg +=
                    #"<rect x="\#(f(x))" y="\#(f(py(value)))" width="\#(f(barWidth - 1))" height="\#(f(py(0) - py(value)))" fill="\#(entry.color)"/>"#
            }
            let labelX = groupX + groupWidth * 0.2
            svg +=
                #"<text transform="translate(\#(f(labelX)) \#(f(barsTop + plotHeight + 12))) rotate(30)" class="tick">\#(HTML.escape(category))</text>"#
        }
        svg += legend(series.map { ($0.name, $0.color) }, x: left + 6, y: top - 2, maxX: chartWidth - right)
        return svg + "</svg>"
    }

    private static func f(_ value: Double) -> String { Numbers.fixed(value, 1) }
}

/// HTML escaping.
enum HTML {
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
