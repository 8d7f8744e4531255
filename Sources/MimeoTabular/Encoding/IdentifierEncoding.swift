import MimeoTensor

/// Per-chunk statistics of an identifier or free-text column: counts of value *shapes* (upper-case
/// letters become `A`, other letters of any script `a`, digits `9`; punctuation and spaces stay), never
/// the values themselves.
public struct IdentifierStatistics: Codable, Sendable, Equatable {
    public var shapeCounts: [String: Int] = [:]
    public var nullCount = 0
    public var count = 0

    public init() {}

    /// The shape of `value`: `N123AB` becomes `A999AA`. Long values are cut to 64 characters.
    public static func shape(of value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars.prefix(64) {
            let properties = scalar.properties
            if properties.numericType == .decimal {
                result.append("9")
            } else if properties.isUppercase {
                result.append("A")
            } else if properties.isAlphabetic {
                result.append("a")
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    public static func analyze<C: Collection>(_ values: C) -> IdentifierStatistics where C.Element == String? {
        var statistics = IdentifierStatistics()
        for value in values {
            guard let value else {
                statistics.nullCount += 1
                continue
            }
            statistics.count += 1
            statistics.shapeCounts[shape(of: value), default: 0] += 1
        }
        return statistics
    }

    public mutating func reduce(_ other: IdentifierStatistics) {
        shapeCounts.merge(other.shapeCounts, uniquingKeysWith: +)
        nullCount += other.nullCount
        count += other.count
    }
}

/// An identifier or free-text column is not modelled: output draws a shape seen at least
/// `rareThreshold` times (by frequency) and fills it with random characters of the same classes,
/// missing with the source's missing rate.
public struct IdentifierEncoding: Codable, Sendable, Equatable {
    public var shapes: [String]
    public var cumulativeWeights: [Double]
    public var nullRate: Double

    public init(statistics: IdentifierStatistics, options: EncodingOptions) {
        let sorted = statistics.shapeCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var kept = Array(sorted.prefix { $0.value >= options.rareThreshold }.prefix(1000))
        if kept.isEmpty, let first = sorted.first {
            // No shape is frequent enough to keep: keep only the length of the most frequent one.
            kept = [(key: String(repeating: "a", count: first.key.count), value: first.value)]
        }
        shapes = kept.map(\.key)
        let total = Double(kept.reduce(0) { $0 + $1.value })
        var running = 0.0
        cumulativeWeights = kept.map { running += Double($0.value) / max(total, 1); return running }
        let rows = statistics.count + statistics.nullCount
        nullRate = rows == 0 ? 1 : Double(statistics.nullCount) / Double(rows)
    }

    /// A fresh value (or `nil`), drawn from `random`.
    public func generate(random: inout RandomStream) -> String? {
        if shapes.isEmpty || random.nextDouble() < nullRate { return nil }
        let u = random.nextDouble()
        let index = cumulativeWeights.firstIndex { u < $0 } ?? (shapes.count - 1)
        var result = ""
        for scalar in shapes[index].unicodeScalars {
            switch scalar {
            case "9": result.unicodeScalars.append(Unicode.Scalar(UInt8(48 + random.nextInt(below: 10))))
            case "A": result.unicodeScalars.append(Unicode.Scalar(UInt8(65 + random.nextInt(below: 26))))
            case "a": result.unicodeScalars.append(Unicode.Scalar(UInt8(97 + random.nextInt(below: 26))))
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
