/// A typed, versioned payload of one job kind: what SUBMIT, LEASE or RESULT carry in frame 4 (spec: Job kinds).
///
/// New work (issue 8's training rounds) adds new payload types with new kinds; the envelope does not change.
public protocol JobPayload: Sendable, Equatable {
    /// The job kind this payload belongs to.
    static var kind: JobKind { get }
    /// The highest payload version this type reads and writes.
    static var version: UInt16 { get }
    /// The payload versions this type reads: from the oldest it still reads up to `version`.
    static var versions: ClosedRange<UInt16> { get }
    /// The version this value is written as (the oldest that holds all of its fields).
    var payloadVersion: UInt16 { get }
    /// Writes the payload's fields, in the layout of `payloadVersion`.
    func write(to writer: inout WireWriter)
    /// Reads the payload's fields in the layout of `version`; the caller checks that nothing is left.
    init(reading reader: inout WireReader, version: UInt16) throws(WireError)
}

extension JobPayload {
    /// One version only, unless the type says otherwise.
    public static var versions: ClosedRange<UInt16> { version...version }
    /// The type's version, unless the value says otherwise.
    public var payloadVersion: UInt16 { Self.version }
}

extension JobPayload {
    /// The payload's bytes.
    public func encoded() -> [UInt8] {
        var writer = WireWriter()
        write(to: &writer)
        return writer.bytes
    }

    /// Decodes a payload of this type, checking kind and version and that no bytes are left over.
    public static func decode(kind: JobKind, version: UInt16, payload: [UInt8]) throws(WireError) -> Self {
        guard kind == Self.kind, Self.versions.contains(version) else {
            throw .unsupportedPayload(kind: kind.rawValue, version: version)
        }
        var reader = WireReader(payload, frame: 4)
        let value = try Self(reading: &reader, version: version)
        try reader.finish()
        return value
    }
}

/// A file the coordinator holds by content (a job's real table): its SHA-256 and size. Workers fetch it with
/// MODEL-GET, like a model (spec: Fetching a model).
public struct BlobReference: Hashable, Sendable {
    public var hash: ContentHash
    /// Bytes, at least 1.
    public var bytes: UInt64
    public init(hash: ContentHash, bytes: UInt64) {
        self.hash = hash
        self.bytes = bytes
    }
}

extension WireWriter {
    mutating func blob(_ blob: BlobReference) {
        hash(blob.hash)
        u64(blob.bytes)
    }
}

extension WireReader {
    mutating func blob(_ field: String) throws(WireError) -> BlobReference {
        let hash = try hash(field + " hash")
        let bytes = try u64(field + " bytes")
        guard bytes >= 1 else { throw .invalidValue(field: field + " bytes", reason: "must be at least 1") }
        return BlobReference(hash: hash, bytes: bytes)
    }
}

/// One `--where column=value` condition; `value` nil fixes the column to missing.
public struct WireCondition: Hashable, Sendable {
    public var column: String
    public var value: String?
    public init(column: String, value: String?) {
        self.column = column
        self.value = value
    }
}

extension WireWriter {
    mutating func conditions(_ conditions: [WireCondition]) {
        list(conditions) { writer, condition in
            writer.string(condition.column)
            writer.optional(condition.value) { writer, value in writer.string(value) }
        }
    }
}

extension WireReader {
    mutating func conditions(_ field: String) throws(WireError) -> [WireCondition] {
        try list(field, minimumElementBytes: 3) { reader throws(WireError) in
            WireCondition(column: try reader.string(field + " column"),
                          value: try reader.optional(field + " value") { reader throws(WireError) in
                              try reader.string(field + " value")
                          })
        }
    }
}

extension WireWriter {
    /// What kind-1 SUBMIT and LEASE payloads carry after their version 1 fields: nothing (version 1), the real table
    /// (version 2), or the optional real table and the sampling options (version 3).
    mutating func generateTail(version: UInt16, realTable: BlobReference?, sampling: WireSampling) {
        switch version {
        case 3:
            optional(realTable) { $0.blob($1) }
            sampling.write(to: &self)
        case 2: blob(realTable!)
        default: break
        }
    }
}

extension WireReader {
    /// Reads what `WireWriter.generateTail` writes for `version`.
    mutating func generateTail(version: UInt16, _ field: String) throws(WireError) -> (BlobReference?, WireSampling) {
        switch version {
        case 3:
            let table = try optional(field + " real table") { (r: inout WireReader) throws(WireError) in
                try r.blob(field + " real table")
            }
            return (table, try WireSampling(reading: &self, field))
        case 2: return (try blob(field + " real table"), WireSampling())
        default: return (nil, WireSampling())
        }
    }
}

