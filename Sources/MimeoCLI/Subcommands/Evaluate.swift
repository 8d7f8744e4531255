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

        @Option(help: ArgumentHelp("The real (training) table.", valueName: "train.csv"))
        var real: String

        @Option(help: ArgumentHelp("The synthetic table to score.", valueName: "synthetic.csv"))
        var synthetic: String

        @Option(help: ArgumentHelp("Real rows not used for training: enables privacy and utility.", valueName: "holdout.csv"))
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

        static let sampleRows = 100_000

        func validate() throws {
            if model != nil && inputOptions.schema != nil {
                throw ValidationError("give either --model or --schema, not both")
            }
            if target != nil && holdout == nil { throw ValidationError("--target needs --holdout (utility is tested on real holdout rows)") }
            if (quasiIdentifiers == nil) != (sensitive == nil) {
                throw ValidationError("--quasi-identifiers and --sensitive go together")
            }
            if quasiIdentifiers != nil && holdout == nil { throw ValidationError("attribute inference needs --holdout") }
            guard ["trees", "linear"].contains(learner) else { throw ValidationError("--learner is trees or linear, not '\(learner)'") }
            if synthetic == "-" { throw ValidationError("--synthetic must be a file (it is read more than once)") }
        }

        func run() throws {
            try OutputSafety.check(inputs: [("--real", real), ("--synthetic", synthetic), ("--holdout", holdout), ("--model", model),
                                            ("--schema", inputOptions.schema)], outputs: [("--json", json), ("--html", html)])
            let started = Date()
            let (realTable, inferred) = try TableInput.load(path: real, options: inputOptions)
            var schema = inferred
            if let model { schema = try ModelFile.read(from: model).metadata.encoder.schema }
            let delimiter = try inputOptions.delimiterByte()
            for name in [target, sensitive].compactMap({ $0 }) + quasiIdentifierList where schema.column(named: name) == nil {
                throw ValidationError("unknown column '\(name)'; columns are: \(schema.columns.map(\.name).joined(separator: ", "))")
            }
            // An empty table has no scores to give (they would print as n/a, and privacy as "no leak").
            if realTable.rowCount == 0 { throw DataError(file: real, message: Self.noRows) }
            let holdoutTable = try holdout.map { path in
                let table = try TableLoader(delimiter: delimiter, missingValues: schema.missingValues).load(path: path)
                if table.rowCount == 0 { throw DataError(file: path, message: Self.noRows) }
                return table
            }

            // Fidelity: streamed over the whole synthetic file.
            let fidelityEvaluator = try FidelityEvaluator(real: realTable, schema: schema)
            let fidelity = fidelityEvaluator.report(for: try fidelityEvaluator.summarize(
                csvAt: synthetic, delimiter: delimiter, missingValues: schema.missingValues))
            if fidelity.syntheticRowCount == 0 { throw DataError(file: synthetic, message: Self.noRows) }
            // A seeded-stride sample for structure, utility and charts.
            var sample = RowSample(rowCount: fidelity.syntheticRowCount, limit: Self.sampleRows)
            try TableLoader(delimiter: delimiter, missingValues: schema.missingValues)
                .forEachChunk(path: synthetic) { chunk, _ in sample.add(chunk) }
            let structure = try DeepStructure.compute(real: realTable, synthetic: sample.table, schema: schema, seed: seed)

            var privacy: PrivacyReport?
            var utility: UtilityReport?
            if let holdoutTable {
                var options = PrivacyOptions()
                options.seed = seed
                options.target = target
                options.quasiIdentifiers = quasiIdentifierList
                options.sensitive = sensitive
                let privacyEvaluator = try PrivacyEvaluator(train: realTable, holdout: holdoutTable, schema: schema, options: options)
                privacy = try privacyEvaluator.report(for: try privacyEvaluator.summarize(
                    csvAt: synthetic, delimiter: delimiter, missingValues: schema.missingValues))
                if let target {
                    var utilityOptions = UtilityOptions(target: target)
                    utilityOptions.learner = learner == "linear" ? .linear : .gradientBoostedTrees
                    utilityOptions.seed = seed
                    utility = try UtilityEvaluator(train: realTable, holdout: holdoutTable, schema: schema,
                                                   options: utilityOptions).evaluate(sample.table)
                }
            }
            let verdict = Verdict(fidelity: fidelity, structure: structure, privacy: privacy, utility: utility)
            printSummary(fidelity: fidelity, structure: structure, privacy: privacy, utility: utility,
                         verdict: verdict, sampleRows: sample.table.rowCount)
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                let file = EvaluationFile(fidelity: fidelity, deepStructure: structure, privacy: privacy, utility: utility,
                                          findings: verdict.findings, syntheticSampleRows: sample.table.rowCount)
                let out = try TemporaryFiles.output(path: json)
                try out.write([UInt8](try encoder.encode(file)))
                try out.commit()
                print("wrote \(json)")
            }
            if let html {
                var data = try ReportData(real: realTable, synthetic: sample.table, schema: schema, fidelity: fidelity,
                                          privacy: privacy, utility: utility,
                                          realName: URL(fileURLWithPath: real).lastPathComponent,
                                          syntheticName: URL(fileURLWithPath: synthetic).lastPathComponent)
                data.findings = verdict.findings
                let out = try TemporaryFiles.output(path: html)
                try out.write(Array(HTMLReport.render(data).utf8))
                try out.commit()
                print("wrote \(html)")
            }
            Terminal.message(String(format: "evaluated in %.1f s", Date().timeIntervalSince(started)))
        }

        static let noRows = "the table has a header but no data rows"

        private var quasiIdentifierList: [String] {
            quasiIdentifiers.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        }

        private func printSummary(fidelity: FidelityReport, structure: DeepStructureReport, privacy: PrivacyReport?,
                                  utility: UtilityReport?, verdict: Verdict, sampleRows: Int) {
            func score(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "  n/a " }
            func line(_ name: String, _ value: String, _ note: String = "") {
                print("  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(value)  \(note)")
            }
            print("\(synthetic) (\(Terminal.count(fidelity.syntheticRowCount)) rows) against \(real) (\(Terminal.count(fidelity.realRowCount)) rows)")
            print("fidelity")
            line("overall", score(fidelity.overall), MimeoReport.Grade(fidelity.overall).rawValue)
            line("column shapes", score(fidelity.columnShapes), MimeoReport.Grade(fidelity.columnShapes).rawValue)
            line("column pair trends", score(fidelity.columnPairTrends), MimeoReport.Grade(fidelity.columnPairTrends).rawValue)
            line("deep structure", score(structure.score), MimeoReport.Grade(structure.score).rawValue + " (\(structure.realRows) vs \(structure.syntheticRows) rows)")
            let worst = fidelity.columns.compactMap { column in column.score.map { (column.column, $0) } }
                .sorted { $0.1 < $1.1 }.prefix(3)
            if !worst.isEmpty {
                line("weakest columns", worst.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: ", "))
            }
            for skipped in fidelity.skippedColumns { line("skipped \(skipped.column)", skipped.reason) }
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
            for finding in verdict.findings { print("  - \(finding)") }
        }
    }
}

