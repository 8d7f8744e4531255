import MimeoData

/// Measures how well a synthetic table trains a model for the real world: train-on-synthetic /
/// test-on-real (TSTR) next to train-on-real / test-on-real (TRTR), with learners built into Mimeo.
///
/// ```swift
/// let evaluator = try UtilityEvaluator(train: train, holdout: holdout, schema: schema,
///                                      options: UtilityOptions(target: "income"))
/// let report = try evaluator.evaluate(synthetic)
/// report.trainOnSynthetic.values.auc     // TSTR AUC
/// report.gap.auc                         // TRTR − TSTR
/// ```
///
/// The task follows the referee's typing of the target: a number column with more than 20 distinct
/// train values is a regression (R²); any other column is a classification over the train's classes
/// (AUC for the train's minority class and accuracy with two classes; macro one-vs-rest AUC and
/// accuracy with more). Rows with a missing target, or a class the train table lacks, are left out
/// of training and of the holdout. Features: `LearnerEncoding`, analysed on the real train table.
/// Learners: `UtilityLearner.linear` (`LogisticRegression`, one-vs-rest for several classes;
/// `RidgeRegression`), or `.gradientBoostedTrees` (`GradientBoostedTrees`).
///
/// The TRTR model is trained once, here; `evaluate` trains the TSTR model.
public struct UtilityEvaluator: Sendable {
    /// The settings.
    public let options: UtilityOptions
    /// The task the target implies.
    public let task: UtilityTask
    /// TRTR: the model trained on the real train table, scored on the holdout.
    public let trainOnReal: UtilityScores

    let encoding: LearnerEncoding
    let target: TargetReader
    /// The train table's classes, sorted (classification).
    let classes: [String]
    /// The index in `classes` of the minority class (binary).
    let positiveClass: Int?
    let holdoutDesign: SparseDesign
    /// Class indices (classification) or values (regression) of the holdout rows kept.
    let holdoutClasses: [Int]
    let holdoutValues: [Double]

    /// Reads the target of a cell: a class (text) or a number.
    struct TargetReader: Sendable {
        let column: String
        let parser: CellParser?
        let isDateTime: Bool
        let isNumericTask: Bool

        func number(_ cell: String?) -> Double {
            guard let parser else { return .nan }
            let x = parser.value(cell)
            return isDateTime ? x / 1e9 : x
        }

        func label(_ cell: String?) -> String? {
            if parser != nil {
                let x = number(cell)
                return x.isNaN ? nil : PrivacyColumn.numberText(x)
            }
            return cell.map(PrivacyColumn.trimmed)
        }
    }

    /// Analyses the features, reads the holdout and trains the TRTR model.
    ///
    /// - Parameters:
    ///   - train: The real rows the generator was trained on.
    ///   - holdout: Real rows it never saw: the test set of both models.
    ///   - schema: The column kinds; every column other than the target is a feature.
    ///   - options: Target, learner and its settings.
    /// - Throws: `EvaluationError.missingColumn` for an unknown target or a column absent from a table.
    public init(train: Table, holdout: Table, schema: Schema, options: UtilityOptions) throws {
        self.options = options
        guard let targetSchema = schema.column(named: options.target) else {
            throw EvaluationError.missingColumn(options.target, table: "schema")
        }
        guard let trainTarget = train.columnIndex(named: options.target) else {
            throw EvaluationError.missingColumn(options.target, table: "train")
        }
        encoding = try LearnerEncoding(train: train, schema: schema, target: options.target,
                                       maxLevels: options.maxLevels)
        var parser: CellParser?
        var isNumericTask = false
        if targetSchema.kind.isNumeric || targetSchema.kind == .datetime {
            let p = try CellParser(kind: targetSchema.kind, format: targetSchema.format)
            parser = p
            var distinct = Set<Double>()
            for cell in train.columns[trainTarget] {
                var x = p.value(cell)
                if targetSchema.kind == .datetime { x /= 1e9 }
                if !x.isNaN { distinct.insert(x) }
                if distinct.count > 20 { break }
            }
            isNumericTask = distinct.count > 20
        }
        target = TargetReader(column: options.target, parser: parser, isDateTime: targetSchema.kind == .datetime,
                              isNumericTask: isNumericTask)
        if isNumericTask {
            task = .regression
            classes = []
            positiveClass = nil
        } else {
            var counts: [String: Int] = [:], order: [String] = []
            for cell in train.columns[trainTarget] {
                guard let label = target.label(cell) else { continue }
                if counts[label] == nil { order.append(label) }
                counts[label, default: 0] += 1
            }
            let sorted = counts.keys.sorted()
            classes = sorted
            task = sorted.count == 2 ? .binary : .multiclass
            // The minority class (the referee's `value_counts().index[-1]`); among equals, the last seen.
            var minority: String?
            for label in order where minority == nil || counts[label]! <= counts[minority!]! { minority = label }
            if sorted.count == 2, let minority { positiveClass = sorted.firstIndex(of: minority) } else { positiveClass = nil }
        }

        guard let holdoutTarget = holdout.columnIndex(named: options.target) else {
            throw EvaluationError.missingColumn(options.target, table: "holdout")
        }
        var kept: [Int] = [], holdoutClasses: [Int] = [], holdoutValues: [Double] = []
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        for (row, cell) in holdout.columns[holdoutTarget].enumerated() {
            if isNumericTask {
                let x = target.number(cell)
                if !x.isNaN {
                    kept.append(row)
                    holdoutValues.append(x)
                }
            } else if let label = target.label(cell), let index = classIndex[label] {
                kept.append(row)
                holdoutClasses.append(index)
            }
        }
        holdoutDesign = try encoding.encode(holdout, rows: kept, tableName: "holdout")
        self.holdoutClasses = holdoutClasses
        self.holdoutValues = holdoutValues
        trainOnReal = Self.score(table: train, tableName: "train", options: options, encoding: encoding,
                                 target: target, task: task, classes: classes, positiveClass: positiveClass,
                                 holdoutDesign: holdoutDesign, holdoutClasses: holdoutClasses,
                                 holdoutValues: holdoutValues)
    }

