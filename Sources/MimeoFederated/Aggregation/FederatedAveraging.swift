import Foundation

/// FedAvg's arithmetic (McMahan et al., AISTATS 2017): the example-weighted mean of the sites' deltas,
/// added to the broadcast weights. Sums run in Double, over the sites in `siteIDPrecedes` order, so the
/// result is bit-identical whatever order the updates arrived in.
///
/// FedProx (Li et al., MLSys 2020) aggregates exactly like FedAvg: its proximal term μ/2‖w − w_global‖²
/// lives in the sites' training step, not here.
public enum FederatedAveraging {
    /// Σ_k n_k Δ_k / Σ_k n_k over `updates` (all of the same length, non-empty, positive counts).
    public static func weightedMeanDelta(of updates: [SiteUpdate]) -> [Double] {
        precondition(!updates.isEmpty, "at least one update")
        let ordered = updates.sorted { siteIDPrecedes($0.siteID, $1.siteID) }
        let length = ordered[0].delta.count
        var sum = [Double](repeating: 0, count: length)
        var totalExamples = 0.0
        for update in ordered {
            precondition(update.delta.count == length && update.exampleCount > 0)
            let weight = Double(update.exampleCount)
            totalExamples += weight
            update.delta.withUnsafeBufferPointer { delta in
                for i in 0..<length { sum[i] += weight * Double(delta[i]) }
            }
        }
        for i in 0..<length { sum[i] /= totalExamples }
        return sum
    }

    /// `global + meanDelta`, rounded once to Float.
    public static func apply(meanDelta: [Double], to global: [Float]) -> [Float] {
        precondition(meanDelta.count == global.count, "the delta has the model's shape")
        var weights = [Float](repeating: 0, count: global.count)
        for i in global.indices { weights[i] = Float(Double(global[i]) + meanDelta[i]) }
        return weights
    }

    /// The Euclidean norm, accumulated in Double.
    public static func l2Norm(_ values: [Float]) -> Double {
        var sum = 0.0
        for value in values { sum += Double(value) * Double(value) }
        return sum.squareRoot()
    }

    // MARK: FedAvg under secure aggregation

    /// What a site feeds into secure aggregation for example-weighted FedAvg: its delta scaled by
    /// `w / weightCap`, where `w = min(exampleCount, weightCap)` is sent (masked) as the example count.
    /// Every element then lies within the delta's own range, so the quantiser's clip bound applies to
    /// the delta, and the coordinator divides the secure sum by Σ w (`meanDelta(fromSecureSum:)`).
    /// `weightCap` is public, announced by the coordinator; a cap at or above every site's count makes
    /// this exactly FedAvg, a lower cap bounds any one site's weight.
    public static func secureAggregationInput(delta: [Float], exampleCount: Int, weightCap: Int)
        -> (values: [Double], weight: Int) {
        precondition(exampleCount > 0 && weightCap > 0, "positive counts")
        let weight = min(exampleCount, weightCap)
        let scale = Double(weight) / Double(weightCap)
        return (delta.map { Double($0) * scale }, weight)
    }

    /// The example-weighted mean delta from a secure sum of `secureAggregationInput` vectors:
    /// `sum · weightCap / Σ w`.
    public static func meanDelta(fromSecureSum sum: SecureSum, weightCap: Int) -> [Double] {
        precondition(sum.exampleCount > 0 && weightCap > 0, "positive counts")
        let factor = Double(weightCap) / Double(sum.exampleCount)
        return sum.values.map { $0 * factor }
    }
}
