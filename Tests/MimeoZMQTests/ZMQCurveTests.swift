import Foundation
import Testing
@testable import MimeoZMQ

@Suite struct ZMQCurveTests {
    @Test func z85MatchesTheSpecVectorAndRoundTrips() throws {
        // RFC 32's test vector.
        #expect(try Z85.encode([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
        var generator = SystemRandomNumberGenerator()
        for count in stride(from: 0, through: 64, by: 4) {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(try Z85.decode(Z85.encode(bytes)) == bytes)
        }
        #expect(throws: ZMQUsageError.self) { try Z85.encode([1, 2, 3]) }
        #expect(throws: ZMQUsageError.self) { try Z85.decode("HelloWorl") }
        #expect(throws: ZMQUsageError.self) { try Z85.decode("Hello Worl") }
        #expect(throws: ZMQUsageError.self) { try Z85.decode("\"\"\"\"\"") }
    }

    @Test func keysValidateTheirLength() throws {
        let pair = try ZMQCurveKeyPair.generate()
        #expect(pair.publicKey.bytes.count == 32)
        #expect(pair.publicKey.z85.count == 40)
        #expect(pair.publicKey != pair.secretKey)
        #expect(try ZMQCurveKey(z85: pair.publicKey.z85) == pair.publicKey)
        #expect(try ZMQCurveKey(z85: "  \(pair.secretKey.z85)\n") == pair.secretKey)
        #expect(try ZMQCurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(!String(describing: pair.secretKey).contains(pair.secretKey.z85))
        #expect(throws: ZMQUsageError.self) { try ZMQCurveKey(bytes: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: ZMQUsageError.self) { try ZMQCurveKey(z85: String(pair.publicKey.z85.dropLast())) }
        #expect(throws: ZMQUsageError.self) { try ZMQCurveKey(z85: pair.publicKey.z85 + "abcde") }
    }

    @Test func keyFilesAreWrittenPrivateAndReadBack() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pair = try ZMQCurveKeyPair.generate()
        let secretPath = folder + "/w1.key"
        try pair.write(secretKeyFile: secretPath)
        let publicPath = folder + "/w1.pub"
        #expect(ZMQCurveKeyPair.publicKeyPath(forSecretKeyFile: secretPath) == publicPath)
        #expect(ZMQCurveKeyPair.publicKeyPath(forSecretKeyFile: "worker") == "worker.pub")
        #expect(try permissions(secretPath) == 0o600)
        #expect(try permissions(publicPath) == 0o644)
        #expect(try String(contentsOfFile: secretPath, encoding: .utf8) == pair.secretKey.z85 + "\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["w1.key", "w1.pub"])

        #expect(try ZMQCurveKeyPair.read(secretKeyFile: secretPath) == pair)
        #expect(try ZMQCurveKey.read(publicKeyFile: publicPath) == pair.publicKey)

        // Rewriting replaces the files and keeps the mode.
        let other = try ZMQCurveKeyPair.generate()
        try other.write(secretKeyFile: secretPath)
        #expect(try ZMQCurveKeyPair.read(secretKeyFile: secretPath) == other)
        #expect(try permissions(secretPath) == 0o600)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: secretPath)
        #expect {
            try ZMQCurveKeyPair.read(secretKeyFile: secretPath)
        } throws: { error in
            let message = (error as? ZMQUsageError)?.message ?? ""
            return message.contains(secretPath) && message.contains("644") && message.contains("chmod 600")
        }
        #expect(try ZMQCurveKeyPair.read(secretKeyFile: secretPath, requirePrivate: false) == other)
    }

    @Test func badKeyFilesNameTheFileAndTheProblem() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let short = folder + "/short.pub"
        try String(repeating: "a", count: 39).write(toFile: short, atomically: true, encoding: .utf8)
        #expect {
            try ZMQCurveKey.read(publicKeyFile: short)
        } throws: { error in
            let message = (error as? ZMQUsageError)?.message ?? ""
            return message.contains(short) && message.contains("40") && message.contains("39")
        }
        let binary = folder + "/binary.pub"
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: binary))
        #expect { try ZMQCurveKey.read(publicKeyFile: binary) } throws: {
            ($0 as? ZMQUsageError)?.message.contains(binary) == true
        }
        #expect { try ZMQCurveKey.read(publicKeyFile: folder + "/missing.pub") } throws: {
            ($0 as? ZMQUsageError)?.message.contains("missing.pub") == true
        }
        #expect { try ZMQCurveKeyPair.read(secretKeyFile: folder + "/missing.key") } throws: {
            ($0 as? ZMQUsageError)?.message.contains("missing.key") == true
        }
        #expect { try ZMQCurveKeyPair.generate().write(secretKeyFile: folder + "/no/such/dir/x.key") } throws: {
            ($0 as? ZMQUsageError)?.message.contains("no/such/dir/x.key") == true
        }
    }

    @Test func keysComeFromEnvironmentVariables() throws {
        let pair = try ZMQCurveKeyPair.generate()
        let environment = ["MIMEO_SECRET_KEY": pair.secretKey.z85, "MIMEO_SERVER_KEY": pair.publicKey.z85, "BAD": "short"]
        #expect(try ZMQCurveKeyPair.fromEnvironment("MIMEO_SECRET_KEY", environment: environment) == pair)
        #expect(try ZMQCurveKey.fromEnvironment("MIMEO_SERVER_KEY", environment: environment) == pair.publicKey)
        #expect { try ZMQCurveKey.fromEnvironment("MISSING", environment: environment) } throws: {
            ($0 as? ZMQUsageError)?.message == "environment variable MISSING is not set"
        }
        #expect { try ZMQCurveKey.fromEnvironment("BAD", environment: environment) } throws: {
            ($0 as? ZMQUsageError)?.message.hasPrefix("environment variable BAD: a CURVE key is 40") == true
        }
    }
}

/// A fresh folder under the system's temporary directory.
func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "mimeo-zmq-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func permissions(_ path: String) throws -> Int {
    try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
}
