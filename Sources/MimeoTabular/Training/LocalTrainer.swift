import Foundation
import MimeoNN
import MimeoTensor

// Dimension key: N = the site's rows, S = sub-columns (tokens per row), P = parameters.

/// How a site trains in a federated round.
public enum LocalStrategy: Sendable, Equatable, Codable {
    /// FedAvg (McMahan et al., AISTATS 2017): plain local training from the broadcast weights.
    case fedAvg
    /// FedProx (Li et al., MLSys 2020): local training with `μ/2‖w − w_global‖²` added to every batch's
    /// mean loss; μ = 0 is FedAvg.
    case fedProx(mu: Float)
}

/// The settings of a site's local round.
public struct LocalTrainingOptions: Sendable, Equatable {
    /// Learning rate, weight decay, gradient clip, batch size, threads, column-order share, validation
    /// share and seed, as in single-machine training (epochs, time budget, patience and the weight
    /// average are the federation's business, not a round's).
    public var training: TrainingOptions
    /// Passes over the site's training rows per round (used when `localSteps` is `nil`).
    public var localEpochs: Int
    /// Exactly this many batches per round instead of whole epochs (the rows are reshuffled whenever
    /// they run out).
    public var localSteps: Int?
    public var strategy: LocalStrategy
    /// Return the moving average of the round's weights (`WeightAverage` with
    /// `training.weightAverageDecay`, started at the global weights, its warm-up counting the steps of
    /// the earlier rounds) instead of the last step's.
    public var averageWeights: Bool

    public init(training: TrainingOptions = TrainingOptions(), localEpochs: Int = 1, localSteps: Int? = nil,
                strategy: LocalStrategy = .fedAvg, averageWeights: Bool = false) {
        self.training = training
        self.localEpochs = localEpochs
        self.localSteps = localSteps
        self.strategy = strategy
        self.averageWeights = averageWeights
    }
}

/// What a site returns from a round.
public struct LocalUpdate: Sendable, Equatable {
    /// `local weights − global weights`, `[P]`.
    public var delta: [Float]
    /// The site's training rows (the FedAvg weight).
    public var exampleCount: Int
    /// Mean training loss per row over the round's batches (the data loss, without FedProx's term).
    public var trainLoss: Double
    /// Mean loss per row of the **incoming** global weights on the site's validation rows (`.nan`
    /// when the site holds none).
    public var validationLoss: Double
    /// The site's validation rows.
    public var validationRows: Int
    /// Batches trained this round.
    public var steps: Int
    /// The optimiser's state after the round, for a site that keeps it from round to round.
    public var optimizer: AdamW
}

/// Why a site cannot train.
public struct LocalTrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One site's side of federated training: given the round's global weights, trains on the site's
/// encoded rows for the configured epochs or steps with the shared `TrainingStep`, and returns the
/// update. The site's validation split is fixed for the life of the trainer (drawn from the seed), so
/// every round validates on the same rows; each round's batches and column orders come from the seed
/// and the round number. The optimiser starts fresh every round.
public struct LocalTrainer: Sendable {
    public let architecture: ModelArchitecture
    public let options: LocalTrainingOptions
    public let split: RowSplit
    public let batchSize: Int
    private let tokens: [Int32]
    private let validationTokens: [Int32]
    private let validationRanks: [Int32]

    /// A site holding `rowCount` encoded rows `tokens` (`[N, S]`, tokens within the architecture's
    /// vocabularies).
    ///
    /// - Throws: `LocalTrainingError` for no rows, a token buffer of the wrong size, a token outside its
    ///   sub-column's vocabulary, or non-positive epochs or steps.
    public init(architecture: ModelArchitecture, tokens: [Int32], rowCount N: Int, options: LocalTrainingOptions) throws {
        let S = architecture.subColumnCount
        guard S > 0 else { throw LocalTrainingError("the model has no sub-columns to train") }
        guard N > 0 else { throw LocalTrainingError("the site has no rows to train on") }
        guard tokens.count == N * S else {
            throw LocalTrainingError("expected \(N) rows of \(S) tokens (\(N * S)), got \(tokens.count) tokens")
        }
        for (index, token) in tokens.enumerated() where token < 0 || Int(token) >= architecture.cardinalities[index % S] {
            throw LocalTrainingError("row \(index / S), sub-column \(index % S): token \(token) is outside 0..<"
                                     + "\(architecture.cardinalities[index % S])")
        }
        if options.localSteps == nil && options.localEpochs < 1 {
            throw LocalTrainingError("local epochs must be at least 1, got \(options.localEpochs)")
        }
        if let steps = options.localSteps, steps < 1 {
            throw LocalTrainingError("local steps must be at least 1, got \(steps)")
        }
        if case .fedProx(let mu) = options.strategy, !(mu >= 0 && mu.isFinite) {
            throw LocalTrainingError("FedProx μ must be finite and non-negative, got \(mu)")
        }
        self.architecture = architecture
        self.options = options
        self.tokens = tokens
        var random = RandomStream(seed: options.training.seed, stream: 0x7261696E)
        split = RowSplit(rowCount: N, validationFraction: options.training.validationFraction, random: &random)
        guard !split.training.isEmpty else {
            throw LocalTrainingError("the validation share \(options.training.validationFraction) leaves no training rows")
        }
        batchSize = min(options.training.resolvedBatchSize(rowCount: split.training.count), max(1, split.training.count))
        validationTokens = gatherRows(tokens, rows: split.validation, S: S)
        var validationRandom = RandomStream(seed: options.training.seed, stream: 0x76616C)
        validationRanks = RankSampler(architecture: architecture, fixedOrderShare: options.training.fixedOrderShare)
            .ranks(count: split.validation.count, random: &validationRandom)
    }

