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

/// Trains a `TabularModel` on encoded rows with AdamW, data-parallel over threads, with a validation
/// split, learning-rate reduction on plateau and early stopping (best weights kept).
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

        // Split rows into training and validation.
        var order = Array(0..<N)
        order.shuffle(using: &random)
        let validationCount = N >= 50 ? min(max(1, Int(Double(N) * options.validationFraction)), 20_000) : 0
        let validationRows = Array(order.prefix(validationCount))
        var trainingRows = Array(order.dropFirst(validationCount))
        let batchSize = min(options.resolvedBatchSize(rowCount: trainingRows.count), max(1, trainingRows.count))
        let maxSeconds = options.resolvedMaxSeconds(rowCount: N, columnCount: columnCount)
        let threads = max(1, min(options.threads, batchSize / 16))
        BLAS.beginSingleThreadedCalls()
        defer { BLAS.endSingleThreadedCalls() }

        let sliceSize = (batchSize + threads - 1) / threads
        let workspaces = (0..<threads).map { _ in TrainingWorkspace(architecture: architecture, capacity: sliceSize) }
        var optimizer = AdamW(parameterCount: model.layout.count, learningRate: options.learningRate,
                              weightDecay: options.weightDecay)

        // Validation rows and their (fixed) orders.
        let validationTokens = gather(tokens, rows: validationRows, S: S)
        var validationRandom = RandomStream(seed: options.seed, stream: 0x76616C)
        let validationRanks = makeRanks(count: validationCount, architecture: architecture, random: &validationRandom)

        var best = model.parameters
        // Exponential moving average of the weights: validated, kept and saved instead of the raw
        // weights, which smooths the last steps' noise out of the learned distributions.
        var averaged = model.parameters
        let averageDecay = Float(options.weightAverageDecay)
        var averageSteps = 0
        var bestLoss = Double.infinity, bestEpoch = 0
        var epochsWithoutImprovement = 0, plateauEpochs = 0
        var lastTrainLoss = 0.0, lastValidationLoss = Double.nan
        var stopReason = "max epochs (\(options.maxEpochs))"
        var epochsDone = 0.0
        var rowsSeen = 0
        var lastReport = Date.distantPast
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
            for step in 0..<stepsPerEpoch {
                let rows = Array(trainingRows[(step * batchSize)..<min(trainingRows.count, (step + 1) * batchSize)])
                let batchTokens = gather(tokens, rows: rows, S: S)
                let batchRanks = makeRanks(count: rows.count, architecture: architecture, random: &random)
                let stepLoss = runParallel(model: model, tokens: batchTokens, ranks: batchRanks, rowCount: rows.count,
                                           workspaces: workspaces, sliceSize: sliceSize, train: true,
                                           lossScale: 1 / Float(rows.count))
                if !stepLoss.isFinite {
                    throw diverged("the training loss became \(stepLoss)", epoch: epoch, step: step)
                }
                if stepLoss / Double(rows.count) > 10 * exploding {
                    throw diverged(String(format: "the training loss exploded to %.4g nats per row",
                                          stepLoss / Double(rows.count)), epoch: epoch, step: step)
                }
                epochLoss += stepLoss
                epochRows += rows.count
                rowsSeen += rows.count
                // Sum the threads' gradients, clip, step.
                for k in 1..<workspaces.count {
                    workspaces[0].gradients.withUnsafeMutableBufferPointer { sum in
                        workspaces[k].gradients.withUnsafeBufferPointer { part in
                            for i in 0..<sum.count { sum[i] += part[i] }
                        }
                    }
                }
                let norm = workspaces[0].gradients.withUnsafeMutableBufferPointer { g in
                    clipGradientNorm(g, maxNorm: options.gradientClip)
                }
                if !norm.isFinite {
                    throw diverged("the gradient became \(norm)", epoch: epoch, step: step)
                }
                workspaces[0].gradients.withUnsafeMutableBufferPointer { g in
                    model.parameters.withUnsafeMutableBufferPointer { p in
                        optimizer.step(parameters: p, gradients: UnsafeBufferPointer(g))
                    }
                }
                averageSteps += 1
                if averageDecay > 0 {
                    // Warm-up (as TensorFlow's ExponentialMovingAverage with num_updates): early on the
                    // average follows the weights closely instead of remembering the initial values.
                    let keep = min(averageDecay, Float(1 + averageSteps) / Float(10 + averageSteps))
                    let take = 1 - keep
                    averaged.withUnsafeMutableBufferPointer { average in
                        model.parameters.withUnsafeBufferPointer { current in
                            for i in 0..<average.count { average[i] = keep * average[i] + take * current[i] }
                        }
                    }
                } else {
                    averaged = model.parameters
                }
                for workspace in workspaces {
                    workspace.gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                }
                let elapsed = Date().timeIntervalSince(start)
                epochsDone = Double(epoch - 1) + Double(step + 1) / Double(stepsPerEpoch)
                if Date().timeIntervalSince(lastReport) > 0.25 {
                    lastReport = Date()
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
                    let loss = validationLoss(model: TabularModel(architecture: architecture, parameters: averaged),
                                              tokens: validationTokens, ranks: validationRanks,
                                              count: validationCount, workspaces: workspaces, sliceSize: sliceSize)
                    if validationCount > 0 && !loss.isFinite {
                        throw diverged("the validation loss became \(loss)", epoch: epoch, step: step)
                    }
                    if validationCount == 0 {
                        bestLoss = lastTrainLoss; best = averaged; bestEpoch = epoch
                    } else if loss < bestLoss {
                        bestLoss = loss; best = averaged; bestEpoch = epoch
                    }
                    lastValidationLoss = validationCount == 0 ? lastTrainLoss : loss
                    break epochs
                }
            }
            lastTrainLoss = epochLoss / Double(max(epochRows, 1))
            let loss = validationLoss(model: TabularModel(architecture: architecture, parameters: averaged),
                                      tokens: validationTokens, ranks: validationRanks,
                                      count: validationCount, workspaces: workspaces, sliceSize: sliceSize)
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
            if validationCount == 0 || loss < bestLoss - 1e-4 {
                bestLoss = validationCount == 0 ? lastTrainLoss : loss
                best = averaged
                bestEpoch = epoch
                epochsWithoutImprovement = 0
                plateauEpochs = 0
            } else {
                epochsWithoutImprovement += 1
                plateauEpochs += 1
                if plateauEpochs >= 2 {
                    optimizer.learningRate = max(options.learningRate * 0.1, optimizer.learningRate * 0.5)
                    plateauEpochs = 0
                }
                if epochsWithoutImprovement >= options.patience {
                    stopReason = "early stopping (no validation improvement for \(options.patience) epochs)"
                    break epochs
                }
            }
        }
        model.parameters = best
        let seconds = Date().timeIntervalSince(start)
        return TrainingSummary(
            trainingRows: trainingRows.count, validationRows: validationCount, epochs: epochsDone,
            bestEpoch: bestEpoch, trainLoss: lastTrainLoss,
            validationLoss: bestLoss.isFinite ? bestLoss : (lastValidationLoss.isFinite ? lastValidationLoss : lastTrainLoss),
            seconds: seconds,
            rowsPerSecond: Double(rowsSeen) / max(seconds, 1e-9), stopReason: stopReason, batchSize: batchSize,
            seed: options.seed)
    }

    /// Mean validation loss per row (summed over sub-columns).
    private func validationLoss(model: TabularModel, tokens: [Int32], ranks: [Int32], count: Int,
                                workspaces: [TrainingWorkspace], sliceSize: Int) -> Double {
        guard count > 0 else { return .nan }
        let S = model.architecture.subColumnCount
        let chunk = sliceSize * workspaces.count
        var total = 0.0
        var start = 0
        while start < count {
            let end = min(count, start + chunk)
            total += tokens.withUnsafeBufferPointer { t in
                ranks.withUnsafeBufferPointer { r in
                    runParallel(model: model, tokens: Array(t[(start * S)..<(end * S)]),
                                ranks: Array(r[(start * S)..<(end * S)]), rowCount: end - start,
                                workspaces: workspaces, sliceSize: sliceSize, train: false, lossScale: 0)
                }
            }
            start = end
        }
        return total / Double(count)
    }

    /// Splits `rowCount` rows across the workspaces' threads; returns the summed loss.
    private func runParallel(model: TabularModel, tokens: [Int32], ranks: [Int32], rowCount: Int,
                             workspaces: [TrainingWorkspace], sliceSize: Int, train: Bool, lossScale: Float) -> Double {
        let S = model.architecture.subColumnCount
        let parts = min(workspaces.count, (rowCount + sliceSize - 1) / sliceSize)
        let losses = tokens.withUnsafeBufferPointer { t in
            ranks.withUnsafeBufferPointer { r in
                let tokenBase = SendablePointer(t.baseAddress!)
                let rankBase = SendablePointer(r.baseAddress!)
                return concurrentMap(parts) { k in
                    let start = k * sliceSize, end = min(rowCount, start + sliceSize)
                    return model.lossAndGradient(
                        tokens: tokenBase.pointer + start * S, ranks: rankBase.pointer + start * S,
                        rowCount: end - start, workspace: workspaces[k], accumulateGradients: train,
                        lossScale: lossScale)
                }
            }
        }
        return losses.reduce(0, +)
    }

    private func gather(_ tokens: [Int32], rows: [Int], S: Int) -> [Int32] {
        var result = [Int32](repeating: 0, count: rows.count * S)
        tokens.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for (i, row) in rows.enumerated() {
                    (target.baseAddress! + i * S).update(from: source.baseAddress! + row * S, count: S)
                }
            }
        }
        return result
    }

    /// Draws a column order per row (the schema order for a `fixedOrderShare` of rows, otherwise a
    /// uniform random permutation) and returns each sub-column's rank: `[count, S]`.
    func makeRanks(count: Int, architecture: ModelArchitecture, random: inout RandomStream) -> [Int32] {
        let S = architecture.subColumnCount
        let columns = architecture.modelledColumns
        let parts = architecture.partIndices
        let position = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        let columnOf = architecture.columns.map { position[$0]! }
        var ranks = [Int32](repeating: 0, count: count * S)
        var permutation = Array(0..<columns.count)
        var columnRank = [Int](repeating: 0, count: columns.count)
        for b in 0..<count {
            if random.nextDouble() < options.fixedOrderShare {
                for c in 0..<columns.count { permutation[c] = c }
            } else {
                for c in 0..<columns.count { permutation[c] = c }
                for i in stride(from: columns.count - 1, to: 0, by: -1) {
                    permutation.swapAt(i, random.nextInt(below: i + 1))
                }
            }
            for (rank, c) in permutation.enumerated() { columnRank[c] = rank }
            for s in 0..<S { ranks[b * S + s] = Int32(columnRank[columnOf[s]] * 64 + parts[s]) }
        }
        return ranks
    }
}

/// A raw pointer handed to worker threads that each touch a disjoint part of it.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafePointer<T>
    init(_ pointer: UnsafePointer<T>) { self.pointer = pointer }
}
