/// The privacy part of `mimeo evaluate`: the referee's privacy section
/// (`../shared/tools/eval_synth.py`, `privacy()`), plus nearest-neighbour distance ratios and an
/// optional attribute-inference attack. Every distance is computed on `rowsUsed`'s samples; the
/// exact-match shares cover every row. Encodes to JSON with the property names below.
public struct PrivacyReport: Codable, Sendable, Equatable {
    /// Synthetic rows identical to a train row, next to the holdout's natural share.
    public var exactMatch: ExactMatchResult
    /// DCR synthetic → train next to holdout → train.
    public var distanceToClosestRecord: DistanceToClosestRecordResult
    /// Synthetic rows closer to an equal-size train sample than to the holdout (0.5 = no leak).
    public var dcrShare: DCRShareResult
    /// NNDR synthetic → train next to holdout → train.
    public var nearestNeighborDistanceRatio: NearestNeighborDistanceRatioResult
    /// The distance attack's AUC (0.5 = no leak).
    public var membershipInference: MembershipInferenceResult
    /// The attribute-inference attack, when quasi-identifiers and a sensitive column are given.
    public var attributeInference: AttributeInferenceResult?
    /// The rows behind each number.
    public var rowsUsed: PrivacySampleSizes
    /// The features the distances use.
    public var encoding: PrivacyEncodingDescription
    /// Whether this is the reference (ceiling) run: the holdout scored as if it were synthetic,
    /// half of it playing synthetic and the other half holdout in `dcrShare` and `membershipInference`.
    public var isReference: Bool
    /// The settings used.
    public var options: PrivacyOptions

    /// The numbers under the referee's JSON keys (`privacy.*` of its output), for cross-checks.
    public var refereeValues: [String: Double] {
        var values: [String: Double] = [:]
        values["exact_dup_share"] = exactMatch.syntheticShare
        values["holdout_exact_dup_share"] = exactMatch.holdoutShare
        values["dcr_syn_train_median"] = distanceToClosestRecord.synthetic.median
        values["dcr_holdout_train_median"] = distanceToClosestRecord.holdout.median
        values["dcr_syn_train_p05"] = distanceToClosestRecord.synthetic.percentile5
        values["dcr_holdout_train_p05"] = distanceToClosestRecord.holdout.percentile5
        values["dcr_zero_share_syn"] = distanceToClosestRecord.synthetic.zeroShare
        values["dcr_zero_share_holdout"] = distanceToClosestRecord.holdout.zeroShare
        values["dcr_share_closer_to_train"] = dcrShare.share
        values["dcr_share_ties"] = dcrShare.ties
        values["mia_auc"] = membershipInference.auc
        return values
    }
}

/// `ExactMatchShare` of the synthetic table, and of the holdout (the natural baseline).
public struct ExactMatchResult: Codable, Sendable, Equatable {
    public var metric = ExactMatchShare.name
    public var goal = ExactMatchShare.goal
    public var range = MetricBounds(ExactMatchShare.range)
    /// Synthetic rows identical to a train row / synthetic rows (every row, not a sample).
    public var syntheticShare: Double?
    /// Holdout rows identical to a train row / holdout rows.
    public var holdoutShare: Double?
    public var syntheticMatches: Int
    public var holdoutMatches: Int
}

/// `DistanceToClosestRecord` of synthetic and holdout rows to the whole train table.
public struct DistanceToClosestRecordResult: Codable, Sendable, Equatable {
    public var metric = DistanceToClosestRecord.name
    public var goal = DistanceToClosestRecord.goal
    public var range = MetricBounds(DistanceToClosestRecord.range)
    /// Synthetic (sampled) rows → train.
    public var synthetic: DistanceToClosestRecord.Statistics
    /// Holdout (sampled) rows → train: what a fresh draw from the population gives.
    public var holdout: DistanceToClosestRecord.Statistics
    /// Both distributions on shared bins, for charts.
    public var histogram: DistanceHistogram?
}

/// Distances to the closest train record, synthetic and holdout, counted on the same bins: 30 equal
/// bins from 0 to the larger of the two 99th percentiles; larger distances go in the last bin.
public struct DistanceHistogram: Codable, Sendable, Equatable {
    /// The 31 increasing bin edges, from 0.
    public var edges: [Double]
    public var synthetic: [Int]
    public var holdout: [Int]

