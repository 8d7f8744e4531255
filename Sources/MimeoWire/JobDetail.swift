/// JOB-DETAIL (spec: JOB-DETAIL, minor version 1): a client asks for job `job`'s kind-specific detail.
public struct JobDetailQuery: Sendable, Equatable {
    public var job: UInt64
    public init(job: UInt64) { self.job = job }
}

/// JOB-DETAIL-REPLY (spec: JOB-DETAIL-REPLY, minor version 1): job `job`'s detail, a versioned body of its kind.
public struct JobDetail: Sendable, Equatable {
    public var job: UInt64
    public var kind: JobKind
    /// The detail body's version for this kind, from 1.
    public var version: UInt16
    /// The kind's detail body (for kind 2, a `TrainDetail`); at most the body limit.
    public var detail: [UInt8]

    public init(job: UInt64, kind: JobKind, version: UInt16, detail: [UInt8]) {
        self.job = job
        self.kind = kind
        self.version = version
        self.detail = detail
    }

    /// A reply carrying a typed detail body.
    public init<D: JobDetailBody>(job: UInt64, body: D) {
        self.init(job: job, kind: D.kind, version: D.version, detail: body.encoded())
    }

    /// Decodes the detail as `D`; throws `unsupportedPayload` for another kind or version.
    public func body<D: JobDetailBody>(as type: D.Type) throws(WireError) -> D {
        try D.decode(kind: kind, version: version, detail: detail)
    }
}

/// A kind-specific detail body of JOB-DETAIL-REPLY.
public protocol JobDetailBody: Sendable, Equatable {
    static var kind: JobKind { get }
    static var version: UInt16 { get }
    func write(to writer: inout WireWriter)
    init(reading reader: inout WireReader) throws(WireError)
}

extension JobDetailBody {
    /// The body's bytes.
    public func encoded() -> [UInt8] {
        var writer = WireWriter()
        write(to: &writer)
        return writer.bytes
    }

    /// Decodes a body of this type, checking kind and version and that no bytes are left over.
    public static func decode(kind: JobKind, version: UInt16, detail: [UInt8]) throws(WireError) -> Self {
        guard kind == Self.kind, version == Self.version else {
            throw .unsupportedPayload(kind: kind.rawValue, version: version)
        }
        var reader = WireReader(detail, frame: 3)
        let value = try Self(reading: &reader)
        try reader.finish()
        return value
    }
}

/// Where a train job is, for JOB-DETAIL-REPLY.
public enum TrainJobPhase: UInt8, Sendable, CaseIterable {
    /// Waiting for `--min-sites` sites to be joined.
    case enrolling = 0
    case load = 1
    case analyzeCounts = 2
    case analyzeValues = 3
    case trainRound = 4
    /// The job ended (see its state in STATUS-REPLY).
    case finished = 5
}

/// One site in a train job's detail.
public struct TrainSiteDetail: Hashable, Sendable {
    public var name: String
    /// Training examples of its last answered round (0 before).
    public var examples: UInt64
    /// Its last round's training loss; nil before it answered one.
    public var trainLoss: Double?
    /// Its last round's validation loss (of the incoming weights); nil before, or when it keeps no validation rows.
    public var validationLoss: Double?
    /// Its share of the last aggregated round's examples, in [0, 1].
    public var contribution: Double
    /// The last round it answered in time; nil before.
    public var lastRound: UInt32?

    public init(name: String, examples: UInt64, trainLoss: Double?, validationLoss: Double?, contribution: Double,
                lastRound: UInt32?) {
        self.name = name
        self.examples = examples
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.contribution = contribution
        self.lastRound = lastRound
    }
}

/// One checkpointed round's aggregate validation loss (weighted by validation examples).
public struct TrainRoundLoss: Hashable, Sendable {
    public var round: UInt32
    public var validationLoss: Double
    public init(round: UInt32, validationLoss: Double) {
        self.round = round
        self.validationLoss = validationLoss
    }
}

/// The privacy budget of a DP job: ε spent so far and the job's δ.
public struct TrainPrivacySpent: Hashable, Sendable {
    public var epsilon: Double
    public var delta: Double
    public init(epsilon: Double, delta: Double) {
        self.epsilon = epsilon
        self.delta = delta
    }
}

/// The detail of a kind 2 (train) job, version 1 (spec: JOB-DETAIL-REPLY): what `mimeo status` shows.
public struct TrainDetail: JobDetailBody {
    public static let kind = JobKind.train
    public static let version: UInt16 = 1

