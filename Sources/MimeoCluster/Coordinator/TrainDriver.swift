import Foundation
import GRDB
import Logging
import MimeoData
import MimeoFederated
import MimeoFederatedTraining
import MimeoTabular
import MimeoWire

/// The training options a federated job carries in TrainJob's settings document (JSON; every field optional).
public struct FederatedJobSettings: Codable, Sendable, Equatable {
    /// The network's width factor (`mimeo train`'s default is 16).
    public var widthFactor: Double?
    /// AdamW's learning rate at the sites.
    public var learningRate: Float?
    /// Rows per local step (default: from each site's size).
    public var batchSize: Int?
    /// Rounds without improvement of the aggregate validation loss before stopping.
    public var patience: Int?
    /// Wide number columns: at most this many finer parts.
    public var numericSubRanges: Int?
    /// The name recorded in the model as its source.
    public var sourceName: String?

    public init(widthFactor: Double? = nil, learningRate: Float? = nil, batchSize: Int? = nil, patience: Int? = nil,
                numericSubRanges: Int? = nil, sourceName: String? = nil) {
        self.widthFactor = widthFactor
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.patience = patience
        self.numericSubRanges = numericSubRanges
        self.sourceName = sourceName
    }

    /// The settings of a job (empty bytes: the defaults).
    public static func decode(_ bytes: [UInt8]) throws -> FederatedJobSettings {
        guard !bytes.isEmpty else { return FederatedJobSettings() }
        return try JSONDecoder().decode(FederatedJobSettings.self, from: Data(bytes))
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }
}

/// Drives federated train jobs through their phases (spec: Job kind 2) on the coordinator's loop thread: the
/// encoding agreement (phases 2 and 3, reduced by `MimeoFederatedTraining`'s coordinator end), the model's
/// initialisation as `mimeo train` does it, and the rounds, decided by `TrainScheduler`, whose actions become store
/// calls (tasks, checkpoints, the final model blob). Everything it needs between passes is in the store except the
/// scheduler and the model template, both rebuilt from it after a restart.
struct TrainDriver {
    /// One unfinished train job in this process.
    struct Run {
        /// When this process first saw the job (the enrolment timeout counts from it).
        var since: UInt64
        /// The model file's metadata (encoder, architecture, options) once the encoding is reduced.
        var template: ModelMetadata?
        var scheduler: TrainScheduler?
        /// The sites last told to the scheduler as joined, with their worker sessions.
        var joined: [String: UInt64] = [:]
        /// Rounds aggregated in this process, and the time of the first (for the summary's seconds).
        var startedAt: UInt64
    }

    let blobs: BlobStore
    let logger: Logger
    private(set) var runs: [JobID: Run] = [:]
    /// DP-FedAvg's noise (unused until DP runs here).
    private var noise = SystemRandomNumberGenerator()

    /// The most time a job waits for `--min-sites` sites when it leaves it to the coordinator.
    static let defaultEnrolmentMilliseconds: UInt64 = 600_000

    init(blobs: BlobStore, logger: Logger) {
        self.blobs = blobs
        self.logger = logger
    }

    /// Why this coordinator refuses a train job it cannot run yet, or nil.
    static func unsupported(_ job: TrainJob) -> String? {
        if job.mode != .federated { return "data-parallel training is not run by this coordinator yet" }
        if job.secureAggregation { return "secure aggregation is not run by this coordinator yet" }
        if job.privacy != nil { return "differential privacy is not run by this coordinator yet" }
        if (try? FederatedJobSettings.decode(job.settings)) == nil { return "the job's settings are not valid JSON" }
        return nil
    }

    /// Starts tracking a train job (at SUBMIT, or an unfinished one at start-up).
    mutating func track(_ job: JobID, now: UInt64) {
        if runs[job] == nil { runs[job] = Run(since: now, startedAt: now) }
    }

