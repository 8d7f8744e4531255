import MimeoData
import MimeoNN
@testable import MimeoTabular
import MimeoTensor
import MimeoTestSupport
import Testing

/// The training step shared by single-machine and federated training, FedProx's proximal term, and a
/// site's local round (issue 8).
@Suite struct LocalTrainerTests {
    /// The tiny model of `TabularModelTests`: three columns, the middle one with two parts.
    static let architecture = ModelArchitecture(cardinalities: [3, 4, 2, 5], columns: [0, 1, 1, 2], widthFactor: 2)

    /// 600 encoded rows of the bundled adult sample and a small model of them.
    static func adult() throws -> (architecture: ModelArchitecture, tokens: [Int32], rowCount: Int) {
        let table = try TableLoader(rowLimit: 600).load(path: Datasets.adultSample)
        let schema = TrainingPipeline.resolvingDatetimeFormats(SchemaInference().inferSchema(from: table), table: table)
        let encoder = TableEncoder(statistics: TrainingPipeline.analyze(table, schema: schema), options: EncodingOptions())
        let architecture = ModelArchitecture(cardinalities: encoder.subColumnCardinalities, columns: encoder.subColumnColumns,
                                             widthFactor: 2)
        return (architecture, encoder.encode(table), table.rowCount)
    }

