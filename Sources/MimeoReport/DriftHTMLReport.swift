import Foundation
import MimeoEval

/// Renders a `DriftReport` as one self-contained HTML page in the style of `HTMLReport` (inline CSS,
/// no scripts, nothing fetched): the decision cards, the per-column table, the domain classifier's
/// columns as bars, and the concept check. Everything taken from the data is HTML-escaped; the same
/// report always gives the same bytes.
///
/// ```swift
/// let html = DriftHTMLReport.render(report, referenceName: "train.csv", currentName: "week.csv")
/// ```
public enum DriftHTMLReport {
    static let drift = "#c0392b"
    static let steady = "#2e7d32"

    /// The page for `report`.
    public static func render(_ report: DriftReport, referenceName: String, currentName: String) -> String {
        var html = HTMLReport.pageStart(title: "Mimeo drift: \(esc(currentName)) vs \(esc(referenceName))")
        html += """
            <header>
            <h1>Drift report</h1>
            <div class="tables">
            <div><span class="swatch real"></span>Reference <b>\(esc(referenceName))</b> · \(ReportFormat.count(report.referenceRowCount)) rows</div>
            <div><span class="swatch syn"></span>Current <b>\(esc(currentName))</b> · \(ReportFormat.count(report.currentRowCount)) rows</div>
            </div>
            <nav><a href="#decision">Decision</a><a href="#columns">Columns</a><a href="#domain">Domain classifier</a>\
            <a href="#concept">Concept</a></nav>
            </header>
            <main>

            """
        html += decisionSection(report)
        html += columnsSection(report)
        html += domainSection(report)
        html += conceptSection(report)
        html += """
            </main>
            <footer>Made by Mimeo from the drift numbers alone. Tests and thresholds are Evidently's defaults \
            (DataDriftPreset): p-values below \(report.options.pValueThreshold) or distances of at least \
            \(report.options.distanceThreshold) mark a column; the dataset drifts when at least \
            \(Int(report.options.driftShare * 100)) % of the columns do.</footer>
            </body>
            </html>

            """
        return html
    }

    private static func pill(_ drifted: Bool) -> String {
        "<span class=\"pill\" style=\"background:\(drifted ? drift : steady)\">\(drifted ? "drift" : "no drift")</span>"
    }

    private static func decisionSection(_ report: DriftReport) -> String {
        let d = report.dataset
        var cards = HTMLReport.card("Dataset drift", value: "\(d.driftedColumns) / \(d.columnCount)", pill: pill(d.drifted),
                                    note: "columns drifting (share \(ReportFormat.decimal(d.share, digits: 2)), threshold \(d.threshold))",
                                    accent: d.drifted ? drift : steady, link: "columns")
        if let domain = report.domainClassifier {
            cards += HTMLReport.card("Domain classifier AUC", value: ReportFormat.decimal(domain.auc, digits: 3),
                                     note: "0.5: the tables look alike; 1: any row tells its table", link: "domain")
        }
        if let concept = report.concept {
            cards += HTMLReport.card("Concept drift (\(esc(concept.target)))", value: "\(concept.driftedFeatures) / \(concept.features.count)",
                                     pill: pill(concept.drifted), note: "features whose relation to the target moved",
                                     accent: concept.drifted ? drift : steady, link: "concept")
        }
        return HTMLReport.section(id: "decision", title: "Decision",
                                  lead: report.drifted ? "Drift found: `mimeo drift` exits with status 3."
                                      : "No drift found: `mimeo drift` exits with status 0.",
                                  body: "<div class=\"cards\">\n\(cards)</div>\n")
    }

    private static func number(_ x: Double?) -> String {
        guard let x else { return "n/a" }
        if x != 0 && abs(x) < 1e-4 { return String(format: "%.2e", x) }
        return String(format: "%.4f", x)
    }

    private static func columnsSection(_ report: DriftReport) -> String {
        var rows = ""
        for c in report.columns {
            rows += "<tr><td>\(esc(c.column))</td><td>\(c.type)</td><td>\(esc(c.test))</td>"
                + "<td class=\"num\">\(number(c.score))</td><td class=\"num\">\(number(c.threshold))</td><td>\(pill(c.drifted))</td>"
                + "<td class=\"num\">\(number(c.psi))\(c.psiDrifted ? " ▲" : "")</td>"
                + "<td class=\"num\">\(ReportFormat.count(c.referenceRows)) / \(ReportFormat.count(c.currentRows))</td>"
                + "<td class=\"muted\">\(esc(c.note ?? ""))</td></tr>\n"
        }
        var body = "<div class=\"panel\"><table>\n<tr><th>column</th><th>type</th><th>test</th><th class=\"num\">score</th>"
            + "<th class=\"num\">threshold</th><th>decision</th><th class=\"num\">PSI</th><th class=\"num\">values ref / cur</th>"
            + "<th>note</th></tr>\n\(rows)</table>\n"
        if !report.skippedColumns.isEmpty {
            body += "<div class=\"notes\">Skipped: "
                + report.skippedColumns.map { "\(esc($0.column)) (\(esc($0.reason)))" }.joined(separator: "; ") + "</div>\n"
        }
        body += "<div class=\"notes\">p-values (ks, chisquare, z) drift below the threshold; distances (wasserstein "
            + "normed by the reference's standard deviation, jensenshannon) at or above it. ▲: PSI at least "
            + "\(report.options.psiThreshold).</div></div>\n"
        return HTMLReport.section(id: "columns", title: "Columns",
                                  lead: "Each column with the test Evidently picks by default; missing values are left out.",
                                  body: body)
    }

