// Federated training simulated in one process, for measurements (docs/federated.md, "Simulation"): trains
// one model over several site tables with the encoding agreement and FedAvg/FedProx rounds, or (with
// --central) one model on their union with the single-machine trainer, and writes the model and a
// synthetic table. Not part of the test suite; run it with
//   swift run -c release MimeoFederatedSimulation --out /tmp/fed site-a.csv site-b.csv site-c.csv
import Foundation
import MimeoData
import MimeoFederatedTraining
import MimeoTabular

struct Arguments {
    var sites: [String] = []
    var out = ""
    var central = false
    var rounds = 40
    var localEpochs = 1
    var strategy = LocalStrategy.fedAvg
    var widthFactor = 16.0
    var seed: UInt64 = 0
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var rows = 0
    var patience = 4
    var batchSize: Int?
    var averageWeights = false
    var localSteps: Int?
    var keepOptimizer = false
    var averageDecay: Double?

    static let usage = """
        usage: MimeoFederatedSimulation --out DIR [--central] [--rounds N] [--local-epochs N] [--fedprox MU]
               [--width F] [--seed S] [--threads T] [--batch-size B] [--patience P] [--local-average] [--local-steps N] [--keep-optimizer] [--average-decay D] [--rows N] site.csv...
        writes DIR/model.mimeo and DIR/synthetic.csv (N rows, default: the sites' total)
        """

    init(_ argv: [String]) throws {
        var index = 0
        func value() throws -> String {
            index += 1
            guard index < argv.count else { throw SimulationError("\(argv[index - 1]) needs a value\n\(Self.usage)") }
            return argv[index]
        }
        func number<T: LosslessStringConvertible>(_ type: T.Type) throws -> T {
            let text = try value()
            guard let parsed = T(text) else { throw SimulationError("\(argv[index - 1]): '\(text)' is not a number") }
            return parsed
        }
        while index < argv.count {
            switch argv[index] {
            case "--out": out = try value()
            case "--central": central = true
            case "--rounds": rounds = try number(Int.self)
            case "--local-epochs": localEpochs = try number(Int.self)
            case "--fedprox": strategy = .fedProx(mu: try number(Float.self))
            case "--width": widthFactor = try number(Double.self)
            case "--seed": seed = try number(UInt64.self)
            case "--threads": threads = try number(Int.self)
            case "--rows": rows = try number(Int.self)
            case "--patience": patience = try number(Int.self)
            case "--batch-size": batchSize = try number(Int.self)
            case "--local-average": averageWeights = true
            case "--local-steps": localSteps = try number(Int.self)
            case "--keep-optimizer": keepOptimizer = true
            case "--average-decay": averageDecay = try number(Double.self)
            case let flag where flag.hasPrefix("--"): throw SimulationError("unknown option \(flag)\n\(Self.usage)")
            default: sites.append(argv[index])
            }
            index += 1
        }
        guard !out.isEmpty, !sites.isEmpty else { throw SimulationError(Self.usage) }
    }
}

struct SimulationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func run() throws {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    let tables = try arguments.sites.map { try TableLoader().load(path: $0) }
    let union = Table(columnNames: tables[0].columnNames, columns: tables[0].columnNames.indices.map { column in
        tables.flatMap { $0.columns[column] }
    })
    // Column kinds from the first site only: the others' rows stay out of it.
    let schema = TrainingPipeline.resolvingDatetimeFormats(SchemaInference().inferSchema(from: tables[0]), table: tables[0])
    var training = TrainingOptions()
    training.seed = arguments.seed
    training.threads = arguments.threads
    training.batchSize = arguments.batchSize
    training.patience = arguments.patience
    if let decay = arguments.averageDecay, arguments.central { training.weightAverageDecay = decay }
    let start = Date()
    let trained: TrainedModel
    if arguments.central {
        training.maxEpochs = arguments.rounds
        training.maxSeconds = 1e9
        trained = try TrainingPipeline.train(union, schema: schema, sourceName: "union", trainingOptions: training,
                                             widthFactor: arguments.widthFactor)
        print(String(format: "central: %d epochs, validation loss %.4f, %@", trained.metadata.training.bestEpoch,
                     trained.metadata.training.validationLoss, trained.metadata.training.stopReason))
    } else {
        var options = FederatedTrainingOptions()
        options.rounds = arguments.rounds
        options.patience = arguments.patience
        options.widthFactor = arguments.widthFactor
        options.keepOptimizerState = arguments.keepOptimizer
        options.weightAverageDecay = arguments.averageDecay ?? 0
        options.local = LocalTrainingOptions(training: training, localEpochs: arguments.localEpochs,
                                             localSteps: arguments.localSteps, strategy: arguments.strategy,
                                             averageWeights: arguments.averageWeights)
        let sites = zip(arguments.sites, tables).map { FederatedSite(name: URL(fileURLWithPath: $0).lastPathComponent, table: $1) }
        let result = try FederatedSimulation.train(sites: sites, schema: schema, sourceName: "federated", options: options) { round in
            let perSite = round.sites.map { String(format: "%@ %.3f", $0.site, $0.validationLoss) }.joined(separator: ", ")
            print(String(format: "round %d: validation %.4f (%@), averaged %.4f, train %.4f, |update| %.3f, %.0f s",
                         round.round, round.validationLoss, perSite, round.averageValidationLoss, round.trainLoss,
                         round.updateNorm, Date().timeIntervalSince(start)))
        }
        trained = result.trained
        print(String(format: "federated: best round %d, validation loss %.4f, %@", trained.metadata.training.bestEpoch,
                     trained.metadata.training.validationLoss, trained.metadata.training.stopReason))
    }
    print(String(format: "trained in %.1f s", Date().timeIntervalSince(start)))
    try FileManager.default.createDirectory(atPath: arguments.out, withIntermediateDirectories: true)
    try ModelFile.write(trained, to: arguments.out + "/model.mimeo")
    let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder)
    let total = arguments.rows > 0 ? arguments.rows : union.rowCount
    var bytes = sampler.headerBytes()
    var done = 0, batch = 0
    while done < total {
        let count = min(Sampler.batchSize, total - done)
        bytes += sampler.generateBatch(index: batch, count: count, seed: arguments.seed &+ 1)
        done += count
        batch += 1
    }
    try AtomicFileOutput.write(bytes, toFileAt: arguments.out + "/synthetic.csv")
    print("wrote \(arguments.out)/model.mimeo and \(total) rows to \(arguments.out)/synthetic.csv")
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("MimeoFederatedSimulation: error: \(error)\n".utf8))
    exit(1)
}
