import Foundation
import MimeoData
@testable import MimeoTabular
import Testing

/// `--rare-values` and `--temperature`: what stands in for rare values, and how temperature reshapes a column's
/// distribution.
@Suite(.serialized) struct SamplingOptionsTests {
    static func generate(_ trained: TrainedModel, rows: Int, seed: UInt64, options: SamplingOptions) throws -> Table {
        let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder, options: options)
        var bytes: [UInt8] = []
        try GenerationRun(sampler: sampler, rowCount: rows, seed: seed, threads: 2)
            .run(write: { bytes.append(contentsOf: $0) })
        return try TableLoader().load(from: CSVReader(bytes: bytes))
    }

    static func train(_ table: Table, epochs: Int = 2, seed: UInt64 = 5) -> TrainedModel {
        let schema = Schema(columns: table.columnNames.map { ColumnSchema(name: $0, kind: .categorical) })
        var options = TrainingOptions()
        options.maxEpochs = epochs
        options.maxSeconds = 300
        options.seed = seed
        return try! TrainingPipeline.train(table, schema: schema, sourceName: "t.csv", trainingOptions: options)
    }

    /// One categorical column: red 70 %, blue 25 %, green 5 % (every value frequent).
    static let skewed: TrainedModel = {
        let cells: [String?] = (0 ..< 2000).map { i in i % 20 < 14 ? "red" : i % 20 < 19 ? "blue" : "green" }
        return train(Table(columnNames: ["colour"], columns: [cells]), epochs: 3)
    }()

    /// One column of 300 frequent values (6 rows each) and 60 rare ones (1 row each): 301 tokens, so the vocabulary
    /// is split into group and member sub-columns and the rare token is member 0 of group 0.
    static let split: TrainedModel = {
        var cells: [String?] = []
        for v in 0 ..< 300 { cells += Array(repeating: "v\(v)", count: 6) }
        for r in 0 ..< 60 { cells.append("rare\(r)") }
        return train(Table(columnNames: ["code"], columns: [cells]))
    }()

    static func shares(_ column: [String?]) -> [String: Double] {
        var counts: [String: Double] = [:]
        for value in column { counts[value ?? "", default: 0] += 1 }
        return counts.mapValues { $0 / Double(column.count) }
    }

    /// A one-column model's head sees no other column, so its distribution p is one softmax; at temperature T the
    /// sampler must draw from softmax(logits / T) = p^(1/T) normalised. Checked against the shares at T = 1.
    @Test(arguments: [Float(0.5), 2, 4]) func temperatureRaisesTheDistributionToThePowerOneOverT(t: Float) throws {
        let rows = 40_000
        let base = Self.shares(try Self.generate(Self.skewed, rows: rows, seed: 1, options: SamplingOptions()).columns[0])
        let heated = Self.shares(try Self.generate(Self.skewed, rows: rows, seed: 2,
                                                   options: SamplingOptions(temperature: t)).columns[0])
        let powered = base.mapValues { pow($0, 1 / Double(t)) }
        let total = powered.values.reduce(0, +)
        for (value, p) in powered {
            #expect(abs((heated[value] ?? 0) - p / total) < 0.015, "\(value) at T=\(t)")
        }
        // The direction is the point of the option: a higher temperature flattens, a lower one sharpens.
        #expect(t > 1 ? heated["red"]! < base["red"]! - 0.05 : heated["red"]! > base["red"]! + 0.05)
    }

    @Test func temperatureOutsideItsRangeIsRefused() {
        for t: Float in [0, 0.01, 21, .infinity, .nan, -1] {
            #expect(throws: ConditionError.self) {
                _ = try Sampler(model: Self.skewed.model, encoder: Self.skewed.metadata.encoder,
                                options: SamplingOptions(temperature: t))
            }
        }
    }

    /// `token` and `null` draw the same tokens (only the rare token's spelling differs), so their rows agree cell
    /// for cell except where `token` wrote `_RARE_` and `null` an empty field; the default resamples, so neither
    /// `_RARE_` nor any rare value appears.
    @Test func rareValuesAsTokenNullOrResampledOnAdult() throws {
        let trained = SamplerTests.trained
        let column = TestData.adultSample.table.columnIndex(named: "native-country")!
        let token = try Self.generate(trained, rows: 8000, seed: 4, options: SamplingOptions(rareValues: .token))
        let null = try Self.generate(trained, rows: 8000, seed: 4, options: SamplingOptions(rareValues: .null))
        var rareCells = 0
        for c in 0 ..< token.columns.count {
            for (a, b) in zip(token.columns[c], null.columns[c]) {
                if a == ReservedTokens.rare {
                    rareCells += 1
                    #expect(b == nil)
                } else {
                    #expect(a == b)
                }
            }
        }
        #expect(token.columns[column].contains(ReservedTokens.rare))
        #expect(rareCells > 0)

        let sampled = try Self.generate(trained, rows: 8000, seed: 4, options: SamplingOptions())
        var counts: [String: Int] = [:]
        for value in TestData.adultSample.table.columns[column] { if let value { counts[value, default: 0] += 1 } }
        let rare = Set(counts.filter { $0.value < 5 }.keys)
        let seen = Set(sampled.columns[column].compactMap { $0 })
        #expect(!seen.contains(ReservedTokens.rare))
        #expect(seen.isDisjoint(with: rare))
        // Resampling spreads the rare token's share over the other values: their shares stay close to the
        // `token` run's shares renormalised without `_RARE_`.
        let kept = token.columns[column].filter { $0 != ReservedTokens.rare }
        let expected = Self.shares(kept), actual = Self.shares(sampled.columns[column])
        let distance = Set(expected.keys).union(actual.keys)
            .map { abs((expected[$0] ?? 0) - (actual[$0] ?? 0)) }.reduce(0, +) / 2
        #expect(distance < 0.03)
    }

    /// A split vocabulary masks the rare member only inside group 0: `token` writes `_RARE_`, the default never
    /// does, and no rare value comes out under either.
    @Test func rareValuesInASplitVocabulary() throws {
        let encoder = Self.split.metadata.encoder
        guard case .categorical(let e) = encoder.encodings[0] else { Issue.record("not categorical"); return }
        #expect(e.subColumnCardinalities.count == 2 && e.rareToken != nil)
        let token = try Self.generate(Self.split, rows: 20_000, seed: 9, options: SamplingOptions(rareValues: .token))
        #expect(token.columns[0].contains(ReservedTokens.rare))
        let sampled = try Self.generate(Self.split, rows: 20_000, seed: 9, options: SamplingOptions())
        #expect(!sampled.columns[0].contains(ReservedTokens.rare))
        #expect(sampled.columns[0].allSatisfy { $0.map { $0.hasPrefix("v") } ?? false })
        // Masking one member leaves the other members of group 0 drawable.
        let groupZero = Set((1 ..< 64).compactMap { e.values[$0] })
        #expect(!Set(sampled.columns[0].compactMap { $0 }).isDisjoint(with: groupZero))
    }

    static func generate(_ trained: TrainedModel, rows: Int, seed: UInt64, conditions: [Condition],
                         options: SamplingOptions) throws -> Table {
        let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder, conditions: conditions,
                                  options: options)
        var bytes: [UInt8] = []
        try GenerationRun(sampler: sampler, rowCount: rows, seed: seed, threads: 2)
            .run(write: { bytes.append(contentsOf: $0) })
        return try TableLoader().load(from: CSVReader(bytes: bytes))
    }

    static func totalVariation(_ a: [String: Double], _ b: [String: Double]) -> Double {
        Set(a.keys).union(b.keys).map { abs((a[$0] ?? 0) - (b[$0] ?? 0)) }.reduce(0, +) / 2
    }

    /// `--rebalance`: the targeted values come out at their shares, the other values share the rest in the model's
    /// proportions (its distribution of the column drawn first), and the rows of a targeted value are distributed as `--where` rows of that value (the column is
    /// drawn first, the rest given it).
    @Test func rebalanceHitsItsSharesAndKeepsTheRestConditional() throws {
        let trained = SamplerTests.trained
        let rows = 20_000
        let targets = try RebalanceTarget.parse(arguments: ["relationship=Wife:0.3", "relationship=Own-child:0.25"])
        let balanced = try Self.generate(trained, rows: rows, seed: 21, conditions: [],
                                         options: SamplingOptions(rebalance: targets))
        // The model's own shares of the column when it is drawn first (with no other column before it): a target of
        // almost no share leaves them as they are.
        let tiny = [RebalanceTarget(column: "relationship", value: "Wife", share: 1e-9)]
        let plain = try Self.generate(trained, rows: rows, seed: 22, conditions: [], options: SamplingOptions(rebalance: tiny))
        let relationship = balanced.columnIndex(named: "relationship")!
        let shares = Self.shares(balanced.columns[relationship])
        #expect(abs(shares["Wife"]! - 0.3) < 0.012 && abs(shares["Own-child"]! - 0.25) < 0.012)
        // The others, renormalised, against the model's own shares of them.
        func others(_ s: [String: Double]) -> [String: Double] {
            let rest = s.filter { $0.key != "Wife" && $0.key != "Own-child" }
            let total = rest.values.reduce(0, +)
            return rest.mapValues { $0 / total }
        }
        #expect(Self.totalVariation(others(shares), others(Self.shares(plain.columns[relationship]))) < 0.03)
        // Wives of the rebalanced rows against `--where relationship=Wife` rows: sex and income agree.
        let wives = try Self.generate(trained, rows: 6_000, seed: 23,
                                      conditions: [Condition(column: "relationship", value: "Wife")],
                                      options: SamplingOptions())
        for name in ["sex", "income", "marital-status"] {
            let c = balanced.columnIndex(named: name)!
            let fromBalanced = zip(balanced.columns[relationship], balanced.columns[c]).filter { $0.0 == "Wife" }.map(\.1)
            #expect(Self.totalVariation(Self.shares(fromBalanced), Self.shares(wives.columns[c])) < 0.04, "\(name)")
        }
    }

    @Test func rebalanceArgumentsAndColumnsAreChecked() throws {
        #expect(try RebalanceTarget.parse(arguments: ["a=b:c:0.5"]) == [RebalanceTarget(column: "a", value: "b:c", share: 0.5)])
        #expect(try RebalanceTarget.parse(arguments: ["a=:0.2"]) == [RebalanceTarget(column: "a", value: nil, share: 0.2)])
        for bad in [["a=b"], ["=b:0.5"], ["a=b:0"], ["a=b:1.5"], ["a=b:nan"], ["a=b:x"], ["a=b:0.6", "a=c:0.6"],
                    ["a=b:0.2", "c=d:0.2"], ["a=b:0.2", "a=b:0.3"]] {
            #expect(throws: ConditionError.self, "\(bad)") { try RebalanceTarget.parse(arguments: bad) }
        }
        let trained = SamplerTests.trained
        for (targets, conditions) in [
            ([RebalanceTarget(column: "age", value: "40", share: 0.5)], [Condition]()),
            ([RebalanceTarget(column: "nope", value: "x", share: 0.5)], []),
            ([RebalanceTarget(column: "income", value: "lots", share: 0.5)], []),
            ([RebalanceTarget(column: "income", value: ">50K", share: 0.5)], [Condition(column: "income", value: ">50K")]),
        ] {
            #expect(throws: ConditionError.self) {
                _ = try Sampler(model: trained.model, encoder: trained.metadata.encoder, conditions: conditions,
                                options: SamplingOptions(rebalance: targets))
            }
        }
    }

    /// A one-column model's log-likelihood of a value is log p(value), p being its share among many drawn rows.
    @Test func logLikelihoodOfARowIsTheLogOfItsProbability() throws {
        let sampler = try Sampler(model: Self.skewed.model, encoder: Self.skewed.metadata.encoder,
                                  options: SamplingOptions(rareValues: .token))
        let shares = Self.shares(try Self.generate(Self.skewed, rows: 60_000, seed: 5, options: SamplingOptions()).columns[0])
        let table = Table(columnNames: ["colour"], columns: [["red", "blue", "green"]])
        let scores = sampler.logLikelihoods(of: table)
        for (index, value) in ["red", "blue", "green"].enumerated() {
            #expect(abs(Double(scores[index]) - log(shares[value]!)) < 0.05, "\(value)")
        }
    }

    /// `--edge-cases`: rows from the model's low-density region (their median log-likelihood is below the 10th
    /// percentile of ordinary rows), byte-identical on any thread count, still without rare values.
    @Test func edgeCasesAreTheModelsUnlikelyRows() throws {
        let trained = SamplerTests.trained
        let options = SamplingOptions(edgeCasePool: 10)
        let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder, options: options)
        func bytes(threads: Int) throws -> [UInt8] {
            var bytes: [UInt8] = []
            try GenerationRun(sampler: sampler, rowCount: 5000, seed: 8, threads: threads)
                .run(write: { bytes.append(contentsOf: $0) })
            return bytes
        }
        let edges = try bytes(threads: 2)
        #expect(try bytes(threads: 1) == edges)
        let edgeTable = try TableLoader().load(from: CSVReader(bytes: edges))
        let ordinary = try Self.generate(trained, rows: 5000, seed: 8, options: SamplingOptions())
        let scorer = try Sampler(model: trained.model, encoder: trained.metadata.encoder,
                                 options: SamplingOptions(rareValues: .token))
        let edgeScores = scorer.logLikelihoods(of: edgeTable).sorted()
        let ordinaryScores = scorer.logLikelihoods(of: ordinary).sorted()
        #expect(edgeScores[edgeScores.count / 2] < ordinaryScores[ordinaryScores.count / 10])
        let column = TestData.adultSample.table.columnIndex(named: "native-country")!
        var counts: [String: Int] = [:]
        for value in TestData.adultSample.table.columns[column] { if let value { counts[value, default: 0] += 1 } }
        let rare = Set(counts.filter { $0.value < 5 }.keys).union([ReservedTokens.rare])
        #expect(Set(edgeTable.columns[column].compactMap { $0 }).isDisjoint(with: rare))
        #expect(throws: ConditionError.self) {
            _ = try Sampler(model: trained.model, encoder: trained.metadata.encoder, options: SamplingOptions(edgeCasePool: 0))
        }
    }
}
