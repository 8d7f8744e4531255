import ArgumentParser
import Foundation
import MimeoData
import MimeoEval
import MimeoTabular

extension MimeoCommand {
    /// `mimeo evaluate`: score a synthetic table against the real one it imitates.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score a synthetic table against the real table: fidelity as SDMetrics' Quality Report.",
            discussion: """
                Fidelity: Column Shapes (KSComplement for numbers and dates, TVComplement for \
                categories), Column Pair Trends (CorrelationSimilarity, ContingencySimilarity) and \
                their mean, computed as SDMetrics 0.32 does. The synthetic file is read in chunks, so \
                its size does not bound memory. Grades: Excellent >= 0.95, Good >= 0.85, \
                Moderate >= 0.70, Poor below (docs/metrics.md).
                Example:
                  mimeo evaluate --real train.csv --synthetic syn.csv --json report.json
                """)

        @Option(help: ArgumentHelp("The real (training) table.", valueName: "train.csv"))
        var real: String

        @Option(help: ArgumentHelp("The synthetic table to score.", valueName: "synthetic.csv"))
        var synthetic: String

        @Option(help: ArgumentHelp("Take column kinds from this model instead of inferring them.", valueName: "model.mimeo"))
        var model: String?

        @OptionGroup var inputOptions: InputOptions

        @Option(help: ArgumentHelp("Write the full report as JSON here.", valueName: "report.json"))
        var json: String?

        func validate() throws {
            if model != nil && inputOptions.schema != nil {
                throw ValidationError("give either --model or --schema, not both")
            }
        }

        func run() throws {
            let started = Date()
            let (realTable, inferred) = try TableInput.load(path: real, options: inputOptions)
            var schema = inferred
            if let model { schema = try ModelFile.read(from: model).metadata.encoder.schema }
            let evaluator = try FidelityEvaluator(real: realTable, schema: schema)
            let summary = try evaluator.summarize(csvAt: synthetic, missingValues: schema.missingValues)
            let report = evaluator.report(for: summary)
            print("fidelity of \(synthetic) (\(Terminal.count(report.syntheticRowCount)) rows) against \(real) (\(Terminal.count(report.realRowCount)) rows)")
            for (name, value) in [("overall", report.overall), ("column shapes", report.columnShapes),
                                  ("column pair trends", report.columnPairTrends)] {
                print("  \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(value.map { String(format: "%.4f", $0) } ?? "  n/a ")  \(Grade(value).rawValue)")
            }
            let worst = report.columns.compactMap { column in column.score.map { (column.column, $0) } }
                .sorted { $0.1 < $1.1 }.prefix(3)
            if !worst.isEmpty {
                print("  weakest columns:     " + worst.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: ", "))
            }
            for skipped in report.skippedColumns { print("  skipped \(skipped.column): \(skipped.reason)") }
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                let out = try TemporaryFiles.output(path: json)
                try out.write([UInt8](try encoder.encode(EvaluationFile(fidelity: report))))
                try out.commit()
                print("wrote \(json)")
            }
            Terminal.message(String(format: "evaluated in %.1f s", Date().timeIntervalSince(started)))
        }
    }
}

/// The JSON file `mimeo evaluate --json` writes.
struct EvaluationFile: Codable {
    var fidelity: FidelityReport
}

/// Words for scores in 0...1 (documented in docs/metrics.md).
enum Grade: String {
    case excellent = "Excellent", good = "Good", moderate = "Moderate", poor = "Poor", none = ""

    init(_ score: Double?) {
        guard let score else { self = .none; return }
        switch score {
        case 0.95...: self = .excellent
        case 0.85..<0.95: self = .good
        case 0.70..<0.85: self = .moderate
        default: self = .poor
        }
    }
}
