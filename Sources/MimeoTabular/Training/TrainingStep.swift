import Foundation
import MimeoNN
import MimeoTensor

// Dimension key: S = sub-columns (tokens per row), B = rows in a batch, P = parameters.

/// FedProx's proximal term (Li et al., MLSys 2020): `μ/2 · ‖w − anchor‖²` added to the mean loss of
/// every batch, so local training is pulled towards the broadcast weights `anchor`. Its gradient is
/// `μ (w − anchor)`.
public struct ProximalTerm: Sendable, Equatable {
    /// μ ≥ 0; 0 adds nothing (FedAvg).
    public var mu: Float
    /// The weights the term pulls towards (the round's global weights), `[P]`.
    public var anchor: [Float]

    public init(mu: Float, anchor: [Float]) {
        precondition(mu >= 0 && mu.isFinite, "FedProx μ must be finite and non-negative")
        self.mu = mu
        self.anchor = anchor
    }

    /// `μ/2 · ‖parameters − anchor‖²`, accumulated in Double.
    public func value(at parameters: [Float]) -> Double {
        precondition(parameters.count == anchor.count, "the proximal anchor has the model's shape")
        var sum = 0.0
        for i in parameters.indices {
            let d = Double(parameters[i] - anchor[i])
            sum += d * d
        }
        return Double(mu) / 2 * sum
    }
}

/// One optimisation step on one batch: forward and backward over the batch split across threads, the
/// threads' gradients summed, the proximal term's gradient added (FedProx), the global norm clipped and
/// an AdamW update. It holds the model, the optimiser state and the threads' scratch memory, and is
/// reused for every batch of a run; the loops around it (`Trainer.train`, `LocalTrainer`) own the row
/// order, the column orders, the schedule and the stopping rules, so every kind of training takes the
/// same steps.
///
/// Not thread-safe: one loop drives one step object.
public final class TrainingStep {
    /// Why a step was refused. The model and the optimiser are unchanged when a step throws.
    public enum Failure: Error, Sendable, Equatable {
        /// The batch's summed loss is NaN or infinite.
        case nonFiniteLoss(Double)
        /// The batch's loss per row exceeds `lossLimit`.
        case explodingLoss(perRow: Double)
        /// The summed gradient's norm is NaN or infinite.
        case nonFiniteGradient(Float)
    }

    /// The model being trained; its parameters change with every step.
    public private(set) var model: TabularModel
    /// AdamW's moments, step count and learning rate (loops change the learning rate between steps).
    public var optimizer: AdamW
    /// The global L2 norm the summed gradient is clipped to.
    public let gradientClip: Float
    /// The most rows one step takes.
    public let batchCapacity: Int
    /// A batch whose loss per row exceeds this is refused (`Failure.explodingLoss`).
    public let lossLimit: Double
    /// FedProx's term, or `nil` (FedAvg and single-machine training).
    public var proximal: ProximalTerm? {
        didSet {
            if let proximal {
                precondition(proximal.anchor.count == model.parameters.count, "the proximal anchor has the model's shape")
            }
        }
    }
    let workspaces: [TrainingWorkspace]
    let sliceSize: Int

    /// A step for batches of up to `batchCapacity` rows, with `options`' learning rate, weight decay,
    /// gradient clip and threads (at most one thread per 16 rows of a batch).
    public init(model: TabularModel, options: TrainingOptions, batchCapacity: Int, proximal: ProximalTerm? = nil) {
        precondition(batchCapacity >= 1, "a batch holds at least one row")
        self.model = model
        self.batchCapacity = batchCapacity
        gradientClip = options.gradientClip
        lossLimit = 10 * Trainer.explodingLoss(model.architecture)
        let threads = max(1, min(options.threads, batchCapacity / 16))
        let slice = (batchCapacity + threads - 1) / threads
        let architecture = model.architecture
        sliceSize = slice
        workspaces = (0..<threads).map { _ in TrainingWorkspace(architecture: architecture, capacity: slice) }
        optimizer = AdamW(parameterCount: model.layout.count, learningRate: options.learningRate,
                          weightDecay: options.weightDecay)
        if let proximal {
            precondition(proximal.anchor.count == model.parameters.count, "the proximal anchor has the model's shape")
        }
        self.proximal = proximal
    }