    /// The site's training rows (the FedAvg weight).
    public var exampleCount: Int { split.training.count }

    /// Mean loss per row of `weights` on the site's validation rows (`.nan` without any).
    public func validationLoss(of weights: [Float]) -> Double {
        let model = TabularModel(architecture: architecture, parameters: weights)
        let step = TrainingStep(model: model, options: options.training, batchCapacity: batchSize)
        return step.meanLoss(tokens: validationTokens, ranks: validationRanks, count: split.validation.count)
    }

    /// Trains round `round` from `global` and returns the update; `learningRate` overrides the options'
    /// (a schedule across rounds); `optimizer` continues from a previous round's state (`LocalUpdate
    /// .optimizer`) instead of a fresh AdamW.
    ///
    /// - Throws: `LocalTrainingError` for weights of another shape; `TrainingError.diverged` when a
    ///   batch's loss or gradient is not finite or explodes.
    public func train(global: [Float], round: Int, learningRate: Float? = nil, optimizer: AdamW? = nil) throws -> LocalUpdate {
        let layoutCount = ParameterLayout(architecture).count
        guard global.count == layoutCount else {
            throw LocalTrainingError("the global weights have \(global.count) values, the model \(layoutCount)")
        }
        let S = architecture.subColumnCount
        BLAS.beginSingleThreadedCalls()
        defer { BLAS.endSingleThreadedCalls() }
        var proximal: ProximalTerm?
        if case .fedProx(let mu) = options.strategy { proximal = ProximalTerm(mu: mu, anchor: global) }
        var training = options.training
        if let learningRate { training.learningRate = learningRate }
        let step = TrainingStep(model: TabularModel(architecture: architecture, parameters: global),
                                options: training, batchCapacity: batchSize, proximal: proximal)
        if var optimizer {
            guard optimizer.parameterCount == global.count else {
                throw LocalTrainingError("the optimiser state has \(optimizer.parameterCount) values, the model \(global.count)")
            }
            optimizer.learningRate = training.learningRate
            step.optimizer = optimizer
        }
        let incomingLoss = step.meanLoss(tokens: validationTokens, ranks: validationRanks, count: split.validation.count)
        let ranks = RankSampler(architecture: architecture, fixedOrderShare: options.training.fixedOrderShare)
        var random = RandomStream(seed: options.training.seed &+ UInt64(truncatingIfNeeded: round) &* 0x9E37_79B9_7F4A_7C15,
                                  stream: 0x6C6F_6361_6C)
        var rows = split.training
        let stepsPerEpoch = (rows.count + batchSize - 1) / batchSize
        let totalSteps = options.localSteps ?? options.localEpochs * stepsPerEpoch
        var lossSum = 0.0, rowsSeen = 0
        var average = options.averageWeights
            ? WeightAverage(initial: global, decay: training.weightAverageDecay, stepsBefore: max(0, round - 1) * totalSteps) : nil
        for stepIndex in 0..<totalSteps {
            let position = stepIndex % stepsPerEpoch
            if position == 0 { rows.shuffle(using: &random) }
            let batch = rows[(position * batchSize)..<min(rows.count, (position + 1) * batchSize)]
            let batchTokens = gatherRows(tokens, rows: batch, S: S)
            let batchRanks = ranks.ranks(count: batch.count, random: &random)
            do {
                lossSum += try step.step(tokens: batchTokens, ranks: batchRanks, rowCount: batch.count)
            } catch {
                let what: String
                switch error {
                case .nonFiniteLoss(let loss): what = "the training loss became \(loss)"
                case .explodingLoss(let perRow): what = String(format: "the training loss exploded to %.4g nats per row", perRow)
                case .nonFiniteGradient(let norm): what = "the gradient became \(norm)"
                }
                throw TrainingError.diverged("local training diverged in round \(round), step \(stepIndex + 1) of "
                                             + "\(totalSteps): \(what); use a lower learning rate (this run used "
                                             + "\(training.learningRate))")
            }
            rowsSeen += batch.count
            average?.update(with: step.parameters)
        }
        let local = average?.weights ?? step.parameters
        var delta = [Float](repeating: 0, count: local.count)
        for i in local.indices { delta[i] = local[i] - global[i] }
        return LocalUpdate(delta: delta, exampleCount: split.training.count, trainLoss: lossSum / Double(max(rowsSeen, 1)),
                           validationLoss: incomingLoss, validationRows: split.validation.count, steps: totalSteps,
                           optimizer: step.optimizer)
    }
}