    public var phase: TrainJobPhase
    /// The round in progress (or last run); 0 before the first.
    public var round: UInt32
    public var roundsPlanned: UInt32
    /// Sites in strictly increasing byte order of their names.
    public var sites: [TrainSiteDetail]
    /// Rounds in strictly increasing order.
    public var losses: [TrainRoundLoss]
    /// Nil without DP.
    public var privacy: TrainPrivacySpent?
    /// Milliseconds to the last planned round, from the mean round time; nil before one round ended.
    public var etaMilliseconds: UInt64?
    /// The result, once the job completed: fetch it with MODEL-GET.
    public var finalModel: BlobReference?

    public init(phase: TrainJobPhase, round: UInt32, roundsPlanned: UInt32, sites: [TrainSiteDetail],
                losses: [TrainRoundLoss], privacy: TrainPrivacySpent?, etaMilliseconds: UInt64?,
                finalModel: BlobReference?) {
        self.phase = phase
        self.round = round
        self.roundsPlanned = roundsPlanned
        self.sites = sites
        self.losses = losses
        self.privacy = privacy
        self.etaMilliseconds = etaMilliseconds
        self.finalModel = finalModel
    }

    public func write(to writer: inout WireWriter) {
        writer.u8(phase.rawValue)
        writer.u32(round)
        writer.u32(roundsPlanned)
        writer.list(sites) { writer, site in
            writer.string(site.name)
            writer.u64(site.examples)
            writer.optional(site.trainLoss) { writer, loss in writer.f64(loss) }
            writer.optional(site.validationLoss) { writer, loss in writer.f64(loss) }
            writer.f64(site.contribution)
            writer.optional(site.lastRound) { writer, round in writer.u32(round) }
        }
        writer.list(losses) { writer, loss in
            writer.u32(loss.round)
            writer.f64(loss.validationLoss)
        }
        writer.optional(privacy) { writer, privacy in
            writer.f64(privacy.epsilon)
            writer.f64(privacy.delta)
        }
        writer.optional(etaMilliseconds) { writer, eta in writer.u64(eta) }
        writer.optional(finalModel) { writer, model in writer.blob(model) }
    }

    public init(reading reader: inout WireReader) throws(WireError) {
        phase = try reader.enumeration(TrainJobPhase.self, "detail phase")
        round = try reader.u32("detail round")
        roundsPlanned = try reader.positiveU32("detail rounds planned")
        sites = try reader.list("detail sites", minimumElementBytes: 21) { reader throws(WireError) in
            let name = try reader.nonEmptyString("detail site")
            let examples = try reader.u64("detail site examples")
            let trainLoss = try reader.optional("detail site train loss") { reader throws(WireError) in
                try reader.f64("detail site train loss")
            }
            let validationLoss = try reader.optional("detail site validation loss") { reader throws(WireError) in
                try reader.f64("detail site validation loss")
            }
            let contribution = try reader.nonNegativeF64("detail site contribution")
            guard contribution <= 1 else {
                throw .invalidValue(field: "detail site contribution", reason: "a share, at most 1")
            }
            let lastRound = try reader.optional("detail site last round") { reader throws(WireError) in
                try reader.positiveU32("detail site last round")
            }
            return TrainSiteDetail(name: name, examples: examples, trainLoss: trainLoss, validationLoss: validationLoss,
                                   contribution: contribution, lastRound: lastRound)
        }
        guard strictlyIncreasing(sites.map(\.name)) else {
            throw .invalidValue(field: "detail sites", reason: "names unique and in increasing byte order")
        }
        losses = try reader.list("detail losses", minimumElementBytes: 12) { reader throws(WireError) in
            TrainRoundLoss(round: try reader.positiveU32("detail loss round"),
                           validationLoss: try reader.f64("detail loss"))
        }
        guard zip(losses, losses.dropFirst()).allSatisfy({ $0.round < $1.round }) else {
            throw .invalidValue(field: "detail losses", reason: "rounds strictly increasing")
        }
        privacy = try reader.optional("detail privacy") { reader throws(WireError) in
            let epsilon = try reader.nonNegativeF64("detail epsilon spent")
            let delta = try reader.positiveF64("detail delta")
            guard delta < 1 else { throw .invalidValue(field: "detail delta", reason: "must be below 1") }
            return TrainPrivacySpent(epsilon: epsilon, delta: delta)
        }
        etaMilliseconds = try reader.optional("detail eta") { reader throws(WireError) in try reader.u64("detail eta") }
        finalModel = try reader.optional("detail final model") { reader throws(WireError) in
            try reader.blob("detail final model")
        }
    }
}
