import Crypto
import Foundation
import MimeoCluster
import MimeoFederated
import MimeoWire
import Testing

/// A seeded generator (SplitMix64) for the DP noise of the tests.
struct SeededNoise: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drives a `TrainScheduler` with fake sites: each site's update and losses derive from its name and the round.
struct SchedulerDriver {
    var scheduler: TrainScheduler
    var noise = SeededNoise(state: 42)
    var now: UInt64 = 0

    init(_ configuration: TrainScheduler.Configuration, weights: [Float] = [1, 2, 3], firstRound: UInt32 = 1) throws {
        scheduler = try TrainScheduler(configuration: configuration, weights: weights, firstRound: firstRound, now: 0)
    }

    mutating func send(_ event: TrainScheduler.Event) -> [TrainScheduler.Action] {
        scheduler.handle(event, now: now, noise: &noise)
    }

    /// A site's examples (100, 200, 300 for a, b, c, ...), delta and losses.
    static func examples(_ site: String) -> UInt64 { UInt64(site.utf8.last! - UInt8(ascii: "a") + 1) * 100 }
    static func delta(_ site: String, round: UInt32) -> [Float] {
        let k = Float(examples(site)) / 100
        return [k, -k * Float(round), 0.5]
    }

    static func result(_ site: String, round: UInt32, validationLoss: Double? = nil) -> TrainRoundResult {
        TrainRoundResult(round: round, examples: examples(site), trainLoss: Double(examples(site)) / 1_000,
                         validationExamples: 10, validationLoss: validationLoss ?? Double(round) / 10,
                         elapsedMilliseconds: 1, update: .binary32(delta(site, round: round)))
    }

    mutating func answer(_ site: String, _ start: TrainScheduler.RoundStart,
                         validationLoss: Double? = nil) -> [TrainScheduler.Action] {
        send(.result(site: site, round: start.round, attempt: start.attempt,
                     result: Self.result(site, round: start.round, validationLoss: validationLoss),
                     update: .plain(Self.delta(site, round: start.round))))
    }
}

func started(_ actions: [TrainScheduler.Action]) -> TrainScheduler.RoundStart? {
    for action in actions { if case let .startRound(start) = action { return start } }
    return nil
}

func checkpointed(_ actions: [TrainScheduler.Action]) -> TrainScheduler.RoundCheckpoint? {
    for action in actions { if case let .checkpoint(checkpoint) = action { return checkpoint } }
    return nil
}

func config(rounds: UInt32 = 3, minSites: Int = 2, attempts: UInt32 = 2, secure: Bool = false,
            privacy: DPFedAvgConfiguration? = nil, patience: Int = 0) -> TrainScheduler.Configuration {
    TrainScheduler.Configuration(rounds: rounds, minSites: minSites, roundAttempts: attempts,
                                 roundTimeoutMilliseconds: 1_000, enrolmentTimeoutMilliseconds: 5_000,
                                 masking: secure ? TrainScheduler.Masking(jobID: "7", clipBound: 8, maximumSites: 3,
                                                                          weightCap: 1_000) : nil,
                                 privacy: privacy, patience: patience, relativeMargin: 0.01)
}

