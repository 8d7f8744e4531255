import Foundation
import Testing

@testable import MimeoWire

/// The hex blocks of `docs/protocol/mwp-1.md`: "```mwp NAME" blocks are frame lists ("F1: …" lines, indented
/// continuation lines), "```mwp-payload NAME" blocks are one payload.
struct SpecDocument {
    var messages: [String: [[UInt8]]] = [:]
    var payloads: [String: [UInt8]] = [:]
    var messageOrder: [String] = []

    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/protocol/mwp-1.md").path

    static func load() throws -> SpecDocument {
        try SpecDocument(markdown: String(contentsOfFile: path, encoding: .utf8))
    }

    init(markdown: String) throws {
        var tag: (kind: String, name: String)?
        var frames: [[UInt8]] = []
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if let current = tag {
                if line.hasPrefix("```") {
                    if current.kind == "mwp" {
                        #expect(messages[current.name] == nil, "two examples named \(current.name)")
                        messages[current.name] = frames
                        messageOrder.append(current.name)
                    } else {
                        payloads[current.name] = frames.flatMap { $0 }
                    }
                    tag = nil
                    continue
                }
                var text = Substring(line)
                if let colon = text.firstIndex(of: ":"), text.hasPrefix("F") {
                    let number = Int(text[text.index(after: text.startIndex) ..< colon])
                    #expect(number == frames.count + 1, "frames of \(current.name) out of order")
                    frames.append([])
                    text = text[text.index(after: colon)...]
                } else if frames.isEmpty {
                    frames.append([])
                }
                for token in text.split(separator: " ") {
                    guard token != "(empty)" else { continue }
                    guard token.count == 2, let byte = UInt8(token, radix: 16) else {
                        throw SpecParseError(message: "bad hex '\(token)' in example \(current.name)")
                    }
                    frames[frames.count - 1].append(byte)
                }
            } else if line.hasPrefix("```mwp ") || line.hasPrefix("```mwp-payload ") {
                let parts = line.dropFirst(3).split(separator: " ")
                tag = (String(parts[0]), String(parts[1]))
                frames = []
            }
        }
        if let tag { throw SpecParseError(message: "example \(tag.name) is not closed") }
    }
}

struct SpecParseError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

@Suite struct SpecExamplesTests {
    @Test func everyCommandHasOneExampleInTheSpec() throws {
        let spec = try SpecDocument.load()
        #expect(Set(spec.messages.keys) == Set(WireCommand.allCases.map(\.name)))
        #expect(Set(spec.messages.keys) == Set(SpecExamples.messages.keys))
        #expect(Set(spec.payloads.keys) == Set(SpecExamples.payloads.keys))
        // The examples appear in command-code order, as the command table lists them.
        #expect(spec.messageOrder == WireCommand.allCases.map(\.name))
    }

    @Test(arguments: WireCommand.allCases.map(\.name))
    func exampleDecodesToItsValuesAndEncodesByteForByte(name: String) throws {
        let spec = try SpecDocument.load()
        let frames = try #require(spec.messages[name])
        let expected = try #require(SpecExamples.messages[name])
        #expect(try FrameCodec.decode(frames: frames) == expected)
        #expect(FrameCodec.encode(expected) == frames)
        #expect(frames[0] == Array("MWP01".utf8))
        #expect(frames[1] == [WireCommand.allCases.first { $0.name == name }!.rawValue])
    }

    @Test(arguments: SpecExamples.payloads.keys.sorted())
    func payloadExampleDecodesAndEncodesByteForByte(name: String) throws {
        let spec = try SpecDocument.load()
        let bytes = try #require(spec.payloads[name])
        let example = try #require(SpecExamples.payloads[name])
        #expect(example.bytes == bytes)
        #expect(try example.decode(bytes))
    }

