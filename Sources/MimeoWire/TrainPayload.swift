/// The payloads of job kind 2 (train): federated and data-parallel training (spec: Job kind 2). Pure codec values:
/// no training happens here. The bodies whose inner format belongs to the training code (a site's encoding summary,
/// a model settings document, an update's values) are carried as opaque bytes with a format version.

/// How a train job's sites get their rows (spec: Job kind 2).
public enum TrainMode: UInt8, Sendable, CaseIterable {
    /// Every site trains on the table it already holds (`mimeo worker --data`); no row leaves a site.
    case federated = 1
    /// The client uploads one table; each participant loads a byte range of it (phase 1), then the rounds run.
    case dataParallel = 2
}

/// The rule that turns the sites' updates into the next global model.
public enum TrainStrategy: UInt8, Sendable, CaseIterable {
    /// FedAvg: the updates' mean weighted by example counts.
    case fedAvg = 1
    /// FedProx: FedAvg with a proximal term μ/2·‖w − w_global‖² in each site's local loss.
    case fedProx = 2
}

/// The phases of a train job; each task (one lease) belongs to one (spec: Job kind 2, Phases).
public enum TrainPhase: UInt8, Sendable, CaseIterable {
    /// Data-parallel only: a participant loads its byte range of the uploaded table.
    case load = 1
    /// Encoding agreement, round 1: keyed-hash counts and sketches of a site's columns.
    case analyzeCounts = 2
    /// Encoding agreement, round 2: the verbatim values whose union count passed the rare threshold.
    case analyzeValues = 3
    /// One training round: local training from the global model, the update back.
    case trainRound = 4
}

/// Client-level DP-FedAvg settings of a job (spec: Job kind 2): the target (ε, δ) and the clipping bound C.
public struct DifferentialPrivacySettings: Hashable, Sendable {
    /// ε of the whole run, finite and above 0.
    public var epsilon: Double
    /// δ, in (0, 1).
    public var delta: Double
    /// Each site's update is clipped to this L2 norm; finite and above 0.
    public var clip: Double
    public init(epsilon: Double, delta: Double, clip: Double) {
        self.epsilon = epsilon
        self.delta = delta
        self.clip = clip
    }
}

/// A site's X25519 public key for secure aggregation's pairwise masks: 32 bytes (RFC 7748).
public struct SitePublicKey: Hashable, Sendable {
    /// The length of a key in bytes.
    public static let byteCount = 32
    public let bytes: [UInt8]
    /// A key from its 32 bytes, or nil for another length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }
    init(checked bytes: [UInt8]) { self.bytes = bytes }
}

// MARK: - Field helpers

extension WireWriter {
    /// An `f64`: IEEE-754 binary64, big-endian.
    mutating func f64(_ value: Double) { u64(value.bitPattern) }

    mutating func publicKey(_ key: SitePublicKey) {
        for byte in key.bytes { u8(byte) }
    }
}

extension WireReader {
    /// An `f64` that is finite (NaN and infinities are malformed).
    mutating func f64(_ field: String) throws(WireError) -> Double {
        let value = Double(bitPattern: try u64(field))
        guard value.isFinite else { throw .invalidValue(field: field, reason: "must be finite") }
        return value
    }

    mutating func positiveF64(_ field: String) throws(WireError) -> Double {
        let value = try f64(field)
        guard value > 0 else { throw .invalidValue(field: field, reason: "must be above 0") }
        return value
    }

    mutating func nonNegativeF64(_ field: String) throws(WireError) -> Double {
        let value = try f64(field)
        // -0.0 is refused too: it would encode differently from 0.
        guard value >= 0, value.sign == .plus else { throw .invalidValue(field: field, reason: "must be at least 0") }
        return value
    }

    mutating func publicKey(_ field: String) throws(WireError) -> SitePublicKey {
        SitePublicKey(checked: Array(try take(SitePublicKey.byteCount, field)))
    }

    mutating func nonEmptyString(_ field: String) throws(WireError) -> String {
        let value = try string(field)
        guard !value.isEmpty else { throw .invalidValue(field: field, reason: "must not be empty") }
        return value
    }

