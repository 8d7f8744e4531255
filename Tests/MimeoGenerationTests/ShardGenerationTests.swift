import Foundation
import MimeoData
import MimeoEval
import MimeoGeneration
import MimeoTabular
import MimeoTestSupport
import MimeoWire
import Testing

/// Parts of a sharded job against `GenerationRun` on one process, with a small model trained on the adult sample.
@Suite(.serialized) struct ShardGenerationTests {
    static let real: (table: Table, schema: Schema) = {
        let table = try! TableLoader().load(path: Datasets.adultSample)
        return (table, SchemaInference().inferSchema(from: table))
    }()

    static let trained: TrainedModel = {
        var options = TrainingOptions()
        options.maxEpochs = 1
        options.maxSeconds = 300  // the epoch, not the clock, ends this run (debug builds on a busy machine are slow)
        options.seed = 5
        return try! TrainingPipeline.train(real.table, schema: real.schema, sourceName: "adult-sample.csv",
                                           trainingOptions: options)
    }()

    static let evaluator = try! FidelityEvaluator(real: real.table, schema: real.schema)

    static func sampler(_ conditions: [Condition] = []) throws -> Sampler {
        try Sampler(model: trained.model, encoder: trained.metadata.encoder, conditions: conditions)
    }

    /// `mimeo generate`'s bytes on one process.
    static func whole(_ rows: Int, seed: UInt64, conditions: [Condition] = []) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try GenerationRun(sampler: sampler(conditions), rowCount: rows, seed: seed, threads: 2)
            .run(write: { bytes.append(contentsOf: $0) })
        return bytes
    }

    /// Writes every shard of `plan` into `directory` (shards in a shuffled order, each on its own thread count)
    /// and returns the results in shard order.
    static func writeParts(_ plan: ShardPlan, seed: UInt64, conditions: [Condition] = [], into directory: String,
                           random: inout SplitMix64, evaluator: FidelityEvaluator? = nil) throws -> [PartResult] {
        let sampler = try sampler(conditions)
        var results = [PartResult?](repeating: nil, count: plan.shardCount)
        for index in Array(0 ..< plan.shardCount).shuffled(using: &random) {
            let generation = try ShardGeneration(
                sampler: sampler, seed: seed, totalRows: Int(plan.totalRows), shard: plan.shard(index)!,
                threads: Int.random(in: 1 ... 3, using: &random), evaluator: evaluator,
                missingValues: real.schema.missingValues, computesStatistics: evaluator != nil)
            results[index] = try generation.write(to: directory + "/" + plan.partName(index))
        }
        return results.map { $0! }
    }

    /// Where two byte strings first differ (nil when equal), so that a failure names an offset instead of
    /// printing two arrays of megabytes.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
        if a == b { return nil }
        return (0 ..< min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
    }

    /// The parts' bytes in shard order, each without its header line.
    static func concatenatedRows(_ plan: ShardPlan, in directory: String, header: [UInt8]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for index in 0 ..< plan.shardCount {
            let part = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + plan.partName(index))))
            #expect(part.starts(with: header), "part \(index) does not start with the header line")
            bytes += part.dropFirst(header.count)
        }
        return bytes
    }

    @Test(arguments: [1, 100, 4_095, 4_096, 4_097, 9_000, 17_000])
    func partsInOrderAreTheOneProcessRows(rows: Int) throws {
        let seed = UInt64(rows) &* 31 &+ 3
        let expected = try Self.whole(rows, seed: seed)
        let header = try Self.sampler().headerBytes()
        var random = SplitMix64(seed: UInt64(rows))
        let batches = ShardGeneration.batchCount(totalRows: rows)
        for _ in 0 ..< 3 {
            let plan = try ShardPlan(totalRows: UInt64(rows), batchesPerShard: UInt32.random(in: 1 ... UInt32(batches), using: &random))
            let directory = try TemporaryDirectory(prefix: "mimeo-shards")
            let results = try Self.writeParts(plan, seed: seed, into: directory.path, random: &random)
            let rowsBytes = try Self.concatenatedRows(plan, in: directory.path, header: header)
            #expect(Self.firstDifference(header + rowsBytes, expected) == nil, "plan of \(plan.shardCount) shards for \(rows) rows")
            #expect(results.map(\.rows).reduce(0, +) == rows)
            for (index, result) in results.enumerated() {
                let part = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + plan.partName(index))))
                #expect(result.rows == Int(plan.shard(index)!.rowCount))
                #expect(result.bytes == part.count)
                #expect(result.crc32 == ModelFile.crc32(part))
            }
            #expect(try directory.contents().sorted() == (0 ..< plan.shardCount).map(plan.partName))
        }
    }

    /// A job of no rows has no batches: its one part is the header line, as `mimeo generate -n 0` writes.
    @Test func zeroRowsIsTheHeaderLine() throws {
        let directory = try TemporaryDirectory(prefix: "mimeo-shards")
        let generation = try ShardGeneration(sampler: Self.sampler(), seed: 1, totalRows: 0, firstBatch: 0,
                                             batchCount: 0, threads: 2)
        let result = try generation.write(to: directory.file("part-00000.csv"))
        let part = [UInt8](try directory.read("part-00000.csv"))
        #expect(Self.firstDifference(part, try Self.whole(0, seed: 1)) == nil)
        #expect(result.rows == 0 && result.bytes == part.count && result.crc32 == ModelFile.crc32(part))
    }

    @Test func conditionedPartsAreTheOneProcessRows() throws {
        let conditions = [Condition(column: "sex", value: "Female"), Condition(column: "income", value: ">50K")]
        let rows = 10_000
        let expected = try Self.whole(rows, seed: 9, conditions: conditions)
        var random = SplitMix64(seed: 42)
        let plan = try ShardPlan(totalRows: UInt64(rows), batchesPerShard: 1)
        let directory = try TemporaryDirectory(prefix: "mimeo-shards")
        _ = try Self.writeParts(plan, seed: 9, conditions: conditions, into: directory.path, random: &random)
        let header = try Self.sampler(conditions).headerBytes()
        let parts = header + (try Self.concatenatedRows(plan, in: directory.path, header: header))
        #expect(Self.firstDifference(parts, expected) == nil)
        #expect(Self.firstDifference(expected, try Self.whole(rows, seed: 9)) != nil)
    }

    /// A retry after a crash (a new attempt of the same shard, on another thread count) writes the same bytes.
    @Test func retriedShardHasTheSameBytesAndChecksum() throws {
        let plan = try ShardPlan(totalRows: 20_000, batchesPerShard: 2)
        let directory = try TemporaryDirectory(prefix: "mimeo-shards")
        let path = directory.file(plan.partName(1))
        let first = try ShardGeneration(sampler: Self.sampler(), seed: 4, totalRows: 20_000, shard: plan.shard(1)!,
                                        threads: 1).write(to: path)
        let firstBytes = try directory.read(plan.partName(1))
        // A crashed attempt leaves a temporary file of a dead process; the retry replaces nothing but the part.
        let retry = try ShardGeneration(sampler: Self.sampler(), seed: 4, totalRows: 20_000, shard: plan.shard(1)!,
                                        threads: 3).write(to: path)
        #expect(retry == first)
        #expect(try directory.read(plan.partName(1)) == firstBytes)
        let other = try ShardGeneration(sampler: Self.sampler(), seed: 5, totalRows: 20_000, shard: plan.shard(1)!,
                                        threads: 3).run { _ in }
        #expect(other.crc32 != first.crc32)
    }

    @Test func failedWriteLeavesNoPart() throws {
        let directory = try TemporaryDirectory(prefix: "mimeo-shards")
        let notADirectory = try directory.write("a regular file", to: "out")
        let generation = try ShardGeneration(sampler: Self.sampler(), seed: 1, totalRows: 5_000, firstBatch: 0,
                                             batchCount: 2, threads: 2)
        #expect(throws: DataError.self) { try generation.write(to: notADirectory + "/part-00000.csv") }
        #expect(try directory.contents() == ["out"])

        // A writer that fails after the header: the error reaches the caller (write(to:) then discards the output).
        struct Interrupted: Error {}
        var calls = 0
        #expect(throws: Interrupted.self) {
            _ = try generation.run { _ in calls += 1; if calls == 2 { throw Interrupted() } }
        }
        try FileManager.default.createDirectory(atPath: directory.file("dir"), withIntermediateDirectories: false)
        let failing = try ShardGeneration(sampler: Self.sampler(), seed: 1, totalRows: 5_000, firstBatch: 0,
                                          batchCount: 2, threads: 2)
        // The part's name is taken by a directory: the rename fails and the temporary file is removed.
        try FileManager.default.createDirectory(atPath: directory.file("dir/part-00000.csv"), withIntermediateDirectories: false)
        #expect(throws: DataError.self) { try failing.write(to: directory.file("dir/part-00000.csv")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("dir")) == ["part-00000.csv"])
    }

    @Test func shardOutsideTheJobIsRefused() throws {
        #expect(throws: ShardGenerationError.self) {
            try ShardGeneration(sampler: Self.sampler(), seed: 1, totalRows: 5_000, firstBatch: 1, batchCount: 2, threads: 1)
        }
        let plan = try ShardPlan(totalRows: 9_000, batchesPerShard: 2)
        #expect(throws: ShardGenerationError.self) {
            try ShardGeneration(sampler: Self.sampler(), seed: 1, totalRows: 8_000, shard: plan.shard(1)!, threads: 1)
        }
    }

    /// A LEASE payload (as the coordinator sends it, through the wire codec) generates its shard; a payload that
    /// disagrees with the sampler is refused.
    @Test func leasePayloadGeneratesItsShard() throws {
        let wireConditions = [WireCondition(column: "sex", value: "Male")]
        let job = GenerateJob(modelHash: ContentHash(bytes: [UInt8](repeating: 7, count: 32))!, modelBytes: 1, rows: 9_000,
                              seed: 12, batchesPerShard: 1, conditions: wireConditions, delimiter: UInt8(ascii: ","),
                              output: "out", maxAttempts: 3)
        let plan = try ShardPlan(totalRows: job.rows, batchesPerShard: job.batchesPerShard)
        let leased = plan.leasePayload(2, of: job)!
        let payload = try GenerateShard.decode(kind: .generate, version: leased.payloadVersion,
                                               payload: leased.encoded())
        let sampler = try Sampler(model: Self.trained.model, encoder: Self.trained.metadata.encoder,
                                  conditions: ShardGeneration.conditions(of: payload))
        var bytes: [UInt8] = []
        let result = try ShardGeneration(sampler: sampler, payload: payload, threads: 2).run { bytes += $0 }
        let expected = try Self.whole(9_000, seed: 12, conditions: ShardGeneration.conditions(of: payload))
        let header = sampler.headerBytes()
        #expect(result.rows == 808)
        #expect(Self.firstDifference(Array(bytes.dropFirst(header.count)),
                                     Array(expected.suffix(bytes.count - header.count))) == nil)
        var wrong = payload
        wrong.delimiter = UInt8(ascii: ";")
        #expect(throws: ShardGenerationError.self) { try ShardGeneration(sampler: sampler, payload: wrong, threads: 1) }
        wrong = payload
        wrong.rowCount = 4_096
        #expect(throws: ShardGenerationError.self) { try ShardGeneration(sampler: sampler, payload: wrong, threads: 1) }
    }

    /// The merged summaries of the parts score as `mimeo evaluate` scores the concatenated parts.
    @Test func mergedSummariesAreTheWholeFilesSummary() throws {
        let rows = 13_000
        let plan = try ShardPlan(totalRows: UInt64(rows), batchesPerShard: 2)
        let directory = try TemporaryDirectory(prefix: "mimeo-shards")
        var random = SplitMix64(seed: 8)
        let results = try Self.writeParts(plan, seed: 6, into: directory.path, random: &random, evaluator: Self.evaluator)
        var merged = Self.evaluator.makeSummary()
        var statistics = results[0].statistics!
        for (index, result) in results.enumerated() {
            try merged.merge(result.summary!)
            if index > 0 { statistics.reduce(result.statistics!) }
        }
        let whole = try directory.write(try Self.whole(rows, seed: 6), to: "whole.csv")
        let expected = try Self.evaluator.summarize(csvAt: whole, missingValues: Self.real.schema.missingValues)
        #expect(merged.rowCount == rows && expected.rowCount == rows)
        let mergedReport = Self.evaluator.report(for: merged), expectedReport = Self.evaluator.report(for: expected)
        #expect(mergedReport.syntheticRowCount == expectedReport.syntheticRowCount)
        #expect(mergedReport.columns == expectedReport.columns)
        #expect(mergedReport.pairs.count == expectedReport.pairs.count)
        for (a, b) in zip(mergedReport.pairs, expectedReport.pairs) {
            #expect(abs((a.score ?? -1) - (b.score ?? -1)) <= 1e-12, "\(a) vs \(b)")
        }
        #expect(abs(mergedReport.overall! - expectedReport.overall!) <= 1e-12)

        let table = try TableLoader(missingValues: Self.real.schema.missingValues).load(path: whole)
        let wholeStatistics = TableStatistics.analyze(table, schema: Self.trained.metadata.encoder.schema)
        #expect(statistics.rowCount == rows)
        #expect(statistics == wholeStatistics)
    }
}
