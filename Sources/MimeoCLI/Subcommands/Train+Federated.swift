import ArgumentParser
import Foundation
import MimeoCluster
import MimeoTabular
import MimeoWire

/// `mimeo train --cluster … --federated`: the options of a federated run.
struct FederatedTrainOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Train on the cluster whose coordinator is at this endpoint (with --federated).", valueName: "tcp://host:port"))
    var cluster: String?

    @Flag(help: "Federated training: every site is a worker holding its own table (mimeo worker --data); no row leaves a site.")
    var federated = false

    @Option(parsing: .unconditional, help: "With --federated: the most training rounds.")
    var rounds: Int = 20

    @Option(parsing: .unconditional, help: "With --federated: passes over its own rows each site makes per round.")
    var localEpochs: Int = 1

    @Option(parsing: .unconditional, help: "With --federated: optimisation steps per site per round instead of --local-epochs.")
    var localSteps: Int?

    @Option(parsing: .unconditional, help: "With --federated: sites a round needs (fewer answers: the round is retried).")
    var minSites: Int = 1

    @Option(help: ArgumentHelp("With --federated: fedavg, or fedprox (a proximal term towards the global weights, for skewed sites).", valueName: "fedavg|fedprox"))
    var strategy: String = "fedavg"

    @Option(parsing: .unconditional, help: ArgumentHelp("With --strategy fedprox: the proximal term's weight μ.", valueName: "μ"))
    var mu: Double = 0.01

    @Option(help: ArgumentHelp("With --federated: the id of the key the sites hash category values with (their --site-key-id).", valueName: "id"))
    var siteKeyID: String = "default"

    @Option(parsing: .unconditional, help: ArgumentHelp("With --federated: a round's deadline; sites not done by then are dropped from it (default: the coordinator's, 60 s).", valueName: "seconds"))
    var roundTimeout: Double?

    @Option(parsing: .unconditional, help: "With --federated: rounds without improvement of the sites' validation loss before stopping.")
    var patience: Int = 4

    @Option(parsing: .unconditional, help: ArgumentHelp("With --federated: the network's width factor (smaller: a smaller, faster model).", valueName: "factor"))
    var widthFactor: Double = 16

    @OptionGroup var clusterKeys: ClusterClientKeyOptions

    func validate() throws {
        guard federated else { return }
        guard let cluster else { throw ValidationError("--federated needs --cluster tcp://host:port") }
        try validateTCPEndpoint(cluster, option: "--cluster")
        guard (1 ... Int(TrainJob.maxRounds)).contains(rounds) else { throw ValidationError("--rounds must be 1 to \(TrainJob.maxRounds)") }
        guard (1 ... 100_000).contains(localEpochs) else { throw ValidationError("--local-epochs must be 1 to 100000") }
        if let localSteps, !(1 ... 100_000_000).contains(localSteps) { throw ValidationError("--local-steps must be 1 to 100000000") }
        guard (1 ... 65_535).contains(minSites) else { throw ValidationError("--min-sites must be 1 to 65535") }
        guard strategyValue != nil else { throw ValidationError("--strategy must be fedavg or fedprox (got '\(strategy)')") }
        if strategyValue == .fedProx { guard mu > 0, mu.isFinite else { throw ValidationError("--mu must be above 0") } }
        guard !siteKeyID.isEmpty else { throw ValidationError("--site-key-id must not be empty") }
        if let roundTimeout, !(roundTimeout >= 1 && roundTimeout <= 4_000_000) {
            throw ValidationError("--round-timeout must be 1 to 4000000 seconds")
        }
        guard patience >= 1 else { throw ValidationError("--patience must be at least 1") }
        guard widthFactor > 0, widthFactor <= 64 else { throw ValidationError("--width-factor must be above 0 and at most 64") }
    }

    var strategyValue: TrainStrategy? {
        switch strategy.lowercased() {
        case "fedavg": .fedAvg
        case "fedprox": .fedProx
        default: nil
        }
    }
}

