import MimeoTestSupport
import ArgumentParser
import Foundation
import MimeoZMQ
import Testing

@testable import MimeoCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct KeygenTests {
    // MARK: - Parsing

    @Test func requiresAnOutputOrPublicFrom() {
        #expect {
            try MimeoCommand.Keygen.parse([])
        } throws: { error in
            MimeoCommand.Keygen.message(for: error).hasPrefix("give the secret key file to write with -o")
        }
    }

    @Test(arguments: ["-", "/dev/stdout", "/dev/tty", "/proc/self/fd/1"])
    func refusesToWriteASecretKeyToStandardOutputOrADevice(path: String) {
        #expect {
            try MimeoCommand.Keygen.parse(["-o", path])
        } throws: { error in
            MimeoCommand.Keygen.message(for: error).hasPrefix("a secret key is never written to standard output")
        }
    }

    @Test func refusesASecretKeyNamedLikeAPublicKey() {
        #expect {
            try MimeoCommand.Keygen.parse(["-o", "w1.pub"])
        } throws: { error in
            MimeoCommand.Keygen.message(for: error).contains("ends in .pub")
        }
    }

    @Test func publicFromAllowsStandardOutput() throws {
        let command = try MimeoCommand.Keygen.parse(["--public-from", "w1.key", "-o", "-"])
        #expect(command.publicFrom == "w1.key")
        #expect(command.output == "-")
        #expect(command.force == false)
    }

    // MARK: - Making a pair

    /// Both files exist with their modes, hold 40 Z85 characters and a newline, read back through MimeoZMQ,
    /// and the public key is the one derived from the secret key. Nothing else is left in the folder and the
    /// secret key is printed nowhere.
    @Test func writesASecretAndItsPublicKey() throws {
        let folder = try TemporaryFolder()
        let secret = folder.path("w1.key")

        let run = try Mimeo.run(["keygen", "-o", secret])

        #expect(run.succeeded, "\(run)")
        #expect(try folder.names() == ["w1.key", "w1.pub"])
        #expect(try mode(of: secret) == 0o600)
        #expect(try mode(of: folder.path("w1.pub")) == 0o644)
        let secretText = try contents(secret)
        let publicText = try contents(folder.path("w1.pub"))
        for text in [secretText, publicText] {
            #expect(text.utf8.count == 41 && text.hasSuffix("\n"), "\(text.debugDescription)")
        }
        let pair = try ZMQCurveKeyPair.read(secretKeyFile: secret)
        #expect(pair.secretKey.z85 + "\n" == secretText)
        #expect(try ZMQCurveKey.read(publicKeyFile: folder.path("w1.pub")) == pair.publicKey)
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(!run.standardError.contains(pair.secretKey.z85), "\(run)")
        #expect(run.standardError.contains(pair.publicKey.z85), "\(run)")
    }

    @Test func aNameWithoutKeyGetsPubAppended() throws {
        let folder = try TemporaryFolder()

        let run = try Mimeo.run(["keygen", "-o", folder.path("coordinator")])

        #expect(run.succeeded, "\(run)")
        #expect(try folder.names() == ["coordinator", "coordinator.pub"])
        let pair = try ZMQCurveKeyPair.read(secretKeyFile: folder.path("coordinator"))
        #expect(try ZMQCurveKey.read(publicKeyFile: folder.path("coordinator.pub")) == pair.publicKey)
    }

    @Test func twoRunsMakeDifferentKeys() throws {
        let folder = try TemporaryFolder()

        #expect(try Mimeo.run(["keygen", "-o", folder.path("a.key")]).succeeded)
        #expect(try Mimeo.run(["keygen", "-o", folder.path("b.key")]).succeeded)

        #expect(try contents(folder.path("a.key")) != contents(folder.path("b.key")))
        #expect(try contents(folder.path("a.pub")) != contents(folder.path("b.pub")))
    }

    // MARK: - Never losing a key

    @Test func refusesToReplaceAnExistingKeyAndLeavesItAsItWas() throws {
        let folder = try TemporaryFolder()
        let secret = folder.path("w1.key")
        #expect(try Mimeo.run(["keygen", "-o", secret]).succeeded)
        let before = try [contents(secret), contents(folder.path("w1.pub"))]

        let run = try Mimeo.run(["keygen", "-o", secret])

        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("\(secret): error: already exists"), "\(run)")
        #expect(run.standardError.contains("--force"), "\(run)")
        #expect(try [contents(secret), contents(folder.path("w1.pub"))] == before)
        #expect(try mode(of: secret) == 0o600)
        #expect(try folder.names() == ["w1.key", "w1.pub"])
    }

    /// A public key file in the way stops the run before the secret key is written: no secret key without
    /// its public key appears.
    @Test func refusesWhenOnlyThePublicKeyExists() throws {
        let folder = try TemporaryFolder()
        try Data("someone else's key\n".utf8).write(to: URL(fileURLWithPath: folder.path("w1.pub")))

        let run = try Mimeo.run(["keygen", "-o", folder.path("w1.key")])

        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("w1.pub: error: already exists"), "\(run)")
        #expect(try folder.names() == ["w1.pub"])
        #expect(try contents(folder.path("w1.pub")) == "someone else's key\n")
    }

    @Test func forceReplacesBothFiles() throws {
        let folder = try TemporaryFolder()
        let secret = folder.path("w1.key")
        #expect(try Mimeo.run(["keygen", "-o", secret]).succeeded)
        let old = try ZMQCurveKeyPair.read(secretKeyFile: secret)
        chmod(folder.path("w1.pub"), 0o600)

        let run = try Mimeo.run(["keygen", "-o", secret, "--force"])

        #expect(run.succeeded, "\(run)")
        let new = try ZMQCurveKeyPair.read(secretKeyFile: secret)
        #expect(new != old)
        #expect(try ZMQCurveKey.read(publicKeyFile: folder.path("w1.pub")) == new.publicKey)
        #expect(try mode(of: secret) == 0o600)
        #expect(try mode(of: folder.path("w1.pub")) == 0o644)
        #expect(try folder.names() == ["w1.key", "w1.pub"])
    }

    /// `--force` replaces a file, never what a symbolic link points to.
    @Test func forceDoesNotWriteThroughASymbolicLink() throws {
        let folder = try TemporaryFolder()
        let target = folder.path("precious")
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: target))
        #expect(symlink(target, folder.path("w1.key")) == 0)

        let run = try Mimeo.run(["keygen", "-o", folder.path("w1.key"), "--force"])

        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("is a symbolic link"), "\(run)")
        #expect(try contents(target) == "keep me\n")
        #expect(try folder.names() == ["precious", "w1.key"])
    }

    // MARK: - Bad paths

    @Test func aDirectoryIsAClearError() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path("keys"), withIntermediateDirectories: false)

        let run = try Mimeo.run(["keygen", "-o", folder.path("keys"), "--force"])

        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("\(folder.path("keys")): error: is a directory"), "\(run)")
        #expect(try folder.names() == ["keys"])
    }

    @Test func aMissingFolderIsAClearError() throws {
        let folder = try TemporaryFolder()

        let run = try Mimeo.run(["keygen", "-o", folder.path("missing/w1.key")])

        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("error: folder '\(folder.path("missing"))' does not exist"), "\(run)")
        #expect(try folder.names().isEmpty)
    }

    @Test func standardOutputIsAUsageError() throws {
        let run = try Mimeo.run(["keygen", "-o", "-"])

        #expect(run.status == 64, "\(run)")
        #expect(run.stdout.isEmpty)
        #expect(run.standardError.contains("a secret key is never written to standard output"), "\(run)")
    }

    // MARK: - --public-from

    @Test func publicFromPrintsThePublicKey() throws {
        let folder = try TemporaryFolder()
        let secret = folder.path("w1.key")
        #expect(try Mimeo.run(["keygen", "-o", secret]).succeeded)

        let run = try Mimeo.run(["keygen", "--public-from", secret])

        #expect(run.succeeded, "\(run)")
        #expect(run.standardOutput == (try contents(folder.path("w1.pub"))))
        #expect(run.standardOutput == (try ZMQCurveKeyPair.read(secretKeyFile: secret)).publicKey.z85 + "\n")
    }

    @Test func publicFromWritesAPublicKeyFile() throws {
        let folder = try TemporaryFolder()
        let secret = folder.path("w1.key")
        #expect(try Mimeo.run(["keygen", "-o", secret]).succeeded)

        let run = try Mimeo.run(["keygen", "--public-from", secret, "-o", folder.path("again.pub")])

        #expect(run.succeeded, "\(run)")
        #expect(try contents(folder.path("again.pub")) == contents(folder.path("w1.pub")))
        #expect(try mode(of: folder.path("again.pub")) == 0o644)
        let again = try Mimeo.run(["keygen", "--public-from", secret, "-o", folder.path("again.pub")])
        #expect(again.status == 1 && again.standardError.contains("already exists"), "\(again)")
    }

    /// `--public-from w1.key -o w1.key --force` would replace the secret key with its public key.
    @Test func publicFromRefusesToWriteOverItsSecretKey() throws {
        let folder = try TemporaryFolder()
        let secret = folder.path("w1.key")
        #expect(try Mimeo.run(["keygen", "-o", secret]).succeeded)
        let before = try contents(secret)

        let run = try Mimeo.run(["keygen", "--public-from", secret, "-o", secret, "--force"])

        #expect(run.status == 64, "\(run)")
        #expect(run.standardError.contains("are the same file"), "\(run)")
        #expect(try contents(secret) == before)
    }

    @Test func publicFromRefusesASecretKeyOthersCanRead() throws {
        let folder = try TemporaryFolder()
        let secret = folder.path("w1.key")
        #expect(try Mimeo.run(["keygen", "-o", secret]).succeeded)
        chmod(secret, 0o644)

        let run = try Mimeo.run(["keygen", "--public-from", secret])

        #expect(run.status == 1, "\(run)")
        #expect(run.stdout.isEmpty)
        #expect(run.standardError.contains("chmod 600"), "\(run)")
    }

    @Test func publicFromABadFileIsAClearError() throws {
        let folder = try TemporaryFolder()
        let bad = folder.path("bad.key")
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: bad))
        chmod(bad, 0o600)

        let malformed = try Mimeo.run(["keygen", "--public-from", bad])
        let missing = try Mimeo.run(["keygen", "--public-from", folder.path("none.key")])

        #expect(malformed.status == 1, "\(malformed)")
        #expect(malformed.standardError.contains("\(bad): a CURVE key is 40 Z85 characters"), "\(malformed)")
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.standardError.contains(folder.path("none.key")), "\(missing)")
    }

    // MARK: - Help

    @Test func helpTeachesTheFilesAndTheRules() throws {
        let run = try Mimeo.run(["keygen", "--help"])
        let root = try Mimeo.run(["--help"])

        #expect(run.succeeded, "\(run)")
        let help = run.standardOutput
        for phrase in ["never from arguments", "--public-from <file.key>", "--force", "mode 600",
                       "mimeo keygen --public-from w1.key >> workers.pub"] {
            #expect(help.contains(phrase), "missing \(phrase): \(help)")
        }
        #expect(root.standardOutput.contains("keygen"), "\(root)")
    }
}

/// A fresh folder under the temporary directory, removed with everything in it when the value goes away.
private final class TemporaryFolder {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "mimeo-keygen-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { root + "/" + name }

    /// The names in the folder, sorted.
    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: root).sorted() }
}

private func contents(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
}

private func mode(of path: String) throws -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { throw MimeoTestError("cannot stat \(path)") }
    return info.st_mode & 0o777
}
