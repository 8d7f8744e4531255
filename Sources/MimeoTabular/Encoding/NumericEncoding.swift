import Foundation
import MimeoData
import MimeoTensor

/// Per-chunk statistics of a number column: exact counts of each distinct value, so `reduce` is exact.
public struct NumericStatistics: Codable, Sendable, Equatable {
    public var counts: [Double: Int] = [:]
    public var nullCount = 0
    /// The largest number of digits after the decimal point in the source spellings.
    public var decimals = 0

    public init() {}

    /// Counts the values of one chunk. Values that do not parse as numbers count as missing
    /// (a declared schema rejects them before this point).
    public static func analyze<C: Collection>(_ values: C) -> NumericStatistics where C.Element == String? {
        var statistics = NumericStatistics()
        for value in values {
            guard let value, let number = NumberSyntax.number(value) else {
                statistics.nullCount += 1
                continue
            }
            statistics.counts[number.value, default: 0] += 1
            statistics.decimals = max(statistics.decimals, min(15, number.places))
        }
        return statistics
    }

    /// Merges the statistics of another chunk into these.
    public mutating func reduce(_ other: NumericStatistics) {
        counts.merge(other.counts, uniquingKeysWith: +)
        nullCount += other.nullCount
        decimals = max(decimals, other.decimals)
    }
}

