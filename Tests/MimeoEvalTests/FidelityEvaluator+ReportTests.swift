import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoEval

/// Agreement with SDMetrics 0.32 on the fixtures of `scripts/sdmetrics_reference.py`.
@Suite struct FidelityEvaluatorReportTests {
    /// The issue's acceptance bound for overall, Column Shapes and Column Pair Trends.
    static let tolerance = 0.005
    /// What the summaries achieve at these sizes (no table is coarsened and no value cell
    /// straddles a bin edge, so every score is exact up to floating-point summation order):
    /// applied to every property, column and pair score, it catches regressions long before
    /// they reach the acceptance bound.
    static let exactTolerance = 1e-9

    static let fullTierEnabled = ProcessInfo.processInfo.environment["MIMEO_EVAL_FULL"] == "1"
        && Datasets.isAvailable("adult/adult-holdout.csv", "bank_marketing/bank_marketing-holdout.csv",
                               "flights/flights-holdout.csv.gz")

    @Test(arguments: ["adult-sample.json", "bank_marketing-sample.json", "flights-sample.json"])
    func agreesWithSDMetricsOnCommittedSamples(_ fixture: String) throws {
        try compare(fixture)
    }

    /// Full-size tables (adult and bank: all train vs all holdout rows; flights: every 6th train
    /// row vs every 2nd holdout row). Needs `../shared/datasets` and `MIMEO_EVAL_FULL=1`.
    @Test(.enabled(if: fullTierEnabled, "needs MIMEO_EVAL_FULL=1 and the shared datasets (../shared/datasets or $MIMEO_DATASETS)"),
          arguments: ["adult-full.json", "bank_marketing-full.json", "flights-full.json"])
    func agreesWithSDMetricsOnFullTables(_ fixture: String) throws {
        try compare(fixture)
    }

    /// Scores every case of a fixture and checks them against SDMetrics'.
    private func compare(_ name: String) throws {
        let fixture = try ReferenceFixture.load(name)
        let evaluator = try FidelityEvaluator(real: fixture.realTable(), schema: fixture.schema)
        var deviation = Deviation()
        for fixtureCase in fixture.cases {
            let synthetic = try fixture.syntheticTable(fixtureCase)
            #expect(synthetic.rowCount == fixtureCase.synthetic_rows, "\(fixtureCase.name): rows")
            let report = try evaluator.evaluate(synthetic)
            let label = "\(name) \(fixtureCase.name)"
            deviation.property(report.overall, fixtureCase.overall, "\(label) overall")
            deviation.property(report.columnShapes, fixtureCase.column_shapes, "\(label) column shapes")
            deviation.property(report.columnPairTrends, fixtureCase.column_pair_trends, "\(label) pair trends")

            #expect(report.columns.map(\.column) == fixtureCase.columns.map(\.column))
            for (mine, theirs) in zip(report.columns, fixtureCase.columns) {
                #expect(mine.metric == theirs.metric)
                deviation.item(mine.score, theirs.score, "\(label) column \(mine.column)")
            }
            #expect(report.pairs.count == fixtureCase.pairs.count)
            for (mine, theirs) in zip(report.pairs, fixtureCase.pairs) {
                let pairLabel = "\(label) pair \(mine.column1)/\(mine.column2)"
                #expect(mine.column1 == theirs.column_1 && mine.column2 == theirs.column_2)
                #expect(mine.metric == theirs.metric, "\(pairLabel)")
                guard theirs.error == nil else {
                    #expect(mine.score == nil, "\(pairLabel): SDMetrics failed (\(theirs.error!))")
                    continue
                }
                #expect(mine.meetsThreshold == theirs.meets_threshold, "\(pairLabel): threshold")
                deviation.association(mine.realAssociation, theirs.real_association, pairLabel)
                deviation.association(mine.realCorrelation, theirs.real_correlation, pairLabel)
                if theirs.meets_threshold {
                    deviation.item(mine.score, theirs.score, pairLabel)
                    deviation.uncertainty = max(deviation.uncertainty, mine.binningUncertainty ?? 0)
                }
            }
        }
        print("\(name): max |Δ| properties \(deviation.properties) (\(deviation.worstProperty)); "
              + "columns/pairs \(deviation.items) (\(deviation.worstItem)); real statistics \(deviation.statistics); "
              + "max binning uncertainty \(deviation.uncertainty)")
    }
}

/// The largest differences met, checked against the tolerances as they come.
private struct Deviation {
    var properties = 0.0, worstProperty = ""
    var items = 0.0, worstItem = ""
    var statistics = 0.0
    var uncertainty = 0.0

    mutating func property(_ mine: Double?, _ theirs: Double?, _ label: String) {
        guard let d = difference(mine, theirs, label) else { return }
        #expect(d <= FidelityEvaluatorReportTests.tolerance, "\(label): \(mine ?? .nan) vs SDMetrics \(theirs ?? .nan)")
        #expect(d <= FidelityEvaluatorReportTests.exactTolerance, "\(label): not exact")
        if d > properties { (properties, worstProperty) = (d, label) }
    }

    mutating func item(_ mine: Double?, _ theirs: Double?, _ label: String) {
        guard let d = difference(mine, theirs, label) else { return }
        #expect(d <= FidelityEvaluatorReportTests.exactTolerance,
                "\(label): \(mine ?? .nan) vs SDMetrics \(theirs ?? .nan)")
        if d > items { (items, worstItem) = (d, label) }
    }

    mutating func association(_ mine: Double?, _ theirs: Double?, _ label: String) {
        guard let d = difference(mine, theirs, label) else { return }
        #expect(d <= 1e-6, "\(label): real statistic \(mine ?? .nan) vs SDMetrics \(theirs ?? .nan)")
        statistics = max(statistics, d)
    }

    /// `|mine - theirs|`, or nil when both are missing (a mismatch in presence is a failure).
    private func difference(_ mine: Double?, _ theirs: Double?, _ label: String) -> Double? {
        switch (mine, theirs) {
        case (nil, nil): return nil
        case (let m?, let t?): return abs(m - t)
        default:
            Issue.record("\(label): \(String(describing: mine)) vs SDMetrics \(String(describing: theirs))")
            return nil
        }
    }
}
