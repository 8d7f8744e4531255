import MimeoEval

extension HTMLReport {
    /// `#privacy`: the attack scores as cards, the distance distributions of synthetic and
    /// holdout rows to the train table, and every number in a table.
    static func privacySection(_ data: ReportData) -> String {
        let lead = "How close synthetic rows come to the training rows, next to real holdout rows the generator "
            + "never saw: a generator that copies its training data pulls the synthetic side below the holdout's."
        guard let p = data.privacy else {
            return section(id: "privacy", title: "Privacy", lead: lead,
                           body: notComputed("Privacy needs a holdout table of real rows kept out of training;",
                                             hint: "this evaluation had none."))
        }
        var body = "<div class=\"cards\">\n"
        body += card("Exact copies of train rows", value: ReportFormat.percent(p.exactMatch.syntheticShare),
                     note: "holdout: \(ReportFormat.percent(p.exactMatch.holdoutShare)) "
                         + "(\(ReportFormat.count(p.exactMatch.syntheticMatches)) synthetic rows)")
        body += card("DCR share (closer to train)", value: ReportFormat.score(p.dcrShare.share),
                     note: "0.5 = no leak; ties \(ReportFormat.percent(p.dcrShare.ties))")
        body += card("Membership inference AUC", value: ReportFormat.score(p.membershipInference.auc),
                     note: "0.5 = the attack guesses; \(ReportFormat.count(p.membershipInference.members)) "
                         + "members, \(ReportFormat.count(p.membershipInference.nonMembers)) non-members")
        if let a = p.attributeInference {
            body += card("Attribute inference risk", value: ReportFormat.score(a.risk),
                         note: "guessing \(esc(a.sensitive)) from \(a.quasiIdentifiers.map { esc($0) }.joined(separator: ", ")); "
                             + "members \(ReportFormat.percent(a.memberAccuracy)), non-members "
                             + "\(ReportFormat.percent(a.nonMemberAccuracy))")
        }
        body += "</div>\n<div class=\"split\">\n"
        let dcr = p.distanceToClosestRecord
        body += "<div class=\"panel\"><h3>Distance to closest train record</h3>\n"
            + distanceChart([
                DistanceRow(label: "synthetic → train", color: Palette.synthetic, percentile5: dcr.synthetic.percentile5,
                            median: dcr.synthetic.median, zeroShare: dcr.synthetic.zeroShare),
                DistanceRow(label: "holdout → train", color: Palette.real, percentile5: dcr.holdout.percentile5,
                            median: dcr.holdout.median, zeroShare: dcr.holdout.zeroShare),
            ], fixedMaximum: nil, label: "distance to closest record")
            + "</div>\n"
        if let histogram = dcr.histogram {
            body += "<div class=\"panel\"><h3>Distances to the closest train record</h3>\n"
                + distanceHistogramChart(histogram) + "</div>\n"
        }
        let nndr = p.nearestNeighborDistanceRatio
        body += "<div class=\"panel\"><h3>Nearest-neighbour distance ratio</h3>\n"
            + distanceChart([
                DistanceRow(label: "synthetic → train", color: Palette.synthetic, percentile5: nndr.syntheticPercentile5,
                            median: nndr.syntheticMedian, zeroShare: nil),
                DistanceRow(label: "holdout → train", color: Palette.real, percentile5: nndr.holdoutPercentile5,
                            median: nndr.holdoutMedian, zeroShare: nil),
            ], fixedMaximum: 1, label: "nearest-neighbour distance ratio")
            + "</div>\n</div>\n"
        body += "<div class=\"notes\">Each line runs from the 5th percentile (small dot) to the median (large dot) of "
            + "the distances; the holdout (blue) is what a fresh draw from the population gives. Distances: "
            + "\(esc(p.encoding.distance)). Rows: \(ReportFormat.count(p.rowsUsed.synthetic)) synthetic and "
            + "\(ReportFormat.count(p.rowsUsed.holdout)) holdout rows sampled against "
            + "\(ReportFormat.count(p.rowsUsed.train)) train rows (seed \(p.rowsUsed.seed))."
        if p.isReference { body += " Reference run: the holdout plays the synthetic table." }
        body += "</div>\n"
        return section(id: "privacy", title: "Privacy", lead: lead, body: body)
    }

