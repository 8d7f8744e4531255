/// The area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting one half (the Mann–Whitney statistic; equal to scikit-learn's
/// `roc_auc_score`, which integrates the ROC curve with trapezoids).
///
///     AUC = (Σ_{p ∈ positives} rank(p) − n₊(n₊ + 1)/2) / (n₊ n₋)
///
/// with ranks over all scores, tied scores sharing their mean rank.
///
/// ```swift
/// ROCAUC.compute(positiveScores: [0.9, 0.4], negativeScores: [0.4, 0.1])   // 0.875
/// ```
public enum ROCAUC {
    public static let name = "ROCAUC"
    public static let goal = MetricGoal.maximize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// The AUC of two groups of scores; nil when either is empty or a score is NaN.
    public static func compute(positiveScores: [Double], negativeScores: [Double]) -> Double? {
        let np = positiveScores.count, nn = negativeScores.count
        guard np > 0, nn > 0 else { return nil }
        var all: [(score: Double, isPositive: Bool)] = []
        all.reserveCapacity(np + nn)
        for s in positiveScores {
            if s.isNaN { return nil }
            all.append((s, true))
        }
        for s in negativeScores {
            if s.isNaN { return nil }
            all.append((s, false))
        }
        all.sort { $0.score < $1.score }
        var rankSum = 0.0
        var i = 0
        while i < all.count {
            var j = i
            var positivesHere = 0
            while j < all.count, all[j].score == all[i].score {
                if all[j].isPositive { positivesHere += 1 }
                j += 1
            }
            // Ranks i+1 ... j share their mean.
            let meanRank = Double(i + 1 + j) / 2
            rankSum += meanRank * Double(positivesHere)
            i = j
        }
        let p = Double(np), n = Double(nn)
        return (rankSum - p * (p + 1) / 2) / (p * n)
    }

    /// The AUC of `scores` for `labels` (`true` = positive); nil when one class is absent.
    public static func compute(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "one label per score")
        var positives: [Double] = [], negatives: [Double] = []
        for (s, l) in zip(scores, labels) {
            if l { positives.append(s) } else { negatives.append(s) }
        }
        return compute(positiveScores: positives, negativeScores: negatives)
    }
}