/// A number column as one token: frequent values exactly, the rest as ranges of about equal mass
/// (quantile bins), plus a null token. Decoding a range draws uniformly inside it (whole numbers for
/// integer columns) and rounds to the source's precision, so output stays within [min, max].
public struct NumericEncoding: Codable, Sendable, Equatable {
    /// One token's values: `lower == upper` and `isExact` for a single value.
    public struct Bucket: Codable, Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var isExact: Bool
        /// For a wide range: finer ranges of about equal mass inside it (each of at least k rows),
        /// chosen by the second sub-column.
        public var subRanges: [SubRange]?
    }

    /// A part of a range bucket.
    public struct SubRange: Codable, Sendable, Equatable {
        public var lower: Double
        public var upper: Double
    }

    /// The vocabulary size of the second sub-column (0 when the column has only one).
    public var subRangeCount: Int

    public var buckets: [Bucket]
    public var nullToken: Int32?
    public var isInteger: Bool
    public var decimals: Int
    public var minimum: Double
    public var maximum: Double

    /// A number column's distribution as the encoding needs it: the values frequent enough to be tokens
    /// of their own (exactly), and the rest as weighted intervals in increasing order: single values
    /// (`lower == upper`) from exact statistics, or the buckets of a quantile sketch (federated training,
    /// where the values themselves never leave a site).
    public struct Distribution: Sendable, Equatable {
        /// Values with a token of their own, increasing, with their counts.
        public var exact: [(value: Double, count: Int)]
        /// The remaining values as intervals `[lower, upper]` with their counts, increasing and disjoint.
        public var residual: [(lower: Double, upper: Double, count: Int)]
        /// The number of distinct values in the column.
        public var distinctCount: Int
        public var nullCount: Int
        public var decimals: Int
        public var minimum: Double
        public var maximum: Double

        public init(exact: [(value: Double, count: Int)], residual: [(lower: Double, upper: Double, count: Int)],
                    distinctCount: Int, nullCount: Int, decimals: Int, minimum: Double, maximum: Double) {
            self.exact = exact
            self.residual = residual
            self.distinctCount = distinctCount
            self.nullCount = nullCount
            self.decimals = decimals
            self.minimum = minimum
            self.maximum = maximum
        }

        public static func == (a: Distribution, b: Distribution) -> Bool {
            a.exact.elementsEqual(b.exact, by: ==) && a.residual.elementsEqual(b.residual, by: ==)
                && a.distinctCount == b.distinctCount && a.nullCount == b.nullCount && a.decimals == b.decimals
                && a.minimum == b.minimum && a.maximum == b.maximum
        }
    }

    /// The bins a column of `options` may use: at most `ModelFile.Limits.maximumVocabulary` tokens (the
    /// bins and the null token), whatever the options.
    public static func maximumBins(_ options: EncodingOptions) -> Int {
        min(max(2, options.maxNumericBins), ModelFile.Limits.maximumVocabulary - 2)
    }

    /// The count from which a value gets a token of its own: k when the distinct values fit the bins,
    /// otherwise also at least `⌈total / bins⌉`.
    public static func exactThreshold(distinctCount: Int, total: Int, options: EncodingOptions) -> Int {
        let maxBins = maximumBins(options)
        return distinctCount <= maxBins ? options.rareThreshold : max(options.rareThreshold, (total + maxBins - 1) / maxBins)
    }

    /// Chooses exact values and ranges from reduced statistics.
    public init(statistics: NumericStatistics, isInteger: Bool, options: EncodingOptions) {
        let distinct = statistics.counts.sorted { $0.key < $1.key }
        let total = distinct.reduce(0) { $0 + $1.value }
        let exactThreshold = Self.exactThreshold(distinctCount: distinct.count, total: total, options: options)
        var exact: [(value: Double, count: Int)] = []
        var residual: [(lower: Double, upper: Double, count: Int)] = []
        for (value, count) in distinct {
            if count >= exactThreshold { exact.append((value, count)) } else { residual.append((value, value, count)) }
        }
        self.init(distribution: Distribution(exact: exact, residual: residual, distinctCount: distinct.count,
                                             nullCount: statistics.nullCount, decimals: statistics.decimals,
                                             minimum: distinct.first?.key ?? 0, maximum: distinct.last?.key ?? 0),
                  isInteger: isInteger, options: options)
    }

    /// Chooses ranges over a distribution whose exact values are already chosen (`exactThreshold`).
    public init(distribution: Distribution, isInteger: Bool, options: EncodingOptions) {
        self.isInteger = isInteger
        self.decimals = isInteger ? 0 : distribution.decimals
        minimum = distribution.minimum
        maximum = distribution.maximum
        let total = distribution.exact.reduce(0) { $0 + $1.count } + distribution.residual.reduce(0) { $0 + $1.count }
        let maxBins = Self.maximumBins(options)
        let exact = distribution.exact.map { Bucket(lower: $0.value, upper: $0.value, isExact: true, subRanges: nil) }
        let residual = distribution.residual
        let residualTotal = residual.reduce(0) { $0 + $1.count }
        var ranges: [Bucket] = []
        if residualTotal > 0 {
            let rangeCount = max(1, min(maxBins - exact.count, residualTotal / max(1, options.rareThreshold)))
            let target = Double(residualTotal) / Double(rangeCount)
            var start = residual[0].lower, accumulated = 0, closedMass = 0
            var counts: [Int] = []
            for (index, item) in residual.enumerated() {
                if accumulated == 0 { start = item.lower }
                accumulated += item.count
                let reachedTarget = Double(closedMass + accumulated) >= target * Double(ranges.count + 1)
                if index == residual.count - 1 || (reachedTarget && accumulated >= options.rareThreshold) {
                    ranges.append(Bucket(lower: start, upper: item.upper, isExact: false, subRanges: nil))
                    counts.append(accumulated)
                    closedMass += accumulated
                    accumulated = 0
                }
            }
            if ranges.count > 1, let last = counts.last, last < options.rareThreshold {
                let tail = ranges.removeLast()
                ranges[ranges.count - 1].upper = tail.upper
                let tailCount = counts.removeLast()
                counts[counts.count - 1] += tailCount
            }
            // Fewer than k leftover rows in all: widen their range to the nearest exact value, so that
            // a rare value is not reproduced verbatim through a range of one value.
            if ranges.count == 1, counts[0] < options.rareThreshold, !exact.isEmpty {
                let range = ranges[0]
                let below = exact.last { $0.lower < range.lower }?.lower
                let above = exact.first { $0.lower > range.upper }?.lower
                if let below, above == nil || range.lower - below <= above! - range.upper {
                    ranges[0].lower = below
                } else if let above {
                    ranges[0].upper = above
                }
            }
        }
        // Columns with more distinct values than bins get a second sub-column: finer ranges inside each
        // range bucket, so reconstruction is precise where the mass is (tails, correlated columns).
        var subRangeCount = 0
        if distribution.distinctCount > maxBins && options.numericSubRanges > 1 {
            var cursor = 0
            for index in ranges.indices {
                var members: [(lower: Double, upper: Double, count: Int)] = []
                while cursor < residual.count && residual[cursor].lower < ranges[index].lower { cursor += 1 }
                var scan = cursor
                while scan < residual.count && residual[scan].upper <= ranges[index].upper {
                    members.append(residual[scan]); scan += 1
                }
                let mass = members.reduce(0) { $0 + $1.count }
                guard mass / 2 >= options.rareThreshold, members.count > 1 else { continue }
                let parts = min(options.numericSubRanges, ModelFile.Limits.maximumVocabulary,
                                mass / max(1, options.rareThreshold), members.count)
                let target = Double(mass) / Double(parts)
                var subRanges: [SubRange] = [], partCounts: [Int] = []
                var start = members[0].lower, accumulated = 0, closed = 0
                for (m, member) in members.enumerated() {
                    if accumulated == 0 { start = member.lower }
                    accumulated += member.count
                    let reached = Double(closed + accumulated) >= target * Double(subRanges.count + 1)
                    if m == members.count - 1 || (reached && accumulated >= options.rareThreshold) {
                        subRanges.append(SubRange(lower: start, upper: member.upper))
                        partCounts.append(accumulated)
                        closed += accumulated
                        accumulated = 0
                    }
                }
                if subRanges.count > 1, let last = partCounts.last, last < options.rareThreshold {
                    let tail = subRanges.removeLast()
                    subRanges[subRanges.count - 1].upper = tail.upper
                }
                if subRanges.count > 1 {
                    ranges[index].subRanges = subRanges
                    subRangeCount = max(subRangeCount, subRanges.count)
                }
            }
        }
        self.subRangeCount = subRangeCount
        var buckets = (exact + ranges).sorted { ($0.lower, $0.isExact ? 0 : 1) < ($1.lower, $1.isExact ? 0 : 1) }
        if buckets.isEmpty { buckets = [Bucket(lower: 0, upper: 0, isExact: true, subRanges: nil)] }
        self.buckets = buckets
        nullToken = distribution.nullCount > 0 || total == 0 ? Int32(buckets.count) : nil
    }

    /// The number of tokens.
    public var cardinality: Int { buckets.count + (nullToken == nil ? 0 : 1) }

    /// Index structures for encoding many values.
    public struct Lookup: Sendable {
        var exact: [Double: Int32]
        var rangeLowers: [Double]
        var rangeTokens: [Int32]
        var rangeUppers: [Double]
    }

    public func makeLookup() -> Lookup {
        var exact: [Double: Int32] = [:]
        var ranges: [(Double, Double, Int32)] = []
        for (token, bucket) in buckets.enumerated() {
            if bucket.isExact { exact[bucket.lower] = Int32(token) } else {
                ranges.append((bucket.lower, bucket.upper, Int32(token)))
            }
        }
        return Lookup(exact: exact, rangeLowers: ranges.map(\.0), rangeTokens: ranges.map(\.2),
                      rangeUppers: ranges.map(\.1))
    }

    /// The token of a parsed value (`nil` = missing): its exact value, the range holding it, or the
    /// nearest bucket for values the training data never had.
    public func encode(_ value: Double?, lookup: Lookup) -> Int32 {
        guard let value else { return nullToken ?? nearestBucket(to: minimum) }
        if let token = lookup.exact[value] { return token }
        let lowers = lookup.rangeLowers
        if !lowers.isEmpty {
            // Last range whose lower bound is <= value.
            var low = 0, high = lowers.count
            while low < high {
                let mid = (low + high) / 2
                if lowers[mid] <= value { low = mid + 1 } else { high = mid }
            }
            let index = low - 1
            if index >= 0 && value <= lookup.rangeUppers[index] { return lookup.rangeTokens[index] }
        }
        return nearestBucket(to: value)
    }

    private func nearestBucket(to value: Double) -> Int32 {
        var best = 0
        var bestDistance = Double.infinity
        for (token, bucket) in buckets.enumerated() {
            let distance = value < bucket.lower ? bucket.lower - value : (value > bucket.upper ? value - bucket.upper : 0)
            if distance < bestDistance { bestDistance = distance; best = token }
        }
        return Int32(best)
    }

    /// The sub-column vocabulary sizes: the bucket, then (for wide columns) the sub-range inside it.
    public var cardinalities: [Int] { subRangeCount > 1 ? [cardinality, subRangeCount] : [cardinality] }

    /// Writes the sub-column tokens of a parsed value (`nil` = missing).
    public func encode(_ value: Double?, lookup: Lookup, into tokens: UnsafeMutablePointer<Int32>) {
        let token = encode(value, lookup: lookup)
        tokens[0] = token
        guard subRangeCount > 1 else { return }
        tokens[1] = 0
        guard let value, token != nullToken, let subRanges = buckets[Int(token)].subRanges else { return }
        // Last sub-range whose lower bound is <= value (the first one for values below all).
        var index = 0
        while index + 1 < subRanges.count && subRanges[index + 1].lower <= value { index += 1 }
        tokens[1] = Int32(index)
    }

    /// Draws a value for the sub-column tokens at `tokens` (`nil` for the null token).
    public func decode(_ tokens: UnsafePointer<Int32>, random: inout RandomStream) -> Double? {
        let token = tokens[0]
        if token == nullToken { return nil }
        let bucket = buckets[Int(token)]
        if bucket.isExact || bucket.lower == bucket.upper { return bucket.lower }
        var lower = bucket.lower, upper = bucket.upper
        if subRangeCount > 1, let subRanges = bucket.subRanges, !subRanges.isEmpty {
            let part = subRanges[min(max(0, Int(tokens[1])), subRanges.count - 1)]
            lower = part.lower
            upper = part.upper
        }
        let span = upper - lower
        guard span > 0 else { return lower }  // a single value (or, unvalidated, an inverted or NaN range)
        if isInteger {
            // Whole steps while they are exact in a Double (and fit an Int); beyond 2^53 draw a real and
            // round it, since neighbouring Doubles are whole numbers there anyway.
            if span < 0x1p53 { return lower + Double(random.nextInt(below: Int(span) + 1)) }
            return min(max(Self.interpolate(lower, upper, span: span, random.nextDouble()).rounded(), lower), upper)
        }
        let value = NumberParsing.rounded(Self.interpolate(lower, upper, span: span, random.nextDouble()),
                                          decimals: decimals)
        return min(max(value, lower), upper)
    }

    /// The point at fraction `u` of `[lower, upper]`, also when `upper - lower` overflows to infinity.
    private static func interpolate(_ lower: Double, _ upper: Double, span: Double, _ u: Double) -> Double {
        span.isFinite ? lower + u * span : lower * (1 - u) + upper * u
    }

    /// Appends `value` as this column writes numbers: `decimals` digits after the point, and for an
    /// integer column a whole number within `Int64` (a draw at the top of a range reaching 2^63, which a
    /// `Double` cannot tell from `Int64.max`, is written as `Int64.max`).
    public func append(_ value: Double, to bytes: inout [UInt8]) {
        guard isInteger else { return NumberParsing.append(value, decimals: decimals, to: &bytes) }
        if abs(value) < 9.0e18 { return NumberParsing.append(value, decimals: 0, to: &bytes) }
        let whole: Int64 = value.isNaN ? 0 : value >= 0x1p63 ? .max : value <= -0x1p63 ? .min : Int64(value.rounded())
        bytes.append(contentsOf: String(whole).utf8)
    }

    /// Draws a value for `token` alone (columns without sub-ranges).
    public func decode(_ token: Int32, random: inout RandomStream) -> Double? {
        var tokens: (Int32, Int32) = (token, 0)
        return withUnsafePointer(to: &tokens) { pointer in
            pointer.withMemoryRebound(to: Int32.self, capacity: 2) { decode($0, random: &random) }
        }
    }
}

