import Crypto
import Foundation
import MimeoData
import MimeoFederated
import MimeoNN
import MimeoTabular

/// Why a federated run cannot go on (other than the encoding agreement's and the trainers' errors).
public struct FederatedTrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One site of a simulated federation: its name and its own table.
public struct FederatedSite: Sendable {
    public var name: String
    public var table: Table

    public init(name: String, table: Table) {
        self.name = name
        self.table = table
    }
}

/// Settings of a federated training run.
public struct FederatedTrainingOptions: Sendable {
    /// The most rounds.
    public var rounds: Int = 40
    /// Each site's local training: optimiser settings, local epochs or steps, FedAvg or FedProx.
    public var local = LocalTrainingOptions()
    /// Rounds without improvement of the aggregate validation loss before stopping.
    public var patience = 4
    /// Updates a round needs (`--min-sites`).
    public var minimumSites = 1
    public var encodingOptions = EncodingOptions()
    public var sketchAccuracy = RelativeErrorSketch.defaultRelativeAccuracy
    public var widthFactor: Double = 16
    public var contextWidth: ContextWidthChoice = .automatic
    /// Sites keep their AdamW state from round to round instead of starting each round afresh.
    public var keepOptimizerState = false
    /// Decay of the moving average of the global weights over rounds (`WeightAverage`, with its warm-up),
    /// which is validated, kept and saved instead of the last round's weights, as single-machine training
    /// averages over steps; 0 keeps the raw weights.
    public var weightAverageDecay = 0.0

    public init() {}
}

/// One site's numbers in one round.
public struct SiteRoundReport: Sendable, Equatable {
    public var site: String
    public var examples: Int
    public var trainLoss: Double
    /// The validation loss of the round's incoming (global) weights on the site's validation rows.
    public var validationLoss: Double
    public var validationRows: Int
}

/// One round of a federated run.
public struct FederatedRoundReport: Sendable, Equatable {
    public var round: Int
    public var sites: [SiteRoundReport]
    /// The incoming weights' validation loss over all sites, weighted by their validation rows.
    public var validationLoss: Double
    /// The same for the moving average of the weights up to the incoming ones (what early stopping
    /// watches and the result keeps; equal to `validationLoss` without averaging).
    public var averageValidationLoss: Double
    /// The sites' training loss, weighted by their examples.
    public var trainLoss: Double
    /// The L2 norm of the aggregated update.
    public var updateNorm: Double
}

/// The outcome of a federated run: an ordinary trained model, and the rounds.
public struct FederatedTrainingResult: Sendable {
    public var trained: TrainedModel
    public var rounds: [FederatedRoundReport]
}