    /// One pass over every tracked job with the site workers joined now (name → worker session id). Returns
    /// whether tasks were added.
    mutating func drive(tx: StoreTransaction, now: UInt64, sites: [String: UInt64]) throws -> Bool {
        var added = false
        for id in runs.keys.sorted() {
            do {
                added = try drive(id, tx: tx, now: now, sites: sites) || added
            } catch let error as DatabaseError {
                // The state file itself failed: the pass is rolled back and the coordinator reports it.
                throw error
            } catch {
                // Anything else is this job's (a summary that does not reduce, a checkpoint that cannot resume):
                // the job fails, the coordinator goes on.
                logger.error("train job failed", metadata: ["job": "\(id)", "error": "\(error)"])
                try tx.failTrain(job: id, reason: "\(error)", now: now)
                runs[id] = nil
            }
        }
        return added
    }

    /// A phase-4 result the store accepted: the scheduler aggregates when the round is complete.
    mutating func roundResult(job: JobID, site: String, result: TrainRoundResult, tx: StoreTransaction,
                              now: UInt64) throws {
        guard var run = runs[job], var scheduler = run.scheduler else { return }
        let contribution: TrainScheduler.Contribution
        switch (result.update.encoding, result.update.body) {
        case let (.binary32, .inline(bytes)):
            contribution = .plain(TrainUpdate.words(of: bytes).map(Float.init(bitPattern:)))
        case let (.maskedWords, .inline(bytes)):
            contribution = .masked(TrainUpdate.words(of: bytes))
        case (_, .reference):
            logger.warning("update by hash not fetched (not supported yet); the site is a straggler",
                           metadata: ["job": "\(job)", "site": "\(site)"])
            return
        }
        let actions = scheduler.handle(.result(site: site, round: result.round, attempt: scheduler.attempt,
                                               result: result, update: contribution), now: now, noise: &noise)
        run.scheduler = scheduler
        runs[job] = run
        _ = try apply(actions, job: job, tx: tx, now: now)
    }

    /// A PROGRESS of a phase-4 task the store renewed: the scheduler's round deadline moves on too.
    mutating func roundProgress(job: JobID, site: String, now: UInt64) {
        guard var run = runs[job], var scheduler = run.scheduler else { return }
        _ = scheduler.handle(.progress(site), now: now, noise: &noise)
        run.scheduler = scheduler
        runs[job] = run
    }

    // MARK: Phases

