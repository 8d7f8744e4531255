import Foundation

/// A mergeable quantile sketch with a relative-error guarantee: DDSketch (Masson, Rim & Lee, VLDB 2019)
/// with unbounded stores. A non-zero value x falls in bucket `i = ⌈log_γ |x|⌉` of its sign, the interval
/// `(γ^(i−1), γ^i]` in magnitude, with `γ = (1 + α)/(1 − α)`; zero has a bucket of its own. The sketch
/// holds only bucket indices and counts, never a value, so merging the sites' sketches (adding counts)
/// gives exactly the sketch of the pooled values, whatever the order.
///
/// Stated error: the value the sketch returns for a rank (`quantile`, the bucket's midpoint
/// `2γ^i/(γ + 1)`) is within relative error α of the pooled value at that rank; a bucket's bounds are
/// within a factor γ of every value in it (relative error `boundError` = γ − 1 ≈ 2α).
public struct RelativeErrorSketch: Codable, Sendable, Equatable {
    /// α, the relative accuracy.
    public let relativeAccuracy: Double
    /// Counts of positive values by bucket index.
    public private(set) var positive: [Int32: Int] = [:]
    /// Counts of negative values by the bucket index of their magnitude.
    public private(set) var negative: [Int32: Int] = [:]
    /// Count of zeros.
    public private(set) var zeroCount = 0

    /// The accuracy sites use unless told otherwise: 0.5 %.
    public static let defaultRelativeAccuracy = 0.005

    /// An empty sketch; α must be in [10⁻⁴, 0.5].
    public init(relativeAccuracy: Double = RelativeErrorSketch.defaultRelativeAccuracy) {
        precondition(relativeAccuracy >= 1e-4 && relativeAccuracy <= 0.5, "relative accuracy in [1e-4, 0.5]")
        self.relativeAccuracy = relativeAccuracy
    }

    /// γ = (1 + α)/(1 − α).
    public var gamma: Double { (1 + relativeAccuracy) / (1 - relativeAccuracy) }
    /// How far a bucket bound may be from a value in the bucket, relative to the value: γ − 1.
    public var boundError: Double { gamma - 1 }
    private var logGamma: Double { log(gamma) }

    /// The number of values added.
    public var count: Int { zeroCount + positive.values.reduce(0, +) + negative.values.reduce(0, +) }

    /// The bucket index of a non-zero finite magnitude.
    public func index(of magnitude: Double) -> Int32 {
        Int32((log(magnitude) / logGamma).rounded(.up))
    }

    /// Adds `count` copies of the finite value `value`.
    public mutating func add(_ value: Double, count: Int = 1) {
        precondition(value.isFinite && count >= 0, "a finite value and a non-negative count")
        if value == 0 { zeroCount += count; return }
        let i = index(of: abs(value))
        if value > 0 { positive[i, default: 0] += count } else { negative[i, default: 0] += count }
    }

    /// Adds another sketch of the same accuracy.
    public mutating func merge(_ other: RelativeErrorSketch) {
        precondition(other.relativeAccuracy == relativeAccuracy, "sketches of different accuracy")
        positive.merge(other.positive, uniquingKeysWith: +)
        negative.merge(other.negative, uniquingKeysWith: +)
        zeroCount += other.zeroCount
    }

    /// Removes `count` copies of `value` (a value known exactly, such as a frequent one); the sketch
    /// must hold them.
    public mutating func remove(_ value: Double, count: Int) throws(SketchError) {
        if value == 0 {
            guard zeroCount >= count else { throw .notHeld(value) }
            zeroCount -= count
            return
        }
        let i = index(of: abs(value))
        if value > 0 {
            guard let held = positive[i], held >= count else { throw .notHeld(value) }
            positive[i] = held == count ? nil : held - count
        } else {
            guard let held = negative[i], held >= count else { throw .notHeld(value) }
            negative[i] = held == count ? nil : held - count
        }
    }

    /// A sketch operation on a value it does not hold.
    public enum SketchError: Error, Equatable, Sendable { case notHeld(Double) }

