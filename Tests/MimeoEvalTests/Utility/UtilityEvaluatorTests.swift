import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoEval

@Suite struct UtilityEvaluatorTests {
    static let schema = makeSchema(["x": .decimal, "c": .categorical, "y": .categorical])

    /// `y` is "yes" when x + (c == "b") > 1, with some noise; x in [0, 2).
    static func table(_ count: Int, seed: UInt64, flip: Double = 0.05) -> Table {
        var generator = SplitMix64(seed: seed)
        func u() -> Double { Double(generator.next() >> 11) * 0x1p-53 }
        var x: [String?] = [], c: [String?] = [], y: [String?] = []
        for _ in 0 ..< count {
            let value = u() * 2
            let level = ["a", "b", "c"][Int(generator.next() % 3)]
            var positive = value + (level == "b" ? 1 : 0) > 1.2
            if u() < flip { positive.toggle() }
            x.append(String(value))
            c.append(level)
            y.append(positive ? "yes" : "no")
        }
        return makeTable(["x": x, "c": c, "y": y])
    }

    @Test func binaryTask() throws {
        let evaluator = try UtilityEvaluator(train: Self.table(400, seed: 1), holdout: Self.table(300, seed: 2),
                                             schema: Self.schema, options: UtilityOptions(target: "y"))
        #expect(evaluator.task == .binary)
        let good = try evaluator.evaluate(Self.table(400, seed: 3))
        let noise = try evaluator.evaluate(Self.table(400, seed: 4, flip: 0.5))
        #expect(good.classes == ["no", "yes"])
        #expect(good.trainOnReal.values.auc! > 0.9 && good.trainOnSynthetic.values.auc! > 0.9)
        #expect(abs(good.gap.auc!) < 0.03)
        #expect(noise.trainOnSynthetic.values.auc! < 0.75)
        #expect(noise.gap.auc! > 0.2)
        #expect(good.metrics.map(\.name) == ["ROCAUC", "Accuracy"])
        #expect(good.holdoutRows == 300 && good.trainOnSynthetic.trainingRows == 400)
        let reference = evaluator.evaluateReference()
        #expect(reference.isReference && reference.gap.auc == 0)
    }

    @Test func oneClassSyntheticTableHasNoScore() throws {
        let evaluator = try UtilityEvaluator(train: Self.table(100, seed: 1), holdout: Self.table(100, seed: 2),
                                             schema: Self.schema, options: UtilityOptions(target: "y"))
        var synthetic = Self.table(50, seed: 3)
        synthetic.columns[2] = Array(repeating: "yes", count: 50)
        let report = try evaluator.evaluate(synthetic)
        #expect(report.trainOnSynthetic.values.auc == nil)
        #expect(report.trainOnSynthetic.note == "the synthetic target has one class")
        #expect(report.gap.auc == nil)
    }

    /// A number target with at most 20 values is a category; with more, a regression. Missing and
    /// unknown targets are left out.
    @Test func targetTyping() throws {
        let schema = makeSchema(["x": .decimal, "t": .integer])
        let values = (0 ..< 200).map { Double($0 % 40) / 4 }
        let few = makeTable(["x": cells(values), "t": cells(values.map { Double(Int($0) % 3) })])
        let fewEvaluator = try UtilityEvaluator(train: few, holdout: few, schema: schema,
                                                options: UtilityOptions(target: "t"))
        #expect(fewEvaluator.task == .multiclass)
        #expect(fewEvaluator.evaluateReference().classes == ["0", "1", "2"])
        var many = makeTable(["x": cells(values), "t": cells(values.map { 3 * $0 + 1 })])
        many.columns[1][5] = nil
        let manyEvaluator = try UtilityEvaluator(train: many, holdout: many, schema: schema,
                                                 options: UtilityOptions(target: "t"))
        #expect(manyEvaluator.task == .regression)
        let report = manyEvaluator.evaluateReference()
        #expect(report.holdoutRows == 199)
        #expect(report.trainOnReal.values.r2! > 0.999)
        #expect(report.metrics.map(\.name) == ["RSquared"])
        #expect(report.metrics[0].range == MetricBounds(minimum: nil, maximum: 1))
    }

    @Test func multiclassWithTrees() throws {
        let schema = makeSchema(["x": .decimal, "t": .categorical])
        var generator = SplitMix64(seed: 8)
        func table(_ n: Int) -> Table {
            var x: [String?] = [], t: [String?] = []
            for _ in 0 ..< n {
                let value = Double(generator.next() % 3000) / 1000
                x.append(String(value))
                t.append(value < 1 ? "low" : value < 2 ? "mid" : "high")
            }
            return makeTable(["x": x, "t": t])
        }
        var options = UtilityOptions(target: "t")
        options.learner = .gradientBoostedTrees
        options.trees.treeCount = 20
        options.trees.learningRate = 0.3
        let evaluator = try UtilityEvaluator(train: table(300), holdout: table(200), schema: schema, options: options)
        let report = try evaluator.evaluate(table(300))
        #expect(report.task == .multiclass && report.positiveClass == nil)
        #expect(report.trainOnSynthetic.values.accuracy! > 0.95)
        #expect(report.trainOnSynthetic.values.auc! > 0.98)
        #expect(report.learner.hasPrefix("gradient-boosted trees"))
    }

    @Test func trainingRowsAreCapped() throws {
        var options = UtilityOptions(target: "y")
        options.maxTrainingRows = 150
        let evaluator = try UtilityEvaluator(train: Self.table(400, seed: 1), holdout: Self.table(100, seed: 2),
                                             schema: Self.schema, options: options)
        let report = try evaluator.evaluate(Self.table(1000, seed: 3))
        #expect(report.trainOnSynthetic.trainingRows == 150 && report.trainOnSynthetic.tableRows == 1000)
        #expect(report.trainOnReal.trainingRows == 150)
    }

    @Test func missingColumnsThrow() throws {
        #expect(throws: EvaluationError.missingColumn("nope", table: "schema")) {
            try UtilityEvaluator(train: Self.table(10, seed: 1), holdout: Self.table(10, seed: 2), schema: Self.schema,
                                 options: UtilityOptions(target: "nope"))
        }
        let evaluator = try UtilityEvaluator(train: Self.table(50, seed: 1), holdout: Self.table(50, seed: 2),
                                             schema: Self.schema, options: UtilityOptions(target: "y"))
        #expect(throws: EvaluationError.missingColumn("c", table: "synthetic")) {
            try evaluator.evaluate(makeTable(["x": ["1"], "y": ["yes"]]))
        }
    }

    @Test func reportEncodesToJSON() throws {
        let evaluator = try UtilityEvaluator(train: Self.table(100, seed: 1), holdout: Self.table(100, seed: 2),
                                             schema: Self.schema, options: UtilityOptions(target: "y"))
        let report = try evaluator.evaluate(Self.table(100, seed: 3))
        let data = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(UtilityReport.self, from: data) == report)
    }
}
