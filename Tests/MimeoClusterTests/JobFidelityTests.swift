import Foundation
@testable import MimeoCluster
import MimeoData
import MimeoEval
import MimeoTestSupport
import MimeoWire
import Testing

/// Jobs with a real table (payload version 2): who is leased their shards, and the coordinator's `_fidelity.json`
/// from the parts' summaries.
@Suite struct JobFidelityTests {
    /// A job with a real table is stored, planned and leased as version 2, and only to workers that listed it; a
    /// version 1 worker keeps getting the version 1 jobs.
    @Test func versionTwoJobsAreLeasedOnlyToWorkersThatListVersionTwo() throws {
        let store = try openStore(try temporaryStatePath())
        let table = BlobReference(hash: ContentHash(bytes: [UInt8](repeating: 9, count: 32))!, bytes: 77)
        var withTable = generateJob(rows: 4_096, batchesPerShard: 1)
        withTable.realTable = table
        let v2 = try store.submit(withTable, now: 0)
        let v1 = try store.submit(generateJob(rows: 4_096, batchesPerShard: 1), now: 0)
        #expect(try store.read { try $0.generateJob(v2) } == withTable)

        // The old worker skips the older version 2 job and gets the version 1 one; then nothing is left for it.
        let old = try #require(try store.write { try $0.lease(to: "old", payloadVersion: 1, now: 1) })
        #expect(old.shard.job == v1 && old.payloadVersion == 1)
        #expect(try GenerateShard.decode(kind: .generate, version: 1, payload: old.payload).realTable == nil)
        #expect(try store.write { try $0.lease(to: "old", payloadVersion: 1, now: 2) } == nil)

        let new = try #require(try store.write { try $0.lease(to: "new", payloadVersion: 2, now: 3) })
        #expect(new.shard.job == v2 && new.payloadVersion == 2)
        #expect(try GenerateShard.decode(kind: .generate, version: 2, payload: new.payload).realTable == table)
    }

    /// All parts summarised: the report is the evaluator's report of the merged summaries, and within rounding of
    /// the report of all rows summarised at once. One part without a summary: no report, and the part is named.
    @Test func reportFromMergedSummariesOrTheMissingParts() throws {
        let folder = try TemporaryDirectory()
        let blobs = try BlobStore(root: folder.file("blobs"))
        let realBytes = Array(Self.csv(rows: 300, seed: 1).utf8)
        let tableHash = ContentHash.sha256(realBytes)
        let writer = try BlobWriter(store: blobs)
        try writer.append(realBytes)
        try writer.commit(expecting: tableHash)
        let prepared = try EvaluationPipeline.prepareFidelity(realTableAt: blobs.path(for: tableHash))
        let loader = TableLoader(missingValues: prepared.schema.missingValues)
        let parts = try [4_096, 904].enumerated().map { index, rows in
            try loader.load(from: CSVReader(bytes: Array(Self.csv(rows: rows, seed: UInt64(index) + 2).utf8)))
        }
        let summaries = try parts.map { try prepared.evaluator.summarize($0) }
        let whole = try loader.load(from: CSVReader(bytes: Array(
            (Self.csv(rows: 4_096, seed: 2) + Self.csv(rows: 904, seed: 3).split(separator: "\n", maxSplits: 1)[1]).utf8)))

        for dropped in [nil, 1] as [Int?] {
            let store = try openStore(folder.file("state-\(dropped ?? -1).db"))
            var job = generateJob(rows: 5_000, batchesPerShard: 1)
            job.realTable = BlobReference(hash: tableHash, bytes: UInt64(realBytes.count))
            let id = try store.submit(job, now: 0)
            for index in 0..<2 {
                let lease = try #require(try store.write { try $0.lease(to: "w", payloadVersion: 2, now: 1) })
                let sent = PartSummaries(statistics: nil, summary: index == dropped ? nil : summaries[index])
                let result = GenerateResult(rows: UInt64(parts[index].rowCount), bytes: 1, checksum: testHash,
                                            elapsedMilliseconds: 1, summaryVersion: PartSummaries.version,
                                            summaries: try sent.encoded())
                #expect(try store.complete(shard: lease.shard, attempt: lease.attempt, from: "w", result: result, now: 2))
            }
            let document = try #require(try JobFidelity.make(job: id, store: store, blobs: blobs))
            #expect(document.parts == 2 && document.rows == 5_000)
            if dropped != nil {
                #expect(document.fidelity == nil)
                #expect(document.missingParts == ["part-00001.csv"])
                #expect(document.summarizedRows == 4_096)
                #expect(document.note?.contains("1 of 2 parts sent no fidelity summary") == true)
                continue
            }
            let fidelity = try #require(document.fidelity)
            #expect(document.missingParts.isEmpty && document.summarizedRows == 5_000)
            #expect(fidelity == prepared.evaluator.report(for: try summaries[0].merged(with: summaries[1])))
            let once = prepared.evaluator.report(for: try prepared.evaluator.summarize(whole))
            #expect(fidelity.syntheticRowCount == once.syntheticRowCount)
            for (score, reference) in [(fidelity.overall, once.overall), (fidelity.columnShapes, once.columnShapes),
                                       (fidelity.columnPairTrends, once.columnPairTrends)] {
                #expect(abs((score ?? .nan) - (reference ?? .nan)) <= 1e-12)
            }
            // Written through a temporary name and read back whole.
            let path = folder.file("_fidelity-\(id).json")
            try document.write(to: path)
            #expect(try JobFidelity.read(from: path) == document)
        }
        // A job without a real table has no fidelity document.
        let store = try openStore(folder.file("plain.db"))
        let plain = try store.submit(generateJob(rows: 10, batchesPerShard: 1), now: 0)
        #expect(try JobFidelity.make(job: plain, store: store, blobs: blobs) == nil)
    }

