/// Attribute-inference risk: an attacker who knows some columns of a real person's row (the
/// quasi-identifiers, `--quasi-identifiers a,b,c`) finds the closest synthetic row on those
/// columns and reads off its sensitive column (`--sensitive col`) as a guess (Anonymeter's
/// inference attack, with Mimeo's distance).
///
/// The attack runs against members (the train sample of `DCRShare`) and, as control, non-members
/// (holdout rows): a generator that learned the population helps the attacker as much on both,
/// so only the excess on members is a leak. The risk is Anonymeter's normalisation of that excess:
///
///     risk = max(0, (accuracy_members − accuracy_nonMembers) / (1 − accuracy_nonMembers))
///
/// A category guess is right when it equals the true value (missing counts as a value); a number
/// guess when `|guess − truth| ≤ tolerance · |truth|`. The nearest synthetic row on the
/// quasi-identifiers uses the same features as the distances (min-max numbers, one-hot categories);
/// among synthetic rows at the same distance, the first in sample order (a seeded random pick).
/// `baselineAccuracy` is a guess without the synthetic data: always the train's most frequent
/// value (a number target: the train median), scored on the members.
public enum AttributeInferenceRisk {
    public static let name = "AttributeInferenceRisk"
    public static let goal = MetricGoal.minimize
    public static let range: ClosedRange<Double> = 0 ... 1

    /// Anonymeter's risk from the attack's accuracy on members and on non-members.
    public static func risk(memberAccuracy: Double, nonMemberAccuracy: Double) -> Double {
        guard nonMemberAccuracy < 1 else { return 0 }
        return max(0, (memberAccuracy - nonMemberAccuracy) / (1 - nonMemberAccuracy))
    }

    /// Whether a guess is right (see the type's description).
    static func isCorrect(guess: SensitiveValue, truth: SensitiveValue, tolerance: Double) -> Bool {
        switch (guess, truth) {
        case (.category(let g), .category(let t)):
            return g == t
        case (.number(let g), .number(let t)):
            if g.isNaN || t.isNaN { return g.isNaN && t.isNaN }
            return abs(g - t) <= tolerance * abs(t)
        default:
            return false
        }
    }
}
