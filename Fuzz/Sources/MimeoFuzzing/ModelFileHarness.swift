import Foundation
import MimeoData
import MimeoTabular

/// Fuzzes the model-file reader (`ModelFile.decode`, what `ModelFile.read(from:)` runs on a file's
/// bytes), and what `generate` does next with a model that reads: a `Sampler` and a few rows.
///
/// Each input is read three times: as it is (which exercises the header, length and checksum checks);
/// *repaired*: the parameter count and CRC-32 rewritten to fit the bytes, so that mutations of the
/// metadata JSON and the weights get past the checksum; and, when its metadata JSON decodes, *rebuilt*:
/// written again by `ModelFile.encode` with as many weights as the metadata's architecture needs, so
/// that mutated metadata reaches the consistency checks and the sampler (a hand-edited file with a
/// valid checksum).
///
/// Checks on every model that reads: the sampler's header and rows are CSV with one field per column.
public enum ModelFileHarness {
    /// Rows generated from a model that reads.
    static let rowCount = 4

    public static func run(_ data: [UInt8]) -> FuzzOutcome {
        let outcome = decodeAndSample(data)
        if let repaired = repair(data), repaired != data {
            _ = decodeAndSample(repaired)
        }
        if let rebuilt = rebuild(data), rebuilt != data {
            _ = decodeAndSample(rebuilt)
        }
        return outcome
    }

    static func decodeAndSample(_ bytes: [UInt8]) -> FuzzOutcome {
        let trained: TrainedModel
        do {
            trained = try ModelFile.decode(bytes, path: "fuzz.mimeo")
        } catch {
            return FuzzHarness.requireClean(error, .modelFile)
        }
        let sampler: Sampler
        do {
            sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder)
        } catch {
            return FuzzHarness.requireClean(error, .modelFile)
        }
        checkOutput(sampler, conditioned: [], rowCount: rowCount, harness: .modelFile)
        return .accepted
    }

    /// `bytes` with the parameter count and checksum made to fit, when its header has a metadata length
    /// that fits in it.
    static func repair(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 20 else { return nil }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[12 + i]) << (8 * i) }
        guard length <= UInt64(bytes.count), 20 + Int(length) + 8 + 4 <= bytes.count else { return nil }
        let metadataEnd = 20 + Int(length)
        let parameterCount = (bytes.count - metadataEnd - 12) / 4
        var repaired = Array(bytes[0..<(metadataEnd + 8 + 4 * parameterCount)])
        for i in 0..<8 { repaired[metadataEnd + i] = UInt8(truncatingIfNeeded: UInt64(parameterCount) >> (8 * i)) }
        let checksum = ModelFile.crc32(repaired)
        for i in 0..<4 { repaired.append(UInt8(truncatingIfNeeded: checksum >> (8 * i))) }
        return repaired
    }

    /// The most weights a rebuilt file gets (16 MiB of floats).
    static let rebuildLimit = 1 << 22

    /// The file `ModelFile.encode` writes for the metadata in `bytes` (when its JSON decodes), with the
    /// weights its architecture needs: the input's own weight bytes, repeated, or zeros.
    static func rebuild(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 20 else { return nil }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[12 + i]) << (8 * i) }
        guard length <= UInt64(bytes.count), 20 + Int(length) <= bytes.count,
              let metadata = try? JSONDecoder().decode(ModelMetadata.self, from: Data(bytes[20..<(20 + Int(length))]))
        else { return nil }
        // No weights for an architecture that has no valid count: `ModelFile.decode` must refuse the
        // metadata before it compares counts.
        let count = ModelFile.parameterCount(of: metadata.architecture) ?? 0
        guard count <= rebuildLimit else { return nil }
        let weights = Array(bytes[min(bytes.count, 20 + Int(length) + 8)...])
        var parameters = [Float](repeating: 0, count: count)
        if weights.count >= 4 {
            let available = weights.count / 4
            for i in 0..<count {
                let at = 4 * (i % available)
                let bits = UInt32(weights[at]) | UInt32(weights[at + 1]) << 8 | UInt32(weights[at + 2]) << 16
                    | UInt32(weights[at + 3]) << 24
                parameters[i] = Float(bitPattern: bits)
            }
        }
        return try? ModelFile.encode(metadata: metadata, parameters: parameters)
    }

    /// Generates `rowCount` rows and checks they are CSV with one field per column, and that each
    /// conditioned column holds one value throughout (empty when fixed to missing).
    static func checkOutput(_ sampler: Sampler, conditioned: [(column: Int, isMissing: Bool)], rowCount: Int,
                            harness: FuzzHarness) {
        let bytes = sampler.headerBytes() + sampler.generateBatch(index: 0, count: rowCount, seed: 1)
        let columnCount = sampler.encoder.schema.columns.count
        let records: [[String]]
        do {
            let reader = try CSVReader(bytes: bytes, name: "generated.csv", delimiter: sampler.delimiter)
            guard reader.header.count == columnCount else {
                fatalError("\(harness.rawValue) harness: header of \(reader.header.count) fields for \(columnCount) columns")
            }
            records = try reader.readAll()
        } catch {
            fatalError("\(harness.rawValue) harness: generated rows are not valid CSV: \(error)\n"
                       + String(decoding: bytes, as: UTF8.self))
        }
        guard records.count == rowCount else {
            fatalError("\(harness.rawValue) harness: \(records.count) rows read back for \(rowCount) generated")
        }
        for (column, isMissing) in conditioned {
            let values = Set(records.map { $0[column] })
            guard values.count == 1, !isMissing || values.first == "" else {
                fatalError("\(harness.rawValue) harness: conditioned column \(column) holds \(values.sorted())")
            }
        }
    }
}
