import ArgumentParser
import Foundation
import MimeoZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MimeoCommand {
    /// `mimeo keygen`: make a CURVE key pair for the cluster, or print the public key of a secret key file.
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a CURVE key pair for an encrypted cluster: a secret .key file and its public .pub file.",
            discussion: """
                A coordinator and each worker have a key pair. Each secret key stays on its own machine \
                (the .key file, mode 600, readable by its owner only); the public key (the .pub file, mode \
                644) is given to the other side: the coordinator lists the workers' public keys in its \
                allow-list, and each worker is told the coordinator's public key. Keys are 40 characters \
                of Z85 text and a newline. Z85 uses characters the shell treats specially ($ & ! * ? ...), \
                so mimeo reads keys from files or environment variables, never from arguments.

                An existing key file is never replaced unless --force is given: a lost secret key cannot \
                be recovered. Both files are written to a temporary name and then linked into place, so \
                a reader never sees half a key. A secret key is never written to standard output.
                Examples:
                  mimeo keygen -o coord.key                  # writes coord.key and coord.pub
                  mimeo keygen -o w1.key                     # writes w1.key and w1.pub
                  mimeo keygen --public-from w1.key >> workers.pub   # add w1 to the allow-list
                """)

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp(
                "The secret key file to write; the public key goes beside it (w1.key -> w1.pub, other names get .pub "
                    + "appended). With --public-from: the public key file to write (default: standard output).",
                valueName: "file.key"))
        var output: String?

        @Option(
            help: ArgumentHelp(
                "Print the public key of this existing secret key file (mode 600) instead of making a new pair.",
                valueName: "file.key"))
        var publicFrom: String?

        @Flag(help: "Replace existing key files. The old secret key is lost.")
        var force = false

        func validate() throws {
            if let publicFrom, publicFrom.isEmpty { throw ValidationError("--public-from needs a file name") }
            if let output, output.isEmpty { throw ValidationError("-o needs a file name") }
            if publicFrom == nil {
                guard let output else {
                    throw ValidationError("give the secret key file to write with -o (for example -o w1.key), "
                                          + "or --public-from <file.key>")
                }
                if output == "-" || output.hasPrefix("/dev/") || output.hasPrefix("/proc/") {
                    throw ValidationError("a secret key is never written to standard output or a device; "
                                          + "give a file name such as -o w1.key")
                }
                if output.hasSuffix(".pub") {
                    throw ValidationError("-o names the secret key file; '\(output)' ends in .pub, the public key's "
                                          + "extension. Use a name such as w1.key")
                }
                if output.hasSuffix("/") {
                    throw ValidationError("-o '\(output)' is a directory; give a file name such as -o w1.key")
                }
            }
        }

        func run() throws {
            if let publicFrom {
                let pair: ZMQCurveKeyPair
                do {
                    pair = try ZMQCurveKeyPair.read(secretKeyFile: publicFrom)
                } catch let error as ZMQUsageError {
                    throw KeygenError(error.message)
                }
                let text = pair.publicKey.z85 + "\n"
                if let output, output != "-" {
                    try OutputSafety.check(inputs: [("--public-from", publicFrom)], outputs: [("--output", output)])
                    try KeyFileWriter.create([(output, text, 0o644)], force: force)
                    Terminal.message("Public key of \(publicFrom) written to \(output)")
                } else {
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
                return
            }
            guard let output else { return }
            let publicPath = ZMQCurveKeyPair.publicKeyPath(forSecretKeyFile: output)
            let pair: ZMQCurveKeyPair
            do {
                pair = try ZMQCurveKeyPair.generate()
            } catch {
                throw KeygenError("\(output): error: cannot make a key pair: \(error)")
            }
            try KeyFileWriter.create(
                [(output, pair.secretKey.z85 + "\n", 0o600), (publicPath, pair.publicKey.z85 + "\n", 0o644)],
                force: force)
            Terminal.message("Secret key: \(output) (mode 600; keep it on this machine)")
            Terminal.message("Public key: \(publicPath) (mode 644; give it to the other side) \(pair.publicKey.z85)")
        }
    }
}

/// A `mimeo keygen` failure, printed as `Error: <message>` with exit status 1.
struct KeygenError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes a set of key files (through `ZMQKeyFile.write`, which never replaces an existing file unless
/// `force`), all or none.
enum KeyFileWriter {
    /// Writes every file, or none that did not exist before: existing names are checked first, and a file this
    /// call created is removed again if a later one fails.
    /// - Throws: `KeygenError` naming the file.
    static func create(_ files: [(path: String, text: String, mode: mode_t)], force: Bool) throws {
        for file in files { try check(file.path, force: force) }
        var created: [String] = []
        do {
            for file in files {
                try place(file.path, text: file.text, mode: file.mode, force: force)
                created.append(file.path)
            }
        } catch {
            if !force { for path in created { unlink(path) } }
            throw error
        }
    }

    /// Refuses a path that names a directory or another non-regular file, whose folder is missing, or
    /// (without `force`) that exists.
    private static func check(_ path: String, force: Bool) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFDIR { throw KeygenError("\(path): error: is a directory; expected a key file name") }
            if type != S_IFREG && type != S_IFLNK {
                throw KeygenError("\(path): error: exists and is not a regular file; refusing to write a key there")
            }
            if !force {
                throw KeygenError("\(path): error: already exists; refusing to replace a key file "
                                  + "(a lost secret key cannot be recovered). Choose another name, or add --force")
            }
            if type == S_IFLNK { throw KeygenError("\(path): error: is a symbolic link; refusing to write a key through it") }
            return
        }
        guard errno == ENOENT else { throw failure(path, "cannot inspect the path") }
        var folderInfo = stat()
        let folder = directory(of: path)
        guard stat(folder, &folderInfo) == 0 else {
            throw KeygenError("\(path): error: folder '\(folder)' does not exist")
        }
        guard folderInfo.st_mode & S_IFMT == S_IFDIR else {
            throw KeygenError("\(path): error: '\(folder)' is not a folder")
        }
    }

    private static func place(_ path: String, text: String, mode: mode_t, force: Bool) throws {
        do {
            try ZMQKeyFile.write(text, to: path, mode: mode, replacing: force)
        } catch let error as ZMQUsageError where error.message.hasSuffix(ZMQKeyFile.exists) {
            throw KeygenError("\(path): error: \(ZMQKeyFile.exists). Choose another name, or add --force")
        } catch let error as ZMQUsageError {
            throw KeygenError(error.message)
        }
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    private static func failure(_ path: String, _ what: String) -> KeygenError {
        KeygenError("\(path): error: \(what): \(String(cString: strerror(errno)))")
    }
}