    /// One bucket: the values it can hold lie in `[lower, upper]`.
    public struct Bucket: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// The value the sketch reports for the bucket (within α of every value in it).
        public var representative: Double
    }

    /// The non-empty buckets in increasing order of value. Bounds are widened by 10⁻¹² relative so that
    /// rounding in `γ^i` never leaves a value of the bucket outside them.
    public var buckets: [Bucket] {
        let g = gamma, slack = 1e-12
        func bounds(_ i: Int32) -> (Double, Double, Double) {
            let upper = pow(g, Double(i))
            let lower = upper / g
            return (lower * (1 - slack), upper * (1 + slack), 2 * upper / (g + 1))
        }
        var result: [Bucket] = []
        for (i, n) in negative.sorted(by: { $0.key > $1.key }) where n > 0 {
            let (lower, upper, representative) = bounds(i)
            result.append(Bucket(lower: -upper, upper: -lower, count: n, representative: -representative))
        }
        if zeroCount > 0 { result.append(Bucket(lower: 0, upper: 0, count: zeroCount, representative: 0)) }
        for (i, n) in positive.sorted(by: { $0.key < $1.key }) where n > 0 {
            let (lower, upper, representative) = bounds(i)
            result.append(Bucket(lower: lower, upper: upper, count: n, representative: representative))
        }
        return result
    }

    /// The value at rank `⌊q · (count − 1)⌋` (0-based) of the sorted values, within relative error α;
    /// `nil` for an empty sketch.
    public func quantile(_ q: Double) -> Double? {
        let total = count
        guard total > 0 else { return nil }
        let rank = Int((min(max(q, 0), 1) * Double(total - 1)).rounded(.down))
        var seen = 0
        for bucket in buckets {
            seen += bucket.count
            if seen > rank { return bucket.representative }
        }
        return buckets.last?.representative
    }

    private enum CodingKeys: String, CodingKey { case relativeAccuracy, positive, negative, zeroCount }

    /// Decodes and validates: α in [10⁻⁴, 0.5], counts ≥ 0, indices of finite values, at most 2²⁰ buckets
    /// per sign.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        relativeAccuracy = try container.decode(Double.self, forKey: .relativeAccuracy)
        guard relativeAccuracy >= 1e-4 && relativeAccuracy <= 0.5 else {
            throw DecodingError.dataCorruptedError(forKey: .relativeAccuracy, in: container,
                                                   debugDescription: "relative accuracy \(relativeAccuracy) outside [1e-4, 0.5]")
        }
        let gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
        let indices = Int32((log(Double.leastNonzeroMagnitude) / log(gamma)).rounded(.up))
            ... Int32((log(Double.greatestFiniteMagnitude) / log(gamma)).rounded(.up))
        func store(_ key: CodingKeys) throws -> [Int32: Int] {
            let pairs = try container.decode([[Int]].self, forKey: key)
            guard pairs.count <= 1 << 20 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "too many buckets")
            }
            var result: [Int32: Int] = [:]
            for pair in pairs {
                guard pair.count == 2, let index = Int32(exactly: pair[0]), indices.contains(index), pair[1] >= 0,
                      pair[1] <= 1 << 40, result[index] == nil else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                           debugDescription: "a bucket must be [index of a finite value, count ≥ 0], once each")
                }
                result[index] = pair[1]
            }
            return result
        }
        positive = try store(.positive)
        negative = try store(.negative)
        zeroCount = try container.decode(Int.self, forKey: .zeroCount)
        guard zeroCount >= 0 && zeroCount <= 1 << 40 else {
            throw DecodingError.dataCorruptedError(forKey: .zeroCount, in: container, debugDescription: "bad zero count")
        }
    }

    /// Encodes the stores as `[[index, count]]` sorted by index, so equal sketches have equal bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(relativeAccuracy, forKey: .relativeAccuracy)
        try container.encode(positive.sorted { $0.key < $1.key }.map { [Int($0.key), $0.value] }, forKey: .positive)
        try container.encode(negative.sorted { $0.key < $1.key }.map { [Int($0.key), $0.value] }, forKey: .negative)
        try container.encode(zeroCount, forKey: .zeroCount)
    }
}
