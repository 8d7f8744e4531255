import Foundation
import MimeoData
import MimeoTestSupport
import MimeoTensor
import Testing

@testable import MimeoEval

/// `mimeo evaluate`'s privacy and utility budget: 1,000,000 synthetic rows against adult's 39,073
/// training rows (privacy on the referee's sample: 50,000 synthetic and all 9,769 holdout rows).
/// Run in release, by hand, with OpenBLAS's fast kernel (the CLI re-executes with it):
///
///     OPENBLAS_CORETYPE=SkylakeX MIMEO_EVAL_BENCH=1 swift test -c release -Xswiftc -enable-testing \
///         --filter PrivacyEvaluatorBenchmark
///
/// The synthetic table is adult train repeated to 1M rows with about 10% of cells replaced (the
/// leak of `PrivacyRefereeTests.catchesALeak`, at scale).
@Suite(.serialized) struct PrivacyEvaluatorBenchmarkTests {
    static let enabled = ProcessInfo.processInfo.environment["MIMEO_EVAL_BENCH"] == "1"
        && Datasets.isAvailable("adult/adult-train.csv", "adult/adult-holdout.csv")

    static func millionRows() throws -> (PrivacyFixture, Table, Table, Table) {
        let fixture = try PrivacyFixture.load("adult-full.json")
        let train = try fixture.trainTable(), holdout = try fixture.holdoutTable()
        let repeated = Table(columnNames: train.columnNames, columns: train.columns.map { column in
            (0 ..< 1_000_000).map { column[$0 % column.count] }
        })
        return (fixture, train, holdout, PrivacyFixture.perturbed(repeated, seed: 7, every: 10))
    }

    @Test(.enabled(if: enabled, "a benchmark: needs MIMEO_EVAL_BENCH=1 and the shared datasets (../shared/datasets or $MIMEO_DATASETS)")) func privacyOnAMillionRows() throws {
        let (fixture, train, holdout, synthetic) = try Self.millionRows()
        let clock = ContinuousClock()
        var start = clock.now
        let evaluator = try fixture.makeEvaluator(train: train, holdout: holdout)
        let profileTime = clock.now - start
        start = clock.now
        let summary = try evaluator.summarize(synthetic)
        let summaryTime = clock.now - start
        start = clock.now
        let report = try evaluator.report(for: summary)
        let reportTime = clock.now - start
        print("privacy, 1M synthetic rows vs adult (\(train.rowCount) train, \(holdout.rowCount) holdout), BLAS "
              + "\(BLAS.coreName): profile \(profileTime), summarize \(summaryTime), report \(reportTime); "
              + "rows used \(report.rowsUsed); DCR share \(report.dcrShare.share!), MIA AUC "
              + "\(report.membershipInference.auc!), exact match \(report.exactMatch.syntheticShare!)")
        #expect(report.rowsUsed.synthetic == 50_000 && report.rowsUsed.syntheticTotal == 1_000_000)
        #expect(report.dcrShare.share! > 0.55 && report.membershipInference.auc! > 0.65)
        #expect(summaryTime + reportTime < .seconds(60))
    }

    @Test(.enabled(if: enabled, "a benchmark: needs MIMEO_EVAL_BENCH=1 and the shared datasets (../shared/datasets or $MIMEO_DATASETS)"), arguments: UtilityLearner.allCases)
    func utilityOnAMillionRows(_ learner: UtilityLearner) throws {
        let (fixture, train, holdout, synthetic) = try Self.millionRows()
        var options = UtilityOptions(target: fixture.target)
        options.learner = learner
        let clock = ContinuousClock()
        var start = clock.now
        let evaluator = try UtilityEvaluator(train: train, holdout: holdout, schema: fixture.schema(for: train),
                                             options: options)
        let realTime = clock.now - start
        start = clock.now
        let report = try evaluator.evaluate(synthetic)
        let syntheticTime = clock.now - start
        print("utility (\(learner)), 1M synthetic rows (sampled to \(report.trainOnSynthetic.trainingRows)): "
              + "TRTR \(realTime), TSTR \(syntheticTime); TSTR AUC \(report.trainOnSynthetic.values.auc!), "
              + "TRTR AUC \(report.trainOnReal.values.auc!)")
    }
}
