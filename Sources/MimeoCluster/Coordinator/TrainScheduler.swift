import Foundation
import MimeoFederated
import MimeoWire

/// The training rounds of one train job (spec: Job kind 2, Rounds) as a pure state machine: events in (sites
/// joining and leaving, round results, the clock), actions out (start a round's tasks, void an attempt, checkpoint,
/// finish, fail). No sockets, no store, no clock of its own; the coordinator's shell turns the actions into
/// `StoreTransaction` calls and LEASEs. Aggregation is `MimeoFederated`'s `RoundAggregator` (FedAvg weighted by
/// examples, or DP-FedAvg with its clip and noise), and ε is `RDPAccountant`'s.
///
/// Rules:
/// - A round starts when at least `minSites` sites are joined; its participants are the sites joined then, and
///   its deadline is `now + roundTimeout`. Waiting longer than the enrolment timeout fails the job.
/// - A participant that is lost, or has not answered by the deadline, is a straggler: it is dropped from the round.
///   A result for another round or attempt, from a non-participant, or a second one from a site, is stale.
/// - A round closes when every participant answered or was dropped, or at the deadline. With at least `minSites`
///   usable updates it is aggregated and checkpointed; otherwise the attempt is voided and the round runs again,
///   up to `roundAttempts` attempts, after which the job fails.
/// - With secure aggregation the participants are the joined sites whose public key (phase 2) is known; their
///   masked vectors are summed by `SecureAggregationRound` (context: the job id in decimal, the round, the attempt
///   − 1) and the example-weighted mean is read from the sum (`FederatedAveraging.meanDelta(fromSecureSum:)`). A
///   round with a dropped participant cannot be unmasked: the attempt is voided and rerun without the dropped sites
///   (a new participant list, hence new masks); reruns count as attempts. DP with secure aggregation is not
///   supported here yet.
/// - Early stopping: the validation loss a site reports in round r is that of the incoming weights (round r − 1's
///   checkpoint). The aggregate, weighted by validation examples, improves when it is below the best so far by more
///   than `relativeMargin`; after `patience` rounds without improvement the job finishes with the best weights.
/// - DP: after each aggregated round ε is the accountant's; the job finishes before a round that would exceed the
///   target ε.
public struct TrainScheduler: Sendable {
    /// The settings of one job's rounds.
    public struct Configuration: Sendable, Equatable {
        public var rounds: UInt32
        public var minSites: Int
        public var roundAttempts: UInt32
        public var roundTimeoutMilliseconds: UInt64
        public var enrolmentTimeoutMilliseconds: UInt64
        /// Secure aggregation's settings, or nil for plain updates.
        public var masking: Masking?
        /// DP-FedAvg's calibrated configuration, or nil.
        public var privacy: DPFedAvgConfiguration?
        /// Rounds without improvement before stopping; 0 never stops early.
        public var patience: Int
        /// The relative improvement of the validation loss that counts as one.
        public var relativeMargin: Double

        /// Whether updates are masked.
        public var secureAggregation: Bool { masking != nil }

        public init(rounds: UInt32, minSites: Int, roundAttempts: UInt32, roundTimeoutMilliseconds: UInt64,
                    enrolmentTimeoutMilliseconds: UInt64, masking: Masking? = nil,
                    privacy: DPFedAvgConfiguration? = nil, patience: Int = 0, relativeMargin: Double = 0) {
            self.rounds = rounds
            self.minSites = minSites
            self.roundAttempts = roundAttempts
            self.roundTimeoutMilliseconds = roundTimeoutMilliseconds
            self.enrolmentTimeoutMilliseconds = enrolmentTimeoutMilliseconds
            self.masking = masking
            self.privacy = privacy
            self.patience = patience
            self.relativeMargin = relativeMargin
        }
    }

    /// Secure aggregation's public settings for a job (spec: TrainTask, masking).
    public struct Masking: Sendable, Equatable {
        /// The job id in the masks' context (`SecureAggregationContext.jobID`): the protocol job id in decimal.
        public var jobID: String
        /// B: each scaled delta value is clipped to [−B, B] before quantisation.
        public var clipBound: Double
        /// n: the most sites a round may sum.
        public var maximumSites: Int
        /// The example count cap of FedAvg under secure aggregation (`FederatedAveraging.secureAggregationInput`).
        public var weightCap: Int
        public init(jobID: String, clipBound: Double, maximumSites: Int, weightCap: Int) {
            self.jobID = jobID
            self.clipBound = clipBound
            self.maximumSites = maximumSites
            self.weightCap = weightCap
        }

