import Dispatch
import Foundation
import Logging
@testable import MimeoCluster
import MimeoData
import MimeoEval
import MimeoTabular
import MimeoTestSupport
import MimeoWire
import MimeoZMQ
import Synchronization
import Testing

/// `WorkerNode` against a scripted coordinator: a ROUTER socket in the test that speaks MWP-1 through
/// `FrameCodec`, with a small model trained on the adult sample.
@Suite(.serialized) struct WorkerNodeTests {
    // MARK: The model

    /// A small model trained once (one epoch on the first 1,500 rows of the adult sample), as a model file.
    static let model: (bytes: [UInt8], hash: ContentHash, trained: TrainedModel) = {
        let text = try! String(contentsOfFile: Datasets.adultSample, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(1_501)
        let table = try! TableLoader().load(from: CSVReader(bytes: Array((lines.joined(separator: "\n") + "\n").utf8)))
        var options = TrainingOptions()
        options.maxEpochs = 1
        options.seed = 3
        let trained = try! TrainingPipeline.train(table, schema: SchemaInference().inferSchema(from: table),
                                                  sourceName: "adult-1500.csv", trainingOptions: options)
        let bytes = try! ModelFile.encode(trained)
        return (bytes, ContentHash.sha256(bytes), trained)
    }()

    /// What `mimeo generate -n rows --seed seed` writes on one process: the header, then each batch's bytes.
    static func oneProcess(rows: Int, seed: UInt64) throws -> (header: [UInt8], batches: [[UInt8]]) {
        let sampler = try Sampler(model: model.trained.model, encoder: model.trained.metadata.encoder)
        var writes: [[UInt8]] = []
        try GenerationRun(sampler: sampler, rowCount: rows, seed: seed, threads: 2).run(write: { writes.append($0) })
        return (writes[0], Array(writes.dropFirst()))
    }

    /// The one-process output of the job most tests lease shards of: 9,000 rows (three batches), seed 7.
    static let job9000 = try! oneProcess(rows: 9_000, seed: 7)

    static func shard(rows: UInt64, seed: UInt64 = 7, firstBatch: UInt64, batchCount: UInt32, output: String,
                      modelHash: ContentHash = model.hash, modelBytes: UInt64 = UInt64(model.bytes.count)) -> GenerateShard {
        GenerateShard(modelHash: modelHash, modelBytes: modelBytes, seed: seed, totalRows: rows,
                      batchRows: UInt32(Sampler.batchSize), firstBatch: firstBatch, batchCount: batchCount,
                      conditions: [], delimiter: UInt8(ascii: ","), output: output)
    }

    // MARK: Joining

    @Test func joinsWithReadyAndAsksAfterWelcome() throws {
        let coordinator = try ScriptedCoordinator()
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        var configuration = WorkerConfiguration(endpoint: coordinator.endpoint, name: "w-join", threads: 3, slots: 2,
                                                cacheDirectory: folder.file("cache"), software: "mimeo test")
        configuration.labels = ["site": "a"]
        let worker = try RunningWorker(configuration)

        let (identity, ready) = try #require(try coordinator.next { $0.command == .ready })
        #expect(ready == .ready(Ready(name: "w-join", software: "mimeo test", threads: 3, slots: 2,
                                      kinds: [JobKindSupport(kind: .generate, version: GenerateShard.version)], labels: ["site": "a"])))
        try coordinator.send(.welcome(Welcome(workerID: 7)), to: identity)
        let ask = try #require(try coordinator.next { $0.command == .ask })
        #expect(ask.message == .ask(Ask(slots: 2)))
        #expect(ask.identity == identity)

        try worker.stop()
        #expect(try coordinator.next { $0.command == .disconnect } != nil, "DISCONNECT on stop")
        #expect(worker.node.counters.workerID == 7)
        #expect(worker.node.counters.joins == 1)
    }

    /// With keys the worker is a CURVE client of the coordinator's key; with the wrong coordinator key it never
    /// gets through.
    @Test func joinsOverCurve() throws {
        let serverKeys = try ZMQCurveKeyPair.generate(), workerKeys = try ZMQCurveKeyPair.generate()
        let coordinator = try ScriptedCoordinator(curveSecretKey: serverKeys.secretKey)
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let wrong = try RunningWorker(WorkerConfiguration(
            endpoint: coordinator.endpoint, name: "w-wrong", threads: 1,
            curve: .init(keyPair: workerKeys, serverKey: try ZMQCurveKeyPair.generate().publicKey),
            cacheDirectory: folder.file("cache")))
        #expect(try coordinator.next(within: .milliseconds(500)) { $0.command == .ready } == nil)
        try wrong.stop()
        let worker = try RunningWorker(WorkerConfiguration(
            endpoint: coordinator.endpoint, name: "w-curve", threads: 1,
            curve: .init(keyPair: workerKeys, serverKey: serverKeys.publicKey), cacheDirectory: folder.file("cache")))
        let ready = try #require(try coordinator.next(within: .seconds(10)) { $0.command == .ready })
        guard case let .ready(value) = ready.message else { return }
        #expect(value.name == "w-curve")
        try worker.stop()
    }

    // MARK: Leases
    // MARK: Leases

    /// Two leases of a job with a real table: the worker fetches the table by hash with the model, builds the
    /// evaluator once for both, and each RESULT carries the fidelity summary of its part: the summary `mimeo
    /// evaluate`'s evaluator makes of the part file.
    @Test func realTableLeasesReturnTheirPartsFidelitySummaryFromOneEvaluator() throws {
        let coordinator = try ScriptedCoordinator()
        coordinator.models[Self.model.hash] = Self.model.bytes
        let text = try String(contentsOfFile: Datasets.adultSample, encoding: .utf8)
        let realBytes = Array((text.split(separator: "\n", omittingEmptySubsequences: false).prefix(2_001)
            .joined(separator: "\n") + "\n").utf8)
        let table = BlobReference(hash: ContentHash.sha256(realBytes), bytes: UInt64(realBytes.count))
        coordinator.models[table.hash] = realBytes
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 2,
                                                           outputRoot: folder.path, cacheDirectory: folder.file("cache")))
        let identity = try coordinator.join()
        let real = try folder.write(realBytes, to: "real.csv")
        let prepared = try EvaluationPipeline.prepareFidelity(realTableAt: real)

        for index in 0..<2 {
            let id = AttemptID(job: 4, shard: UInt32(index), attempt: 1)
            let part = folder.file("out/part-0000\(index).csv")
            var shard = Self.shard(rows: 9_000, firstBatch: UInt64(index), batchCount: 1, output: part)
            shard.realTable = table
            try coordinator.send(.lease(MimeoWire.Lease(id: id, work: shard)), to: identity)
            let reply = try #require(try coordinator.next(within: .seconds(60)) { $0.command == .result || $0.command == .fail })
            guard case let .result(result) = reply.message else {
                Issue.record("expected RESULT, got \(reply.message)")
                return
            }
            let payload = try result.work(as: GenerateResult.self)
            let summary = try #require(try PartSummaries.decode(payload.summaries, version: payload.summaryVersion).summary)
            #expect(summary.rowCount == 4_096)
            #expect(summary == (try prepared.evaluator.summarize(csvAt: part, missingValues: prepared.schema.missingValues)))
        }
        try worker.stop()
        #expect(worker.node.evaluatorBuilds == 1)
        #expect(worker.node.counters.leasesSucceeded == 2)
    }

    /// The part of one lease is byte for byte the rows the one-process run writes there, and RESULT carries its
    /// SHA-256, rows, bytes and summaries.
    @Test func leaseWritesTheOneProcessBytesAndReportsThem() throws {
        let expected = Self.job9000
        let coordinator = try ScriptedCoordinator()
        coordinator.models[Self.model.hash] = Self.model.bytes
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 2,
                                                           outputRoot: folder.path, cacheDirectory: folder.file("cache"),
                                                           computesStatistics: true))
        let identity = try coordinator.join()

        let id = AttemptID(job: 3, shard: 1, attempt: 1)
        let part = folder.file("out/part-00001.csv")
        try coordinator.send(.lease(MimeoWire.Lease(id: id, work: Self.shard(rows: 9_000, firstBatch: 1, batchCount: 1, output: part))),
                             to: identity)
        let reply = try #require(try coordinator.next { $0.command == .result || $0.command == .fail })
        guard case let .result(result) = reply.message else {
            Issue.record("expected RESULT, got \(reply.message)")
            return
        }
        #expect(result.id == id)
        let payload = try result.work(as: GenerateResult.self)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: part)))
        #expect(bytes == expected.header + expected.batches[1], "part bytes differ from the one-process rows 4096 ..< 8192")
        #expect(payload.rows == 4_096)
        #expect(payload.bytes == UInt64(bytes.count))
        #expect(payload.checksum == ContentHash.sha256(bytes))
        #expect(payload.summaryVersion == PartSummaries.version)
        let summaries = try PartSummaries.decode(payload.summaries, version: payload.summaryVersion)
        #expect(summaries.statistics != nil)
        #expect(summaries.summary == nil)
        #expect(try coordinator.next { $0.command == .ask }?.message == .ask(Ask(slots: 1)), "ASK after RESULT")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("out")) == ["part-00001.csv"])
        try worker.stop()
        #expect(worker.node.counters.rowsWritten == 4_096)
        #expect(worker.node.counters.leasesSucceeded == 1)
    }

    /// Two leases of one model: the model is fetched once (in chunks, with a window) and loaded once.
    @Test func fetchesAModelOnceForTwoLeases() throws {
        let coordinator = try ScriptedCoordinator()
        coordinator.models[Self.model.hash] = Self.model.bytes
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 2,
                                                           outputRoot: folder.path, cacheDirectory: folder.file("cache")))
        let chunk = UInt32(Self.model.bytes.count / 10 + 1)
        let identity = try coordinator.join(welcome: Welcome(workerID: 1, chunkBytes: chunk))
        for shard in [0, 2] as [UInt32] {
            let lease = MimeoWire.Lease(id: AttemptID(job: 1, shard: shard, attempt: 1),
                              work: Self.shard(rows: 9_000, firstBatch: UInt64(shard), batchCount: 1,
                                               output: folder.file("out/part-0000\(shard).csv")))
            try coordinator.send(.lease(lease), to: identity)
            let reply = try #require(try coordinator.next { $0.command == .result || $0.command == .fail })
            #expect(reply.message.command == .result, "\(reply.message)")
            _ = try coordinator.next { $0.command == .ask }
        }
        let chunks = (Self.model.bytes.count + Int(chunk) - 1) / Int(chunk)
        #expect(coordinator.modelGets == chunks, "one MODEL-GET per chunk of one fetch")
        #expect(coordinator.maxOutstandingGets <= 4 && coordinator.maxOutstandingGets > 1, "a window of MODEL-GETs")
        #expect(worker.node.counters.modelsFetched == 1)
        #expect(worker.node.modelLoads == 1, "the second lease reuses the loaded sampler")
        let cached = try FileManager.default.contentsOfDirectory(atPath: folder.file("cache"))
        #expect(cached == [Self.model.hash.description])
        try worker.stop()
    }

    /// Two slots: two leases at once wait for one fetch of their model, run side by side, and both report.
    @Test func twoSlotsShareOneFetch() throws {
        let expected = Self.job9000
        let coordinator = try ScriptedCoordinator()
        coordinator.models[Self.model.hash] = Self.model.bytes
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           slots: 2, outputRoot: folder.path,
                                                           cacheDirectory: folder.file("cache")))
        let identity = try coordinator.join()
        for shard in [0, 2] as [UInt32] {
            try coordinator.send(.lease(MimeoWire.Lease(id: AttemptID(job: 1, shard: shard, attempt: 1),
                                                        work: Self.shard(rows: 9_000, firstBatch: UInt64(shard), batchCount: 1,
                                                                         output: folder.file("out/part-0000\(shard).csv")))),
                                 to: identity)
        }
        var reported: Set<UInt32> = []
        for _ in 0 ..< 2 {
            let reply = try #require(try coordinator.next { $0.command == .result || $0.command == .fail })
            guard case let .result(result) = reply.message else {
                Issue.record("expected RESULT, got \(reply.message)")
                continue
            }
            reported.insert(result.id.shard)
        }
        #expect(reported == [0, 2])
        for shard in [0, 2] {
            let part = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.file("out/part-0000\(shard).csv"))))
            #expect(part == expected.header + expected.batches[shard], "part \(shard)")
        }
        let chunks = (Self.model.bytes.count + Int(ProtocolVersion.defaultChunkBytes) - 1) / Int(ProtocolVersion.defaultChunkBytes)
        #expect(coordinator.modelGets == chunks)
        #expect(worker.node.counters.modelsFetched == 1)
        try worker.stop()
    }

    /// Bytes that do not hash to the lease's model: FAIL 424, retryable, and nothing is cached.
    @Test func modelBytesThatDoNotMatchTheHashFailTheLease() throws {
        let coordinator = try ScriptedCoordinator()
        var wrong = Self.model.bytes
        wrong[wrong.count / 2] ^= 0xFF
        coordinator.models[Self.model.hash] = wrong
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           outputRoot: folder.path, cacheDirectory: folder.file("cache")))
        let identity = try coordinator.join()
        let id = AttemptID(job: 2, shard: 0, attempt: 1)
        try coordinator.send(.lease(MimeoWire.Lease(id: id, work: Self.shard(rows: 100, firstBatch: 0, batchCount: 1,
                                                                   output: folder.file("out/part-00000.csv")))),
                             to: identity)
        let reply = try #require(try coordinator.next { $0.command == .result || $0.command == .fail })
        guard case let .fail(failure) = reply.message else {
            Issue.record("expected FAIL, got \(reply.message)")
            return
        }
        #expect(failure.id == id && failure.code == .modelUnavailable && failure.isRetryable)
        #expect(coordinator.modelGets >= 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("cache")).isEmpty, "nothing cached")
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/part-00000.csv")))
        #expect(try coordinator.next { $0.command == .ask } != nil, "ASK after FAIL")
        try worker.stop()
    }

    /// A cached model damaged since it was verified is removed (424, retryable); verified bytes that are not a
    /// model fail the job (422, not retryable).
    @Test func damagedAndUnreadableModels() throws {
        let coordinator = try ScriptedCoordinator()
        let notAModel = Array("abc".utf8)
        let notAModelHash = ContentHash.sha256(notAModel)
        coordinator.models[notAModelHash] = notAModel
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let cache = try BlobStore(root: folder.file("cache"))
        try Data("damaged".utf8).write(to: URL(fileURLWithPath: cache.path(for: Self.model.hash)))
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           outputRoot: folder.path, cacheDirectory: cache.root))
        let identity = try coordinator.join()
        let leases: [(hash: ContentHash, bytes: Int, code: ErrorCode, retryable: Bool)] = [
            (Self.model.hash, Self.model.bytes.count, .modelUnavailable, true),
            (notAModelHash, notAModel.count, .invalidJob, false),
        ]
        for (index, item) in leases.enumerated() {
            let id = AttemptID(job: 7, shard: UInt32(index), attempt: 1)
            let shard = Self.shard(rows: 100, firstBatch: 0, batchCount: 1, output: folder.file("out/part-0000\(index).csv"),
                                   modelHash: item.hash, modelBytes: UInt64(item.bytes))
            try coordinator.send(.lease(MimeoWire.Lease(id: id, work: shard)), to: identity)
            let reply = try #require(try coordinator.next { $0.command == .result || $0.command == .fail })
            guard case let .fail(failure) = reply.message else {
                Issue.record("expected FAIL, got \(reply.message)")
                continue
            }
            #expect(failure.id == id && failure.code == item.code && failure.isRetryable == item.retryable, "\(failure)")
        }
        #expect(!cache.contains(Self.model.hash), "the damaged model is removed")
        #expect(coordinator.modelGets == 1, "only the unknown model is fetched")
        try worker.stop()
    }

    /// A part path with a ".." component, or outside the output root: FAIL 422, not retryable, before any fetch.
    @Test func refusesPartPathsOutsideTheRoot() throws {
        let coordinator = try ScriptedCoordinator()
        coordinator.models[Self.model.hash] = Self.model.bytes
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let root = folder.file("root")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           outputRoot: root, cacheDirectory: folder.file("cache")))
        let identity = try coordinator.join()
        let refused = [root + "/out/../part-00000.csv", "../part-00000.csv", folder.file("elsewhere/part-00000.csv"),
                       root + "/../root/part-00000.csv"]
        for (index, output) in refused.enumerated() {
            let id = AttemptID(job: 4, shard: UInt32(index), attempt: 1)
            try coordinator.send(.lease(MimeoWire.Lease(id: id, work: Self.shard(rows: 100, firstBatch: 0, batchCount: 1, output: output))),
                                 to: identity)
            let reply = try #require(try coordinator.next { $0.command == .result || $0.command == .fail })
            guard case let .fail(failure) = reply.message else {
                Issue.record("\(output): expected FAIL, got \(reply.message)")
                continue
            }
            #expect(failure.id == id && failure.code == .invalidJob && !failure.isRetryable, "\(output)")
        }
        #expect(coordinator.modelGets == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.file("part-00000.csv")))
        #expect(!FileManager.default.fileExists(atPath: folder.file("elsewhere")))
        try worker.stop()
    }

    /// What a part path names on disk: a link out of the root or onto a device is refused (422, not retryable); a
    /// folder that cannot be made is an output failure (507, retryable).
    @Test func checksWhereAPartPathLeads() throws {
        let coordinator = try ScriptedCoordinator()
        coordinator.models[Self.model.hash] = Self.model.bytes
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let root = folder.file("root")
        try FileManager.default.createDirectory(atPath: folder.file("outside"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: folder.file("outside"))
        try FileManager.default.createSymbolicLink(atPath: root + "/null.csv", withDestinationPath: "/dev/null")
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: root + "/file"))
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           outputRoot: root, cacheDirectory: folder.file("cache")))
        let identity = try coordinator.join()
        let cases: [(output: String, code: ErrorCode, retryable: Bool)] = [
            (root + "/escape/part-00000.csv", .invalidJob, false),
            (root + "/null.csv", .invalidJob, false),
            (root + "/file/part-00000.csv", .outputFailed, true),
        ]
        for (index, item) in cases.enumerated() {
            let id = AttemptID(job: 6, shard: UInt32(index), attempt: 1)
            try coordinator.send(.lease(MimeoWire.Lease(id: id, work: Self.shard(rows: 100, firstBatch: 0, batchCount: 1,
                                                                                 output: item.output))), to: identity)
            let reply = try #require(try coordinator.next { $0.command == .result || $0.command == .fail })
            guard case let .fail(failure) = reply.message else {
                Issue.record("\(item.output): expected FAIL, got \(reply.message)")
                continue
            }
            #expect(failure.id == id && failure.code == item.code && failure.isRetryable == item.retryable,
                    "\(item.output): \(failure)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("outside")).isEmpty)
        try worker.stop()
    }

    /// CANCEL in the middle of a large shard: no RESULT, no part, no temporary file; the slot is asked for again.
    @Test func cancelStopsARunningShard() throws {
        let coordinator = try ScriptedCoordinator()
        coordinator.models[Self.model.hash] = Self.model.bytes
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           outputRoot: folder.path, cacheDirectory: folder.file("cache")))
        let identity = try coordinator.join(welcome: Welcome(workerID: 1, heartbeatIntervalMilliseconds: 200,
                                                             leaseTimeoutMilliseconds: 3_000))
        let batches: UInt32 = 200
        let id = AttemptID(job: 9, shard: 0, attempt: 1)
        try coordinator.send(.lease(MimeoWire.Lease(id: id, timeoutMilliseconds: 3_000,
                                          work: Self.shard(rows: UInt64(batches) * 4_096, firstBatch: 0, batchCount: batches,
                                                           output: folder.file("out/part-00000.csv")))),
                             to: identity)
        let progress = try #require(try coordinator.next {
            if case let .progress(value) = $0 { return value.done > 0 }
            return false
        }, "PROGRESS with rows done")
        guard case let .progress(value) = progress.message else { return }
        #expect(value.id == id && value.total == UInt64(batches) * 4_096 && value.done < value.total)
        let temporaries = try FileManager.default.contentsOfDirectory(atPath: folder.file("out"))
        #expect(temporaries.count == 1 && temporaries[0].hasPrefix("part-00000.csv.tmp-"), "\(temporaries)")

        try coordinator.send(.cancel(Cancel(job: 9)), to: identity)
        let ask = try #require(try coordinator.next { $0.command == .ask || $0.command == .result || $0.command == .fail })
        #expect(ask.message == .ask(Ask(slots: 1)), "the freed slot is asked for, nothing is reported")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("out")).isEmpty, "no part, no temporary file")
        // Nothing more about the attempt arrives afterwards.
        _ = try coordinator.next(within: .milliseconds(500)) { _ in false }
        #expect(!coordinator.received.contains { $0.command == .result || $0.command == .fail })
        try worker.stop()
        #expect(worker.node.counters.leasesAbandoned == 1)
    }

    // MARK: Losing the coordinator

    @Test func disconnectMakesTheWorkerJoinAgain() throws {
        let coordinator = try ScriptedCoordinator()
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           cacheDirectory: folder.file("cache")))
        let identity = try coordinator.join()
        try coordinator.send(.disconnect, to: identity)
        let ready = try #require(try coordinator.next(within: .seconds(5)) { $0.command == .ready }, "READY after DISCONNECT")
        #expect(ready.identity == identity, "on the same connection")
        try coordinator.send(.welcome(Welcome(workerID: 8)), to: identity)
        #expect(try coordinator.next { $0.command == .ask } != nil)
        #expect(worker.node.counters.joins == 2)
        try worker.stop()
    }

    @Test func silentCoordinatorMeansReconnectAndReady() throws {
        let coordinator = try ScriptedCoordinator()
        coordinator.answersHeartbeats = false
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        var configuration = WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                cacheDirectory: folder.file("cache"))
        configuration.reconnectInitialDelay = .milliseconds(300)
        let worker = try RunningWorker(configuration)
        let started = ContinuousClock.now
        let identity = try coordinator.join(welcome: Welcome(workerID: 1, heartbeatIntervalMilliseconds: 100,
                                                             heartbeatLiveness: 3))
        #expect(try coordinator.next(within: .seconds(1)) { $0.command == .heartbeat } != nil, "heartbeats while idle")
        let ready = try #require(try coordinator.next(within: .seconds(5)) { $0.command == .ready }, "READY again")
        let waited = ContinuousClock.now - started
        #expect(ready.identity != identity, "on a new connection")
        #expect(waited >= .milliseconds(600), "after liveness × interval and the reconnect delay, not at once")
        #expect(worker.node.counters.reconnects >= 1)
        try worker.stop()
    }

    /// Frames that are not MWP-1 messages are dropped and counted; the worker goes on with the next lease.
    @Test func garbageFromTheCoordinatorIsDropped() throws {
        let coordinator = try ScriptedCoordinator()
        coordinator.models[Self.model.hash] = Self.model.bytes
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           outputRoot: folder.path, cacheDirectory: folder.file("cache")))
        let identity = try coordinator.join()
        let header = ProtocolVersion.header
        let garbage: [[[UInt8]]] = [
            [Array("hello".utf8)],
            [header, [0xFF]],
            [header, [WireCommand.lease.rawValue], [0, 1, 2]],
            [header, [WireCommand.welcome.rawValue], [], []],
            [header, [WireCommand.cancel.rawValue], [0, 0, 0, 0, 0, 0, 0, 0]],
            [Array("XYZ01".utf8), [WireCommand.heartbeat.rawValue]],
            [header, [WireCommand.modelChunk.rawValue], Array(repeating: 0xAB, count: 60), [1, 2, 3]],
        ]
        for frames in garbage { try coordinator.sendRaw(frames, to: identity) }
        let id = AttemptID(job: 5, shard: 0, attempt: 1)
        try coordinator.send(.lease(MimeoWire.Lease(id: id, work: Self.shard(rows: 100, firstBatch: 0, batchCount: 1,
                                                                   output: folder.file("out/part-00000.csv")))),
                             to: identity)
        let reply = try #require(try coordinator.next { $0.command == .result || $0.command == .fail })
        #expect(reply.message.command == .result, "\(reply.message)")
        #expect(worker.node.counters.droppedMessages == garbage.count)
        try worker.stop()
    }

    /// ERROR 401 from the coordinator stops the worker with an error.
    @Test func versionRefusalStopsTheWorker() throws {
        let coordinator = try ScriptedCoordinator()
        let folder = try TemporaryDirectory(prefix: "mimeo-worker")
        let worker = try RunningWorker(WorkerConfiguration(endpoint: coordinator.endpoint, name: "w1", threads: 1,
                                                           cacheDirectory: folder.file("cache")))
        let (identity, _) = try #require(try coordinator.next { $0.command == .ready })
        try coordinator.send(.error(ErrorReply(code: .unsupportedVersion, command: WireCommand.ready.rawValue,
                                               message: "MWP01 is not supported")), to: identity)
        let error = try worker.exited(within: 10)
        #expect(error?.contains("401") == true, "\(error ?? "returned without an error")")
    }

    // MARK: Part paths

    @Test func partPathsResolveInsideTheRoot() throws {
        let root = "/data/out"
        let accepted: [(String, String)] = [
            ("/data/out/job/part-00000.csv", "/data/out/job/part-00000.csv"),
            ("job/./part-00001.csv", "/data/out/job/part-00001.csv"),
            ("//data//out/part-00002.csv", "/data/out/part-00002.csv"),
        ]
        for (given, resolved) in accepted {
            #expect(try WorkerPartPath.resolve(given, root: root, workingDirectory: "/data/out") == resolved, "\(given)")
        }
        for given in ["../x.csv", "/data/out/../out/x.csv", "/data/outside/x.csv", "/data/out", "job/", "job/.", "",
                      "/data/out/a/..", "x.csv"] {
            #expect(throws: WorkerError.self, "\(given)") {
                try WorkerPartPath.resolve(given, root: root, workingDirectory: "/elsewhere")
            }
        }
        #expect(try WorkerPartPath.resolve("out/p.csv", root: "/", workingDirectory: "/srv") == "/srv/out/p.csv")
    }
}

