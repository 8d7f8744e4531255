import ArgumentParser
import MimeoTensor

/// The `mimeo` command: learn a generative model of a table and produce synthetic rows.
@main
struct MimeoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mimeo",
        abstract: "Synthetic tabular data: learn a model of a CSV table, then generate rows that keep its statistics.",
        discussion: """
            A typical session:
              mimeo schema data.csv > schema.json     # inferred column types (editable)
              mimeo train data.csv -o model.mimeo     # learn the model
              mimeo generate model.mimeo -n 100000 -o synthetic.csv --seed 7
              mimeo generate model.mimeo -n 5000 --where income='>50K' -o rich.csv
              mimeo info model.mimeo                  # what the model holds
            """,
        version: "0.1.0",
        subcommands: [Schema.self, Train.self, Generate.self, Augment.self, Score.self, Evaluate.self, Drift.self, Transform.self, Info.self, Benchmark.self, Keygen.self,
                      Coordinator.self, Worker.self, Status.self]
    )

    static func main() {
        // OpenBLAS picks its kernel when the library loads: re-execute with the fast one if needed.
        OpenBLASKernel.reexecWithFastKernelIfNeeded(arguments: CommandLine.arguments)
        main(nil)
    }
}
