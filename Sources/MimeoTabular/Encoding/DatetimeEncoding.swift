import MimeoData
import MimeoTensor

/// Per-chunk statistics of a date/datetime column: range and which time parts vary. Exactly mergeable.
public struct DatetimeStatistics: Codable, Sendable, Equatable {
    public var format: String
    public var nullCount = 0
    public var count = 0
    public var minimumSeconds = Int64.max
    public var maximumSeconds = Int64.min
    public var minimumYear = Int.max
    public var maximumYear = Int.min
    public var hasHours = false
    public var hasMinutes = false
    public var hasSeconds = false
    /// How many values fall in each year (at most 10,000 years), so that a wide year range can be
    /// encoded like a number column.
    public var yearCounts: [Int: Int] = [:]

    public init(format: String) { self.format = format }

    /// Scans the values of one chunk; values that do not parse with `format` count as missing.
    public static func analyze<C: Collection>(_ values: C, format: DateTimeFormat) -> DatetimeStatistics
    where C.Element == String? {
        var statistics = DatetimeStatistics(format: format.pattern)
        for value in values {
            guard let value, let parts = format.parse(value) else {
                statistics.nullCount += 1
                continue
            }
            statistics.count += 1
            let seconds = parts.secondsSinceEpoch
            statistics.minimumSeconds = min(statistics.minimumSeconds, seconds)
            statistics.maximumSeconds = max(statistics.maximumSeconds, seconds)
            statistics.minimumYear = min(statistics.minimumYear, parts.year)
            statistics.maximumYear = max(statistics.maximumYear, parts.year)
            statistics.yearCounts[parts.year, default: 0] += 1
            if parts.hour != 0 { statistics.hasHours = true }
            if parts.minute != 0 { statistics.hasMinutes = true }
            if parts.second != 0 { statistics.hasSeconds = true }
        }
        return statistics
    }

    /// Merges the statistics of another chunk into these.
    public mutating func reduce(_ other: DatetimeStatistics) {
        nullCount += other.nullCount
        count += other.count
        minimumSeconds = min(minimumSeconds, other.minimumSeconds)
        maximumSeconds = max(maximumSeconds, other.maximumSeconds)
        minimumYear = min(minimumYear, other.minimumYear)
        maximumYear = max(maximumYear, other.maximumYear)
        hasHours = hasHours || other.hasHours
        hasMinutes = hasMinutes || other.hasMinutes
        hasSeconds = hasSeconds || other.hasSeconds
        yearCounts.merge(other.yearCounts, uniquingKeysWith: +)
    }
}

/// A date/datetime column as one token per part (year, month, day, and the time parts that vary),
/// each with a null token first when the column has missing values. Output keeps the source format.
/// A year range wider than `maxNumericBins` years is encoded like a number column instead (`years`):
/// exact years and ranges of years, and maybe a sub-range part, so it takes at most about a hundred
/// tokens rather than one per year.
public struct DatetimeEncoding: Codable, Sendable, Equatable {
    /// A part of a date that becomes its own sub-column.
    public enum Part: String, Codable, Sendable, CaseIterable {
        case year, month, day, hour, minute, second
    }

    public var format: String
    public var parts: [Part]
    public var minimumYear: Int
    public var maximumYear: Int
    public var minimumSeconds: Int64
    public var maximumSeconds: Int64
    public var hasNull: Bool
    /// For a year range wider than `maxNumericBins` years: the year as an integer number encoding (no
    /// null token of its own), taking one or two sub-columns. `nil`: one token per year.
    public var years: NumericEncoding?

    public init(statistics: DatetimeStatistics, options: EncodingOptions = EncodingOptions()) {
        format = statistics.format
        hasNull = statistics.nullCount > 0 || statistics.count == 0
        if statistics.count == 0 {
            minimumYear = 1970; maximumYear = 1970; minimumSeconds = 0; maximumSeconds = 0
        } else {
            minimumYear = statistics.minimumYear; maximumYear = statistics.maximumYear
            minimumSeconds = statistics.minimumSeconds; maximumSeconds = statistics.maximumSeconds
        }
        var parts: [Part] = [.year, .month, .day]
        if statistics.hasHours { parts.append(.hour) }
        if statistics.hasMinutes { parts.append(.minute) }
        if statistics.hasSeconds { parts.append(.second) }
        self.parts = parts
        if statistics.count > 0, !statistics.yearCounts.isEmpty,
           maximumYear - minimumYear + 1 > max(2, options.maxNumericBins) {
            var yearStatistics = NumericStatistics()
            for (year, count) in statistics.yearCounts { yearStatistics.counts[Double(year), default: 0] += count }
            years = NumericEncoding(statistics: yearStatistics, isInteger: true, options: options)
        }
    }

