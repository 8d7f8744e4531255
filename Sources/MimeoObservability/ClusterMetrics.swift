import Synchronization
import CoreMetrics
import Metrics
import Prometheus

/// The coordinator's metrics, kept in a Prometheus registry and rendered for `GET /metrics`.
///
/// ```swift
/// let metrics = ClusterMetrics()
/// metrics.messageReceived()
/// metrics.messageDropped(.malformed)
/// metrics.shardLeased()
/// metrics.leaseRoundTrip(.milliseconds(1800))   // lease sent → result accepted
/// metrics.rowsGenerated(50_000)
/// metrics.setWorkersUp(3)
/// let text = metrics.exposition()               // Prometheus text format 0.0.4
/// ```
///
/// Each instance owns its registry, so several can live in one process (tests do); nothing global
/// is needed. ``bootstrapMetricsSystem()`` can also make the registry swift-metrics' backend.
/// The names and meanings are listed in docs/observability.md.
public final class ClusterMetrics: Sendable {
    /// Why the coordinator dropped a message (the `reason` label of `mimeo_messages_dropped_total`),
    /// after the MWP-1 error codes (docs/protocol/mwp-1.md, Error codes).
    public enum DropReason: String, Sendable, CaseIterable {
        /// The frames did not decode (400 malformed).
        case malformed
        /// A frame, string, list or the message was over its limit (413 too-large).
        case oversized
        /// Another major protocol version (401 unsupported-version).
        case version
        /// A command code the coordinator does not know (402 unknown-command).
        case unknown
        /// A command not allowed from the peer's role or in its state (403 unexpected-command).
        case unexpected

        /// The reason for an MWP-1 error code (`WireError.code.rawValue`): 400, 401, 402, 403 or
        /// 413; `nil` for the others, which are not reasons to drop a message.
        public init?(errorCode: UInt16) {
            switch errorCode {
            case 400: self = .malformed
            case 401: self = .version
            case 402: self = .unknown
            case 403: self = .unexpected
            case 413: self = .oversized
            default: return nil
            }
        }
    }

