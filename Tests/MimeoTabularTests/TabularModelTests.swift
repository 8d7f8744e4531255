@testable import MimeoTabular
import MimeoTensor
import MimeoTestSupport
import Testing

@Suite struct TabularModelTests {
    /// A tiny model: three columns, the middle one with two parts (like a date).
    static let architecture = ModelArchitecture(cardinalities: [3, 4, 2, 5], columns: [0, 1, 1, 2], widthFactor: 2)

    static func batch(rows B: Int, seed: UInt64) -> (tokens: [Int32], ranks: [Int32]) {
        var random = RandomStream(seed: seed, stream: 9)
        let S = architecture.subColumnCount
        var tokens = [Int32](repeating: 0, count: B * S)
        for b in 0..<B { for s in 0..<S { tokens[b * S + s] = Int32(random.nextInt(below: architecture.cardinalities[s])) } }
        var options = TrainingOptions()
        options.fixedOrderShare = 0.3
        let ranks = Trainer(options: options).makeRanks(count: B, architecture: architecture, random: &random)
        return (tokens, ranks)
    }

    /// The whole network's gradient (embeddings, both layers of every head, through the masks)
    /// matches central finite differences of the summed loss.
    @Test func gradientMatchesFiniteDifferences() {
        let (tokens, ranks) = Self.batch(rows: 6, seed: 1)
        let initial = TabularModel(architecture: Self.architecture, seed: 4)
        let workspace = TrainingWorkspace(architecture: Self.architecture, capacity: 6)
        func loss(_ parameters: [Float]) -> Double {
            let model = TabularModel(architecture: Self.architecture, parameters: parameters)
            return tokens.withUnsafeBufferPointer { t in
                ranks.withUnsafeBufferPointer { r in
                    model.lossAndGradient(tokens: t.baseAddress!, ranks: r.baseAddress!, rowCount: 6,
                                          workspace: workspace, accumulateGradients: false, lossScale: 1)
                }
            }
        }
        let result = checkGradient("model", at: initial.parameters, step: 1e-3,
                                   tolerance: CheckTolerance(absolute: 2e-3, relative: 2e-2), loss: loss) { parameters in
            let model = TabularModel(architecture: Self.architecture, parameters: parameters)
            workspace.gradients = [Float](repeating: 0, count: parameters.count)
            _ = tokens.withUnsafeBufferPointer { t in
                ranks.withUnsafeBufferPointer { r in
                    model.lossAndGradient(tokens: t.baseAddress!, ranks: r.baseAddress!, rowCount: 6,
                                          workspace: workspace, accumulateGradients: true, lossScale: 1)
                }
            }
            return workspace.gradients
        }
        #expect(result.passed, "\(result)")
    }

    /// A head never sees its own column or later ones: when a column comes last in every row's
    /// order, no head uses its embedding, so its embedding gets no gradient; the first column's does.
    @Test func masksHideLaterColumns() {
        let model = TabularModel(architecture: Self.architecture, seed: 2)
        let S = Self.architecture.subColumnCount
        let B = 8
        let (tokens, _) = Self.batch(rows: B, seed: 5)
        var ranks = [Int32](repeating: 0, count: B * S)
        for b in 0..<B {
            // Orders alternate between (0, 1, 2) and (1, 0, 2): column 2 (sub-column 3) is always last.
            let first: [Int32] = b % 2 == 0 ? [0, 64, 65] : [64, 0, 1]
            ranks[b * S + 0] = first[0]; ranks[b * S + 1] = first[1]; ranks[b * S + 2] = first[2]
            ranks[b * S + 3] = 128
        }
        let workspace = TrainingWorkspace(architecture: Self.architecture, capacity: B)
        _ = tokens.withUnsafeBufferPointer { t in
            ranks.withUnsafeBufferPointer { r in
                model.lossAndGradient(tokens: t.baseAddress!, ranks: r.baseAddress!, rowCount: B,
                                      workspace: workspace, accumulateGradients: true, lossScale: 1)
            }
        }
        let layout = model.layout
        let lastEmbedding = workspace.gradients[layout.embedding[3]..<layout.hiddenWeight[3]]
        #expect(lastEmbedding.allSatisfy { $0 == 0 })
        let firstEmbedding = workspace.gradients[layout.embedding[0]..<layout.hiddenWeight[0]]
        #expect(firstEmbedding.contains { $0 != 0 })
        // The date's second part sees its first part, never the reverse: in rows where column 1 comes
        // first, sub-column 2's embedding is seen only by column 2's head.
        let headWeight = workspace.gradients[layout.hiddenWeight[3]..<layout.hiddenBias[3]]
        #expect(headWeight.contains { $0 != 0 })
    }

    @Test func trainingLowersValidationLoss() {
        let (tokens, _) = Self.batch(rows: 400, seed: 3)
        // Make column 2 a copy of column 0 so there is something to learn.
        var data = tokens
        let S = Self.architecture.subColumnCount
        for b in 0..<400 { data[b * S + 3] = data[b * S + 0] }
        var model = TabularModel(architecture: Self.architecture, seed: 1)
        var options = TrainingOptions()
        options.maxEpochs = 30
        options.maxSeconds = 300  // the epoch limit ends this run, not the clock
        options.batchSize = 32
        options.threads = 2
        let summary = Trainer(options: options).train(&model, tokens: data, rowCount: 400, columnCount: 3)
        // Uniform guessing costs Σ ln V = ln 3 + ln 4 + ln 2 + ln 5 ≈ 4.79 nats per row.
        #expect(summary.validationLoss < 4.79 - 0.3, "validation loss \(summary.validationLoss)")
        #expect(summary.bestEpoch >= 1)
    }
}
