import ArgumentParser
import Foundation
import MimeoData
import MimeoTabular

extension MimeoCommand {
    /// `mimeo generate`: draw synthetic rows from a model.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate synthetic rows from a trained model into a CSV file.",
            discussion: """
                Rows stream to the output in batches, so any -n runs in constant memory. The same model, \
                -n and --seed give byte-identical output whatever --threads is. --where fixes columns \
                (repeatable); the model samples the other columns given them (no rejection sampling).
                Examples:
                  mimeo generate model.mimeo -n 1000000 -o synthetic.csv --seed 7
                  mimeo generate model.mimeo -n 5000 --where income='>50K' -o rich.csv
                  mimeo generate model.mimeo -n 10 --where sex=Female --where age=40
                """)

        @Argument(help: "The model file written by `mimeo train`.")
        var model: String

        // Numeric options parse `.unconditional` so that a negative value (`-n -5`) reaches validate()
        // instead of failing as "missing value".
        @Option(name: .short, parsing: .unconditional, help: "How many rows to generate (0 to 10^12; 0 writes only the header).")
        var n: Int

        @Option(name: .shortAndLong, help: ArgumentHelp("Output CSV ('-' for standard output).", valueName: "synthetic.csv"))
        var output: String = "-"

        @Option(parsing: .unconditional, help: "Random seed; the same seed gives the same rows.")
        var seed: UInt64 = 0

        @Option(name: .customLong("where"), help: ArgumentHelp("Fix a column: column=value (repeatable). An empty value fixes the column to missing.", valueName: "column=value"))
        var conditions: [String] = []

        @Option(parsing: .unconditional, help: "Threads (default: all cores).")
        var threads: Int?

        @Option(help: "Field delimiter of the output (one character, or 'tab').")
        var delimiter: String = ","

        @Flag(help: "Print nothing but errors.")
        var quiet = false

        func validate() throws {
            guard n >= 0 else { throw ValidationError("-n must not be negative") }
            guard n <= GenerationRun.maximumRowCount else {
                throw ValidationError("-n must be at most \(Terminal.count(GenerationRun.maximumRowCount)), got \(Terminal.count(n))")
            }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            do {
                _ = try Condition.parse(arguments: conditions)
            } catch {
                throw ValidationError(error.message)
            }
            _ = try parseDelimiter(delimiter)
        }

        func run() throws {
            try OutputSafety.check(inputs: [("<model>", model)], outputs: [("--output", output)])
            let started = Date()
            let trained = try ModelFile.read(from: model)
            let sampler: Sampler
            do {
                let parsed = try Condition.parse(arguments: conditions)
                sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder, conditions: parsed,
                                      delimiter: try parseDelimiter(delimiter))
            } catch let error as ConditionError {
                // A usage error found only once the model is read: exit 64 like the parser's errors, but
                // without the usage line ArgumentParser would print for the root command here.
                Terminal.message("Error: \(error.message)")
                throw ExitCode.validationFailure
            }
            let out = try TemporaryFiles.output(path: output)
            let run = GenerationRun(sampler: sampler, rowCount: n, seed: seed, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let showProgress = !quiet && output != "-"
            try run.run(write: { try out.write($0) }, progress: { done in
                guard showProgress else { return }
                let elapsed = Date().timeIntervalSince(started)
                let rate = Double(done) / max(elapsed, 1e-9)
                Terminal.progress("generating \(Terminal.bar(Double(done) / Double(max(n, 1)))) \(Terminal.count(done))/\(Terminal.count(n)) rows  \(Terminal.count(Int(rate))) rows/s  ETA \(Terminal.duration(Double(n - done) / max(rate, 1)))")
            })
            try out.commit()
            if showProgress {
                let elapsed = Date().timeIntervalSince(started)
                Terminal.progress("wrote \(Terminal.count(n)) rows to \(output) in \(String(format: "%.2f", elapsed)) s (\(Terminal.count(Int(Double(n) / max(elapsed, 1e-9)))) rows/s)", final: true)
            }
        }
    }
}
