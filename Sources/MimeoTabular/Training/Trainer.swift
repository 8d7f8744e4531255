import Foundation
import MimeoNN
import MimeoTensor

// Dimension key: N = rows in the table, S = sub-columns (tokens per row), B = rows in a batch.

/// Settings of a training run. `nil` means "chosen from the table's size".
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var maxEpochs: Int = 100
    /// Wall-clock budget in seconds; training stops (keeping the best weights) when it runs out.
    public var maxSeconds: Double?
    public var batchSize: Int?
    public var learningRate: Float = 3e-3
    public var weightDecay: Float = 0.01
    public var gradientClip: Float = 1.0
    /// Share of the rows held out to measure validation loss (early stopping).
    public var validationFraction: Double = 0.1
    /// Epochs without validation improvement before stopping.
    public var patience: Int = 4
    /// Share of training rows presented in the schema's column order instead of a random order.
    public var fixedOrderShare: Double = 0.5
    /// Decay of the moving average of the weights that is validated and saved (0 = raw weights).
    public var weightAverageDecay: Double = 0.995
    public var seed: UInt64 = 0
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    /// The batch size used for `rowCount` training rows.
    public func resolvedBatchSize(rowCount: Int) -> Int {
        if let batchSize { return max(1, batchSize) }
        return min(1024, max(64, rowCount / 100))
    }

    /// The time budget used for a table of `rowCount` rows and `columnCount` columns.
    public func resolvedMaxSeconds(rowCount: Int, columnCount: Int) -> Double {
        if let maxSeconds { return maxSeconds }
        let cells = Double(rowCount * max(1, columnCount))
        return min(3600, max(30, 20 + cells / 10_000))
    }
}

/// What a training run did, stored in the model file.
public struct TrainingSummary: Codable, Sendable, Equatable {
    public var trainingRows: Int
    public var validationRows: Int
    public var epochs: Double
    public var bestEpoch: Int
    public var trainLoss: Double
    public var validationLoss: Double
    public var seconds: Double
    public var rowsPerSecond: Double
    public var stopReason: String
    public var batchSize: Int
    public var seed: UInt64

    public init(trainingRows: Int, validationRows: Int, epochs: Double, bestEpoch: Int, trainLoss: Double,
                validationLoss: Double, seconds: Double, rowsPerSecond: Double, stopReason: String, batchSize: Int,
                seed: UInt64) {
        self.trainingRows = trainingRows
        self.validationRows = validationRows
        self.epochs = epochs
        self.bestEpoch = bestEpoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.seconds = seconds
        self.rowsPerSecond = rowsPerSecond
        self.stopReason = stopReason
        self.batchSize = batchSize
        self.seed = seed
    }
}

/// Why training could not produce a model.
public enum TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The loss became non-finite or exploded; no weights are worth keeping.
    case diverged(String)
    /// The estimated memory of the run exceeds the limit.
    case insufficientMemory(String)

    public var description: String {
        switch self {
        case .diverged(let message), .insufficientMemory(let message): return message
        }
    }
}

/// A snapshot of a training run for progress display.
public struct TrainingProgress: Sendable {
    public var epoch: Double
    public var maxEpochs: Int
    public var trainLoss: Double
    public var validationLoss: Double?
    public var rowsPerSecond: Double
    public var elapsed: Double
    public var remaining: Double
}

/// Trains a `TabularModel` on encoded rows: the single-machine loop (`RowSplit`, `RankSampler`,
/// `WeightAverage`, `PlateauPolicy`, time budget, progress) around `TrainingStep` (AdamW, data-parallel
/// over threads).
public struct Trainer {
    public var options: TrainingOptions

    public init(options: TrainingOptions) { self.options = options }

    /// The loss per row of guessing every token uniformly, `Σ_s ln V_s`: the yardstick for divergence.
    public static func uniformLoss(_ architecture: ModelArchitecture) -> Double {
        architecture.cardinalities.reduce(0) { $0 + log(Double(max(1, $1))) }
    }

    /// The loss per row above which training counts as diverged: 1.5 × uniform guessing, plus 1 nat.
    /// A model that learns anything stays below uniform guessing on its training rows.
    public static func explodingLoss(_ architecture: ModelArchitecture) -> Double {
        1.5 * uniformLoss(architecture) + 1
    }