@Suite struct TrainSchedulerTests {
    /// Three sites, three rounds: each round's weights are the global plus the example-weighted mean of the deltas,
    /// computed here independently; losses are weighted by examples and validation examples.
    @Test func roundsAverageByExamplesAndFinish() throws {
        var driver = try SchedulerDriver(config())
        #expect(started(driver.send(.siteJoined("site-a"))) == nil)
        #expect(started(driver.send(.siteJoined("site-b"))) != nil)  // the quorum of 2 is there
        // site-c joins during round 1: it takes part from round 2.
        #expect(driver.send(.siteJoined("site-c")).isEmpty)
        guard case let .running(first) = driver.scheduler.state else {
            Issue.record("not running")
            return
        }
        #expect(first.participants == ["site-a", "site-b"] && first.round == 1 && first.attempt == 1)
        #expect(first.deadline == 1_000)
        // The reference: the sum in site order, divided once, added to the Float weights and rounded once.
        var expected: [Float] = [1, 2, 3]
        var start = first
        for round: UInt32 in 1...3 {
            var actions: [TrainScheduler.Action] = []
            for site in start.participants { actions += driver.answer(site, start) }
            let saved = try #require(checkpointed(actions))
            let total = start.participants.reduce(0.0) { $0 + Double(SchedulerDriver.examples($1)) }
            for index in expected.indices {
                let mean = start.participants.reduce(0.0) {
                    $0 + Double(SchedulerDriver.examples($1)) * Double(SchedulerDriver.delta($1, round: round)[index])
                } / total
                expected[index] = Float(Double(expected[index]) + mean)
            }
            #expect(saved.round == round && saved.weights == expected)
            let trainLoss = start.participants.reduce(0.0) {
                $0 + Double(SchedulerDriver.examples($1)) * Double(SchedulerDriver.examples($1)) / 1_000
            } / total
            #expect(abs(saved.trainLoss - trainLoss) < 1e-12)
            #expect(saved.validationLoss == Double(round) / 10 && saved.dropped.isEmpty && saved.epsilon == nil)
            #expect(saved.siteLosses.map(\.site) == start.participants)
            if round < 3 {
                start = try #require(started(actions))
                #expect(start.round == round + 1 && start.participants == ["site-a", "site-b", "site-c"])
            } else {
                #expect(actions.last == .finish(bestRound: 0, weights: [1, 2, 3], reason: .roundsDone))
                #expect(driver.scheduler.state == .finished)
            }
        }
        // Answers after the end are stale.
        #expect(driver.answer("site-a", start).isEmpty && driver.scheduler.staleResults == 1)
    }

    /// A participant that has not answered at the deadline is dropped; its late answer is stale.
    @Test func stragglersAreDroppedAtTheDeadline() throws {
        var driver = try SchedulerDriver(config())
        for site in ["site-a", "site-b", "site-c"] { _ = driver.send(.siteJoined(site)) }
        // The round started when site-b joined; site-c joins too late for round 1.
        guard case let .running(start) = driver.scheduler.state else { return }
        #expect(start.participants == ["site-a", "site-b"])
        var actions = driver.answer("site-a", start)
        #expect(actions.isEmpty)
        driver.now = 999
        #expect(driver.send(.tick).isEmpty)
        driver.now = 1_000
        actions = driver.send(.tick)
        // One usable update is below the quorum of 2: the attempt is voided and rerun with every joined site.
        #expect(actions.first == .voidRound(round: 1, attempt: 1, reason: "1 usable update(s), quorum 2; missing: site-b"))
        let rerun = try #require(started(actions))
        #expect(rerun.attempt == 2 && rerun.participants == ["site-a", "site-b", "site-c"] && rerun.deadline == 2_000)
        // The straggler's answer to attempt 1 is stale.
        #expect(driver.answer("site-b", start).isEmpty && driver.scheduler.staleResults == 1)
        _ = driver.answer("site-a", rerun)
        _ = driver.answer("site-c", rerun)
        driver.now = 2_000
        let saved = try #require(checkpointed(driver.send(.tick)))
        #expect(saved.dropped == ["site-b"] && saved.siteLosses.map(\.site) == ["site-a", "site-c"])
        let total = 400.0
        #expect(saved.weights[0] == Float(1 + (100.0 * 1 + 300 * 3) / total))
    }

    /// A site lost mid-round is dropped at once; a round out of attempts fails the job.
    @Test func lostSitesAndExhaustedAttempts() throws {
        var driver = try SchedulerDriver(config(minSites: 2, attempts: 2))
        _ = driver.send(.siteJoined("site-a"))
        let first = try #require(started(driver.send(.siteJoined("site-b"))))
        _ = driver.answer("site-a", first)
        var actions = driver.send(.siteLost("site-b"))
        #expect(actions == [.voidRound(round: 1, attempt: 1, reason: "1 usable update(s), quorum 2; missing: site-b")])
        #expect(driver.scheduler.state == .waiting(since: 0))
        let second = try #require(started(driver.send(.siteJoined("site-b"))))
        #expect(second.attempt == 2)
        driver.now = 1_500
        actions = driver.send(.tick)
        #expect(actions.count == 2 && actions.last == .fail("round 1 failed 2 attempts"))
    }