        /// The masking fields of a train-round lease (spec: TrainTask).
        public var lease: TrainMasking {
            TrainMasking(clipBound: clipBound, maximumSites: UInt32(clamping: maximumSites),
                         weightCap: UInt32(clamping: weightCap))
        }
    }

    /// A site's update as it arrives: plain deltas, or secure aggregation's masked words.
    public enum Contribution: Sendable, Equatable {
        case plain([Float])
        case masked([UInt32])
    }

    /// Something that happened.
    public enum Event: Sendable {
        /// A worker of this site name joined (READY), or is joined when the scheduler starts.
        case siteJoined(String)
        /// Several sites joined at once (the sites joined when the job reaches its rounds, or after a restart):
        /// all of them are joined before a round may start, so the round's participants include every one.
        case sitesJoined([String])
        /// The site's worker died or left.
        case siteLost(String)
        /// The site's X25519 public key for the job (its phase-2 result), needed to mask with it.
        case siteKey(String, publicKey: SitePublicKey)
        /// A RESULT of a round's task accepted by the store: the site's result and its update.
        case result(site: String, round: UInt32, attempt: UInt32, result: TrainRoundResult, update: Contribution)
        /// A PROGRESS of the site's task in the running round: the round's deadline moves to at least now + the
        /// round timeout (spec: the round's deadline is its tasks' lease timeout, which PROGRESS renews).
        case progress(String)
        /// Time passed (deadlines, enrolment).
        case tick
    }

    /// A round attempt to lease to its participants.
    public struct RoundStart: Sendable, Equatable {
        public var round: UInt32
        /// From 1 within the round.
        public var attempt: UInt32
        /// In increasing byte order.
        public var participants: [String]
        public var deadline: UInt64
        /// Secure aggregation: the key bundle the participants mask with (their keys under this attempt's context).
        public var bundle: KeyBundle?
    }

    /// An aggregated round, to checkpoint.
    public struct RoundCheckpoint: Sendable, Equatable {
        public var round: UInt32
        public var weights: [Float]
        /// Aggregate training loss, weighted by examples.
        public var trainLoss: Double
        /// Aggregate validation loss of the incoming weights, weighted by validation examples; nil without any.
        public var validationLoss: Double?
        /// The contributing sites' numbers, in order.
        public var siteLosses: [SiteRoundLoss]
        /// Participants without a usable update (stragglers, rejected updates).
        public var dropped: [String]
        /// ε spent after this round (DP).
        public var epsilon: Double?
        /// The checkpoint whose weights have the best validation loss so far (nil before any validation).
        public var bestRound: UInt32?
        public var patienceLeft: Int?
    }

    /// Why a job finished.
    public enum StopReason: Sendable, Equatable {
        case roundsDone
        case earlyStopped
        case privacyBudget
    }

    /// What the shell must do, in order.
    public enum Action: Sendable, Equatable {
        /// Create and lease one task per participant (`addTrainTasks`, `setTrainPhase`).
        case startRound(RoundStart)
        /// Void the outstanding tasks of an attempt that will not be aggregated (`voidTrainTasks`), with the reason.
        case voidRound(round: UInt32, attempt: UInt32, reason: String)
        /// Checkpoint the round (`checkpoint`), in the same transaction as the next round's start.
        case checkpoint(RoundCheckpoint)
        /// The job is done: the final model is checkpoint `bestRound`'s weights.
        case finish(bestRound: UInt32, weights: [Float], reason: StopReason)
        case fail(String)
    }

    /// Where the scheduler is.
    public enum State: Sendable, Equatable {
        /// Waiting for `minSites` sites since this time, to start `round`.
        case waiting(since: UInt64)
        case running(RoundStart)
        case finished
    }

    public let configuration: Configuration
    public private(set) var state: State
    /// The round to run or running.
    public private(set) var round: UInt32
    /// Attempts made at `round`.
    public private(set) var attempt: UInt32 = 0
    /// The global weights: round − 1's checkpoint.
    public private(set) var weights: [Float]
    /// Joined sites.
    public private(set) var joined: Set<String> = []
    /// Answers to the running attempt (the plain deltas; empty when masked).
    private var answers: [String: (result: TrainRoundResult, delta: [Float])] = [:]
    /// Sites' public keys.
    private var keys: [String: SitePublicKey] = [:]
    /// The running attempt's masked sum.
    private var masked: SecureAggregationRound?
    /// Participants of the running attempt dropped before the deadline.
    private var dropped: Set<String> = []
    /// Sites dropped from a voided masked attempt, left out of its rerun.
    private var excluded: Set<String> = []
    private var best: (round: UInt32, loss: Double, weights: [Float])?
    public private(set) var patienceLeft: Int?
    private var accountant: RDPAccountant?
    public private(set) var epsilon: Double?
    /// Stale results ignored so far.
    public private(set) var staleResults = 0

