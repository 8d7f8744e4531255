import MimeoEval

/// Renders `ReportData` as one self-contained HTML page: inline CSS and inline SVG, no scripts,
/// no fonts or images from elsewhere, so it opens the same offline and in a mail attachment.
///
/// ```swift
/// let html = HTMLReport.render(data)
/// try html.write(toFile: "report.html", atomically: true, encoding: .utf8)
/// ```
///
/// The page has five sections, each with a stable `id`: `scores` (fidelity scores with grades),
/// `columns` (real vs synthetic distribution of every column), `correlations` (Pearson heatmaps:
/// real, synthetic, difference), `privacy` and `utility` (each "not computed" when absent).
/// Everything taken from the data (table, column and category names) is HTML-escaped. The same
/// data always gives the same bytes.
public enum HTMLReport {
    /// The page for `data`.
    public static func render(_ data: ReportData) -> String {
        var html = pageStart(title: "Mimeo report: \(esc(data.syntheticName)) vs \(esc(data.realName))")
        html += header(data)
        html += "<main>\n"
        html += scoresSection(data)
        html += columnsSection(data)
        html += correlationsSection(data)
        html += privacySection(data)
        html += utilitySection(data)
        html += "</main>\n"
        html += """
            <footer>Made by Mimeo from the evaluation numbers alone. Grades: Excellent ≥ 0.95, Good ≥ 0.85, \
            Moderate ≥ 0.70, Poor below. Real data in <span class="real-text">blue</span>, synthetic in \
            <span class="syn-text">vermillion</span>.</footer>
            </body>
            </html>

            """
        return html
    }

    // MARK: - Page parts

    /// The page up to `<body>`: the head with `title` (already escaped) and the stylesheet.
    static func pageStart(title: String) -> String {
        """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>\(stylesheet)</style>
            </head>
            <body>

            """
    }

    private static func header(_ data: ReportData) -> String {
        let sample = data.syntheticSampleRowCount < data.syntheticRowCount
            ? " <span class=\"muted\">(charts from a sample of \(ReportFormat.count(data.syntheticSampleRowCount)))</span>"
            : ""
        return """
            <header>
            <h1>Synthetic data report</h1>
            <div class="tables">
            <div><span class="swatch real"></span>Real <b>\(esc(data.realName))</b> · \(ReportFormat.count(data.realRowCount)) rows</div>
            <div><span class="swatch syn"></span>Synthetic <b>\(esc(data.syntheticName))</b> · \
            \(ReportFormat.count(data.syntheticRowCount)) rows\(sample)</div>
            </div>
            <nav><a href="#scores">Scores</a><a href="#columns">Columns</a><a href="#correlations">Correlations</a>\
            <a href="#privacy">Privacy</a><a href="#utility">Utility</a></nav>
            </header>

            """
    }

    /// A section with a heading and an optional lead paragraph.
    static func section(id: String, title: String, lead: String? = nil, body: String) -> String {
        var html = "<section id=\"\(id)\">\n<h2>\(title)</h2>\n"
        if let lead { html += "<p class=\"lead\">\(lead)</p>\n" }
        html += body
        html += "</section>\n"
        return html
    }

    /// The "not computed" body of a section whose report is absent.
    static func notComputed(_ what: String, hint: String) -> String {
        "<div class=\"absent\"><b>Not computed.</b> \(what) \(hint)</div>\n"
    }

    /// A small coloured label with a grade's name.
    static func gradePill(_ score: Double?) -> String {
        let grade = Grade(score)
        guard grade != .none else { return "<span class=\"pill none\">no score</span>" }
        return "<span class=\"pill\" style=\"background:\(Palette.color(of: grade))\">\(grade.rawValue)</span>"
    }

    /// A score card: a caption, a big value, and a pill or a note below.
    static func card(_ caption: String, value: String, pill: String = "", note: String = "", accent: String? = nil,
                     link: String? = nil) -> String {
        let style = accent.map { " style=\"border-top-color:\($0)\"" } ?? ""
        var html = "<div class=\"card\"\(style)>"
        html += "<div class=\"caption\">\(caption)</div><div class=\"value\">\(value)</div>"
        if !pill.isEmpty { html += "<div>\(pill)</div>" }
        if !note.isEmpty { html += "<div class=\"note\">\(note)</div>" }
        if let link { html += "<a class=\"more\" href=\"#\(link)\">details ↓</a>" }
        html += "</div>\n"
        return html
    }

