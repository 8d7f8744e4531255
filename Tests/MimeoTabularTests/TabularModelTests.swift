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

    @Test func trainingLowersValidationLoss() throws {
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
        let summary = try Trainer(options: options).train(&model, tokens: data, rowCount: 400, columnCount: 3)
        // Uniform guessing costs Σ ln V = ln 3 + ln 4 + ln 2 + ln 5 ≈ 4.79 nats per row.
        #expect(summary.validationLoss < 4.79 - 0.3, "validation loss \(summary.validationLoss)")
        #expect(summary.bestEpoch >= 1)
    }

    // MARK: - Projected architecture

    /// The tiny model of the tests above with a projected context of width 3.
    static let projected = ModelArchitecture(cardinalities: [3, 4, 2, 5], columns: [0, 1, 1, 2], widthFactor: 2,
                                             contextWidth: .projected(3))

    static func gradient(of model: TabularModel, tokens: [Int32], ranks: [Int32], rows: Int,
                         workspace: TrainingWorkspace) -> [Float] {
        workspace.gradients = [Float](repeating: 0, count: model.parameters.count)
        _ = tokens.withUnsafeBufferPointer { t in
            ranks.withUnsafeBufferPointer { r in
                model.lossAndGradient(tokens: t.baseAddress!, ranks: r.baseAddress!, rowCount: rows,
                                      workspace: workspace, accumulateGradients: true, lossScale: 1)
            }
        }
        return workspace.gradients
    }

    /// The projected network's gradient (embeddings, projections through the prefix and suffix sums,
    /// both layers of every head) matches central finite differences of the summed loss.
    @Test func projectedGradientMatchesFiniteDifferences() {
        let architecture = Self.projected
        let (tokens, ranks) = Self.batch(rows: 6, seed: 1)
        // Seed 3 puts no pre-activation within a step of a ReLU kink; seeds 1, 2 and 4 do, which shows as
        // exactly one hidden unit's K + 1 weights (its column of W1 and its bias) off, and nothing else.
        let initial = TabularModel(architecture: architecture, seed: 3)
        #expect(initial.layout.projection[1] - initial.layout.embedding[1] == 4 * architecture.embeddingWidths[1])
        let workspace = TrainingWorkspace(architecture: architecture, capacity: 6)
        func loss(_ parameters: [Float]) -> Double {
            let model = TabularModel(architecture: architecture, parameters: parameters)
            return tokens.withUnsafeBufferPointer { t in
                ranks.withUnsafeBufferPointer { r in
                    model.lossAndGradient(tokens: t.baseAddress!, ranks: r.baseAddress!, rowCount: 6,
                                          workspace: workspace, accumulateGradients: false, lossScale: 1)
                }
            }
        }
        let result = checkGradient("projected model", at: initial.parameters, step: 1e-3,
                                   tolerance: CheckTolerance(absolute: 2e-3, relative: 2e-2), loss: loss) { parameters in
            Self.gradient(of: TabularModel(architecture: architecture, parameters: parameters), tokens: tokens,
                          ranks: ranks, rows: 6, workspace: workspace)
        }
        #expect(result.passed, "\(result)")
        // The projections do get a gradient (the check would pass trivially if they were never used).
        let gradient = Self.gradient(of: initial, tokens: tokens, ranks: ranks, rows: 6, workspace: workspace)
        let projection0 = gradient[initial.layout.projection[0]..<initial.layout.hiddenWeight[0]]
        #expect(projection0.count == architecture.embeddingWidths[0] * 3)
        #expect(projection0.contains { $0 != 0 })
    }

    /// With a context at least as wide as all embeddings side by side (K ≥ D), the projected network can
    /// express the full one: with P_t = the rows of the identity that put block t in place and
    /// W1_s = the full W1_s, both give the same loss.
    @Test func projectionWithIdentityEqualsTheFullNetwork() {
        let full = TabularModel(architecture: Self.architecture, seed: 6)
        let D = Self.architecture.inputWidth
        let wide = ModelArchitecture(cardinalities: [3, 4, 2, 5], columns: [0, 1, 1, 2], widthFactor: 2,
                                     contextWidth: .projected(D))
        var parameters = [Float](repeating: 0, count: ParameterLayout(wide).count)
        let layout = ParameterLayout(wide), offsets = wide.embeddingOffsets
        for s in 0..<wide.subColumnCount {
            let V = wide.cardinalities[s], d = wide.embeddingWidths[s], H = wide.hiddenWidths[s]
            for i in 0..<(V * d) { parameters[layout.embedding[s] + i] = full.parameters[full.layout.embedding[s] + i] }
            for i in 0..<d { parameters[layout.projection[s] + i * D + offsets[s] + i] = 1 }
            for i in 0..<(D * H + H + H * V + V) {
                parameters[layout.hiddenWeight[s] + i] = full.parameters[full.layout.hiddenWeight[s] + i]
            }
        }
        let projected = TabularModel(architecture: wide, parameters: parameters)
        let (tokens, ranks) = Self.batch(rows: 12, seed: 8)
        func loss(_ model: TabularModel) -> Double {
            let workspace = TrainingWorkspace(architecture: model.architecture, capacity: 12)
            return tokens.withUnsafeBufferPointer { t in
                ranks.withUnsafeBufferPointer { r in
                    model.lossAndGradient(tokens: t.baseAddress!, ranks: r.baseAddress!, rowCount: 12,
                                          workspace: workspace, accumulateGradients: true, lossScale: 1)
                }
            }
        }
        let a = loss(full), b = loss(projected)
        #expect(abs(a - b) < 1e-4 * abs(a), "full \(a), projected \(b)")
    }

    /// In the projected network too, a sub-column that comes last in every row's order moves nothing:
    /// its embedding and its projection get no gradient.
    @Test func projectedMasksHideLaterColumns() {
        let model = TabularModel(architecture: Self.projected, seed: 2)
        let S = Self.projected.subColumnCount
        let B = 8
        let (tokens, _) = Self.batch(rows: B, seed: 5)
        var ranks = [Int32](repeating: 0, count: B * S)
        for b in 0..<B {
            let first: [Int32] = b % 2 == 0 ? [0, 64, 65] : [64, 0, 1]
            ranks[b * S + 0] = first[0]; ranks[b * S + 1] = first[1]; ranks[b * S + 2] = first[2]
            ranks[b * S + 3] = 128
        }
        let workspace = TrainingWorkspace(architecture: Self.projected, capacity: B)
        let gradient = Self.gradient(of: model, tokens: tokens, ranks: ranks, rows: B, workspace: workspace)
        let layout = model.layout
        #expect(gradient[layout.embedding[3]..<layout.hiddenWeight[3]].allSatisfy { $0 == 0 })
        #expect(gradient[layout.embedding[0]..<layout.hiddenWeight[0]].contains { $0 != 0 })
    }

    /// Parameters, training memory and generation tables grow linearly with the number of columns in
    /// the automatic choice (projected above `fullInputLimit`), where the full network grows with the
    /// square. Nothing is trained: only the layout is counted.
    @Test func wideTablesGrowLinearly() {
        func architecture(columns: Int, _ choice: ContextWidthChoice) -> ModelArchitecture {
            // A mix of vocabularies like a real table: 2 to 101 tokens.
            ModelArchitecture(cardinalities: (0..<columns).map { 2 + ($0 * 37) % 100 }, columns: Array(0..<columns),
                              contextWidth: choice)
        }
        let counts = [50, 100, 200].map { ParameterLayout(architecture(columns: $0, .automatic)).count }
        #expect(architecture(columns: 50, .automatic).isProjected)
        #expect(Double(counts[1]) / Double(counts[0]) < 2.1, "\(counts)")
        #expect(Double(counts[2]) / Double(counts[1]) < 2.1, "\(counts)")
        let full = [100, 200].map { ParameterLayout(architecture(columns: $0, .full)).count }
        #expect(Double(full[1]) / Double(full[0]) > 3.5, "\(full)")
        let tables = [100, 200].map { TrainingEstimate.generationTableFloats(architecture(columns: $0, .automatic)) }
        #expect(Double(tables[1]) / Double(tables[0]) < 2.1, "\(tables)")
        var options = TrainingOptions()
        options.threads = 2
        let memory = [100, 200].map {
            TrainingEstimate(architecture: architecture(columns: $0, .automatic), options: options, rowCount: 20_000)
                .totalBytes
        }
        #expect(Double(memory[1]) / Double(memory[0]) < 2.1, "\(memory)")
        // Adult's width (D = 174) keeps the full network.
        #expect(!ModelArchitecture(cardinalities: [72, 9, 100, 10, 16, 16, 7, 15, 6, 5, 2, 75, 4, 69, 84, 42, 2],
                                   columns: Array(0..<17)).isProjected)
    }

    // MARK: - Divergence

    /// Training that explodes (learning rate 10 or 1e6) throws `.diverged` with a message that names the
    /// learning rate, instead of returning weights.
    @Test(arguments: [Float(10), 1e6])
    func divergingTrainingStops(learningRate: Float) {
        let (tokens, _) = Self.batch(rows: 400, seed: 3)
        var model = TabularModel(architecture: Self.architecture, seed: 1)
        var options = TrainingOptions()
        options.maxEpochs = 30
        options.maxSeconds = 300
        options.batchSize = 32
        options.threads = 1
        options.learningRate = learningRate
        do {
            _ = try Trainer(options: options).train(&model, tokens: tokens, rowCount: 400, columnCount: 3)
            Issue.record("training with learning rate \(learningRate) did not stop")
        } catch let error as TrainingError {
            guard case .diverged(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.hasPrefix("training diverged "), "\(message)")
            #expect(message.contains("--learning-rate"), "\(message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