    private mutating func drive(_ id: JobID, tx: StoreTransaction, now: UInt64, sites: [String: UInt64]) throws -> Bool {
        guard let record = try tx.trainJob(id), !record.state.isFinished else {
            runs[id] = nil
            return false
        }
        let job = record.job
        switch record.phase {
        case .enrolling:
            let joined = sites.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            guard joined.count >= Int(job.minSites) else {
                let limit = job.enrolmentTimeoutMilliseconds == 0 ? Self.defaultEnrolmentMilliseconds
                    : UInt64(job.enrolmentTimeoutMilliseconds)
                if now >= runs[id]!.since + limit {
                    try tx.failTrain(job: id, reason: "503: only \(joined.count) of the \(job.minSites) sites needed "
                                     + "joined within \(limit) ms", now: now)
                    runs[id] = nil
                }
                return false
            }
            let counts = TrainAnalyzeCounts(rareThreshold: job.rareThreshold, keyID: job.keyID, sendPublicKey: false)
            _ = try tx.addTrainTasks(job: id, joined.map { TrainTask(round: 0, site: $0, work: .analyzeCounts(counts)) })
            try tx.setTrainPhase(job: id, phase: .analyzeCounts, round: 0, roundAttempt: 0, participants: joined)
            logger.info("train job enrolled its sites", metadata: ["job": "\(id)", "sites": "\(joined)"])
            return true
        case .analyzeCounts:
            guard let done = try finishedTasks(id, phase: .analyzeCounts, tx: tx) else { return false }
            let (agreement, _) = try agreement(for: job, counts: done)
            let request = agreement.valueRequest()
            var keyed: [KeyedValue] = []
            for (column, hashes) in request.columns.enumerated() {
                for hash in hashes { keyed.append(KeyedValue(column: UInt32(column), hash: hash.wire)) }
            }
            keyed.sort()
            let names = done.map(\.site)
            _ = try tx.addTrainTasks(job: id, names.map {
                TrainTask(round: 0, site: $0, work: .analyzeValues(TrainAnalyzeValues(requested: keyed)))
            })
            try tx.setTrainPhase(job: id, phase: .analyzeValues, round: 0, roundAttempt: 0, participants: names)
            logger.info("encoding agreement round 1 reduced", metadata: ["job": "\(id)", "values_asked": "\(keyed.count)"])
            return true
        case .analyzeValues:
            guard let done = try finishedTasks(id, phase: .analyzeValues, tx: tx),
                  let counted = try finishedTasks(id, phase: .analyzeCounts, tx: tx) else { return false }
            var (agreement, rows) = try agreement(for: job, counts: counted)
            for task in done {
                guard case let .values(values)? = task.result?.outcome else { continue }
                var columns = [[MimeoFederatedTraining.RevealedValue]](repeating: [], count: agreement.schema.columns.count)
                for value in values where Int(value.key.column) < columns.count {
                    columns[Int(value.key.column)].append(MimeoFederatedTraining.RevealedValue(
                        hash: try ValueHash(wire: value.key.hash), value: value.value))
                }
                try agreement.add(site: task.site, values: SiteValuesSummary(columns: columns))
            }
            let encoder = try agreement.reduce()
            let settings = try FederatedJobSettings.decode(job.settings)
            let architecture = ModelArchitecture(cardinalities: encoder.subColumnCardinalities,
                                                 columns: encoder.subColumnColumns,
                                                 widthFactor: settings.widthFactor ?? 16, contextWidth: .automatic)
            var training = TrainingOptions()
            training.seed = job.seed
            training.maxEpochs = Int(job.rounds)
            if let rate = settings.learningRate { training.learningRate = rate }
            training.batchSize = settings.batchSize
            let weights = TabularModel(architecture: architecture, seed: job.seed).parameters
            let metadata = ModelMetadata(
                formatVersion: Int(ModelFile.formatVersion(for: architecture)), mimeoVersion: ModelFile.mimeoVersion,
                encoder: encoder, architecture: architecture, encodingOptions: agreement.options,
                trainingOptions: training,
                training: TrainingSummary(trainingRows: 0, validationRows: 0, epochs: 0, bestEpoch: 0, trainLoss: 0,
                                          validationLoss: 0, seconds: 0, rowsPerSecond: 0,
                                          stopReason: "federated training in progress", batchSize: 0, seed: job.seed),
                sourceName: settings.sourceName ?? "federated", sourceRows: rows)
            try tx.setTrainEncoding(job: id, encoding: try ModelFile.encode(metadata: metadata, parameters: weights))
            try tx.checkpoint(TrainCheckpoint(job: id, round: 0, weights: TrainScheduler.storedWeights(weights),
                                              trainLoss: nil, validationLoss: nil, siteLosses: [], epsilon: nil,
                                              participants: done.map(\.site), createdAt: now),
                              bestRound: nil, patienceLeft: nil)
            try tx.setTrainPhase(job: id, phase: .trainRound, round: 1, roundAttempt: 0)
            runs[id]!.template = metadata
            runs[id]!.scheduler = try TrainScheduler(configuration: configuration(job, settings: settings),
                                                     weights: weights, firstRound: 1, now: now)
            runs[id]!.joined = [:]
            runs[id]!.startedAt = now
            logger.info("encoding agreed; model initialised", metadata: [
                "job": "\(id)", "parameters": "\(weights.count)", "sub_columns": "\(architecture.subColumnCount)",
            ])
            return try rounds(id, tx: tx, now: now, sites: sites)
        case .trainRound:
            if runs[id]!.scheduler == nil {
                guard let encoding = record.encoding else { throw FederatedTrainingError("job \(id) has no stored encoding") }
                let metadata = try ModelFile.decode(encoding).metadata
                let settings = try FederatedJobSettings.decode(job.settings)
                guard let scheduler = try TrainScheduler.resume(id, configuration: configuration(job, settings: settings),
                                                                in: tx, now: now) else {
                    throw FederatedTrainingError("job \(id) has no checkpoint to resume from")
                }
                runs[id]!.template = metadata
                runs[id]!.scheduler = scheduler
                runs[id]!.joined = [:]
                logger.info("train job resumed from its checkpoint", metadata: ["job": "\(id)", "round": "\(scheduler.round)"])
            }
            return try rounds(id, tx: tx, now: now, sites: sites)
        case .load, .finished:
            return false
        }
    }