/// Federated training in one process: the encoding agreement between the sites, then rounds of
/// `LocalTrainer` on every site and FedAvg (weighted by examples, `RoundAggregator`), with early stopping
/// on the aggregate validation loss. The same steps the cluster runs, without the transport: no site's
/// rows reach another site or the aggregation, only its summaries, its revealed frequent values and its
/// updates.
public enum FederatedSimulation {
    /// Trains one model over `sites`. `schema` gives the column kinds (columns in the sites' order).
    ///
    /// - Throws: `FederatedTrainingError` (no sites, duplicate names, bad options, a round whose updates
    ///   the aggregation refuses), `EncodingAgreementError` (tables that disagree with the schema),
    ///   `LocalTrainingError`, `TrainingError.diverged`.
    public static func train(
        sites: [FederatedSite], schema: Schema, sourceName: String, options: FederatedTrainingOptions,
        progress: (FederatedRoundReport) -> Void = { _ in }
    ) throws -> FederatedTrainingResult {
        guard !sites.isEmpty else { throw FederatedTrainingError("federated training needs at least one site") }
        guard Set(sites.map(\.name)).count == sites.count, sites.allSatisfy({ !$0.name.isEmpty }) else {
            throw FederatedTrainingError("site names must be distinct and non-empty")
        }
        guard options.rounds >= 1 else { throw FederatedTrainingError("rounds must be at least 1, got \(options.rounds)") }
        guard options.patience >= 1 else { throw FederatedTrainingError("patience must be at least 1, got \(options.patience)") }
        guard (1...sites.count).contains(options.minimumSites) else {
            throw FederatedTrainingError("the quorum must be between 1 and the \(sites.count) sites, got \(options.minimumSites)")
        }
        guard options.weightAverageDecay >= 0 && options.weightAverageDecay < 1 else {
            throw FederatedTrainingError("the weight average's decay must be in [0, 1), got \(options.weightAverageDecay)")
        }
        let start = Date()
        // The job key: shared by the sites, never by the aggregation (here: never passed to it).
        let key = SymmetricKey(size: .bits256)
        let analyzers = try sites.map { site in
            (name: site.name, analyzer: try SiteEncodingAnalyzer(table: site.table, schema: schema, key: key,
                                                                 sketchAccuracy: options.sketchAccuracy))
        }
        let encoder = try EncodingAgreement.run(sites: analyzers, schema: schema, options: options.encodingOptions,
                                                sketchAccuracy: options.sketchAccuracy)
        let architecture = ModelArchitecture(cardinalities: encoder.subColumnCardinalities, columns: encoder.subColumnColumns,
                                             widthFactor: options.widthFactor, contextWidth: options.contextWidth)
        var global = TabularModel(architecture: architecture, seed: options.local.training.seed).parameters
        let trainers = try sites.map { site in
            try LocalTrainer(architecture: architecture, tokens: encoder.encode(site.table), rowCount: site.table.rowCount,
                             options: options.local)
        }
        let names = sites.map(\.name)
        var plateau = PlateauPolicy(patience: options.patience)
        var best = global, bestRound = 0
        var reports: [FederatedRoundReport] = []
        var stopReason = "max rounds (\(options.rounds))"
        var learningRate = options.local.training.learningRate
        var roundsDone = 0
        var optimizers = [AdamW?](repeating: nil, count: sites.count)
        var average = WeightAverage(initial: global, decay: options.weightAverageDecay)
        func averageLoss(_ raw: Double) -> Double {
            guard options.weightAverageDecay > 0 else { return raw }
            return aggregateValidationLoss(zip(names, trainers).map { name, trainer in
                SiteRoundReport(site: name, examples: trainer.exampleCount, trainLoss: .nan,
                                validationLoss: trainer.validationLoss(of: average.weights),
                                validationRows: trainer.split.validation.count)
            })
        }
        for round in 1...options.rounds {
            var updates: [SiteUpdate] = [], siteReports: [SiteRoundReport] = []
            for (index, (name, trainer)) in zip(names, trainers).enumerated() {
                let update = try trainer.train(global: global, round: round, learningRate: learningRate,
                                               optimizer: optimizers[index])
                if options.keepOptimizerState { optimizers[index] = update.optimizer }
                updates.append(SiteUpdate(siteID: name, round: round, exampleCount: update.exampleCount, delta: update.delta))
                siteReports.append(SiteRoundReport(site: name, examples: update.exampleCount, trainLoss: update.trainLoss,
                                                   validationLoss: update.validationLoss,
                                                   validationRows: update.validationRows))
            }
            let validationLoss = aggregateValidationLoss(siteReports)
            let examples = siteReports.reduce(0) { $0 + $1.examples }
            let trainLoss = siteReports.reduce(0.0) { $0 + $1.trainLoss * Double($1.examples) } / Double(max(examples, 1))
            // The round's incoming weights were validated: they are round − 1's result, and the average
            // up to them is the candidate.
            let candidateLoss = round == 1 ? validationLoss : averageLoss(validationLoss)
            switch plateau.observe(candidateLoss, alwaysImproves: candidateLoss.isNaN) {
            case .improved:
                best = average.weights; bestRound = round - 1
            case .noImprovement(let reduce):
                if reduce { learningRate = max(options.local.training.learningRate * 0.1, learningRate * 0.5) }
            case .stop:
                stopReason = "early stopping (no validation improvement for \(options.patience) rounds)"
            }
            if stopReason.hasPrefix("early stopping") { break }
            let aggregator = try RoundAggregator(round: round, expectedSites: names, minimumSites: options.minimumSites,
                                                 parameterCount: global.count)
            switch try aggregator.aggregate(global: global, updates: updates) {
            case .aggregate(let aggregated):
                let norm = FederatedAveraging.l2Norm(zip(aggregated.weights, global).map { $0 - $1 })
                global = aggregated.weights
                average.update(with: global)
                let report = FederatedRoundReport(round: round, sites: siteReports, validationLoss: validationLoss,
                                                  averageValidationLoss: candidateLoss, trainLoss: trainLoss,
                                                  updateNorm: norm)
                reports.append(report)
                progress(report)
            case .retry(let reason):
                throw FederatedTrainingError("round \(round) could not be aggregated: \(reason)")
            }
            roundsDone = round
        }
        if stopReason.hasPrefix("max rounds") {
            // The last round's result has not been validated yet.
            let rawLoss = aggregateValidationLoss(zip(names, trainers).map { name, trainer in
                SiteRoundReport(site: name, examples: trainer.exampleCount, trainLoss: .nan,
                                validationLoss: trainer.validationLoss(of: global), validationRows: trainer.split.validation.count)
            })
            let finalLoss = averageLoss(rawLoss)
            if case .improved = plateau.observe(finalLoss, alwaysImproves: finalLoss.isNaN) {
                best = average.weights; bestRound = roundsDone
            }
        }
        let trainingRows = trainers.reduce(0) { $0 + $1.exampleCount }
        let validationRows = trainers.reduce(0) { $0 + $1.split.validation.count }
        let seconds = Date().timeIntervalSince(start)
        let steps = options.local.localSteps.map(Double.init) ?? Double(options.local.localEpochs)
        let summary = TrainingSummary(
            trainingRows: trainingRows, validationRows: validationRows, epochs: Double(roundsDone) * steps,
            bestEpoch: bestRound, trainLoss: reports.last?.trainLoss ?? 0,
            validationLoss: plateau.bestLoss.isFinite ? plateau.bestLoss : (reports.last?.validationLoss ?? 0),
            seconds: seconds, rowsPerSecond: Double(trainingRows * roundsDone) * steps / max(seconds, 1e-9),
            stopReason: "federated over \(sites.count) sites: " + stopReason, batchSize: trainers.first?.batchSize ?? 0,
            seed: options.local.training.seed)
        var trainingOptions = options.local.training
        trainingOptions.maxEpochs = options.rounds
        let metadata = ModelMetadata(
            formatVersion: Int(ModelFile.formatVersion(for: architecture)), mimeoVersion: ModelFile.mimeoVersion,
            encoder: encoder, architecture: architecture, encodingOptions: options.encodingOptions,
            trainingOptions: trainingOptions, training: summary, sourceName: sourceName,
            sourceRows: sites.reduce(0) { $0 + $1.table.rowCount })
        return FederatedTrainingResult(trained: TrainedModel(metadata: metadata, model: TabularModel(architecture: architecture,
                                                                                                      parameters: best)),
                                       rounds: reports)
    }

    /// Σ v_k n_k / Σ n_k over the sites with validation rows (`.nan` when none has any).
    static func aggregateValidationLoss(_ reports: [SiteRoundReport]) -> Double {
        let rows = reports.reduce(0) { $0 + $1.validationRows }
        guard rows > 0 else { return .nan }
        return reports.filter { $0.validationRows > 0 }.reduce(0.0) { $0 + $1.validationLoss * Double($1.validationRows) }
            / Double(rows)
    }
}