/// One `--rebalance column=value:share` (payload version 3); `value` nil stands for missing.
public struct WireRebalance: Hashable, Sendable {
    public var column: String
    public var value: String?
    /// In (0, 1]; a job's shares sum to at most 1.
    public var share: Double

    public init(column: String, value: String?, share: Double) {
        self.column = column
        self.value = value
        self.share = share
    }
}

/// How kind-1 rows are sampled beyond seed and conditions (payload version 3): what stands in for rare values, the
/// temperature, the rebalanced shares and the edge-case pool. The defaults (`rareValues` 0, `temperature` 1, no
/// rebalancing, pool 1) are what versions 1 and 2 mean.
public struct WireSampling: Hashable, Sendable {
    /// 0 resample (never draw the rare-values token), 1 the literal `_RARE_`, 2 missing.
    public var rareValues: UInt8
    /// Logits are divided by it; finite, 0.05 to 20.
    public var temperature: Float
    /// `--rebalance` targets, all of one column.
    public var rebalance: [WireRebalance]
    /// `--edge-cases`: each row is the least likely of this many candidates, 1 to 1,000 (1: ordinary rows).
    public var edgeCasePool: UInt16

    public init(rareValues: UInt8 = 0, temperature: Float = 1, rebalance: [WireRebalance] = [], edgeCasePool: UInt16 = 1) {
        self.rareValues = rareValues
        self.temperature = temperature
        self.rebalance = rebalance
        self.edgeCasePool = edgeCasePool
    }

    public var isDefault: Bool { self == WireSampling() }

    func write(to writer: inout WireWriter) {
        writer.u8(rareValues)
        writer.u32(temperature.bitPattern)
        writer.list(rebalance) { writer, target in
            writer.string(target.column)
            writer.optional(target.value) { $0.string($1) }
            writer.u64(target.share.bitPattern)
        }
        writer.u16(edgeCasePool)
    }

    init(reading reader: inout WireReader, _ field: String) throws(WireError) {
        rareValues = try reader.u8(field + " rare values")
        guard rareValues <= 2 else {
            throw .invalidValue(field: field + " rare values", reason: "must be 0, 1 or 2, got \(rareValues)")
        }
        temperature = Float(bitPattern: try reader.u32(field + " temperature"))
        guard temperature.isFinite, temperature >= 0.05, temperature <= 20 else {
            throw .invalidValue(field: field + " temperature", reason: "must be finite, 0.05 to 20")
        }
        rebalance = try reader.list(field + " rebalance", minimumElementBytes: 11) {
            (r: inout WireReader) throws(WireError) -> WireRebalance in
            let column = try r.string(field + " rebalance column")
            let value = try r.optional(field + " rebalance value") { (r: inout WireReader) throws(WireError) in
                try r.string(field + " rebalance value")
            }
            let share = Double(bitPattern: try r.u64(field + " rebalance share"))
            guard share.isFinite, share > 0, share <= 1 else {
                throw .invalidValue(field: field + " rebalance share", reason: "must be in (0, 1]")
            }
            return WireRebalance(column: column, value: value, share: share)
        }
        guard rebalance.map(\.share).reduce(0, +) <= 1 + 1e-9 else {
            throw .invalidValue(field: field + " rebalance", reason: "shares must sum to at most 1")
        }
        edgeCasePool = try reader.u16(field + " edge case pool")
        guard (1...1000).contains(edgeCasePool) else {
            throw .invalidValue(field: field + " edge case pool", reason: "must be 1 to 1000, got \(edgeCasePool)")
        }
    }
}

/// SUBMIT payload of kind 1 (generate): generate `rows` rows from a model (spec: Job kind 1). Version 1 without a
/// real table; version 2 adds one (`--real`), against which the workers summarise their parts' fidelity; version 3
/// makes the real table optional and adds the sampling options (`--rare-values`, `--temperature`).
public struct GenerateJob: JobPayload {
    public static let kind = JobKind.generate
    public static let version: UInt16 = 3
    public static let versions: ClosedRange<UInt16> = 1...3

    /// The SHA-256 of the model file; the coordinator fetches it from the client with MODEL-GET if it lacks it.
    public var modelHash: ContentHash
    public var modelBytes: UInt64
    /// `-n`: rows to generate, at least 1.
    public var rows: UInt64
    /// `--seed`.
    public var seed: UInt64
    /// Batches per shard; 0 lets the coordinator choose.
    public var batchesPerShard: UInt32
    /// `--where` conditions, in the order given.
    public var conditions: [WireCondition]
    /// The output field delimiter (one byte).
    public var delimiter: UInt8
    /// The output folder, as the workers and the coordinator see it.
    public var output: String
    /// Attempts per shard before the job fails; 0 lets the coordinator choose.
    public var maxAttempts: UInt16
    /// The real table (`--real`) the parts' fidelity is measured against; the coordinator fetches it from the
    /// client with MODEL-GET after the model, and writes `_fidelity.json` when the job is done. Nil: version 1.
    public var realTable: BlobReference?
    /// How rows are sampled; defaults in versions 1 and 2.
    public var sampling: WireSampling