    /// Version 2 is version 1 followed by the real table; a value is written as the version its fields need, each
    /// version reads only its own layout, and a version 2 payload without a table does not exist.
    @Test func payloadVersionsOfKindGenerate() throws {
        let spec = try SpecDocument.load()
        let v1 = try #require(spec.payloads["GenerateJob"]), v2 = try #require(spec.payloads["GenerateJobV2"])
        #expect(Array(v2.prefix(v1.count)) == v1 && v2.count == v1.count + 40)
        #expect(SpecExamples.generateJob.payloadVersion == 1 && SpecExamples.generateJobV2.payloadVersion == 2)
        #expect(SpecExamples.generateShard.payloadVersion == 1 && SpecExamples.generateShardV2.payloadVersion == 2)
        #expect(GenerateJob.versions == 1...3 && GenerateShard.versions == 1...3 && GenerateResult.versions == 1...1)
        // Each version's bytes under the other version: left-over bytes, or a frame cut short.
        #expect(throws: WireError.self) { try GenerateJob.decode(kind: .generate, version: 1, payload: v2) }
        #expect(throws: WireError.self) { try GenerateJob.decode(kind: .generate, version: 2, payload: v1) }
        let s1 = try #require(spec.payloads["GenerateShard"]), s2 = try #require(spec.payloads["GenerateShardV2"])
        #expect(throws: WireError.self) { try GenerateShard.decode(kind: .generate, version: 1, payload: s2) }
        #expect(throws: WireError.self) { try GenerateShard.decode(kind: .generate, version: 2, payload: s1) }
        #expect(throws: WireError.unsupportedPayload(kind: 1, version: 4)) {
            try GenerateShard.decode(kind: .generate, version: 4, payload: s2)
        }
        // A table of 0 bytes is malformed.
        var empty = v2
        for index in (empty.count - 8)..<empty.count { empty[index] = 0 }
        #expect(throws: WireError.self) { try GenerateJob.decode(kind: .generate, version: 2, payload: empty) }
        // A lease and a submission carry the payload's own version; the shard plan passes the table on.
        #expect(Lease(id: SpecExamples.attempt, work: SpecExamples.generateShardV2).version == 2)
        #expect(Lease(id: SpecExamples.attempt, work: SpecExamples.generateShard).version == 1)
        #expect(Submit(request: 1, label: "", work: SpecExamples.generateJobV2).version == 2)
        let plan = try ShardPlan(totalRows: 50_000, batchRows: 4_096, batchesPerShard: 3)
        var job = SpecExamples.generateJobV2
        job.output = "out"
        #expect(plan.leasePayload(4, of: job) == SpecExamples.generateShardV2)
        #expect(plan.leasePayload(4, of: SpecExamples.generateJob) == SpecExamples.generateShard)
    }

    /// Version 3 is version 1, an optional real table, the rare-values code and the temperature's binary32 bits; it
    /// is written only for options other than the defaults, and out-of-range options are malformed.
    @Test func payloadVersion3CarriesTheSamplingOptions() throws {
        let spec = try SpecDocument.load()
        let v1 = try #require(spec.payloads["GenerateJob"]), v3 = try #require(spec.payloads["GenerateJobV3"])
        #expect(v3 == v1 + [0, 1, 0x3F, 0xC0, 0, 0, 0, 0, 0, 1, 0, 6] + Array("income".utf8) + [1, 0, 4]
                 + Array(">50K".utf8) + [0x3F, 0xE0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(SpecExamples.generateJobV3.payloadVersion == 3 && SpecExamples.generateShardV3.payloadVersion == 3)
        var withTable = SpecExamples.generateJobV3
        withTable.realTable = SpecExamples.realTable
        let encoded = withTable.encoded()
        #expect(try GenerateJob.decode(kind: .generate, version: 3, payload: encoded) == withTable)
        var defaults = SpecExamples.generateJobV2
        defaults.sampling = WireSampling()
        #expect(defaults.payloadVersion == 2)
        for (code, bits) in [(UInt8(3), Float(1.5).bitPattern), (1, Float(0.01).bitPattern), (1, Float(21).bitPattern),
                             (1, Float.nan.bitPattern), (1, Float.infinity.bitPattern)] {
            var bad = v1 + [0, code]
            bad += withUnsafeBytes(of: bits.bigEndian) { Array($0) }
            bad += [0, 0, 0, 0, 0, 1]
            #expect(throws: WireError.self) { try GenerateJob.decode(kind: .generate, version: 3, payload: bad) }
        }
        // An edge-case pool of 0 or above 1,000.
        for pool: UInt16 in [0, 1001] {
            var job = SpecExamples.generateJobV3
            job.sampling.edgeCasePool = pool
            #expect(throws: WireError.self) { try GenerateJob.decode(kind: .generate, version: 3, payload: job.encoded()) }
        }
        // Shares outside (0, 1] or summing past 1.
        for shares in [[0.0], [1.5], [Double.nan], [0.6, 0.6]] {
            var job = SpecExamples.generateJobV3
            job.sampling.rebalance = shares.enumerated().map { WireRebalance(column: "y", value: "v\($0.offset)", share: $0.element) }
            #expect(throws: WireError.self) { try GenerateJob.decode(kind: .generate, version: 3, payload: job.encoded()) }
        }
        for cut in 0 ..< v3.count {
            #expect(throws: WireError.self) { try GenerateJob.decode(kind: .generate, version: 3, payload: Array(v3.prefix(cut))) }
        }
        let s3 = try #require(spec.payloads["GenerateShardV3"])
        #expect(try GenerateShard.decode(kind: .generate, version: 3, payload: s3) == SpecExamples.generateShardV3)
        let plan = try ShardPlan(totalRows: 50_000, batchRows: 4_096, batchesPerShard: 3)
        #expect(plan.leasePayload(4, of: SpecExamples.generateJobV3) == SpecExamples.generateShardV3)
        #expect(Lease(id: SpecExamples.attempt, work: SpecExamples.generateShardV3).version == 3)
    }

    @Test func messageExamplesCarryThePayloadExamples() throws {
        let spec = try SpecDocument.load()
        #expect(spec.messages["LEASE"]?[3] == spec.payloads["GenerateShard"])
        #expect(spec.messages["RESULT"]?[3] == spec.payloads["GenerateResult"])
        #expect(spec.messages["SUBMIT"]?[3] == spec.payloads["GenerateJob"])
        guard case let .lease(lease) = try FrameCodec.decode(frames: try #require(spec.messages["LEASE"])) else {
            Issue.record("LEASE example is not a lease")
            return
        }
        let shard = try lease.work(as: GenerateShard.self)
        #expect(shard.firstRow == 49_152 && shard.rowCount == 848)
        #expect(throws: WireError.unsupportedPayload(kind: 1, version: 1)) { try lease.work(as: OtherPayload.self) }
    }

    @Test func trainMessageExamplesCarryTheirPayloads() throws {
        let spec = try SpecDocument.load()
        guard case let .jobDetailReply(reply) = try FrameCodec.decode(frames: try #require(spec.messages["JOB-DETAIL-REPLY"]))
        else {
            Issue.record("JOB-DETAIL-REPLY example is not a detail reply")
            return
        }
        #expect(reply.detail == spec.payloads["TrainDetail"])
        #expect(try reply.body(as: TrainDetail.self) == SpecExamples.trainDetail)
        #expect(throws: WireError.unsupportedPayload(kind: 2, version: 2)) {
            try TrainDetail.decode(kind: .train, version: 2, detail: reply.detail)
        }
        // The inline update example is the binary32 values the prose gives; the load example's range hash is the
        // SHA-256 of the bytes of the GenerateJobV2 table it names.
        guard case let .round(round) = SpecExamples.trainResultRound.outcome else { return }
        #expect(round.update.floats == [0.5, -0.25, 1])
        #expect(ProtocolVersion.minor == 1 && WireCommand.jobDetail.minor == 1 && WireCommand.submit.minor == 0)
        #expect(Lease(id: SpecExamples.attempt, work: SpecExamples.trainTaskRound).kind == .train)
    }

    @Test func limitsTableMatchesTheConstants() throws {
        let text = try String(contentsOfFile: SpecDocument.path, encoding: .utf8)
        #expect(text.contains("| Frame 3 (body) | 1,048,576 bytes"))
        #expect(ProtocolVersion.maxBodyBytes == 1_048_576)
        #expect(text.contains("| Frame 4 (bulk) | 16,777,216 bytes"))
        #expect(ProtocolVersion.maxBulkBytes == 16_777_216)
        #expect(text.contains("| Message | 17,825,798 bytes"))
        #expect(5 + 1 + ProtocolVersion.maxBodyBytes + ProtocolVersion.maxBulkBytes == 17_825_798)
        #expect(text.contains("| `string` | 4,096 bytes") && ProtocolVersion.maxStringBytes == 4_096)
        #expect(text.contains("| `list` | 65,536 elements") && ProtocolVersion.maxListCount == 65_536)
        #expect(text.contains("| `map` | 1,024 entries") && ProtocolVersion.maxMapCount == 1_024)
        #expect(text.contains("4,194,304 bytes (4 MiB); 1,048,576 bytes (1 MiB) by default"))
        #expect(ProtocolVersion.maxChunkBytes == 4_194_304 && ProtocolVersion.defaultChunkBytes == 1_048_576)
        #expect(text.contains("The heartbeat interval is 1,000 ms and the liveness is 3"))
        #expect(ProtocolVersion.heartbeatIntervalMilliseconds == 1_000 && ProtocolVersion.heartbeatLiveness == 3)
        #expect(text.contains("starts at 1,000 ms and doubles after every failed attempt, up to 32,000 ms"))
        #expect(ProtocolVersion.reconnectInitialMilliseconds == 1_000 && ProtocolVersion.reconnectMaximumMilliseconds == 32_000)
        #expect(text.contains("timeout (30,000 ms by default)") && ProtocolVersion.leaseTimeoutMilliseconds == 30_000)
        #expect(text.contains("(5 by default)") && ProtocolVersion.maxAttempts == 5)
    }

    @Test func errorCodeTableMatchesTheConstants() throws {
        let text = try String(contentsOfFile: SpecDocument.path, encoding: .utf8)
        let codes: [(ErrorCode, String)] = [
            (.none, "none"), (.malformed, "malformed"), (.unsupportedVersion, "unsupported-version"),
            (.unknownCommand, "unknown-command"), (.unexpectedCommand, "unexpected-command"),
            (.unknownJob, "unknown-job"), (.notJoined, "not-joined"), (.staleAttempt, "stale-attempt"),
            (.tooLarge, "too-large"), (.unsupportedKind, "unsupported-kind"), (.invalidJob, "invalid-job"),
            (.modelUnavailable, "model-unavailable"), (.busy, "busy"), (.cancelled, "cancelled"),
            (.internalError, "internal"), (.shuttingDown, "shutting-down"), (.outputFailed, "output-failed"),
        ]
        for (code, name) in codes {
            #expect(text.contains("| \(code.rawValue) | \(name) |"), "error code \(code.rawValue) \(name)")
        }
    }

    @Test func commandTableMatchesTheCodes() throws {
        let text = try String(contentsOfFile: SpecDocument.path, encoding: .utf8)
        for command in WireCommand.allCases {
            let hex = String(command.rawValue, radix: 16, uppercase: true).leftPadded(to: 2)
            let row = text.split(separator: "\n").first { $0.hasPrefix("| 0x\(hex) | \(command.name) |") }
            #expect(row?.hasSuffix("| \(command.frameCount) |") == true, "\(command.name) row: \(row ?? "missing")")
            #expect(text.contains("* Frame 2: 0x\(hex) (\(command.name))"), "\(command.name) frame list")
        }
    }
}

/// A payload of a kind the examples do not use.
struct OtherPayload: JobPayload {
    static let kind = JobKind(rawValue: 900)
    static let version: UInt16 = 1
    func write(to writer: inout WireWriter) {}
    init(reading reader: inout WireReader, version: UInt16) throws(WireError) {}
}