    /// Sites that join together (`sitesJoined`, as the coordinator reports the sites joined when a job reaches its
    /// rounds) all take part in the first round, where one by one the round starts as soon as the quorum is joined.
    @Test func sitesJoiningTogetherAllTakePart() throws {
        var together = try SchedulerDriver(config(minSites: 2))
        let all = try #require(started(together.send(.sitesJoined(["site-c", "site-a", "site-b"]))))
        #expect(all.participants == ["site-a", "site-b", "site-c"])
        var oneByOne = try SchedulerDriver(config(minSites: 2))
        _ = oneByOne.send(.siteJoined("site-a"))
        let two = try #require(started(oneByOne.send(.siteJoined("site-b"))))
        #expect(two.participants == ["site-a", "site-b"])
        #expect(oneByOne.send(.siteJoined("site-c")).isEmpty)
    }

    /// PROGRESS of a participant that has not answered moves the round's deadline; without it the round closes
    /// at the first deadline.
    @Test func progressRenewsTheRoundDeadline() throws {
        var driver = try SchedulerDriver(config(minSites: 2))
        let start = try #require(started(driver.send(.sitesJoined(["site-a", "site-b"]))))
        driver.now = start.deadline - 10
        #expect(driver.send(.progress("site-b")).isEmpty)
        #expect(driver.send(.progress("site-z")).isEmpty)
        guard case let .running(renewed) = driver.scheduler.state else {
            Issue.record("not running: \(driver.scheduler.state)")
            return
        }
        #expect(renewed.deadline == start.deadline - 10 + driver.scheduler.configuration.roundTimeoutMilliseconds)
        driver.now = start.deadline
        #expect(driver.send(.tick).isEmpty)
        driver.now = renewed.deadline
        #expect(!driver.send(.tick).isEmpty)
    }

    /// Too few sites for longer than the enrolment timeout fails the job.
    @Test func enrolmentTimesOut() throws {
        var driver = try SchedulerDriver(config(minSites: 3))
        _ = driver.send(.siteJoined("site-a"))
        driver.now = 4_999
        #expect(driver.send(.tick).isEmpty)
        driver.now = 5_000
        #expect(driver.send(.tick) == [.fail("round 1: 1 of the 3 sites needed joined within 5000 ms")])
    }