    /// Version 3 with sampling options other than the defaults, else 1 without a real table and 2 with one.
    public var payloadVersion: UInt16 { !sampling.isDefault ? 3 : realTable == nil ? 1 : 2 }

    public init(modelHash: ContentHash, modelBytes: UInt64, rows: UInt64, seed: UInt64, batchesPerShard: UInt32,
                conditions: [WireCondition], delimiter: UInt8, output: String, maxAttempts: UInt16,
                realTable: BlobReference? = nil, sampling: WireSampling = WireSampling()) {
        self.modelHash = modelHash
        self.modelBytes = modelBytes
        self.rows = rows
        self.seed = seed
        self.batchesPerShard = batchesPerShard
        self.conditions = conditions
        self.delimiter = delimiter
        self.output = output
        self.maxAttempts = maxAttempts
        self.realTable = realTable
        self.sampling = sampling
    }

    public func write(to writer: inout WireWriter) {
        writer.hash(modelHash)
        writer.u64(modelBytes)
        writer.u64(rows)
        writer.u64(seed)
        writer.u32(batchesPerShard)
        writer.conditions(conditions)
        writer.u8(delimiter)
        writer.string(output)
        writer.u16(maxAttempts)
        writer.generateTail(version: payloadVersion, realTable: realTable, sampling: sampling)
    }

    public init(reading reader: inout WireReader, version: UInt16) throws(WireError) {
        modelHash = try reader.hash("generate model hash")
        modelBytes = try reader.u64("generate model bytes")
        rows = try reader.u64("generate rows")
        guard rows >= 1 else { throw .invalidValue(field: "generate rows", reason: "must be at least 1") }
        seed = try reader.u64("generate seed")
        batchesPerShard = try reader.u32("generate batches per shard")
        conditions = try reader.conditions("generate where")
        delimiter = try reader.u8("generate delimiter")
        output = try reader.string("generate output")
        maxAttempts = try reader.u16("generate max attempts")
        (realTable, sampling) = try reader.generateTail(version: version, "generate")
    }
}

/// LEASE payload of kind 1 (generate): one shard, batches `firstBatch ..< firstBatch + batchCount` of the sampler,
/// which are rows `firstRow ..< firstRow + rowCount` of the job (spec: Job kind 1). Version 1 without a real table;
/// version 2 adds the job's real table, whose fidelity summary of the part the worker returns; version 3 makes it
/// optional and adds the job's sampling options.
public struct GenerateShard: JobPayload {
    public static let kind = JobKind.generate
    public static let version: UInt16 = 3
    public static let versions: ClosedRange<UInt16> = 1...3

    public var modelHash: ContentHash
    public var modelBytes: UInt64
    public var seed: UInt64
    /// `-n` of the whole job.
    public var totalRows: UInt64
    /// Rows per batch (the sampler's `batchSize`, 4,096); a worker whose sampler differs fails the lease.
    public var batchRows: UInt32
    public var firstBatch: UInt64
    public var batchCount: UInt32
    public var firstRow: UInt64
    public var rowCount: UInt64
    public var conditions: [WireCondition]
    public var delimiter: UInt8
    /// The part file to write (through a temporary name), for example `out/part-00003.csv`.
    public var output: String
    /// The job's real table: the worker fetches it by hash, reads it as `mimeo evaluate --real` does and returns
    /// the part's `SyntheticSummary` against it. Nil: version 1.
    public var realTable: BlobReference?
    /// How rows are sampled; defaults in versions 1 and 2.
    public var sampling: WireSampling

    /// Version 3 with sampling options other than the defaults, else 1 without a real table and 2 with one.
    public var payloadVersion: UInt16 { !sampling.isDefault ? 3 : realTable == nil ? 1 : 2 }