    /// Trains `model` in place on `tokens` (`[N, S]`); `columnCount` sizes the default time budget.
    ///
    /// The loop around `TrainingStep`: a validation split, shuffled batches with random column orders,
    /// the moving average of the weights, learning-rate reduction on plateau, early stopping (best
    /// weights kept), the time budget and progress.
    ///
    /// - Throws: `TrainingError.diverged` when a step's loss is not finite or absurdly large, or when an
    ///   epoch ends with both the training and the validation loss above `explodingLoss` (or either not
    ///   finite). The model is then left unchanged.
    public func train(
        _ model: inout TabularModel, tokens: [Int32], rowCount N: Int, columnCount: Int,
        progress: (TrainingProgress) -> Void = { _ in }
    ) throws -> TrainingSummary {
        let start = Date()
        let architecture = model.architecture
        let S = architecture.subColumnCount
        var random = RandomStream(seed: options.seed, stream: 0x7261696E)

        let split = RowSplit(rowCount: N, validationFraction: options.validationFraction, random: &random)
        let validationCount = split.validation.count
        var trainingRows = split.training
        let batchSize = min(options.resolvedBatchSize(rowCount: trainingRows.count), max(1, trainingRows.count))
        let maxSeconds = options.resolvedMaxSeconds(rowCount: N, columnCount: columnCount)
        BLAS.beginSingleThreadedCalls()
        defer { BLAS.endSingleThreadedCalls() }
        let step = TrainingStep(model: model, options: options, batchCapacity: batchSize)
        let ranks = RankSampler(architecture: architecture, fixedOrderShare: options.fixedOrderShare)

        // Validation rows and their (fixed) orders.
        let validationTokens = gatherRows(tokens, rows: split.validation, S: S)
        var validationRandom = RandomStream(seed: options.seed, stream: 0x76616C)
        let validationRanks = ranks.ranks(count: validationCount, random: &validationRandom)
        func validationLoss(_ weights: [Float]) -> Double {
            step.meanLoss(of: TabularModel(architecture: architecture, parameters: weights), tokens: validationTokens,
                          ranks: validationRanks, count: validationCount)
        }

        var best = model.parameters
        var average = WeightAverage(initial: model.parameters, decay: options.weightAverageDecay)
        var plateau = PlateauPolicy(patience: options.patience)
        var bestEpoch = 0
        var lastTrainLoss = 0.0, lastValidationLoss = Double.nan
        var stopReason = "max epochs (\(options.maxEpochs))"
        var epochsDone = 0.0
        var rowsSeen = 0
        var throttle = ProgressThrottle()
        let stepsPerEpoch = (trainingRows.count + batchSize - 1) / batchSize
        let uniform = Self.uniformLoss(architecture), exploding = Self.explodingLoss(architecture)
        let learningRate = options.learningRate
        func diverged(_ what: String, epoch: Int, step: Int? = nil) -> TrainingError {
            let when = step.map { "in epoch \(epoch), step \($0 + 1) of \(stepsPerEpoch)" } ?? "after epoch \(epoch)"
            return .diverged(String(format: "training diverged %@: %@ (guessing every token uniformly costs %.1f "
                                    + "nats per row). No model was written; use a lower --learning-rate (this run "
                                    + "used %@; the default is 0.003).", when, what, uniform, "\(learningRate)"))
        }

        epochs: for epoch in 1...max(1, options.maxEpochs) {
            trainingRows.shuffle(using: &random)
            var epochLoss = 0.0, epochRows = 0
            for stepIndex in 0..<stepsPerEpoch {
                let rows = trainingRows[(stepIndex * batchSize)..<min(trainingRows.count, (stepIndex + 1) * batchSize)]
                let batchTokens = gatherRows(tokens, rows: rows, S: S)
                let batchRanks = ranks.ranks(count: rows.count, random: &random)
                let stepLoss: Double
                do {
                    stepLoss = try step.step(tokens: batchTokens, ranks: batchRanks, rowCount: rows.count)
                } catch {
                    switch error {
                    case .nonFiniteLoss(let loss):
                        throw diverged("the training loss became \(loss)", epoch: epoch, step: stepIndex)
                    case .explodingLoss(let perRow):
                        throw diverged(String(format: "the training loss exploded to %.4g nats per row", perRow),
                                       epoch: epoch, step: stepIndex)
                    case .nonFiniteGradient(let norm):
                        throw diverged("the gradient became \(norm)", epoch: epoch, step: stepIndex)
                    }
                }
                epochLoss += stepLoss
                epochRows += rows.count
                rowsSeen += rows.count
                average.update(with: step.parameters)
                let elapsed = Date().timeIntervalSince(start)
                epochsDone = Double(epoch - 1) + Double(stepIndex + 1) / Double(stepsPerEpoch)
                if throttle.due() {
                    let rate = Double(rowsSeen) / max(elapsed, 1e-9)
                    let remainingByEpochs = Double(options.maxEpochs) - epochsDone
                    let remaining = min(maxSeconds - elapsed,
                                        remainingByEpochs * Double(trainingRows.count) / max(rate, 1e-9))
                    progress(TrainingProgress(epoch: epochsDone, maxEpochs: options.maxEpochs,
                                              trainLoss: epochLoss / Double(max(epochRows, 1)),
                                              validationLoss: lastValidationLoss.isNaN ? nil : lastValidationLoss,
                                              rowsPerSecond: rate, elapsed: elapsed, remaining: max(0, remaining)))
                }
                if elapsed > maxSeconds {
                    stopReason = "time budget (\(Int(maxSeconds)) s)"
                    lastTrainLoss = epochLoss / Double(max(epochRows, 1))
                    let loss = validationLoss(average.weights)
                    if validationCount > 0 && !loss.isFinite {
                        throw diverged("the validation loss became \(loss)", epoch: epoch, step: stepIndex)
                    }
                    if validationCount == 0 {
                        _ = plateau.observe(lastTrainLoss, alwaysImproves: true)
                        best = average.weights; bestEpoch = epoch
                    } else if plateau.recordFinal(loss) {
                        best = average.weights; bestEpoch = epoch
                    }
                    lastValidationLoss = validationCount == 0 ? lastTrainLoss : loss
                    break epochs
                }
            }
            lastTrainLoss = epochLoss / Double(max(epochRows, 1))
            let loss = validationLoss(average.weights)
            if validationCount > 0 && !loss.isFinite {
                throw diverged("the validation loss became \(loss)", epoch: epoch)
            }
            // Both losses far above uniform guessing: not overfitting (that keeps the training loss
            // low) but weights thrown around by too large steps.
            if lastTrainLoss > exploding && (validationCount == 0 || loss > exploding) {
                throw diverged(String(format: "the training loss is %.1f and the validation loss %@ nats per row, "
                                      + "far above guessing", lastTrainLoss,
                                      validationCount == 0 ? "-" : String(format: "%.1f", loss)),
                               epoch: epoch)
            }
            lastValidationLoss = loss
            switch plateau.observe(validationCount == 0 ? lastTrainLoss : loss, alwaysImproves: validationCount == 0) {
            case .improved:
                best = average.weights
                bestEpoch = epoch
            case .noImprovement(let reduceLearningRate):
                if reduceLearningRate {
                    step.optimizer.learningRate = max(options.learningRate * 0.1, step.optimizer.learningRate * 0.5)
                }
            case .stop:
                stopReason = "early stopping (no validation improvement for \(options.patience) epochs)"
                break epochs
            }
        }
        model.parameters = best
        let bestLoss = plateau.bestLoss
        let seconds = Date().timeIntervalSince(start)
        return TrainingSummary(
            trainingRows: trainingRows.count, validationRows: validationCount, epochs: epochsDone,
            bestEpoch: bestEpoch, trainLoss: lastTrainLoss,
            validationLoss: bestLoss.isFinite ? bestLoss : (lastValidationLoss.isFinite ? lastValidationLoss : lastTrainLoss),
            seconds: seconds,
            rowsPerSecond: Double(rowsSeen) / max(seconds, 1e-9), stopReason: stopReason, batchSize: batchSize,
            seed: options.seed)
    }

    /// Draws a column order per row (see `RankSampler`) and returns each sub-column's rank: `[count, S]`.
    func makeRanks(count: Int, architecture: ModelArchitecture, random: inout RandomStream) -> [Int32] {
        RankSampler(architecture: architecture, fixedOrderShare: options.fixedOrderShare).ranks(count: count, random: &random)
    }
}

/// A raw pointer handed to worker threads that each touch a disjoint part of it.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafePointer<T>
    init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}
