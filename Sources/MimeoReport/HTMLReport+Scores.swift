import MimeoEval

extension HTMLReport {
    /// Most columns listed in the column-score chart; the rest are summarised in a note.
    static let maxScoreRows = 40

    /// `#scores`: the fidelity cards with grades, headline privacy and utility numbers, the
    /// per-column scores (worst first) and the weakest column pairs.
    static func scoresSection(_ data: ReportData) -> String {
        let f = data.fidelity
        var body = ""
        if !data.findings.isEmpty {
            body += "<ul class=\"findings\">\n"
            for finding in data.findings {
                let risk = finding.hasPrefix("PRIVACY RISK")
                body += "<li\(risk ? " style=\"color:#B00020;font-weight:600\"" : "")>\(esc(finding))</li>\n"
            }
            body += "</ul>\n"
        }
        body += "<div class=\"cards\">\n"
        for (caption, value) in [("Overall fidelity", f.overall), ("Column shapes", f.columnShapes),
                                 ("Column pair trends", f.columnPairTrends)] {
            body += card(caption, value: ReportFormat.score(value), pill: gradePill(value),
                         accent: Palette.color(of: Grade(value)))
        }
        if let utility = data.utility {
            let (name, tstr, trtr) = headline(utility)
            body += card("Utility · \(name) trained on synthetic", value: ReportFormat.score(tstr),
                         note: "trained on real: \(ReportFormat.score(trtr))", link: "utility")
        }
        if let privacy = data.privacy {
            body += card("Privacy · DCR share", value: ReportFormat.score(privacy.dcrShare.share),
                         note: "0.5 = no closer to train than to holdout; exact copies "
                             + ReportFormat.percent(privacy.exactMatch.syntheticShare),
                         link: "privacy")
        }
        body += "</div>\n"
        body += "<div class=\"split\">\n"
        body += "<div class=\"panel\"><h3>Column shapes, worst first</h3>\n\(columnScoreChart(f))</div>\n"
        body += "<div class=\"panel\"><h3>Weakest column pairs</h3>\n\(weakestPairs(f))</div>\n"
        body += "</div>\n"
        let lead = "Fidelity as SDMetrics' Quality Report: Column Shapes (KSComplement for numbers and dates, "
            + "TVComplement for categories), Column Pair Trends (CorrelationSimilarity, ContingencySimilarity) "
            + "and their mean, over \(ReportFormat.count(f.syntheticRowCount)) synthetic rows. "
            + "1 is a perfect match."
        return section(id: "scores", title: "Scores", lead: lead, body: body)
    }

    /// The utility score shown on the card: AUC, else R², else accuracy (TSTR, TRTR).
    static func headline(_ utility: UtilityReport) -> (String, Double?, Double?) {
        let s = utility.trainOnSynthetic.values, r = utility.trainOnReal.values
        if s.auc != nil || r.auc != nil { return ("AUC", s.auc, r.auc) }
        if s.r2 != nil || r.r2 != nil { return ("R²", s.r2, r.r2) }
        return ("accuracy", s.accuracy, r.accuracy)
    }

    /// Horizontal bars of the per-column scores, lowest first, coloured by grade, with the grade
    /// thresholds as dashed lines.
    static func columnScoreChart(_ f: FidelityReport) -> String {
        let sorted = f.columns.enumerated().sorted { a, b in
            let x = a.element.score ?? -1, y = b.element.score ?? -1
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        guard !sorted.isEmpty else { return "<p class=\"muted\">No column was scored.</p>" }
        let shown = sorted.prefix(maxScoreRows)
        let labelWidth = 160.0, width = 620.0, valueWidth = 50.0, rowHeight = 17.0, top = 18.0
        let plot = width - labelWidth - valueWidth
        let height = top + rowHeight * Double(shown.count) + 4
        var svg = "<svg viewBox=\"0 0 \(c(width)) \(c(height))\" role=\"img\" aria-label=\"column shape scores\">\n"
        for grade in [Grade.moderate, .good, .excellent] {
            let x = labelWidth + plot * (grade.threshold ?? 0)
            svg += "<line x1=\"\(c(x))\" y1=\"\(c(top - 4))\" x2=\"\(c(x))\" y2=\"\(c(height - 2))\" "
                + "stroke=\"\(Palette.axis)\" stroke-dasharray=\"2 3\"/>"
            svg += "<text x=\"\(c(x))\" y=\"10\" text-anchor=\"middle\" font-size=\"10\">\(grade.threshold.map { ReportFormat.decimal($0, digits: 2) } ?? "")</text>\n"
        }
        for (i, column) in shown.enumerated() {
            let y = top + rowHeight * Double(i)
            let score = column.score ?? 0
            let name = ReportFormat.escape(column.column, limit: 24)
            svg += "<g><title>\(esc(column.column)): \(column.metric) \(ReportFormat.score(column.score))</title>"
            svg += "<text x=\"\(c(labelWidth - 6))\" y=\"\(c(y + 12))\" text-anchor=\"end\">\(name)</text>"
            svg += "<rect x=\"\(c(labelWidth))\" y=\"\(c(y + 3))\" width=\"\(c(plot * max(score, 0)))\" "
                + "height=\"\(c(rowHeight - 6))\" rx=\"2\" fill=\"\(Palette.color(of: Grade(column.score)))\"/>"
            svg += "<text x=\"\(c(width - 2))\" y=\"\(c(y + 12))\" text-anchor=\"end\">"
                + "\(ReportFormat.score(column.score))</text></g>\n"
        }
        svg += "</svg>\n"
        if sorted.count > shown.count {
            let rest = sorted.dropFirst(shown.count).compactMap(\.score)
            svg += "<div class=\"notes\">\(sorted.count - shown.count) more columns, scores "
                + "\(ReportFormat.score(rest.min())) to \(ReportFormat.score(rest.max())).</div>\n"
        }
        var notes: [String] = []
        for column in f.columns where column.score == nil {
            notes.append("\(esc(column.column)): \(esc(column.note ?? "no score"))")
        }
        for skipped in f.skippedColumns {
            notes.append("\(esc(skipped.column)) (\(skipped.kind.rawValue)) not scored")
        }
        if !notes.isEmpty { svg += "<div class=\"notes\">\(notes.joined(separator: " · "))</div>\n" }
        return svg
    }

    /// The five lowest-scoring pairs that count towards Column Pair Trends.
    static func weakestPairs(_ f: FidelityReport) -> String {
        let counted = f.pairs.enumerated().filter { $0.element.meetsThreshold && $0.element.score != nil }
        let weakest = counted.sorted { a, b in
            a.element.score! != b.element.score! ? a.element.score! < b.element.score! : a.offset < b.offset
        }.prefix(8).map(\.element)
        guard !weakest.isEmpty else {
            return "<p class=\"muted\">No pair passes SDMetrics' real-data thresholds (|r| &gt; "
                + "\(ReportFormat.decimal(f.options.realCorrelationThreshold)), Cramér's V &gt; "
                + "\(ReportFormat.decimal(f.options.realAssociationThreshold))), so none is scored.</p>\n"
        }
        var html = "<table><thead><tr><th>Pair</th><th>Metric</th><th class=\"num\">Real</th>"
            + "<th class=\"num\">Score</th><th>Grade</th></tr></thead><tbody>\n"
        for pair in weakest {
            let real = pair.realCorrelation.map { "r = " + ReportFormat.decimal($0, digits: 2) }
                ?? pair.realAssociation.map { "V = " + ReportFormat.decimal($0, digits: 2) } ?? ""
            html += "<tr><td>\(ReportFormat.escape(pair.column1, limit: 22)) × \(ReportFormat.escape(pair.column2, limit: 22))</td>"
                + "<td>\(esc(pair.metric))</td><td class=\"num\">\(real)</td>"
                + "<td class=\"num\">\(ReportFormat.score(pair.score))</td><td>\(gradePill(pair.score))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        html += "<div class=\"notes\">\(counted.count) of \(f.pairs.count) pairs pass the real-data thresholds "
            + "and count towards Column Pair Trends.</div>\n"
        return html
    }
}
