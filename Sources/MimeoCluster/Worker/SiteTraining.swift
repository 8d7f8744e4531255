import Crypto
import Foundation
import MimeoData
import MimeoFederated
import MimeoFederatedTraining
import MimeoTabular
import MimeoWire

/// A federated site's own table (`mimeo worker --data`): read once when the worker starts, analysed once, and
/// never sent. Only keyed-hash counts and sketches (phase 2), the values whose union count passed the rare
/// threshold (phase 3) and weight updates (phase 4) leave the site.
public struct SiteData: Sendable {
    /// The site's table, as read.
    public let table: Table
    /// The schema the site inferred (or was given) for it.
    public let schema: Schema
    /// The id of the HMAC key (a TrainJob's key id must name it).
    public let keyID: String
    /// The encoding agreement's site end, computed once.
    let analyzer: SiteEncodingAnalyzer

    /// Analyzes `table` under `schema` with the sites' shared secret `keyBytes` (the contents of the key file, at
    /// least 16 bytes; the HMAC key is their SHA-256), named `keyID`.
    /// - Throws: `WorkerError` for an empty table or a short key, `EncodingAgreementError` for a table that does
    ///   not match the schema.
    public init(table: Table, schema: Schema, keyID: String, keyBytes: [UInt8]) throws {
        guard table.rowCount > 0 else { throw WorkerError("the site's table has no rows") }
        guard keyBytes.count >= 16 else {
            throw WorkerError("the site key has \(keyBytes.count) bytes; it needs at least 16 (e.g. head -c 32 /dev/urandom > site.key)")
        }
        guard !keyID.isEmpty else { throw WorkerError("the site key id must not be empty") }
        let key = SymmetricKey(data: SHA256.hash(data: keyBytes))
        self.table = table
        self.schema = schema
        self.keyID = keyID
        analyzer = try SiteEncodingAnalyzer(table: table, schema: schema, key: key)
    }
}

/// The body of a phase-2 result (summary format 1): the site's schema (column names, kinds and formats; no
/// missing-value or invalid-value spellings) and its round-1 counts, as JSON. The coordinator takes the schema of
/// the first site in name order and every other site's must have the same columns and kinds.
public struct SiteSummaryEnvelope: Codable, Sendable, Equatable {
    /// The format version carried in TrainTaskResult's summary version.
    public static let version: UInt16 = 1
    public var schema: Schema
    public var counts: SiteCountsSummary

    public init(schema: Schema, counts: SiteCountsSummary) {
        var shared = schema
        shared.missingValues = []
        for index in shared.columns.indices { shared.columns[index].invalidValues = nil }
        self.schema = shared
        self.counts = counts
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    public static func decode(_ bytes: [UInt8], version: UInt16) throws -> SiteSummaryEnvelope {
        guard version == Self.version else {
            throw EncodingAgreementError("site summary format \(version) is not supported (this coordinator reads \(Self.version))")
        }
        return try JSONDecoder().decode(SiteSummaryEnvelope.self, from: Data(bytes))
    }
}

/// Why a site cannot run a train task: the FAIL code and whether another attempt may succeed.
struct SiteTaskError: Error, CustomStringConvertible {
    var code: ErrorCode
    var retryable: Bool
    var description: String
}

/// Runs one kind-2 task at a site (spec: Job kind 2), off the worker's loop thread.
enum SiteTraining {
    /// The largest inline update: the bulk limit less room for the RESULT's other fields.
    static let maximumInlineUpdateBytes = Int(ProtocolVersion.maxBulkBytes) - 4_096

