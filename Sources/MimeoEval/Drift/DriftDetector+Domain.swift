import Foundation
import MimeoData

extension DriftDetector {
    static let domainLearner = "logistic regression (L2, λ = 1) on standardised numbers and one-hot categories"

    /// The domain classifier: logistic regression (`LogisticRegression`, features as for
    /// `mimeo evaluate`'s linear learner, `LearnerEncoding`) trained to tell the reference sample from
    /// the current one on half of each, its AUC on the other halves, and each column's permutation
    /// importance (the AUC lost when that column's test values are shuffled).
    ///
    /// Logistic regression is deterministic and fast, and its failures are easy to read: it sees
    /// shifts in location and in category shares, not a change of spread alone (the per-column tests
    /// see those).
    func domainClassifier(currentSample: [[String?]]) throws -> DriftReport.DomainClassifier? {
        guard !columns.isEmpty, !referenceSample.isEmpty, !currentSample.isEmpty else { return nil }
        // Alternate rows of each sample: the current sample is in key (random) order, the reference's
        // picked at random.
        func halves(_ rows: [[String?]]) -> (train: [[String?]], test: [[String?]]) {
            (stride(from: 0, to: rows.count, by: 2).map { rows[$0] }, stride(from: 1, to: rows.count, by: 2).map { rows[$0] })
        }
        let (referenceTrain, referenceTest) = halves(referenceSample)
        let (currentTrain, currentTest) = halves(currentSample)
        guard !referenceTest.isEmpty, !currentTest.isEmpty else { return nil }
        let names = columns.map(\.schema.name)
        func table(_ rows: [[String?]]) -> Table {
            Table(columnNames: names, columns: names.indices.map { c in rows.map { $0[c] } })
        }
        let train = table(referenceTrain + currentTrain), test = table(referenceTest + currentTest)
        let trainLabels = Array(repeating: false, count: referenceTrain.count) + Array(repeating: true, count: currentTrain.count)
        let testLabels = Array(repeating: false, count: referenceTest.count) + Array(repeating: true, count: currentTest.count)
        let schema = Schema(columns: columns.map(\.schema))
        let encoding = try LearnerEncoding(train: train, schema: schema, target: "", maxLevels: options.maxLevels)
        let model = LogisticRegression.fit(try encoding.encode(train, rows: Array(0 ..< train.rowCount), tableName: "reference"),
                                           labels: trainLabels, regularization: 1)
        func auc(_ table: Table) throws -> Double? {
            let design = try encoding.encode(table, rows: Array(0 ..< table.rowCount), tableName: "current")
            return ROCAUC.compute(scores: (0 ..< table.rowCount).map { model.probability(design, row: $0) }, labels: testLabels)
        }
        let base = try auc(test)
        var importance: [DriftReport.ColumnImportance] = []
        if let base {
            let order = SeededSelection.permutation(count: test.rowCount, seed: options.seed, stream: .driftCurrent)
            for c in names.indices {
                var shuffled = test
                shuffled.columns[c] = order.map { test.columns[c][$0] }
                importance.append(DriftReport.ColumnImportance(column: names[c], aucDrop: base - (try auc(shuffled) ?? base)))
            }
            importance.sort { $0.aucDrop != $1.aucDrop ? $0.aucDrop > $1.aucDrop : $0.column < $1.column }
        }
        return DriftReport.DomainClassifier(learner: Self.domainLearner, trainingRows: train.rowCount, testRows: test.rowCount,
                                            auc: base, columns: importance)
    }

    static let conceptMethod = """
        Per feature, the target's distribution in each feature cell (category, or bin between reference \
        deciles; missing is a cell) in the reference against the current table. Small reference (at most \
        1000 rows): chi-square test of homogeneity per cell, statistics and degrees of freedom summed over \
        cells (p < 0.05). Large: the current-weighted mean Jensen–Shannon distance between the conditional \
        distributions (>= 0.1). Concept drift when at least half the features show it. A feature's \
        conditional can also move through shifts of other features it is correlated with.
        """

