import Foundation
@testable import MimeoTabular
import Testing

@Suite struct ModelFileTests {
    static var bytes: [UInt8] { (try? ModelFile.encode(SamplerTests.trained)) ?? [] }

    @Test func roundTripsExactly() throws {
        let bytes = Self.bytes
        let decoded = try ModelFile.decode(bytes, path: "m.mimeo")
        #expect(decoded.model.parameters == SamplerTests.trained.model.parameters)
        #expect(decoded.metadata.architecture == SamplerTests.trained.metadata.architecture)
        #expect(try ModelFile.encode(decoded) == bytes)
    }

    @Test func truncatedFilesAreRejected() {
        let bytes = Self.bytes
        for length in [0, 5, 11, 30, bytes.count / 2, bytes.count - 1] {
            #expect(throws: ModelFileError.self) { _ = try ModelFile.decode(Array(bytes.prefix(length)), path: "m") }
        }
    }

    @Test func corruptedBytesFailTheChecksum() {
        var bytes = Self.bytes
        bytes[bytes.count / 2] ^= 0x40
        do {
            _ = try ModelFile.decode(bytes, path: "m")
            Issue.record("a corrupted file was accepted")
        } catch let error as ModelFileError {
            #expect(error.message.contains("checksum"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func newerVersionsAndForeignFilesAreRejected() {
        var bytes = Self.bytes
        bytes[8] = 9
        do {
            _ = try ModelFile.decode(bytes, path: "m")
            Issue.record("a newer format was accepted")
        } catch let error as ModelFileError {
            #expect(error.message.contains("newer"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(throws: ModelFileError.self) { _ = try ModelFile.decode(Array("age,income\n1,2\n".utf8), path: "m") }
    }

    /// A projected model is written as version 2 and reads back exactly; the full architecture is still
    /// written as version 1. A version-1 header with a projected architecture, or a context width out of
    /// range, is an error, not a crash.
    @Test func projectedModelsUseVersion2() throws {
        #expect(Self.bytes[8] == 1)
        var trained = SamplerTests.trained
        var architecture = trained.metadata.architecture
        architecture.contextWidth = 4
        trained.metadata.architecture = architecture
        trained.model = TabularModel(architecture: architecture, seed: 1)
        let bytes = try ModelFile.encode(trained)
        #expect(bytes[8] == 2)
        let decoded = try ModelFile.decode(bytes, path: "p.mimeo")
        #expect(decoded.metadata.architecture == architecture)
        #expect(decoded.model.parameters == trained.model.parameters)
        #expect(try ModelFile.encode(decoded) == bytes)

        func rejected(_ bytes: [UInt8], _ text: String) {
            do {
                _ = try ModelFile.decode(bytes, path: "p.mimeo")
                Issue.record("accepted a file that should fail with '\(text)'")
            } catch let error as ModelFileError {
                #expect(error.message.contains(text), "\(error.message)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        var version1 = bytes
        version1[8] = 1
        rejected(Self.fixingChecksum(version1), "a projected architecture (contextWidth) in a version 1 file")
        for width in [0, 1_000_000_000_000] {
            var wide = trained
            wide.metadata.architecture.contextWidth = width
            // encode writes what it is given; the weights are those of width 4.
            rejected(try ModelFile.encode(wide), "contextWidth of \(width) is out of range")
        }
    }

    static func fixingChecksum(_ bytes: [UInt8]) -> [UInt8] {
        var fixed = Array(bytes.dropLast(4))
        let checksum = ModelFile.crc32(fixed)
        withUnsafeBytes(of: checksum.littleEndian) { fixed.append(contentsOf: $0) }
        return fixed
    }
}
