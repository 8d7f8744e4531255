import Foundation
import MimeoTestSupport
import Testing

@testable import MimeoFederated

/// Whole federated runs on least-squares regression, wired as the coordinator will wire them: FedAvg with
/// one full-batch gradient step per site and round is exactly centralised gradient descent on the
/// pooled rows (Σ n_k ∇L_k / N = ∇L_pooled), an independent reference for the weighting.
@Suite struct RoundFlowTests {
    struct Site {
        var id: String
        var rows: [[Float]]
        var targets: [Float]
    }

    static let dimension = 12
    static let learningRate: Float = 0.05

    /// Three sites of very different sizes and feature distributions (a skewed split).
    static func makeSites() -> [Site] {
        var random = SplitMix64(seed: 99)
        let truth = randomVector(dimension, scale: 1, using: &random)
        return zip(["north", "south", "east"], [(40, Float(0.5)), (400, 1.5), (1500, 3)]).map { id, shape in
            let (count, scale) = shape
            let rows = (0..<count).map { _ in randomVector(dimension, scale: scale, using: &random) }
            let noise = randomVector(count, scale: 0.1, using: &random)
            let targets = rows.enumerated().map { r, row in zip(row, truth).reduce(Float(0)) { $0 + $1.0 * $1.1 } + noise[r] }
            return Site(id: id, rows: rows, targets: targets)
        }
    }

    /// ∇ of the mean squared error (1/n)Σ(x·w − y)²/2 over `rows`, in Double.
    static func gradient(_ w: [Float], rows: [[Float]], targets: [Float]) -> [Double] {
        var g = [Double](repeating: 0, count: w.count)
        for (row, y) in zip(rows, targets) {
            let residual = zip(row, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } - Double(y)
            for j in g.indices { g[j] += residual * Double(row[j]) }
        }
        return g.map { $0 / Double(rows.count) }
    }

    /// The site's local training: one gradient step; returns its update.
    static func localUpdate(_ site: Site, global: [Float], round: Int) -> SiteUpdate {
        let g = gradient(global, rows: site.rows, targets: site.targets)
        let local = zip(global, g).map { Float(Double($0) - Double(learningRate) * $1) }
        return SiteUpdate(siteID: site.id, round: round, exampleCount: site.rows.count, broadcast: global, local: local)
    }