    /// The round phase: tells the scheduler who joined and left, ticks it, and applies its actions.
    private mutating func rounds(_ id: JobID, tx: StoreTransaction, now: UInt64, sites: [String: UInt64]) throws -> Bool {
        guard var run = runs[id], var scheduler = run.scheduler else { return false }
        var actions: [TrainScheduler.Action] = []
        // A site whose worker session changed (it rejoined) was lost, then joined again.
        for (site, session) in run.joined.sorted(by: { $0.key < $1.key }) where sites[site] != session {
            actions += scheduler.handle(.siteLost(site), now: now, noise: &noise)
        }
        let arrived = sites.filter { run.joined[$0.key] != $0.value }.keys.sorted()
        if !arrived.isEmpty { actions += scheduler.handle(.sitesJoined(arrived), now: now, noise: &noise) }
        actions += scheduler.handle(.tick, now: now, noise: &noise)
        run.joined = sites
        run.scheduler = scheduler
        runs[id] = run
        return try apply(actions, job: id, tx: tx, now: now)
    }

    /// Turns the scheduler's actions into store calls; returns whether tasks were added.
    private mutating func apply(_ actions: [TrainScheduler.Action], job id: JobID, tx: StoreTransaction,
                                now: UInt64) throws -> Bool {
        var added = false
        for action in actions {
            guard let run = runs[id], let template = run.template, let scheduler = run.scheduler,
                  let record = try tx.trainJob(id) else { return added }
            let job = record.job
            switch action {
            case let .startRound(start):
                let model = try store(try ModelFile.encode(metadata: template, parameters: scheduler.weights))
                let participants = start.participants.map { TrainParticipant(site: $0) }
                _ = try tx.addTrainTasks(job: id, start.participants.map { site in
                    TrainTask(round: start.round, site: site, work: .trainRound(TrainRoundWork(
                        model: model, localEpochs: job.localEpochs, localSteps: job.localSteps, strategy: job.strategy,
                        proximalMu: job.proximalMu, clip: nil, masking: nil, participants: participants,
                        seed: job.seed &+ UInt64(start.round))))
                })
                try tx.setTrainPhase(job: id, phase: .trainRound, round: start.round, roundAttempt: start.attempt,
                                     participants: start.participants)
                logger.info("round started", metadata: [
                    "job": "\(id)", "round": "\(start.round)", "attempt": "\(start.attempt)",
                    "participants": "\(start.participants)",
                ])
                added = true
            case let .voidRound(round, attempt, reason):
                try tx.voidTrainTasks(job: id, round: round)
                logger.warning("round attempt voided", metadata: [
                    "job": "\(id)", "round": "\(round)", "attempt": "\(attempt)", "reason": "\(reason)",
                ])
            case let .checkpoint(checkpoint):
                try tx.checkpoint(checkpoint.stored(job: id, participants: checkpoint.siteLosses.map(\.site), now: now),
                                  bestRound: checkpoint.bestRound, patienceLeft: checkpoint.patienceLeft)
                logger.info("round checkpointed", metadata: [
                    "job": "\(id)", "round": "\(checkpoint.round)", "train_loss": "\(checkpoint.trainLoss)",
                    "validation_loss": "\(checkpoint.validationLoss.map { "\($0)" } ?? "-")",
                    "dropped": "\(checkpoint.dropped)",
                ])
            case let .finish(bestRound, weights, reason):
                let last = try tx.lastCheckpoint(job: id)
                let examples = last?.siteLosses.reduce(0) { $0 + Int($1.examples) } ?? 0
                let validation = last?.siteLosses.reduce(0) { $0 + Int($1.validationExamples) } ?? 0
                let best = try tx.checkpoint(job: id, round: bestRound + 1)?.validationLoss ?? last?.validationLoss
                var metadata = template
                let seconds = Double(now &- run.startedAt) / 1_000
                let steps = job.localSteps > 0 ? Double(job.localSteps) : Double(job.localEpochs)
                let roundsDone = Double(last?.round ?? 0)
                let why: String = switch reason {
                case .roundsDone: "max rounds (\(job.rounds))"
                case .earlyStopped: "early stopping on the aggregate validation loss"
                case .privacyBudget: "privacy budget reached"
                }
                metadata.training = TrainingSummary(
                    trainingRows: examples, validationRows: validation, epochs: roundsDone * steps,
                    bestEpoch: Int(bestRound), trainLoss: last?.trainLoss ?? 0, validationLoss: best ?? 0,
                    seconds: seconds, rowsPerSecond: seconds > 0 ? Double(examples) * roundsDone * steps / seconds : 0,
                    stopReason: "federated over \(last?.siteLosses.count ?? 0) sites: \(why)", batchSize: 0,
                    seed: job.seed)
                let model = try store(try ModelFile.encode(metadata: metadata, parameters: weights))
                try tx.completeTrain(job: id, finalModel: model, now: now)
                logger.info("train job finished", metadata: [
                    "job": "\(id)", "best_round": "\(bestRound)", "reason": "\(why)", "model": "\(model.hash)",
                ])
                runs[id] = nil
            case let .fail(reason):
                try tx.failTrain(job: id, reason: reason, now: now)
                runs[id] = nil
            }
        }
        return added
    }

