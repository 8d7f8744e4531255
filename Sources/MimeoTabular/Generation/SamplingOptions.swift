/// What generation writes where the model draws the token that stands for a column's rare values (categories
/// seen fewer than the rare threshold in training, which never appear verbatim in output).
public enum RareValuePolicy: String, CaseIterable, Sendable, Codable {
    /// Never draw the rare token: the column's value is drawn from the model's distribution over its other tokens
    /// (the rare token's probability is spread over them in proportion). The default.
    case sample
    /// Write the literal `_RARE_`.
    case token
    /// Write a missing value (an empty field).
    case null
}

/// How a sampler turns the model's distributions into rows, beyond the seed and the conditions.
public struct SamplingOptions: Sendable, Equatable {
    /// What stands in for rare values.
    public var rareValues: RareValuePolicy
    /// Every head's logits are divided by this before sampling: 1 samples the model as trained, above 1 flattens
    /// its distributions (more unusual rows), below 1 sharpens them. Finite, in `temperatureRange`.
    public var temperature: Float

    /// The temperatures generation accepts.
    public static let temperatureRange: ClosedRange<Float> = 0.05...20

    public init(rareValues: RareValuePolicy = .sample, temperature: Float = 1) {
        self.rareValues = rareValues
        self.temperature = temperature
    }

    /// Whether these are the defaults (the rows of a model as trained, rare values resampled).
    public var isDefault: Bool { self == SamplingOptions() }
}
