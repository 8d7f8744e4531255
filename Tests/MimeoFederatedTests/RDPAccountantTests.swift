import Foundation
import Testing

@testable import MimeoFederated

/// The reference values `scripts/dp-accounting-fixtures.py` computed with Google's dp-accounting 0.6.0.
struct DPAccountingFixture: Decodable {
    struct Case: Decodable {
        var noise_multiplier: Double
        var sampling_rate: Double
        var rounds: Int
        var delta: Double
        var epsilon: Double
        var order: Double
    }

    struct Calibration: Decodable {
        var target_epsilon: Double
        var delta: Double
        var rounds: Int
        var sampling_rate: Double
        var noise_multiplier: Double
    }

    var default_orders: [Double]
    var cases: [Case]
    var calibrations: [Calibration]

    static func load() throws -> DPAccountingFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/dp-accounting-rdp.json")
        return try JSONDecoder().decode(DPAccountingFixture.self, from: Data(contentsOf: url))
    }
}

@Suite struct RDPAccountantTests {
    @Test func defaultOrdersAreDPAccountingsList() throws {
        let fixture = try DPAccountingFixture.load()
        #expect(RDPAccountant.defaultOrders == fixture.default_orders)
        #expect(RDPAccountant.defaultOrders.count == 156)
    }

    /// Every grid point (σ 0.5–5, q 0.01–1, 1–1000 rounds, δ 1e-5 and 1e-6) within 1 % of dp-accounting.
    @Test func epsilonMatchesDPAccountingOnTheWholeGrid() throws {
        let fixture = try DPAccountingFixture.load()
        #expect(fixture.cases.count >= 300)
        var worst = 0.0
        for reference in fixture.cases {
            var accountant = try RDPAccountant()
            try accountant.compose(samplingRate: reference.sampling_rate, noiseMultiplier: reference.noise_multiplier,
                                   count: reference.rounds)
            let (epsilon, _) = try accountant.epsilon(delta: reference.delta)
            let relative = abs(epsilon - reference.epsilon) / reference.epsilon
            worst = max(worst, relative)
            #expect(relative < 0.01, "q=\(reference.sampling_rate) σ=\(reference.noise_multiplier) T=\(reference.rounds) δ=\(reference.delta): \(epsilon) vs \(reference.epsilon)")
        }
        // The port is line by line: in practice it agrees to rounding, far inside the 1 % asked.
        #expect(worst < 1e-6, "worst relative difference \(worst)")
    }

    @Test func calibratedNoiseMatchesDPAccountingAndMeetsTheTarget() throws {
        let fixture = try DPAccountingFixture.load()
        for reference in fixture.calibrations {
            let z = try NoiseCalibration.noiseMultiplier(
                targetEpsilon: reference.target_epsilon, delta: reference.delta, rounds: reference.rounds,
                samplingRate: reference.sampling_rate)
            #expect(abs(z - reference.noise_multiplier) / reference.noise_multiplier < 0.01, "\(z) vs \(reference.noise_multiplier)")
            let spent = try NoiseCalibration.epsilon(noiseMultiplier: z, samplingRate: reference.sampling_rate,
                                                     rounds: reference.rounds, delta: reference.delta)
            #expect(spent <= reference.target_epsilon)
            let lessNoise = try NoiseCalibration.epsilon(noiseMultiplier: z * 0.999, samplingRate: reference.sampling_rate,
                                                         rounds: reference.rounds, delta: reference.delta)
            #expect(lessNoise > reference.target_epsilon, "the calibrated z is the smallest that fits")
        }
    }

    @Test func compositionAddsCurvesAndEpsilonGrowsWithRounds() throws {
        var once = try RDPAccountant()
        try once.compose(samplingRate: 0.1, noiseMultiplier: 1.1)
        var stepwise = try RDPAccountant()
        for _ in 0..<50 { try stepwise.compose(samplingRate: 0.1, noiseMultiplier: 1.1) }
        var batch = try RDPAccountant()
        try batch.compose(samplingRate: 0.1, noiseMultiplier: 1.1, count: 50)
        for i in batch.rdp.indices {
            if batch.rdp[i].isInfinite {
                // A fractional order whose series does not converge is excluded (+∞), as in dp-accounting.
                #expect(stepwise.rdp[i].isInfinite && once.rdp[i].isInfinite)
                continue
            }
            #expect(abs(stepwise.rdp[i] - batch.rdp[i]) <= 1e-9 * max(1, batch.rdp[i]))
            #expect(abs(batch.rdp[i] - 50 * once.rdp[i]) <= 1e-9 * max(1, batch.rdp[i]))
        }
        #expect(stepwise.composedEvents == 50)
        #expect(try once.epsilon(delta: 1e-5).epsilon < batch.epsilon(delta: 1e-5).epsilon)
        // Full participation is the plain Gaussian mechanism: RDP(α) = α / (2σ²).
        let gaussian = try RDPAccountant.poissonSubsampledGaussianRDP(samplingRate: 1, noiseMultiplier: 2, orders: [2, 10])
        #expect(gaussian == [2.0 / 8, 10.0 / 8])
    }

