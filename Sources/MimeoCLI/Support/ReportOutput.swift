import Foundation
import MimeoData

/// Writes a command's report files: through a temporary name renamed when complete (removed if the
/// run is interrupted), then says so on standard output.
enum ReportOutput {
    /// `value` as pretty-printed JSON with sorted keys (non-finite numbers as `"inf"`, `"-inf"`, `"nan"`).
    static func writeJSON(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try write([UInt8](try encoder.encode(value)), to: path)
    }

    /// A text file (an HTML page, say).
    static func writeText(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    private static func write(_ bytes: [UInt8], to path: String) throws {
        let out = try TemporaryFiles.output(path: path)
        try out.write(bytes)
        try out.commit()
        print("wrote \(path)")
    }
}
