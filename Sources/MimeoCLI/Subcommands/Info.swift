import ArgumentParser
import Foundation
import MimeoTabular
import MimeoTensor

extension MimeoCommand {
    /// `mimeo info`: describe a model file, or this machine's compute set-up.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a model (columns, kinds, vocabularies, parameters, training) or, with --system, this machine.",
            discussion: """
                Examples:
                  mimeo info model.mimeo
                  mimeo info --system        # cores, CPU features, the OpenBLAS kernel in use
                """)

        @Argument(help: "The model file.")
        var model: String?

        @Flag(help: "Describe the machine and the compute engine instead of a model.")
        var system = false

        @Flag(help: "Print the model's metadata as JSON.")
        var json = false

        func validate() throws {
            if !system && model == nil { throw ValidationError("give a model file, or --system") }
        }

        func run() throws {
            if system {
                let features = CPUFeatures.current()
                let interesting = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
                print("cores:            \(ProcessInfo.processInfo.activeProcessorCount)")
                print("CPU features:     \(interesting.filter { features.contains($0) }.joined(separator: " "))")
                print("OpenBLAS kernel:  \(BLAS.coreName)")
                let env = ProcessInfo.processInfo.environment
                print("OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "(unset)")"
                      + (env["MIMEO_REEXEC"] != nil ? " (set by mimeo at start)" : ""))
                print("preferred kernel: \(OpenBLASKernel.preferredCoreType(flags: features.flags) ?? "library default")")
                return
            }
            guard let model else { return }
            let trained = try ModelFile.read(from: model)
            let metadata = trained.metadata
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                FileHandle.standardOutput.write(try encoder.encode(metadata) + Data("\n".utf8))
                return
            }
            let architecture = metadata.architecture
            print("model:       \(model) (format \(metadata.formatVersion), written by mimeo \(metadata.mimeoVersion))")
            print("trained on:  \(metadata.sourceName), \(Terminal.count(metadata.sourceRows)) rows")
            let network = architecture.contextWidth.map { "projected context, width \($0)" } ?? "full (all embeddings per head)"
            print("parameters:  \(Terminal.count(trained.model.parameters.count)), \(network)")
            print("columns:")
            let first = metadata.encoder.firstSubColumns
            for (index, column) in metadata.encoder.schema.columns.enumerated() {
                let encoding = metadata.encoder.encodings[index]
                let vocabulary = encoding.cardinalities.map(String.init).joined(separator: "+")
                var detail = ""
                switch encoding {
                case .categorical(let e):
                    detail = "\(Terminal.count(e.cardinality)) tokens"
                        + (e.rareToken != nil ? ", has rare values (generate --rare-values: resampled by default)" : "")
                case .numeric(let e):
                    let exact = e.buckets.filter(\.isExact).count
                    detail = "range \(e.minimum)...\(e.maximum), \(exact) exact values, \(e.buckets.count - exact) ranges, \(e.decimals) decimals"
                case .datetime(let e):
                    detail = "format \(e.format), parts \(e.parts.map(\.rawValue).joined(separator: ","))"
                case .identifier(let e):
                    detail = "\(e.shapes.count) shapes"
                }
                let heads = (first[index]..<first[index + 1]).map { "h\(architecture.hiddenWidths[$0])" }
                    .joined(separator: ",")
                print("  \(column.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(encoding.kindName + String(repeating: " ", count: max(0, 12 - encoding.kindName.count))) vocabulary \(vocabulary.isEmpty ? "-" : vocabulary)  \(heads)  \(detail)")
                if let summary = column.invalidValuesSummary { print("    dirty: \(summary)") }
            }
            let t = metadata.training
            print("training:    \(String(format: "%.1f", t.epochs)) epochs in \(String(format: "%.1f", t.seconds)) s, best epoch \(t.bestEpoch), "
                  + "train loss \(String(format: "%.4f", t.trainLoss)), validation loss \(String(format: "%.4f", t.validationLoss))")
            print("             \(Terminal.count(t.trainingRows)) training + \(Terminal.count(t.validationRows)) validation rows, batch \(t.batchSize), stopped: \(t.stopReason)")
            print("seed:        \(t.seed)")
        }
    }
}
