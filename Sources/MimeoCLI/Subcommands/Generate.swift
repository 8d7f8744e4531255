import ArgumentParser
import Foundation
import MimeoData
import MimeoGeneration
import MimeoParquet
import MimeoTabular

extension RareValuePolicy: ExpressibleByArgument {}

extension MimeoCommand {
    /// `mimeo generate`: draw synthetic rows from a model.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate synthetic rows from a trained model into a CSV or Parquet file.",
            discussion: """
                Rows stream to the output in batches, so any -n runs in constant memory. The same model, \
                -n and --seed give byte-identical output whatever --threads is. --where fixes columns \
                (repeatable); the model samples the other columns given them (no rejection sampling).
                Examples:
                  mimeo generate model.mimeo -n 1000000 -o synthetic.csv --seed 7
                  mimeo generate model.mimeo -n 5000 --where income='>50K' -o rich.csv
                  mimeo generate model.mimeo -n 10 --where sex=Female --where age=40
                  mimeo generate model.mimeo -n 10000 --temperature 1.5 -o wide.csv
                  mimeo generate model.mimeo -n 100000 --rebalance income='>50K':0.5 -o b.csv
                  mimeo generate model.mimeo -n 10000 --edge-cases -o edges.csv
                  mimeo generate model.mimeo -n 100000000 -o synthetic.parquet --seed 7

                Parquet output (docs/parquet.md) holds the same rows, typed from the model's column kinds, in \
                row groups of about 128 MB compressed with --compression (zstd by default).

                On a cluster, -o names a folder: workers write its parts part-00000.csv, part-00001.csv, ... \
                (each a complete CSV with the header line; without their headers, concatenated in name order, \
                they are byte for byte the one-process output for the same model, -n and --seed) and the \
                coordinator writes _manifest.json beside them (rows, bytes and SHA-256 of every part). \
                With --real, it also writes _fidelity.json: the fidelity of all parts against that table, \
                merged from the workers' summaries without reading the parts.
                  mimeo generate model.mimeo -n 50000000 --workers 2 -o out/ --seed 7
                  mimeo generate model.mimeo -n 100000 --workers 2 -o out/ --real train.csv
                  mimeo generate model.mimeo -n 10000000 --cluster tcp://coord:5570 -o /out/a
                With --cluster the output folder is a path as the workers see it (a shared volume). Ctrl-C \
                cancels the job.
                """)

        @Argument(help: "The model file written by `mimeo train`.")
        var model: String

        // Numeric options parse `.unconditional` so that a negative value (`-n -5`) reaches validate()
        // instead of failing as "missing value".
        @Option(name: .short, parsing: .unconditional, help: "How many rows to generate (0 to 10^12; 0 writes only the header).")
        var n: Int

        @Option(name: .shortAndLong, help: ArgumentHelp("Output file: CSV, or Parquet for a .parquet name or --format parquet ('-' for standard output).", valueName: "synthetic.csv"))
        var output: String = "-"

        @Option(parsing: .unconditional, help: "Random seed; the same seed gives the same rows.")
        var seed: UInt64 = 0

        @Option(name: .customLong("where"), help: ArgumentHelp("Fix a column: column=value (repeatable). An empty value fixes the column to missing.", valueName: "column=value"))
        var conditions: [String] = []

        @Option(parsing: .unconditional, help: "Threads (default: all cores).")
        var threads: Int?

        @Option(help: ArgumentHelp("What stands in for rare values (categories seen fewer than the model's rare threshold, which never appear verbatim): 'sample' draws the column from the model's other values, 'token' writes _RARE_, 'null' leaves the field empty. `mimeo info` lists the columns that have rare values.", valueName: "sample|token|null"))
        var rareValues: RareValuePolicy = .sample

        @Option(name: .customLong("rebalance"), help: ArgumentHelp("Set the share of a value of one categorical column: column=value:share (repeatable for several values of that column; shares sum to at most 1). The column is drawn first with these shares, the other values share the rest in the model's proportions, and the other columns are drawn given it.", valueName: "column=value:share"))
        var rebalance: [String] = []

        @Flag(help: ArgumentHelp("Generate edge cases: each row is the least likely (under the model) of --edge-case-pool candidate rows, so rows come from the model's low-density regions while every value is still one the model produces (rare values stay protected). `mimeo score` shows the log-likelihoods."))
        var edgeCases = false

        @Option(parsing: .unconditional, help: ArgumentHelp("With --edge-cases: candidates per row (2 to 1000); more reaches further into the tails and costs as many times the generation time.", valueName: "k"))
        var edgeCasePool: Int = SamplingOptions.defaultEdgeCasePool

        @Option(parsing: .unconditional, help: ArgumentHelp("Divide every column's logits by T: 1 samples the model as trained, above 1 flattens its distributions (more unusual rows and combinations), below 1 sharpens them (0.05 to 20).", valueName: "T"))
        var temperature: Float = 1

        @Option(help: "Field delimiter of the output (one character, or 'tab').")
        var delimiter: String = ","

        @Option(help: ArgumentHelp("Output format: csv or parquet (default: parquet when -o ends in .parquet, else csv).", valueName: "csv|parquet"))
        var format: String?

        @Option(help: ArgumentHelp("Parquet page compression: zstd, snappy, gzip or none.", valueName: "codec"))
        var compression: String = "zstd"

        @Flag(help: "Print nothing but errors.")
        var quiet = false

        @Option(help: ArgumentHelp("Run on a local cluster of this many worker processes (-o is then a folder).", valueName: "n"))
        var workers: Int?

        @Option(help: ArgumentHelp("Run on the cluster whose coordinator is at this endpoint (-o is then a folder the workers see).", valueName: "tcp://host:port"))
        var cluster: String?

        @Option(help: ArgumentHelp("With --workers: keep the local coordinator's state in this file (default: a temporary folder).", valueName: "file.db"))
        var state: String?

        @Option(help: ArgumentHelp("Batches of 4,096 rows per shard (default: chosen by the coordinator, about 8 shards per worker, at most 256 batches).", valueName: "n"))
        var shardBatches: UInt32?

        @Option(help: "A label for the job in `mimeo status` (default: the model's file name and -n).")
        var label: String?

        @Option(help: ArgumentHelp("With --workers or --cluster: the real table to score the parts against; the coordinator writes _fidelity.json (the fidelity `mimeo evaluate --real` gives the parts) from the workers' summaries.", valueName: "train.csv"))
        var real: String?

        @OptionGroup var clusterKeys: ClusterClientKeyOptions

        func validate() throws {
            guard n >= 0 else { throw ValidationError("-n must not be negative") }
            guard n <= GenerationRun.maximumRowCount else {
                throw ValidationError("-n must be at most \(Terminal.count(GenerationRun.maximumRowCount)), got \(Terminal.count(n))")
            }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            guard (2...SamplingOptions.edgeCasePools.upperBound).contains(edgeCasePool) else {
                throw ValidationError("--edge-case-pool must be 2 to \(SamplingOptions.edgeCasePools.upperBound), got \(edgeCasePool)")
            }
            let range = SamplingOptions.temperatureRange
            guard temperature.isFinite, range.contains(temperature) else {
                throw ValidationError("--temperature must be \(range.lowerBound) to \(range.upperBound), got \(temperature)")
            }
            do {
                _ = try Condition.parse(arguments: conditions)
                _ = try RebalanceTarget.parse(arguments: rebalance)
            } catch {
                throw ValidationError(error.message)
            }
            _ = try parseDelimiter(delimiter)
            _ = try outputFormat()
            guard ParquetWriteOptions.codec(named: compression) != nil else {
                throw ValidationError("--compression must be zstd, snappy, gzip or none, not '\(compression)'")
            }
            if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be 1 to 256") }
            if workers != nil && cluster != nil { throw ValidationError("give --workers or --cluster, not both") }
            if let cluster { try validateTCPEndpoint(cluster, option: "--cluster") }
            if workers != nil || cluster != nil {
                if format?.lowercased() == "parquet" {
                    throw ValidationError("--format parquet is not supported with --workers or --cluster yet: cluster parts are CSV "
                                          + "(write Parquet from one process with -o x.parquet; train and evaluate read a folder of CSV parts)")
                }
                guard output != "-" else {
                    throw ValidationError("a cluster job writes parts into a folder: give one with -o (for example -o out/)")
                }
            } else {
                if state != nil { throw ValidationError("--state goes with --workers") }
                if shardBatches != nil { throw ValidationError("--shard-batches goes with --workers or --cluster") }
                if real != nil { throw ValidationError("--real goes with --workers or --cluster (use `mimeo evaluate` on a file)") }
            }
            if let shardBatches, shardBatches < 1 { throw ValidationError("--shard-batches must be at least 1") }
        }

        /// `--rare-values`, `--temperature`, `--rebalance` and `--edge-cases` (checked by `validate`).
        var samplingOptions: SamplingOptions {
            SamplingOptions(rareValues: rareValues, temperature: temperature,
                            rebalance: (try? RebalanceTarget.parse(arguments: rebalance)) ?? [],
                            edgeCasePool: edgeCases ? edgeCasePool : 1)
        }

        /// `--format`, or the one `-o`'s name implies.
        func outputFormat() throws -> TableFileFormat {
            guard let format else { return TableFileFormat.forOutput(path: output) }
            guard let chosen = TableFileFormat(rawValue: format.lowercased()) else {
                throw ValidationError("--format must be csv or parquet, not '\(format)'")
            }
            return chosen
        }

        func run() throws {
            if workers != nil || cluster != nil {
                return try ClusterGenerate(command: self).run()
            }
            try OutputSafety.check(inputs: [("<model>", model)], outputs: [("--output", output)])
            let started = Date()
            let trained = try ModelFile.read(from: model)
            let sampler: Sampler
            do {
                let parsed = try Condition.parse(arguments: conditions)
                sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder, conditions: parsed,
                                      delimiter: try parseDelimiter(delimiter), options: samplingOptions)
            } catch let error as ConditionError {
                // A usage error found only once the model is read: exit 64 like the parser's errors, but
                // without the usage line ArgumentParser would print for the root command here.
                Terminal.message("Error: \(error.message)")
                throw ExitCode.validationFailure
            }
            let out = try TemporaryFiles.output(path: output)
            let run = GenerationRun(sampler: sampler, rowCount: n, seed: seed, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let showProgress = !quiet && output != "-"
            let progress = { (done: Int) in
                guard showProgress else { return }
                let elapsed = Date().timeIntervalSince(started)
                let rate = Double(done) / max(elapsed, 1e-9)
                Terminal.progress("generating \(Terminal.bar(Double(done) / Double(max(n, 1)))) \(Terminal.count(done))/\(Terminal.count(n)) rows  \(Terminal.count(Int(rate))) rows/s  ETA \(Terminal.duration(Double(n - done) / max(rate, 1)))")
            }
            if try outputFormat() == .parquet {
                let options = ParquetWriteOptions(codec: ParquetWriteOptions.codec(named: compression) ?? .zstd)
                let writer = try ParquetWriter(schema: run.parquetSchema, options: options, write: { try out.write($0) },
                                               commit: { try out.commit() }, discard: { out.discard() })
                try run.run(into: writer, progress: progress)
                try writer.finish()
            } else {
                try run.run(write: { try out.write($0) }, progress: progress)
                try out.commit()
            }
            if showProgress {
                let elapsed = Date().timeIntervalSince(started)
                Terminal.progress("wrote \(Terminal.count(n)) rows to \(output) in \(String(format: "%.2f", elapsed)) s (\(Terminal.count(Int(Double(n) / max(elapsed, 1e-9)))) rows/s)", final: true)
            }
        }
    }
}
