import MimeoData

extension PrivacyEvaluator {
    /// The report for the synthetic rows summarised in `summary`.
    ///
    /// - Throws: `EvaluationError.summaryMismatch` when `summary` comes from another evaluator.
    public func report(for summary: PrivacySummary) throws -> PrivacyReport {
        guard summary.profileID == profileID else { throw EvaluationError.summaryMismatch }
        let sample = summary.trimmed()
        let missing = zip(zip(trainMissing, holdoutMissing), sample.missing).map { $0.0 || $0.1 || $1 }
        let syntheticShare = summary.rowCount > 0 ? Double(summary.exactMatchCount) / Double(summary.rowCount) : nil
        return assemble(synthetic: sample.rows, syntheticSensitive: sample.sensitive,
                        syntheticTotal: summary.rowCount, syntheticMatches: summary.exactMatchCount,
                        syntheticShare: syntheticShare, missing: missing, isReference: false)
    }

    /// The reference (ceiling) report: the holdout scored as if it were synthetic, as the referee's
    /// `--reference` does. Distances to train use the holdout sample; `DCRShare` and
    /// `MembershipInferenceAUC` use one seeded half of it as "synthetic" and the other half as the
    /// holdout, so they come out near 0.5.
    public func evaluateReference() -> PrivacyReport {
        let missing = zip(trainMissing, holdoutMissing).map { $0 || $1 }
        let share = holdoutRowCount > 0 ? Double(holdoutMatchCount) / Double(holdoutRowCount) : nil
        return assemble(synthetic: holdoutRows, syntheticSensitive: holdoutSensitive,
                        syntheticTotal: holdoutRowCount, syntheticMatches: holdoutMatchCount,
                        syntheticShare: share, missing: missing, isReference: true)
    }

