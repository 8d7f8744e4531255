import CZlib
import Foundation
import MimeoData

/// Everything a trained model file holds besides the weights.
public struct ModelMetadata: Codable, Sendable {
    /// The file format version this metadata was written with.
    public var formatVersion: Int
    /// The Mimeo version that wrote the file.
    public var mimeoVersion: String
    public var encoder: TableEncoder
    public var architecture: ModelArchitecture
    public var encodingOptions: EncodingOptions
    public var trainingOptions: TrainingOptions
    public var training: TrainingSummary
    /// The name of the file the model was trained on (no path).
    public var sourceName: String
    public var sourceRows: Int

    public init(formatVersion: Int, mimeoVersion: String, encoder: TableEncoder, architecture: ModelArchitecture,
                encodingOptions: EncodingOptions, trainingOptions: TrainingOptions, training: TrainingSummary,
                sourceName: String, sourceRows: Int) {
        self.formatVersion = formatVersion
        self.mimeoVersion = mimeoVersion
        self.encoder = encoder
        self.architecture = architecture
        self.encodingOptions = encodingOptions
        self.trainingOptions = trainingOptions
        self.training = training
        self.sourceName = sourceName
        self.sourceRows = sourceRows
    }
}

/// A trained model together with its metadata.
public struct TrainedModel: Sendable {
    public var metadata: ModelMetadata
    public var model: TabularModel

    public init(metadata: ModelMetadata, model: TabularModel) {
        self.metadata = metadata
        self.model = model
    }
}

/// An unreadable model file.
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): error: \(message)" }
}

/// The versioned single-file model format (see docs/model-file.md):
///
/// ```
/// offset  size  field
/// 0       8     magic "MIMEOMDL"
/// 8       4     format version, UInt32 little-endian (1, or 2 for a projected architecture)
/// 12      8     metadata length M, UInt64 LE
/// 20      M     metadata, UTF-8 JSON (ModelMetadata)
/// 20+M    8     parameter count P, UInt64 LE
/// 28+M    4·P   parameters, Float32 LE, laid out by ParameterLayout
/// end-4   4     CRC-32 (zlib) of every byte before it, UInt32 LE
/// ```
public enum ModelFile {
    public static let magic: [UInt8] = Array("MIMEOMDL".utf8)
    /// The newest format version this build reads and writes. Version 2 adds the projected architecture
    /// (`architecture.contextWidth`, with projection weights in `ParameterLayout`); a model with the
    /// full architecture is still written as version 1, byte for byte as before.
    public static let formatVersion: UInt32 = 2

    /// The version a model with `architecture` is written with: 1 unless it needs version 2's projection.
    public static func formatVersion(for architecture: ModelArchitecture) -> UInt32 {
        architecture.contextWidth == nil ? 1 : 2
    }
    public static let mimeoVersion = "0.1.0"

    /// The file's bytes.
    public static func encode(_ trained: TrainedModel) throws -> [UInt8] {
        try encode(metadata: trained.metadata, parameters: trained.model.parameters)
    }

    /// The bytes of a model file holding `metadata` and `parameters` as given, consistent or not (for
    /// tests and fuzzing: `decode` is what checks them).
    public static func encode(metadata: ModelMetadata, parameters: [Float]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(metadata)
        var bytes = magic
        append(formatVersion(for: metadata.architecture), to: &bytes)
        append(UInt64(json.count), to: &bytes)
        bytes.append(contentsOf: json)
        append(UInt64(parameters.count), to: &bytes)
        for value in parameters { append(value.bitPattern.littleEndian, to: &bytes) }
        let checksum = crc32(bytes)
        append(checksum, to: &bytes)
        return bytes
    }

    /// Writes the model atomically to `path`.
    public static func write(_ trained: TrainedModel, to path: String) throws {
        try AtomicFileOutput.write(try encode(trained), toFileAt: path)
    }