    /// A shard of batches `firstBatch ..< firstBatch + batchCount` of a job of `totalRows` rows; the row range
    /// follows from them.
    public init(modelHash: ContentHash, modelBytes: UInt64, seed: UInt64, totalRows: UInt64, batchRows: UInt32,
                firstBatch: UInt64, batchCount: UInt32, conditions: [WireCondition], delimiter: UInt8, output: String,
                realTable: BlobReference? = nil, sampling: WireSampling = WireSampling()) {
        self.modelHash = modelHash
        self.modelBytes = modelBytes
        self.seed = seed
        self.totalRows = totalRows
        self.batchRows = batchRows
        self.firstBatch = firstBatch
        self.batchCount = batchCount
        let first = firstBatch.multipliedReportingOverflow(by: UInt64(batchRows))
        firstRow = first.overflow ? UInt64.max : first.partialValue
        let end = UInt64(batchCount).multipliedReportingOverflow(by: UInt64(batchRows))
        let span = end.overflow ? UInt64.max : end.partialValue
        rowCount = firstRow >= totalRows ? 0 : min(span, totalRows - firstRow)
        self.conditions = conditions
        self.delimiter = delimiter
        self.output = output
        self.realTable = realTable
        self.sampling = sampling
    }

    public func write(to writer: inout WireWriter) {
        writer.hash(modelHash)
        writer.u64(modelBytes)
        writer.u64(seed)
        writer.u64(totalRows)
        writer.u32(batchRows)
        writer.u64(firstBatch)
        writer.u32(batchCount)
        writer.u64(firstRow)
        writer.u64(rowCount)
        writer.conditions(conditions)
        writer.u8(delimiter)
        writer.string(output)
        writer.generateTail(version: payloadVersion, realTable: realTable, sampling: sampling)
    }

    public init(reading reader: inout WireReader, version: UInt16) throws(WireError) {
        modelHash = try reader.hash("shard model hash")
        modelBytes = try reader.u64("shard model bytes")
        seed = try reader.u64("shard seed")
        totalRows = try reader.u64("shard total rows")
        batchRows = try reader.positiveU32("shard batch rows")
        firstBatch = try reader.u64("shard first batch")
        batchCount = try reader.positiveU32("shard batch count")
        firstRow = try reader.u64("shard first row")
        rowCount = try reader.u64("shard row count")
        conditions = try reader.conditions("shard where")
        delimiter = try reader.u8("shard delimiter")
        output = try reader.string("shard output")
        (realTable, sampling) = try reader.generateTail(version: version, "shard")
        // The row range must be exactly the rows of the batch range (spec: Job kind 1).
        let expected = GenerateShard(modelHash: modelHash, modelBytes: modelBytes, seed: seed, totalRows: totalRows,
                                     batchRows: batchRows, firstBatch: firstBatch, batchCount: batchCount,
                                     conditions: [], delimiter: delimiter, output: "")
        let (lastBatchStart, overflow) = UInt64(batchCount - 1).multipliedReportingOverflow(by: UInt64(batchRows))
        guard firstRow == expected.firstRow, rowCount == expected.rowCount, expected.firstRow < totalRows,
              !overflow, rowCount > lastBatchStart else {
            throw .invalidValue(field: "shard rows",
                                reason: "rows \(firstRow) + \(rowCount) are not the rows of batches \(firstBatch) + \(batchCount) of \(totalRows)")
        }
    }
}

/// RESULT payload of kind 1 (generate), version 1: what a worker wrote for one shard (spec: Job kind 1).
public struct GenerateResult: JobPayload {
    public static let kind = JobKind.generate
    public static let version: UInt16 = 1

    /// Data rows written (the header line not counted).
    public var rows: UInt64
    /// Bytes of the part file, header line included.
    public var bytes: UInt64
    /// SHA-256 of the part file's bytes.
    public var checksum: ContentHash
    public var elapsedMilliseconds: UInt64
    /// The version of the summaries blob's own format (`SyntheticSummary`, `TableStatistics`).
    public var summaryVersion: UInt16
    /// Mergeable summaries of the part, opaque to the protocol.
    public var summaries: [UInt8]

    public init(rows: UInt64, bytes: UInt64, checksum: ContentHash, elapsedMilliseconds: UInt64,
                summaryVersion: UInt16, summaries: [UInt8]) {
        self.rows = rows
        self.bytes = bytes
        self.checksum = checksum
        self.elapsedMilliseconds = elapsedMilliseconds
        self.summaryVersion = summaryVersion
        self.summaries = summaries
    }

    public func write(to writer: inout WireWriter) {
        writer.u64(rows)
        writer.u64(bytes)
        writer.hash(checksum)
        writer.u64(elapsedMilliseconds)
        writer.u16(summaryVersion)
        writer.bytes(summaries)
    }

    public init(reading reader: inout WireReader, version: UInt16) throws(WireError) {
        rows = try reader.u64("result rows")
        bytes = try reader.u64("result bytes")
        checksum = try reader.hash("result checksum")
        elapsedMilliseconds = try reader.u64("result elapsed")
        summaryVersion = try reader.u16("result summary version")
        summaries = try reader.bytes("result summaries", limit: ProtocolVersion.maxBulkBytes)
    }
}