    /// Counts `synthetic` and `holdout` distances (non-finite ones are skipped); `nil` when both are empty.
    public init?(synthetic: [Double], holdout: [Double], binCount: Int = 30) {
        let s = synthetic.filter(\.isFinite).sorted(), h = holdout.filter(\.isFinite).sorted()
        guard !s.isEmpty || !h.isEmpty else { return nil }
        let top = max(DistanceToClosestRecord.quantile(s, 0.99) ?? 0, DistanceToClosestRecord.quantile(h, 0.99) ?? 0)
        let upper = top > 0 ? top : 1
        edges = (0...binCount).map { upper * Double($0) / Double(binCount) }
        func count(_ values: [Double]) -> [Int] {
            var counts = [Int](repeating: 0, count: binCount)
            for value in values { counts[min(binCount - 1, max(0, Int(value / upper * Double(binCount))))] += 1 }
            return counts
        }
        self.synthetic = count(s)
        self.holdout = count(h)
    }
}

/// `DCRShare`.
public struct DCRShareResult: Codable, Sendable, Equatable {
    public var metric = DCRShare.name
    public var goal = DCRShare.goal
    public var range = MetricBounds(DCRShare.range)
    /// The share closer to the train sample (ties ½); 0.5 = no leak.
    public var share: Double?
    /// The share of exact ties.
    public var ties: Double?
    /// Synthetic rows compared.
    public var syntheticRows: Int
    /// Rows in the train sample, and in the holdout sample (equal).
    public var comparisonRowsEach: Int
}

/// `NearestNeighborDistanceRatio` of synthetic and holdout rows to the whole train table.
public struct NearestNeighborDistanceRatioResult: Codable, Sendable, Equatable {
    public var metric = NearestNeighborDistanceRatio.name
    public var goal = NearestNeighborDistanceRatio.goal
    public var range = MetricBounds(NearestNeighborDistanceRatio.range)
    public var syntheticMedian: Double?
    public var syntheticPercentile5: Double?
    public var holdoutMedian: Double?
    public var holdoutPercentile5: Double?
}

/// `MembershipInferenceAUC`.
public struct MembershipInferenceResult: Codable, Sendable, Equatable {
    public var metric = MembershipInferenceAUC.name
    public var goal = MembershipInferenceAUC.goal
    public var range = MetricBounds(MembershipInferenceAUC.range)
    public var auc: Double?
    /// Train-sample rows (members) and holdout rows (non-members) attacked.
    public var members: Int
    public var nonMembers: Int
}

/// `AttributeInferenceRisk`.
public struct AttributeInferenceResult: Codable, Sendable, Equatable {
    public var metric = AttributeInferenceRisk.name
    public var goal = AttributeInferenceRisk.goal
    public var range = MetricBounds(AttributeInferenceRisk.range)
    public var quasiIdentifiers: [String]
    public var sensitive: String
    /// The attack's accuracy on members (train-sample rows).
    public var memberAccuracy: Double?
    /// Its accuracy on non-members (holdout rows): what the population alone gives away.
    public var nonMemberAccuracy: Double?
    /// Always guessing the train's most frequent value (median for numbers), on the members.
    public var baselineAccuracy: Double?
    /// `AttributeInferenceRisk.risk(memberAccuracy:nonMemberAccuracy:)`.
    public var risk: Double?
    public var members: Int
    public var nonMembers: Int
    /// For a number column: a guess within this share of the true value counts as right.
    public var numericTolerance: Double?
}

/// The rows behind the privacy numbers, and the sampling rule.
public struct PrivacySampleSizes: Codable, Sendable, Equatable {
    /// Synthetic rows summarised (all count in `exactMatch`).
    public var syntheticTotal: Int
    /// Synthetic rows in the distance sample.
    public var synthetic: Int
    /// Holdout rows (all count in `exactMatch`).
    public var holdoutTotal: Int
    /// Holdout rows in the distance sample.
    public var holdout: Int
    /// Train rows (all are references).
    public var train: Int
    /// Train rows with a number or datetime cell that does not parse: references, but never drawn
    /// into the equal-size train sample `T'`.
    public var trainUnparseable: Int = 0
    /// Holdout rows with a number or datetime cell that does not parse: left out of the holdout
    /// sample (they count in the exact-match share).
    public var holdoutUnparseable: Int = 0
    /// The cap on synthetic and holdout rows.
    public var maxRows: Int
    /// How the cap was chosen.
    public var maxRowsRule: String
    /// The seed of every sample.
    public var seed: UInt64
}

/// The features behind the distances.
public struct PrivacyEncodingDescription: Codable, Sendable, Equatable {
    public var distance: String
    /// Columns scaled as numbers (datetimes as epoch seconds).
    public var numericColumns: [String]
    /// Numeric columns with a missing-value indicator.
    public var missingIndicators: [String]
    /// Columns one-hot encoded, and how many levels each keeps.
    public var categoricalColumns: [String]
    public var keptLevels: [Int]
    /// Categorical columns whose level cut falls inside a run of equal train counts: which of the
    /// tied levels are kept is arbitrary (the referee's pandas may keep others).
    public var tiedCutoffColumns: [String]
    /// The width of a feature row.
    public var featureCount: Int
}