    /// A CSV of `rows` rows: an integer, a decimal correlated with it, and a category.
    static func csv(rows: Int, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed)
        var text = "age,income,colour\n"
        let colours = ["red", "green", "blue", "grey"]
        for _ in 0..<rows {
            let age = Int(random.next() % 60) + 18
            let income = Double(age) * 1_000 + Double(random.next() % 20_000) / 3
            text += "\(age),\(String(format: "%.2f", income)),\(colours[Int(random.next() % 4)])\n"
        }
        return text
    }
}

/// The coordinator's side of a job with a real table, over the wire.
@Suite struct RealTableJobTests {
    /// The client's model, then its table, are fetched one after the other; the job's shards go only to a worker
    /// that lists version 2, whose LEASE names the table, which it then fetches by hash. A client that serves other
    /// table bytes than the job names gets an ERROR, not a job.
    @Test func modelThenTableAreUploadedAndOnlyVersionTwoWorkersAreLeased() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let coordinator = try CoordinatorHarness(testConfiguration(folder))
        let old = try Peer(coordinator.endpoint)
        _ = try old.join("old", version: 1)
        try old.send(.ask(Ask(slots: 1)))
        let model = testModel(3_000)
        let table = Array((0..<300).map { "\($0),\($0 % 7)\n" }.joined().utf8)
        let output = folder.file("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)

        var lying = testJob(model: model, rows: 4_096, output: output)
        lying.realTable = BlobReference(hash: ContentHash.sha256(table), bytes: UInt64(table.count))
        let liar = try Peer(coordinator.endpoint)
        #expect(throws: ClusterError.self) {
            _ = try liar.submit(lying, model: model, table: table.map { $0 ^ 1 })
        }

        var job = testJob(model: model, rows: 4_096, output: output)
        job.seed = 8
        job.realTable = lying.realTable
        let client = try Peer(coordinator.endpoint)
        let (id, gets) = try client.submit(job, model: model, table: table)
        // The model was stored by the refused job's upload; only the table is fetched again, in order.
        #expect(!gets.isEmpty && gets.allSatisfy { $0.hash == job.realTable?.hash })
        #expect(gets.map(\.offset) == Array(stride(from: 0, to: UInt64(table.count), by: 1_024)))

        #expect(try old.drain(for: .milliseconds(600)).allSatisfy { if case .lease = $0 { false } else { true } },
                "a worker that lists only version 1 was leased a version 2 shard")
        let new = try Peer(coordinator.endpoint)
        _ = try new.join("new", version: 2)
        try new.send(.ask(Ask(slots: 1)))
        let (lease, shard) = try new.lease()
        #expect(lease.id.job == id && lease.version == 2 && shard.realTable == job.realTable)
        #expect(try new.fetchModel(shard.realTable!.hash, size: shard.realTable!.bytes, chunkBytes: 1_024) == table)
    }
}