    static func run(_ task: TrainTask, site: SiteData, siteName: String, modelPath: String?,
                    threads: Int) throws -> TrainTaskResult {
        guard task.site == siteName else {
            throw SiteTaskError(code: .invalidJob, retryable: true,
                                description: "the task is for site '\(task.site)', this worker is '\(siteName)'")
        }
        switch task.work {
        case .load:
            throw SiteTaskError(code: .unsupportedKind, retryable: false,
                                description: "a site started with --data does not load data-parallel ranges")
        case let .analyzeCounts(counts):
            guard counts.keyID == site.keyID else {
                throw SiteTaskError(code: .invalidJob, retryable: false,
                                    description: "the job hashes with key '\(counts.keyID)', this site holds key '\(site.keyID)'")
            }
            guard !counts.sendPublicKey else {
                throw SiteTaskError(code: .unsupportedKind, retryable: false,
                                    description: "secure aggregation is not run by this worker yet")
            }
            let envelope = SiteSummaryEnvelope(schema: site.schema, counts: site.analyzer.summary)
            return TrainTaskResult(outcome: .counts(summaryVersion: SiteSummaryEnvelope.version,
                                                    summary: try envelope.encoded(), publicKey: nil))
        case let .analyzeValues(values):
            var columns = [[ValueHash]](repeating: [], count: site.schema.columns.count)
            for keyed in values.requested {
                guard Int(keyed.column) < columns.count else {
                    throw SiteTaskError(code: .invalidJob, retryable: false,
                                        description: "the request names column \(keyed.column) of \(columns.count)")
                }
                columns[Int(keyed.column)].append(try ValueHash(wire: keyed.hash))
            }
            let answer = try site.analyzer.values(for: ValueRequest(columns: columns))
            var revealed: [MimeoWire.RevealedValue] = []
            for (column, list) in answer.columns.enumerated() {
                for value in list {
                    revealed.append(MimeoWire.RevealedValue(key: KeyedValue(column: UInt32(column), hash: value.hash.wire),
                                                            value: value.value))
                }
            }
            revealed.sort { $0.key < $1.key }
            return TrainTaskResult(outcome: .values(revealed))
        case let .trainRound(work):
            guard let modelPath else { throw SiteTaskError(code: .modelUnavailable, retryable: true, description: "no model") }
            return TrainTaskResult(outcome: .round(try round(task.round, work, site: site, modelPath: modelPath,
                                                             threads: threads)))
        }
    }

    private static func round(_ round: UInt32, _ work: TrainRoundWork, site: SiteData, modelPath: String,
                              threads: Int) throws -> TrainRoundResult {
        guard work.masking == nil else {
            throw SiteTaskError(code: .unsupportedKind, retryable: false,
                                description: "secure aggregation's masked rounds are not run by this worker yet")
        }
        let started = Date()
        let global = try ModelFile.read(from: modelPath)
        let encoder = global.metadata.encoder
        var training = global.metadata.trainingOptions
        training.threads = threads
        let strategy: LocalStrategy = work.strategy == .fedProx ? .fedProx(mu: Float(work.proximalMu)) : .fedAvg
        let options = LocalTrainingOptions(training: training, localEpochs: Int(max(work.localEpochs, 1)),
                                           localSteps: work.localSteps > 0 ? Int(work.localSteps) : nil,
                                           strategy: strategy)
        let trainer = try LocalTrainer(architecture: global.metadata.architecture, tokens: encoder.encode(site.table),
                                       rowCount: site.table.rowCount, options: options)
        let update = try trainer.train(global: global.model.parameters, round: Int(round))
        var delta = update.delta
        if let clip = work.clip {
            let norm = FederatedAveraging.l2Norm(delta)
            if norm > clip { delta = delta.map { Float(Double($0) * clip / norm) } }
        }
        guard delta.count * 4 <= maximumInlineUpdateBytes else {
            throw SiteTaskError(code: .internalError, retryable: false,
                                description: "the update of \(delta.count * 4) bytes does not fit a RESULT; updates by hash are not sent by this worker yet")
        }
        let validation = update.validationRows > 0 && update.validationLoss.isFinite
        return TrainRoundResult(round: round, examples: UInt64(update.exampleCount), trainLoss: update.trainLoss,
                                validationExamples: validation ? UInt64(update.validationRows) : 0,
                                validationLoss: validation ? update.validationLoss : nil,
                                elapsedMilliseconds: UInt64(Date().timeIntervalSince(started) * 1_000),
                                update: .binary32(delta))
    }
}

extension ValueHash {
    /// The hash in a wire `hash` field (32 bytes): the agreement's 16-byte truncated HMAC, then 16 zero bytes.
    var wire: ContentHash {
        ContentHash(bytes: Array(bytes) + [UInt8](repeating: 0, count: ContentHash.byteCount - bytes.count))!
    }

    /// The hash a wire `hash` field carries.
    /// - Throws: `EncodingAgreementError` when its last 16 bytes are not zero.
    init(wire: ContentHash) throws {
        guard wire.bytes[16...].allSatisfy({ $0 == 0 }) else {
            throw EncodingAgreementError("a keyed value hash must end in 16 zero bytes on the wire")
        }
        try self.init(bytes: Data(wire.bytes[..<16]))
    }
}