    @Test func fedAvgWithOneLocalStepIsCentralisedGradientDescent() throws {
        let sites = Self.makeSites()
        var federated = [Float](repeating: 0, count: Self.dimension)
        var central = federated
        let pooledRows = sites.flatMap(\.rows), pooledTargets = sites.flatMap(\.targets)
        for round in 0..<30 {
            let aggregator = try RoundAggregator(round: round, expectedSites: sites.map(\.id), minimumSites: 3,
                                                 parameterCount: Self.dimension)
            let updates = sites.map { Self.localUpdate($0, global: federated, round: round) }
            guard case .aggregate(let result) = try aggregator.aggregate(global: federated, updates: updates) else {
                Issue.record("round \(round) not aggregated"); return
            }
            federated = result.weights
            let g = Self.gradient(central, rows: pooledRows, targets: pooledTargets)
            central = zip(central, g).map { Float(Double($0) - Double(Self.learningRate) * $1) }
        }
        for j in 0..<Self.dimension { #expect(abs(federated[j] - central[j]) < 1e-4, "weight \(j): \(federated[j]) vs \(central[j])") }
        // Weighting matters: the unweighted mean of the sites' steps ends elsewhere.
        var unweighted = [Float](repeating: 0, count: Self.dimension)
        for round in 0..<30 {
            let updates = sites.map { Self.localUpdate($0, global: unweighted, round: round) }
            unweighted = FederatedAveraging.apply(meanDelta: (0..<Self.dimension).map { j in
                updates.reduce(0.0) { $0 + Double($1.delta[j]) } / 3 }, to: unweighted)
        }
        #expect(zip(unweighted, central).contains { abs($0 - $1) > 1e-2 })
    }

    /// The same run under secure aggregation (voiding variant, a site dropping out of one attempt)
    /// stays within the accumulated quantisation error of the plain run.
    @Test func secureRunWithADropoutTracksThePlainRun() throws {
        let sites = Self.makeSites()
        var secure = [Float](repeating: 0, count: Self.dimension)
        var plain = secure
        let weightCap = 2_000
        var voidedAttempts = 0
        for round in 0..<10 {
            // Coordinator: one attempt per round, the second attempt of round 4 after "south" drops.
            var context = try SecureAggregationContext(jobID: "flow", round: round)
            let parameters = try SecureAggregationParameters(vectorLength: Self.dimension, clipBound: 4, maximumSites: 3, minimumSites: 2)
            var attempt = try SecureAggregationRound(context: context, parameters: parameters, expectedSites: sites.map(\.id))
            var participants = sites
            var sum: SecureSum?
            while sum == nil {
                let members = try participants.enumerated().map {
                    try fixedSite($1.id, context, keyByte: UInt8(1 + $0 + 3 * context.attempt))
                }
                for member in members { try attempt.receive(member.advertisement) }
                let bundle = try attempt.closeKeyCollection()
                for (member, site) in zip(members, participants) {
                    // Round 4, first attempt: "south" dies after the keys, before its masked vector.
                    if round == 4, context.attempt == 0, site.id == "south" { continue }
                    let update = Self.localUpdate(site, global: secure, round: round)
                    let input = FederatedAveraging.secureAggregationInput(delta: update.delta, exampleCount: update.exampleCount,
                                                                          weightCap: weightCap)
                    try attempt.receive(member.maskedUpdate(values: input.values, exampleCount: input.weight, bundle: bundle))
                }
                attempt.closeUpdateCollection()   // the deadline: "south" counts as dropped
                switch attempt.outcome {
                case .complete(let result): sum = result
                case .voided(let dropped):
                    #expect(round == 4 && dropped == ["south"])
                    voidedAttempts += 1
                    participants.removeAll { dropped.contains($0.id) }
                    attempt = try attempt.nextAttempt()
                    context = attempt.context
                default: Issue.record("unexpected \(attempt.outcome)"); return
                }
            }
            secure = FederatedAveraging.apply(meanDelta: FederatedAveraging.meanDelta(fromSecureSum: sum!, weightCap: weightCap), to: secure)
            // The plain reference: the same sites that made it into the sum.
            let aggregator = try RoundAggregator(round: round, expectedSites: sites.map(\.id), minimumSites: 2, parameterCount: Self.dimension)
            let updates = sites.filter { sum!.sites.contains($0.id) }.map { Self.localUpdate($0, global: plain, round: round) }
            guard case .aggregate(let result) = try aggregator.aggregate(global: plain, updates: updates) else { return }
            plain = result.weights
        }
        #expect(voidedAttempts == 1)
        for j in 0..<Self.dimension { #expect(abs(secure[j] - plain[j]) < 1e-5, "weight \(j): \(secure[j]) vs \(plain[j])") }
    }

    /// DP-FedAvg driven by the ledger: training stops exactly when the next round would overspend.
    @Test func dpRunStopsAtTheBudgetAndReportsEpsilonEveryRound() throws {
        let sites = Self.makeSites()
        let privacy = try DPFedAvgConfiguration.calibrated(targetEpsilon: 4, delta: 1e-6, rounds: 12, siteCount: 3, clipNorm: 0.5)
        var ledger = try PrivacyLedger(configuration: privacy)
        var weights = [Float](repeating: 0, count: Self.dimension)
        var noise = SplitMix64(seed: 7)
        var reported: [Double] = []
        var round = 0
        while try ledger.canAffordNextRound() {
            let participants = DPFedAvg.poissonSample(sites.map(\.id), samplingRate: privacy.samplingRate, using: &noise)
            let aggregator = try RoundAggregator(round: round, expectedSites: participants, minimumSites: 2, parameterCount: Self.dimension)
            let updates = sites.filter { participants.contains($0.id) }.map { Self.localUpdate($0, global: weights, round: round) }
            guard case .aggregate(let result) = try aggregator.aggregate(global: weights, updates: updates, privacy: privacy, noise: &noise) else {
                Issue.record("round \(round) not aggregated"); return
            }
            weights = result.weights
            reported.append(try ledger.recordRound())
            round += 1
        }
        #expect(round == 12)
        #expect(reported.count == 12 && zip(reported, reported.dropFirst()).allSatisfy { $0 < $1 })
        #expect(reported.last! <= 4 && reported.last! > 3.5)
        #expect(weights.allSatisfy { $0.isFinite })
    }
}
