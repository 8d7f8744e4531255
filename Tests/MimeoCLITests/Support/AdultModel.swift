import MimeoTestSupport
import Foundation
import Testing

/// A model trained once per test process on the first 600 rows of samples/adult-sample.csv
/// (`mimeo train adult600.csv -o adult600.mimeo --max-epochs 2 --quiet`), shared by the tests that
/// only read it. Its directory is removed when the test process exits.
struct AdultModel: Sendable {
    /// The CSV the model was trained on.
    let csv: String
    /// The trained model file.
    let model: String
    /// The CSV's header line.
    let header: String
    /// How `mimeo train` ended.
    let trainStatus: Int32?
    let trainStandardError: String

    /// The shared model, trained on first use.
    static func shared() throws -> AdultModel {
        try sharedResult.get()
    }

    private static let sharedResult: Result<AdultModel, MimeoTestError> = {
        do {
            return .success(try train())
        } catch let error as MimeoTestError {
            return .failure(error)
        } catch {
            return .failure(MimeoTestError("\(error)"))
        }
    }()

    private static func train() throws -> AdultModel {
        try FileManager.default.createDirectory(atPath: adultModelDirectory, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: adultModelDirectory) }
        let csv = adultModelDirectory + "/adult600.csv"
        let text = try adultSampleText(rows: 600)
        try Data(text.utf8).write(to: URL(fileURLWithPath: csv))
        let model = adultModelDirectory + "/adult600.mimeo"
        let run = try Mimeo.run(["train", csv, "-o", model, "--max-epochs", "2", "--quiet"])
        guard run.succeeded else { throw MimeoTestError("training the shared model failed: \(run)") }
        let header = String(text.prefix { $0 != "\n" })
        return AdultModel(csv: csv, model: model, header: header, trainStatus: run.status,
                          trainStandardError: run.standardError)
    }

    /// The header's column names.
    var columnNames: [String] { header.split(separator: ",").map(String.init) }
}

/// Where the shared model lives (a global so that the `atexit` handler can reach it).
private let adultModelDirectory = NSTemporaryDirectory() + "mimeo-cli-tests-model-\(getpid())-\(UUID().uuidString)"

/// Model files that `mimeo generate` and `mimeo info` must refuse with a clear message.
struct BrokenModel: Sendable, CustomTestStringConvertible {
    /// A short name, also used as the file name.
    let name: String
    /// A fragment of the expected error message.
    let message: String
    /// The file's bytes, made from a good model's bytes (nil: the file does not exist).
    let make: @Sendable ([UInt8]) -> [UInt8]?

    var testDescription: String { name }

    static let all: [BrokenModel] = [
        BrokenModel(name: "missing", message: "cannot read the model file") { _ in nil },
        BrokenModel(name: "empty", message: "not a Mimeo model file") { _ in [] },
        BrokenModel(name: "csv", message: "not a Mimeo model file") { _ in Array("age,income\n39,<=50K\n".utf8) },
        BrokenModel(name: "magic-only", message: "truncated model file") { Array($0.prefix(10)) },
        BrokenModel(name: "truncated-header", message: "truncated model file") { Array($0.prefix(100)) },
        BrokenModel(name: "truncated-weights", message: "truncated or padded model file") { Array($0.dropLast(1000)) },
        BrokenModel(name: "padded", message: "truncated or padded model file") { $0 + [0, 0, 0, 0] },
        BrokenModel(name: "flipped-byte", message: "checksum mismatch") { bytes in
            var copy = bytes
            copy[copy.count / 2] ^= 0xFF
            return copy
        },
        BrokenModel(name: "future-version", message: "newer than this mimeo reads") { bytes in
            var copy = bytes
            copy[8] = 9
            return withChecksum(Array(copy.dropLast(4)))
        },
        BrokenModel(name: "metadata-not-json", message: "unreadable metadata") { bytes in
            replacingMetadata(of: bytes, with: Array("not json at all".utf8))
        },
        BrokenModel(name: "metadata-wrong-json", message: "unreadable metadata") { bytes in
            replacingMetadata(of: bytes, with: Array("{\"formatVersion\": 1}".utf8))
        },
        // Valid checksum, inconsistent content: an error, never a crash.
        BrokenModel(name: "categories-shortened", message: "inconsistent metadata") { bytes in
            editingMetadata(of: bytes) { metadata in
                var encodings = (metadata["encoder"] as! [String: Any])["encodings"] as! [[String: Any]]
                let index = encodings.firstIndex { $0["categorical"] != nil }!
                var categorical = encodings[index]["categorical"] as! [String: Any]
                var inner = categorical["_0"] as! [String: Any]
                inner["values"] = (inner["values"] as! [Any]).dropLast().map { $0 }
                categorical["_0"] = inner
                encodings[index]["categorical"] = categorical
                var encoder = metadata["encoder"] as! [String: Any]
                encoder["encodings"] = encodings
                metadata["encoder"] = encoder
            }
        },
        BrokenModel(name: "encoding-dropped", message: "inconsistent metadata") { bytes in
            editingMetadata(of: bytes) { metadata in
                var encoder = metadata["encoder"] as! [String: Any]
                encoder["encodings"] = (encoder["encodings"] as! [Any]).dropLast().map { $0 }
                metadata["encoder"] = encoder
            }
        },
        BrokenModel(name: "column-dropped", message: "inconsistent metadata") { bytes in
            editingMetadata(of: bytes) { metadata in
                var encoder = metadata["encoder"] as! [String: Any]
                var schema = encoder["schema"] as! [String: Any]
                schema["columns"] = (schema["columns"] as! [Any]).dropLast().map { $0 }
                encoder["schema"] = schema
                metadata["encoder"] = encoder
            }
        },
    ]

    /// Writes this broken model into `directory`, made from the shared model; returns its path.
    func write(in directory: TemporaryDirectory) throws -> String {
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try AdultModel.shared().model)))
        let path = directory.file("\(name).mimeo")
        if let bytes = make(good) { try directory.write(bytes, to: "\(name).mimeo") }
        return path
    }
}

/// `body` followed by its CRC-32, as the model file format ends.
func withChecksum(_ body: [UInt8]) -> [UInt8] {
    let crc = crc32(body)
    return body + (0 ..< 4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
}

/// A model file's bytes with the metadata JSON replaced (lengths and checksum fixed up).
func replacingMetadata(of bytes: [UInt8], with metadata: [UInt8]) -> [UInt8] {
    var length = 0
    for i in 0 ..< 8 { length |= Int(bytes[12 + i]) << (8 * i) }
    let weights = bytes[(20 + length) ..< (bytes.count - 4)]
    let count = UInt64(metadata.count)
    let body = Array(bytes[0 ..< 12]) + (0 ..< 8).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) }
        + metadata + Array(weights)
    return withChecksum(body)
}

/// A model file's bytes with its metadata JSON edited as a dictionary.
func editingMetadata(of bytes: [UInt8], _ edit: (inout [String: Any]) -> Void) -> [UInt8] {
    var length = 0
    for i in 0 ..< 8 { length |= Int(bytes[12 + i]) << (8 * i) }
    var metadata = try! JSONSerialization.jsonObject(with: Data(bytes[20 ..< (20 + length)])) as! [String: Any]
    edit(&metadata)
    return replacingMetadata(of: bytes, with: [UInt8](try! JSONSerialization.data(withJSONObject: metadata)))
}

/// zlib's CRC-32 (reflected polynomial 0xEDB88320).
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0 ..< 8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}