/// The JSON file `mimeo evaluate --json` writes.
struct EvaluationFile: Codable {
    var fidelity: FidelityReport
    var deepStructure: DeepStructureReport
    var privacy: PrivacyReport?
    var utility: UtilityReport?
    /// The summary in words, as printed.
    var findings: [String]
    /// Synthetic rows used for deep structure, utility and charts.
    var syntheticSampleRows: Int
}

/// Plain-language findings from the scores: what is good, and which leaks or weaknesses to act on.
struct Verdict {
    var findings: [String] = []

    /// Thresholds: DCR share above 0.55 or membership AUC above 0.55 is a leak signal (0.5 = none); exact
    /// copies above twice the holdout's natural share plus 0.5 percentage points is a leak.
    init(fidelity: FidelityReport, structure: DeepStructureReport, privacy: PrivacyReport?, utility: UtilityReport?) {
        let grade = MimeoReport.Grade(fidelity.overall)
        findings.append("Fidelity is \(grade.rawValue.lowercased()) (\(fidelity.overall.map { String(format: "%.3f", $0) } ?? "n/a")).")
        if let utility, let gap = utility.gap.auc ?? utility.gap.r2 {
            let metric = utility.gap.auc != nil ? "AUC" : "R²"
            findings.append(String(format: "A model trained on the synthetic rows scores %.3f %@ %@ one trained on the real rows.",
                                   abs(gap), metric, gap >= 0 ? "below" : "above"))
        }
        guard let privacy else {
            findings.append("Privacy not assessed: give --holdout to compare against real rows the generator never saw.")
            return
        }
        var leaks: [String] = []
        if let share = privacy.dcrShare.share, share > 0.55 {
            leaks.append(String(format: "%.0f%% of synthetic rows lie closer to training rows than to unseen real rows (0.5 expected)", share * 100))
        }
        if let auc = privacy.membershipInference.auc, auc > 0.55 {
            leaks.append(String(format: "a distance attack tells training rows from unseen rows with AUC %.2f", auc))
        }
        if let copies = privacy.exactMatch.syntheticShare, copies > 2 * (privacy.exactMatch.holdoutShare ?? 0) + 0.005 {
            leaks.append(String(format: "%.1f%% of synthetic rows are exact copies of training rows (unseen real rows: %.1f%%)",
                                copies * 100, (privacy.exactMatch.holdoutShare ?? 0) * 100))
        }
        if leaks.isEmpty {
            findings.append("No leak detected: synthetic rows are no closer to the training rows than unseen real rows are.")
        } else {
            findings.append("PRIVACY RISK: " + leaks.joined(separator: "; ") + ". The synthetic table reproduces its training data; do not share it.")
        }
        if let attribute = privacy.attributeInference, let risk = attribute.risk, risk > 0.1 {
            findings.append(String(format: "Attribute inference: knowing %@ lets an attacker infer %@ of training rows better than of unseen rows (risk %.2f).",
                                   attribute.quasiIdentifiers.joined(separator: ", "), attribute.sensitive, risk))
        }
    }
}