    /// Secure aggregation with real masks (`SecureAggregationSite`, one X25519 key per site for the job): the
    /// unmasked mean equals plain FedAvg within the quantisation error; a missing participant voids the masked
    /// round, which is rerun without it; it takes part again in the next round.
    @Test func maskedRoundsAverageLikePlainOnesAndAreVoidedWithoutASite() throws {
        let sites = ["site-a", "site-b", "site-c"]
        let privateKeys = Dictionary(uniqueKeysWithValues: sites.map { ($0, Curve25519.KeyAgreement.PrivateKey()) })
        var masked = try SchedulerDriver(config(rounds: 3, minSites: 2, attempts: 3, secure: true))
        var plain = try SchedulerDriver(config(rounds: 3, minSites: 2, attempts: 3))
        for site in sites {
            let key = SitePublicKey(bytes: [UInt8](privateKeys[site]!.publicKey.rawRepresentation))!
            #expect(masked.send(.siteJoined(site)).isEmpty || site == "site-b")
            _ = masked.send(.siteKey(site, publicKey: key))
            _ = plain.send(.siteJoined(site))
        }
        guard case let .running(first) = masked.scheduler.state, case let .running(plainFirst) = plain.scheduler.state
        else { return }
        // Keys arrive after the joins: the masked round starts once two sites have both.
        #expect(first.participants == ["site-a", "site-b"] && plainFirst.participants == ["site-a", "site-b"])
        let bundle = try #require(first.bundle)
        #expect(bundle.siteIDs == first.participants && bundle.context.round == 1 && bundle.context.attempt == 0)

        /// A site's masked answer to `start`, computed as a worker would from the lease's bundle.
        func maskedAnswer(_ site: String, _ start: TrainScheduler.RoundStart) throws -> [TrainScheduler.Action] {
            let bundle = try #require(start.bundle)
            let member = try SecureAggregationSite(siteID: site, context: bundle.context, privateKey: privateKeys[site]!)
            let input = FederatedAveraging.secureAggregationInput(
                delta: SchedulerDriver.delta(site, round: start.round),
                exampleCount: Int(SchedulerDriver.examples(site)), weightCap: 1_000)
            let update = try member.maskedUpdate(values: input.values, exampleCount: input.weight, bundle: bundle)
            var result = SchedulerDriver.result(site, round: start.round)
            result.update = .maskedWords(update.words)
            return masked.send(.result(site: site, round: start.round, attempt: start.attempt, result: result,
                                       update: .masked(update.words)))
        }

        _ = try maskedAnswer("site-a", first)
        let maskedSaved = try #require(checkpointed(try maskedAnswer("site-b", first)))
        _ = plain.answer("site-a", plainFirst)
        let plainSaved = try #require(checkpointed(plain.answer("site-b", plainFirst)))
        // The quantiser's error bound for 3 summands of clip bound 8, scaled back by weightCap / Σ w.
        let quantizer = FixedPointQuantizer(clipBound: 8, maximumSummands: 3)
        let bound = quantizer.maximumSumError(summands: 2) * 1_000 / 300 + 1e-6
        for (a, b) in zip(maskedSaved.weights, plainSaved.weights) { #expect(abs(Double(a) - Double(b)) <= bound) }
        #expect(maskedSaved.siteLosses.map(\.site) == ["site-a", "site-b"])

        // Round 2: all three; site-c never answers, so the masked sum is voided and rerun without it.
        guard case let .running(second) = masked.scheduler.state else { return }
        #expect(second.participants == sites && second.bundle?.context.attempt == 0)
        _ = try maskedAnswer("site-a", second)
        _ = try maskedAnswer("site-b", second)
        masked.now = 1_000
        let actions = masked.send(.tick)
        #expect(actions.first == .voidRound(round: 2, attempt: 1, reason: "masked round without site-c cannot be unmasked"))
        let rerun = try #require(started(actions))
        #expect(rerun.attempt == 2 && rerun.participants == ["site-a", "site-b"] && rerun.bundle?.context.attempt == 1)
        // Answers to the voided attempt are stale.
        #expect(try maskedAnswer("site-a", second).isEmpty && masked.scheduler.staleResults == 1)
        _ = try maskedAnswer("site-a", rerun)
        let saved = try #require(checkpointed(try maskedAnswer("site-b", rerun)))
        #expect(saved.round == 2)
        guard case let .running(third) = masked.scheduler.state else { return }
        #expect(third.participants == sites)
        // A plain update in a masked round drops its site, which voids the attempt once the others are settled.
        _ = masked.answer("site-a", third)
        _ = try maskedAnswer("site-b", third)
        let last = masked.send(.siteLost("site-c"))
        #expect(last.first == .voidRound(round: 3, attempt: 1,
                                         reason: "masked round without site-a, site-c cannot be unmasked"))
        // Only site-b is left for the rerun: below the quorum, the round waits.
        #expect(masked.scheduler.state == .waiting(since: 1_000))
    }

    /// Early stopping on the aggregate validation loss of the incoming weights, with the best checkpoint's weights.
    @Test func earlyStoppingKeepsTheBestWeights() throws {
        var driver = try SchedulerDriver(config(rounds: 10, patience: 2))
        _ = driver.send(.siteJoined("site-a"))
        var start = try #require(started(driver.send(.siteJoined("site-b"))))
        var weightsBefore: [[Float]] = []
        var last: [TrainScheduler.Action] = []
        for loss in [1.0, 0.9, 0.895, 0.95] {
            weightsBefore.append(driver.scheduler.weights)
            _ = driver.answer("site-a", start, validationLoss: loss)
            last = driver.answer("site-b", start, validationLoss: loss)
            if let next = started(last) { start = next }
        }
        // 0.895 is not 1 % better than 0.9, 0.95 is worse: two rounds without improvement after round 2's 0.9,
        // measured on checkpoint 1's weights.
        #expect(checkpointed(last)?.patienceLeft == 0 && checkpointed(last)?.bestRound == 1)
        #expect(last.last == .finish(bestRound: 1, weights: weightsBefore[1], reason: .earlyStopped))
    }

    /// DP-FedAvg: noise is added, ε grows every round as the accountant says, and the job stops at the budget.
    @Test func privacyIsAccountedAndTheBudgetStopsTheJob() throws {
        let privacy = try DPFedAvgConfiguration.calibrated(targetEpsilon: 4, delta: 1e-6, rounds: 3, siteCount: 2,
                                                           clipNorm: 1)
        var driver = try SchedulerDriver(config(rounds: 10, privacy: privacy))
        _ = driver.send(.siteJoined("site-a"))
        var start = try #require(started(driver.send(.siteJoined("site-b"))))
        var epsilons: [Double] = []
        var reference = try RDPAccountant()
        var finished: TrainScheduler.Action?
        for round: UInt32 in 1...10 {
            let global = driver.scheduler.weights
            _ = driver.answer("site-a", start)
            let actions = driver.answer("site-b", start)
            let saved = try #require(checkpointed(actions))
            // The noiseless result: the clipped deltas' sum over the expected sites; the noise is N(0, (zC)²) per
            // element of the sum, so each weight lies within 6 σ / expected sites of it, and not on it.
            let clipped = ["site-a", "site-b"].map { DPFedAvg.clip(SchedulerDriver.delta($0, round: round), clipNorm: 1).clipped }
            let sigma = privacy.noiseStandardDeviation / privacy.expectedSites
            for index in global.indices {
                let noiseless = Double(global[index]) + (clipped[0][index] + clipped[1][index]) / privacy.expectedSites
                let deviation = abs(Double(saved.weights[index]) - noiseless)
                #expect(deviation > 0 && deviation < 6 * sigma, "round \(round) weight \(index)")
            }
            try reference.compose(samplingRate: privacy.samplingRate, noiseMultiplier: privacy.noiseMultiplier)
            #expect(saved.epsilon == (try reference.epsilon(delta: 1e-6).epsilon))
            epsilons.append(try #require(saved.epsilon))
            if let next = started(actions) { start = next } else {
                finished = actions.last
                break
            }
        }
        #expect(epsilons.count == 3 && epsilons == epsilons.sorted() && epsilons.last! <= 4 * (1 + 1e-9))
        #expect(epsilons.last! > 3.5)
        if case let .finish(_, _, reason) = finished { #expect(reason == .privacyBudget) } else {
            Issue.record("no finish: \(String(describing: finished))")
        }
    }

    /// A scheduler resumed after checkpoint 4 starts at round 5 from those weights.
    @Test func aResumedSchedulerStartsAfterTheCheckpoint() throws {
        var driver = try SchedulerDriver(config(rounds: 6), weights: [7, 7, 7], firstRound: 5)
        _ = driver.send(.siteJoined("site-a"))
        let start = try #require(started(driver.send(.siteJoined("site-b"))))
        #expect(start.round == 5 && driver.scheduler.weights == [7, 7, 7])
        #expect(throws: StoreError.self) {
            try TrainScheduler(configuration: config(minSites: 1, secure: true), weights: [1], now: 0)
        }
        #expect(try TrainScheduler(configuration: config(rounds: 3), weights: [1], firstRound: 4, now: 0).state
                == .finished)
    }
}

