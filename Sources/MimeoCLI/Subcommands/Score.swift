import ArgumentParser
import Foundation
import MimeoData
import MimeoEval
import MimeoParquet
import MimeoTabular

extension MimeoCommand {
    /// `mimeo score`: each row's log-likelihood under a model.
    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score a table's rows by their log-likelihood under a model.",
            discussion: """
                The log-likelihood of a row is the sum, over the model's columns in schema order, of the natural log \
                of the probability the model gives the row's token given the tokens before it (numbers and dates by \
                their range token, rare or unseen categories as the rare-values token). Low values are rows the model \
                finds unusual: outliers in real data, or what `generate --edge-cases` aims for. Prints the \
                distribution (mean and quantiles); -o writes one log-likelihood per row.
                Examples:
                  mimeo score model.mimeo holdout.csv
                  mimeo score model.mimeo edges.csv --json
                  mimeo score model.mimeo data.csv -o scores.csv
                """)

        @Argument(help: "The model file written by `mimeo train`.")
        var model: String

        @Argument(help: "The table to score (CSV, .csv.gz, Parquet, or a folder of parts) with the model's columns.")
        var data: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Write one log-likelihood per row (a CSV with the column log_likelihood).", valueName: "scores.csv"))
        var output: String?

        @Flag(help: "Print the distribution as JSON.")
        var json = false

        @Option(help: "Field delimiter of the input: one character or 'tab' (default: detected).")
        var delimiter: String?

        func validate() throws {
            if let delimiter { _ = try parseDelimiter(delimiter) }
        }

        func run() throws {
            try OutputSafety.check(inputs: [("<model>", model), ("<data>", data)], outputs: [("--output", output)])
            let trained = try ModelFile.read(from: model)
            let encoder = trained.metadata.encoder
            let loaded = try TableFileLoader(delimiter: try delimiter.map(parseDelimiter)).load(path: data)
            let names = encoder.schema.columns.map(\.name)
            let missing = names.filter { loaded.columnIndex(named: $0) == nil }
            guard missing.isEmpty else {
                Terminal.message("Error: \(data) lacks the model's columns: \(missing.joined(separator: ", "))")
                throw ExitCode.validationFailure
            }
            let table = Table(columnNames: names, columns: names.map { loaded.columns[loaded.columnIndex(named: $0)!] })
            let sampler = try Sampler(model: trained.model, encoder: encoder, options: SamplingOptions(rareValues: .token))
            let scores = sampler.logLikelihoods(of: table)
            if let output {
                let out = try TemporaryFiles.output(path: output)
                var bytes = Array("log_likelihood\n".utf8)
                for score in scores { bytes += Array("\(score)\n".utf8) }
                try out.write(bytes)
                try out.commit()
            }
            let summary = LogLikelihoodSummary(scores)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                FileHandle.standardOutput.write(try encoder.encode(summary) + Data("\n".utf8))
            } else {
                print("rows:  \(Terminal.count(summary.rows))")
                print(String(format: "mean:  %.3f nats", summary.mean))
                print("quantiles: " + summary.quantiles.map { String(format: "p%g %.3f", $0.probability * 100, $0.value) }
                    .joined(separator: "  "))
            }
        }
    }
}

/// The distribution of per-row log-likelihoods: count, mean and quantiles (linear interpolation).
struct LogLikelihoodSummary: Encodable {
    struct Quantile: Encodable {
        var probability: Double
        var value: Double
    }

    var rows: Int
    var mean: Double
    var quantiles: [Quantile]

    init(_ scores: [Float]) {
        let sorted = scores.map(Double.init).sorted()
        rows = sorted.count
        mean = sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count)
        quantiles = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 1].map { p in
            Quantile(probability: p, value: DistanceToClosestRecord.quantile(sorted, p) ?? .nan)
        }
    }
}
