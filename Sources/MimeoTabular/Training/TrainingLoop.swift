import Foundation
import MimeoTensor

// The loop policies around `TrainingStep`: which rows validate, how batches and column orders are
// drawn, the moving average of the weights, the learning-rate schedule and early stopping, and how
// often progress is shown. `Trainer.train` (single machine) and `LocalTrainer` (one federated round)
// compose them differently around the same step.
// Dimension key: N = rows, S = sub-columns (tokens per row).

/// The split of a table's rows into training and validation rows.
public struct RowSplit: Sendable, Equatable {
    public var training: [Int]
    public var validation: [Int]

    /// Shuffles `0..<rowCount` with `random` and holds out `validationFraction` of the rows (at least
    /// one, at most 20,000); tables under 50 rows keep every row for training.
    public init(rowCount N: Int, validationFraction: Double, random: inout RandomStream) {
        var order = Array(0..<N)
        order.shuffle(using: &random)
        let validationCount = N >= 50 ? min(max(1, Int(Double(N) * validationFraction)), 20_000) : 0
        validation = Array(order.prefix(validationCount))
        training = Array(order.dropFirst(validationCount))
    }
}

/// Draws a column order per row: the schema order for a `fixedOrderShare` of rows, otherwise a uniform
/// random permutation, written as each sub-column's rank (`column rank · 64 + part`).
public struct RankSampler: Sendable {
    public let architecture: ModelArchitecture
    public let fixedOrderShare: Double
    private let columnCount: Int
    private let columnOf: [Int]
    private let parts: [Int]

    public init(architecture: ModelArchitecture, fixedOrderShare: Double) {
        self.architecture = architecture
        self.fixedOrderShare = fixedOrderShare
        let columns = architecture.modelledColumns
        let position = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        columnCount = columns.count
        columnOf = architecture.columns.map { position[$0]! }
        parts = architecture.partIndices
    }

    /// The ranks of `count` rows, `[count, S]`.
    public func ranks(count: Int, random: inout RandomStream) -> [Int32] {
        let S = architecture.subColumnCount
        var ranks = [Int32](repeating: 0, count: count * S)
        var permutation = Array(0..<columnCount)
        var columnRank = [Int](repeating: 0, count: columnCount)
        for b in 0..<count {
            if random.nextDouble() < fixedOrderShare {
                for c in 0..<columnCount { permutation[c] = c }
            } else {
                for c in 0..<columnCount { permutation[c] = c }
                for i in stride(from: columnCount - 1, to: 0, by: -1) {
                    permutation.swapAt(i, random.nextInt(below: i + 1))
                }
            }
            for (rank, c) in permutation.enumerated() { columnRank[c] = rank }
            for s in 0..<S { ranks[b * S + s] = Int32(columnRank[columnOf[s]] * 64 + parts[s]) }
        }
        return ranks
    }
}

/// Copies the token rows `rows` of `tokens` (`[N, S]`) into a `[rows.count, S]` batch.
public func gatherRows(_ tokens: [Int32], rows: some Collection<Int>, S: Int) -> [Int32] {
    var result = [Int32](repeating: 0, count: rows.count * S)
    tokens.withUnsafeBufferPointer { source in
        result.withUnsafeMutableBufferPointer { target in
            for (i, row) in rows.enumerated() {
                precondition(row >= 0 && (row + 1) * S <= source.count, "row \(row) out of range")
                (target.baseAddress! + i * S).update(from: source.baseAddress! + row * S, count: S)
            }
        }
    }
    return result
}

/// Exponential moving average of the weights, validated and saved instead of the raw weights: it
/// smooths the last steps' noise out of the learned distributions.
public struct WeightAverage: Sendable {
    /// The averaged weights.
    public private(set) var weights: [Float]
    public let decay: Float
    private var steps = 0

    /// An average starting at `initial`; `stepsBefore` continues the warm-up of an earlier run (a site's
    /// earlier rounds).
    public init(initial: [Float], decay: Double, stepsBefore: Int = 0) {
        weights = initial
        self.decay = Float(decay)
        steps = max(0, stepsBefore)
    }

    /// Folds in the weights after one more step. Warm-up (as TensorFlow's ExponentialMovingAverage with
    /// num_updates): early on the average follows the weights closely instead of remembering the initial
    /// values. A decay of 0 keeps the raw weights.
    public mutating func update(with current: [Float]) {
        steps += 1
        guard decay > 0 else {
            weights = current
            return
        }
        let keep = min(decay, Float(1 + steps) / Float(10 + steps))
        let take = 1 - keep
        weights.withUnsafeMutableBufferPointer { average in
            current.withUnsafeBufferPointer { current in
                for i in 0..<average.count { average[i] = keep * average[i] + take * current[i] }
            }
        }
    }
}

/// Early stopping and learning-rate reduction on plateau, driven by one loss per epoch (or round).
public struct PlateauPolicy: Sendable {
    /// What to do after a loss.
    public enum Decision: Sendable, Equatable {
        /// A new best: keep these weights.
        case improved
        /// No improvement; `reduceLearningRate` after two such epochs in a row.
        case noImprovement(reduceLearningRate: Bool)
        /// No improvement for `patience` epochs: stop.
        case stop
    }

    public let patience: Int
    /// An improvement must beat the best loss by more than this.
    public let margin: Double
    public private(set) var bestLoss = Double.infinity
    private var epochsWithoutImprovement = 0
    private var plateauEpochs = 0

    public init(patience: Int, margin: Double = 1e-4) {
        self.patience = patience
        self.margin = margin
    }

    /// Records `loss`; `alwaysImproves` (no validation rows) counts every epoch as a new best.
    public mutating func observe(_ loss: Double, alwaysImproves: Bool = false) -> Decision {
        if alwaysImproves || loss < bestLoss - margin {
            bestLoss = loss
            epochsWithoutImprovement = 0
            plateauEpochs = 0
            return .improved
        }
        epochsWithoutImprovement += 1
        plateauEpochs += 1
        var reduce = false
        if plateauEpochs >= 2 {
            reduce = true
            plateauEpochs = 0
        }
        if epochsWithoutImprovement >= patience { return .stop }
        return .noImprovement(reduceLearningRate: reduce)
    }

    /// Sets the best loss without the margin (a run cut short by the clock keeps any better loss).
    public mutating func recordFinal(_ loss: Double) -> Bool {
        guard loss < bestLoss else { return false }
        bestLoss = loss
        return true
    }
}

/// Calls a progress handler at most four times a second.
public struct ProgressThrottle {
    private var last = Date.distantPast
    public let interval: Double

    public init(interval: Double = 0.25) { self.interval = interval }

    /// Whether enough time has passed since the last report (and, if so, restarts the clock).
    public mutating func due() -> Bool {
        guard Date().timeIntervalSince(last) > interval else { return false }
        last = Date()
        return true
    }
}
