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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(trained.metadata)
        var bytes = magic
        append(formatVersion(for: trained.metadata.architecture), to: &bytes)
        append(UInt64(json.count), to: &bytes)
        bytes.append(contentsOf: json)
        append(UInt64(trained.model.parameters.count), to: &bytes)
        for value in trained.model.parameters { append(value.bitPattern.littleEndian, to: &bytes) }
        let checksum = crc32(bytes)
        append(checksum, to: &bytes)
        return bytes
    }

    /// Writes the model atomically to `path`.
    public static func write(_ trained: TrainedModel, to path: String) throws {
        let bytes = try encode(trained)
        let output = try AtomicFileOutput(path: path)
        try output.write(bytes)
        try output.commit()
    }

    /// Reads and checks a model file.
    ///
    /// - Throws: `ModelFileError` for a missing, truncated, corrupted or newer-version file.
    public static func read(from path: String) throws -> TrainedModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelFileError(path: path, message: "cannot read the model file (missing or unreadable)")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Parses and checks the bytes of a model file.
    public static func decode(_ bytes: [UInt8], path: String) throws -> TrainedModel {
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
        let metadataLength: UInt64 = readInteger(bytes, at: 12)
        guard metadataLength <= UInt64(bytes.count), 20 + Int(metadataLength) + 8 <= bytes.count else {
            throw fail("truncated model file: metadata of \(metadataLength) bytes does not fit in \(bytes.count) bytes")
        }
        let metadataEnd = 20 + Int(metadataLength)
        let parameterCount: UInt64 = readInteger(bytes, at: metadataEnd)
        let expected = UInt64(metadataEnd) + 8 + parameterCount &* 4 + 4
        guard parameterCount < UInt64(Int32.max), expected == UInt64(bytes.count) else {
            throw fail("truncated or padded model file: expected \(expected) bytes from its header, found \(bytes.count)")
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
        var parameters = [Float](repeating: 0, count: Int(parameterCount))
        let start = metadataEnd + 8
        for i in 0..<parameters.count {
            let bits: UInt32 = readInteger(bytes, at: start + 4 * i)
            parameters[i] = Float(bitPattern: bits)
        }
        if let width = metadata.architecture.contextWidth, width < 1 || width > 65_536 {
            throw fail("inconsistent metadata: bad context width \(width)")
        }
        guard version >= formatVersion(for: metadata.architecture) else {
            throw fail("inconsistent metadata: a projected architecture (contextWidth) in a version \(version) file")
        }
        guard ParameterLayout(metadata.architecture).count == parameters.count else {
            throw fail("the weights (\(parameters.count)) do not match the architecture in the metadata")
        }
        if let problem = inconsistency(in: metadata) { throw fail("inconsistent metadata: \(problem)") }
        return TrainedModel(metadata: metadata, model: TabularModel(architecture: metadata.architecture,
                                                                    parameters: parameters))
    }

    /// What makes the metadata unusable, if anything (so that a hand-edited file with a valid checksum
    /// is an error, not a crash).
    static func inconsistency(in metadata: ModelMetadata) -> String? {
        let encoder = metadata.encoder, architecture = metadata.architecture
        guard encoder.encodings.count == encoder.schema.columns.count else {
            return "\(encoder.encodings.count) encodings for \(encoder.schema.columns.count) columns"
        }
        let counts = [architecture.cardinalities.count, architecture.columns.count,
                      architecture.embeddingWidths.count, architecture.hiddenWidths.count]
        guard counts.allSatisfy({ $0 == counts[0] }) else { return "architecture lists of different lengths" }
        guard encoder.subColumnCardinalities == architecture.cardinalities,
              encoder.subColumnColumns == architecture.columns else {
            return "the column encodings do not match the network's vocabularies"
        }
        guard architecture.cardinalities.allSatisfy({ $0 >= 1 }),
              architecture.embeddingWidths.allSatisfy({ $0 >= 1 }),
              architecture.hiddenWidths.allSatisfy({ $0 >= 1 }) else { return "empty vocabulary or layer" }
        for (index, encoding) in encoder.encodings.enumerated() {
            let name = encoder.schema.columns[index].name
            switch encoding {
            case .categorical(let e):
                if let t = e.nullToken, t < 0 || Int(t) >= e.values.count { return "column '\(name)': bad null token" }
                if let t = e.rareToken, t < 0 || Int(t) >= e.values.count { return "column '\(name)': bad rare token" }
            case .numeric(let e):
                if e.buckets.isEmpty { return "column '\(name)': no numeric buckets" }
                if let t = e.nullToken, Int(t) != e.buckets.count { return "column '\(name)': bad null token" }
                if e.decimals < 0 || e.decimals > 20 { return "column '\(name)': bad decimals" }
                if e.buckets.contains(where: { !($0.lower <= $0.upper) || !$0.lower.isFinite || !$0.upper.isFinite }) {
                    return "column '\(name)': bad numeric bucket"
                }
            case .datetime(let e):
                if e.parts.isEmpty || e.minimumYear > e.maximumYear || DateTimeFormat(pattern: e.format) == nil {
                    return "column '\(name)': bad datetime encoding"
                }
            case .identifier(let e):
                if e.shapes.count != e.cumulativeWeights.count { return "column '\(name)': bad identifier shapes" }
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