    /// The model's parameters (setting them keeps the optimiser's state).
    public var parameters: [Float] {
        get { model.parameters }
        set {
            precondition(newValue.count == model.parameters.count, "parameters of another architecture")
            model.parameters = newValue
        }
    }

    /// Trains on one batch: `tokens` and `ranks` are `[rowCount, S]`. Returns the batch's summed loss
    /// (the data loss, without the proximal term).
    public func step(tokens: [Int32], ranks: [Int32], rowCount: Int) throws(Failure) -> Double {
        let loss = accumulateGradients(tokens: tokens, ranks: ranks, rowCount: rowCount)
        defer { clearGradients() }
        if !loss.isFinite { throw .nonFiniteLoss(loss) }
        if loss / Double(rowCount) > lossLimit { throw .explodingLoss(perRow: loss / Double(rowCount)) }
        let norm = workspaces[0].gradients.withUnsafeMutableBufferPointer { g in
            clipGradientNorm(g, maxNorm: gradientClip)
        }
        if !norm.isFinite { throw .nonFiniteGradient(norm) }
        workspaces[0].gradients.withUnsafeMutableBufferPointer { g in
            model.parameters.withUnsafeMutableBufferPointer { p in
                optimizer.step(parameters: p, gradients: UnsafeBufferPointer(g))
            }
        }
        return loss
    }

    /// The objective a step descends, `mean loss + μ/2‖w − anchor‖²`, and its gradient (before
    /// clipping), at the current parameters; changes nothing. For gradient checks.
    public func objectiveAndGradient(tokens: [Int32], ranks: [Int32], rowCount: Int) -> (objective: Double, gradient: [Float]) {
        let loss = accumulateGradients(tokens: tokens, ranks: ranks, rowCount: rowCount)
        let gradient = workspaces[0].gradients
        clearGradients()
        return (loss / Double(rowCount) + (proximal?.value(at: model.parameters) ?? 0), gradient)
    }

    /// Mean loss per row of `model` (by default the step's own) on `count` rows, without gradients;
    /// `.nan` for no rows.
    public func meanLoss(of model: TabularModel? = nil, tokens: [Int32], ranks: [Int32], count: Int) -> Double {
        guard count > 0 else { return .nan }
        let model = model ?? self.model
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
                                train: false, lossScale: 0)
                }
            }
            start = end
        }
        return total / Double(count)
    }

    /// Forward and backward over the threads; leaves the summed gradient of the mean loss (plus the
    /// proximal gradient) in `workspaces[0].gradients` and returns the summed loss.
    private func accumulateGradients(tokens: [Int32], ranks: [Int32], rowCount: Int) -> Double {
        precondition(rowCount >= 1 && rowCount <= batchCapacity, "a batch of 1...\(batchCapacity) rows")
        let loss = runParallel(model: model, tokens: tokens, ranks: ranks, rowCount: rowCount, train: true,
                               lossScale: 1 / Float(rowCount))
        for k in 1..<workspaces.count {
            workspaces[0].gradients.withUnsafeMutableBufferPointer { sum in
                workspaces[k].gradients.withUnsafeBufferPointer { part in
                    for i in 0..<sum.count { sum[i] += part[i] }
                }
            }
        }
        if let proximal, proximal.mu > 0 {
            let mu = proximal.mu
            workspaces[0].gradients.withUnsafeMutableBufferPointer { g in
                model.parameters.withUnsafeBufferPointer { w in
                    proximal.anchor.withUnsafeBufferPointer { a in
                        for i in 0..<g.count { g[i] += mu * (w[i] - a[i]) }
                    }
                }
            }
        }
        return loss
    }

    private func clearGradients() {
        for workspace in workspaces {
            workspace.gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// Splits `rowCount` rows across the workspaces' threads; returns the summed loss.
    private func runParallel(model: TabularModel, tokens: [Int32], ranks: [Int32], rowCount: Int,
                             train: Bool, lossScale: Float) -> Double {
        let S = model.architecture.subColumnCount
        let workspaces = self.workspaces, sliceSize = self.sliceSize
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
}
