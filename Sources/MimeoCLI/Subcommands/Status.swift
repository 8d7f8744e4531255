import ArgumentParser
import Foundation
import MimeoCluster
import MimeoWire

extension MimeoCommand {
    /// `mimeo status`: what a cluster is doing.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a cluster's workers and jobs: state, current shard, rows/s, progress, ETA, retries.",
            discussion: """
                Asks the coordinator for a snapshot and prints it. --watch redraws it in place once a second, \
                like top (Ctrl-C to leave). --json prints the snapshot as one JSON object (one per line with \
                --watch) for scripts. Exit status: 0 when the coordinator answered, 69 when it did not within \
                --timeout-ms (so `mimeo status` serves as a health check).
                Examples:
                  mimeo status --coordinator tcp://127.0.0.1:5570
                  mimeo status --coordinator tcp://coord:5570 --watch
                  mimeo status --coordinator tcp://coord:5570 --json --job 3
                """)

        @Option(help: ArgumentHelp("The coordinator, tcp://host:port.", valueName: "endpoint"))
        var coordinator: String = "tcp://127.0.0.1:5570"

        @Flag(help: "Redraw once a second until Ctrl-C.")
        var watch = false

        @Flag(help: "Print JSON instead of tables.")
        var json = false

        @Option(help: "Show only this job (default: every job).")
        var job: UInt64 = 0

        @Option(help: "How long to wait for an answer, in milliseconds.")
        var timeoutMs: Int = 3_000

        @Option(help: "Milliseconds between redraws with --watch.")
        var intervalMs: Int = 1_000

        @OptionGroup var keys: ClusterClientKeyOptions

        func validate() throws {
            try validateTCPEndpoint(coordinator, option: "--coordinator")
            guard timeoutMs >= 1 else { throw ValidationError("--timeout-ms must be at least 1") }
            guard intervalMs >= 50 else { throw ValidationError("--interval-ms must be at least 50") }
        }

        /// A train job's detail: phase, round, the last aggregate validation loss and each site's numbers.
        static func render(train detail: TrainDetail, job: UInt64) -> String {
            let phase: String = switch detail.phase {
            case .enrolling: "enrolling sites"
            case .load: "loading"
            case .analyzeCounts: "encoding agreement (counts)"
            case .analyzeValues: "encoding agreement (values)"
            case .trainRound: "training"
            case .finished: "finished"
            }
            var text = "\ntrain job \(job): \(phase), round \(min(detail.round, detail.roundsPlanned)) of \(detail.roundsPlanned)"
            if let last = detail.losses.last { text += String(format: ", validation loss %.4f (round %d)", last.validationLoss, last.round) }
            if let privacy = detail.privacy { text += String(format: ", ε %.3f at δ %.2g", privacy.epsilon, privacy.delta) }
            if let eta = detail.etaMilliseconds { text += ", ETA " + Terminal.duration(Double(eta) / 1_000) }
            if let model = detail.finalModel { text += ", model \(model.hash) (\(model.bytes) bytes)" }
            text += "\n"
            for site in detail.sites {
                text += "  \(site.name): \(site.examples) rows"
                if let loss = site.trainLoss { text += String(format: ", train loss %.4f", loss) }
                if let loss = site.validationLoss { text += String(format: ", validation loss %.4f", loss) }
                text += String(format: ", contribution %.1f%%", site.contribution * 100)
                if let round = site.lastRound { text += ", last round \(round)" }
                text += "\n"
            }
            return text
        }

        func run() throws {
            let client = try ClusterClient(endpoint: coordinator, curve: try keys.keys(),
                                           replyTimeout: .milliseconds(timeoutMs))
            let stop = StopSignal()
            if watch { StopOnSignals.install(stop) }
            var first = true
            repeat {
                let snapshot: StatusSnapshot
                do {
                    snapshot = try client.status(job: job)
                } catch let error as ClusterError {
                    if watch && !first {
                        // Keep watching through a coordinator restart.
                        FileHandle.standardOutput.write(Data("\u{1B}[H\u{1B}[2J\(error.description); retrying...\n".utf8))
                        Thread.sleep(forTimeInterval: Double(intervalMs) / 1_000)
                        continue
                    }
                    Terminal.message("Error: \(error.description)")
                    throw ExitCode(69)
                }
                first = false
                var text = json ? try StatusView.json(snapshot, endpoint: coordinator) + "\n"
                    : StatusView.render(snapshot, endpoint: coordinator)
                if !json {
                    // Train jobs: their rounds and per-site losses (JOB-DETAIL).
                    for job in snapshot.jobs where job.kind == .train {
                        guard let detail = try? client.detail(job: job.job).body(as: TrainDetail.self) else { continue }
                        text += Self.render(train: detail, job: job.job)
                    }
                }
                FileHandle.standardOutput.write(Data(((watch && !json) ? "\u{1B}[H\u{1B}[2J" : "") .utf8) + Data(text.utf8))
                guard watch else { break }
                let end = Date().addingTimeInterval(Double(intervalMs) / 1_000)
                while Date() < end && !stop.isStopped { Thread.sleep(forTimeInterval: 0.05) }
            } while !stop.isStopped
        }
    }
}