/// The worker's part-path rule (`PartPath`), throwing its refusal.
enum WorkerPartPath {
    static func resolve(_ output: String, root: String, workingDirectory: String) throws -> String {
        try PartPath.resolve(output, root: root, workingDirectory: workingDirectory).get()
    }
}

// MARK: - Test peers

/// A `WorkerNode` running on its own thread until `stop()`.
final class RunningWorker {
    let node: WorkerNode
    private let exit = WorkerExit()
    private var isStopped = false

    init(_ configuration: WorkerConfiguration) throws {
        node = try WorkerNode(configuration: configuration,
                              logger: Logger(label: "worker-test") { _ in SwiftLogNoOpLogHandler() })
        let node = self.node, exit = self.exit
        let thread = Thread {
            do {
                try node.run()
                exit.record(nil)
            } catch {
                exit.record("\(error)")
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits (at most `seconds`) for `run()` to return by itself; its error, or nil when it returned normally.
    func exited(within seconds: Double) throws -> String? {
        guard exit.finished.wait(timeout: .now() + seconds) == .success else {
            throw TestFailure("the worker did not stop within \(seconds) s")
        }
        isStopped = true
        return exit.error
    }

    /// Stops the worker and waits (at most 20 s) for `run()` to return.
    func stop() throws {
        guard !isStopped else { return }
        node.stop()
        if let error = try exited(within: 20) { throw TestFailure("the worker failed: \(error)") }
    }

    deinit {
        if !isStopped {
            node.stop()
            _ = exit.finished.wait(timeout: .now() + 20)
        }
    }
}

/// How a worker thread's `run()` ended.
final class WorkerExit: Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let message = Mutex<String?>(nil)

    func record(_ error: String?) {
        message.withLock { $0 = error }
        finished.signal()
    }

    var error: String? { message.withLock { $0 } }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A coordinator played by the test: a ROUTER on 127.0.0.1 that answers HEARTBEAT and serves models by hash,
/// and hands every other message to the test.
final class ScriptedCoordinator {
    let context: ZMQContext
    let router: ZMQSocket
    let endpoint: String
    /// Models served on MODEL-GET.
    var models: [ContentHash: [UInt8]] = [:]
    var answersHeartbeats = true
    /// MODEL-GETs received, and the most that were outstanding at once (asked for and not yet answered when read).
    private(set) var modelGets = 0
    private(set) var maxOutstandingGets = 0
    /// Every message received, in order.
    private(set) var received: [WireMessage] = []

    /// A coordinator on a random port of 127.0.0.1; a CURVE server with `curveSecretKey`.
    init(curveSecretKey: ZMQCurveKey? = nil) throws {
        context = try ZMQContext()
        router = try context.makeSocket(.router)
        if let curveSecretKey { try router.makeCurveServer(secretKey: curveSecretKey) }
        endpoint = try router.bindToRandomPort(host: "127.0.0.1")
    }

    func send(_ message: WireMessage, to identity: [UInt8]) throws {
        try sendRaw(FrameCodec.encode(message), to: identity)
    }

    func sendRaw(_ frames: [[UInt8]], to identity: [UInt8]) throws {
        guard try router.send(to: identity, ZMQMessage(frames), timeout: .seconds(2)) else {
            throw TestFailure("could not send to the worker")
        }
    }

    /// Receives until a message matches `match` (answering HEARTBEAT and MODEL-GET on the way); nil after `within`.
    func next(within: Duration = .seconds(20),
              where match: (WireMessage) -> Bool) throws -> (identity: [UInt8], message: WireMessage)? {
        let deadline = ContinuousClock.now + within
        while true {
            while !pending.isEmpty {
                let item = pending.removeFirst()
                received.append(item.message)
                if match(item.message) { return item }
                try answer(item)
            }
            guard ContinuousClock.now < deadline else { return nil }
            // Take messages until none comes for 20 ms, so that a window of MODEL-GETs is seen together.
            while pending.count < 100, let message = try router.receiveRouted(timeout: .milliseconds(20)) {
                pending.append((message.routingID, try decode(message.message)))
            }
            maxOutstandingGets = max(maxOutstandingGets, pending.filter { $0.message.command == .modelGet }.count)
        }
    }

    private var pending: [(identity: [UInt8], message: WireMessage)] = []

    /// READY, WELCOME and the first ASK; returns the worker's routing identity.
    func join(welcome: Welcome = Welcome(workerID: 1)) throws -> [UInt8] {
        guard let (identity, _) = try next(where: { $0.command == .ready }) else { throw TestFailure("no READY") }
        try send(.welcome(welcome), to: identity)
        guard try next(where: { $0.command == .ask }) != nil else { throw TestFailure("no ASK after WELCOME") }
        return identity
    }

    private func decode(_ message: ZMQMessage) throws -> WireMessage {
        do {
            return try FrameCodec.decode(frames: message.frames)
        } catch {
            throw TestFailure("the worker sent an undecodable message: \(error)")
        }
    }

    private func answer(_ item: (identity: [UInt8], message: WireMessage)) throws {
        switch item.message {
        case .heartbeat where answersHeartbeats:
            try send(.heartbeat, to: item.identity)
        case let .modelGet(get):
            modelGets += 1
            guard let bytes = models[get.hash] else {
                try send(.error(ErrorReply(code: .modelUnavailable, command: WireCommand.modelGet.rawValue,
                                           message: "no model \(get.hash)")), to: item.identity)
                return
            }
            let start = Int(min(get.offset, UInt64(bytes.count)))
            let end = min(bytes.count, start + Int(get.length))
            try send(.modelChunk(ModelChunk(hash: get.hash, offset: UInt64(start), total: UInt64(bytes.count),
                                            data: Array(bytes[start ..< end]))), to: item.identity)
        default:
            break
        }
    }
}
