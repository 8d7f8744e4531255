import Foundation
import MimeoData
import Testing

@testable import MimeoEval

/// TSTR and TRTR next to the referee's (LightGBM, 300 trees, learning rate 0.05, 31 leaves) on the
/// fixtures of `scripts/referee_privacy_reference.py`. Different learners agree only roughly; these
/// tests pin the plumbing (task, positive class, holdout rows, the synthetic tables) and how far
/// Mimeo's learners sit from LightGBM.
@Suite struct UtilityRefereeTests {
    /// Linear models on the committed samples: within 0.05 AUC (classification) or 0.1 R² of LightGBM.
    @Test(arguments: ["adult-sample.json", "bank_marketing-sample.json", "flights-sample.json"])
    func linearModelsNearLightGBM(_ name: String) throws {
        try compare(name, learner: .linear, aucTolerance: 0.05, r2Tolerance: 0.1)
    }

    /// Gradient-boosted trees on full adult: within 0.005 AUC of LightGBM (needs `MIMEO_EVAL_FULL=1`).
    @Test(.enabled(if: PrivacyRefereeTests.fullTierEnabled, PrivacyRefereeTests.fullTierReason), arguments: ["adult-full.json"])
    func treesMatchLightGBM(_ name: String) throws {
        try compare(name, learner: .gradientBoostedTrees, aucTolerance: 0.005, r2Tolerance: 0.01)
    }

    private func compare(_ name: String, learner: UtilityLearner, aucTolerance: Double, r2Tolerance: Double) throws {
        let fixture = try PrivacyFixture.load(name)
        let train = try fixture.trainTable()
        var options = UtilityOptions(target: fixture.target)
        options.learner = learner
        let evaluator = try UtilityEvaluator(train: train, holdout: fixture.holdoutTable(), schema: fixture.schema(for: train),
                                             options: options)
        // (The "holdout" case trains and tests on the same rows: it measures memorisation, where
        // LightGBM and a linear model part ways by design.)
        for fixtureCase in fixture.cases where fixtureCase.synthetic != "holdout" {
            let report: UtilityReport
            if fixtureCase.synthetic == "perturbed-train" {
                report = try evaluator.evaluate(PrivacyFixture.perturbed(train, seed: fixtureCase.perturb_seed!,
                                                                         every: fixtureCase.perturb_every!))
            } else {
                report = evaluator.evaluateReference()
            }
            let referee = try #require(fixtureCase.utility)
            let context = "\(name) \(fixtureCase.name) \(learner)"
            #expect(report.task.rawValue == referee.task, "\(context)")
            if let positive = referee.positive_class { #expect(report.positiveClass == positive, "\(context)") }
            for (ours, theirs, side) in [(report.trainOnSynthetic.values, referee.tstr, "TSTR"),
                                         (report.trainOnReal.values, referee.trtr, "TRTR")] {
                if let expected = theirs.auc {
                    let value = try #require(ours.auc)
                    #expect(abs(value - expected) <= aucTolerance, "\(context) \(side) AUC \(value) vs \(expected)")
                }
                if let expected = theirs.r2 {
                    let value = try #require(ours.r2)
                    #expect(abs(value - expected) <= r2Tolerance, "\(context) \(side) R² \(value) vs \(expected)")
                }
            }
            print("\(context): TSTR \(report.trainOnSynthetic.values) (LightGBM \(referee.tstr)), "
                  + "TRTR \(report.trainOnReal.values) (LightGBM \(referee.trtr))")
        }
    }
}
