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
}
