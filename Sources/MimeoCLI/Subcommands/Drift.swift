import ArgumentParser
import Foundation
import MimeoData
import MimeoEval
import MimeoReport
import MimeoTabular

extension MimeoCommand {
    /// `mimeo drift`: has the current data moved away from the reference (training) data?
    struct Drift: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a current table with the reference one: per-column drift, PSI, a domain classifier, concept drift.",
            discussion: """
                Each column gets the test Evidently's DataDriftPreset picks by default. Reference with at \
                most 1000 values in the column: Kolmogorov-Smirnov for numbers, chi-square for categories \
                (Z-test for two values; numbers with at most 5 distinct values count as categories), drift \
                when p < 0.05 (KS: p <= 0.05). Larger reference: Wasserstein distance divided by the \
                reference's standard deviation for numbers, Jensen-Shannon distance for categories, drift \
                when >= 0.1. The dataset drifts when at least half the columns do. Also reported: PSI per \
                column (>= 0.1 flagged), a domain classifier (logistic regression telling current rows from \
                reference rows: AUC 0.5 = alike, and the columns it relies on), and with --target a \
                concept check (did P(target | each column) change?).
                The current table is streamed (chunk by chunk, mergeable summaries), so it may be any size. \
                Exit status: 0 no drift, 3 drift (dataset or concept), 64 usage error, 1 other errors.
                Examples:
                  mimeo drift --reference train.csv --current this_week.csv
                  mimeo drift --reference train.csv --current week.csv.gz --target income \\
                    --json drift.json --html drift.html || echo "drift: retrain?"
                """)

        @Option(help: ArgumentHelp("The reference table (what the model learnt from).", valueName: "train.csv"))
        var reference: String

        @Option(help: ArgumentHelp("The current table to check (streamed; gzip is fine).", valueName: "current.csv"))
        var current: String

        @Option(help: ArgumentHelp("A target column: also check whether its relation to the other columns changed.", valueName: "column"))
        var target: String?

        @Option(help: ArgumentHelp("Take column kinds from this model instead of inferring them from the reference.", valueName: "model.mimeo"))
        var model: String?

        @OptionGroup var inputOptions: InputOptions

        @Option(help: "Seed of the domain classifier's samples.")
        var seed: UInt64 = 0

        @Option(help: ArgumentHelp("Write the full report as JSON here.", valueName: "drift.json"))
        var json: String?

        @Option(help: ArgumentHelp("Write a self-contained HTML report here.", valueName: "drift.html"))
        var html: String?

        func validate() throws {
            if model != nil && inputOptions.schema != nil { throw ValidationError("give either --model or --schema, not both") }
            if let target, target.isEmpty { throw ValidationError("--target names no column") }
        }

        func run() throws {
            try OutputSafety.check(inputs: [("--reference", reference), ("--current", current), ("--model", model),
                                            ("--schema", inputOptions.schema)], outputs: [("--json", json), ("--html", html)])
            let started = Date()
            var (table, schema) = try TableInput.load(path: reference, options: inputOptions, quiet: false)
            guard table.rowCount > 0 else { throw DataError(file: reference, message: "the reference table has no rows") }
            if let model { schema = try ModelFile.read(from: model).metadata.encoder.schema }
            var options = DriftOptions()
            options.seed = seed
            let detector: DriftDetector
            do {
                detector = try DriftDetector(reference: table, schema: schema, target: target, options: options)
            } catch let error as EvaluationError {
                if case .unknownColumns = error { throw ValidationError(error.description) }
                throw error
            }
            let summary = try detector.summarize(csvAt: current, delimiter: try inputOptions.delimiterByte(for: current),
                                                 missingValues: schema.missingValues)
            guard summary.rowCount > 0 else { throw DataError(file: current, message: "the current table has no rows") }
            let report = try detector.report(for: summary)
            printSummary(report)
            if let json { try ReportOutput.writeJSON(report, to: json) }
            if let html {
                let page = DriftHTMLReport.render(report, referenceName: URL(fileURLWithPath: reference).lastPathComponent,
                                                  currentName: URL(fileURLWithPath: current).lastPathComponent)
                try ReportOutput.writeText(page, to: html)
            }
            Terminal.message(String(format: "compared in %.1f s", Date().timeIntervalSince(started)))
            if report.drifted { throw ExitCode(3) }
        }

        private func printSummary(_ report: DriftReport) {
            func value(_ x: Double?) -> String {
                guard let x else { return "n/a" }
                return x != 0 && abs(x) < 1e-4 ? String(format: "%.2e", x) : String(format: "%.4f", x)
            }
            print("\(current) (\(Terminal.count(report.currentRowCount)) rows) against \(reference) (\(Terminal.count(report.referenceRowCount)) rows)")
            print("  \("column".padding(toLength: 24, withPad: " ", startingAt: 0)) \("test".padding(toLength: 14, withPad: " ", startingAt: 0)) "
                  + "\("score".padding(toLength: 10, withPad: " ", startingAt: 0)) \("PSI".padding(toLength: 8, withPad: " ", startingAt: 0)) drift")
            for column in report.columns {
                print("  \(column.column.padding(toLength: 24, withPad: " ", startingAt: 0)) "
                      + "\(column.test.padding(toLength: 14, withPad: " ", startingAt: 0)) "
                      + "\(value(column.score).padding(toLength: 10, withPad: " ", startingAt: 0)) "
                      + "\(value(column.psi).padding(toLength: 8, withPad: " ", startingAt: 0)) "
                      + (column.drifted ? "DRIFT" : "-") + (column.note.map { "  (\($0))" } ?? ""))
            }
            for skipped in report.skippedColumns { print("  skipped \(skipped.column): \(skipped.reason)") }
            let d = report.dataset
            print("dataset drift: \(d.drifted ? "YES" : "no") (\(d.driftedColumns) of \(d.columnCount) columns, "
                  + "share \(String(format: "%.2f", d.share)), threshold \(d.threshold))")
            if let domain = report.domainClassifier {
                let top = domain.columns.prefix(3).map { "\($0.column) \(String(format: "%.3f", $0.aucDrop))" }.joined(separator: ", ")
                print("domain classifier AUC: \(value(domain.auc)) (0.5 = alike; uses \(top.isEmpty ? "nothing" : top))")
            }
            if let concept = report.concept {
                print("concept drift (\(concept.target)): \(concept.drifted ? "YES" : "no") (\(concept.driftedFeatures) of "
                      + "\(concept.features.count) features: \(concept.features.filter(\.drifted).map(\.column).joined(separator: ", ")))")
                if let model = concept.model {
                    print("model of \(concept.target) trained on the reference: \(DriftHTMLReport.scores(model.reference)) on reference rows, "
                          + "\(DriftHTMLReport.scores(model.current)) on current rows")
                }
            }
        }
    }
}