    /// A scheduler about to run round `firstRound` from `weights` (round 0's, or a resumed checkpoint's):
    /// resuming after checkpoint r passes r + 1, r's weights, the best round so far with its loss and weights, and
    /// the patience left; the accountant is recomposed for the r rounds already aggregated.
    public init(configuration: Configuration, weights: [Float], firstRound: UInt32 = 1,
                best: (round: UInt32, loss: Double, weights: [Float])? = nil, patienceLeft: Int? = nil,
                now: UInt64) throws {
        guard configuration.rounds >= 1, configuration.minSites >= 1, configuration.roundAttempts >= 1,
              firstRound >= 1, !weights.isEmpty else {
            throw StoreError.invalidJob("a train schedule needs rounds, sites, attempts and weights")
        }
        if let masking = configuration.masking {
            guard configuration.minSites >= 2, masking.maximumSites >= configuration.minSites, masking.weightCap >= 1,
                  masking.clipBound.isFinite, masking.clipBound > 0 else {
                throw StoreError.invalidJob("secure aggregation needs at least 2 sites, a clip bound and a weight cap")
            }
            guard configuration.privacy == nil else {
                throw StoreError.invalidJob("DP with secure aggregation is not supported by the scheduler yet")
            }
        }
        self.configuration = configuration
        self.weights = weights
        self.round = firstRound
        self.best = best
        self.patienceLeft = patienceLeft
        state = firstRound > configuration.rounds ? .finished : .waiting(since: now)
        if let privacy = configuration.privacy {
            var accountant = try RDPAccountant()
            if firstRound > 1 {
                try accountant.compose(samplingRate: privacy.samplingRate, noiseMultiplier: privacy.noiseMultiplier,
                                       count: Int(firstRound - 1))
                epsilon = try accountant.epsilon(delta: privacy.delta).epsilon
            }
            self.accountant = accountant
        }
    }

    /// Applies one event at `now`; `noise` draws DP-FedAvg's Gaussian noise (use a cryptographically secure
    /// generator in production; tests pass a seeded one).
    public mutating func handle<Generator: RandomNumberGenerator>(_ event: Event, now: UInt64,
                                                                  noise: inout Generator) -> [Action] {
        guard state != .finished else {
            if case .result = event { staleResults += 1 }
            return []
        }
        switch event {
        case let .siteJoined(site):
            joined.insert(site)
            if case .waiting = state { return tryStart(now: now) }
            return []
        case let .sitesJoined(sites):
            joined.formUnion(sites)
            if case .waiting = state { return tryStart(now: now) }
            return []
        case let .siteKey(site, key):
            keys[site] = key
            if case .waiting = state { return tryStart(now: now) }
            return []
        case let .siteLost(site):
            joined.remove(site)
            guard case let .running(start) = state, start.participants.contains(site), answers[site] == nil
            else { return [] }
            dropped.insert(site)
            masked?.siteDropped(site)
            return closeIfComplete(start, now: now, noise: &noise)
        case let .result(site, round, attempt, result, update):
            guard case let .running(start) = state, round == start.round, attempt == start.attempt,
                  result.round == round, start.participants.contains(site), answers[site] == nil,
                  !dropped.contains(site) else {
                staleResults += 1
                return []
            }
            switch (update, masked) {
            case let (.plain(delta), nil):
                answers[site] = (result, delta)
            case (.masked, let round?) where { if case .voided = round.outcome { true } else { false } }():
                // The attempt is already void: the site answered in time and stays eligible for the rerun.
                answers[site] = (result, [])
            case let (.masked(words), round?):
                do {
                    var next = round
                    try next.receive(MaskedUpdate(context: round.context, siteID: site, words: words))
                    masked = next
                    answers[site] = (result, [])
                } catch {
                    // A vector the sum cannot take (wrong length): the site counts as dropped.
                    dropped.insert(site)
                    masked?.siteDropped(site)
                }
            default:
                // A plain update in a masked round or the reverse: unusable, the site is dropped.
                dropped.insert(site)
                masked?.siteDropped(site)
            }
            return closeIfComplete(start, now: now, noise: &noise)
        case let .progress(site):
            guard case var .running(start) = state, start.participants.contains(site), answers[site] == nil,
                  !dropped.contains(site) else { return [] }
            let (renewed, overflow) = now.addingReportingOverflow(configuration.roundTimeoutMilliseconds)
            start.deadline = max(start.deadline, overflow ? .max : renewed)
            state = .running(start)
            return []
        case .tick:
            switch state {
            case .waiting: return tryStart(now: now)
            case let .running(start) where now >= start.deadline:
                for site in start.participants where answers[site] == nil { dropped.insert(site) }
                masked?.closeUpdateCollection()
                return close(start, now: now, noise: &noise)
            default: return []
            }
        }
    }