    /// Trains on `synthetic`, scores on the holdout, and sets the result next to TRTR.
    ///
    /// - Throws: `EvaluationError.missingColumn` when the synthetic table lacks a feature or the target.
    public func evaluate(_ synthetic: Table) throws -> UtilityReport {
        guard synthetic.columnIndex(named: options.target) != nil else {
            throw EvaluationError.missingColumn(options.target, table: "synthetic")
        }
        for name in encoding.numbers.map(\.column) + encoding.categories.map(\.column)
        where synthetic.columnIndex(named: name) == nil {
            throw EvaluationError.missingColumn(name, table: "synthetic")
        }
        let scores = Self.score(table: synthetic, tableName: "synthetic", options: options, encoding: encoding,
                                target: target, task: task, classes: classes, positiveClass: positiveClass,
                                holdoutDesign: holdoutDesign, holdoutClasses: holdoutClasses,
                                holdoutValues: holdoutValues)
        return report(trainOnSynthetic: scores, isReference: false)
    }

    /// The reference (ceiling) report: TSTR is TRTR, as the referee's `--reference` reports it.
    public func evaluateReference() -> UtilityReport {
        report(trainOnSynthetic: trainOnReal, isReference: true)
    }

    private func report(trainOnSynthetic: UtilityScores, isReference: Bool) -> UtilityReport {
        func difference(_ a: Double?, _ b: Double?) -> Double? {
            guard let a, let b else { return nil }
            return a - b
        }
        let real = trainOnReal.values, synthetic = trainOnSynthetic.values
        let metrics: [MetricDescription] = task == .regression
            ? [MetricDescription(name: RSquared.name, goal: RSquared.goal, range: RSquared.range)]
            : [MetricDescription(name: ROCAUC.name, goal: ROCAUC.goal, range: ROCAUC.range),
               MetricDescription(name: Accuracy.name, goal: Accuracy.goal, range: Accuracy.range)]
        return UtilityReport(
            target: options.target, task: task, learner: learnerDescription,
            classes: task == .regression ? nil : classes,
            positiveClass: positiveClass.map { classes[$0] },
            trainOnSynthetic: trainOnSynthetic, trainOnReal: trainOnReal,
            gap: UtilityScores.Values(auc: difference(real.auc, synthetic.auc),
                                      accuracy: difference(real.accuracy, synthetic.accuracy),
                                      r2: difference(real.r2, synthetic.r2)),
            holdoutRows: holdoutDesign.rowCount, metrics: metrics, isReference: isReference, options: options)
    }

    private var learnerDescription: String {
        let features = "\(encoding.featureCount) features (standardised numbers with missing indicators, one-hot "
            + "categories, top \(options.maxLevels) train levels)"
        switch options.learner {
        case .linear:
            return task == .regression
                ? "ridge regression (closed form, λ = \(options.regularization)) on \(features)"
                : "L2 logistic regression (Newton, λ = \(options.regularization)"
                    + (task == .multiclass ? ", one-vs-rest" : "") + ") on \(features)"
        case .gradientBoostedTrees:
            let t = options.trees
            return "gradient-boosted trees (\(t.treeCount) trees, learning rate \(t.learningRate), \(t.maxLeaves) "
                + "leaves, \(t.maxBins) bins) on \(features)"
        }
    }