extension MimeoCommand.Train {
    /// Submits a federated train job, shows its rounds from JOB-DETAIL, and downloads the final model to -o.
    func runFederated() throws {
        let options = federatedOptions
        guard let endpoint = options.cluster, let strategy = options.strategyValue else { return }
        try OutputSafety.check(inputs: [], outputs: [("--output", output)])
        // Open the output first, so a bad path fails before training.
        let out = try TemporaryFiles.output(path: output)
        out.discard()
        let settings = FederatedJobSettings(widthFactor: options.widthFactor, learningRate: learningRate,
                                            batchSize: batchSize, patience: options.patience,
                                            numericSubRanges: numericSubRanges,
                                            sourceName: "federated:\(endpoint)")
        let job = TrainJob(mode: .federated, rounds: UInt32(options.rounds),
                           localEpochs: options.localSteps == nil ? UInt32(options.localEpochs) : 0,
                           localSteps: UInt32(options.localSteps ?? 0), minSites: UInt16(options.minSites),
                           strategy: strategy, proximalMu: strategy == .fedProx ? options.mu : 0,
                           roundTimeoutMilliseconds: options.roundTimeout.map { UInt32($0 * 1_000) } ?? 0,
                           seed: seed, rareThreshold: UInt32(rareThreshold), keyID: options.siteKeyID,
                           settings: try settings.encoded())
        let client = try ClusterClient(endpoint: endpoint, curve: try options.clusterKeys.keys())
        let id = try client.submitTrain(job, label: "train " + URL(fileURLWithPath: output).lastPathComponent)
        if !quiet { Terminal.message("job \(id) accepted by \(endpoint): federated, \(options.rounds) rounds, at least \(options.minSites) site(s)") }
        let stop = StopSignal()
        StopOnSignals.install(stop)
        let clock = ContinuousClock()
        var lastAnswer = clock.now
        var shownRound: UInt32 = 0
        var shownPhase: TrainJobPhase?
        while true {
            if stop.isStopped {
                try? client.cancel(job: id)
                throw ValidationError("interrupted: job \(id) cancelled")
            }
            let detail: TrainDetail
            do {
                detail = try client.detail(job: id).body(as: TrainDetail.self)
                lastAnswer = clock.now
            } catch let error as ClusterError {
                // The coordinator may be restarting: keep asking for a minute.
                if clock.now - lastAnswer > .seconds(60) { throw error }
                Thread.sleep(forTimeInterval: 0.5)
                continue
            }
            if !quiet { show(detail, shownRound: &shownRound, shownPhase: &shownPhase) }
            if detail.phase == .finished {
                guard let model = detail.finalModel else {
                    let reason = client.ended[id]?.message ?? "see the coordinator's log or mimeo status"
                    throw ClusterError("job \(id) ended without a model: \(reason)")
                }
                try client.download(model, to: output)
                if !quiet { Terminal.message("wrote \(output) (\(Terminal.count(Int(model.bytes))) bytes, model \(model.hash))") }
                return
            }
            if let done = client.ended[id], done.state != .completed {
                throw ClusterError("job \(id) \(done.state == .cancelled ? "was cancelled" : "failed"): \(done.message)")
            }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    /// Prints a phase change, and each newly checkpointed round's losses per site.
    private func show(_ detail: TrainDetail, shownRound: inout UInt32, shownPhase: inout TrainJobPhase?) {
        if detail.phase != shownPhase, detail.phase != .trainRound, detail.phase != .finished {
            let text: String = switch detail.phase {
            case .enrolling: "waiting for sites to join"
            case .load: "loading"
            case .analyzeCounts: "encoding agreement: keyed-hash counts"
            case .analyzeValues: "encoding agreement: frequent values"
            default: ""
            }
            Terminal.message(text)
        }
        shownPhase = detail.phase
        for loss in detail.losses where loss.round > shownRound {
            let sites = detail.sites.map { site in
                "\(site.name) \(site.examples) rows" + (site.trainLoss.map { String(format: " train %.4f", $0) } ?? "")
                    + (site.validationLoss.map { String(format: " val %.4f", $0) } ?? "")
            }.joined(separator: "; ")
            let eta = detail.etaMilliseconds.map { "  ETA " + Terminal.duration(Double($0) / 1_000) } ?? ""
            Terminal.message(String(format: "round %d/%d  validation loss %.4f (of round %d's weights)  [%@]%@",
                                    loss.round, detail.roundsPlanned, loss.validationLoss, loss.round - 1, sites, eta))
            shownRound = loss.round
        }
    }
}