    // MARK: Helpers

    /// The tasks of a phase when every live one (not voided) is done, else nil.
    private func finishedTasks(_ id: JobID, phase: TrainPhase, tx: StoreTransaction) throws -> [TrainTaskRecord]? {
        let live = try tx.trainTasks(job: id, phase: phase).filter { $0.state != .void }
        guard !live.isEmpty, live.allSatisfy({ $0.state == .done }) else { return nil }
        return live.sorted { Array($0.site.utf8).lexicographicallyPrecedes(Array($1.site.utf8)) }
    }

    /// The coordinator end of the encoding agreement after round 1: the schema of the first site in name order,
    /// every site's counts added. Also returns the sites' rows in total.
    private func agreement(for job: TrainJob, counts tasks: [TrainTaskRecord]) throws -> (EncodingAgreement, Int) {
        var envelopes: [(String, SiteSummaryEnvelope)] = []
        for task in tasks {
            guard case let .counts(version, summary, _)? = task.result?.outcome else {
                throw FederatedTrainingError("site \(task.site) answered phase 2 without a summary")
            }
            envelopes.append((task.site, try SiteSummaryEnvelope.decode(summary, version: version)))
        }
        guard let schema = envelopes.first?.1.schema else { throw FederatedTrainingError("no site summaries") }
        for (site, envelope) in envelopes {
            guard envelope.schema.columns.map(\.name) == schema.columns.map(\.name),
                  envelope.schema.columns.map(\.kind) == schema.columns.map(\.kind) else {
                throw FederatedTrainingError("site \(site)'s columns or column kinds differ from site "
                                             + "\(envelopes[0].0)'s; give every site the same --schema")
            }
        }
        let settings = try FederatedJobSettings.decode(job.settings)
        var agreement = EncodingAgreement(schema: schema, options: EncodingOptions(
            rareThreshold: Int(job.rareThreshold), numericSubRanges: settings.numericSubRanges ?? 10))
        var rows = 0
        for (site, envelope) in envelopes {
            try agreement.add(site: site, counts: envelope.counts)
            rows += envelope.counts.rowCount
        }
        return (agreement, rows)
    }

    private func configuration(_ job: TrainJob, settings: FederatedJobSettings) -> TrainScheduler.Configuration {
        TrainScheduler.Configuration(
            rounds: job.rounds, minSites: Int(job.minSites),
            roundAttempts: job.roundAttempts == 0 ? StoreTransaction.defaultRoundAttempts : UInt32(job.roundAttempts),
            roundTimeoutMilliseconds: UInt64(job.roundTimeoutMilliseconds == 0
                ? StoreTransaction.defaultRoundTimeoutMilliseconds : job.roundTimeoutMilliseconds),
            enrolmentTimeoutMilliseconds: job.enrolmentTimeoutMilliseconds == 0 ? Self.defaultEnrolmentMilliseconds
                : UInt64(job.enrolmentTimeoutMilliseconds),
            patience: settings.patience ?? 4, relativeMargin: 0)
    }

    /// Stores bytes as a blob and returns its reference.
    private func store(_ bytes: [UInt8]) throws -> BlobReference {
        let writer = try BlobWriter(store: blobs)
        try writer.append(bytes)
        let hash = writer.hash
        if blobs.contains(hash) {
            writer.discard()
        } else {
            try writer.commit(expecting: hash)
        }
        return BlobReference(hash: hash, bytes: UInt64(bytes.count))
    }
}