    static func options(_ strategy: LocalStrategy, epochs: Int = 1) -> LocalTrainingOptions {
        var training = TrainingOptions()
        training.batchSize = 64
        training.threads = 2
        training.seed = 11
        return LocalTrainingOptions(training: training, localEpochs: epochs, strategy: strategy)
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// FedProx's objective `mean loss + μ/2‖w − anchor‖²`: its gradient matches central finite
    /// differences, both whole and for the proximal part alone (objective and gradient at μ minus at 0,
    /// where the data part cancels exactly).
    @Test func proximalGradientMatchesFiniteDifferences() {
        let (tokens, ranks) = TabularModelTests.batch(rows: 6, seed: 3)
        let initial = TabularModel(architecture: Self.architecture, seed: 5)
        var random = RandomStream(seed: 9, stream: 1)
        let anchor = initial.parameters.map { $0 + 0.3 * (2 * random.nextFloat() - 1) }
        var options = TrainingOptions()
        options.threads = 1
        let mu: Float = 0.7
        let prox = TrainingStep(model: initial, options: options, batchCapacity: 6,
                                proximal: ProximalTerm(mu: mu, anchor: anchor))
        let plain = TrainingStep(model: initial, options: options, batchCapacity: 6)
        func evaluate(_ step: TrainingStep, _ parameters: [Float]) -> (objective: Double, gradient: [Float]) {
            step.parameters = parameters
            return step.objectiveAndGradient(tokens: tokens, ranks: ranks, rowCount: 6)
        }
        let whole = checkGradient("FedProx objective", at: initial.parameters, step: 1e-3,
                                  tolerance: CheckTolerance(absolute: 2e-3, relative: 2e-2),
                                  loss: { evaluate(prox, $0).objective }, gradient: { evaluate(prox, $0).gradient })
        #expect(whole.passed, "\(whole)")
        let proximalOnly = checkGradient(
            "proximal term", at: initial.parameters, step: 1e-2, tolerance: CheckTolerance(absolute: 1e-4, relative: 1e-3),
            loss: { evaluate(prox, $0).objective - evaluate(plain, $0).objective },
            gradient: { p in zip(evaluate(prox, p).gradient, evaluate(plain, p).gradient).map { $0 - $1 } })
        #expect(proximalOnly.passed, "\(proximalOnly)")
        // And the proximal gradient is μ(w − anchor) element by element.
        let difference = zip(evaluate(prox, initial.parameters).gradient, evaluate(plain, initial.parameters).gradient).map { $0 - $1 }
        let expected = zip(initial.parameters, anchor).map { mu * ($0 - $1) }
        let check = compareValues("μ(w − anchor)", values: difference, references: expected,
                                  tolerance: CheckTolerance(absolute: 1e-6, relative: 1e-5))
        #expect(check.passed, "\(check)")
    }

    /// FedProx with μ = 0 trains exactly as FedAvg, bit for bit.
    @Test func fedProxWithZeroMuIsFedAvgBitForBit() throws {
        let adult = try Self.adult()
        let global = TabularModel(architecture: adult.architecture, seed: 2).parameters
        let fedAvg = try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                                      options: Self.options(.fedAvg)).train(global: global, round: 3)
        let fedProx = try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                                       options: Self.options(.fedProx(mu: 0))).train(global: global, round: 3)
        #expect(Self.bits(fedAvg.delta) == Self.bits(fedProx.delta))
        #expect(fedAvg.trainLoss == fedProx.trainLoss)
        #expect(fedAvg.delta.contains { $0 != 0 })
    }

    /// A larger μ keeps the local weights closer to the global ones: ‖Δ‖ falls as μ grows.
    @Test func largerMuKeepsWeightsCloserToGlobal() throws {
        let adult = try Self.adult()
        let global = TabularModel(architecture: adult.architecture, seed: 2).parameters
        var norms: [Double] = []
        for mu: Float in [0, 0.1, 1, 10] {
            let update = try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                                          options: Self.options(.fedProx(mu: mu), epochs: 2)).train(global: global, round: 1)
            var sum = 0.0
            for value in update.delta { sum += Double(value) * Double(value) }
            norms.append(sum.squareRoot())
        }
        #expect(norms[0] > norms[1] && norms[1] > norms[2] && norms[2] > norms[3], "‖Δ‖ for μ = 0, 0.1, 1, 10: \(norms)")
    }

    /// The update is `local − global`, its example count the site's training rows, its validation loss
    /// that of the incoming weights; a round is reproducible and training lowers the validation loss.
    @Test func localRoundReportsTheUpdateAndIncomingLoss() throws {
        let adult = try Self.adult()
        let global = TabularModel(architecture: adult.architecture, seed: 2).parameters
        let trainer = try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                                       options: Self.options(.fedAvg, epochs: 3))
        let update = try trainer.train(global: global, round: 1)
        #expect(update.exampleCount == 540 && update.validationRows == 60)
        #expect(update.exampleCount == trainer.exampleCount)
        #expect(update.steps == 3 * 9)
        #expect(update.validationLoss == trainer.validationLoss(of: global))
        let local = zip(global, update.delta).map { $0 + $1 }
        #expect(trainer.validationLoss(of: local) < update.validationLoss - 1, "training lowers the validation loss")
        let again = try trainer.train(global: global, round: 1)
        #expect(Self.bits(again.delta) == Self.bits(update.delta))
        let otherRound = try trainer.train(global: global, round: 2)
        #expect(Self.bits(otherRound.delta) != Self.bits(update.delta), "each round draws its own batches")
        var stepsOptions = Self.options(.fedAvg)
        stepsOptions.localSteps = 5
        let stepped = try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                                       options: stepsOptions).train(global: global, round: 1)
        #expect(stepped.steps == 5)
    }

    /// A site can continue its optimiser from round to round, and can return its round's weight average.
    @Test func optimiserStateAndWeightAverageCarryOver() throws {
        let adult = try Self.adult()
        let global = TabularModel(architecture: adult.architecture, seed: 2).parameters
        let trainer = try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                                       options: Self.options(.fedAvg))
        let first = try trainer.train(global: global, round: 1)
        #expect(first.optimizer.stepCount == first.steps)
        let next = zip(global, first.delta).map { $0 + $1 }
        let continued = try trainer.train(global: next, round: 2, optimizer: first.optimizer)
        let fresh = try trainer.train(global: next, round: 2)
        #expect(continued.optimizer.stepCount == 2 * first.steps)
        #expect(Self.bits(continued.delta) != Self.bits(fresh.delta))
        var averaged = Self.options(.fedAvg)
        averaged.averageWeights = true
        let average = try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                                       options: averaged).train(global: global, round: 1)
        // The average lags behind the last weights, towards where the round started.
        #expect(FederatedNorm.of(average.delta) < FederatedNorm.of(first.delta))
        #expect(throws: LocalTrainingError.self) {
            try trainer.train(global: global, round: 2, optimizer: AdamW(parameterCount: 3, learningRate: 0.1))
        }
    }

    /// Bad input gives errors, not crashes.
    @Test func badInputIsRefused() throws {
        let adult = try Self.adult()
        #expect(throws: LocalTrainingError.self) {
            try LocalTrainer(architecture: adult.architecture, tokens: Array(adult.tokens.dropLast()), rowCount: adult.rowCount,
                             options: Self.options(.fedAvg))
        }
        var tokens = adult.tokens
        tokens[7] = 10_000
        #expect(throws: LocalTrainingError.self) {
            try LocalTrainer(architecture: adult.architecture, tokens: tokens, rowCount: adult.rowCount, options: Self.options(.fedAvg))
        }
        #expect(throws: LocalTrainingError.self) {
            try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                             options: Self.options(.fedProx(mu: -1)))
        }
        let trainer = try LocalTrainer(architecture: adult.architecture, tokens: adult.tokens, rowCount: adult.rowCount,
                                       options: Self.options(.fedAvg))
        #expect(throws: LocalTrainingError.self) { try trainer.train(global: [0, 1, 2], round: 1) }
    }
}

enum FederatedNorm {
    static func of(_ values: [Float]) -> Double {
        var sum = 0.0
        for value in values { sum += Double(value) * Double(value) }
        return sum.squareRoot()
    }
}
