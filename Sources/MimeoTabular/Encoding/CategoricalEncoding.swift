import MimeoTensor

/// Per-chunk statistics of a categorical (or boolean) column: exact value counts, so `reduce` is exact.
public struct CategoricalStatistics: Codable, Sendable, Equatable {
    public var counts: [String: Int] = [:]
    public var nullCount = 0

    public init() {}

    /// Counts the values of one chunk.
    public static func analyze<C: Collection>(_ values: C) -> CategoricalStatistics where C.Element == String? {
        var statistics = CategoricalStatistics()
        for value in values {
            if let value { statistics.counts[value, default: 0] += 1 } else { statistics.nullCount += 1 }
        }
        return statistics
    }

    /// Merges the statistics of another chunk into these.
    public mutating func reduce(_ other: CategoricalStatistics) {
        counts.merge(other.counts, uniquingKeysWith: +)
        nullCount += other.nullCount
    }
}

/// A categorical column as one token: a null token (if the column has missing values), `_RARE_` (if some
/// value is rare), then the frequent values, most frequent first.
public struct CategoricalEncoding: Codable, Sendable, Equatable {
    /// The output spelling of each token; `nil` for the null token.
    public var values: [String?]
    /// The token of missing values, if the column has any.
    public var nullToken: Int32?
    /// The token standing for all rare values, if any.
    public var rareToken: Int32?

    /// Chooses the vocabulary from reduced statistics.
    public init(statistics: CategoricalStatistics, options: EncodingOptions) {
        self.init(valueCounts: statistics.counts, distinctCount: statistics.counts.count,
                  nullCount: statistics.nullCount, options: options)
    }

    /// Chooses the vocabulary from the counts of (at least) every value that reaches
    /// `options.rareThreshold`, out of `distinctCount` distinct values in all: the federated
    /// agreement knows only the frequent values verbatim and the others by number.
    public init(valueCounts: [String: Int], distinctCount: Int, nullCount: Int, options: EncodingOptions) {
        var values: [String?] = []
        if nullCount > 0 {
            nullToken = Int32(values.count)
            values.append(nil)
        }
        let sorted = valueCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        // At most `ModelFile.Limits.maximumVocabulary` groups of 64 tokens, whatever `maxCategories` says.
        let limit = ModelFile.Limits.maximumVocabulary * Self.groupWidth - 2
        let frequent = sorted.prefix { $0.value >= options.rareThreshold }.prefix(min(max(0, options.maxCategories), limit))
        if frequent.count < max(sorted.count, distinctCount) {
            rareToken = Int32(values.count)
            values.append(ReservedTokens.rare)
        }
        values.append(contentsOf: frequent.map(\.key))
        if values.isEmpty {
            // An empty column still needs one token to sample.
            nullToken = 0
            values.append(nil)
        }
        self.values = values
    }

    /// The number of tokens.
    public var cardinality: Int { values.count }

    /// Vocabularies larger than this are split into two sub-columns (group, then member), so that no
    /// head has to score thousands of classes.
    public static let splitThreshold = 256
    /// Members per group when split.
    public static let groupWidth = 64

    /// The vocabulary sizes of the sub-columns: one, or (groups, `groupWidth`) for large vocabularies.
    /// Tokens are ordered by frequency, so group 0 holds the most frequent values.
    public var subColumnCardinalities: [Int] {
        let V = cardinality
        guard V > Self.splitThreshold else { return [V] }
        return [(V + Self.groupWidth - 1) / Self.groupWidth, Self.groupWidth]
    }

    /// Writes the sub-column tokens of `token`.
    public func split(_ token: Int32, into tokens: UnsafeMutablePointer<Int32>) {
        if cardinality > Self.splitThreshold {
            tokens[0] = token / Int32(Self.groupWidth)
            tokens[1] = token % Int32(Self.groupWidth)
        } else {
            tokens[0] = token
        }
    }

    /// The token of the sub-column tokens (a member past the end of the last group becomes the last value).
    public func join(_ tokens: UnsafePointer<Int32>) -> Int32 {
        guard cardinality > Self.splitThreshold else { return tokens[0] }
        return min(tokens[0] * Int32(Self.groupWidth) + tokens[1], Int32(cardinality - 1))
    }

    /// A lookup from spelling to token, for encoding many values.
    public func makeLookup() -> [String: Int32] {
        var lookup: [String: Int32] = [:]
        for (token, value) in values.enumerated() {
            if let value, Int32(token) != rareToken { lookup[value] = Int32(token) }
        }
        return lookup
    }

    /// The token of `value` (`_RARE_` for unseen or rare values, the null token for `nil`).
    public func encode(_ value: String?, lookup: [String: Int32]) -> Int32 {
        guard let value else { return nullToken ?? rareToken ?? 0 }
        return lookup[value] ?? rareToken ?? nullToken ?? 0
    }

    /// The spelling of `token`, or `nil` for missing.
    public func decode(_ token: Int32) -> String? {
        values[Int(token)]
    }
}