    /// A legend: a real swatch and a synthetic swatch (bars, or a bar and a line).
    static func legend(syntheticAsLine: Bool = false) -> String {
        let syn = syntheticAsLine ? "<span class=\"swatch line\"></span>" : "<span class=\"swatch syn\"></span>"
        return "<div class=\"legend\"><span><span class=\"swatch real\"></span>real</span>"
            + "<span>\(syn)synthetic</span></div>\n"
    }

    /// Escapes user data for HTML.
    static func esc(_ text: String) -> String { ReportFormat.escape(text) }

    /// An SVG coordinate.
    static func c(_ x: Double) -> String { ReportFormat.coordinate(x) }

    // MARK: - Style

    static let stylesheet = """

        :root { --real: \(Palette.real); --syn: \(Palette.synthetic); --ink: #1f2328; --muted: #5f6670;
          --line: #e3e6ea; --bg: #f6f7f9; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--ink);
          font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; }
        header { background: #fff; border-bottom: 1px solid var(--line); padding: 20px 32px 0; }
        h1 { margin: 0 0 8px; font-size: 24px; font-weight: 650; letter-spacing: -0.01em; }
        h2 { margin: 0 0 4px; font-size: 19px; font-weight: 650; }
        h3 { margin: 0; font-size: 14px; font-weight: 600; }
        .tables { display: flex; flex-wrap: wrap; gap: 6px 28px; color: var(--muted); }
        .tables b { color: var(--ink); font-weight: 600; word-break: break-all; }
        nav { display: flex; gap: 4px; margin-top: 14px; }
        nav a { padding: 8px 12px; color: var(--muted); text-decoration: none; border-bottom: 2px solid transparent; }
        nav a:hover { color: var(--ink); border-bottom-color: var(--ink); }
        main { padding: 8px 32px 24px; max-width: 1500px; }
        section { margin: 24px 0 8px; }
        .lead { margin: 0 0 14px; color: var(--muted); max-width: 900px; }
        .muted { color: var(--muted); }
        .real-text { color: var(--real); font-weight: 600; }
        .syn-text { color: var(--syn); font-weight: 600; }
        .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px;
          vertical-align: -1px; }
        .swatch.real { background: var(--real); }
        .swatch.syn { background: var(--syn); }
        .swatch.line { height: 3px; vertical-align: 3px; background: var(--syn); border-radius: 0; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 14px; }
        .card { background: #fff; border: 1px solid var(--line); border-top: 4px solid #c9ced6; border-radius: 8px;
          padding: 12px 16px; }
        .card .caption { color: var(--muted); font-size: 13px; }
        .card .value { font-size: 30px; font-weight: 650; font-variant-numeric: tabular-nums; margin: 2px 0 6px; }
        .card .note { color: var(--muted); font-size: 12px; margin-top: 6px; }
        .card .more { display: inline-block; margin-top: 6px; font-size: 12px; color: var(--muted); }
        .pill { display: inline-block; padding: 1px 9px; border-radius: 999px; color: #fff; font-size: 12px;
          font-weight: 600; text-shadow: 0 0 2px rgba(0,0,0,.35); }
        .pill.none { background: #eceef1; color: var(--muted); text-shadow: none; }
        .panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
        .split { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; margin-top: 14px; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 14px; align-items: start; }
        figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 8px;
          min-width: 0; }
        figure .head { display: flex; align-items: baseline; gap: 8px; }
        figure h3 { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        figure .kind { color: var(--muted); font-size: 12px; }
        figure .score { font-variant-numeric: tabular-nums; font-size: 13px; }
        figcaption { color: var(--muted); font-size: 12px; min-height: 1.45em; }
        svg { display: block; width: 100%; height: auto; overflow: visible; }
        svg text { fill: #4a5059; font-size: 11px; }
        svg .title { font-size: 12px; font-weight: 600; fill: var(--ink); }
        svg .halo { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
        .legend { display: flex; gap: 18px; color: var(--muted); font-size: 13px; margin: 0 0 10px; }
        table { border-collapse: collapse; font-size: 13px; width: 100%; }
        th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); }
        th { color: var(--muted); font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .absent { background: #fff; border: 1px dashed #c9ced6; border-radius: 8px; padding: 16px; color: var(--muted); }
        .absent b { color: var(--ink); }
        .notes { color: var(--muted); font-size: 12px; margin-top: 10px; }
        footer { padding: 16px 32px 28px; color: var(--muted); font-size: 12px; }

        """
}
