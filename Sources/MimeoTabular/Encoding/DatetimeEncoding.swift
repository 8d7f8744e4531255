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
    }
}

/// A date/datetime column as one token per part (year, month, day, and the time parts that vary),
/// each with a null token first when the column has missing values. Output keeps the source format.
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

    public init(statistics: DatetimeStatistics) {
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
    }

    private var offset: Int { hasNull ? 1 : 0 }

    /// The number of tokens of each part's sub-column.
    public var cardinalities: [Int] {
        parts.map { part in
            let values: Int
            switch part {
            case .year: values = maximumYear - minimumYear + 1
            case .month: values = 12
            case .day: values = 31
            case .hour: values = 24
            case .minute, .second: values = 60
            }
            return values + offset
        }
    }

    /// Writes one token per part for `parts` (`nil` = missing) into `tokens`.
    public func encode(_ value: DateTimeParts?, into tokens: UnsafeMutablePointer<Int32>) {
        let cards = cardinalities
        for (index, part) in parts.enumerated() {
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

    /// The date for one token per part (`nil` = missing), with the day clamped to the month's length
    /// and the instant clamped to the training range.
    public func decode(_ tokens: UnsafePointer<Int32>) -> DateTimeParts? {
        if hasNull && tokens[0] == 0 { return nil }
        var year = minimumYear, month = 1, day = 1, hour = 0, minute = 0, second = 0
        for (index, part) in parts.enumerated() {
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
