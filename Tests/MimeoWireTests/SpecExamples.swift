@testable import MimeoWire

/// The values of the example messages in `docs/protocol/mwp-1.md`, by the name on their hex block.
///
/// `SpecExamplesTests` decodes each hex block of the spec and compares it with these values, then encodes these
/// values and compares them with the hex, so the spec, this file and the codec cannot drift apart.
enum SpecExamples {
    /// SHA-256 of the three bytes "abc": the model of the examples.
    static let modelHash = ContentHash(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")!
    /// SHA-256 of no bytes: the part checksum of the RESULT example.
    static let partChecksum = ContentHash(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")!
    static let conditions = [WireCondition(column: "sex", value: "Female")]

    static let generateJob = GenerateJob(modelHash: modelHash, modelBytes: 3, rows: 50_000, seed: 7, batchesPerShard: 3,
                                         conditions: conditions, delimiter: UInt8(ascii: ","), output: "out",
                                         maxAttempts: 5)
    static let generateShard = GenerateShard(modelHash: modelHash, modelBytes: 3, seed: 7, totalRows: 50_000,
                                             batchRows: 4_096, firstBatch: 12, batchCount: 1, conditions: conditions,
                                             delimiter: UInt8(ascii: ","), output: "out/part-00004.csv")
    /// The real table of the version 2 examples: the six bytes "x\n1\n2\n" (their SHA-256).
    static let realTable = BlobReference(
        hash: ContentHash(hex: "aea284871ddeeebac4b57b7a8ee7dad070886e690408ce2409306b9b6487beb1")!, bytes: 6)
    static let generateJobV2: GenerateJob = {
        var job = generateJob
        job.realTable = realTable
        return job
    }()
    static let generateShardV2: GenerateShard = {
        var shard = generateShard
        shard.realTable = realTable
        return shard
    }()
    /// The version 3 examples: the version 1 values with `--rare-values token --temperature 1.5
    /// --rebalance income='>50K':0.5`.
    static let sampling = WireSampling(rareValues: 1, temperature: 1.5,
                                       rebalance: [WireRebalance(column: "income", value: ">50K", share: 0.5)])
    static let generateJobV3: GenerateJob = {
        var job = generateJob
        job.sampling = sampling
        return job
    }()
    static let generateShardV3: GenerateShard = {
        var shard = generateShard
        shard.sampling = sampling
        return shard
    }()
    static let generateResult = GenerateResult(rows: 848, bytes: 97_011, checksum: partChecksum, elapsedMilliseconds: 95,
                                               summaryVersion: 1, summaries: [0xDE, 0xAD, 0xBE, 0xEF])
    static let attempt = AttemptID(job: 42, shard: 4, attempt: 2)

    // Job kind 2 (train).
    static func sha256(_ hex: String) -> ContentHash { ContentHash(hex: hex)! }
    static let key1 = SitePublicKey(bytes: Array(repeating: 1, count: 32))!
    static let key2 = SitePublicKey(bytes: Array(repeating: 2, count: 32))!
    static let trainJob = TrainJob(
        mode: .federated, rounds: 40, localEpochs: 1, minSites: 3, strategy: .fedProx, proximalMu: 0.01,
        roundTimeoutMilliseconds: 120_000, roundAttempts: 3, enrolmentTimeoutMilliseconds: 600_000, seed: 7,
        rareThreshold: 20, keyID: "site-key-1", secureAggregation: true,
        privacy: DifferentialPrivacySettings(epsilon: 4, delta: 1e-6, clip: 1), settings: Array(#"{"width":2}"#.utf8))
    static let trainJobDataParallel = TrainJob(
        mode: .dataParallel, rounds: 10, localEpochs: 0, localSteps: 200, minSites: 2, seed: 7, rareThreshold: 20,
        keyID: "dp", table: realTable)
    static let trainTaskLoad = TrainTask(round: 0, site: "w1", work: .load(TrainLoad(
        table: realTable, offset: 2, length: 4,
        rangeHash: sha256("a6e2b7a040683432de03a18fd8a1939a2fdf82585b364bfc874bdd4095c4cae1"),
        header: Array("x".utf8))))
    static let trainTaskCounts = TrainTask(round: 0, site: "site-a", work: .analyzeCounts(TrainAnalyzeCounts(
        rareThreshold: 20, keyID: "site-key-1", sendPublicKey: true)))
    static let trainTaskValues = TrainTask(round: 0, site: "site-a", work: .analyzeValues(TrainAnalyzeValues(
        requested: [KeyedValue(column: 3, hash: modelHash), KeyedValue(column: 5, hash: partChecksum)])))
    static let trainTaskRound = TrainTask(round: 12, site: "site-a", work: .trainRound(TrainRoundWork(
        model: BlobReference(hash: modelHash, bytes: 3), localEpochs: 1, localSteps: 0, strategy: .fedProx,
        proximalMu: 0.01, clip: 1, masking: TrainMasking(clipBound: 1, maximumSites: 3, weightCap: 10_000),
        participants: [TrainParticipant(site: "site-a", publicKey: key1),
                       TrainParticipant(site: "site-b", publicKey: key2)],
        seed: 19)))
    static let trainResultLoad = TrainTaskResult(outcome: .loaded(rows: 2))
    static let trainResultCounts = TrainTaskResult(outcome: .counts(summaryVersion: 1, summary: [0xDE, 0xAD, 0xBE, 0xEF],
                                                                    publicKey: key1))
    static let trainResultValues = TrainTaskResult(outcome: .values([
        RevealedValue(key: KeyedValue(column: 3, hash: modelHash), value: "Female")]))
    static let trainResultRound = TrainTaskResult(outcome: .round(TrainRoundResult(
        round: 12, examples: 10_000, trainLoss: 0.5, validationExamples: 2_500, validationLoss: 0.625,
        elapsedMilliseconds: 1_500, update: .binary32([0.5, -0.25, 1]))))
    /// SHA-256 of 1,024 zero bytes.
    static let zeros1024 = sha256("5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef")
    static let trainResultRoundByHash = TrainTaskResult(outcome: .round(TrainRoundResult(
        round: 12, examples: 10_000, trainLoss: 0.5, validationExamples: 0, validationLoss: nil,
        elapsedMilliseconds: 1_500,
        update: TrainUpdate(encoding: .maskedWords, body: .reference(BlobReference(hash: zeros1024, bytes: 1_024))))))
    static let trainDetail = TrainDetail(
        phase: .trainRound, round: 12, roundsPlanned: 40,
        sites: [TrainSiteDetail(name: "site-a", examples: 10_000, trainLoss: 0.5, validationLoss: 0.625,
                                contribution: 0.5, lastRound: 12),
                TrainSiteDetail(name: "site-b", examples: 10_000, trainLoss: 0.75, validationLoss: nil,
                                contribution: 0.5, lastRound: 11)],
        losses: [TrainRoundLoss(round: 10, validationLoss: 0.75), TrainRoundLoss(round: 11, validationLoss: 0.6875)],
        privacy: TrainPrivacySpent(epsilon: 1.5, delta: 1e-6), etaMilliseconds: 84_000, finalModel: nil)

    /// Job payload examples (blocks tagged `mwp-payload NAME`).
    static let payloads: [String: (kind: JobKind, version: UInt16, bytes: [UInt8], decode: @Sendable ([UInt8]) throws -> Bool)] = [
        "GenerateJob": (.generate, 1, generateJob.encoded(), { try GenerateJob.decode(kind: .generate, version: 1, payload: $0) == generateJob }),
        "GenerateShard": (.generate, 1, generateShard.encoded(), { try GenerateShard.decode(kind: .generate, version: 1, payload: $0) == generateShard }),
        "GenerateJobV2": (.generate, 2, generateJobV2.encoded(), { try GenerateJob.decode(kind: .generate, version: 2, payload: $0) == generateJobV2 }),
        "GenerateShardV2": (.generate, 2, generateShardV2.encoded(), { try GenerateShard.decode(kind: .generate, version: 2, payload: $0) == generateShardV2 }),
        "GenerateJobV3": (.generate, 3, generateJobV3.encoded(), { try GenerateJob.decode(kind: .generate, version: 3, payload: $0) == generateJobV3 }),
        "GenerateShardV3": (.generate, 3, generateShardV3.encoded(), { try GenerateShard.decode(kind: .generate, version: 3, payload: $0) == generateShardV3 }),
        "GenerateResult": (.generate, 1, generateResult.encoded(), { try GenerateResult.decode(kind: .generate, version: 1, payload: $0) == generateResult }),
        "TrainJob": (.train, 1, trainJob.encoded(), { try TrainJob.decode(kind: .train, version: 1, payload: $0) == trainJob }),
        "TrainJobDataParallel": (.train, 1, trainJobDataParallel.encoded(), { try TrainJob.decode(kind: .train, version: 1, payload: $0) == trainJobDataParallel }),
        "TrainTaskLoad": (.train, 1, trainTaskLoad.encoded(), { try TrainTask.decode(kind: .train, version: 1, payload: $0) == trainTaskLoad }),
        "TrainTaskCounts": (.train, 1, trainTaskCounts.encoded(), { try TrainTask.decode(kind: .train, version: 1, payload: $0) == trainTaskCounts }),
        "TrainTaskValues": (.train, 1, trainTaskValues.encoded(), { try TrainTask.decode(kind: .train, version: 1, payload: $0) == trainTaskValues }),
        "TrainTaskRound": (.train, 1, trainTaskRound.encoded(), { try TrainTask.decode(kind: .train, version: 1, payload: $0) == trainTaskRound }),
        "TrainResultLoad": (.train, 1, trainResultLoad.encoded(), { try TrainTaskResult.decode(kind: .train, version: 1, payload: $0) == trainResultLoad }),
        "TrainResultCounts": (.train, 1, trainResultCounts.encoded(), { try TrainTaskResult.decode(kind: .train, version: 1, payload: $0) == trainResultCounts }),
        "TrainResultValues": (.train, 1, trainResultValues.encoded(), { try TrainTaskResult.decode(kind: .train, version: 1, payload: $0) == trainResultValues }),
        "TrainResultRound": (.train, 1, trainResultRound.encoded(), { try TrainTaskResult.decode(kind: .train, version: 1, payload: $0) == trainResultRound }),
        "TrainResultRoundByHash": (.train, 1, trainResultRoundByHash.encoded(), { try TrainTaskResult.decode(kind: .train, version: 1, payload: $0) == trainResultRoundByHash }),
        "TrainDetail": (.train, 1, trainDetail.encoded(), { try TrainDetail.decode(kind: .train, version: 1, detail: $0) == trainDetail }),
    ]

    /// Message examples (blocks tagged `mwp NAME`).
    static let messages: [String: WireMessage] = [
        "READY": .ready(Ready(name: "w1", software: "mimeo 0.7", threads: 2, slots: 1,
                              kinds: [JobKindSupport(kind: .generate, version: 1)], labels: ["site": "a"])),
        "WELCOME": .welcome(Welcome(workerID: 7)),
        "HEARTBEAT": .heartbeat,
        "ASK": .ask(Ask(slots: 1)),
        "LEASE": .lease(Lease(id: attempt, work: generateShard)),
        "PROGRESS": .progress(Progress(id: attempt, done: 512, total: 848)),
        "RESULT": .result(ShardResult(id: attempt, work: generateResult)),
        "FAIL": .fail(Failure(id: AttemptID(job: 42, shard: 2, attempt: 1), code: .outputFailed, isRetryable: true,
                              message: "No space left on device")),
        "CANCEL": .cancel(Cancel(job: 42)),
        "MODEL-GET": .modelGet(ModelGet(hash: modelHash, offset: 0, length: 1 << 20)),
        "MODEL-CHUNK": .modelChunk(ModelChunk(hash: modelHash, offset: 0, total: 3, data: Array("abc".utf8))),
        "SUBMIT": .submit(Submit(request: 1, label: "adult 50k", work: generateJob)),
        "ACCEPTED": .accepted(Accepted(request: 1, job: 42)),
        "STATUS": .status(StatusQuery(job: 0)),
        "STATUS-REPLY": .statusReply(StatusSnapshot(
            time: 1_796_097_600_000,
            workers: [WorkerStatus(workerID: 7, name: "w1", address: "tcp://127.0.0.2:41234", state: .busy,
                                   lastHeardMilliseconds: 250, threads: 2, slots: 1, leases: [attempt],
                                   unitsPerSecond: 48_000, shardsDone: 4)],
            jobs: [JobStatus(job: 42, kind: .generate, state: .running, label: "adult 50k", shards: 5, shardsDone: 4,
                             shardsLeased: 1, unitsTotal: 50_000, unitsDone: 49_152, unitsPerSecond: 47_500,
                             retries: 1, failedAttempts: 1, startedAt: 1_796_097_598_900, elapsedMilliseconds: 1_100)])),
        "DONE": .done(JobDone(job: 42, state: .completed, code: .none, message: "")),
        "ERROR": .error(ErrorReply(code: .unsupportedVersion, command: WireCommand.ready.rawValue,
                                   message: "MWP02 is not supported; this coordinator speaks MWP01")),
        "DISCONNECT": .disconnect,
        "JOB-DETAIL": .jobDetail(JobDetailQuery(job: 43)),
        "JOB-DETAIL-REPLY": .jobDetailReply(JobDetail(job: 43, body: trainDetail)),
    ]
}
