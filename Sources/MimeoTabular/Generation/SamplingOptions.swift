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
    /// `--rebalance`: the shares of some values of one categorical column (empty: the model's own shares).
    public var rebalance: [RebalanceTarget]
    /// `--edge-cases`: each row is the least likely of this many candidates (1: ordinary rows), in `edgeCasePools`.
    public var edgeCasePool: Int

    /// The candidate pools `--edge-cases` accepts; `--edge-cases` alone means `defaultEdgeCasePool`.
    public static let edgeCasePools: ClosedRange<Int> = 1...1000
    public static let defaultEdgeCasePool = 20

    /// The temperatures generation accepts.
    public static let temperatureRange: ClosedRange<Float> = 0.05...20

    public init(rareValues: RareValuePolicy = .sample, temperature: Float = 1, rebalance: [RebalanceTarget] = [],
                edgeCasePool: Int = 1) {
        self.rareValues = rareValues
        self.temperature = temperature
        self.rebalance = rebalance
        self.edgeCasePool = edgeCasePool
    }

    /// Whether these are the defaults (the rows of a model as trained, rare values resampled, no rebalancing, no
    /// edge cases).
    public var isDefault: Bool { self == SamplingOptions() }
}

/// One `--rebalance column=value:share`: the share of generated rows whose `column` is `value`.
public struct RebalanceTarget: Sendable, Equatable {
    public var column: String
    /// The value; `nil` stands for missing (an empty value in the argument).
    public var value: String?
    /// In (0, 1]; the targets of a column sum to at most 1.
    public var share: Double

    public init(column: String, value: String?, share: Double) {
        self.column = column
        self.value = value
        self.share = share
    }

    /// Parses `--rebalance` arguments: `column=value:share` (the share after the last `:`, so values may hold `:`),
    /// all of one column, each value once, shares in (0, 1] summing to at most 1.
    ///
    /// ```swift
    /// try RebalanceTarget.parse(arguments: ["income=>50K:0.5"])
    /// try RebalanceTarget.parse(arguments: ["job=student:0.2", "job=retired:0.2"])
    /// ```
    ///
    /// - Throws: `ConditionError` naming the argument and what was expected.
    public static func parse(arguments: [String]) throws(ConditionError) -> [RebalanceTarget] {
        var targets: [RebalanceTarget] = []
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), let colon = argument.lastIndex(of: ":"), colon > equals
            else {
                throw ConditionError(message: "--rebalance expects column=value:share (for example income='>50K':0.5), got '\(argument)'")
            }
            let column = String(argument[..<equals])
            let value = String(argument[argument.index(after: equals)..<colon])
            let shareText = argument[argument.index(after: colon)...]
            guard !column.isEmpty else {
                throw ConditionError(message: "--rebalance expects column=value:share with a column name, got '\(argument)'")
            }
            guard let share = Double(shareText), share.isFinite, share > 0, share <= 1 else {
                throw ConditionError(message: "--rebalance share must be a number in (0, 1], got '\(shareText)' in '\(argument)'")
            }
            if let first = targets.first, first.column != column {
                throw ConditionError(message: "--rebalance sets the shares of one column; got '\(first.column)' and '\(column)'")
            }
            let target = RebalanceTarget(column: column, value: value.isEmpty ? nil : value, share: share)
            guard !targets.contains(where: { $0.value == target.value }) else {
                throw ConditionError(message: "--rebalance gives value '\(value)' of '\(column)' twice")
            }
            targets.append(target)
        }
        let total = targets.map(\.share).reduce(0, +)
        guard total <= 1 + 1e-9 else {
            throw ConditionError(message: "--rebalance shares of '\(targets[0].column)' sum to \(total); they must sum to at most 1")
        }
        return targets
    }
}