    /// Side-by-side bars of the synthetic and holdout distance distributions (shares of each side).
    static func distanceHistogramChart(_ h: DistanceHistogram) -> String {
        let width = 600.0, height = 180.0, left = 44.0, right = 12.0, top = 10.0, bottom = 30.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let bins = h.synthetic.count
        let syntheticTotal = max(1, h.synthetic.reduce(0, +)), holdoutTotal = max(1, h.holdout.reduce(0, +))
        let shares = (0..<bins).map { (Double(h.synthetic[$0]) / Double(syntheticTotal),
                                       Double(h.holdout[$0]) / Double(holdoutTotal)) }
        let yMax = max(0.01, shares.map { max($0.0, $0.1) }.max() ?? 0.01) * 1.1
        let slot = plotWidth / Double(bins)
        func y(_ share: Double) -> Double { top + plotHeight * (1 - share / yMax) }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" "
            + "aria-label=\"distance histogram\">\n"
        for (i, (synthetic, holdout)) in shares.enumerated() {
            let x = left + Double(i) * slot
            svg += "<rect x=\"\(ReportFormat.coordinate(x + slot * 0.08))\" y=\"\(ReportFormat.coordinate(y(holdout)))\" "
                + "width=\"\(ReportFormat.coordinate(slot * 0.42))\" height=\"\(ReportFormat.coordinate(top + plotHeight - y(holdout)))\" "
                + "fill=\"\(Palette.real)\"/>\n"
            svg += "<rect x=\"\(ReportFormat.coordinate(x + slot * 0.5))\" y=\"\(ReportFormat.coordinate(y(synthetic)))\" "
                + "width=\"\(ReportFormat.coordinate(slot * 0.42))\" height=\"\(ReportFormat.coordinate(top + plotHeight - y(synthetic)))\" "
                + "fill=\"\(Palette.synthetic)\"/>\n"
        }
        let baseline = ReportFormat.coordinate(top + plotHeight)
        svg += "<line x1=\"\(Int(left))\" y1=\"\(baseline)\" x2=\"\(Int(width - right))\" y2=\"\(baseline)\" stroke=\"#888\"/>\n"
        for i in stride(from: 0, through: bins, by: max(1, bins / 5)) {
            let x = ReportFormat.coordinate(left + Double(i) * slot)
            svg += "<text x=\"\(x)\" y=\"\(Int(height - 10))\" font-size=\"11\" text-anchor=\"middle\">"
                + String(format: "%.3g", h.edges[i]) + "</text>\n"
        }
        svg += "<text x=\"\(Int(left - 4))\" y=\"\(Int(top + 10))\" font-size=\"11\" text-anchor=\"end\">"
            + String(format: "%.0f%%", yMax * 100) + "</text>\n"
        svg += "</svg>\n<div class=\"notes\">Share of rows per distance bin: holdout → train (blue), synthetic → train "
            + "(vermillion). A synthetic distribution shifted left of the holdout's means rows close to training records.</div>\n"
        return svg
    }

    /// One line of a distance chart.
    struct DistanceRow {
        var label: String
        var color: String
        var percentile5: Double?
        var median: Double?
        var zeroShare: Double?
    }

    /// Dot-and-line rows from the 5th percentile to the median, on a shared axis from 0.
    static func distanceChart(_ rows: [DistanceRow], fixedMaximum: Double?, label: String) -> String {
        let width = 600.0, labelWidth = 130.0, right = 20.0, rowHeight = 34.0, top = 6.0, axisHeight = 24.0
        let plotWidth = width - labelWidth - right
        let largest = rows.compactMap { $0.median }.max() ?? 0
        let maximum = fixedMaximum ?? max(largest * 1.25, 1e-9)
        let step = niceStep(maximum, count: 4)
        func x(_ v: Double) -> Double { labelWidth + min(max(v / maximum, 0), 1) * plotWidth }
        let baseline = top + rowHeight * Double(rows.count)
        let height = baseline + axisHeight
        var svg = "<svg viewBox=\"0 0 \(c(width)) \(c(height))\" role=\"img\" aria-label=\"\(label)\">\n"
        for k in 0 ... Int(maximum / step + 1e-9) {
            let v = Double(k) * step
            svg += "<line x1=\"\(c(x(v)))\" y1=\"\(c(top))\" x2=\"\(c(x(v)))\" y2=\"\(c(baseline))\" "
                + "stroke=\"\(k == 0 ? Palette.axis : Palette.grid)\"/>"
            svg += "<text x=\"\(c(x(v)))\" y=\"\(c(baseline + 15))\" text-anchor=\"middle\">"
                + "\(ReportFormat.compact(v))</text>\n"
        }
        for (i, row) in rows.enumerated() {
            let y = top + rowHeight * (Double(i) + 0.5)
            svg += "<text x=\"\(c(labelWidth - 8))\" y=\"\(c(y + 4))\" text-anchor=\"end\">\(row.label)</text>"
            guard let median = row.median else {
                svg += "<text x=\"\(c(labelWidth + 6))\" y=\"\(c(y + 4))\">n/a</text>\n"
                continue
            }
            let p5 = row.percentile5 ?? median
            svg += "<line x1=\"\(c(x(p5)))\" y1=\"\(c(y))\" x2=\"\(c(x(median)))\" y2=\"\(c(y))\" "
                + "stroke=\"\(row.color)\" stroke-width=\"3\" stroke-linecap=\"round\"/>"
            svg += "<circle cx=\"\(c(x(p5)))\" cy=\"\(c(y))\" r=\"3.5\" fill=\"\(row.color)\">"
                + "<title>5th percentile \(ReportFormat.decimal(p5, digits: 4))</title></circle>"
            svg += "<circle cx=\"\(c(x(median)))\" cy=\"\(c(y))\" r=\"6\" fill=\"\(row.color)\">"
                + "<title>median \(ReportFormat.decimal(median, digits: 4))</title></circle>"
            var text = "p5 \(ReportFormat.compact(p5)) · median \(ReportFormat.compact(median))"
            if let zero = row.zeroShare, zero > 0 { text += " · \(ReportFormat.percent(zero)) at 0" }
            svg += "<text x=\"\(c(labelWidth + 4))\" y=\"\(c(y - 9))\" font-size=\"10\" class=\"halo\">\(text)</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }
}