    mutating func enumeration<E: RawRepresentable>(_ type: E.Type, _ field: String) throws(WireError) -> E
    where E.RawValue == UInt8 {
        let raw = try u8(field)
        guard let value = E(rawValue: raw) else { throw .invalidValue(field: field, reason: "unknown value \(raw)") }
        return value
    }
}

/// Whether `names` are unique and in strictly increasing order of their UTF-8 bytes.
func strictlyIncreasing(_ names: [String]) -> Bool {
    zip(names, names.dropFirst()).allSatisfy { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
}

// MARK: - SUBMIT

/// SUBMIT payload of kind 2 (train), version 1: one federated or data-parallel training run (spec: Job kind 2).
public struct TrainJob: JobPayload {
    public static let kind = JobKind.train
    public static let version: UInt16 = 1

    /// The most rounds a job may plan.
    public static let maxRounds: UInt32 = 100_000
    /// The largest model settings document, in bytes.
    public static let maxSettingsBytes = 65_536

    public var mode: TrainMode
    /// `--rounds`: rounds planned, 1 to `maxRounds` (early stopping may end the run sooner).
    public var rounds: UInt32
    /// `--local-epochs`: epochs over the site's training rows per round; 0 when `localSteps` is given.
    public var localEpochs: UInt32
    /// `--local-steps`: optimiser steps per round; 0 when `localEpochs` is given. Exactly one of the two is nonzero.
    public var localSteps: UInt32
    /// `--min-sites`: the fewest updates a round needs (quorum), at least 1 (2 with secure aggregation).
    public var minSites: UInt16
    public var strategy: TrainStrategy
    /// FedProx's μ: above 0 for FedProx, exactly 0 for FedAvg.
    public var proximalMu: Double
    /// `--round-timeout`: the lease timeout of a round's tasks; 0 lets the coordinator choose.
    public var roundTimeoutMilliseconds: UInt32
    /// `--round-attempts`: attempts per round before the job fails; 0 lets the coordinator choose (3).
    public var roundAttempts: UInt16
    /// How long a round may wait for `minSites` sites to be joined; 0 lets the coordinator choose.
    public var enrolmentTimeoutMilliseconds: UInt32
    /// The seed of the model's initialisation and of every site's local shuffles.
    public var seed: UInt64
    /// The encoding's rare threshold: a category value whose union count is below it never leaves a site.
    public var rareThreshold: UInt32
    /// The id of the HMAC key the sites hash category values with (the key itself is never sent).
    public var keyID: String
    /// `--secure-aggregation`: sites mask their quantised updates with pairwise X25519 masks.
    public var secureAggregation: Bool
    /// `--dp-epsilon`, `--dp-delta`: client-level DP-FedAvg, or nil.
    public var privacy: DifferentialPrivacySettings?
    /// The training options (`mimeo train`'s model settings) as a UTF-8 JSON document, passed through to the
    /// training code; empty for the defaults. At most `maxSettingsBytes`.
    public var settings: [UInt8]
    /// Data-parallel only (and required there): the uploaded table, which the coordinator fetches from the client
    /// with MODEL-GET before ACCEPTED.
    public var table: BlobReference?

    public init(mode: TrainMode, rounds: UInt32, localEpochs: UInt32, localSteps: UInt32 = 0, minSites: UInt16,
                strategy: TrainStrategy = .fedAvg, proximalMu: Double = 0, roundTimeoutMilliseconds: UInt32 = 0,
                roundAttempts: UInt16 = 0, enrolmentTimeoutMilliseconds: UInt32 = 0, seed: UInt64,
                rareThreshold: UInt32, keyID: String, secureAggregation: Bool = false,
                privacy: DifferentialPrivacySettings? = nil, settings: [UInt8] = [], table: BlobReference? = nil) {
        self.mode = mode
        self.rounds = rounds
        self.localEpochs = localEpochs
        self.localSteps = localSteps
        self.minSites = minSites
        self.strategy = strategy
        self.proximalMu = proximalMu
        self.roundTimeoutMilliseconds = roundTimeoutMilliseconds
        self.roundAttempts = roundAttempts
        self.enrolmentTimeoutMilliseconds = enrolmentTimeoutMilliseconds
        self.seed = seed
        self.rareThreshold = rareThreshold
        self.keyID = keyID
        self.secureAggregation = secureAggregation
        self.privacy = privacy
        self.settings = settings
        self.table = table
    }

    public func write(to writer: inout WireWriter) {
        writer.u8(mode.rawValue)
        writer.u32(rounds)
        writer.u32(localEpochs)
        writer.u32(localSteps)
        writer.u16(minSites)
        writer.u8(strategy.rawValue)
        writer.f64(proximalMu)
        writer.u32(roundTimeoutMilliseconds)
        writer.u16(roundAttempts)
        writer.u32(enrolmentTimeoutMilliseconds)
        writer.u64(seed)
        writer.u32(rareThreshold)
        writer.string(keyID)
        writer.bool(secureAggregation)
        writer.optional(privacy) { writer, privacy in
            writer.f64(privacy.epsilon)
            writer.f64(privacy.delta)
            writer.f64(privacy.clip)
        }
        writer.bytes(settings)
        writer.optional(table) { writer, table in writer.blob(table) }
    }

    public init(reading reader: inout WireReader, version: UInt16) throws(WireError) {
        mode = try reader.enumeration(TrainMode.self, "train mode")
        rounds = try reader.positiveU32("train rounds")
        guard rounds <= Self.maxRounds else {
            throw .invalidValue(field: "train rounds", reason: "at most \(Self.maxRounds)")
        }
        localEpochs = try reader.u32("train local epochs")
        localSteps = try reader.u32("train local steps")
        guard (localEpochs == 0) != (localSteps == 0) else {
            throw .invalidValue(field: "train local epochs",
                                reason: "exactly one of local epochs and local steps is nonzero")
        }
        minSites = try reader.positiveU16("train min sites")
        strategy = try reader.enumeration(TrainStrategy.self, "train strategy")
        proximalMu = try reader.nonNegativeF64("train proximal mu")
        guard (strategy == .fedProx) == (proximalMu > 0) else {
            throw .invalidValue(field: "train proximal mu", reason: "above 0 for FedProx and 0 for FedAvg")
        }
        roundTimeoutMilliseconds = try reader.u32("train round timeout")
        roundAttempts = try reader.u16("train round attempts")
        enrolmentTimeoutMilliseconds = try reader.u32("train enrolment timeout")
        seed = try reader.u64("train seed")
        rareThreshold = try reader.positiveU32("train rare threshold")
        keyID = try reader.nonEmptyString("train key id")
        secureAggregation = try reader.bool("train secure aggregation")
        guard !secureAggregation || minSites >= 2 else {
            throw .invalidValue(field: "train min sites", reason: "secure aggregation needs at least 2 sites")
        }
        privacy = try reader.optional("train privacy") { reader throws(WireError) in
            let epsilon = try reader.positiveF64("train dp epsilon")
            let delta = try reader.positiveF64("train dp delta")
            guard delta < 1 else { throw .invalidValue(field: "train dp delta", reason: "must be below 1") }
            return DifferentialPrivacySettings(epsilon: epsilon, delta: delta,
                                               clip: try reader.positiveF64("train dp clip"))
        }
        settings = try reader.bytes("train settings", limit: Self.maxSettingsBytes)
        guard String(validating: settings, as: UTF8.self) != nil else { throw .invalidUTF8(field: "train settings") }
        table = try reader.optional("train table") { reader throws(WireError) in try reader.blob("train table") }
        guard (mode == .dataParallel) == (table != nil) else {
            throw .invalidValue(field: "train table", reason: "present for data-parallel jobs only, and required there")
        }
    }
}

// MARK: - LEASE

/// Phase 1 (data-parallel): load bytes `offset ..< offset + length` of the uploaded table, whole CSV records, and
/// parse them under `header`.
public struct TrainLoad: Hashable, Sendable {
    /// The uploaded table, fetched with MODEL-GET (only the range is needed).
    public var table: BlobReference
    /// The range's first byte, at the start of a record; `offset + length` is at most the table's size.
    public var offset: UInt64
    /// At least 1.
    public var length: UInt64
    /// SHA-256 of the range's bytes; the worker checks it before parsing.
    public var rangeHash: ContentHash
    /// The table's header line (without its line end), 1 byte to 1 MiB.
    public var header: [UInt8]
    public init(table: BlobReference, offset: UInt64, length: UInt64, rangeHash: ContentHash, header: [UInt8]) {
        self.table = table
        self.offset = offset
        self.length = length
        self.rangeHash = rangeHash
        self.header = header
    }
}

/// Phase 2: summarise the site's columns with keyed-hash counts.
public struct TrainAnalyzeCounts: Hashable, Sendable {
    public var rareThreshold: UInt32
    /// The HMAC key the site hashes values with, by id.
    public var keyID: String
    /// Secure aggregation: return an X25519 public key with the summary.
    public var sendPublicKey: Bool
    public init(rareThreshold: UInt32, keyID: String, sendPublicKey: Bool) {
        self.rareThreshold = rareThreshold
        self.keyID = keyID
        self.sendPublicKey = sendPublicKey
    }
}

/// One category value by column and keyed hash (HMAC-SHA256 of the value under the job's key).
public struct KeyedValue: Hashable, Sendable, Comparable {
    /// The column's index in the table's header.
    public var column: UInt32
    public var hash: ContentHash
    public init(column: UInt32, hash: ContentHash) {
        self.column = column
        self.hash = hash
    }
    public static func < (lhs: KeyedValue, rhs: KeyedValue) -> Bool {
        lhs.column != rhs.column ? lhs.column < rhs.column : lhs.hash.bytes.lexicographicallyPrecedes(rhs.hash.bytes)
    }
}

/// Phase 3: return the verbatim values of these hashes (those whose union count passed the threshold).
public struct TrainAnalyzeValues: Hashable, Sendable {
    /// Strictly increasing (by column, then hash bytes).
    public var requested: [KeyedValue]
    public init(requested: [KeyedValue]) { self.requested = requested }
}

/// A round's participant; with secure aggregation, its public key.
public struct TrainParticipant: Hashable, Sendable {
    public var site: String
    public var publicKey: SitePublicKey?
    public init(site: String, publicKey: SitePublicKey? = nil) {
        self.site = site
        self.publicKey = publicKey
    }
}

/// Secure aggregation's quantisation of one round (`SecureAggregationParameters`): values clipped to
/// [−clipBound, clipBound], scaled so that `maximumSites` of them sum without wrapping mod 2³²; each site sends its
/// delta scaled by w / `weightCap` and w = min(examples, `weightCap`) (`FederatedAveraging.secureAggregationInput`).
public struct TrainMasking: Hashable, Sendable {
    public var clipBound: Double
    public var maximumSites: UInt32
    /// At least 1.
    public var weightCap: UInt32
    public init(clipBound: Double, maximumSites: UInt32, weightCap: UInt32) {
        self.clipBound = clipBound
        self.maximumSites = maximumSites
        self.weightCap = weightCap
    }
}

/// Phase 4: one round of local training from the global model.
public struct TrainRoundWork: Hashable, Sendable {
    /// The global model of this round: a `.mimeo` file, fetched with MODEL-GET and cached by hash.
    public var model: BlobReference
    public var localEpochs: UInt32
    public var localSteps: UInt32
    public var strategy: TrainStrategy
    public var proximalMu: Double
    /// DP: clip the update to this L2 norm; nil without DP.
    public var clip: Double?
    /// Secure aggregation: mask the update; nil without.
    public var masking: TrainMasking?
    /// The round's participants, by site name in strictly increasing byte order, the leased site among them; each
    /// with its public key exactly when masking.
    public var participants: [TrainParticipant]
    /// The seed of the site's local shuffles this round.
    public var seed: UInt64
    public init(model: BlobReference, localEpochs: UInt32, localSteps: UInt32, strategy: TrainStrategy,
                proximalMu: Double, clip: Double?, masking: TrainMasking?, participants: [TrainParticipant],
                seed: UInt64) {
        self.model = model
        self.localEpochs = localEpochs
        self.localSteps = localSteps
        self.strategy = strategy
        self.proximalMu = proximalMu
        self.clip = clip
        self.masking = masking
        self.participants = participants
        self.seed = seed
    }
}

/// What one task of a train job asks for, by phase.
public enum TrainWork: Hashable, Sendable {
    case load(TrainLoad)
    case analyzeCounts(TrainAnalyzeCounts)
    case analyzeValues(TrainAnalyzeValues)
    case trainRound(TrainRoundWork)

    public var phase: TrainPhase {
        switch self {
        case .load: .load
        case .analyzeCounts: .analyzeCounts
        case .analyzeValues: .analyzeValues
        case .trainRound: .trainRound
        }
    }
}

/// LEASE payload of kind 2 (train), version 1: one task, for one site, in one phase and round (spec: Job kind 2).
public struct TrainTask: JobPayload {
    public static let kind = JobKind.train
    public static let version: UInt16 = 1

    /// The round: 0 in phases 1 to 3, from 1 in phase 4.
    public var round: UInt32
    /// The site (worker name) the task is leased to; a worker of another name MUST fail it (422, retryable).
    public var site: String
    public var work: TrainWork

    public init(round: UInt32, site: String, work: TrainWork) {
        self.round = round
        self.site = site
        self.work = work
    }

    public func write(to writer: inout WireWriter) {
        writer.u8(work.phase.rawValue)
        writer.u32(round)
        writer.string(site)
        switch work {
        case let .load(load):
            writer.blob(load.table)
            writer.u64(load.offset)
            writer.u64(load.length)
            writer.hash(load.rangeHash)
            writer.bytes(load.header)
        case let .analyzeCounts(counts):
            writer.u32(counts.rareThreshold)
            writer.string(counts.keyID)
            writer.bool(counts.sendPublicKey)
        case let .analyzeValues(values):
            writer.list(values.requested) { writer, value in
                writer.u32(value.column)
                writer.hash(value.hash)
            }
        case let .trainRound(round):
            writer.blob(round.model)
            writer.u32(round.localEpochs)
            writer.u32(round.localSteps)
            writer.u8(round.strategy.rawValue)
            writer.f64(round.proximalMu)
            writer.optional(round.clip) { writer, clip in writer.f64(clip) }
            writer.optional(round.masking) { writer, masking in
                writer.f64(masking.clipBound)
                writer.u32(masking.maximumSites)
                writer.u32(masking.weightCap)
            }
            writer.list(round.participants) { writer, participant in
                writer.string(participant.site)
                writer.optional(participant.publicKey) { writer, key in writer.publicKey(key) }
            }
            writer.u64(round.seed)
        }
    }

    public init(reading reader: inout WireReader, version: UInt16) throws(WireError) {
        let phase = try reader.enumeration(TrainPhase.self, "task phase")
        round = try reader.u32("task round")
        guard (phase == .trainRound) == (round >= 1) else {
            throw .invalidValue(field: "task round", reason: "0 before the training rounds, from 1 in them")
        }
        site = try reader.nonEmptyString("task site")
        switch phase {
        case .load:
            let table = try reader.blob("load table")
            let offset = try reader.u64("load offset")
            let length = try reader.u64("load length")
            let (end, overflow) = offset.addingReportingOverflow(length)
            guard length >= 1, !overflow, end <= table.bytes else {
                throw .invalidValue(field: "load range", reason: "must be 1 or more bytes inside the table")
            }
            let rangeHash = try reader.hash("load range hash")
            let header = try reader.bytes("load header", limit: ProtocolVersion.maxBodyBytes)
            guard !header.isEmpty else { throw .invalidValue(field: "load header", reason: "must not be empty") }
            work = .load(TrainLoad(table: table, offset: offset, length: length, rangeHash: rangeHash, header: header))
        case .analyzeCounts:
            work = .analyzeCounts(TrainAnalyzeCounts(rareThreshold: try reader.positiveU32("counts rare threshold"),
                                                     keyID: try reader.nonEmptyString("counts key id"),
                                                     sendPublicKey: try reader.bool("counts send public key")))
        case .analyzeValues:
            let requested = try reader.list("values requested", minimumElementBytes: 36) { reader throws(WireError) in
                KeyedValue(column: try reader.u32("values column"), hash: try reader.hash("values hash"))
            }
            guard zip(requested, requested.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw .invalidValue(field: "values requested", reason: "must be strictly increasing by column and hash")
            }
            work = .analyzeValues(TrainAnalyzeValues(requested: requested))
        case .trainRound:
            work = .trainRound(try TrainRoundWork(reading: &reader, site: site))
        }
    }
}

extension TrainRoundWork {
    init(reading reader: inout WireReader, site: String) throws(WireError) {
        model = try reader.blob("round model")
        localEpochs = try reader.u32("round local epochs")
        localSteps = try reader.u32("round local steps")
        guard (localEpochs == 0) != (localSteps == 0) else {
            throw .invalidValue(field: "round local epochs",
                                reason: "exactly one of local epochs and local steps is nonzero")
        }
        strategy = try reader.enumeration(TrainStrategy.self, "round strategy")
        proximalMu = try reader.nonNegativeF64("round proximal mu")
        guard (strategy == .fedProx) == (proximalMu > 0) else {
            throw .invalidValue(field: "round proximal mu", reason: "above 0 for FedProx and 0 for FedAvg")
        }
        clip = try reader.optional("round clip") { reader throws(WireError) in try reader.positiveF64("round clip") }
        masking = try reader.optional("round masking") { reader throws(WireError) in
            TrainMasking(clipBound: try reader.positiveF64("round masking clip bound"),
                         maximumSites: try reader.u32("round masking maximum sites"),
                         weightCap: try reader.positiveU32("round masking weight cap"))
        }
        let masked = masking != nil
        participants = try reader.list("round participants", minimumElementBytes: 3) { reader throws(WireError) in
            TrainParticipant(site: try reader.nonEmptyString("round participant"),
                             publicKey: try reader.optional("round participant key") { reader throws(WireError) in
                                 try reader.publicKey("round participant key")
                             })
        }
        seed = try reader.u64("round seed")
        guard strictlyIncreasing(participants.map(\.site)), participants.contains(where: { $0.site == site }) else {
            throw .invalidValue(field: "round participants",
                                reason: "unique, in increasing byte order, and including the leased site")
        }
        guard participants.allSatisfy({ ($0.publicKey != nil) == masked }) else {
            throw .invalidValue(field: "round participant key",
                                reason: "every participant has a key exactly when masking")
        }
        if let masking {
            guard participants.count >= 2, masking.maximumSites >= UInt32(participants.count) else {
                throw .invalidValue(field: "round masking maximum sites",
                                    reason: "a masked round has at least 2 participants and at most the maximum")
            }
        }
    }
}

// MARK: - RESULT

/// How an update's values are written.
public enum UpdateEncoding: UInt8, Sendable, CaseIterable {
    /// `weights − global` as IEEE-754 binary32, big-endian; every value finite.
    case binary32 = 1
    /// Secure aggregation: quantised and masked values as `u32` words mod 2³², big-endian.
    case maskedWords = 2
}

/// Where an update's bytes are.
public enum UpdateBody: Hashable, Sendable {
    /// In the RESULT payload: 4 bytes per value, at least one value.
    case inline([UInt8])
    /// Held by the worker; the coordinator fetches it with MODEL-GET and checks the hash. Its size is a multiple
    /// of 4.
    case reference(BlobReference)
}

/// A site's update of one round.
public struct TrainUpdate: Hashable, Sendable {
    public var encoding: UpdateEncoding
    public var body: UpdateBody
    public init(encoding: UpdateEncoding, body: UpdateBody) {
        self.encoding = encoding
        self.body = body
    }

    /// An inline binary32 update of `values` (which must be finite for the receiver to accept it).
    public static func binary32(_ values: [Float]) -> TrainUpdate {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern
            bytes += [UInt8(truncatingIfNeeded: bits >> 24), UInt8(truncatingIfNeeded: bits >> 16),
                      UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits)]
        }
        return TrainUpdate(encoding: .binary32, body: .inline(bytes))
    }

    /// An inline masked update of `words`.
    public static func maskedWords(_ words: [UInt32]) -> TrainUpdate {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.count * 4)
        for word in words {
            bytes += [UInt8(truncatingIfNeeded: word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                      UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return TrainUpdate(encoding: .maskedWords, body: .inline(bytes))
    }

    /// The big-endian `u32` words of 4-byte-aligned `bytes`.
    public static func words(of bytes: [UInt8]) -> [UInt32] {
        stride(from: 0, to: bytes.count - bytes.count % 4, by: 4).map { (index: Int) -> UInt32 in
            let high = UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
            let low = UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
            return high | low
        }
    }

    /// The binary32 values of an inline binary32 update, nil for any other.
    public var floats: [Float]? {
        guard encoding == .binary32, case let .inline(bytes) = body else { return nil }
        return Self.words(of: bytes).map(Float.init(bitPattern:))
    }
}

/// A site's answer to phase 3: one verbatim value for a requested hash.
public struct RevealedValue: Hashable, Sendable {
    public var key: KeyedValue
    public var value: String
    public init(key: KeyedValue, value: String) {
        self.key = key
        self.value = value
    }
}

/// Phase 4's result: the update and the losses.
public struct TrainRoundResult: Hashable, Sendable {
    /// The round answered (the lease's round).
    public var round: UInt32
    /// Training examples the update was computed on, at least 1 (FedAvg's weight).
    public var examples: UInt64
    /// The mean training loss of the local steps, finite.
    public var trainLoss: Double
    /// Validation examples; 0 when the site keeps none.
    public var validationExamples: UInt64
    /// The validation loss of the incoming global weights, present exactly when `validationExamples` > 0.
    public var validationLoss: Double?
    public var elapsedMilliseconds: UInt64
    public var update: TrainUpdate
    public init(round: UInt32, examples: UInt64, trainLoss: Double, validationExamples: UInt64,
                validationLoss: Double?, elapsedMilliseconds: UInt64, update: TrainUpdate) {
        self.round = round
        self.examples = examples
        self.trainLoss = trainLoss
        self.validationExamples = validationExamples
        self.validationLoss = validationLoss
        self.elapsedMilliseconds = elapsedMilliseconds
        self.update = update
    }
}

/// What a task of a train job produced, by phase.
public enum TrainOutcome: Hashable, Sendable {
    /// Phase 1: rows parsed from the range.
    case loaded(rows: UInt64)
    /// Phase 2: the site's encoding summary (its format, owned by the training code, and bytes) and, for secure
    /// aggregation, its public key.
    case counts(summaryVersion: UInt16, summary: [UInt8], publicKey: SitePublicKey?)
    /// Phase 3: the requested values the site holds, strictly increasing by key.
    case values([RevealedValue])
    /// Phase 4.
    case round(TrainRoundResult)

    public var phase: TrainPhase {
        switch self {
        case .loaded: .load
        case .counts: .analyzeCounts
        case .values: .analyzeValues
        case .round: .trainRound
        }
    }
}

/// RESULT payload of kind 2 (train), version 1 (spec: Job kind 2).
public struct TrainTaskResult: JobPayload {
    public static let kind = JobKind.train
    public static let version: UInt16 = 1

    public var outcome: TrainOutcome
    public init(outcome: TrainOutcome) { self.outcome = outcome }

    public func write(to writer: inout WireWriter) {
        writer.u8(outcome.phase.rawValue)
        switch outcome {
        case let .loaded(rows):
            writer.u64(rows)
        case let .counts(summaryVersion, summary, publicKey):
            writer.u16(summaryVersion)
            writer.bytes(summary)
            writer.optional(publicKey) { writer, key in writer.publicKey(key) }
        case let .values(values):
            writer.list(values) { writer, value in
                writer.u32(value.key.column)
                writer.hash(value.key.hash)
                writer.string(value.value)
            }
        case let .round(result):
            writer.u32(result.round)
            writer.u64(result.examples)
            writer.f64(result.trainLoss)
            writer.u64(result.validationExamples)
            writer.optional(result.validationLoss) { writer, loss in writer.f64(loss) }
            writer.u64(result.elapsedMilliseconds)
            writer.u8(result.update.encoding.rawValue)
            switch result.update.body {
            case let .inline(bytes):
                writer.u8(0)
                writer.bytes(bytes)
            case let .reference(blob):
                writer.u8(1)
                writer.blob(blob)
            }
        }
    }

    public init(reading reader: inout WireReader, version: UInt16) throws(WireError) {
        switch try reader.enumeration(TrainPhase.self, "train result phase") {
        case .load:
            outcome = .loaded(rows: try reader.u64("train result rows"))
        case .analyzeCounts:
            let summaryVersion = try reader.u16("train result summary version")
            let summary = try reader.bytes("train result summary", limit: ProtocolVersion.maxBulkBytes)
            guard !summary.isEmpty else {
                throw .invalidValue(field: "train result summary", reason: "must not be empty")
            }
            outcome = .counts(summaryVersion: summaryVersion, summary: summary,
                              publicKey: try reader.optional("train result public key") { reader throws(WireError) in
                                  try reader.publicKey("train result public key")
                              })
        case .analyzeValues:
            let values = try reader.list("train result values", minimumElementBytes: 38) { reader throws(WireError) in
                RevealedValue(key: KeyedValue(column: try reader.u32("train result value column"),
                                              hash: try reader.hash("train result value hash")),
                              value: try reader.string("train result value"))
            }
            guard zip(values, values.dropFirst()).allSatisfy({ $0.key < $1.key }) else {
                throw .invalidValue(field: "train result values",
                                    reason: "must be strictly increasing by column and hash")
            }
            outcome = .values(values)
        case .trainRound:
            outcome = .round(try TrainRoundResult(reading: &reader))
        }
    }
}

extension TrainRoundResult {
    init(reading reader: inout WireReader) throws(WireError) {
        round = try reader.positiveU32("round result round")
        examples = try reader.u64("round result examples")
        guard examples >= 1 else { throw .invalidValue(field: "round result examples", reason: "must be at least 1") }
        trainLoss = try reader.f64("round result train loss")
        validationExamples = try reader.u64("round result validation examples")
        validationLoss = try reader.optional("round result validation loss") { reader throws(WireError) in
            try reader.f64("round result validation loss")
        }
        guard (validationExamples > 0) == (validationLoss != nil) else {
            throw .invalidValue(field: "round result validation loss",
                                reason: "present exactly when there are validation examples")
        }
        elapsedMilliseconds = try reader.u64("round result elapsed")
        let encoding = try reader.enumeration(UpdateEncoding.self, "round result update encoding")
        let body: UpdateBody
        switch try reader.u8("round result update transport") {
        case 0:
            let bytes = try reader.bytes("round result update", limit: ProtocolVersion.maxBulkBytes)
            guard bytes.count >= 4, bytes.count % 4 == 0 else {
                throw .invalidValue(field: "round result update", reason: "a positive multiple of 4 bytes")
            }
            if encoding == .binary32 {
                guard TrainUpdate.words(of: bytes).allSatisfy({ Float(bitPattern: $0).isFinite }) else {
                    throw .invalidValue(field: "round result update", reason: "every binary32 value must be finite")
                }
            }
            body = .inline(bytes)
        case 1:
            let blob = try reader.blob("round result update")
            guard blob.bytes % 4 == 0 else {
                throw .invalidValue(field: "round result update bytes", reason: "a positive multiple of 4")
            }
            body = .reference(blob)
        case let other:
            throw .invalidValue(field: "round result update transport",
                                reason: "0 (inline) or 1 (by hash), got \(other)")
        }
        update = TrainUpdate(encoding: encoding, body: body)
    }
}
