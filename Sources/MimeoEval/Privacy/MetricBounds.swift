/// The values a metric can take, in a form JSON can hold (nil: unbounded on that side).
public struct MetricBounds: Codable, Sendable, Equatable {
    public var minimum: Double?
    public var maximum: Double?

    public init(minimum: Double?, maximum: Double?) {
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The bounds of a `ClosedRange` (an infinite end becomes nil).
    public init(_ range: ClosedRange<Double>) {
        minimum = range.lowerBound.isFinite ? range.lowerBound : nil
        maximum = range.upperBound.isFinite ? range.upperBound : nil
    }
}