    @Test func deltaForEpsilonInvertsEpsilonForDelta() throws {
        var accountant = try RDPAccountant()
        try accountant.compose(samplingRate: 0.05, noiseMultiplier: 1.3, count: 300)
        let (epsilon, _) = try accountant.epsilon(delta: 1e-5)
        let (delta, _) = try accountant.delta(epsilon: epsilon)
        #expect(delta <= 1.0001e-5 && delta > 1e-6)
    }

    @Test func ledgerStopsAtTheBudget() throws {
        let configuration = try DPFedAvgConfiguration.calibrated(targetEpsilon: 4, delta: 1e-6, rounds: 40, siteCount: 3,
                                                                 clipNorm: 1)
        var ledger = try PrivacyLedger(configuration: configuration)
        var rounds = 0
        while try ledger.canAffordNextRound() {
            let spent = try ledger.recordRound()
            #expect(spent <= 4)
            rounds += 1
            if rounds > 100 { break }
        }
        #expect(rounds == 40, "a budget calibrated for 40 rounds affords exactly 40")
        #expect(try ledger.epsilonSpent() <= 4)
        #expect(try NoiseCalibration.affordableRounds(targetEpsilon: 4, delta: 1e-6, noiseMultiplier: configuration.noiseMultiplier,
                                                      samplingRate: 1) == 40)
        // Checkpoint and restore: the restored ledger continues identically.
        let restored = try JSONDecoder().decode(PrivacyLedger.self, from: JSONEncoder().encode(ledger))
        #expect(restored == ledger)
        #expect(try !restored.canAffordNextRound())
    }

    @Test func invalidArgumentsThrow() throws {
        var accountant = try RDPAccountant()
        #expect(throws: RDPAccountant.AccountingError.self) { try accountant.compose(samplingRate: 1.5, noiseMultiplier: 1) }
        #expect(throws: RDPAccountant.AccountingError.self) { try accountant.compose(samplingRate: .nan, noiseMultiplier: 1) }
        #expect(throws: RDPAccountant.AccountingError.self) { try accountant.compose(samplingRate: 0.5, noiseMultiplier: -1) }
        #expect(throws: RDPAccountant.AccountingError.self) { try accountant.compose(samplingRate: 0.5, noiseMultiplier: 1, count: -1) }
        #expect(throws: RDPAccountant.AccountingError.self) { try accountant.epsilon(delta: 2) }
        #expect(throws: RDPAccountant.AccountingError.self) { try RDPAccountant(orders: [0.5, 2]) }
        #expect(throws: NoiseCalibration.CalibrationError.self) {
            try NoiseCalibration.noiseMultiplier(targetEpsilon: 1e-9, delta: 1e-9, rounds: 1_000_000, samplingRate: 1,
                                                 maximumNoiseMultiplier: 100)
        }
        // No noise is no privacy.
        try accountant.compose(samplingRate: 0.5, noiseMultiplier: 0)
        #expect(try accountant.epsilon(delta: 1e-5).epsilon == .infinity)
    }

    @Test func corruptCheckpointsAreRejected() throws {
        let bad = [
            #"{"orders":[2,3],"rdp":[0.1],"composedEvents":1}"#,
            #"{"orders":[1,3],"rdp":[0.1,0.2],"composedEvents":1}"#,
            #"{"orders":[2,3],"rdp":[-0.1,0.2],"composedEvents":1}"#,
            #"{"orders":[2,3],"rdp":[0.1,0.2],"composedEvents":-4}"#,
            #"{"orders":[],"rdp":[],"composedEvents":0}"#,
        ]
        for json in bad {
            #expect(throws: DecodingError.self, "\(json)") { try JSONDecoder().decode(RDPAccountant.self, from: Data(json.utf8)) }
        }
    }
}
