/// Hand-written SVG charts for the HTML report: axes, units, legend, and a title and description for screen readers.
enum SVGCharts {
    struct Series {
        let name: String
        let color: String
        let points: [(x: Double, y: Double)]
        let line: Bool
        var labels: [String] = []
    }

    static let width = 360.0
    static let height = 260.0
    static let left = 48.0
    static let right = 12.0
    static let top = 28.0
    static let bottom = 42.0

    /// A chart with both axes on [0, 1].
    static func unitChart(id: String, title: String, description: String, xLabel: String, yLabel: String,
                          series: [Series], diagonal: Bool = false, yMax: Double = 1) -> String {
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + min(max(x, 0), 1) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - min(max(y / yMax, 0), 1) * plotHeight }
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-labelledby="\#(id)-t \#(id)-d" class="chart">"#
        svg += #"<title id="\#(id)-t">\#(HTML.escape(title))</title><desc id="\#(id)-d">\#(HTML.escape(description))</desc>"#
        svg += #"<text x="\#(left)" y="16" class="chart-title">\#(HTML.escape(title))</text>"#
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += #"<line x1="\#(f(px(tick)))" y1="\#(f(top))" x2="\#(f(px(tick)))" y2="\#(f(top + plotHeight))" class="grid"/>"#
            svg += #"<line x1="\#(f(left))" y1="\#(f(py(tick * yMax)))" x2="\#(f(left + plotWidth))" y2="\#(f(py(tick * yMax)))" class="grid"/>"#
            svg += #"<text x="\#(f(px(tick)))" y="\#(f(top + plotHeight + 14))" text-anchor="middle" class="tick">\#(Numbers.fixed(tick, 2))</text>"#
            svg += #"<text x="\#(f(left - 6))" y="\#(f(py(tick * yMax) + 4))" text-anchor="end" class="tick">\#(Numbers.fixed(tick * yMax, 2))</text>"#
        }
        svg += #"<rect x="\#(f(left))" y="\#(f(top))" width="\#(f(plotWidth))" height="\#(f(plotHeight))" class="frame"/>"#
        svg += #"<text x="\#(f(left + plotWidth / 2))" y="\#(f(height - 8))" text-anchor="middle" class="axis">\#(HTML.escape(xLabel))</text>"#
        svg += #"<text transform="translate(12 \#(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle" class="axis">\#(HTML.escape(yLabel))</text>"#
        if diagonal {
            svg += #"<line x1="\#(f(px(0)))" y1="\#(f(py(0)))" x2="\#(f(px(1)))" y2="\#(f(py(yMax)))" class="diagonal"/>"#
        }
        for entry in series {
            if entry.line && entry.points.count > 1 {
                let path = entry.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                svg += #"<polyline points="\#(path)" fill="none" stroke="\#(entry.color)" stroke-width="2"/>"#
            }
            for (index, point) in entry.points.enumerated() {
                svg += #"<circle cx="\#(f(px(point.x)))" cy="\#(f(py(point.y)))" r="\#(entry.line ? 2.5 : 4)" fill="\#(entry.color)"/>"#
                if index < entry.labels.count {
                    svg += #"<text x="\#(f(px(point.x) + 5))" y="\#(f(py(point.y) - 5))" class="point-label">\#(HTML.escape(entry.labels[index]))</text>"#
                }
            }
        }
        var legendX = left + 6
        for entry in series where !entry.name.isEmpty {
            svg += #"<rect x="\#(f(legendX))" y="\#(f(top + 6))" width="10" height="10" fill="\#(entry.color)"/>"#
            svg += #"<text x="\#(f(legendX + 14))" y="\#(f(top + 15))" class="legend">\#(HTML.escape(entry.name))</text>"#
            legendX += 14 + Double(entry.name.count) * 6.2 + 12
        }
        return svg + "</svg>"
    }

    /// Grouped bars on [0, 1], one group per category.
    static func groupedBars(id: String, title: String, description: String, yLabel: String,
                            categories: [String], series: [(name: String, color: String, values: [Double?])]) -> String {
        let chartWidth = max(width, Double(categories.count) * 52 + left + right)
        let plotWidth = chartWidth - left - right
        let plotHeight = height - top - bottom - 20
        func py(_ y: Double) -> Double { top + plotHeight - min(max(y, 0), 1) * plotHeight }
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(chartWidth)) \#(Int(height))" role="img" aria-labelledby="\#(id)-t \#(id)-d" class="chart wide">"#
        svg += #"<title id="\#(id)-t">\#(HTML.escape(title))</title><desc id="\#(id)-d">\#(HTML.escape(description))</desc>"#
        svg += #"<text x="\#(left)" y="16" class="chart-title">\#(HTML.escape(title))</text>"#
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += #"<line x1="\#(f(left))" y1="\#(f(py(tick)))" x2="\#(f(left + plotWidth))" y2="\#(f(py(tick)))" class="grid"/>"#
            svg += #"<text x="\#(f(left - 6))" y="\#(f(py(tick) + 4))" text-anchor="end" class="tick">\#(Numbers.fixed(tick, 2))</text>"#
        }
        svg += #"<text transform="translate(12 \#(f(top + plotHeight / 2))) rotate(-90)" text-anchor="middle" class="axis">\#(HTML.escape(yLabel))</text>"#
        let groupWidth = plotWidth / Double(max(categories.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(series.count, 1))
        for (index, category) in categories.enumerated() {
            let groupX = left + Double(index) * groupWidth + groupWidth * 0.1
            for (seriesIndex, entry) in series.enumerated() {
                guard let value = entry.values[index] else { continue }
                let x = groupX + Double(seriesIndex) * barWidth
                svg += #"<rect x="\#(f(x))" y="\#(f(py(value)))" width="\#(f(barWidth - 1))" height="\#(f(py(0) - py(value)))" fill="\#(entry.color)"/>"#
            }
            let labelX = groupX + groupWidth * 0.4
            svg += #"<text transform="translate(\#(f(labelX)) \#(f(top + plotHeight + 10))) rotate(30)" class="tick">\#(HTML.escape(category))</text>"#
        }
        var legendX = left + 6
        for entry in series {
            svg += #"<rect x="\#(f(legendX))" y="\#(f(top - 2))" width="10" height="10" fill="\#(entry.color)"/>"#
            svg += #"<text x="\#(f(legendX + 14))" y="\#(f(top + 7))" class="legend">\#(HTML.escape(entry.name))</text>"#
            legendX += 14 + Double(entry.name.count) * 6.2 + 12
        }
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
