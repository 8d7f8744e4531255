import ArgumentParser
import Foundation
import MimeoData
import MimeoEval
import MimeoReport
import MimeoTabular

extension MimeoCommand {
    /// `mimeo evaluate`: score a synthetic table against the real one it imitates.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score a synthetic table against the real one: fidelity, structure, utility and privacy.",
            discussion: """
                Fidelity as SDMetrics 0.32's Quality Report (Column Shapes, Column Pair Trends, their \
                mean) and deep structure (joint PCA) need only --real. With --holdout (real rows the \
                generator never saw): privacy (exact copies, distance to closest record, DCR share, \
                nearest-neighbour distance ratio, membership-inference AUC, and attribute inference \
                with --quasi-identifiers and --sensitive); with --holdout and --target: utility \
                (train on synthetic / train on real, tested on the holdout). The synthetic file is \
                streamed; privacy uses a seeded sample of it (at most 50,000 rows) and utility, \
                structure and charts a sample of at most 100,000 rows. Grades: Excellent >= 0.95, \
                Good >= 0.85, Moderate >= 0.70, Poor below (docs/metrics.md).
                Examples:
                  mimeo evaluate --real train.csv --synthetic syn.csv
                  mimeo evaluate --real train.csv --synthetic syn.csv --holdout holdout.csv \\
                    --target income --json report.json --html report.html
                """)

        @Option(help: ArgumentHelp("The real (training) table: CSV, Parquet, or a folder of parts.", valueName: "train.csv"))
        var real: String

        @Option(help: ArgumentHelp("The synthetic table to score: CSV, Parquet, or a folder of parts (such as a cluster job's).", valueName: "synthetic.csv"))
        var synthetic: String

        @Option(help: ArgumentHelp("Real rows not used for training (CSV, Parquet or a folder): enables privacy and utility.", valueName: "holdout.csv"))
        var holdout: String?

        @Option(help: ArgumentHelp("The column to predict for utility (needs --holdout).", valueName: "column"))
        var target: String?

        @Option(help: ArgumentHelp("Comma-separated columns an attacker knows, for attribute inference (needs --sensitive).", valueName: "a,b,c"))
        var quasiIdentifiers: String?

        @Option(help: ArgumentHelp("The column an attacker tries to infer from --quasi-identifiers.", valueName: "column"))
        var sensitive: String?

        @Option(help: "The utility learner: trees (gradient-boosted trees) or linear (regularised logistic/ridge regression).")
        var learner: String = "trees"

        @Option(help: ArgumentHelp("Take column kinds from this model instead of inferring them.", valueName: "model.mimeo"))
        var model: String?

        @OptionGroup var inputOptions: InputOptions

        @Option(help: "Seed of the samples and learners.")
        var seed: UInt64 = 0

        @Option(help: ArgumentHelp("Write the full report as JSON here.", valueName: "report.json"))
        var json: String?

        @Option(help: ArgumentHelp("Write a self-contained HTML report (scores and charts) here.", valueName: "report.html"))
        var html: String?

        func validate() throws {
            if model != nil && inputOptions.schema != nil {
                throw ValidationError("give either --model or --schema, not both")
            }
            if target != nil && holdout == nil { throw ValidationError("--target needs --holdout (utility is tested on real holdout rows)") }
            if (quasiIdentifiers == nil) != (sensitive == nil) {
                throw ValidationError("--quasi-identifiers and --sensitive go together")
            }
            if quasiIdentifiers != nil && holdout == nil { throw ValidationError("attribute inference needs --holdout") }
            if let quasiIdentifiers, let sensitive {
                if quasiIdentifierList.isEmpty { throw ValidationError("--quasi-identifiers names no column") }
                if quasiIdentifierList.contains("") {
                    throw ValidationError("--quasi-identifiers has an empty column name in '\(quasiIdentifiers)'")
                }
                if sensitive.isEmpty { throw ValidationError("--sensitive names no column") }
                if quasiIdentifierList.contains(sensitive) {
                    throw ValidationError("--sensitive '\(sensitive)' is also in --quasi-identifiers: the attacker would know it already")
                }
            }
            guard ["trees", "linear"].contains(learner) else { throw ValidationError("--learner is trees or linear, not '\(learner)'") }
            if synthetic == "-" { throw ValidationError("--synthetic must be a file (it is read more than once)") }
        }

        func run() throws {
            try OutputSafety.check(inputs: [("--real", real), ("--synthetic", synthetic), ("--holdout", holdout), ("--model", model),
                                            ("--schema", inputOptions.schema)], outputs: [("--json", json), ("--html", html)])
            let started = Date()
            var request = EvaluationRequest(real: real, synthetic: synthetic, holdout: holdout)
            request.realDelimiter = try inputOptions.delimiterByte(for: real)
            request.syntheticDelimiter = try inputOptions.delimiterByte(for: synthetic)
            if let holdout { request.holdoutDelimiter = try inputOptions.delimiterByte(for: holdout) }
            request.inference = inputOptions.inference
            if let model {
                request.schema = .given(try ModelFile.read(from: model).metadata.encoder.schema)
            } else if let declared = try inputOptions.declaredSchema() {
                request.schema = .declared(declared)
            }
            request.target = target
            request.quasiIdentifiers = quasiIdentifierList
            request.sensitive = sensitive
            request.learner = learner == "linear" ? .linear : .gradientBoostedTrees
            request.seed = seed
            let evaluation: Evaluation
            do {
                evaluation = try EvaluationPipeline.run(request)
            } catch let error as EvaluationError {
                // Options naming unknown columns, or an attack that is none: usage errors.
                switch error {
                case .unknownColumns, .invalidAttack: throw ValidationError(error.description)
                default: throw error
                }
            }
            let report = evaluation.report
            printSummary(report)
            if let json { try ReportOutput.writeJSON(report, to: json) }
            if let html {
                var data = try ReportData(real: evaluation.real, synthetic: evaluation.syntheticSample,
                                          schema: evaluation.schema, fidelity: report.fidelity,
                                          privacy: report.privacy, utility: report.utility,
                                          realName: URL(fileURLWithPath: real).lastPathComponent,
                                          syntheticName: URL(fileURLWithPath: synthetic).lastPathComponent)
                data.findings = report.findings
                try ReportOutput.writeText(HTMLReport.render(data), to: html)
            }
            Terminal.message(String(format: "evaluated in %.1f s", Date().timeIntervalSince(started)))
        }

        private var quasiIdentifierList: [String] {
            quasiIdentifiers.map {
                $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            }.map { $0 == [""] ? [] : $0 } ?? []
        }

        private func printSummary(_ report: EvaluationReport) {
            let fidelity = report.fidelity, structure = report.deepStructure
            let privacy = report.privacy, utility = report.utility
            func score(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "  n/a " }
            func line(_ name: String, _ value: String, _ note: String = "") {
                print("  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(value)  \(note)")
            }
            print("\(synthetic) (\(Terminal.count(fidelity.syntheticRowCount)) rows) against \(real) (\(Terminal.count(fidelity.realRowCount)) rows)")
            print("fidelity")
            line("overall", score(fidelity.overall), Grade(fidelity.overall).rawValue)
            line("column shapes", score(fidelity.columnShapes), Grade(fidelity.columnShapes).rawValue)
            line("column pair trends", score(fidelity.columnPairTrends), Grade(fidelity.columnPairTrends).rawValue)
            line("deep structure", score(structure.score),
                 (structure.score == nil ? structure.note ?? "not measured" : Grade(structure.score).rawValue)
                    + " (\(structure.realRows) vs \(structure.syntheticRows) rows)")
            let worst = fidelity.columns.compactMap { column in column.score.map { (column.column, $0) } }
                .sorted { $0.1 < $1.1 }.prefix(3)
            if !worst.isEmpty {
                line("weakest columns", worst.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: ", "))
            }
            for skipped in fidelity.skippedColumns { line("skipped \(skipped.column)", skipped.reason) }
            for column in report.unparseable.synthetic {
                line("unparseable \(column.column)", Terminal.count(column.count),
                     "synthetic values" + (column.example.map { ", such as '\($0)'" } ?? "") + ": counted as mismatches")
            }
            for column in report.unparseable.real {
                line("unparseable real \(column.column)", Terminal.count(column.count), "real values: left out as missing")
            }
            if let utility {
                print("utility (\(utility.target), \(utility.learner), tested on \(Terminal.count(utility.holdoutRows)) holdout rows)")
                let s = utility.trainOnSynthetic.values, r = utility.trainOnReal.values
                if let auc = s.auc { line("AUC synthetic / real", "\(score(auc)) / \(score(r.auc))") }
                if let accuracy = s.accuracy { line("accuracy synthetic / real", "\(score(accuracy)) / \(score(r.accuracy))") }
                if let r2 = s.r2 { line("R² synthetic / real", "\(score(r2)) / \(score(r.r2))") }
            }
            if let privacy {
                print("privacy (synthetic sample \(Terminal.count(privacy.rowsUsed.synthetic)) rows, holdout \(Terminal.count(privacy.rowsUsed.holdout)))")
                line("exact copies of train rows", score(privacy.exactMatch.syntheticShare), "holdout's natural share \(score(privacy.exactMatch.holdoutShare))")
                line("DCR median synthetic / holdout", "\(score(privacy.distanceToClosestRecord.synthetic.median)) / \(score(privacy.distanceToClosestRecord.holdout.median))")
                line("DCR 5th pct synthetic / holdout", "\(score(privacy.distanceToClosestRecord.synthetic.percentile5)) / \(score(privacy.distanceToClosestRecord.holdout.percentile5))")
                line("DCR share (0.5 = no leak)", score(privacy.dcrShare.share))
                line("NNDR median synthetic / holdout", "\(score(privacy.nearestNeighborDistanceRatio.syntheticMedian)) / \(score(privacy.nearestNeighborDistanceRatio.holdoutMedian))")
                line("membership inference AUC", score(privacy.membershipInference.auc), "0.5 = no leak")
                if let attribute = privacy.attributeInference {
                    line("attribute inference risk", score(attribute.risk), "\(attribute.sensitive) from \(attribute.quasiIdentifiers.joined(separator: ","))")
                }
            }
            print("findings")
            for finding in report.findings { print("  - \(finding)") }
        }
    }
}