    /// Reads and checks a model file (see `decode`).
    ///
    /// - Throws: `ModelFileError` for a missing, truncated, corrupted, inconsistent or newer-version file.
    public static func read(from path: String) throws -> TrainedModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(path: path, message: "cannot read the model file (missing or unreadable)")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Parses and checks the bytes of a model file, without touching the disk (also the entry point
    /// for fuzzing).
    ///
    /// The checks run in one order: every length in the header against the bytes there are, the
    /// checksum, the metadata's JSON, then `validate` on everything the metadata says (counts, lengths,
    /// tokens, ranges, the architecture against the weights), and only then are the weights laid out.
    /// So any byte string either gives a model that is safe to generate from, or throws.
    ///
    /// - Throws: `ModelFileError` (and nothing else) for anything that is not such a model.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> TrainedModel {
        func fail(_ message: String) -> ModelFileError { ModelFileError(path: path, message: message) }
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            throw fail("not a Mimeo model file (it does not start with \"MIMEOMDL\")")
        }
        guard bytes.count >= 12 else { throw fail("truncated model file (\(bytes.count) bytes)") }
        let version: UInt32 = readInteger(bytes, at: 8)
        guard version <= formatVersion else {
            throw fail("model file format version \(version) is newer than this mimeo reads (\(formatVersion));"
                       + " use a newer mimeo")
        }
        guard version >= 1 else { throw fail("invalid model file format version \(version)") }
        guard bytes.count >= 24 else { throw fail("truncated model file (\(bytes.count) bytes)") }
        // After the metadata come the parameter count (8 bytes), the parameters and the checksum (4).
        let metadataLength: UInt64 = readInteger(bytes, at: 12)
        guard metadataLength <= UInt64(bytes.count - 20), bytes.count - 20 - Int(metadataLength) >= 12 else {
            throw fail("truncated model file: metadata of \(metadataLength) bytes does not fit in \(bytes.count) bytes")
        }
        let metadataEnd = 20 + Int(metadataLength)
        let parameterCount: UInt64 = readInteger(bytes, at: metadataEnd)
        let (parameterBytes, overflow1) = parameterCount.multipliedReportingOverflow(by: 4)
        let (expected, overflow2) = parameterBytes.addingReportingOverflow(UInt64(metadataEnd) + 12)
        guard !overflow1, !overflow2, expected == UInt64(bytes.count) else {
            let claimed = overflow1 || overflow2 ? "more than 2^64" : "\(expected)"
            throw fail("truncated or padded model file: expected \(claimed) bytes from its header, found \(bytes.count)")
        }
        guard parameterCount <= UInt64(Limits.maximumParameters) else {
            throw fail("too many parameters (\(parameterCount)); at most \(Limits.maximumParameters) are supported")
        }
        let stored: UInt32 = readInteger(bytes, at: bytes.count - 4)
        guard stored == crc32(bytes[0..<(bytes.count - 4)]) else {
            throw fail("checksum mismatch: the model file is corrupted")
        }
        let metadata: ModelMetadata
        do {
            metadata = try JSONDecoder().decode(ModelMetadata.self, from: Data(bytes[20..<metadataEnd]))
        } catch {
            throw fail("unreadable metadata: \(error)")
        }
        let start = metadataEnd + 8
        let parameters = (0..<Int(parameterCount)).map { i -> Float in
            Float(bitPattern: readInteger(bytes, at: start + 4 * i))
        }
        guard version >= formatVersion(for: metadata.architecture) else {
            throw fail("inconsistent metadata: a projected architecture (contextWidth) in a version \(version) file")
        }
        if let problem = validate(metadata, parameters: parameters) { throw fail(problem) }
        return TrainedModel(metadata: metadata, model: TabularModel(architecture: metadata.architecture,
                                                                    parameters: parameters))
    }

    /// Bounds that a model file must keep, so that nothing a file says can make reading or generating
    /// allocate without bound, overflow or index out of range.
    public enum Limits {
        /// The most parameters: 2^31 − 2 (an 8 GiB file).
        public static let maximumParameters = Int(Int32.max) - 1
        /// The most tokens of one sub-column. Training makes at most a few hundred (and at most 10,001
        /// with the year encoding of older versions); generation holds `4096 × V` logits per thread.
        public static let maximumVocabulary = 16_384
        /// The widest embedding, head or other layer (training makes at most 256).
        public static let maximumWidth = 4096
        /// The most digits after the point of a number column (what training records, at most 15).
        public static let maximumDecimals = NumberParsing.maximumDecimals
        /// The shapes of an identifier column: at most this many, of at most this many characters.
        public static let maximumShapes = 1000, maximumShapeLength = 64
        /// The years a date column can hold (`%Y` reads 0000-9999).
        public static let years = 0...9999
    }

    /// What makes the model unusable, as the error message, or `nil` when it is safe to generate from.
    ///
    /// This is the single check between a decoded file and everything that uses it (`ParameterLayout`,
    /// `TabularModel`, `Sampler`, `TableEncoder`, `mimeo info`): each column's encoding on its own
    /// (tokens in range, finite sorted ranges, year and decimal bounds, shape sizes), the schema against
    /// the encodings, the encodings' vocabularies against the architecture, the architecture's sizes and
    /// its parameter count (computed without overflow) against the weights, and the weights' values.
    static func validate(_ metadata: ModelMetadata, parameters: [Float]) -> String? {
        if let problem = inconsistency(in: metadata) { return "inconsistent metadata: \(problem)" }
        let architecture = metadata.architecture
        guard checkedParameterCount(architecture) == parameters.count else {
            return "the weights (\(parameters.count)) do not match the architecture in the metadata"
        }
        if let index = parameters.firstIndex(where: { !$0.isFinite }) {
            return "the weights are corrupted: parameter \(index) is \(parameters[index])"
        }
        return nil
    }

    /// The number of weights `architecture` needs, or `nil` when its fields are inconsistent or out of
    /// range (`architectureProblem`) or the count overflows. Safe for any decoded architecture, unlike
    /// `ParameterLayout`, which assumes a valid one.
    public static func parameterCount(of architecture: ModelArchitecture) -> Int? {
        architectureProblem(architecture) == nil ? checkedParameterCount(architecture) : nil
    }

    /// The parameter count that `ParameterLayout` gives `architecture`, or `nil` if it overflows `Int`.
    static func checkedParameterCount(_ architecture: ModelArchitecture) -> Int? {
        ParameterLayout.checked(architecture)?.count
    }

    /// What makes the metadata unusable, if anything (so that a hand-edited file with a valid checksum
    /// is an error, not a crash). Each encoding is checked on its own before anything derived from it
    /// (its vocabulary sizes) is computed.
    static func inconsistency(in metadata: ModelMetadata) -> String? {
        let encoder = metadata.encoder, architecture = metadata.architecture
        guard encoder.encodings.count == encoder.schema.columns.count else {
            return "\(encoder.encodings.count) encodings for \(encoder.schema.columns.count) columns"
        }
        for (index, encoding) in encoder.encodings.enumerated() {
            let column = encoder.schema.columns[index]
            if let problem = problem(in: encoding, kind: column.kind) { return "column '\(column.name)': \(problem)" }
            if let decimals = column.decimals, !(0...20).contains(decimals) {
                return "column '\(column.name)': bad decimals"
            }
        }
        if let problem = architectureProblem(architecture) { return problem }
        guard encoder.subColumnCardinalities == architecture.cardinalities,
              encoder.subColumnColumns == architecture.columns else {
            return "the column encodings do not match the network's vocabularies"
        }
        return nil
    }

    /// Checks the architecture's own fields, whatever they are: every per-sub-column list has one entry
    /// per sub-column; every vocabulary is in 1...`maximumVocabulary`, every other size (a list entry,
    /// or a single width) in 1...`maximumWidth`, and column indices are at least 0. The parameter count
    /// is then checked against the weights without overflow (`checkedParameterCount`).
    static func architectureProblem(_ architecture: ModelArchitecture) -> String? {
        let S = architecture.subColumnCount
        for child in Mirror(reflecting: architecture).children {
            let range = child.label == "columns" ? 0...Int.max
                : child.label == "cardinalities" ? 1...Limits.maximumVocabulary : 1...Limits.maximumWidth
            switch child.value {
            case let list as [Int]:
                guard list.count == S else { return "architecture lists of different lengths" }
                guard list.allSatisfy({ $0 >= range.lowerBound }) else { return "empty vocabulary or layer" }
                if let value = list.first(where: { $0 > range.upperBound }) {
                    return "\(child.label ?? "a size") of \(value) (at most \(range.upperBound) are supported)"
                }
            case let value as Int:
                guard range.contains(value) else { return "\(child.label ?? "a size") of \(value) is out of range" }
            default:
                continue
            }
        }
        return nil
    }

    /// What is wrong with one column's encoding on its own (or with it for a column of `kind`).
    static func problem(in encoding: ColumnEncoding, kind: ColumnKind) -> String? {
        switch encoding {
        case .categorical(let e):
            guard kind == .categorical || kind == .boolean else { return "a categorical encoding for a \(kind) column" }
            let count = e.values.count
            guard count >= 1 else { return "no categories" }
            guard count <= Limits.maximumVocabulary * CategoricalEncoding.groupWidth else {
                return "\(count) categories (at most \(Limits.maximumVocabulary * CategoricalEncoding.groupWidth))"
            }
            if let t = e.nullToken, t < 0 || Int(t) >= count || e.values[Int(t)] != nil { return "bad null token" }
            if let t = e.rareToken, t < 0 || Int(t) >= count || t == e.nullToken { return "bad rare token" }
        case .numeric(let e):
            guard kind == (e.isInteger ? .integer : .decimal) else { return "a number encoding for a \(kind) column" }
            return problem(in: e)
        case .datetime(let e):
            guard kind == .datetime else { return "a datetime encoding for a \(kind) column" }
            guard !e.parts.isEmpty, Set(e.parts).count == e.parts.count, let format = DateTimeFormat(pattern: e.format),
                  Limits.years.contains(e.minimumYear), Limits.years.contains(e.maximumYear),
                  e.minimumYear <= e.maximumYear else {
                return "bad datetime encoding"
            }
            let earliest = DateTimeParts(year: e.minimumYear, month: 1, day: 1).secondsSinceEpoch
            let latest = DateTimeParts(year: e.maximumYear, month: 12, day: 31, hour: 23, minute: 59, second: 59)
                .secondsSinceEpoch
            guard earliest <= e.minimumSeconds, e.minimumSeconds <= e.maximumSeconds, e.maximumSeconds <= latest else {
                return "bad datetime encoding (instants outside its years)"
            }
            _ = format
            if let years = e.years {
                guard years.isInteger, years.nullToken == nil, Double(e.minimumYear) <= years.minimum,
                      years.maximum <= Double(e.maximumYear) else {
                    return "bad datetime encoding (years)"
                }
                if let problem = problem(in: years) { return "years: \(problem)" }
            }
        case .identifier(let e):
            guard kind == .identifier || kind == .text else { return "an identifier encoding for a \(kind) column" }
            guard e.shapes.count == e.cumulativeWeights.count, e.shapes.count <= Limits.maximumShapes,
                  e.shapes.allSatisfy({ $0.unicodeScalars.count <= Limits.maximumShapeLength }),
                  e.cumulativeWeights.allSatisfy(\.isFinite),
                  zip(e.cumulativeWeights, e.cumulativeWeights.dropFirst()).allSatisfy({ $0 <= $1 }),
                  e.nullRate >= 0, e.nullRate <= 1 else {
                return "bad identifier shapes"
            }
        }
        return nil
    }

    /// What is wrong with a number encoding on its own: every bound finite, ranges ordered and inside
    /// `[minimum, maximum]`, sub-ranges inside their range, tokens and counts in range, decimals at most 15.
    static func problem(in e: NumericEncoding) -> String? {
        if e.buckets.isEmpty { return "no numeric buckets" }
        guard e.buckets.count < Limits.maximumVocabulary else { return "\(e.buckets.count) numeric buckets" }
        if let t = e.nullToken, Int(t) != e.buckets.count { return "bad null token" }
        if e.decimals < 0 || e.decimals > Limits.maximumDecimals || (e.isInteger && e.decimals != 0) {
            return "bad decimals (\(e.decimals); at most \(Limits.maximumDecimals), and 0 for integers)"
        }
        guard e.subRangeCount >= 0, e.subRangeCount <= Limits.maximumVocabulary else { return "bad sub-range count" }
        guard e.minimum.isFinite, e.maximum.isFinite, e.minimum <= e.maximum else { return "bad numeric range" }
        func inside(_ lower: Double, _ upper: Double, _ low: Double, _ high: Double) -> Bool {
            lower.isFinite && upper.isFinite && low <= lower && lower <= upper && upper <= high
        }
        var previous = -Double.infinity
        for bucket in e.buckets {
            guard inside(bucket.lower, bucket.upper, e.minimum, e.maximum), previous <= bucket.lower,
                  !bucket.isExact || bucket.lower == bucket.upper else {
                return "bad numeric bucket"
            }
            previous = bucket.lower
            guard let subRanges = bucket.subRanges else { continue }
            guard !subRanges.isEmpty, e.subRangeCount <= 1 || subRanges.count <= e.subRangeCount else {
                return "bad numeric sub-ranges"
            }
            var previousPart = bucket.lower
            for part in subRanges {
                guard inside(part.lower, part.upper, bucket.lower, bucket.upper), previousPart <= part.lower else {
                    return "bad numeric sub-ranges"
                }
                previousPart = part.lower
            }
        }
        return nil
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func readInteger<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int) -> T {
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + i]) << (8 * i) }
        return value
    }

    /// zlib's CRC-32 of `bytes`.
    public static func crc32<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        let array = Array(bytes)
        return array.withUnsafeBufferPointer { buffer in
            var crc: UInt = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let length = min(buffer.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, UInt32(length))
                offset += length
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}
