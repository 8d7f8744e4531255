/// How many synthetic rows of each minority class `mimeo augment` adds to a real table so that every class below
/// the requested share reaches it.
///
/// With `N` real rows, share `s` and minority classes `M` (real counts `m_c`), adding `k_c = s·(N + K) − m_c` rows
/// of each gives every minority class the share `s` of the `N + K` rows, where `K = Σ k_c` solves
/// `K = |M|·s·(N + K) − Σ m_c`, that is `K = (|M|·s·N − Σ m_c) / (1 − |M|·s)`. A class is a minority when it is
/// below `s` of the augmented table; as `K` grows more classes can fall below, so the set is recomputed until it
/// is stable. Missing target values, and classes the model cannot generate (rare in training), are counted in `N`
/// but never augmented.
public struct AugmentationPlan: Sendable, Equatable {
    /// One class of the target: its value, its real rows and the synthetic rows to add.
    public struct Class: Sendable, Equatable {
        public var value: String
        public var realRows: Int
        public var syntheticRows: Int
        /// Whether the model can generate the class (false for classes rare in training).
        public var isGenerable: Bool
    }

    /// Every non-missing class of the target, most real rows first (ties by value).
    public var classes: [Class]
    /// Real rows, missing target values included.
    public var realRows: Int
    public var syntheticRows: Int { classes.map(\.syntheticRows).reduce(0, +) }

    /// Plans the augmentation of a target column (its values, `nil` for missing) to `minorityShare`; `canGenerate`
    /// says which classes the model can draw.
    ///
    /// - Throws: `ConditionError` when the share is not in (0, 0.5], the column has fewer than two classes, or the
    ///   minority classes cannot all reach the share (`|M| · s ≥ 1`).
    public init<C: Collection>(target: C, minorityShare s: Double,
                               canGenerate: (String) -> Bool = { _ in true }) throws where C.Element == String? {
        guard s.isFinite, s > 0, s <= 0.5 else {
            throw ConditionError(message: "--minority-share must be above 0 and at most 0.5, got \(s)")
        }
        var counts: [String: Int] = [:]
        var total = 0
        for value in target {
            total += 1
            if let value { counts[value, default: 0] += 1 }
        }
        guard counts.count >= 2 else {
            throw ConditionError(message: "the target has \(counts.count) class\(counts.count == 1 ? "" : "es"); augmenting needs at least two")
        }
        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let generable = Set(counts.keys.filter(canGenerate))
        var minority = Set(sorted.filter { generable.contains($0.key) && Double($0.value) < s * Double(total) }.map(\.key))
        var added = 0.0
        while true {
            let m = Double(minority.count)
            guard m * s < 1 else {
                throw ConditionError(message: "\(minority.count) classes would be below \(s), and together they cannot all reach it (classes × share must stay below 1); lower --minority-share")
            }
            let minorityRows = Double(sorted.filter { minority.contains($0.key) }.map(\.value).reduce(0, +))
            added = minority.isEmpty ? 0 : (m * s * Double(total) - minorityRows) / (1 - m * s)
            let next = Set(sorted.filter { generable.contains($0.key) && Double($0.value) < s * (Double(total) + added) }
                .map(\.key))
            if next == minority { break }
            minority = next
        }
        let augmentedRows = Double(total) + added
        classes = sorted.map { value, count in
            let extra = minority.contains(value) ? max(0, Int((s * augmentedRows - Double(count)).rounded())) : 0
            return Class(value: value, realRows: count, syntheticRows: extra, isGenerable: generable.contains(value))
        }
        realRows = total
    }
}
