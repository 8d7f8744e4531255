import CZlib
import Foundation
import MimeoData

/// Fuzzes `CSVReader`: bytes → records, or a `DataError`.
///
/// The first input byte chooses how the rest is read:
/// - bits 0–2: the delimiter, one of `CSVHarness.delimiters` (`"` and `\n` must be refused cleanly);
/// - bit 3: gzip framing: the rest is gzip-compressed before it is read (the raw bytes may also be gzip);
/// - bits 4–5: a small chunk size (4, 5, 7 or 64 bytes), so that every parser state meets a chunk end;
/// - bit 6: that second reading goes through a temporary file (`CSVReader(path:)`), not memory.
///
/// Checks on every input:
/// - the records, and the first error, are the same whatever the chunk size and whether the bytes came
///   gzip-compressed (reading is compared up to and including the first error; after an error, reading
///   goes on without comparison, as the reader allows it, to look for crashes). Input that is corrupt
///   gzip is not compared: its error comes when the reader reaches it, which depends on the chunk size;
/// - the records read before any error, written back with `CSVField` quoting, read back the same.
public enum CSVHarness {
    /// The delimiters bits 0–2 of the first byte choose from.
    public static let delimiters: [UInt8] = [
        UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|"),
        UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: "\""), 0x0A,
    ]
    static let smallChunkSizes = [4, 5, 7, 64]
    /// Reading goes on after errors for at most this many further errors.
    static let errorLimit = 32

    /// How the first byte says to read the rest.
    struct Control {
        var delimiter: UInt8
        var gzip: Bool
        var chunkSize: Int
        var viaFile: Bool

        init(_ byte: UInt8) {
            delimiter = CSVHarness.delimiters[Int(byte & 7)]
            gzip = byte & 8 != 0
            chunkSize = CSVHarness.smallChunkSizes[Int((byte >> 4) & 3)]
            viaFile = byte & 64 != 0
        }
    }

    public static func run(_ data: [UInt8]) -> FuzzOutcome {
        guard let first = data.first else { return .accepted }
        let control = Control(first)
        let body = Array(data.dropFirst())
        let reference = read(body, delimiter: control.delimiter, chunkSize: 1 << 20)
        // Raw gzip bytes are read as gzip already; wrapping them again would change their meaning.
        let wrap = control.gzip && !body.starts(with: [0x1f, 0x8b])
        let variantBytes = wrap ? gzip(body) : body
        let variant = control.viaFile
            ? readFile(variantBytes, delimiter: control.delimiter, chunkSize: control.chunkSize)
            : read(variantBytes, delimiter: control.delimiter, chunkSize: control.chunkSize)
        guard reference.compared == variant.compared || reference.hitGzipError || variant.hitGzipError else {
            fatalError("""
                csv harness: reading depends on the chunk size or gzip framing \
                (delimiter \(control.delimiter), gzip \(wrap), chunk \(control.chunkSize), file \(control.viaFile)):
                whole input: \(reference.compared)
                variant: \(variant.compared)
                """)
        }
        if let error = reference.errors.first { return FuzzHarness.requireClean(error, .csv) }
        roundTrip(reference.header, reference.records, delimiter: control.delimiter)
        return .accepted
    }

    /// What a reading gave: the header and records before the first error, that error, and later errors.
    struct Reading {
        var header: [String] = []
        var records: [[String]] = []
        var errors: [any Error] = []
        /// Whether reading stopped at corrupt or truncated gzip data. Such an error comes when the reader
        /// reaches it, so records or CSV errors before it depend on the chunk size: no comparison then.
        var hitGzipError: Bool {
            errors.contains { ($0 as? DataError)?.message.contains("gzip") == true }
        }
        /// The part compared between readings: everything up to and including the first error.
        var compared: String {
            "header \(header), records \(records), first error \(errors.first.map { "\($0)" } ?? "none")"
        }
    }

    /// A temporary file of this process, for readings through a file.
    static let temporaryPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("mimeo-fuzz-csv-\(ProcessInfo.processInfo.processIdentifier)").path

    /// Reads `bytes` from memory.
    static func read(_ bytes: [UInt8], delimiter: UInt8, chunkSize: Int) -> Reading {
        read(delimiter: delimiter) {
            try CSVReader(bytes: bytes, name: "fuzz.csv", delimiter: delimiter, chunkSize: chunkSize)
        }
    }

    /// Reads `bytes` through a file (named `fuzz.csv` in errors, as a memory reading is).
    static func readFile(_ bytes: [UInt8], delimiter: UInt8, chunkSize: Int) -> Reading {
        guard FileManager.default.createFile(atPath: temporaryPath, contents: Data(bytes)) else {
            fatalError("csv harness: cannot write \(temporaryPath)")
        }
        defer { try? FileManager.default.removeItem(atPath: temporaryPath) }
        var reading = read(delimiter: delimiter) {
            try CSVReader(path: temporaryPath, delimiter: delimiter, chunkSize: chunkSize)
        }
        reading.errors = reading.errors.map { error in
            guard var error = error as? DataError, error.file == temporaryPath else { return error }
            error.file = "fuzz.csv"
            return error
        }
        return reading
    }

    static func read(delimiter: UInt8, open: () throws -> CSVReader) -> Reading {
        var reading = Reading()
        let reader: CSVReader
        do {
            reader = try open()
        } catch {
            _ = FuzzHarness.requireClean(error, .csv)
            reading.errors.append(error)
            return reading
        }
        reading.header = reader.header
        while reading.errors.count <= errorLimit {
            do {
                guard let record = try reader.next() else { break }
                if reading.errors.isEmpty { reading.records.append(record.fields) }
            } catch {
                _ = FuzzHarness.requireClean(error, .csv)
                reading.errors.append(error)
            }
        }
        return reading
    }

    /// Writes `header` and `records` back as CSV and checks they read back unchanged.
    static func roundTrip(_ header: [String], _ records: [[String]], delimiter: UInt8) {
        var bytes: [UInt8] = []
        for row in [header] + records {
            if row.count == 1 && row[0].isEmpty {
                bytes += [UInt8(ascii: "\""), UInt8(ascii: "\"")]
            } else {
                for (index, field) in row.enumerated() {
                    if index > 0 { bytes.append(delimiter) }
                    // A leading byte order mark would be taken as one on reading: quote it.
                    if bytes.isEmpty && field.utf8.starts(with: [0xEF, 0xBB, 0xBF]) {
                        bytes.append(UInt8(ascii: "\""))
                        bytes += field.utf8
                        bytes.append(UInt8(ascii: "\""))
                    } else {
                        CSVField.append(field, delimiter: delimiter, to: &bytes)
                    }
                }
            }
            bytes.append(0x0A)
        }
        let again = read(bytes, delimiter: delimiter, chunkSize: 1 << 20)
        guard again.errors.isEmpty, again.header == header, again.records == records else {
            fatalError("""
                csv harness: records written back with CSVField quoting read back differently:
                first: header \(header), records \(records)
                again: \(again.compared)
                """)
        }
    }

    /// `bytes` as one gzip member (zlib's deflate with a gzip wrapper).
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: the largest window, with a gzip header and trailer.
        let status = deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
        defer { deflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
        let produced = input.withUnsafeMutableBufferPointer { source -> Int in
            output.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate did not finish: \(result)")
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }
}