    /// Trains on the rows of `table` with a usable target and scores on the holdout.
    static func score(table: Table, tableName: String, options: UtilityOptions, encoding: LearnerEncoding,
                      target: TargetReader, task: UtilityTask, classes: [String], positiveClass: Int?,
                      holdoutDesign: SparseDesign, holdoutClasses: [Int], holdoutValues: [Double]) -> UtilityScores {
        guard let targetIndex = table.columnIndex(named: target.column) else {
            return UtilityScores(values: .init(), trainingRows: 0, tableRows: table.rowCount, note: "no target column")
        }
        let cells = table.columns[targetIndex]
        var rows: [Int] = [], rowClasses: [Int] = [], rowValues: [Double] = []
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        for (row, cell) in cells.enumerated() {
            if task == .regression {
                let x = target.number(cell)
                if !x.isNaN {
                    rows.append(row)
                    rowValues.append(x)
                }
            } else if let label = target.label(cell), let index = classIndex[label] {
                rows.append(row)
                rowClasses.append(index)
            }
        }
        if let cap = options.maxTrainingRows, rows.count > cap {
            let pick = SeededSelection.sample(count: rows.count, take: cap, seed: options.seed, stream: .utilityTraining)
                .sorted()
            rows = pick.map { rows[$0] }
            if task == .regression { rowValues = pick.map { rowValues[$0] } } else { rowClasses = pick.map { rowClasses[$0] } }
        }
        guard let design = try? encoding.encode(table, rows: rows, tableName: tableName), !rows.isEmpty else {
            return UtilityScores(values: .init(), trainingRows: 0, tableRows: table.rowCount,
                                 note: "no \(tableName) rows with a usable target")
        }
        var values = UtilityScores.Values()
        var note: String?
        switch task {
        case .regression:
            let predictions = regress(design, targets: rowValues, holdout: holdoutDesign, options: options)
            values.r2 = predictions.flatMap { RSquared.compute(predicted: $0, actual: holdoutValues) }
            if predictions == nil { note = "the regression could not be solved" }
        case .binary, .multiclass:
            let present = Set(rowClasses)
            guard present.count >= 2 else {
                return UtilityScores(values: values, trainingRows: rows.count, tableRows: table.rowCount,
                                     note: "the \(tableName) target has one class")
            }
            let probabilities = classify(design, classes: rowClasses, classCount: classes.count,
                                         holdout: holdoutDesign, options: options)
            let predicted = probabilities.map { p in p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }! }
            values.accuracy = Accuracy.compute(predicted: predicted, actual: holdoutClasses)
            if let positiveClass {
                values.auc = ROCAUC.compute(scores: probabilities.map { $0[positiveClass] },
                                            labels: holdoutClasses.map { $0 == positiveClass })
            } else {
                // Macro average of one-vs-rest AUCs over the classes the holdout has on both sides.
                var aucs: [Double] = []
                for k in classes.indices {
                    if let auc = ROCAUC.compute(scores: probabilities.map { $0[k] }, labels: holdoutClasses.map { $0 == k }) {
                        aucs.append(auc)
                    }
                }
                values.auc = aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count)
            }
        }
        return UtilityScores(values: values, trainingRows: rows.count, tableRows: table.rowCount, note: note)
    }

    /// Class probabilities of the holdout rows, `[rows][classCount]`.
    static func classify(_ design: SparseDesign, classes: [Int], classCount: Int, holdout: SparseDesign,
                         options: UtilityOptions) -> [[Double]] {
        switch options.learner {
        case .linear:
            let present = Set(classes)
            let targets: [Int] = classCount == 2 ? [1] : Array(0 ..< classCount)
            var scores = [[Double]](repeating: [Double](repeating: 0, count: classCount), count: holdout.rowCount)
            for k in targets where present.contains(k) {
                let model = LogisticRegression.fit(design, labels: classes.map { $0 == k },
                                                   regularization: options.regularization,
                                                   maxIterations: options.maxIterations)
                for r in 0 ..< holdout.rowCount { scores[r][k] = model.probability(holdout, row: r) }
            }
            if classCount == 2 {
                for r in scores.indices { scores[r][0] = 1 - scores[r][1] }
                return scores
            }
            // One-vs-rest: normalise the per-class probabilities to sum to 1.
            return scores.map { row in
                let sum = row.reduce(0, +)
                return sum > 0 ? row.map { $0 / sum } : row.map { _ in 1 / Double(classCount) }
            }
        case .gradientBoostedTrees:
            let model = GradientBoostedTrees.fitClassifier(design, classes: classes, classCount: classCount,
                                                           parameters: options.trees)
            return model.probabilities(holdout)
        }
    }

    /// Predictions for the holdout rows; nil when the model cannot be fitted.
    static func regress(_ design: SparseDesign, targets: [Double], holdout: SparseDesign,
                        options: UtilityOptions) -> [Double]? {
        switch options.learner {
        case .linear:
            guard let model = RidgeRegression.fit(design, targets: targets, regularization: options.regularization)
            else { return nil }
            return (0 ..< holdout.rowCount).map { model.predict(holdout, row: $0) }
        case .gradientBoostedTrees:
            let model = GradientBoostedTrees.fitRegressor(design, targets: targets, parameters: options.trees)
            return model.predictions(holdout)
        }
    }
}
