import Foundation
import MimeoData
import MimeoTestSupport
import MimeoEval
import Testing
@testable import MimeoReport

@Suite struct HTMLReportTests {
    static let sectionIDs = ["scores", "columns", "correlations", "privacy", "utility"]

    @Test func hasEverySectionAndOneChartPerColumn() throws {
        let data = try ReportFixtures.reportData()
        let html = HTMLReport.render(data)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.hasSuffix("</html>\n"))
        for id in Self.sectionIDs {
            #expect(occurrences(of: "<section id=\"\(id)\">", in: html) == 1, "section \(id)")
        }
        let figures = html.components(separatedBy: "<figure class=\"column\"").dropFirst()
        #expect(figures.count == data.columns.count)
        for figure in figures {
            let body = figure.components(separatedBy: "</figure>")[0]
            #expect(occurrences(of: "<svg", in: body) == 1)
        }
        // Real, synthetic and difference heatmaps.
        #expect(occurrences(of: "heatmap\"", in: html) == 3)
        #expect(occurrences(of: "<svg", in: html) == occurrences(of: "</svg>", in: html))
    }

    @Test func isSelfContained() throws {
        let html = HTMLReport.render(try ReportFixtures.reportData()).lowercased()
        for forbidden in ["http://", "https://", "<script", "src=", "url(", "@import", "<link", "<img", "<iframe"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
    }

    @Test func escapesUserData() throws {
        let html = HTMLReport.render(try ReportFixtures.reportData())
        #expect(!html.contains(ReportFixtures.hostileCategory))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(!html.contains(ReportFixtures.hostileColumn))
        #expect(html.contains("a&lt;b &amp; &quot;c&quot; &#39;d&#39;"))
        #expect(html.contains("train &lt;real&gt;.csv"))
        #expect(html.contains("synthetic &amp; co.csv"))
        #expect(!html.lowercased().contains("<script"))
    }

    @Test func escapeHandlesEverySpecialCharacter() {
        #expect(ReportFormat.escape(#"<a href="x">&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
        #expect(ReportFormat.escape("tab\tok\u{1}") == "tab\tok\u{FFFD}")
        #expect(ReportFormat.escape("<<<<", limit: 3) == "&lt;&lt;…")
    }

    @Test func sameDataGivesSameBytes() throws {
        let first = HTMLReport.render(try ReportFixtures.reportData())
        let second = HTMLReport.render(try ReportFixtures.reportData())
        #expect(first == second)
        #expect(first.utf8.count > 10_000)
    }

    @Test func absentPrivacyAndUtilityAreNotComputed() throws {
        let html = HTMLReport.render(try ReportFixtures.reportData())
        for id in ["privacy", "utility"] {
            let section = try #require(html.components(separatedBy: "<section id=\"\(id)\">").last?
                .components(separatedBy: "</section>").first)
            #expect(section.contains("Not computed."))
        }
    }

    @Test func gradesUseTheCLIThresholds() {
        #expect(Grade(0.95) == .excellent)
        #expect(Grade(0.9499) == .good)
        #expect(Grade(0.85) == .good)
        #expect(Grade(0.70) == .moderate)
        #expect(Grade(0.6999) == .poor)
        #expect(Grade(nil) == .none)
        #expect(Grade(.nan) == .none)
    }

    @Test func formatsNumbersCompactly() {
        #expect(ReportFormat.compact(0) == "0")
        #expect(ReportFormat.compact(39) == "39")
        #expect(ReportFormat.compact(0.25) == "0.25")
        #expect(ReportFormat.compact(1234) == "1234")
        #expect(ReportFormat.compact(12_345) == "12.3k")
        #expect(ReportFormat.compact(99_999) == "100k")
        #expect(ReportFormat.compact(999_999) == "1M")
        #expect(ReportFormat.compact(-2_500_000) == "-2.5M")
        #expect(ReportFormat.count(1_234_567) == "1,234,567")
        #expect(ReportFormat.percent(0.5) == "50%")
        #expect(ReportFormat.percent(0.1234) == "12.3%")
        #expect(ReportFormat.percent(0.0004) == "0.04%")
        #expect(ReportFormat.percent(0.00004) == "<0.01%")
        #expect(ReportFormat.date(86_400 * 365, withTime: false) == "1971-01-01")
    }

    @Test func datetimeTicksFollowTheCalendar() {
        func t(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0) -> Double {
            Double(DateTimeParts(year: y, month: m, day: d, hour: h).secondsSinceEpoch)
        }
        #expect(HTMLReport.dateTicks(from: t(2013, 1, 1, 5), to: t(2014, 1, 1)).map(\.1)
            == ["2013-04", "2013-07", "2013-10", "2014-01"])
        #expect(HTMLReport.dateTicks(from: t(1990, 6, 1), to: t(2020, 1, 1)).map(\.1) == ["2000", "2010", "2020"])
        #expect(HTMLReport.dateTicks(from: t(2021, 3, 1), to: t(2021, 3, 11)).map(\.1)
            == ["03-01", "03-03", "03-05", "03-07", "03-09", "03-11"])
        #expect(HTMLReport.dateTicks(from: t(2021, 3, 1, 6), to: t(2021, 3, 1, 18)).map(\.1)
            == ["06:00", "09:00", "12:00", "15:00", "18:00"])
        for (position, _) in HTMLReport.dateTicks(from: t(2013, 1, 1, 5), to: t(2014, 1, 1)) {
            #expect(position >= t(2013, 1, 1, 5) && position <= t(2014, 1, 1))
        }
    }

    /// The bundled adult sample: 4,000 train rows, 1,000 holdout rows, and a perturbed copy of
    /// train as the synthetic table, with every section computed.
    @Test func rendersAdultSampleWithEverySection() throws {
        let all = try TableLoader().load(path: Datasets.adultSample)
        let schema = SchemaInference().inferSchema(from: all)
        let train = all.rows(0 ..< 4000), holdout = all.rows(4000 ..< all.rowCount)
        let synthetic = perturbed(train, schema: schema)

        let fidelity = try FidelityEvaluator(real: train, schema: schema).evaluate(synthetic)
        var privacyOptions = PrivacyOptions()
        privacyOptions.target = "income"
        let privacy = try PrivacyEvaluator(train: train, holdout: holdout, schema: schema, options: privacyOptions)
            .evaluate(synthetic)
        let utility = try UtilityEvaluator(train: train, holdout: holdout, schema: schema,
                                           options: UtilityOptions(target: "income")).evaluate(synthetic)
        let data = try ReportData(real: train, synthetic: synthetic, schema: schema, fidelity: fidelity,
                                  privacy: privacy, utility: utility, realName: "adult-sample.csv (train)",
                                  syntheticName: "perturbed copy")
        let html = HTMLReport.render(data)

        let charted = schema.columns.filter { $0.kind != .identifier && $0.kind != .text }
        #expect(data.columns.count == charted.count)
        #expect(occurrences(of: "<figure class=\"column\"", in: html) == charted.count)
        #expect(data.correlations.columns.contains("age"))
        #expect(data.correlations.columns.contains("hours-per-week"))
        for id in Self.sectionIDs { #expect(html.contains("<section id=\"\(id)\">")) }
        #expect(!html.contains("Not computed."))
        #expect(html.contains("Distance to closest train record"))
        #expect(html.contains("AUC"))
        // The perturbation costs fidelity, but a copy of train stays close.
        let overall = try #require(fidelity.overall)
        #expect(overall > 0.7 && overall < 1)
        #expect(html.contains(ReportFormat.score(overall)))
        // Perturbed copies sit closer to train than fresh holdout rows do.
        let syntheticDCR = try #require(privacy.distanceToClosestRecord.synthetic.median)
        let holdoutDCR = try #require(privacy.distanceToClosestRecord.holdout.median)
        #expect(syntheticDCR < holdoutDCR)
        #expect(!html.lowercased().contains("http"))
        // MIMEO_REPORT_HTML=/tmp/adult.html keeps the page, for scripts/render_report.sh.
        if let out = ProcessInfo.processInfo.environment["MIMEO_REPORT_HTML"] {
            try html.write(toFile: out, atomically: true, encoding: .utf8)
        }
    }

    /// Train with its ages shuffled among rows, 20% of the hours redrawn uniformly, and 10% of the
    /// education values replaced by "Preschool": shapes and pairs drift, most rows stay copies.
    private func perturbed(_ table: Table, schema: Schema) -> Table {
        var rng = SplitMix64(seed: 42)
        var copy = table
        if let age = copy.columnIndex(named: "age") { copy.columns[age].shuffle(using: &rng) }
        if let hours = copy.columnIndex(named: "hours-per-week") {
            for r in copy.columns[hours].indices where Double.random(in: 0 ..< 1, using: &rng) < 0.2 {
                copy.columns[hours][r] = String(Int.random(in: 1 ... 99, using: &rng))
            }
        }
        if let education = copy.columnIndex(named: "education") {
            for r in copy.columns[education].indices where Double.random(in: 0 ..< 1, using: &rng) < 0.1 {
                copy.columns[education][r] = "Preschool"
            }
        }
        return copy
    }

    private func occurrences(of needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }
}