    /// Every distance-based number, from the synthetic sample `synthetic` (in sample order).
    private func assemble(synthetic: EncodedRows, syntheticSensitive: [SensitiveValue], syntheticTotal: Int,
                          syntheticMatches: Int, syntheticShare: Double?, missing: [Bool],
                          isReference: Bool) -> PrivacyReport {
        let layout = encoder.layout(missing: missing)
        let search = NearestNeighborSearch(layout: layout, queryBlockRows: options.queryBlockRows,
                                           referenceBlockRows: options.referenceBlockRows,
                                           threadCount: options.threadCount)
        let seed = options.seed

        // The "synthetic" and holdout sides of the comparison (halves of the holdout for a reference run).
        var compared = synthetic, comparedSensitive = syntheticSensitive
        var holdoutBase = holdoutRows, holdoutBaseSensitive = holdoutSensitive
        if isReference {
            let order = SeededSelection.permutation(count: holdoutRows.count, seed: seed, stream: .referenceSplit)
            let half = holdoutRows.count / 2
            compared = holdoutRows.subset(order[0 ..< half])
            holdoutBase = holdoutRows.subset(order[half ..< 2 * half])
            if !holdoutSensitive.isEmpty {
                comparedSensitive = order[0 ..< half].map { holdoutSensitive[$0] }
                holdoutBaseSensitive = order[half ..< 2 * half].map { holdoutSensitive[$0] }
            }
        }
        let n = min(holdoutBase.count, parseableTrainRows.count)
        let trainPick = SeededSelection.sample(count: parseableTrainRows.count, take: n, seed: seed,
                                               stream: .trainComparison).map { parseableTrainRows[$0] }
        let holdoutPick = holdoutBase.count > n
            ? SeededSelection.sample(count: holdoutBase.count, take: n, seed: seed, stream: .holdoutComparison)
            : Array(0 ..< holdoutBase.count)
        let trainSample = trainRows.subset(trainPick)
        let holdoutSample = holdoutBase.subset(holdoutPick)

        // Synthetic → train (nearest two) and synthetic ↔ train sample (both ways).
        var syntheticToTrain: NearestNeighborSearch.Result
        let syntheticToTrainSample: NearestNeighborSearch.Result
        if isReference {
            syntheticToTrain = search.run(queries: synthetic, references: trainRows, wantsSecond: true)
            syntheticToTrainSample = search.run(queries: compared, references: trainSample, wantsReverse: true)
        } else {
            // The train sample's search is part of the search over all train rows.
            let sampleResult = search.run(queries: synthetic, references: trainSample, wantsSecond: true,
                                          wantsReverse: true)
            var picked = [Bool](repeating: false, count: trainRows.count)
            for row in trainPick { picked[row] = true }
            let rest = trainRows.subset((0 ..< trainRows.count).filter { !picked[$0] })
            let restResult = search.run(queries: synthetic, references: rest, wantsSecond: true)
            syntheticToTrain = sampleResult
            syntheticToTrain.nearestIndex = []  // indices into two different reference sets: not kept
            syntheticToTrain.reverseNearest = []
            syntheticToTrain.reverseNearestIndex = []
            for q in 0 ..< synthetic.count {
                let values = [sampleResult.nearest[q], sampleResult.secondNearest[q],
                              restResult.nearest[q], restResult.secondNearest[q]].sorted()
                syntheticToTrain.nearest[q] = values[0]
                syntheticToTrain.secondNearest[q] = values[1]
            }
            syntheticToTrainSample = sampleResult
        }
        let syntheticToHoldout = search.run(queries: compared, references: holdoutSample, wantsReverse: true)
        let holdoutToTrain = isReference
            ? syntheticToTrain
            : search.run(queries: holdoutRows, references: trainRows, wantsSecond: true)

        let syntheticDistances = syntheticToTrain.nearest.map { $0.squareRoot() }
        let holdoutDistances = holdoutToTrain.nearest.map { $0.squareRoot() }
        let syntheticRatios = NearestNeighborDistanceRatio.compute(
            nearest: syntheticDistances, secondNearest: syntheticToTrain.secondNearest.map { $0.squareRoot() })
        let holdoutRatios = NearestNeighborDistanceRatio.compute(
            nearest: holdoutDistances, secondNearest: holdoutToTrain.secondNearest.map { $0.squareRoot() })
        // (Rows without any train row, with train empty, have no ratio.)
        let sortedSyntheticRatios = zip(syntheticRatios, syntheticDistances).filter { $1.isFinite }.map(\.0).sorted()
        let sortedHoldoutRatios = zip(holdoutRatios, holdoutDistances).filter { $1.isFinite }.map(\.0).sorted()
        // Both comparisons need rows on every side.
        let comparable = n > 0 && compared.count > 0
        let share = comparable
            ? DCRShare.compute(toTrain: syntheticToTrainSample.nearest, toHoldout: syntheticToHoldout.nearest) : nil
        let auc = comparable
            ? MembershipInferenceAUC.compute(
                memberDistances: syntheticToTrainSample.reverseNearest.map { $0.squareRoot() },
                nonMemberDistances: syntheticToHoldout.reverseNearest.map { $0.squareRoot() })
            : nil

        var attributeInference: AttributeInferenceResult?
        if let attack, comparable {
            let truths = trainPick.map { trainSensitive[$0] } + holdoutPick.map { holdoutBaseSensitive[$0] }
            attributeInference = runAttack(attack, layout: layout, members: trainSample, nonMembers: holdoutSample,
                                           truths: truths, synthetic: compared, syntheticValues: comparedSensitive)
        }

        let rule = options.maxRows != nil
            ? "maxRows"
            : "auto: min(\(PrivacyOptions.defaultMaxRows), max(\(PrivacyOptions.minimumRows), "
                + "\(PrivacyOptions.pairBudget) / train rows))"
        return PrivacyReport(
            exactMatch: ExactMatchResult(
                syntheticShare: syntheticShare,
                holdoutShare: holdoutRowCount > 0 ? Double(holdoutMatchCount) / Double(holdoutRowCount) : nil,
                syntheticMatches: syntheticMatches, holdoutMatches: holdoutMatchCount),
            distanceToClosestRecord: DistanceToClosestRecordResult(
                synthetic: DistanceToClosestRecord.compute(distances: syntheticDistances),
                holdout: DistanceToClosestRecord.compute(distances: holdoutDistances),
                histogram: DistanceHistogram(synthetic: syntheticDistances, holdout: holdoutDistances)),
            dcrShare: DCRShareResult(share: share?.share, ties: share?.ties, syntheticRows: compared.count,
                                     comparisonRowsEach: n),
            nearestNeighborDistanceRatio: NearestNeighborDistanceRatioResult(
                syntheticMedian: DistanceToClosestRecord.quantile(sortedSyntheticRatios, 0.5),
                syntheticPercentile5: DistanceToClosestRecord.quantile(sortedSyntheticRatios, 0.05),
                holdoutMedian: DistanceToClosestRecord.quantile(sortedHoldoutRatios, 0.5),
                holdoutPercentile5: DistanceToClosestRecord.quantile(sortedHoldoutRatios, 0.05)),
            membershipInference: MembershipInferenceResult(auc: auc, members: trainSample.count,
                                                           nonMembers: holdoutSample.count),
            attributeInference: attributeInference,
            rowsUsed: PrivacySampleSizes(
                syntheticTotal: syntheticTotal, synthetic: synthetic.count, holdoutTotal: holdoutRowCount,
                holdout: holdoutRows.count, train: trainRows.count,
                trainUnparseable: trainRows.count - parseableTrainRows.count,
                holdoutUnparseable: unparseableHoldoutRows, maxRows: maxRows, maxRowsRule: rule, seed: seed),
            encoding: PrivacyEncodingDescription(
                distance: "euclidean on one-hot categoricals (top \(options.maxLevels) train levels, missing as a "
                    + "level) + min-max numerics and datetimes (epoch seconds), fitted on train; a missing number "
                    + "is 0 plus an indicator",
                numericColumns: encoder.numericColumns.map { encoder.columns[$0].name },
                missingIndicators: zip(encoder.numericColumns, missing).filter(\.1).map { encoder.columns[$0.0].name },
                categoricalColumns: encoder.categoricalColumns.map { encoder.columns[$0].name },
                keptLevels: encoder.levels.map(\.count),
                tiedCutoffColumns: zip(encoder.categoricalColumns, encoder.hasTiedCutoff).filter(\.1)
                    .map { encoder.columns[$0.0].name },
                featureCount: layout.featureCount),
            isReference: isReference,
            options: options)
    }

