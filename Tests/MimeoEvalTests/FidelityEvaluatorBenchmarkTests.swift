import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoEval

/// `mimeo evaluate`'s fidelity budget: 1,000,000 synthetic rows against adult's 39,073 training
/// rows in <= 20 s on 2 cores. Run in release, by hand:
///
///     MIMEO_EVAL_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter Benchmark
///
/// The synthetic table is adult train repeated to 1M rows with every column shuffled.
@Suite(.serialized) struct FidelityEvaluatorBenchmarkTests {
    static let enabled = ProcessInfo.processInfo.environment["MIMEO_EVAL_BENCH"] == "1"
        && Datasets.isAvailable("adult", "flights")

    @Test(.enabled(if: enabled, "a benchmark: needs MIMEO_EVAL_BENCH=1 and the shared datasets (../shared/datasets or $MIMEO_DATASETS)"), arguments: ["adult-full.json", "flights-full.json"])
    func millionRows(_ name: String) throws {
        let fixture = try ReferenceFixture.load(name)
        let clock = ContinuousClock()
        var start = clock.now
        let real = try fixture.realTable()
        let loadTime = clock.now - start
        let rows = 1_000_000
        var synthetic = Table(columnNames: real.columnNames, columns: real.columns.map { column in
            (0 ..< rows).map { column[$0 % column.count] }
        })
        Damage(kind: "shuffle", seed: 5).apply(to: &synthetic)

        for (threads, allPairs) in [(2, false), (1, false), (2, true)] {
            var options = FidelityOptions()
            options.threadCount = threads
            options.scoresAllPairs = allPairs
            start = clock.now
            let evaluator = try FidelityEvaluator(real: real, schema: fixture.schema, options: options)
            let profileTime = clock.now - start
            start = clock.now
            let summary = try evaluator.summarize(synthetic)
            let summaryTime = clock.now - start
            start = clock.now
            let report = evaluator.report(for: summary)
            let reportTime = clock.now - start
            let json = try JSONEncoder().encode(summary)
            print("1M rows vs \(name) (\(real.rowCount) real rows), \(threads) thread(s), all pairs \(allPairs): "
                  + "load real \(loadTime), profile \(profileTime), summarize \(summaryTime), report \(reportTime); "
                  + "summary JSON \(json.count) bytes; overall \(report.overall!)")
            #expect(summaryTime + reportTime < .seconds(20))
        }
    }

    /// How much bounding the number-by-category tables (coarsening) moves the scores at 1M rows:
    /// the default bound against one so large that nothing coarsens.
    @Test(.enabled(if: enabled, "a benchmark: needs MIMEO_EVAL_BENCH=1 and the shared datasets (../shared/datasets or $MIMEO_DATASETS)"), arguments: ["adult-full.json", "flights-full.json"])
    func boundedTablesAtAMillionRows(_ name: String) throws {
        let fixture = try ReferenceFixture.load(name)
        let real = try fixture.realTable()
        var synthetic = Table(columnNames: real.columnNames, columns: real.columns.map { column in
            (0 ..< 1_000_000).map { column[$0 % column.count] }
        })
        Damage(kind: "shuffle", seed: 5).apply(to: &synthetic)
        var unbounded = FidelityOptions()
        unbounded.maxPairCells = 1 << 30
        let exact = try FidelityEvaluator(real: real, schema: fixture.schema, options: unbounded).evaluate(synthetic)
        let bounded = try FidelityEvaluator(real: real, schema: fixture.schema).evaluate(synthetic)
        var worst = 0.0
        for (a, b) in zip(exact.pairs, bounded.pairs) {
            if let x = a.score, let y = b.score { worst = max(worst, abs(x - y)) }
        }
        print("1M rows vs \(name): bounded (\(FidelityOptions().maxPairCells) cells) - unbounded: overall "
              + "\(abs(exact.overall! - bounded.overall!)), pair trends "
              + "\(abs(exact.columnPairTrends! - bounded.columnPairTrends!)), worst pair \(worst); "
              + "max binning uncertainty \(bounded.maxBinningUncertainty) (unbounded \(exact.maxBinningUncertainty))")
        #expect(abs(exact.overall! - bounded.overall!) < 0.005)
    }

    /// The whole fidelity path of `mimeo evaluate` on a 1M-row CSV: stream, summarise, report.
    @Test(.enabled(if: enabled, "a benchmark: needs MIMEO_EVAL_BENCH=1 and the shared datasets (../shared/datasets or $MIMEO_DATASETS)")) func millionRowCSV() throws {
        let fixture = try ReferenceFixture.load("adult-full.json")
        let real = try fixture.realTable()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mimeo-eval-1m.csv").path
        var text = real.columnNames.joined(separator: ",") + "\n"
        for r in 0 ..< 1_000_000 {
            text += real.columns.map { $0[r % real.rowCount] ?? "" }.joined(separator: ",")
            text += "\n"
        }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let clock = ContinuousClock()
        let start = clock.now
        let evaluator = try FidelityEvaluator(real: real, schema: fixture.schema)
        let summary = try evaluator.summarize(csvAt: path)
        let report = evaluator.report(for: summary)
        let elapsed = clock.now - start
        print("1M-row CSV vs adult train: profile + stream + summarize + report \(elapsed); "
              + "overall \(report.overall!), rows \(summary.rowCount)")
        #expect(summary.rowCount == 1_000_000)
        #expect(elapsed < .seconds(20))
    }
}
