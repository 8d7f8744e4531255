import CoreMetrics
import Testing
@testable import MimeoObservability

/// The samples of a Prometheus text exposition, keyed by name and labels as written
/// (`mimeo_messages_dropped_total{reason="malformed"}`).
func samples(_ exposition: [UInt8]) -> [String: Double] {
    var result: [String: Double] = [:]
    for line in String(decoding: exposition, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            continue
        }
        result[String(line[..<space])] = value
    }
    return result
}

@Suite struct ClusterMetricsTests {
    static let counters = [
        "mimeo_messages_received_total", "mimeo_messages_sent_total", "mimeo_shards_leased_total",
        "mimeo_shards_done_total", "mimeo_shards_retried_total", "mimeo_shards_failed_total",
        "mimeo_rows_generated_total",
    ]
    static let gauges = ["mimeo_workers_up", "mimeo_jobs_running", "mimeo_rows_per_second"]
    static let histograms = ["mimeo_lease_round_trip_seconds", "mimeo_message_handling_seconds"]

    @Test func everyMetricIsThereAtZeroWithHelpAndType() {
        let metrics = ClusterMetrics()
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let values = samples(metrics.exposition())
        for name in Self.counters + Self.gauges {
            #expect(values[name] == 0, "\(name)")
        }
        for reason in ClusterMetrics.DropReason.allCases {
            #expect(values["mimeo_messages_dropped_total{reason=\"\(reason.rawValue)\"}"] == 0)
        }
        for name in Self.histograms {
            #expect(values["\(name)_count"] == 0)
            #expect(values["\(name)_bucket{le=\"+Inf\"}"] == 0)
        }
        for name in Self.counters + ["mimeo_messages_dropped_total"] {
            #expect(text.contains("# TYPE \(name) counter\n"), "\(name)")
            #expect(text.contains("# HELP \(name) "), "\(name)")
        }
        for name in Self.gauges { #expect(text.contains("# TYPE \(name) gauge\n"), "\(name)") }
        for name in Self.histograms { #expect(text.contains("# TYPE \(name) histogram\n"), "\(name)") }
    }

    @Test func countsGaugesAndHistogramsShowWhatWasRecorded() {
        let start = ContinuousClock.now
        let metrics = ClusterMetrics(rateWindow: .seconds(10), now: start)
        for _ in 0..<5 { metrics.messageReceived() }
        for _ in 0..<3 { metrics.messageSent() }
        metrics.messageDropped(.malformed)
        metrics.messageDropped(.malformed)
        metrics.messageDropped(.version)
        for _ in 0..<4 { metrics.shardLeased() }
        for _ in 0..<2 { metrics.shardDone() }
        metrics.shardRetried()
        metrics.shardFailed()
        metrics.setWorkersUp(3)
        metrics.setJobsRunning(1)
        metrics.rowsGenerated(1_000, at: start + .seconds(2))
        metrics.rowsGenerated(500, at: start + .seconds(3))
        metrics.rowsGenerated(0, at: start + .seconds(3))
        metrics.leaseRoundTrip(.milliseconds(1_500))
        metrics.leaseRoundTrip(.seconds(45))
        metrics.messageHandled(in: .microseconds(30))

        let values = samples(metrics.exposition(at: start + .seconds(5)))
        #expect(values["mimeo_messages_received_total"] == 5)
        #expect(values["mimeo_messages_sent_total"] == 3)
        #expect(values["mimeo_messages_dropped_total{reason=\"malformed\"}"] == 2)
        #expect(values["mimeo_messages_dropped_total{reason=\"version\"}"] == 1)
        #expect(values["mimeo_messages_dropped_total{reason=\"oversized\"}"] == 0)
        #expect(values["mimeo_shards_leased_total"] == 4)
        #expect(values["mimeo_shards_done_total"] == 2)
        #expect(values["mimeo_shards_retried_total"] == 1)
        #expect(values["mimeo_shards_failed_total"] == 1)
        #expect(values["mimeo_rows_generated_total"] == 1_500)
        #expect(values["mimeo_workers_up"] == 3)
        #expect(values["mimeo_jobs_running"] == 1)
        // 1500 rows in the 5 s since the start (the window is not full yet).
        #expect(values["mimeo_rows_per_second"] == 300)
        #expect(values["mimeo_lease_round_trip_seconds_count"] == 2)
        #expect(values["mimeo_lease_round_trip_seconds_sum"] == 46.5)
        #expect(values["mimeo_lease_round_trip_seconds_bucket{le=\"1.0\"}"] == 0)
        #expect(values["mimeo_lease_round_trip_seconds_bucket{le=\"2.5\"}"] == 1)
        #expect(values["mimeo_lease_round_trip_seconds_bucket{le=\"30.0\"}"] == 1)
        #expect(values["mimeo_lease_round_trip_seconds_bucket{le=\"60.0\"}"] == 2)
        #expect(values["mimeo_lease_round_trip_seconds_bucket{le=\"+Inf\"}"] == 2)
        #expect(values["mimeo_message_handling_seconds_count"] == 1)
        #expect(values["mimeo_message_handling_seconds_bucket{le=\"0.00005\"}"] == 1)
        #expect(values["mimeo_message_handling_seconds_bucket{le=\"0.00001\"}"] == 0)
    }

    @Test func rowRateCoversTheWindowAndFallsToZeroWhenIdle() {
        let start = ContinuousClock.now
        let metrics = ClusterMetrics(rateWindow: .seconds(10), now: start)
        metrics.rowsGenerated(2_000, at: start + .seconds(20))
        metrics.rowsGenerated(3_000, at: start + .seconds(25))
        #expect(samples(metrics.exposition(at: start + .seconds(26)))["mimeo_rows_per_second"] == 500)
        // The first result has left the 10 s window.
        #expect(samples(metrics.exposition(at: start + .seconds(31)))["mimeo_rows_per_second"] == 300)
        #expect(samples(metrics.exposition(at: start + .seconds(40)))["mimeo_rows_per_second"] == 0)
        #expect(samples(metrics.exposition(at: start + .seconds(40)))["mimeo_rows_generated_total"] == 5_000)
    }

    @Test func dropReasonsFollowTheMWPErrorCodes() {
        #expect(ClusterMetrics.DropReason(errorCode: 400) == .malformed)
        #expect(ClusterMetrics.DropReason(errorCode: 401) == .version)
        #expect(ClusterMetrics.DropReason(errorCode: 402) == .unknown)
        #expect(ClusterMetrics.DropReason(errorCode: 403) == .unexpected)
        #expect(ClusterMetrics.DropReason(errorCode: 413) == .oversized)
        #expect(ClusterMetrics.DropReason(errorCode: 415) == nil)
        #expect(ClusterMetrics.DropReason(errorCode: 0) == nil)
    }

    @Test func instancesDoNotShareCounts() {
        let one = ClusterMetrics()
        let two = ClusterMetrics()
        one.shardDone()
        one.shardDone()
        two.shardDone()
        #expect(samples(one.exposition())["mimeo_shards_done_total"] == 2)
        #expect(samples(two.exposition())["mimeo_shards_done_total"] == 1)
    }

    @Test func swiftMetricsReportsIntoTheRegistryOnceBootstrapped() {
        let metrics = ClusterMetrics()
        let installed = metrics.bootstrapMetricsSystem()
        #expect(!ClusterMetrics().bootstrapMetricsSystem())
        guard installed else { return }  // another suite in this process installed its own first
        CoreMetrics.Counter(label: "mimeo_swift_metrics_probe_total").increment(by: 7)
        CoreMetrics.Timer(label: "mimeo_swift_metrics_probe_seconds").recordMilliseconds(20)
        let values = samples(metrics.exposition())
        #expect(values["mimeo_swift_metrics_probe_total"] == 7)
        #expect(values["mimeo_swift_metrics_probe_seconds_count"] == 1)
    }
}
