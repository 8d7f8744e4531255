import MimeoTestSupport
import Testing

@testable import MimeoWire

/// Decodes `frames`; when the codec accepts them, they must be the canonical encoding of what it returns.
func decodeChecked(_ frames: [[UInt8]]) -> Result<WireMessage, WireError> {
    do throws(WireError) {
        let message = try FrameCodec.decode(frames: frames)
        #expect(FrameCodec.encode(message) == frames, "accepted a non-canonical encoding of \(message.command.name)")
        return .success(message)
    } catch {
        return .failure(error)
    }
}

func expectError(_ frames: [[UInt8]], _ expected: WireError, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(throws: expected, sourceLocation: sourceLocation) { try FrameCodec.decode(frames: frames) }
}

let header = ProtocolVersion.header

@Suite struct FrameCodecTests {
    static let examples = SpecExamples.messages.sorted { $0.key < $1.key }.map(\.value)

    /// Messages beyond the spec's examples: edge values, empty and full lists, absent optionals, Unicode.
    static let variants: [WireMessage] = [
        .ready(Ready(minor: 65_535, name: "", software: "", threads: 0, slots: 65_535, kinds: [], labels: [:])),
        .ready(Ready(name: "nœud-β 🚀", software: "x", threads: 64, slots: 2,
                     kinds: [JobKindSupport(kind: .generate, version: 1), JobKindSupport(kind: .train, version: 3)],
                     labels: ["b": "2", "a": "1", "ä": "3", "": "empty key"])),
        .welcome(Welcome(minor: 1, workerID: .max, heartbeatIntervalMilliseconds: 1, heartbeatLiveness: 1,
                         leaseTimeoutMilliseconds: .max, chunkBytes: ProtocolVersion.maxChunkBytes)),
        .ask(Ask(slots: .max)),
        .lease(Lease(id: AttemptID(job: 1, shard: 0, attempt: 1), kind: JobKind(rawValue: 77), version: 9,
                     timeoutMilliseconds: 1, payload: [])),
        .lease(Lease(id: AttemptID(job: .max, shard: .max, attempt: .max), work: GenerateShard(
            modelHash: SpecExamples.modelHash, modelBytes: .max, seed: .max, totalRows: 1, batchRows: 4_096,
            firstBatch: 0, batchCount: 1, conditions: [WireCondition(column: "c", value: nil)], delimiter: 9,
            output: "part-00000.csv"))),
        .progress(Progress(id: AttemptID(job: 3, shard: 1, attempt: 1), done: .max, total: .max)),
        .result(ShardResult(id: AttemptID(job: 3, shard: 1, attempt: 1), kind: .train, version: 1,
                            payload: Array(repeating: 0xAB, count: 300))),
        .fail(Failure(id: AttemptID(job: 3, shard: 1, attempt: 4), code: .modelUnavailable, isRetryable: false,
                      message: "")),
        .modelChunk(ModelChunk(hash: SpecExamples.partChecksum, offset: 10, total: 10, data: [])),
        .modelChunk(ModelChunk(hash: SpecExamples.partChecksum, offset: .max - 3, total: .max, data: [1, 2, 3])),
        .submit(Submit(request: 0, kind: .reserved3, version: 2, label: "", payload: [0])),
        .status(StatusQuery(job: .max)),
        .statusReply(StatusSnapshot(time: 0, workers: [], jobs: [])),
        .done(JobDone(job: 9, state: .failed, code: .outputFailed, message: "disk full")),
        .done(JobDone(job: 9, state: .cancelled, code: .cancelled, message: "")),
        .error(ErrorReply(code: ErrorCode(rawValue: 65_535), command: 0, message: "x")),
    ]

    @Test(arguments: examples + variants)
    func roundTrips(message: WireMessage) throws {
        let frames = FrameCodec.encode(message)
        #expect(frames.count == message.command.frameCount)
        #expect(try FrameCodec.decode(frames: frames) == message)
    }

