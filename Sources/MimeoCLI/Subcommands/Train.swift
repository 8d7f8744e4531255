import ArgumentParser
import Foundation
import MimeoData
import MimeoTabular

extension MimeoCommand {
    /// `mimeo train`: learn a model of a CSV table.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn a generative model of a CSV table and save it as one .mimeo file.",
            discussion: """
                The table is read whole, its column types inferred (or taken from --schema), every column \
                turned into tokens, and an any-order autoregressive network trained with a held-out \
                validation split and early stopping. Defaults (batch size, time budget) follow the table's size.
                Example:  mimeo train data.csv -o model.mimeo --max-time 120

                Federated (--cluster tcp://coord:5570 --federated, no input file): every site is a worker started \
                with its own table (mimeo worker --data site.csv --name site-a --site-key shared.key); the \
                coordinator agrees one encoding from keyed-hash counts, then runs --rounds rounds of local \
                training and FedAvg (or FedProx). No row leaves a site. Progress shows each round's losses; the \
                final model is downloaded to -o. Example:
                  mimeo train --cluster tcp://coord:5570 --federated -o m.mimeo --rounds 20
                """)

        @Argument(help: "The table to learn from: CSV (.csv, .csv.gz), Parquet (.parquet, typed by its logical types), or a folder of parts; none with --federated.")
        var input: String?

        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the model.", valueName: "model.mimeo"))
        var output: String

        @OptionGroup var inputOptions: InputOptions

        // Numeric options parse `.unconditional` so that a negative value (`--max-time -1`) reaches
        // validate() instead of failing as "missing value".
        @Option(parsing: .unconditional, help: "Stop after this many passes over the data.")
        var maxEpochs: Int = 100

        @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many seconds of training, keeping the best weights (default: from the table's size).", valueName: "seconds"))
        var maxTime: Double?

        @Option(parsing: .unconditional, help: "Rows per optimisation step (default: from the table's size).")
        var batchSize: Int?

        @Option(parsing: .unconditional, help: "Learning rate of AdamW.")
        var learningRate: Float = 3e-3

        @Option(parsing: .unconditional, help: "A value seen fewer than this many times never appears verbatim in output.")
        var rareThreshold: Int = 5

        @Option(parsing: .unconditional, help: "Random seed: the same data, seed and thread count give the same model.")
        var seed: UInt64 = 0

        @Option(parsing: .unconditional, help: "Threads used for training (default: all cores).")
        var threads: Int?

        @Option(parsing: .unconditional, help: "Wide number columns: split each range into at most this many finer parts (1 = off).")
        var numericSubRanges: Int = 10

        @Option(parsing: .unconditional, help: ArgumentHelp("Width of the context each column's head reads: 'auto' (the full network up to about 40 columns, a context of \(ModelArchitecture.defaultContextWidth) above), 'full', or a width such as 64. Smaller widths need less memory on wide tables.", valueName: "auto|full|n"))
        var contextWidth: String = "auto"

        @Option(parsing: .unconditional, help: ArgumentHelp("Refuse to train when the estimated memory exceeds this, e.g. 2G or 512M (default: the machine's memory).", valueName: "size"))
        var maxMemory: String?

        @Flag(help: "Print nothing but errors.")
        var quiet = false

        @OptionGroup var federatedOptions: FederatedTrainOptions

        /// The largest `--learning-rate` accepted: AdamW moves every weight by up to this much per step,
        /// and far smaller rates already diverge (the default is 0.003).
        static let maxLearningRate: Float = 1

        func validate() throws {
            if federatedOptions.federated {
                guard input == nil else {
                    throw ValidationError("--federated trains on the sites' own tables: give no input file")
                }
            } else {
                guard input != nil else { throw ValidationError("give the table to learn from (or --cluster … --federated)") }
                if federatedOptions.cluster != nil {
                    throw ValidationError("--cluster trains federated only (add --federated); data-parallel training of one file is not built yet")
                }
            }
            guard maxEpochs >= 1 else { throw ValidationError("--max-epochs must be at least 1") }
            if let maxTime, !(maxTime > 0 && maxTime.isFinite) {
                throw ValidationError("--max-time must be a positive number of seconds")
            }
            if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
            guard learningRate > 0, learningRate <= Self.maxLearningRate else {
                throw ValidationError("--learning-rate must be a number above 0 and at most \(Self.maxLearningRate) "
                                      + "(the default is 0.003; got \(learningRate))")
            }
            _ = try contextWidthChoice()
            if maxMemory != nil { _ = try maxMemoryBytes() }
            guard numericSubRanges >= 1 else { throw ValidationError("--numeric-sub-ranges must be at least 1") }
            guard rareThreshold >= 1 else { throw ValidationError("--rare-threshold must be at least 1") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        /// `--context-width` as a choice.
        func contextWidthChoice() throws -> ContextWidthChoice {
            switch contextWidth.lowercased() {
            case "auto": return .automatic
            case "full": return .full
            default:
                // The widest a model file may hold.
                let limit = ModelFile.Limits.maximumWidth
                guard let width = Int(contextWidth), width >= 1, width <= limit else {
                    throw ValidationError("--context-width must be 'auto', 'full' or a whole number from 1 to \(limit) "
                                          + "(got '\(contextWidth)')")
                }
                return .projected(width)
            }
        }

        /// `--max-memory` in bytes: a number with an optional K, M, G or T suffix (powers of 1024).
        func maxMemoryBytes() throws -> Int? {
            guard let maxMemory else { return nil }
            let text = maxMemory.trimmingCharacters(in: .whitespaces).uppercased()
            let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
            var digits = Substring(text), scale = 1.0
            if text.hasSuffix("IB") { digits = digits.dropLast(2) } else if text.hasSuffix("B") { digits = digits.dropLast() }
            if let last = digits.last, let unit = units[last] { scale = unit; digits = digits.dropLast() }
            guard let value = Double(digits), value > 0, value.isFinite, value * scale < 1e18 else {
                throw ValidationError("--max-memory must be a size such as 2G, 512M or 1500000000 (got '\(maxMemory)')")
            }
            return Int(value * scale)
        }

        func run() throws {
            if federatedOptions.federated { return try runFederated() }
            guard let input else { throw ValidationError("give the table to learn from") }
            try OutputSafety.check(inputs: [("<input>", input), ("--schema", inputOptions.schema)],
                                   outputs: [("--output", output)])
            let started = Date()
            let (table, schema) = try TableInput.load(path: input, options: inputOptions, quiet: quiet)
            if !quiet {
                TableInput.reportInvalidValues(schema)
                Terminal.message("read \(Terminal.count(table.rowCount)) rows x \(schema.columns.count) columns from \(input) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            }
            guard table.rowCount > 0 else {
                throw DataError(file: input, message: "the table has a header but no data rows; expected at least one row to learn from")
            }
            // Open the output before training, so a bad path fails now rather than after training.
            let out = try TemporaryFiles.output(path: output)
            var training = TrainingOptions()
            training.maxEpochs = maxEpochs
            training.maxSeconds = maxTime
            training.batchSize = batchSize
            training.learningRate = learningRate
            training.seed = seed
            training.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
            let encoding = EncodingOptions(rareThreshold: rareThreshold, numericSubRanges: numericSubRanges)
            let machine = TrainingEstimate.machineMemoryLimit()
            let limit = try maxMemoryBytes().map { ($0, "--max-memory") } ?? (machine.bytes, machine.source)
            let trained = try TrainingPipeline.train(
                table, schema: schema, sourceName: URL(fileURLWithPath: input).lastPathComponent,
                encodingOptions: encoding, trainingOptions: training, contextWidth: try contextWidthChoice(),
                plan: { estimate, architecture in
                    if !quiet {
                        let shape = architecture.contextWidth.map { "context width \($0)" } ?? "full network"
                        Terminal.message(String(
                            format: "model: %@ parameters (%d sub-columns, %@); estimated memory %@ of %@, "
                                + "roughly %@ per epoch on %d threads (time budget %@)",
                            Terminal.count(estimate.parameters), architecture.subColumnCount, shape,
                            TrainingEstimate.format(bytes: estimate.totalBytes), TrainingEstimate.format(bytes: limit.0),
                            Terminal.duration(estimate.secondsPerEpoch), estimate.threads,
                            Terminal.duration(training.resolvedMaxSeconds(rowCount: table.rowCount,
                                                                          columnCount: schema.columns.count))))
                    }
                    try estimate.check(limit: limit.0, limitSource: limit.1, architecture: architecture)
                }
            ) { state in
                guard !quiet else { return }
                let validation = state.validationLoss.map { String(format: "%.4f", $0) } ?? "-"
                Terminal.progress(String(
                    format: "epoch %5.1f/%d %@ loss %.4f  val %@  %@ rows/s  %@ elapsed  ETA %@",
                    state.epoch, state.maxEpochs, Terminal.bar(state.epoch / Double(state.maxEpochs)),
                    state.trainLoss, validation, Terminal.count(Int(state.rowsPerSecond)),
                    Terminal.duration(state.elapsed), Terminal.duration(state.remaining)))
            }
            try out.write(try ModelFile.encode(trained))
            try out.commit()
            if !quiet {
                let summary = trained.metadata.training
                Terminal.progress(String(format: "trained %.1f epochs in %.1f s (best epoch %d, validation loss %.4f): %@",
                                         summary.epochs, summary.seconds, summary.bestEpoch, summary.validationLoss,
                                         summary.stopReason), final: true)
                Terminal.message("wrote \(output) (\(Terminal.count(trained.model.parameters.count)) parameters)")
            }
        }
    }
}
