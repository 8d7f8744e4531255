import MimeoData

/// The real and synthetic distributions of one column, binned the same way, for one chart.
///
/// Number and datetime columns get a `histogram`; categorical and boolean columns get
/// `categories`. Counts are rows, not shares: the two tables usually differ in size, and the
/// report divides by `realRowCount` and `syntheticRowCount` when it draws.
public struct ColumnDistribution: Codable, Sendable, Equatable {
    /// The column's name.
    public var column: String
    /// Its kind in the schema.
    public var kind: ColumnKind
    /// The fidelity metric that scored it (`KSComplement`, `TVComplement`), if it was scored.
    public var metric: String?
    /// Its fidelity score (Column Shapes), if it has one.
    public var score: Double?
    /// Rows of the real table, and of the synthetic sample.
    public var realRowCount: Int
    public var syntheticRowCount: Int
    /// Missing cells (and, for numbers and datetimes, cells that do not parse).
    public var realMissing: Int
    public var syntheticMissing: Int
    /// Number and datetime columns: counts on shared bins; `nil` when neither side has a value.
    public var histogram: Histogram?
    /// Categorical and boolean columns (and datetimes whose format cannot be read).
    public var categories: CategoryCounts?
}

/// Counts of real and synthetic values on the same bins.
///
/// Bin `i` holds values in `edges[i] ..< edges[i + 1]`; the last bin also holds `edges.last`.
/// The bins cover the real range, so synthetic values outside it are counted apart.
public struct Histogram: Codable, Sendable, Equatable {
    /// How to read the edges.
    public enum Scale: String, Codable, Sendable {
        /// Plain numbers.
        case number
        /// Seconds since 1970-01-01T00:00:00 UTC.
        case datetime
    }

    public var scale: Scale
    /// Whether each bin holds exactly one whole number (`edges` are `k - 0.5`): integer columns
    /// with few distinct values.
    public var isIntegerAligned: Bool
    /// The `binCount + 1` increasing edges.
    public var edges: [Double]
    /// Real values per bin.
    public var real: [Int]
    /// Synthetic values per bin.
    public var synthetic: [Int]
    /// Synthetic values below `edges.first`, and above `edges.last`.
    public var syntheticBelow: Int
    public var syntheticAbove: Int

    /// Counts `real` and `synthetic` (NaN: missing, skipped) on the bins the real values span.
    ///
    /// - Numbers: `binCount` equal-width bins from the real minimum to the real maximum.
    /// - Whole numbers (`integerAligned`, and every real value whole): bins of a whole width
    ///   centred on whole numbers, so that each bin holds as many possible values as the next
    ///   (one per bin when the values span at most `binCount` of them).
    /// - A constant column gets one bin of width 1 around its value; with no real values the
    ///   synthetic range is used instead. Returns `nil` when neither side has a value.
    public init?(real: [Double], synthetic: [Double], binCount: Int, scale: Scale, integerAligned: Bool) {
        precondition(binCount > 0, "at least one bin")
        var range = Self.range(real)
        if range == nil { range = Self.range(synthetic) }
        guard let (low, high) = range else { return nil }
        self.scale = scale
        // Synthetic values outside `lowerLimit ... upperLimit` are counted apart.
        var lowerLimit = low, upperLimit = high
        if integerAligned, low.rounded() == low, high.rounded() == high,
           real.allSatisfy({ $0.isNaN || $0.rounded() == $0 }), high - low < 1e15 {
            let values = high - low + 1
            let width = (values / Double(binCount)).rounded(.up)
            let bins = Int((values / width).rounded(.up))
            isIntegerAligned = width == 1
            edges = (0 ... bins).map { low - 0.5 + Double($0) * width }
            lowerLimit = low - 0.5
            upperLimit = high + 0.5
        } else if low == high {
            isIntegerAligned = false
            edges = [low - 0.5, low + 0.5]
        } else {
            isIntegerAligned = false
            let step = (high - low) / Double(binCount)
            edges = (0 ... binCount).map { low + Double($0) * step }
            edges[binCount] = high
        }
        let bins = edges.count - 1
        self.real = Array(repeating: 0, count: bins)
        self.synthetic = Array(repeating: 0, count: bins)
        syntheticBelow = 0
        syntheticAbove = 0
        for x in real where !x.isNaN {
            if let bin = bin(of: x) { self.real[bin] += 1 }
        }
        for x in synthetic where !x.isNaN {
            if x < max(edges[0], lowerLimit) {
                syntheticBelow += 1
            } else if x > min(edges[bins], upperLimit) {
                syntheticAbove += 1
            } else if let bin = bin(of: x) {
                self.synthetic[bin] += 1
            }
        }
    }