    // MARK: Rounds

    private mutating func tryStart(now: UInt64) -> [Action] {
        guard case let .waiting(since) = state else { return [] }
        var eligible = joined.subtracting(excluded).sorted(by: siteIDPrecedes)
        if let masking = configuration.masking {
            eligible = Array(eligible.filter { keys[$0] != nil }.prefix(masking.maximumSites))
        }
        guard eligible.count >= configuration.minSites else {
            if now >= since, now - since >= configuration.enrolmentTimeoutMilliseconds {
                return fail("round \(round): \(eligible.count) of the \(configuration.minSites) sites needed joined "
                            + "within \(configuration.enrolmentTimeoutMilliseconds) ms")
            }
            return []
        }
        guard attempt < configuration.roundAttempts else {
            return fail("round \(round) failed \(attempt) attempts")
        }
        attempt += 1
        answers = [:]
        dropped = []
        let (deadline, overflow) = now.addingReportingOverflow(configuration.roundTimeoutMilliseconds)
        var start = RoundStart(round: round, attempt: attempt, participants: eligible,
                               deadline: overflow ? .max : deadline)
        masked = nil
        if let masking = configuration.masking {
            do {
                let context = try SecureAggregationContext(jobID: masking.jobID, round: Int(round),
                                                           attempt: Int(attempt - 1))
                let parameters = try SecureAggregationParameters(vectorLength: weights.count,
                                                                 clipBound: masking.clipBound,
                                                                 maximumSites: masking.maximumSites,
                                                                 minimumSites: configuration.minSites)
                var sum = try SecureAggregationRound(context: context, parameters: parameters, expectedSites: eligible)
                for site in eligible {
                    try sum.receive(try KeyAdvertisement(context: sum.context, siteID: site,
                                                         publicKey: Data(keys[site]!.bytes)))
                }
                start.bundle = try sum.closeKeyCollection()
                masked = sum
            } catch {
                return fail("round \(round): secure aggregation cannot start: \(error)")
            }
        }
        state = .running(start)
        return [.startRound(start)]
    }

    private mutating func closeIfComplete<Generator: RandomNumberGenerator>(
        _ start: RoundStart, now: UInt64, noise: inout Generator
    ) -> [Action] {
        guard start.participants.allSatisfy({ answers[$0] != nil || dropped.contains($0) }) else { return [] }
        return close(start, now: now, noise: &noise)
    }

    private mutating func close<Generator: RandomNumberGenerator>(_ start: RoundStart, now: UInt64,
                                                                  noise: inout Generator) -> [Action] {
        if let sum = masked, let masking = configuration.masking {
            switch sum.outcome {
            case let .complete(secureSum):
                let mean = FederatedAveraging.meanDelta(fromSecureSum: secureSum, weightCap: masking.weightCap)
                return checkpoint(start, weights: FederatedAveraging.apply(meanDelta: mean, to: weights),
                                  contributing: secureSum.sites, now: now)
            case let .voided(droppedSites):
                // A masked sum with a missing participant cannot be unmasked: rerun without the missing sites.
                excluded.formUnion(droppedSites)
                return retry(start, now: now,
                             reason: "masked round without \(droppedSites.joined(separator: ", ")) cannot be unmasked")
            case .collectingKeys, .collectingUpdates:
                return fail("round \(start.round): the masked sum closed before every site answered or dropped")
            }
        }
        let outcome: RoundAggregator.Outcome
        do {
            let aggregator = try RoundAggregator(round: Int(start.round), expectedSites: start.participants,
                                                 minimumSites: min(configuration.minSites, start.participants.count),
                                                 parameterCount: weights.count)
            let updates = start.participants.compactMap { site in
                answers[site].map { answer in
                    SiteUpdate(siteID: site, round: Int(start.round),
                               exampleCount: Int(clamping: answer.result.examples), delta: answer.delta)
                }
            }
            if let privacy = configuration.privacy {
                outcome = try aggregator.aggregate(global: weights, updates: updates, privacy: privacy, noise: &noise)
            } else {
                outcome = try aggregator.aggregate(global: weights, updates: updates)
            }
        } catch {
            return fail("round \(start.round) cannot be aggregated: \(error)")
        }
        switch outcome {
        case let .retry(reason):
            return retry(start, now: now, reason: reason.description)
        case let .aggregate(aggregated):
            return checkpoint(start, weights: aggregated.weights, contributing: aggregated.contributingSites, now: now)
        }
    }