/// The scheduler and the store together, without sockets: the shell's loop of leases, results and actions.
struct StoredRun {
    let store: CoordinatorStore
    let job: JobID
    var scheduler: TrainScheduler
    var noise = SeededNoise(state: 9)
    var finish: TrainScheduler.Action?
    /// The validation loss every site reports in round r.
    let losses: [UInt32: Double]

    /// Applies the scheduler's actions to the store, as the coordinator's shell would.
    mutating func apply(_ actions: [TrainScheduler.Action], now: UInt64) throws {
        try store.write { tx in
            for action in actions {
                switch action {
                case let .startRound(start):
                    try tx.setTrainPhase(job: job, phase: .trainRound, round: start.round, roundAttempt: start.attempt,
                                         participants: start.participants)
                    _ = try tx.addTrainTasks(job: job, roundTasks(start.round, sites: start.participants))
                case let .voidRound(round, _, _):
                    try tx.voidTrainTasks(job: job, round: round)
                case let .checkpoint(saved):
                    try tx.checkpoint(saved.stored(job: job, participants: saved.siteLosses.map(\.site), now: now),
                                      bestRound: saved.bestRound, patienceLeft: saved.patienceLeft)
                case .finish, .fail:
                    finish = action
                }
            }
        }
    }

    /// Every site leases its task of the running round and answers it; the store accepts the results and the
    /// scheduler gets them.
    mutating func runRound(now: UInt64) throws {
        guard case let .running(start) = scheduler.state else { return }
        for site in start.participants {
            let lease = try #require(try store.leaseTrainTask(to: site, now: now))
            let task = try TrainTask.decode(kind: lease.kind, version: lease.payloadVersion, payload: lease.payload)
            var result = SchedulerDriver.result(site, round: task.round, validationLoss: losses[task.round])
            result.update = .binary32(SchedulerDriver.delta(site, round: task.round))
            #expect(try store.completeTrainTask(lease.shard, attempt: lease.attempt, from: site,
                                                result: TrainTaskResult(outcome: .round(result)), now: now))
            let actions = scheduler.handle(.result(site: site, round: task.round, attempt: start.attempt,
                                                   result: result, update: .plain(result.update.floats!)),
                                           now: now, noise: &noise)
            try apply(actions, now: now)
        }
    }
}

