import Foundation

extension HTMLReport {
    /// The difference heatmap's colour scale spans `-differenceLimit ... differenceLimit`; larger
    /// differences take the end colours.
    static let differenceLimit = 0.5

    /// `#correlations`: Pearson's r of the number and datetime columns, real and synthetic, and
    /// their difference.
    static func correlationsSection(_ data: ReportData) -> String {
        let m = data.correlations
        var body = ""
        if m.columns.count < 2 {
            body += "<div class=\"absent\">Fewer than two number or date columns: no correlations to draw.</div>\n"
        } else {
            body += "<div class=\"split heatmaps\">\n"
            body += "<div class=\"panel\"><h3>Real</h3>\n"
                + heatmap(m.columns, m.real, limit: 1, ramp: Palette.correlationRamp, label: "real correlation")
                + "</div>\n"
            body += "<div class=\"panel\"><h3>Synthetic</h3>\n"
                + heatmap(m.columns, m.synthetic, limit: 1, ramp: Palette.correlationRamp,
                          label: "synthetic correlation")
                + "</div>\n"
            body += "<div class=\"panel\"><h3>Difference (synthetic − real)</h3>\n"
                + heatmap(m.columns, m.difference, limit: differenceLimit, ramp: Palette.differenceRamp,
                          label: "difference")
                + "</div>\n"
            body += "</div>\n"
            var notes: [String] = []
            let differences = m.difference.flatMap { $0 }.compactMap { $0 }.map(abs)
            if let largest = differences.max() {
                let mean = differences.reduce(0, +) / Double(differences.count)
                notes.append("largest |difference| \(ReportFormat.decimal(largest, digits: 3)), mean "
                    + "\(ReportFormat.decimal(mean, digits: 3))")
            }
            if !m.omittedColumns.isEmpty {
                notes.append("\(m.omittedColumns.count) more columns left out: "
                    + m.omittedColumns.map { esc($0) }.joined(separator: ", "))
            }
            notes.append("grey: undefined (a constant column, or fewer than two rows with both values)")
            body += "<div class=\"notes\">\(notes.joined(separator: " · ")).</div>\n"
        }
        let lead = "Pearson's r between every two number and date columns, each over the rows where both are "
            + "present. The difference uses its own scale (±\(ReportFormat.decimal(differenceLimit))); "
            + "a pale difference map is a good sign."
        return section(id: "correlations", title: "Correlations", lead: lead, body: body)
    }

    /// A square heatmap of `matrix` (`nil`: grey) with row and column labels and a colour legend.
    static func heatmap(_ names: [String], _ matrix: [[Double?]], limit: Double,
                        ramp: [(Double, Double, Double)], label: String) -> String {
        let n = names.count
        let cell = min(34.0, max(6.0, 300.0 / Double(n)))
        let labelWidth = 104.0, bottomLabels = n <= 40 ? 78.0 : 8.0, legendHeight = 34.0
        let side = cell * Double(n)
        let width = labelWidth + side + 8, height = side + bottomLabels + legendHeight
        let showsValues = cell >= 26
        let fontSize = min(11.0, max(cell * 0.8, 6))
        var svg = "<svg viewBox=\"0 0 \(c(width)) \(c(height))\" role=\"img\" aria-label=\"\(label) heatmap\">\n"
        for i in 0 ..< n {
            for j in 0 ..< n {
                let x = labelWidth + cell * Double(j), y = cell * Double(i)
                let value = matrix[i][j]
                let fill = value.map { Palette.diverging($0, limit: limit, ramp: ramp) } ?? Palette.undefined
                svg += "<g><title>\(esc(names[i])) × \(esc(names[j])): \(ReportFormat.decimal(value, digits: 3))"
                    + "</title><rect x=\"\(c(x))\" y=\"\(c(y))\" width=\"\(c(cell))\" height=\"\(c(cell))\" "
                    + "fill=\"\(fill)\" stroke=\"#fff\" stroke-width=\"\(cell > 10 ? 1 : 0.5)\"/>"
                if showsValues, let value {
                    let color = Palette.needsLightText(value, limit: limit) ? "#fff" : "#333"
                    svg += "<text x=\"\(c(x + cell / 2))\" y=\"\(c(y + cell / 2 + 3.5))\" text-anchor=\"middle\" "
                        + "font-size=\"10\" style=\"fill:\(color)\">\(cellText(value))</text>"
                }
                svg += "</g>\n"
            }
        }
        if n <= 40 {
            for (i, name) in names.enumerated() {
                let center = cell * (Double(i) + 0.5)
                svg += "<text x=\"\(c(labelWidth - 5))\" y=\"\(c(center + fontSize * 0.35))\" text-anchor=\"end\" "
                    + "font-size=\"\(c(fontSize))\">\(ReportFormat.escape(name, limit: 16))</text>"
                let x = labelWidth + center, y = side + 6
                svg += "<text x=\"\(c(x))\" y=\"\(c(y))\" text-anchor=\"end\" font-size=\"\(c(fontSize))\" "
                    + "dominant-baseline=\"middle\" transform=\"rotate(-50 \(c(x)) \(c(y)))\">"
                    + "\(ReportFormat.escape(name, limit: 14))</text>\n"
            }
        }
        // Legend: a ramp of small rectangles from -limit to limit.
        let legendY = side + bottomLabels + 4, legendWidth = min(side, 220.0), steps = 21
        let legendX = labelWidth
        for k in 0 ..< steps {
            let v = -limit + 2 * limit * Double(k) / Double(steps - 1)
            let w = legendWidth / Double(steps)
            svg += "<rect x=\"\(c(legendX + w * Double(k)))\" y=\"\(c(legendY))\" width=\"\(c(w + 0.3))\" "
                + "height=\"8\" fill=\"\(Palette.diverging(v, limit: limit, ramp: ramp))\"/>"
        }
        svg += "\n"
        for (v, anchor) in [(-limit, "start"), (0, "middle"), (limit, "end")] {
            let x = legendX + legendWidth * (v + limit) / (2 * limit)
            let text = v == 0 ? "0" : (v > 0 ? "+" : "−") + ReportFormat.decimal(abs(v), digits: 2)
            svg += "<text x=\"\(c(x))\" y=\"\(c(legendY + 21))\" text-anchor=\"\(anchor)\">\(text)</text>"
        }
        svg += "\n</svg>\n"
        return svg
    }

    /// A cell value in two decimals without the leading zero: `.42`, `−.07`, `1`.
    private static func cellText(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if abs(rounded) == 1 { return rounded < 0 ? "−1" : "1" }
        if rounded == 0 { return "0" }
        let digits = String(format: "%.2f", abs(rounded)).dropFirst()  // "0.42" -> ".42"
        return (rounded < 0 ? "−" : "") + digits
    }
}