    /// The bin holding `x`, or `nil` outside the edges.
    public func bin(of x: Double) -> Int? {
        let bins = edges.count - 1
        guard x >= edges[0], x <= edges[bins] else { return nil }
        var low = 0, high = bins
        // The last edge <= x, among edges[0 ..< bins].
        while high - low > 1 {
            let mid = (low + high) / 2
            if edges[mid] <= x { low = mid } else { high = mid }
        }
        return low
    }

    private static func range(_ values: [Double]) -> (Double, Double)? {
        var low = Double.infinity, high = -Double.infinity
        for x in values where !x.isNaN {
            low = min(low, x)
            high = max(high, x)
        }
        return low <= high ? (low, high) : nil
    }
}

/// Counts of real and synthetic values of a category column: the most frequent real categories
/// one by one, then the rest together, then missing cells.
public struct CategoryCounts: Codable, Sendable, Equatable {
    /// What a bar stands for.
    public enum Role: String, Codable, Sendable {
        /// One category.
        case value
        /// Every category not drawn on its own (real or synthetic).
        case other
        /// Missing cells.
        case missing
    }

    /// One bar pair.
    public struct Bar: Codable, Sendable, Equatable {
        /// The category, or a description for `other` and `missing`.
        public var label: String
        public var role: Role
        public var real: Int
        public var synthetic: Int
    }

    /// The bars in drawing order: values by decreasing real count (ties by label), then `other`
    /// and `missing` when either side has some.
    public var bars: [Bar]
    /// Distinct real categories.
    public var realCategoryCount: Int
    /// Synthetic rows holding a category the real table lacks (they count in `other`).
    public var syntheticUnseen: Int

    /// Counts the cells of both sides (`nil`: missing), keeping `top` categories apart.
    public init(real: [String?], synthetic: [String?], top: Int) {
        var realCounts: [String: Int] = [:], syntheticCounts: [String: Int] = [:]
        var realMissing = 0, syntheticMissing = 0
        for cell in real {
            if let cell { realCounts[cell, default: 0] += 1 } else { realMissing += 1 }
        }
        for cell in synthetic {
            if let cell { syntheticCounts[cell, default: 0] += 1 } else { syntheticMissing += 1 }
        }
        let ranked = realCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let shown = ranked.prefix(max(top, 0))
        var bars = shown.map { Bar(label: $0.key, role: .value, real: $0.value, synthetic: syntheticCounts[$0.key] ?? 0) }
        let shownNames = Set(shown.map(\.key))
        let otherReal = ranked.dropFirst(shown.count).reduce(0) { $0 + $1.value }
        let otherNames = ranked.count - shown.count
        var otherSynthetic = 0, unseen = 0, unseenNames = 0
        for (name, count) in syntheticCounts where !shownNames.contains(name) {
            otherSynthetic += count
            if realCounts[name] == nil {
                unseen += count
                unseenNames += 1
            }
        }
        if otherReal + otherSynthetic > 0 {
            // "other (4)", "other (4 + 1 new)", "other (1 new)": new = only in the synthetic table.
            let parts = [otherNames > 0 ? "\(otherNames)" : nil, unseenNames > 0 ? "\(unseenNames) new" : nil]
            bars.append(Bar(label: "other (\(parts.compactMap { $0 }.joined(separator: " + ")))",
                            role: .other, real: otherReal, synthetic: otherSynthetic))
        }
        if realMissing + syntheticMissing > 0 {
            bars.append(Bar(label: "missing", role: .missing, real: realMissing, synthetic: syntheticMissing))
        }
        self.bars = bars
        realCategoryCount = realCounts.count
        syntheticUnseen = unseen
    }
}