/// Number formatting shared by encodings and output. (Parsing is `NumberSyntax`, in MimeoData.)
public enum NumberParsing {
    /// `value` rounded to `decimals` digits after the point.
    /// Values too large to scale (beyond about 10^(308 - decimals)) are whole already and come back as they are.
    public static func rounded(_ value: Double, decimals: Int) -> Double {
        let scale = pow(10.0, Double(decimals))
        let scaled = value * scale
        guard scaled.isFinite, scale.isFinite, scale > 0 else { return value }
        return scaled.rounded() / scale
    }

    /// The most digits after the point that `append` writes through its fast path (and that training
    /// records, see `decimals(of:)`); larger requests go through `String(format:)`.
    public static let maximumDecimals = 15

    /// Appends `value` written with exactly `decimals` digits after the point (no point for 0).
    public static func append(_ value: Double, decimals: Int, to bytes: inout [UInt8]) {
        let scale = pow(10.0, Double(decimals))
        let scaled = (value * scale).rounded()
        // The digit buffer below holds 20 digits: at most 19 of a scaled value below 9e18, and
        // `decimals + 1` when the value is small, so `decimals` must stay at most 15 here.
        guard abs(scaled) < 9.0e18, decimals >= 0, decimals <= maximumDecimals else {
            bytes.append(contentsOf: Array(String(format: "%.\(min(max(decimals, 0), 40))f", value).utf8))
            return
        }
        var integer = Int64(scaled)
        if integer < 0 {
            bytes.append(UInt8(ascii: "-"))
            integer = -integer
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(48 + integer % 10)
                integer /= 10
                count += 1
            } while integer > 0 || count <= decimals
            for index in stride(from: count - 1, through: 0, by: -1) {
                if index == decimals - 1 { bytes.append(UInt8(ascii: ".")) }
                bytes.append(buffer[index])
            }
        }
    }
}
