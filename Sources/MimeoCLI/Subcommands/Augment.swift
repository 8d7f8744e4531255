import ArgumentParser
import Foundation
import MimeoData
import MimeoParquet
import MimeoTabular

extension MimeoCommand {
    /// `mimeo augment`: the real rows plus synthetic rows of the minority classes, up to a share.
    struct Augment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a table's real rows plus synthetic rows of its minority classes.",
            discussion: """
                Every class of --target below --minority-share of the augmented table gets synthetic rows, drawn \
                from the model given that class (as with `generate --where`), until it reaches the share: with N \
                real rows and minority classes M, K = (|M|·s·N − Σ m_c) / (1 − |M|·s) rows are added in all. \
                The real rows come first (in the model's column order; missing cells are written empty), then \
                the synthetic rows, class by class. The model should be trained on the same table (or one with \
                its columns). Rare classes (seen fewer times than the model's rare threshold) cannot be generated.
                Examples:
                  mimeo augment d.csv --model m.mimeo --target y --minority-share 0.3 -o a.csv
                """)

        @Argument(help: "The real table (CSV, .csv.gz, Parquet, or a folder of parts); the output is CSV.")
        var data: String

        @Option(help: ArgumentHelp("The model trained on the table.", valueName: "model.mimeo"))
        var model: String

        @Option(help: "The class column to balance.")
        var target: String

        @Option(parsing: .unconditional, help: ArgumentHelp("The share (above 0, at most 0.5) every minority class reaches in the output.", valueName: "s"))
        var minorityShare: Double

        @Option(name: .shortAndLong, help: ArgumentHelp("Output CSV ('-' for standard output).", valueName: "augmented.csv"))
        var output: String

        @Option(parsing: .unconditional, help: "Random seed; the same seed gives the same rows.")
        var seed: UInt64 = 0

        @Option(parsing: .unconditional, help: "Threads (default: all cores).")
        var threads: Int?

        @Option(help: "Field delimiter of the input and the output: one character or 'tab' (default: detected from the input).")
        var delimiter: String?

        @Flag(help: "Print nothing but errors.")
        var quiet = false

        func validate() throws {
            guard minorityShare.isFinite, minorityShare > 0, minorityShare <= 0.5 else {
                throw ValidationError("--minority-share must be above 0 and at most 0.5, got \(minorityShare)")
            }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if let delimiter { _ = try parseDelimiter(delimiter) }
        }

        func run() throws {
            try OutputSafety.check(inputs: [("<data>", data), ("--model", model)], outputs: [("--output", output)])
            let trained = try ModelFile.read(from: model)
            let encoder = trained.metadata.encoder
            let columns = encoder.schema.columns.map(\.name)
            let outputDelimiter = try delimiter.map(parseDelimiter) ?? TableFileLoader.detectDelimiter(path: data)
            let table = try TableFileLoader(delimiter: outputDelimiter).load(path: data)
            let missing = columns.filter { table.columnIndex(named: $0) == nil }
            let extra = table.columnNames.filter { !columns.contains($0) }
            guard missing.isEmpty && extra.isEmpty else {
                Terminal.message("Error: \(data) does not have the model's columns"
                                 + (missing.isEmpty ? "" : "; missing: \(missing.joined(separator: ", "))")
                                 + (extra.isEmpty ? "" : "; not in the model: \(extra.joined(separator: ", "))"))
                throw ExitCode.validationFailure
            }
            guard let targetIndex = table.columnIndex(named: target) else {
                Terminal.message("Error: no column '\(target)' in \(data); columns are: \(columns.joined(separator: ", "))")
                throw ExitCode.validationFailure
            }
            let plan: AugmentationPlan
            let samplers: [(AugmentationPlan.Class, Sampler)]
            do {
                let column = encoder.schema.columns.firstIndex { $0.name == target }!
                plan = try AugmentationPlan(target: table.columns[targetIndex], minorityShare: minorityShare) { value in
                    (try? encoder.encode(value: value, column: column)) != nil
                }
                samplers = try plan.classes.filter { $0.syntheticRows > 0 }.map { c in
                    (c, try Sampler(model: trained.model, encoder: encoder,
                                    conditions: [Condition(column: target, value: c.value)], delimiter: outputDelimiter))
                }
            } catch let error as ConditionError {
                Terminal.message("Error: \(error.message)")
                throw ExitCode.validationFailure
            }
            if !quiet {
                for c in plan.classes {
                    Terminal.message("\(target)=\(c.value): \(Terminal.count(c.realRows)) real"
                                     + (c.syntheticRows > 0 ? " + \(Terminal.count(c.syntheticRows)) synthetic" : "")
                                     + (c.isGenerable ? "" : " (rare in the model: not generated)"))
                }
            }

            let out = try TemporaryFiles.output(path: output)
            var bytes: [UInt8] = []
            let order = columns.map { table.columnIndex(named: $0)! }
            for (position, column) in columns.enumerated() {
                if position > 0 { bytes.append(outputDelimiter) }
                CSVField.append(column, delimiter: outputDelimiter, to: &bytes)
            }
            CSVField.endRow(startingAt: 0, in: &bytes)
            for row in 0..<table.rowCount {
                let start = bytes.count
                for (position, column) in order.enumerated() {
                    if position > 0 { bytes.append(outputDelimiter) }
                    if let cell = table.columns[column][row] { CSVField.append(cell, delimiter: outputDelimiter, to: &bytes) }
                }
                CSVField.endRow(startingAt: start, in: &bytes)
                if bytes.count >= 1 << 20 {
                    try out.write(bytes)
                    bytes.removeAll(keepingCapacity: true)
                }
            }
            try out.write(bytes)
            let cores = threads ?? ProcessInfo.processInfo.activeProcessorCount
            for (index, (c, sampler)) in samplers.enumerated() {
                var isHeader = true
                let run = GenerationRun(sampler: sampler, rowCount: c.syntheticRows, seed: seed &+ UInt64(index), threads: cores)
                try run.run(write: { chunk in
                    if isHeader { isHeader = false } else { try out.write(chunk) }
                })
            }
            try out.commit()
            if !quiet && output != "-" {
                Terminal.message("wrote \(Terminal.count(plan.realRows)) real + \(Terminal.count(plan.syntheticRows)) synthetic rows to \(output)")
            }
        }
    }
}
