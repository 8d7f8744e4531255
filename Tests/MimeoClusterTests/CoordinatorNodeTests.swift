import Foundation
@testable import MimeoCluster
import MimeoTestSupport
import MimeoWire
import MimeoZMQ
import Testing

/// The coordinator's poll loop on the wire (docs/protocol/mwp-1.md), driven by scripted DEALER peers: a coordinator
/// on a thread per test, workers and clients that send exactly the frames a test needs.
///
/// Serialized: several tests measure heartbeat timing, which other coordinators' load would blur.
@Suite(.serialized) struct CoordinatorNodeTests {
    @Test func aJobGoesFromSubmitThroughLeasesToDoneAndAManifest() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let coordinator = try CoordinatorHarness(testConfiguration(folder))
        // A worker that runs no kind this coordinator has gets no lease, ever.
        let trainer = try Peer(coordinator.endpoint)
        try trainer.send(.ready(Ready(name: "trainer", software: "scripted-peer 1", threads: 1, slots: 1,
                                      kinds: [JobKindSupport(kind: .train, version: 1)], labels: [:])))
        #expect(try trainer.next().map { if case .welcome = $0 { true } else { false } } == true)
        try trainer.send(.ask(Ask(slots: 1)))
        let worker = try Peer(coordinator.endpoint)
        let welcome = try worker.join("w1")
        #expect(welcome == Welcome(workerID: 2, heartbeatIntervalMilliseconds: 250, heartbeatLiveness: 20,
                                   leaseTimeoutMilliseconds: 10_000, chunkBytes: 1_024))
        try worker.send(.ask(Ask(slots: 1)))

        let model = testModel(5_000)
        let output = folder.file("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let job = testJob(model: model, rows: 2 * 4_096 + 100, output: output)
        let client = try Peer(coordinator.endpoint)
        let (id, gets) = try client.submit(job, model: model, label: "happy")
        #expect(id == 1)
        // 5,000 bytes in chunks of at most 1,024: five MODEL-GETs covering the model.
        #expect(gets.count == 5)
        #expect(gets.allSatisfy { $0.hash == job.modelHash && $0.length <= 1_024 })
        #expect(gets.map(\.offset).sorted() == [0, 1_024, 2_048, 3_072, 4_096])

        let (first, shard0) = try worker.lease()
        #expect(first.id == AttemptID(job: id, shard: 0, attempt: 1))
        #expect(first.kind == .generate && first.version == 1 && first.timeoutMilliseconds == 10_000)
        #expect(shard0.firstBatch == 0 && shard0.batchCount == 1 && shard0.batchRows == 4_096)
        #expect(shard0.firstRow == 0 && shard0.rowCount == 4_096 && shard0.totalRows == job.rows)
        #expect(shard0.modelHash == job.modelHash && shard0.modelBytes == 5_000 && shard0.seed == 7)
        #expect(shard0.conditions == job.conditions && shard0.delimiter == 44)
        #expect(shard0.output == output + "/part-00000.csv")

        // The worker gets the model it was leased, byte for byte; the coordinator refuses what it cannot serve.
        #expect(try worker.fetchModel(job.modelHash, size: 5_000, chunkBytes: 1_024) == model)
        try worker.send(.modelGet(ModelGet(hash: job.modelHash, offset: 0, length: 1_025)))
        #expect(try worker.next().map(errorCode) == .tooLarge)
        try worker.send(.modelGet(ModelGet(hash: ContentHash.sha256([1, 2, 3]), offset: 0, length: 3)))
        #expect(try worker.next().map(errorCode) == .modelUnavailable)

        try worker.send(.progress(Progress(id: first.id, done: 1_000, total: 4_096)))
        // The worker's and the client's messages travel on different connections: poll until PROGRESS is in.
        var running = try client.status(id)
        #expect(try eventually {
            running = try client.status(id)
            return running.jobs.first?.unitsDone == 1_000
        })
        #expect(running.jobs.count == 1 && running.jobs[0].state == .running)
        #expect(running.jobs[0].shards == 3 && running.jobs[0].shardsLeased == 1)
        #expect(running.workers.map(\.name) == ["trainer", "w1"] && running.workers[1].state == .busy)
        #expect(running.workers[1].leases == [first.id] && running.workers[1].threads == 2)

        var results = [partResult(shard0)]
        try worker.result(first, shard0)
        // One ASK, one LEASE: the next shard waits for the next ASK.
        #expect(try worker.drain(for: .milliseconds(100)).isEmpty)
        for index in 1...2 {
            try worker.send(.ask(Ask(slots: 1)))
            let (lease, shard) = try worker.lease()
            #expect(lease.id == AttemptID(job: id, shard: UInt32(index), attempt: 1))
            #expect(shard.firstBatch == UInt64(index) && shard.firstRow == UInt64(index) * 4_096)
            #expect(shard.rowCount == (index == 2 ? 100 : 4_096))
            #expect(shard.output == output + "/part-0000\(index).csv")
            results.append(partResult(shard))
            try worker.result(lease, shard)
        }

        let done = try client.next()
        #expect(done == .done(JobDone(job: id, state: .completed, code: .none, message: "completed")))
        // The manifest is in place before DONE goes out.
        let manifest = try JobManifest.read(from: JobManifest.path(in: output))
        #expect(manifest.job == id && manifest.label == "happy" && manifest.rows == job.rows && manifest.seed == 7)
        #expect(manifest.modelSHA256 == job.modelHash.description && manifest.modelBytes == 5_000)
        #expect(manifest.shardCount == 3 && manifest.retries == 0 && manifest.failedAttempts == 0)
        #expect(manifest.parts.map(\.index) == [0, 1, 2])
        #expect(manifest.parts.map(\.file) == ["part-00000.csv", "part-00001.csv", "part-00002.csv"])
        #expect(manifest.parts.map(\.firstRow) == [0, 4_096, 8_192])
        #expect(manifest.parts.map(\.rows) == results.map(\.rows) && manifest.parts.map(\.rows) == [4_096, 4_096, 100])
        #expect(manifest.parts.map(\.bytes) == results.map(\.bytes))
        #expect(manifest.parts.map(\.sha256) == results.map(\.checksum.description))
        #expect(manifest.parts.allSatisfy { $0.worker == "w1" && $0.attempt == 1 })

        let final = try client.status(id)
        #expect(final.jobs.map(\.state) == [.completed])
        #expect(final.jobs[0].unitsDone == job.rows && final.jobs[0].unitsTotal == job.rows)
        #expect(final.jobs[0].shardsDone == 3 && final.jobs[0].shardsLeased == 0 && final.jobs[0].label == "happy")
        #expect(final.workers.map(\.name) == ["trainer", "w1"])
        #expect(final.workers[1].shardsDone == 3 && final.workers[1].state == .idle)
        #expect(try trainer.drain(for: .milliseconds(100)).isEmpty)
        let counters = coordinator.node.counters
        #expect(counters.resultsAccepted == 3 && counters.leasesSent == 3 && counters.rowsDone == job.rows)
        #expect(counters.staleAnswers == 0 && counters.droppedTotal == 0)
        #expect(coordinator.stop())
    }

    @Test func onlyTheCurrentAttemptsFirstResultCounts() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let coordinator = try CoordinatorHarness(testConfiguration(folder, leaseTimeout: 1_000))
        let worker = try Peer(coordinator.endpoint)
        _ = try worker.join("w1")
        try worker.send(.ask(Ask(slots: 1)))
        let model = testModel()
        let job = testJob(model: model, rows: 4 * 4_096, output: folder.file("out"))
        let client = try Peer(coordinator.endpoint)
        let id = try client.submit(job, model: model).job

        // A duplicate RESULT: 409, not counted twice.
        let (s0, shard0) = try worker.lease()
        try worker.result(s0, shard0)
        try worker.result(s0, shard0)
        #expect(try worker.next().map(errorCode) == .staleAttempt)
        var status = try client.status(id).jobs[0]
        #expect(status.shardsDone == 1 && status.unitsDone == 4_096)
        #expect(coordinator.node.counters.staleAnswers == 1 && coordinator.node.counters.resultsAccepted == 1)

        // A RESULT of the wrong number of rows is not accepted; the shard goes out again as attempt 2.
        try worker.send(.ask(Ask(slots: 1)))
        let (s1, shard1) = try worker.lease()
        #expect(s1.id == AttemptID(job: id, shard: 1, attempt: 1))
        try worker.result(s1, shard1, rows: shard1.rowCount - 1)
        try worker.send(.ask(Ask(slots: 1)))
        let (s1again, shard1again) = try worker.lease()
        #expect(s1again.id == AttemptID(job: id, shard: 1, attempt: 2))
        try worker.result(s1again, shard1again)
        // RESULT has no answer and STATUS comes on another connection: poll.
        #expect(try eventually { try client.status(id).jobs[0].shardsDone == 2 })
        status = try client.status(id).jobs[0]
        #expect(status.shardsDone == 2 && status.unitsDone == 2 * 4_096 && status.failedAttempts == 1)

        // A RESULT after its lease expired is stale, even before the shard is leased again.
        try worker.send(.ask(Ask(slots: 1)))
        let (s2, shard2) = try worker.lease()
        #expect(s2.id == AttemptID(job: id, shard: 2, attempt: 1))
        #expect(try eventually { try client.status(id).jobs[0].shardsLeased == 0 })
        try worker.result(s2, shard2)
        #expect(try worker.next().map(errorCode) == .staleAttempt)
        #expect(coordinator.node.counters.staleAnswers == 2 && coordinator.node.counters.leasesExpired == 1)
        #expect(try client.status(id).jobs[0].shardsDone == 2)

        // FAIL retryable: the next attempt goes out.
        try worker.send(.ask(Ask(slots: 1)))
        let (s2second, _) = try worker.lease()
        #expect(s2second.id == AttemptID(job: id, shard: 2, attempt: 2))
        try worker.send(.fail(Failure(id: s2second.id, code: .outputFailed, isRetryable: true, message: "disk full")))
        try worker.send(.ask(Ask(slots: 1)))
        let (s2third, shard2third) = try worker.lease()
        #expect(s2third.id == AttemptID(job: id, shard: 2, attempt: 3))
        // PROGRESS renews the lease: held for 1.6 s with a timeout of 1 s, then its RESULT counts.
        for done in 1...4 {
            usleep(400_000)
            try worker.send(.progress(Progress(id: s2third.id, done: UInt64(done) * 100, total: shard2third.rowCount)))
        }
        try worker.result(s2third, shard2third)
        #expect(try eventually { try client.status(id).jobs[0].shardsDone == 3 })
        #expect(coordinator.node.counters.leasesExpired == 1)

        // FAIL not retryable: the job fails at once and the client hears it.
        try worker.send(.ask(Ask(slots: 1)))
        let (s3, _) = try worker.lease()
        #expect(s3.id == AttemptID(job: id, shard: 3, attempt: 1))
        try worker.send(.fail(Failure(id: s3.id, code: .invalidJob, isRetryable: false, message: "no column sex")))
        guard case let .done(done)? = try client.next() else { Issue.record("no DONE"); return }
        #expect(done.job == id && done.state == .failed && done.message.contains("no column sex"))
        status = try client.status(id).jobs[0]
        #expect(status.state == .failed && status.shardsDone == 3 && status.failedAttempts == 4 && status.retries == 3)
        // Nothing more is leased for a failed job.
        try worker.send(.ask(Ask(slots: 1)))
        #expect(try worker.drain(for: .milliseconds(300)).isEmpty)
        #expect(coordinator.node.counters.resultsAccepted == 3)
        #expect(coordinator.stop())
    }

    @Test func aWorkerThatStopsHeartbeatingLosesItsLease() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let coordinator = try CoordinatorHarness(testConfiguration(folder, heartbeat: 100, liveness: 5,
                                                                   leaseTimeout: 30_000))
        let silent = try Peer(coordinator.endpoint)
        _ = try silent.join("silent")
        try silent.send(.ask(Ask(slots: 1)))
        let model = testModel()
        let client = try Peer(coordinator.endpoint)
        let output = folder.file("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let id = try client.submit(testJob(model: model, rows: 100, output: output), model: model).job
        let (lost, _) = try silent.lease()
        #expect(lost.id == AttemptID(job: id, shard: 0, attempt: 1))
        try silent.send(.heartbeat)
        let clock = ContinuousClock()
        let lastHeard = clock.now

        let live = try Peer(coordinator.endpoint)
        _ = try live.join("live")
        try live.send(.ask(Ask(slots: 1)))
        let (again, shard) = try live.lease(within: .seconds(5), heartbeating: true)
        let waited = clock.now - lastHeard
        try live.result(again, shard)
        #expect(again.id == AttemptID(job: id, shard: 0, attempt: 2))
        // Dead after liveness × interval = 500 ms of silence, not the 30 s lease timeout.
        #expect(waited >= .milliseconds(450) && waited < .milliseconds(2_500), "the lease moved after \(waited)")
        guard case let .done(done)? = try client.next() else { Issue.record("no DONE"); return }
        #expect(done.state == .completed)
        #expect(coordinator.node.counters.workersLost >= 1 && coordinator.node.counters.leasesExpired == 0)
        #expect(!(try client.status().workers.map(\.name).contains("silent")))

        // The forgotten worker is told to join again; its late RESULT does not count.
        try silent.result(lost, shard)
        try silent.send(.heartbeat)
        #expect(try silent.drain(for: .milliseconds(300)) == [.disconnect, .disconnect])
        #expect(coordinator.node.counters.resultsAccepted == 1)
        #expect(coordinator.stop())
    }

    @Test func hostileInputIsDroppedAndCountedWhileTheCoordinatorKeepsServing() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let coordinator = try CoordinatorHarness(testConfiguration(folder))
        var rng = SplitMix64(seed: 0x4D57_5031)
        let peers = try (0..<4).map { _ in try Peer(coordinator.endpoint) }
        var undecodable = 0
        var sent = 0
        for round in 0..<3_000 {
            let frames = hostileMessage(&rng)
            if (try? FrameCodec.decode(frames: frames)) == nil { undecodable += 1 }
            try peers[round % peers.count].sendFrames(frames)
            sent += 1
        }
        // Over the body limit: oversized.
        for peer in peers {
            try peer.sendFrames([ProtocolVersion.header, [WireCommand.status.rawValue],
                                 [UInt8](repeating: 0, count: ProtocolVersion.maxBodyBytes + 1)])
            undecodable += 1
            sent += 1
        }
        // Another major version: one ERROR 401, then nothing, whatever it sends.
        let stranger = try Peer(coordinator.endpoint)
        var ready = FrameCodec.encode(.ready(Ready(name: "future", software: "mimeo 9", threads: 1, slots: 1,
                                                   kinds: [], labels: [:])))
        ready[0] = Array("MWP02".utf8)
        for _ in 0..<5 { try stranger.sendFrames(ready) }
        try stranger.sendFrames(FrameCodec.encode(.heartbeat))
        sent += 6

        #expect(eventually(within: .seconds(20)) {
            let counters = coordinator.node.counters
            return counters.messagesIn + counters.droppedTotal >= UInt64(sent)
        })
        let counters = coordinator.node.counters
        #expect(counters.dropped["version"] == 1 && counters.dropped["refused"] == 5)
        #expect(counters.dropped["oversized", default: 0] >= UInt64(peers.count))
        #expect(counters.dropped["malformed", default: 0] > 1_000 && counters.dropped["unknown-command", default: 0] > 10)
        #expect(counters.droppedTotal == UInt64(undecodable + 6), "\(counters.dropped)")
        #expect(counters.messagesIn == UInt64(sent - undecodable - 6))

        let answers = try stranger.drain(for: .milliseconds(500))
        #expect(answers.count == 1)
        #expect(answers.first == .error(ErrorReply(code: .unsupportedVersion, command: WireCommand.ready.rawValue,
                                                   message: "this coordinator speaks MWP01")))

        // Still serving: a fresh client gets its status promptly.
        let client = try Peer(coordinator.endpoint)
        let clock = ContinuousClock()
        let started = clock.now
        #expect(try client.status(within: .seconds(2)).jobs.isEmpty)
        #expect(clock.now - started < .seconds(2))

        // Worker commands from a peer that never joined: DISCONNECT. Coordinator-only commands: 403.
        let attempt = AttemptID(job: 1, shard: 0, attempt: 1)
        let stray = try Peer(coordinator.endpoint)
        let workerCommands: [WireMessage] = [
            .ask(Ask(slots: 1)), .heartbeat, .progress(Progress(id: attempt, done: 1, total: 2)),
            .result(ShardResult(id: attempt, kind: .generate, version: 1, payload: [])),
            .fail(Failure(id: attempt, code: .internalError, isRetryable: true, message: "x")),
        ]
        for command in workerCommands {
            try stray.send(command)
            #expect(try stray.next() == .disconnect, "\(command.command)")
        }
        // MODEL-GET is also a client's (a train job's final model): answered, here with 424 for no such blob.
        try stray.send(.modelGet(ModelGet(hash: ContentHash.sha256([1]), offset: 0, length: 1)))
        guard case let .error(missing)? = try stray.next() else {
            Issue.record("no ERROR for a MODEL-GET of an unknown blob")
            return
        }
        #expect(missing.code == .modelUnavailable)
        let toWorkers: [WireMessage] = [
            .lease(MimeoWire.Lease(id: attempt, kind: .generate, version: 1, timeoutMilliseconds: 1, payload: [])),
            .welcome(Welcome(workerID: 1, heartbeatIntervalMilliseconds: 1, heartbeatLiveness: 1,
                             leaseTimeoutMilliseconds: 1, chunkBytes: 1)),
            .accepted(Accepted(request: 1, job: 1)), .done(JobDone(job: 1, state: .failed, code: .none, message: "")),
        ]
        for command in toWorkers {
            try stray.send(command)
            let reply = try stray.next()
            guard case let .error(error)? = reply else { Issue.record("\(command.command): \(String(describing: reply))"); continue }
            #expect(error.code == .unexpectedCommand && error.command == command.command.rawValue)
        }
        #expect(coordinator.stop())
        #expect(coordinator.error == nil)
    }

    @Test func cancelStopsTheHoldersAndMakesLaterResultsStale() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let coordinator = try CoordinatorHarness(testConfiguration(folder))
        let worker = try Peer(coordinator.endpoint)
        _ = try worker.join("w1")
        try worker.send(.ask(Ask(slots: 1)))
        let model = testModel()
        let submitter = try Peer(coordinator.endpoint)
        let id = try submitter.submit(testJob(model: model, rows: 2 * 4_096, output: folder.file("out")),
                                      model: model).job
        let (lease, shard) = try worker.lease()

        let canceller = try Peer(coordinator.endpoint)
        try canceller.send(.cancel(Cancel(job: id)))
        #expect(try worker.next() == .cancel(Cancel(job: id)))
        let cancelled = WireMessage.done(JobDone(job: id, state: .cancelled, code: .cancelled, message: "cancelled"))
        #expect(try submitter.next() == cancelled)
        #expect(try canceller.next() == cancelled)

        try worker.result(lease, shard)
        #expect(try worker.next().map(errorCode) == .staleAttempt)
        try worker.send(.ask(Ask(slots: 1)))
        #expect(try worker.drain(for: .milliseconds(300)).isEmpty)
        let status = try submitter.status(id).jobs[0]
        #expect(status.state == .cancelled && status.shardsDone == 0 && status.shardsLeased == 0)
        #expect(coordinator.node.counters.staleAnswers == 1 && coordinator.node.counters.resultsAccepted == 0)

        try canceller.send(.cancel(Cancel(job: 99)))
        #expect(try canceller.next().map(errorCode) == .unknownJob)
        try canceller.send(.status(StatusQuery(job: 99)))
        #expect(try canceller.next().map(errorCode) == .unknownJob)
        #expect(coordinator.stop())
    }

    @Test func aRestartedCoordinatorResumesTheJobFromItsStateFile() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let configuration = testConfiguration(folder)
        let first = try CoordinatorHarness(configuration)
        let old = try Peer(first.endpoint)
        _ = try old.join("w1")
        try old.send(.ask(Ask(slots: 1)))
        let model = testModel()
        let output = folder.file("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let job = testJob(model: model, rows: 2 * 4_096, output: output)
        let client = try Peer(first.endpoint)
        let id = try client.submit(job, model: model).job
        let (lease, shard) = try old.lease()
        #expect(lease.id == AttemptID(job: id, shard: 0, attempt: 1))
        #expect(first.stop())
        // A coordinator that stops tells its workers.
        #expect(try old.next(within: .seconds(2)) == .disconnect)

        let second = try CoordinatorHarness(configuration)
        #expect(second.endpoint != first.endpoint)
        let watcher = try Peer(second.endpoint)
        let resumed = try watcher.status(id).jobs
        #expect(resumed.count == 1 && resumed[0].state == .running && resumed[0].shardsLeased == 0)
        #expect(resumed[0].failedAttempts == 1 && resumed[0].shardsDone == 0)

        // The old worker, still holding its lease, reaches the new coordinator: it must join again.
        try old.socket.disconnect(first.endpoint)
        try old.socket.connect(second.endpoint)
        try old.send(.heartbeat)
        #expect(try old.next() == .disconnect)
        try old.result(lease, shard)
        #expect(try old.next() == .disconnect)

        let fresh = try Peer(second.endpoint)
        _ = try fresh.join("w2")
        try fresh.send(.ask(Ask(slots: 2)))
        let (retry, retryShard) = try fresh.lease()
        let (other, otherShard) = try fresh.lease()
        #expect(retry.id == AttemptID(job: id, shard: 0, attempt: 2))
        #expect(other.id == AttemptID(job: id, shard: 1, attempt: 1))
        // The model survived the restart too.
        #expect(try fresh.fetchModel(job.modelHash, size: UInt64(model.count), chunkBytes: 1_024) == model)
        try fresh.result(retry, retryShard)
        try fresh.result(other, otherShard)
        #expect(try eventually { try watcher.status(id).jobs[0].state == .completed })
        let manifest = try JobManifest.read(from: JobManifest.path(in: output))
        #expect(manifest.parts.map(\.attempt) == [2, 1] && manifest.parts.map(\.worker) == ["w2", "w2"])
        #expect(manifest.retries == 1 && manifest.failedAttempts == 1)
        #expect(second.stop())
    }

    @Test func aModelWhoseBytesDoNotMatchItsHashIsRefusedAndNoJobIsStored() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let configuration = testConfiguration(folder)
        let coordinator = try CoordinatorHarness(configuration)
        let model = testModel(3_000)
        let job = testJob(model: model, rows: 100, output: folder.file("out"))
        let client = try Peer(coordinator.endpoint)
        try client.send(.submit(Submit(request: 1, label: "forged", work: job)))
        var reply: WireMessage?
        var chunks = 0
        while true {
            reply = try client.next()
            guard case let .modelGet(get)? = reply else { break }
            // The right sizes, the wrong bytes: each chunk reversed.
            let end = min(model.count, Int(get.offset) + Int(get.length))
            try client.send(.modelChunk(ModelChunk(hash: get.hash, offset: get.offset, total: UInt64(model.count),
                                                   data: Array(model[Int(get.offset)..<end].reversed()))))
            chunks += 1
        }
        #expect(chunks == 3)
        guard case let .error(error)? = reply else { Issue.record("expected ERROR, got \(String(describing: reply))"); return }
        #expect(error.code == .modelUnavailable && error.command == WireCommand.submit.rawValue)
        #expect(try client.drain(for: .milliseconds(200)).isEmpty)
        #expect(try client.status().jobs.isEmpty)
        #expect(try BlobStore(root: configuration.resolvedModelsPath).size(of: job.modelHash) == nil)

        // The same client can then submit with the right bytes.
        #expect(try client.submit(job, model: model, request: 2).job == 1)
        #expect(try BlobStore(root: configuration.resolvedModelsPath).size(of: job.modelHash) == 3_000)
        #expect(coordinator.stop())
    }

    @Test func withCurveOnlyListedKeysAreServed() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let server = try ZMQCurveKeyPair.generate()
        let workerKeys = try ZMQCurveKeyPair.generate()
        let clientKeys = try ZMQCurveKeyPair.generate()
        let strangerKeys = try ZMQCurveKeyPair.generate()
        var configuration = testConfiguration(folder)
        configuration.curve = CurveServerKeys(keyPair: server, allowList: [workerKeys.publicKey, clientKeys.publicKey])
        let coordinator = try CoordinatorHarness(configuration)

        let listed = try Peer(coordinator.endpoint, curve: CurveClientKeys(keyPair: workerKeys, serverKey: server.publicKey))
        #expect(try listed.join("listed").workerID == 1)

        let stranger = try Peer(coordinator.endpoint, curve: CurveClientKeys(keyPair: strangerKeys, serverKey: server.publicKey),
                                monitored: true)
        try stranger.send(.ready(Ready(name: "stranger", software: "x", threads: 1, slots: 1,
                                       kinds: [JobKindSupport(kind: .generate, version: 1)], labels: [:])))
        #expect(try stranger.next(within: .seconds(1)) == nil)
        // The ZAP handler refused the handshake with status 400.
        let refusal = try stranger.monitor?.waitForEvent(.handshakeFailedAuth, timeout: .seconds(2))
        #expect(refusal?.value == 400)

        let plaintext = try Peer(coordinator.endpoint)
        try plaintext.send(.status(StatusQuery()))
        #expect(try plaintext.next(within: .milliseconds(500)) == nil)

        let client = try ClusterClient(endpoint: coordinator.endpoint,
                                       curve: CurveClientKeys(keyPair: clientKeys, serverKey: server.publicKey))
        let snapshot = try client.status(timeout: .seconds(3))
        #expect(snapshot.workers.map(\.name) == ["listed"])
        #expect(coordinator.node.counters.workersUp == 1)
        #expect(coordinator.stop())
    }

    @Test func clusterClientSubmitsAndWaitsWhileScriptedWorkersWork() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-coordinator")
        let coordinator = try CoordinatorHarness(testConfiguration(folder))
        let workers = ScriptedWorkers(2, endpoint: coordinator.endpoint)
        let model = testModel(4_000)
        let modelPath = try folder.write(model, to: "model.mimeo")
        let output = folder.file("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let job = testJob(model: model, rows: 5 * 4_096 + 1, output: output)

        let client = try ClusterClient(endpoint: coordinator.endpoint, replyTimeout: .seconds(3))
        let id = try client.submit(job, label: "scripted", modelPath: modelPath)
        var seen: [UInt64] = []
        let outcome = try client.wait(for: id, interval: .milliseconds(100), patience: .seconds(10)) { seen.append($0.unitsDone) }
        #expect(outcome.state == .completed)
        #expect(outcome.status?.unitsDone == job.rows && outcome.status?.shardsDone == 6)
        #expect(seen == seen.sorted())
        #expect(eventually { workers.shardsDone == 6 })
        #expect(try JobManifest.read(from: JobManifest.path(in: output)).parts.count == 6)
        // Workers that leave say DISCONNECT: gone at once, not counted as lost.
        #expect(workers.stop() && workers.errors.isEmpty)
        #expect(try eventually { try client.status().workers.isEmpty })
        #expect(coordinator.node.counters.workersLost == 0)

        // With nobody to run it, a job whose wait is stopped is cancelled (the model is not uploaded again).
        let second = try client.submit(job, label: "stopped", modelPath: modelPath)
        #expect(second == id + 1)
        let stop = StopSignal()
        stop.stop()
        let cancelled = try client.wait(for: second, interval: .milliseconds(100), stop: stop)
        #expect(cancelled.state == .cancelled)
        #expect(try client.status(job: second).jobs.map(\.state) == [.cancelled])
        #expect(throws: ClusterError.self) { try client.status(job: 99) }
        #expect(coordinator.stop())
    }

    @Test func aManifestReadsBackAsWritten() throws {
        let folder = try TemporaryDirectory(prefix: "mimeo-manifest")
        let manifest = JobManifest(
            job: 3, label: "adult", modelSHA256: ContentHash.sha256([1, 2]).description, modelBytes: 2, rows: 4_097,
            seed: 7, conditions: [.init(column: "sex", value: "Female"), .init(column: "age", value: nil)],
            delimiter: ",", batchRows: 4_096, shardCount: 2,
            parts: [.init(index: 0, file: "part-00000.csv", firstRow: 0, rows: 4_096, bytes: 99, sha256: "ab",
                          worker: "w1", attempt: 1, elapsedMilliseconds: 5),
                    .init(index: 1, file: "part-00001.csv", firstRow: 4_096, rows: 1, bytes: 20, sha256: "cd",
                          worker: "w2", attempt: 2, elapsedMilliseconds: 6)],
            retries: 1, failedAttempts: 1, submittedAt: 10, startedAt: 11, finishedAt: 12,
            summaries: PartSummaries(statistics: nil, summary: nil))
        let path = folder.file("_manifest.json")
        try manifest.write(to: path)
        #expect(try JobManifest.read(from: path) == manifest)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"model_sha256\"") && text.contains("\"first_row\"") && text.contains("\"elapsed_milliseconds\""))
    }

    @Test func clusterClientStatusAgainstNothingThrowsWithinItsTimeout() throws {
        let probe = try ZMQContext()
        let socket = try probe.makeSocket(.router)
        let endpoint = try socket.bindToRandomPort()
        socket.close()
        let client = try ClusterClient(endpoint: endpoint, replyTimeout: .milliseconds(400))
        let clock = ContinuousClock()
        var started = clock.now
        #expect(throws: ClusterError.self) { try client.status() }
        #expect(clock.now - started < .seconds(2))
        started = clock.now
        #expect(throws: ClusterError.self) { try client.status(timeout: .milliseconds(200)) }
        #expect(clock.now - started < .seconds(1))
    }
}