    private var offset: Int { hasNull ? 1 : 0 }

    /// The number of tokens of each sub-column: one per part, except a `years` encoding's one or two.
    public var cardinalities: [Int] {
        parts.flatMap { part -> [Int] in
            let values: Int
            switch part {
            case .year:
                if let years { return years.cardinalities.map { $0 + offset } }
                values = maximumYear - minimumYear + 1
            case .month: values = 12
            case .day: values = 31
            case .hour: values = 24
            case .minute, .second: values = 60
            }
            return [values + offset]
        }
    }

    /// Writes the sub-column tokens of `value` (`nil` = missing) into `tokens`.
    public func encode(_ value: DateTimeParts?, into tokens: UnsafeMutablePointer<Int32>) {
        encode(value, yearLookup: years?.makeLookup(), into: tokens)
    }

    /// Writes the sub-column tokens of `value` (`nil` = missing) into `tokens`, with the `years`
    /// encoding's lookup made once for many values.
    public func encode(_ value: DateTimeParts?, yearLookup: NumericEncoding.Lookup?,
                       into tokens: UnsafeMutablePointer<Int32>) {
        let cards = cardinalities
        var index = 0
        for part in parts {
            defer { index += 1 }
            if part == .year, let years {
                let width = years.cardinalities.count
                defer { index += width - 1 }
                guard let value else {
                    for k in 0..<width { tokens[index + k] = 0 }
                    continue
                }
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2) { buffer in
                    years.encode(Double(value.year), lookup: yearLookup ?? years.makeLookup(), into: buffer.baseAddress!)
                    for k in 0..<width { tokens[index + k] = buffer[k] + Int32(offset) }
                }
                continue
            }
            guard let value else {
                tokens[index] = 0
                continue
            }
            let raw: Int
            switch part {
            case .year: raw = value.year - minimumYear
            case .month: raw = value.month - 1
            case .day: raw = value.day - 1
            case .hour: raw = value.hour
            case .minute: raw = value.minute
            case .second: raw = value.second
            }
            tokens[index] = Int32(min(max(raw + offset, offset), cards[index] - 1))
        }
    }

    /// The date for the sub-column tokens (`nil` = missing), with the day clamped to the month's length
    /// and the instant clamped to the training range. Only a `years` range draws from `random`.
    public func decode(_ tokens: UnsafePointer<Int32>) -> DateTimeParts? {
        var random = RandomStream(seed: 0, stream: 0)
        return decode(tokens, random: &random)
    }

    /// The date for the sub-column tokens (`nil` = missing); a year range of `years` draws its year
    /// from `random`.
    public func decode(_ tokens: UnsafePointer<Int32>, random: inout RandomStream) -> DateTimeParts? {
        if hasNull && tokens[0] == 0 { return nil }
        var year = minimumYear, month = 1, day = 1, hour = 0, minute = 0, second = 0
        var index = 0
        for part in parts {
            defer { index += 1 }
            if part == .year, let years {
                let width = years.cardinalities.count
                defer { index += width - 1 }
                let drawn = withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2) { buffer -> Double? in
                    buffer[0] = max(0, tokens[index] - Int32(offset))
                    buffer[1] = width > 1 ? max(0, tokens[index + 1] - Int32(offset)) : 0
                    return years.decode(UnsafePointer(buffer.baseAddress!), random: &random)
                }
                if let drawn, drawn.isFinite {
                    year = Int(min(max(drawn, Double(minimumYear)), Double(maximumYear)))
                }
                continue
            }
            let raw = max(0, Int(tokens[index]) - offset)
            switch part {
            case .year: year = minimumYear + raw
            case .month: month = raw + 1
            case .day: day = raw + 1
            case .hour: hour = raw
            case .minute: minute = raw
            case .second: second = raw
            }
        }
        day = min(day, DateTimeParts.daysInMonth(year: year, month: month))
        var result = DateTimeParts(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                                   nanosecond: 0)
        let seconds = result.secondsSinceEpoch
        if seconds < minimumSeconds { result = DateTimeParts(secondsSinceEpoch: minimumSeconds) }
        if seconds > maximumSeconds { result = DateTimeParts(secondsSinceEpoch: maximumSeconds) }
        return result
    }
}