    @Test func generatePayloadsRoundTrip() throws {
        let shard = GenerateShard(modelHash: SpecExamples.modelHash, modelBytes: 1, seed: 0, totalRows: 10_000_000,
                                  batchRows: 4_096, firstBatch: 2_440, batchCount: 2, conditions: [],
                                  delimiter: 44, output: "o")
        #expect(shard.firstRow == 9_994_240 && shard.rowCount == 5_760)
        #expect(try GenerateShard.decode(kind: .generate, version: 1, payload: shard.encoded()) == shard)
        let job = GenerateJob(modelHash: SpecExamples.modelHash, modelBytes: 1, rows: .max, seed: .max,
                              batchesPerShard: 0, conditions: [WireCondition(column: "a", value: ""),
                                                               WireCondition(column: "b", value: nil)],
                              delimiter: 9, output: "/data/out", maxAttempts: 0)
        #expect(try GenerateJob.decode(kind: .generate, version: 1, payload: job.encoded()) == job)
        let result = GenerateResult(rows: 0, bytes: 10, checksum: SpecExamples.modelHash, elapsedMilliseconds: 0,
                                    summaryVersion: 7, summaries: [])
        #expect(try GenerateResult.decode(kind: .generate, version: 1, payload: result.encoded()) == result)
        #expect(throws: WireError.unsupportedPayload(kind: 1, version: 2)) {
            try GenerateResult.decode(kind: .generate, version: 2, payload: result.encoded())
        }
        #expect(throws: WireError.trailingBytes(frame: 4, count: 1)) {
            try GenerateResult.decode(kind: .generate, version: 1, payload: result.encoded() + [0])
        }
    }

    @Test func aShardWhoseRowsAreNotItsBatchesIsMalformed() throws {
        let good = GenerateShard(modelHash: SpecExamples.modelHash, modelBytes: 3, seed: 7, totalRows: 50_000,
                                 batchRows: 4_096, firstBatch: 3, batchCount: 3, conditions: [], delimiter: 44,
                                 output: "p")
        #expect(try GenerateShard.decode(kind: .generate, version: 1, payload: good.encoded()) == good)
        var shifted = good
        shifted.firstRow += 1
        var short = good
        short.rowCount -= 1
        var pastEnd = good
        pastEnd.firstBatch = 13  // batch 13 starts at row 53,248 > 50,000
        pastEnd.firstRow = 13 * 4_096
        pastEnd.rowCount = 0
        var emptyLastBatch = GenerateShard(modelHash: SpecExamples.modelHash, modelBytes: 3, seed: 7, totalRows: 8_192,
                                           batchRows: 4_096, firstBatch: 1, batchCount: 1, conditions: [],
                                           delimiter: 44, output: "p")
        emptyLastBatch.batchCount = 2  // the second batch would have no rows
        var overflowing = good
        overflowing.firstBatch = .max
        overflowing.firstRow = .max
        for bad in [shifted, short, pastEnd, emptyLastBatch, overflowing] {
            #expect(throws: WireError.self) { try GenerateShard.decode(kind: .generate, version: 1, payload: bad.encoded()) }
        }
    }

    @Test func everyTruncationOfEveryExampleIsRefused() throws {
        for message in Self.examples + Self.variants {
            let frames = FrameCodec.encode(message)
            // Drop frames from the end, or add an extra frame.
            for count in 0 ..< frames.count {
                #expect(throws: WireError.self) { try FrameCodec.decode(frames: Array(frames.prefix(count))) }
            }
            #expect(throws: WireError.self) { try FrameCodec.decode(frames: frames + [[]]) }
            // Cut frames 1 to 3 at every length; frame 4 is opaque bytes, checked by its payload (below).
            for index in 0 ..< min(frames.count, 3) {
                for length in 0 ..< frames[index].count {
                    var cut = frames
                    cut[index] = Array(frames[index].prefix(length))
                    #expect(throws: WireError.self, "\(message.command.name) frame \(index + 1) cut to \(length)") {
                        try FrameCodec.decode(frames: cut)
                    }
                }
            }
            if case .modelChunk = message, let data = frames.last, !data.isEmpty {
                #expect(throws: WireError.self) { try FrameCodec.decode(frames: frames.dropLast() + [data.dropLast()]) }
            }
        }
        for (name, example) in SpecExamples.payloads {
            for length in 0 ..< example.bytes.count {
                #expect(throws: (any Error).self, "\(name) cut to \(length)") {
                    try example.decode(Array(example.bytes.prefix(length)))
                }
            }
        }
    }

    @Test func everySingleByteChangeIsRefusedOrReencodesExactly() throws {
        var accepted = 0
        var refused = 0
        for message in Self.examples {
            let frames = FrameCodec.encode(message)
            for index in frames.indices where index < 3 {
                for position in frames[index].indices {
                    for value in UInt8.min ... UInt8.max where value != frames[index][position] {
                        var changed = frames
                        changed[index][position] = value
                        switch decodeChecked(changed) {
                        case .success: accepted += 1
                        case .failure: refused += 1
                        }
                    }
                }
            }
        }
        // Changing the header or command always fails; changing a number or a character of a string may not.
        #expect(refused > 0 && accepted > 0)
        for (name, example) in SpecExamples.payloads {
            for position in example.bytes.indices {
                for value in UInt8.min ... UInt8.max where value != example.bytes[position] {
                    var changed = example.bytes
                    changed[position] = value
                    _ = try? example.decode(changed)  // must not trap
                }
            }
            _ = name
        }
    }

    @Test func headerAndCommandErrors() {
        let ask: [UInt8] = [0x00, 0x01]
        expectError([Array("MWP02".utf8), [0x04], ask], .unsupportedVersion(major: 2))
        expectError([Array("MWP00".utf8), [0x04], ask], .unsupportedVersion(major: 0))
        expectError([Array("MWP99".utf8)], .unsupportedVersion(major: 99))
        expectError([Array("MDPW01".utf8), [0x04], ask], .notMWP)
        expectError([Array("MWP1".utf8), [0x04], ask], .notMWP)
        expectError([Array("MWPx1".utf8), [0x04], ask], .notMWP)
        expectError([Array("mwp01".utf8), [0x04], ask], .notMWP)
        expectError([[], [0x04], ask], .notMWP)
        expectError([], .frameCount(command: nil, expected: nil, actual: 0))
        expectError([header], .frameCount(command: nil, expected: nil, actual: 1))
        expectError([header, [0x04], ask, [], []], .frameCount(command: nil, expected: nil, actual: 5))
        expectError([header, [], ask], .badCommandFrame(length: 0))
        expectError([header, [0x04, 0x00], ask], .badCommandFrame(length: 2))
        for code: UInt8 in [0x00, 0x15, 0x7F, 0xFF] { expectError([header, [code], ask], .unknownCommand(code)) }
        expectError([header, [0x04]], .frameCount(command: "ASK", expected: 3, actual: 2))
        expectError([header, [0x03], []], .frameCount(command: "HEARTBEAT", expected: 2, actual: 3))
        expectError([header, [0x05], [UInt8](repeating: 1, count: 24)], .frameCount(command: "LEASE", expected: 4, actual: 3))
        #expect(WireError.unsupportedVersion(major: 2).code == .unsupportedVersion)
        #expect(WireError.unknownCommand(0x15).code == .unknownCommand)
        #expect(WireError.notMWP.code == .malformed)
    }

    @Test func oversizedFramesAndLengthsAreRefusedBeforeAllocation() {
        expectError([header, [0x04], [UInt8](repeating: 0, count: ProtocolVersion.maxBodyBytes + 1)],
                    .frameTooLarge(frame: 3, size: ProtocolVersion.maxBodyBytes + 1, limit: ProtocolVersion.maxBodyBytes))
        let leaseBody = FrameCodec.encode(SpecExamples.messages["LEASE"]!)[2]
        expectError([header, [0x05], leaseBody, [UInt8](repeating: 0, count: ProtocolVersion.maxBulkBytes + 1)],
                    .frameTooLarge(frame: 4, size: ProtocolVersion.maxBulkBytes + 1, limit: ProtocolVersion.maxBulkBytes))
        // A string longer than the limit, and one longer than its frame.
        expectError([header, [0x11], [0x01, 0x90, 0x01, 0x10, 0x01] + [UInt8](repeating: 0x61, count: 4_097)],
                    .limitExceeded(field: "ERROR message", value: 4_097, limit: 4_096))
        expectError([header, [0x11], [0x01, 0x90, 0x01, 0x0F, 0xFF, 0x61]], .truncated(field: "ERROR message"))
        // A list count of 2^32 - 1 and one just above the limit, in READY.
        let readyPrefix: [UInt8] = [0, 0, 0, 1, 0x61, 0, 0, 0, 1, 0, 1]
        expectError([header, [0x01], readyPrefix + [0xFF, 0xFF, 0xFF, 0xFF]],
                    .limitExceeded(field: "READY kinds", value: 4_294_967_295, limit: 65_536))
        expectError([header, [0x01], readyPrefix + [0x00, 0x01, 0x00, 0x01]],
                    .limitExceeded(field: "READY kinds", value: 65_537, limit: 65_536))
        // A count under the limit that the bytes left cannot hold is refused before any element is read.
        expectError([header, [0x01], readyPrefix + [0x00, 0x01, 0x00, 0x00, 0, 1, 0, 1]], .truncated(field: "READY kinds"))
        expectError([header, [0x01], readyPrefix + [0, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF]],
                    .limitExceeded(field: "READY labels", value: 4_294_967_295, limit: 1_024))
        // A chunk request above the chunk limit.
        var get = FrameCodec.encode(.modelGet(ModelGet(hash: SpecExamples.modelHash, offset: 0, length: 1)))
        get[2].replaceSubrange(40 ..< 44, with: [0x00, 0x40, 0x00, 0x01])
        expectError(get, .limitExceeded(field: "MODEL-GET length", value: 4_194_305, limit: 4_194_304))
        // A summaries blob whose length is past its frame.
        let result = SpecExamples.generateResult.encoded()
        var long = result
        long.replaceSubrange(58 ..< 62, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: WireError.limitExceeded(field: "result summaries", value: 4_294_967_295, limit: 16_777_216)) {
            try GenerateResult.decode(kind: .generate, version: 1, payload: long)
        }
        long.replaceSubrange(58 ..< 62, with: [0x00, 0x00, 0x00, 0x05])
        #expect(throws: WireError.truncated(field: "result summaries")) {
            try GenerateResult.decode(kind: .generate, version: 1, payload: long)
        }
    }

    @Test func nonCanonicalAndInvalidValuesAreRefused() {
        let failBody = FrameCodec.encode(SpecExamples.messages["FAIL"]!)[2]
        var badBool = failBody
        badBool[18] = 2
        expectError([header, [0x08], badBool], .invalidValue(field: "FAIL retryable", reason: "a bool is 0 or 1, got 2"))
        expectError([header, [0x04], [0, 1, 0]], .trailingBytes(frame: 3, count: 1))
        expectError([header, [0x04], [0, 0]], .invalidValue(field: "ASK slots", reason: "must be at least 1"))
        expectError([header, [0x09], [0, 0, 0, 0, 0, 0, 0, 0]], .invalidValue(field: "CANCEL job", reason: "job ids start at 1"))
        // Keys out of order, and a repeated key.
        let readyPrefix: [UInt8] = [0, 0, 0, 1, 0x61, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]
        let ba: [UInt8] = [0, 0, 0, 2, 0, 1, 0x62, 0, 0, 0, 1, 0x61, 0, 0]
        let aa: [UInt8] = [0, 0, 0, 2, 0, 1, 0x61, 0, 0, 0, 1, 0x61, 0, 0]
        let ab: [UInt8] = [0, 0, 0, 2, 0, 1, 0x61, 0, 0, 0, 1, 0x62, 0, 0]
        let order = WireError.invalidValue(field: "READY labels", reason: "keys must be unique and in increasing byte order")
        expectError([header, [0x01], readyPrefix + ba], order)
        expectError([header, [0x01], readyPrefix + aa], order)
        #expect(throws: Never.self) { try FrameCodec.decode(frames: [header, [0x01], readyPrefix + ab]) }
        // Invalid UTF-8 (a lone continuation byte, an overlong encoding, a surrogate).
        for bad: [UInt8] in [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80]] {
            expectError([header, [0x11], [0x01, 0x90, 0x00, 0x00, UInt8(bad.count)] + bad], .invalidUTF8(field: "ERROR message"))
        }
        // Enumerations out of range.
        expectError([header, [0x10], [0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0]],
                    .invalidValue(field: "DONE state", reason: "a job ends completed, failed or cancelled"))
        expectError([header, [0x10], [0, 0, 0, 0, 0, 0, 0, 1, 9, 0, 0, 0, 0]],
                    .invalidValue(field: "DONE state", reason: "unknown job state 9"))
        // PROGRESS past its total; MODEL-CHUNK with a wrong length or past its total.
        var progress = FrameCodec.encode(SpecExamples.messages["PROGRESS"]!)
        progress[2][16] = 0xFF
        expectError(progress, .invalidValue(field: "PROGRESS done", reason: "above total"))
        var chunk = FrameCodec.encode(SpecExamples.messages["MODEL-CHUNK"]!)
        chunk[3] = [0x61, 0x62]
        expectError(chunk, .invalidValue(field: "MODEL-CHUNK length", reason: "3 but frame 4 has 2 bytes"))
        chunk[3] = [0x61, 0x62, 0x63]
        chunk[2][51] = 2  // total 2 < offset 0 + length 3
        expectError(chunk, .invalidValue(field: "MODEL-CHUNK offset", reason: "offset + length is past total"))
    }

    @Test func encodeCheckedRefusesWhatTheReceiverWouldRefuse() throws {
        let ask = WireMessage.ask(Ask(slots: 1))
        #expect(try FrameCodec.encodeChecked(ask) == FrameCodec.encode(ask))
        let huge = WireMessage.modelChunk(ModelChunk(hash: SpecExamples.modelHash, offset: 0, total: .max,
                                                     data: [UInt8](repeating: 0, count: ProtocolVersion.maxBulkBytes + 1)))
        #expect(throws: WireError.frameTooLarge(frame: 4, size: ProtocolVersion.maxBulkBytes + 1,
                                                limit: ProtocolVersion.maxBulkBytes)) { try FrameCodec.encodeChecked(huge) }
        let leases = [AttemptID](repeating: AttemptID(job: 1, shard: 0, attempt: 1), count: ProtocolVersion.maxListCount + 1)
        let crowded = WireMessage.statusReply(StatusSnapshot(time: 0, workers: [WorkerStatus(
            workerID: 1, name: "w", address: "", state: .busy, lastHeardMilliseconds: 0, threads: 1, slots: 1,
            leases: leases, unitsPerSecond: 0, shardsDone: 0)], jobs: []))
        #expect(throws: WireError.self) { try FrameCodec.encodeChecked(crowded) }
    }

    @Test func longStringsAreCutAtACharacterBoundaryByTheWriter() throws {
        let long = String(repeating: "é", count: 3_000)  // 6,000 bytes
        let frames = FrameCodec.encode(.error(ErrorReply(code: .internalError, command: 0, message: long)))
        guard case let .error(reply) = try FrameCodec.decode(frames: frames) else {
            Issue.record("not an error")
            return
        }
        #expect(reply.message == String(repeating: "é", count: 2_048))
    }

    @Test func randomFrameListsNeverTrap() {
        var random = SplitMix64(seed: 0x4D57_5031)
        let templates = Self.examples.map(FrameCodec.encode)
        var accepted = 0
        for round in 0 ..< 100_000 {
            var frames: [[UInt8]]
            if round % 2 == 0 {
                // Random frames behind a valid header and command, so bodies get exercised.
                let count = Int.random(in: 0 ... 5, using: &random)
                frames = (0 ..< count).map { _ in
                    (0 ..< Int.random(in: 0 ... 96, using: &random)).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
                }
                if count > 0, Bool.random(using: &random) { frames[0] = header }
                if count > 1, Bool.random(using: &random) { frames[1] = [UInt8.random(in: 0 ... 0x15, using: &random)] }
            } else {
                // A spec example with a few random changes, cuts or insertions.
                frames = templates[Int.random(in: 0 ..< templates.count, using: &random)]
                for _ in 0 ..< Int.random(in: 1 ... 4, using: &random) {
                    let index = Int.random(in: 0 ..< frames.count, using: &random)
                    guard !frames[index].isEmpty else { continue }
                    let position = Int.random(in: 0 ..< frames[index].count, using: &random)
                    switch Int.random(in: 0 ..< 3, using: &random) {
                    case 0: frames[index][position] = UInt8.random(in: 0 ... 255, using: &random)
                    case 1: frames[index].removeSubrange(position...)
                    default: frames[index].insert(UInt8.random(in: 0 ... 255, using: &random), at: position)
                    }
                }
            }
            if case .success = decodeChecked(frames) { accepted += 1 }
        }
        #expect(accepted > 0)
    }

    @Test func fuzzEntryPointSplitsFramesAtFFZero() {
        for message in Self.examples + Self.variants {
            let frames = FrameCodec.encode(message)
            var bytes: [UInt8] = []
            for (index, frame) in frames.enumerated() {
                if index > 0 { bytes += [0xFF, 0x00] }
                bytes += frame
            }
            // Frames that contain FF 00 themselves split differently; skip those.
            guard !frames.contains(where: { frame in frame.indices.dropLast().contains { frame[$0] == 0xFF && frame[$0 + 1] == 0 } })
            else { continue }
            #expect(FrameCodec.fuzzDecode(bytes) == message)
        }
        #expect(MimeoWire.fuzzDecode(Array("MWP01".utf8) + [0xFF, 0x00, 0x12]) == .disconnect)
        #expect(FrameCodec.fuzzDecode([]) == nil)
        #expect(FrameCodec.fuzzDecode(Array("MWP01".utf8) + [0xFF, 0x00, 0x03]) == .heartbeat)
        #expect(FrameCodec.fuzzDecode([UInt8](repeating: 0xFF, count: 64)) == nil)
    }

    @Test func aRefusalFromAnotherVersionCanBeRead() {
        var frames = FrameCodec.encode(SpecExamples.messages["ERROR"]!)
        frames[0] = Array("MWP07".utf8)
        expectError(frames, .unsupportedVersion(major: 7))
        #expect(FrameCodec.decodeRefusal(frames: frames)?.code == .unsupportedVersion)
        #expect(FrameCodec.majorVersion(ofHeader: Array("MWP07".utf8)) == 7)
        #expect(FrameCodec.majorVersion(ofHeader: Array("XWP07".utf8)) == nil)
        #expect(FrameCodec.decodeRefusal(frames: FrameCodec.encode(.ask(Ask(slots: 1)))) == nil)
        frames[0] = Array("NOPE!".utf8)
        #expect(FrameCodec.decodeRefusal(frames: frames) == nil)
    }
}
