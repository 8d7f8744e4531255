/// Spellings and limits shared by every column encoding.
public enum ReservedTokens {
    /// What a category seen fewer than `rareThreshold` times becomes in output.
    public static let rare = "_RARE_"
}

/// Options that decide how statistics become an encoding.
public struct EncodingOptions: Codable, Sendable, Equatable {
    /// A value seen fewer than this many times never appears verbatim in output (categories and
    /// exact numeric values).
    public var rareThreshold: Int = 5
    /// At most this many tokens for a number column (exact values plus ranges).
    public var maxNumericBins: Int = 100
    /// Wide number columns get a second sub-column splitting each range into at most this many parts.
    public var numericSubRanges: Int = 10
    /// At most this many categories per column; the least frequent beyond it become `_RARE_`.
    public var maxCategories: Int = 10_000

    public init(rareThreshold: Int = 5, maxNumericBins: Int = 100, numericSubRanges: Int = 10,
                maxCategories: Int = 10_000) {
        self.rareThreshold = rareThreshold
        self.maxNumericBins = maxNumericBins
        self.numericSubRanges = numericSubRanges
        self.maxCategories = maxCategories
    }
}
