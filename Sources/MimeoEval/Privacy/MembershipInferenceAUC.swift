/// The AUC of a distance-based membership-inference attack (the referee's `mia_auc`): the attacker
/// scores each real row by minus its distance to the closest synthetic row, and the AUC measures
/// how well that separates members (a train sample) from non-members (holdout rows of equal
/// number). 0.5 means the synthetic rows are no closer to the rows they were trained on.
///
/// ```swift
/// MembershipInferenceAUC.compute(memberDistances: [0, 0.1], nonMemberDistances: [0.5, 0.7])  // 1
/// ```
public enum MembershipInferenceAUC {
    public static let name = "MembershipInferenceAUC"
    /// Lower is safer; 0.5 is no leak.
    public static let goal = MetricGoal.minimize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// The attack's AUC (ties count one half); nil when either side is empty.
    public static func compute(memberDistances: [Double], nonMemberDistances: [Double]) -> Double? {
        ROCAUC.compute(positiveScores: memberDistances.map { -$0 }, negativeScores: nonMemberDistances.map { -$0 })
    }
}
