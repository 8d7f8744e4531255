import Foundation
import Testing

@testable import MimeoWire

/// The payloads of job kind 2 and the JOB-DETAIL bodies: strict validation, canonical encodings, big updates.
@Suite struct TrainPayloadTests {
    static let trainNames = SpecExamples.payloads.keys.filter { $0.hasPrefix("Train") }.sorted()

    func refusesJob(_ job: TrainJob, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: WireError.self, comment, sourceLocation: sourceLocation) {
            try TrainJob.decode(kind: .train, version: 1, payload: job.encoded())
        }
    }

    func refusesTask(_ task: TrainTask, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: WireError.self, comment, sourceLocation: sourceLocation) {
            try TrainTask.decode(kind: .train, version: 1, payload: task.encoded())
        }
    }

    func refusesResult(_ result: TrainTaskResult, _ comment: Comment,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: WireError.self, comment, sourceLocation: sourceLocation) {
            try TrainTaskResult.decode(kind: .train, version: 1, payload: result.encoded())
        }
    }

    /// Whatever single byte of an example changes, the payload is refused or is the canonical encoding of what it
    /// decodes to (so a receiver never accepts two encodings of one value).
    @Test(arguments: trainNames)
    func everySingleByteChangeIsRefusedOrCanonical(name: String) throws {
        let example = try #require(SpecExamples.payloads[name])
        var accepted = 0
        for position in example.bytes.indices {
            for value in UInt8.min ... UInt8.max where value != example.bytes[position] {
                var changed = example.bytes
                changed[position] = value
                guard let again = reencode(name, changed) else { continue }
                accepted += 1
                #expect(again == changed, "\(name): byte \(position) set to \(value) is not canonical")
            }
        }
        #expect(accepted > 0)
        #expect(reencode(name, example.bytes + [0]) == nil, "\(name): a byte left over")
    }

    /// Decodes `bytes` as the example's type and encodes the value again; nil when refused.
    func reencode(_ name: String, _ bytes: [UInt8]) -> [UInt8]? {
        if name.hasPrefix("TrainJob") { return try? TrainJob.decode(kind: .train, version: 1, payload: bytes).encoded() }
        if name.hasPrefix("TrainTask") { return try? TrainTask.decode(kind: .train, version: 1, payload: bytes).encoded() }
        if name.hasPrefix("TrainResult") {
            return try? TrainTaskResult.decode(kind: .train, version: 1, payload: bytes).encoded()
        }
        return try? TrainDetail.decode(kind: .train, version: 1, detail: bytes).encoded()
    }

    /// Random splices of the examples (a prefix of one, a suffix of another, random bytes between) and random
    /// bytes after a valid phase byte: the decoders never trap, and whatever they accept is canonical.
    @Test func randomPayloadsNeverTrapAndAcceptedOnesAreCanonical() {
        var random = SystemRandomNumberGenerator()
        let examples = Self.trainNames.compactMap { name in SpecExamples.payloads[name].map { (name, $0.bytes) } }
        var accepted = 0
        for _ in 0 ..< 20_000 {
            let (name, a) = examples.randomElement(using: &random)!
            let b = examples.randomElement(using: &random)!.1
            var bytes = Array(a.prefix(Int.random(in: 0 ... a.count, using: &random)))
            bytes += (0 ..< Int.random(in: 0 ... 8, using: &random)).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
            bytes += b.suffix(Int.random(in: 0 ... b.count, using: &random))
            for candidate in [name, "TrainJob", "TrainTaskRound", "TrainResultRound", "TrainDetail"] {
                if let again = reencode(candidate, bytes) {
                    accepted += 1
                    #expect(again == bytes, "\(candidate) accepted a non-canonical splice")
                }
            }
        }
        // Most splices are refused; the ones kept whole are accepted.
        #expect(accepted > 0)
    }

    @Test func submitPayloadsAreValidated() {
        let good = SpecExamples.trainJob
        var job = good
        job.rounds = 0
        refusesJob(job, "no rounds")
        job = good
        job.rounds = TrainJob.maxRounds + 1
        refusesJob(job, "too many rounds")
        job = good
        job.localSteps = 10
        refusesJob(job, "epochs and steps")
        job.localEpochs = 0
        job.localSteps = 0
        refusesJob(job, "neither epochs nor steps")
        job = good
        job.strategy = .fedAvg
        refusesJob(job, "FedAvg with a proximal term")
        job = good
        job.proximalMu = 0
        refusesJob(job, "FedProx without one")
        for mu in [Double.nan, .infinity, -1, -0.0] {
            job.proximalMu = mu
            refusesJob(job, "mu \(mu)")
        }
        job = good
        job.minSites = 1
        refusesJob(job, "secure aggregation of one site")
        job.minSites = 0
        job.secureAggregation = false
        refusesJob(job, "no sites")
        job = good
        job.rareThreshold = 0
        refusesJob(job, "rare threshold 0")
        job = good
        job.keyID = ""
        refusesJob(job, "no key id")
        for privacy in [DifferentialPrivacySettings(epsilon: 0, delta: 1e-6, clip: 1),
                        DifferentialPrivacySettings(epsilon: .infinity, delta: 1e-6, clip: 1),
                        DifferentialPrivacySettings(epsilon: 4, delta: 1, clip: 1),
                        DifferentialPrivacySettings(epsilon: 4, delta: 0, clip: 1),
                        DifferentialPrivacySettings(epsilon: 4, delta: 1e-6, clip: .nan),
                        DifferentialPrivacySettings(epsilon: 4, delta: 1e-6, clip: -1)] {
            job = good
            job.privacy = privacy
            refusesJob(job, "privacy \(privacy)")
        }
        job = good
        job.settings = [0xFF, 0xFE]
        refusesJob(job, "settings not UTF-8")
        job.settings = Array(repeating: 0x20, count: TrainJob.maxSettingsBytes + 1)
        refusesJob(job, "settings too long")
        job = good
        job.table = SpecExamples.realTable
        refusesJob(job, "a federated job with a table")
        job = SpecExamples.trainJobDataParallel
        job.table = nil
        refusesJob(job, "a data-parallel job without one")
        // An unknown mode or strategy byte.
        var bytes = good.encoded()
        bytes[0] = 3
        #expect(throws: WireError.invalidValue(field: "train mode", reason: "unknown value 3")) {
            try TrainJob.decode(kind: .train, version: 1, payload: bytes)
        }
        #expect(throws: WireError.unsupportedPayload(kind: 2, version: 2)) {
            try TrainJob.decode(kind: .train, version: 2, payload: good.encoded())
        }
        #expect(throws: WireError.unsupportedPayload(kind: 1, version: 1)) {
            try TrainJob.decode(kind: .generate, version: 1, payload: good.encoded())
        }
    }

    @Test func leasePayloadsAreValidated() throws {
        var task = SpecExamples.trainTaskRound
        task.round = 0
        refusesTask(task, "a training round 0")
        task = SpecExamples.trainTaskCounts
        task.round = 1
        refusesTask(task, "an analysis in a round")
        task.round = 0
        task.site = ""
        refusesTask(task, "no site")

        guard case let .load(load) = SpecExamples.trainTaskLoad.work,
              case let .analyzeValues(values) = SpecExamples.trainTaskValues.work,
              case let .trainRound(round) = SpecExamples.trainTaskRound.work else {
            Issue.record("examples of another phase")
            return
        }
        for (offset, length) in [(UInt64(2), UInt64(5)), (6, 1), (0, 0), (.max, 2)] {
            var bad = load
            bad.offset = offset
            bad.length = length
            refusesTask(TrainTask(round: 0, site: "w1", work: .load(bad)), "range \(offset) + \(length)")
        }
        var headerless = load
        headerless.header = []
        refusesTask(TrainTask(round: 0, site: "w1", work: .load(headerless)), "no header")

        let reversed = TrainAnalyzeValues(requested: values.requested.reversed())
        refusesTask(TrainTask(round: 0, site: "site-a", work: .analyzeValues(reversed)), "values out of order")
        let twice = TrainAnalyzeValues(requested: values.requested + values.requested.suffix(1))
        refusesTask(TrainTask(round: 0, site: "site-a", work: .analyzeValues(twice)), "a value twice")

        let site = "site-a"
        var bad = round
        bad.participants.reverse()
        refusesTask(TrainTask(round: 12, site: site, work: .trainRound(bad)), "participants out of order")
        bad = round
        refusesTask(TrainTask(round: 12, site: "site-c", work: .trainRound(bad)), "the leased site is not a participant")
        bad.participants[1].publicKey = nil
        refusesTask(TrainTask(round: 12, site: site, work: .trainRound(bad)), "a participant without a key")
        bad = round
        bad.masking = nil
        refusesTask(TrainTask(round: 12, site: site, work: .trainRound(bad)), "keys without masking")
        bad = round
        bad.participants = [round.participants[0]]
        refusesTask(TrainTask(round: 12, site: site, work: .trainRound(bad)), "a masked round of one site")
        bad = round
        bad.masking?.maximumSites = 1
        refusesTask(TrainTask(round: 12, site: site, work: .trainRound(bad)), "more participants than the maximum")
        bad = round
        bad.clip = 0
        refusesTask(TrainTask(round: 12, site: site, work: .trainRound(bad)), "clip 0")
        bad = round
        bad.localEpochs = 0
        refusesTask(TrainTask(round: 12, site: site, work: .trainRound(bad)), "no local work")

        // Without masking, participants carry no keys; the round is valid with one participant.
        var plain = round
        plain.masking = nil
        plain.participants = [TrainParticipant(site: site)]
        let lease = TrainTask(round: 1, site: site, work: .trainRound(plain))
        #expect(try TrainTask.decode(kind: .train, version: 1, payload: lease.encoded()) == lease)
        // A phase byte that names no phase.
        var bytes = lease.encoded()
        bytes[0] = 5
        #expect(throws: WireError.invalidValue(field: "task phase", reason: "unknown value 5")) {
            try TrainTask.decode(kind: .train, version: 1, payload: bytes)
        }
    }

    @Test func resultPayloadsAreValidated() throws {
        guard case let .round(round) = SpecExamples.trainResultRound.outcome else { return }
        var bad = round
        bad.examples = 0
        refusesResult(TrainTaskResult(outcome: .round(bad)), "no examples")
        bad = round
        bad.trainLoss = .nan
        refusesResult(TrainTaskResult(outcome: .round(bad)), "NaN loss")
        bad = round
        bad.validationLoss = nil
        refusesResult(TrainTaskResult(outcome: .round(bad)), "validation examples without a loss")
        bad = round
        bad.validationExamples = 0
        refusesResult(TrainTaskResult(outcome: .round(bad)), "a loss without validation examples")
        bad = round
        bad.round = 0
        refusesResult(TrainTaskResult(outcome: .round(bad)), "round 0")
        for values: [Float] in [[.nan], [1, .infinity], [-.infinity]] {
            bad = round
            bad.update = .binary32(values)
            refusesResult(TrainTaskResult(outcome: .round(bad)), "update \(values)")
        }
        bad = round
        bad.update = TrainUpdate(encoding: .binary32, body: .inline([0, 0, 0]))
        refusesResult(TrainTaskResult(outcome: .round(bad)), "an update of 3 bytes")
        bad.update = TrainUpdate(encoding: .binary32, body: .inline([]))
        refusesResult(TrainTaskResult(outcome: .round(bad)), "an empty update")
        bad.update = TrainUpdate(encoding: .maskedWords,
                                 body: .reference(BlobReference(hash: SpecExamples.zeros1024, bytes: 1_023)))
        refusesResult(TrainTaskResult(outcome: .round(bad)), "an update by hash of 1,023 bytes")
        // Masked words may be any bit pattern, NaN's included.
        bad.update = .maskedWords([0x7FC0_0000, 0xFFFF_FFFF, 0])
        #expect(try TrainTaskResult.decode(kind: .train, version: 1, payload: TrainTaskResult(outcome: .round(bad)).encoded())
                == TrainTaskResult(outcome: .round(bad)))

        refusesResult(TrainTaskResult(outcome: .counts(summaryVersion: 1, summary: [], publicKey: nil)), "no summary")
        guard case let .values(values) = SpecExamples.trainResultValues.outcome else { return }
        refusesResult(TrainTaskResult(outcome: .values(values + values)), "a value twice")

        var transport = SpecExamples.trainResultRound.encoded()
        // The transport byte follows the encoding byte, 6 bytes before the 4-byte length and the 12 update bytes.
        let index = transport.count - 12 - 4 - 1
        #expect(transport[index] == 0)
        transport[index] = 2
        #expect(throws: WireError.invalidValue(field: "round result update transport",
                                               reason: "0 (inline) or 1 (by hash), got 2")) {
            try TrainTaskResult.decode(kind: .train, version: 1, payload: transport)
        }
    }

    /// An update of a real model's size (1,000,000 parameters, 4 MB) travels inline and comes back bit for bit,
    /// signed zeros and subnormals included.
    @Test func aLargeUpdateRoundTripsBitForBit() throws {
        var values = (0 ..< 1_000_000).map { Float(sin(Double($0))) * 1e-3 }
        values[0] = -0.0
        values[1] = .leastNonzeroMagnitude
        values[2] = -.greatestFiniteMagnitude
        let result = TrainTaskResult(outcome: .round(TrainRoundResult(
            round: 1, examples: 1, trainLoss: 0, validationExamples: 0, validationLoss: nil, elapsedMilliseconds: 0,
            update: .binary32(values))))
        let bytes = result.encoded()
        #expect(bytes.count < ProtocolVersion.maxBulkBytes)
        let decoded = try TrainTaskResult.decode(kind: .train, version: 1, payload: bytes)
        guard case let .round(round) = decoded.outcome, let floats = round.update.floats else {
            Issue.record("not a binary32 round result")
            return
        }
        #expect(floats.map(\.bitPattern) == values.map(\.bitPattern))
        // Big-endian: the first value, -0.0, is 80 00 00 00.
        guard case let .inline(raw) = round.update.body else { return }
        #expect(Array(raw.prefix(8)) == [0x80, 0, 0, 0, 0, 0, 0, 1])
        let frames = FrameCodec.encode(.result(ShardResult(id: AttemptID(job: 1, shard: 0, attempt: 1), work: result)))
        #expect(frames[3] == bytes)
    }

    @Test func detailsAreValidated() {
        let good = SpecExamples.trainDetail
        func refuses(_ detail: TrainDetail, _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: WireError.self, comment, sourceLocation: sourceLocation) {
                try TrainDetail.decode(kind: .train, version: 1, detail: detail.encoded())
            }
        }
        var detail = good
        detail.sites.reverse()
        refuses(detail, "sites out of order")
        detail = good
        detail.sites[0].contribution = 1.5
        refuses(detail, "a share above 1")
        detail = good
        detail.sites[0].lastRound = 0
        refuses(detail, "last round 0")
        detail = good
        detail.losses.reverse()
        refuses(detail, "losses out of order")
        detail = good
        detail.losses[0].validationLoss = .infinity
        refuses(detail, "an infinite loss")
        detail = good
        detail.privacy = TrainPrivacySpent(epsilon: -1, delta: 1e-6)
        refuses(detail, "negative epsilon")
        detail = good
        detail.roundsPlanned = 0
        refuses(detail, "no rounds planned")
        // Job ids start at 1 in JOB-DETAIL and its reply, and a detail has a version.
        expectError([header, [0x13], [0, 0, 0, 0, 0, 0, 0, 0]],
                    .invalidValue(field: "JOB-DETAIL job", reason: "job ids start at 1"))
        var reply = FrameCodec.encode(.jobDetailReply(JobDetail(job: 1, body: good)))
        reply[2][11] = 0
        expectError(reply, .invalidValue(field: "JOB-DETAIL-REPLY version", reason: "must be at least 1"))
    }
}
