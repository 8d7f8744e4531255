import MimeoEval

extension HTMLReport {
    /// `#utility`: a model trained on synthetic rows next to one trained on real rows, both
    /// tested on the real holdout.
    static func utilitySection(_ data: ReportData) -> String {
        let lead = "Train on synthetic, test on real (TSTR) next to train on real, test on real (TRTR): "
            + "how much a model loses by learning from the synthetic table instead of the real one."
        guard let u = data.utility else {
            return section(id: "utility", title: "Utility", lead: lead,
                           body: notComputed("Utility needs a holdout table of real rows and a target column;",
                                             hint: "this evaluation had none."))
        }
        let real = u.trainOnReal.values, synthetic = u.trainOnSynthetic.values
        var rows: [(String, Double?, Double?, Double?)] = []
        if real.auc != nil || synthetic.auc != nil { rows.append(("AUC", real.auc, synthetic.auc, u.gap.auc)) }
        if real.accuracy != nil || synthetic.accuracy != nil {
            rows.append(("Accuracy", real.accuracy, synthetic.accuracy, u.gap.accuracy))
        }
        if real.r2 != nil || synthetic.r2 != nil { rows.append(("R²", real.r2, synthetic.r2, u.gap.r2)) }

        var body = "<div class=\"split\">\n<div class=\"panel\"><h3>Scores on the real holdout</h3>\n"
        body += "<div class=\"legend\"><span><span class=\"swatch real\"></span>trained on real</span>"
            + "<span><span class=\"swatch syn\"></span>trained on synthetic</span></div>\n"
        body += utilityChart(rows)
        body += "</div>\n<div class=\"panel\"><h3>Set-up</h3>\n<table><tbody>\n"
        var facts: [(String, String)] = [
            ("Target", esc(u.target)),
            ("Task", u.task.rawValue),
            ("Learner", esc(u.learner)),
        ]
        if let positive = u.positiveClass { facts.append(("Positive class (AUC)", esc(positive))) }
        if let classes = u.classes {
            facts.append(("Classes", "\(classes.count): " + classes.prefix(8).map { esc($0) }.joined(separator: ", ")
                + (classes.count > 8 ? ", …" : "")))
        }
        facts.append(("Holdout rows scored", ReportFormat.count(u.holdoutRows)))
        facts.append(("Training rows (real / synthetic)",
                      "\(ReportFormat.count(u.trainOnReal.trainingRows)) / \(ReportFormat.count(u.trainOnSynthetic.trainingRows))"))
        for (key, value) in facts { body += "<tr><th>\(key)</th><td>\(value)</td></tr>\n" }
        body += "</tbody></table>\n"
        var notes: [String] = []
        if let note = u.trainOnReal.note { notes.append("trained on real: \(esc(note))") }
        if let note = u.trainOnSynthetic.note { notes.append("trained on synthetic: \(esc(note))") }
        if u.isReference { notes.append("reference run: the holdout plays the synthetic table") }
        if !notes.isEmpty { body += "<div class=\"notes\">\(notes.joined(separator: " · ")).</div>\n" }
        body += "</div>\n</div>\n"
        return section(id: "utility", title: "Utility", lead: lead, body: body)
    }

    /// Paired horizontal bars (trained on real, trained on synthetic) per score, on `0...1`, with
    /// the values and the gap written beside them.
    static func utilityChart(_ rows: [(String, Double?, Double?, Double?)]) -> String {
        guard !rows.isEmpty else { return "<p class=\"muted\">No score.</p>\n" }
        let width = 600.0, labelWidth = 84.0, valueWidth = 130.0, rowHeight = 44.0, top = 4.0, axisHeight = 22.0
        let plotWidth = width - labelWidth - valueWidth
        func x(_ v: Double) -> Double { labelWidth + min(max(v, 0), 1) * plotWidth }
        let baseline = top + rowHeight * Double(rows.count)
        var svg = "<svg viewBox=\"0 0 \(c(width)) \(c(baseline + axisHeight))\" role=\"img\" aria-label=\"utility scores\">\n"
        for k in 0 ... 4 {
            let v = Double(k) / 4
            svg += "<line x1=\"\(c(x(v)))\" y1=\"\(c(top))\" x2=\"\(c(x(v)))\" y2=\"\(c(baseline))\" "
                + "stroke=\"\(k == 0 ? Palette.axis : Palette.grid)\"/>"
            svg += "<text x=\"\(c(x(v)))\" y=\"\(c(baseline + 15))\" text-anchor=\"middle\">"
                + "\(ReportFormat.decimal(v, digits: 2))</text>\n"
        }
        for (i, (name, real, synthetic, gap)) in rows.enumerated() {
            let y = top + rowHeight * Double(i)
            svg += "<text x=\"\(c(labelWidth - 8))\" y=\"\(c(y + 22))\" text-anchor=\"end\" class=\"title\">\(name)</text>"
            for (offset, value, color) in [(6.0, real, Palette.real), (20.0, synthetic, Palette.synthetic)] {
                svg += "<rect x=\"\(c(labelWidth))\" y=\"\(c(y + offset))\" width=\"\(c(x(value ?? 0) - labelWidth))\" "
                    + "height=\"12\" fill=\"\(color)\"/>"
                svg += "<text x=\"\(c(x(value ?? 0) + 5))\" y=\"\(c(y + offset + 10))\">"
                    + "\(ReportFormat.score(value))</text>"
            }
            if let gap {
                svg += "<text x=\"\(c(width - 2))\" y=\"\(c(y + 22))\" text-anchor=\"end\">gap "
                    + "\(gap >= 0 ? "" : "−")\(ReportFormat.score(abs(gap)))</text>"
            }
            svg += "\n"
        }
        svg += "</svg>\n"
        return svg
    }
}