/// The code of an ERROR, or nil for anything else.
private func errorCode(_ message: WireMessage) -> ErrorCode? {
    if case let .error(reply) = message { reply.code } else { nil }
}

/// One hostile message: random frame counts and sizes (empty frames, some up to 1 MiB), often a valid header or
/// command code with garbage after it; never another major version's header (the test sends those itself).
private func hostileMessage(_ rng: inout SplitMix64) -> [[UInt8]] {
    let count = Int.random(in: 1...6, using: &rng)
    var frames = (0..<count).map { _ -> [UInt8] in
        switch Int.random(in: 0..<1_000, using: &rng) {
        case 0..<3: randomBytes(Int.random(in: 65_536...(1 << 20), using: &rng), &rng)
        case 3..<200: []
        default: randomBytes(Int.random(in: 1...64, using: &rng), &rng)
        }
    }
    let style = Int.random(in: 0..<4, using: &rng)
    if style >= 1 { frames[0] = ProtocolVersion.header }
    if style >= 2, frames.count >= 2 { frames[1] = [UInt8.random(in: 0...0x15, using: &rng)] }
    if let major = FrameCodec.majorVersion(ofHeader: frames[0]), major != ProtocolVersion.major {
        frames[0] = Array("XWP01".utf8)
    }
    return frames
}