    /// Upper bounds of `mimeo_lease_round_trip_seconds`: a lease covers generating a whole shard.
    public static let leaseRoundTripBuckets: [Duration] = [
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
    ]
    /// Upper bounds of `mimeo_message_handling_seconds`: decoding a message and acting on it.
    public static let messageHandlingBuckets: [Duration] = [
        .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1),
        .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
    ]

    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry

    private let messagesReceived: Prometheus.Counter
    private let messagesSent: Prometheus.Counter
    private let messagesDropped: [DropReason: Prometheus.Counter]
    private let shardsLeased: Prometheus.Counter
    private let shardsDone: Prometheus.Counter
    private let shardsRetried: Prometheus.Counter
    private let shardsFailed: Prometheus.Counter
    private let rows: Prometheus.Counter
    private let workersUp: Prometheus.Gauge
    private let jobsRunning: Prometheus.Gauge
    private let rowsPerSecond: Prometheus.Gauge
    private let leaseRoundTripHistogram: DurationHistogram
    private let messageHandlingHistogram: DurationHistogram
    private let rowRate: Mutex<RowRateWindow>

    private static let metricsSystemBootstrapped = Mutex(false)

    /// Registers every metric, all at zero, on `registry`.
    /// - Parameters:
    ///   - registry: a registry of its own by default.
    ///   - rateWindow: how far back `mimeo_rows_per_second` looks.
    ///   - now: when the rate's window starts.
    public init(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        rateWindow: Duration = .seconds(10),
        now: ContinuousClock.Instant = .now
    ) {
        self.registry = registry
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "mimeo", metricName: metric, unitName: unit, helpText: help)
        }
        messagesReceived = registry.makeCounter(
            descriptor: name("messages_received", "total", "MWP-1 messages received from workers and clients."))
        messagesSent = registry.makeCounter(
            descriptor: name("messages_sent", "total", "MWP-1 messages sent to workers and clients."))
        var dropped: [DropReason: Prometheus.Counter] = [:]
        for reason in DropReason.allCases {
            dropped[reason] = registry.makeCounter(
                descriptor: name("messages_dropped", "total", "Messages received and dropped, by reason."),
                labels: [("reason", reason.rawValue)])
        }
        messagesDropped = dropped
        shardsLeased = registry.makeCounter(descriptor: name("shards_leased", "total", "Shard leases granted."))
        shardsDone = registry.makeCounter(descriptor: name("shards_done", "total", "Shard results accepted."))
        shardsRetried = registry.makeCounter(
            descriptor: name("shards_retried", "total", "Shards put back for another attempt (lease expired or failed)."))
        shardsFailed = registry.makeCounter(
            descriptor: name("shards_failed", "total", "Shards given up on after their last attempt."))
        rows = registry.makeCounter(descriptor: name("rows_generated", "total", "Rows in accepted shard results."))
        workersUp = registry.makeGauge(descriptor: name("workers_up", "", "Workers connected and heard from recently."))
        jobsRunning = registry.makeGauge(descriptor: name("jobs_running", "", "Generation jobs not yet finished."))
        rowsPerSecond = registry.makeGauge(
            descriptor: name("rows_per_second", "", "Rows accepted per second over the recent window."))
        leaseRoundTripHistogram = registry.makeDurationHistogram(
            descriptor: name("lease_round_trip", "seconds", "Time from sending a lease to accepting its result."),
            buckets: Self.leaseRoundTripBuckets)
        messageHandlingHistogram = registry.makeDurationHistogram(
            descriptor: name("message_handling", "seconds", "Time to decode and act on one received message."),
            buckets: Self.messageHandlingBuckets)
        rowRate = Mutex(RowRateWindow(window: rateWindow, start: now))
    }

    /// Counts a message received (before it is decoded).
    public func messageReceived() { messagesReceived.increment() }
    /// Counts a message sent.
    public func messageSent() { messagesSent.increment() }
    /// Counts a received message that was dropped, and why.
    public func messageDropped(_ reason: DropReason) { messagesDropped[reason]!.increment() }
    /// Counts a lease granted.
    public func shardLeased() { shardsLeased.increment() }
    /// Counts a shard result accepted.
    public func shardDone() { shardsDone.increment() }
    /// Counts a shard put back for another attempt.
    public func shardRetried() { shardsRetried.increment() }
    /// Counts a shard given up on.
    public func shardFailed() { shardsFailed.increment() }

    /// Adds the rows of an accepted result to the total and to the rate.
    public func rowsGenerated(_ count: Int, at now: ContinuousClock.Instant = .now) {
        guard count > 0 else { return }
        rows.increment(by: Int64(count))
        let rate = rowRate.withLock { window in
            window.add(count, at: now)
            return window.rate(at: now)
        }
        rowsPerSecond.set(rate)
    }

    /// Sets the number of workers up.
    public func setWorkersUp(_ count: Int) { workersUp.set(Int64(count)) }
    /// Sets the number of jobs running.
    public func setJobsRunning(_ count: Int) { jobsRunning.set(Int64(count)) }

    /// Records the time from sending a lease to accepting its result.
    public func leaseRoundTrip(_ duration: Duration) { leaseRoundTripHistogram.record(duration) }
    /// Records the time taken to handle one message.
    public func messageHandled(in duration: Duration) { messageHandlingHistogram.record(duration) }

    /// Recomputes `mimeo_rows_per_second` for `now`, so it falls to zero when no results come.
    public func updateRowRate(at now: ContinuousClock.Instant = .now) {
        let rate = rowRate.withLock { window in
            window.discard(before: now)
            return window.rate(at: now)
        }
        rowsPerSecond.set(rate)
    }

    /// Every metric in the Prometheus text format (version 0.0.4), with the row rate brought up to `now`.
    public func exposition(at now: ContinuousClock.Instant = .now) -> [UInt8] {
        updateRowRate(at: now)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    /// Makes this registry the backend of swift-metrics (`Counter(label:)`, `Timer(label:)`, …), so
    /// libraries that report through swift-metrics appear at `/metrics` too.
    ///
    /// swift-metrics allows one backend per process: only the first call, on any instance, installs one.
    /// - Returns: whether this call installed it.
    @discardableResult
    public func bootstrapMetricsSystem() -> Bool {
        let isFirst = Self.metricsSystemBootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if isFirst {
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        }
        return isFirst
    }
}

/// Rows counted over a sliding window, for a rate.
struct RowRateWindow: Sendable {
    let window: Duration
    let start: ContinuousClock.Instant
    private var samples: [(at: ContinuousClock.Instant, rows: Int)] = []
    private var first = 0

    init(window: Duration, start: ContinuousClock.Instant) {
        self.window = window
        self.start = start
    }

    mutating func add(_ rows: Int, at instant: ContinuousClock.Instant) {
        samples.append((instant, rows))
        discard(before: instant)
    }

    /// Forgets samples older than the window ending at `now`.
    mutating func discard(before now: ContinuousClock.Instant) {
        while first < samples.count, samples[first].at <= now - window {
            first += 1
        }
        if first > 64, first * 2 > samples.count {
            samples.removeFirst(first)
            first = 0
        }
    }

    /// Rows per second in the window ending at `now`; while the window is younger than
    /// `window`, over its age (at least a second).
    func rate(at now: ContinuousClock.Instant) -> Double {
        let total = samples[first...].reduce(0) { $0 + ($1.at <= now ? $1.rows : 0) }
        let span = max(min(window, now - start), .seconds(1))
        return Double(total) / span.seconds
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