    /// The attribute-inference attack on members and non-members (see `AttributeInferenceRisk`).
    private func runAttack(_ attack: Attack, layout: FeatureLayout, members: EncodedRows, nonMembers: EncodedRows,
                           truths: [SensitiveValue], synthetic: EncodedRows,
                           syntheticValues: [SensitiveValue]) -> AttributeInferenceResult {
        let numeric = attack.numericColumns, categorical = attack.categoricalColumns
        let attackLayout = layout.projected(numericColumns: numeric, categoricalColumns: categorical)
        let search = NearestNeighborSearch(layout: attackLayout, queryBlockRows: options.queryBlockRows,
                                           referenceBlockRows: options.referenceBlockRows,
                                           threadCount: options.threadCount)
        let targets = EncodedRows.concatenated(
            [members.projected(numericColumns: numeric, categoricalColumns: categorical),
             nonMembers.projected(numericColumns: numeric, categoricalColumns: categorical)],
            numericWidth: numeric.count, categoricalWidth: categorical.count)
        let known = synthetic.projected(numericColumns: numeric, categoricalColumns: categorical)
        let result = search.run(queries: targets, references: known)
        let tolerance = options.numericTolerance
        var memberRight = 0, nonMemberRight = 0, baselineRight = 0
        for (t, truth) in truths.enumerated() {
            let index = Int(result.nearestIndex[t])
            let right = index >= 0
                && AttributeInferenceRisk.isCorrect(guess: syntheticValues[index], truth: truth, tolerance: tolerance)
            if t < members.count {
                if right { memberRight += 1 }
                if AttributeInferenceRisk.isCorrect(guess: attack.baselineGuess, truth: truth, tolerance: tolerance) {
                    baselineRight += 1
                }
            } else if right {
                nonMemberRight += 1
            }
        }
        let memberAccuracy = members.count > 0 && synthetic.count > 0
            ? Double(memberRight) / Double(members.count) : nil
        let nonMemberAccuracy = nonMembers.count > 0 && synthetic.count > 0
            ? Double(nonMemberRight) / Double(nonMembers.count) : nil
        var risk: Double?
        if let memberAccuracy, let nonMemberAccuracy {
            risk = AttributeInferenceRisk.risk(memberAccuracy: memberAccuracy, nonMemberAccuracy: nonMemberAccuracy)
        }
        return AttributeInferenceResult(
            quasiIdentifiers: attack.quasiIdentifiers, sensitive: attack.sensitive,
            memberAccuracy: memberAccuracy, nonMemberAccuracy: nonMemberAccuracy,
            baselineAccuracy: members.count > 0 ? Double(baselineRight) / Double(members.count) : nil,
            risk: risk, members: members.count, nonMembers: nonMembers.count,
            numericTolerance: attack.isNumeric ? tolerance : nil)
    }
}