    /// The model check: `UtilityEvaluator`'s linear learner trained on the even rows of the reference
    /// sample, scored on its odd rows and on the current sample. A fall from reference to current comes
    /// from covariate shift or from a changed relation; the per-feature check tells which.
    func modelPerformance(target: String, currentSample: [[String?]]) -> DriftReport.ModelPerformance? {
        let names = columns.map(\.schema.name)
        func table(_ rows: [[String?]]) -> Table {
            Table(columnNames: names, columns: names.indices.map { c in rows.map { $0[c] } })
        }
        let train = table(stride(from: 0, to: referenceSample.count, by: 2).map { referenceSample[$0] })
        let held = table(stride(from: 1, to: referenceSample.count, by: 2).map { referenceSample[$0] })
        guard train.rowCount > 1, held.rowCount > 0, !currentSample.isEmpty else { return nil }
        var utility = UtilityOptions(target: target)
        utility.learner = .linear
        utility.maxLevels = options.maxLevels
        utility.seed = options.seed
        let schema = Schema(columns: columns.map(\.schema))
        guard let onReference = try? UtilityEvaluator(train: train, holdout: held, schema: schema, options: utility)
            .evaluateReference(),
            let onCurrent = try? UtilityEvaluator(train: train, holdout: table(currentSample), schema: schema, options: utility)
                .evaluateReference() else { return nil }
        return DriftReport.ModelPerformance(learner: onReference.learner, task: onReference.task,
                                            trainingRows: onReference.trainOnReal.trainingRows,
                                            reference: onReference.trainOnReal.values, current: onCurrent.trainOnReal.values,
                                            referenceRows: onReference.holdoutRows, currentRows: onCurrent.holdoutRows)
    }

    /// The concept check: for each feature, does `P(target | feature cell)` differ between the tables?
    func conceptDrift(_ profile: ConceptProfile, current: [[Int]], currentSample: [[String?]]) -> DriftReport.ConceptDrift {
        let k = profile.classCount
        let small = (profile.referenceTables.first?.reduce(0, +) ?? 0) <= options.smallReferenceRows
        var features: [DriftReport.ConceptFeature] = []
        for (f, feature) in profile.features.enumerated() {
            let reference = profile.referenceTables[f], now = current[f]
            var statistic = 0.0, freedom = 0
            var weighted = 0.0, weight = 0.0
            var largest: (cell: Int, distance: Double)?
            for cell in 0 ..< feature.cutter.width {
                let r = (0 ..< k).map { Double(reference[cell * k + $0]) }
                let c = (0 ..< k).map { Double(now[cell * k + $0]) }
                let nr = r.reduce(0, +), nc = c.reduce(0, +)
                guard nr > 0, nc > 0 else { continue }
                let distance = DriftStatistics.jensenShannon(r, c)
                weighted += nc * distance
                weight += nc
                if distance > (largest?.distance ?? 0) { largest = (cell, distance) }
                // 2 × k test of homogeneity on the classes present in the cell.
                let total = nr + nc
                var present = 0
                for y in 0 ..< k where r[y] + c[y] > 0 {
                    present += 1
                    let column = r[y] + c[y]
                    let expectedR = nr * column / total, expectedC = nc * column / total
                    statistic += (r[y] - expectedR) * (r[y] - expectedR) / expectedR + (c[y] - expectedC) * (c[y] - expectedC) / expectedC
                }
                freedom += max(present - 1, 0)
            }
            let name = columns[feature.column].schema.name
            var result = DriftReport.ConceptFeature(column: name, test: small ? "chisquare" : "jensenshannon", score: nil,
                                                    threshold: small ? options.pValueThreshold : options.distanceThreshold,
                                                    drifted: false, largestShiftCell: largest.map { feature.cutter.label($0.cell) },
                                                    largestShift: largest?.distance)
            if weight > 0 {
                if small {
                    let p = freedom > 0 ? SpecialFunctions.chiSquareSurvival(statistic, degreesOfFreedom: Double(freedom)) : 1
                    result.score = p
                    result.drifted = p < options.pValueThreshold
                } else {
                    result.score = weighted / weight
                    result.drifted = weighted / weight >= options.distanceThreshold
                }
            }
            features.append(result)
        }
        let drifted = features.filter(\.drifted).count
        let share = features.isEmpty ? 0 : Double(drifted) / Double(features.count)
        return DriftReport.ConceptDrift(target: columns[profile.target].schema.name, features: features, driftedFeatures: drifted,
                                        share: share, threshold: options.driftShare,
                                        drifted: !features.isEmpty && share >= options.driftShare, method: Self.conceptMethod,
                                        model: modelPerformance(target: columns[profile.target].schema.name,
                                                                currentSample: currentSample))
    }
}
