import Foundation
import MimeoData
import MimeoTestSupport
import Testing

@testable import MimeoParquet

/// Truncated and bit-flipped files: the reader must throw (or read something), never crash or hang.
@Suite struct FuzzTests {
    static func sources() throws -> [(String, [UInt8])] {
        var sources: [(String, [UInt8])] = []
        let directory = try TemporaryDirectory()
        let path = directory.file("mixed.parquet")
        var options = ParquetWriteOptions(codec: .snappy)
        options.rowGroupBytes = 8000
        try ParquetWriter.write(MixedTable.table(rows: 200), schema: MixedTable.schema, to: path, options: options)
        sources.append(("mimeo", Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
        for name in ["pyarrow-page-v2-delta", "duckdb-v2", "pyarrow-gzip", "pyarrow-dictionary-zstd"] {
            if let data = FileManager.default.contents(atPath: "\(FixtureTests.directory)/\(name).parquet") {
                sources.append((name, Array(data)))
            }
        }
        return sources
    }

    /// Reads `bytes` as a file; returns whether it was read (an error is fine too).
    static func attempt(_ bytes: [UInt8], in directory: TemporaryDirectory) -> Bool {
        let path = directory.file("fuzz.parquet")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
        do {
            _ = try ParquetReader.load(path: path)
            return true
        } catch {
            #expect(error is DataError, "\(type(of: error)): \(error)")
            return false
        }
    }

    @Test func truncatedFilesGiveErrors() throws {
        let directory = try TemporaryDirectory()
        for (name, bytes) in try Self.sources() {
            var lengths = Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 150)))
            lengths += [bytes.count - 1, bytes.count - 4, bytes.count - 8, 1, 4, 8]
            for length in lengths where length >= 0 && length < bytes.count {
                #expect(!Self.attempt(Array(bytes[0 ..< length]), in: directory), "\(name) cut to \(length) bytes was read")
            }
        }
    }

    @Test func bitFlipsNeverCrash() throws {
        let directory = try TemporaryDirectory()
        var random = SplitMix64(seed: 42)
        for (_, bytes) in try Self.sources() {
            for _ in 0 ..< 150 {
                var corrupted = bytes
                let flips = 1 + Int(random.next() % 4)
                for _ in 0 ..< flips {
                    // Half the flips in the footer, where a flip reaches every offset and length.
                    let footerStart = max(0, bytes.count - 600)
                    let position = random.next() % 2 == 0
                        ? Int(random.next() % UInt64(bytes.count))
                        : footerStart + Int(random.next() % UInt64(bytes.count - footerStart))
                    corrupted[position] ^= UInt8(1) << UInt8(random.next() % 8)
                }
                _ = Self.attempt(corrupted, in: directory)
            }
        }
    }
}