    private mutating func retry(_ start: RoundStart, now: UInt64, reason: String) -> [Action] {
        state = .waiting(since: now)
        return [.voidRound(round: start.round, attempt: start.attempt, reason: reason)] + tryStart(now: now)
    }

    private mutating func checkpoint(_ start: RoundStart, weights newWeights: [Float], contributing sites: [String],
                                     now: UInt64) -> [Action] {
        let contributing = sites.compactMap { site in answers[site].map { (site, $0.result) } }
        let examples = contributing.reduce(0.0) { $0 + Double($1.1.examples) }
        let trainLoss = contributing.reduce(0.0) { $0 + Double($1.1.examples) * $1.1.trainLoss } / examples
        let validating = contributing.filter { $0.1.validationExamples > 0 && $0.1.validationLoss != nil }
        let validationExamples = validating.reduce(0.0) { $0 + Double($1.1.validationExamples) }
        let validationLoss = validating.isEmpty ? nil
            : validating.reduce(0.0) { $0 + Double($1.1.validationExamples) * ($1.1.validationLoss ?? 0) }
                / validationExamples
        let siteLosses = contributing.map { site, result in
            SiteRoundLoss(site: site, examples: result.examples, trainLoss: result.trainLoss,
                          validationExamples: result.validationExamples, validationLoss: result.validationLoss)
        }
        // Early stopping: this round's validation loss is that of the incoming weights, checkpoint round − 1.
        var stop: StopReason?
        if let validationLoss {
            if let current = best, !(validationLoss < current.loss * (1 - configuration.relativeMargin)) {
                patienceLeft = max(0, (patienceLeft ?? configuration.patience) - 1)
                if configuration.patience > 0, patienceLeft == 0 { stop = .earlyStopped }
            } else {
                best = (start.round - 1, validationLoss, weights)
                patienceLeft = configuration.patience
            }
        }
        if let privacy = configuration.privacy, var accountant {
            do {
                try accountant.compose(samplingRate: privacy.samplingRate, noiseMultiplier: privacy.noiseMultiplier)
                epsilon = try accountant.epsilon(delta: privacy.delta).epsilon
                var next = accountant
                try next.compose(samplingRate: privacy.samplingRate, noiseMultiplier: privacy.noiseMultiplier)
                if try next.epsilon(delta: privacy.delta).epsilon > privacy.targetEpsilon * (1 + 1e-9) {
                    stop = stop ?? .privacyBudget
                }
                self.accountant = accountant
            } catch {
                return fail("round \(start.round): the privacy accountant failed: \(error)")
            }
        }
        weights = newWeights
        let saved = RoundCheckpoint(round: start.round, weights: weights, trainLoss: trainLoss,
                                    validationLoss: validationLoss, siteLosses: siteLosses,
                                    dropped: start.participants.filter { !sites.contains($0) },
                                    epsilon: epsilon, bestRound: best?.round, patienceLeft: patienceLeft)
        var actions: [Action] = [.checkpoint(saved)]
        if start.round >= configuration.rounds { stop = stop ?? .roundsDone }
        if let stop {
            state = .finished
            // Without any validation loss, the last weights are the result.
            let result = best ?? (start.round, 0, weights)
            actions.append(.finish(bestRound: result.round, weights: result.weights, reason: stop))
            return actions
        }
        round = start.round + 1
        attempt = 0
        excluded = []
        answers = [:]
        dropped = []
        state = .waiting(since: now)
        return actions + tryStart(now: now)
    }

    private mutating func fail(_ reason: String) -> [Action] {
        state = .finished
        return [.fail(reason)]
    }
}