    private static func domainSection(_ report: DriftReport) -> String {
        guard let domain = report.domainClassifier else {
            return HTMLReport.section(id: "domain", title: "Domain classifier",
                                      body: HTMLReport.notComputed("A side has too few rows.", hint: ""))
        }
        let top = domain.columns.prefix(20)
        let largest = max(top.map(\.aucDrop).max() ?? 0, 1e-9)
        let rowHeight = 20.0, labelWidth = 170.0, barWidth = 420.0
        let width = labelWidth + barWidth + 70
        var svg = "<svg viewBox=\"0 0 \(HTMLReport.c(width)) \(HTMLReport.c(rowHeight * Double(top.count) + 4))\" "
            + "style=\"max-width:\(HTMLReport.c(width))px\" role=\"img\">\n"
        for (i, column) in top.enumerated() {
            let y = Double(i) * rowHeight
            let bar = max(0, column.aucDrop) / largest * barWidth
            svg += "<text x=\"\(HTMLReport.c(labelWidth - 6))\" y=\"\(HTMLReport.c(y + 14))\" text-anchor=\"end\">\(ReportFormat.escape(column.column, limit: 24))</text>"
            svg += "<rect x=\"\(HTMLReport.c(labelWidth))\" y=\"\(HTMLReport.c(y + 3))\" width=\"\(HTMLReport.c(bar))\" height=\"14\" fill=\"var(--syn)\"/>"
            svg += "<text x=\"\(HTMLReport.c(labelWidth + bar + 6))\" y=\"\(HTMLReport.c(y + 14))\">\(String(format: "%.3f", column.aucDrop))</text>\n"
        }
        svg += "</svg>\n"
        let lead = "\(esc(domain.learner)), trained on \(ReportFormat.count(domain.trainingRows)) rows and tested on "
            + "\(ReportFormat.count(domain.testRows)) (half of each table's sample each): AUC \(ReportFormat.decimal(domain.auc, digits: 3)). "
            + "Bars: the AUC lost when a column's test values are shuffled, so the columns that tell the tables apart."
        return HTMLReport.section(id: "domain", title: "Domain classifier", lead: lead, body: "<div class=\"panel\">\(svg)</div>\n")
    }

    private static func conceptSection(_ report: DriftReport) -> String {
        guard let concept = report.concept else {
            return HTMLReport.section(id: "concept", title: "Concept drift",
                                      body: HTMLReport.notComputed("No target given.", hint: "Run with --target column."))
        }
        var rows = ""
        for f in concept.features {
            rows += "<tr><td>\(esc(f.column))</td><td>\(f.test)</td><td class=\"num\">\(number(f.score))</td>"
                + "<td class=\"num\">\(number(f.threshold))</td><td>\(pill(f.drifted))</td>"
                + "<td>\(esc(f.largestShiftCell ?? ""))</td><td class=\"num\">\(number(f.largestShift))</td></tr>\n"
        }
        var model = ""
        if let m = concept.model {
            model = "<p>A model of the target (\(esc(m.learner))) trained on \(ReportFormat.count(m.trainingRows)) reference "
                + "rows: \(scores(m.reference)) on \(ReportFormat.count(m.referenceRows)) other reference rows, "
                + "\(scores(m.current)) on \(ReportFormat.count(m.currentRows)) current rows. A fall comes from covariate "
                + "shift or from a changed relation; the table below tells which features' relation moved.</p>\n"
        }
        let body = model + "<div class=\"panel\"><table>\n<tr><th>feature</th><th>test</th><th class=\"num\">score</th>"
            + "<th class=\"num\">threshold</th><th>decision</th><th>cell moved most</th><th class=\"num\">its JS distance</th></tr>\n"
            + rows + "</table>\n<div class=\"notes\">\(esc(concept.method))</div></div>\n"
        return HTMLReport.section(id: "concept", title: "Concept drift (\(esc(concept.target)))",
                                  lead: "Did the target's distribution given each feature change?", body: body)
    }

    /// `AUC 0.912, accuracy 0.853` or `R² 0.81`: the scores a model has.
    public static func scores(_ values: UtilityScores.Values) -> String {
        var parts: [String] = []
        if let auc = values.auc { parts.append("AUC " + String(format: "%.3f", auc)) }
        if let accuracy = values.accuracy { parts.append("accuracy " + String(format: "%.3f", accuracy)) }
        if let r2 = values.r2 { parts.append("R² " + String(format: "%.3f", r2)) }
        return parts.isEmpty ? "no score" : parts.joined(separator: ", ")
    }

    private static func esc(_ text: String) -> String { ReportFormat.escape(text) }
}