@Suite struct TrainSchedulerStoreTests {
    static let losses: [UInt32: Double] = [1: 1.0, 2: 0.8, 3: 0.85, 4: 0.9, 5: 0.95]
    static let configuration = config(rounds: 8, patience: 3)

    func begin(_ path: String) throws -> StoredRun {
        let store = try openStore(path, leaseTimeout: 60_000)
        var job = trainJob(rounds: 8)
        job.minSites = 2
        let id = try store.submitTrain(job, now: 0)
        let initial: [Float] = [1, 2, 3]
        try store.write { tx in
            try tx.checkpoint(TrainCheckpoint(job: id, round: 0, weights: TrainScheduler.storedWeights(initial),
                                              trainLoss: nil, validationLoss: nil, siteLosses: [], epsilon: nil,
                                              participants: [], createdAt: 0), bestRound: nil, patienceLeft: nil)
        }
        var run = StoredRun(store: store, job: id,
                            scheduler: try TrainScheduler(configuration: Self.configuration, weights: initial, now: 0),
                            losses: Self.losses)
        for site in ["site-a", "site-b"] {
            try run.apply(run.scheduler.handle(.siteJoined(site), now: 0, noise: &run.noise), now: 0)
        }
        return run
    }

    /// A run stopped after round 2 and resumed from the reopened store ends exactly as the run that was never
    /// stopped: same final weights, same best round (chosen before the stop), same reason.
    @Test func aResumedRunEndsAsTheUninterruptedOne() throws {
        var whole = try begin(try temporaryStatePath())
        for round in 1...8 where whole.finish == nil { try whole.runRound(now: UInt64(round) * 10) }
        guard case let .finish(bestRound, weights, reason)? = whole.finish else {
            Issue.record("the whole run did not finish: \(String(describing: whole.finish))")
            return
        }
        // Round 2's 0.8 (of checkpoint 1's weights) is never beaten; rounds 3 to 5 use up the patience of 3.
        #expect(bestRound == 1 && reason == .earlyStopped)
        #expect(try whole.store.lastCheckpoint(job: whole.job)?.round == 5)

        let path = try temporaryStatePath()
        let job: JobID
        let oldLease: MimeoCluster.Lease
        do {
            var first = try begin(path)
            for round in 1...2 { try first.runRound(now: UInt64(round) * 10) }
            // Round 3 starts and one site is leased before the coordinator dies.
            oldLease = try #require(try first.store.leaseTrainTask(to: "site-a", now: 25))
            job = first.job
        }
        let store = try openStore(path, leaseTimeout: 60_000)
        _ = try store.recover(now: 30)
        let resumed = try #require(try store.write { tx in
            try TrainScheduler.resume(job, configuration: Self.configuration, in: tx, now: 30)
        })
        #expect(resumed.round == 3 && resumed.patienceLeft == 3)
        #expect(try store.read { try $0.trainTasks(job: job, round: 3) }.allSatisfy { $0.state == .void })
        var second = StoredRun(store: store, job: job, scheduler: resumed, losses: Self.losses)
        for site in ["site-a", "site-b"] {
            try second.apply(second.scheduler.handle(.siteJoined(site), now: 30, noise: &second.noise), now: 30)
        }
        // The previous process's lease is stale.
        #expect(try !store.completeTrainTask(oldLease.shard, attempt: oldLease.attempt, from: "site-a",
                                             result: roundResult(3, site: "site-a"), now: 31))
        for round in 3...8 where second.finish == nil { try second.runRound(now: UInt64(round) * 10) }
        #expect(second.finish == .finish(bestRound: bestRound, weights: weights, reason: reason))
        #expect(try store.lastCheckpoint(job: job).map { try TrainScheduler.weights(stored: $0.weights) }
                == whole.store.lastCheckpoint(job: whole.job).map { try TrainScheduler.weights(stored: $0.weights) })
    }
}
