import CZeroMQ
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Z85, ZeroMQ's printable encoding of binary keys (RFC 32): 4 bytes become 5 characters.
public enum Z85 {
    /// Encodes bytes whose count is a multiple of 4.
    public static func encode(_ bytes: [UInt8]) throws -> String {
        guard bytes.count % 4 == 0 else {
            throw ZMQUsageError("Z85 encodes a multiple of 4 bytes, got \(bytes.count)")
        }
        if bytes.isEmpty { return "" }
        var text = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else { throw ZMQError.last("zmq_z85_encode") }
        return string(fromNulTerminated: text)
    }

    /// Decodes text whose length is a multiple of 5, all characters from the Z85 alphabet.
    public static func decode(_ text: String) throws -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0 else {
            throw ZMQUsageError("Z85 text must have a multiple of 5 characters, got \(characters.count)")
        }
        if let bad = characters.firstIndex(where: { !alphabet.contains($0) }) {
            throw ZMQUsageError("Z85 text has a character outside the alphabet at position \(bad + 1)")
        }
        if characters.isEmpty { return [] }  // libzmq refuses empty text
        var bytes = [UInt8](repeating: 0, count: characters.count / 5 * 4)
        guard zmq_z85_decode(&bytes, text) != nil else {
            throw ZMQUsageError("Z85 text does not decode (a group exceeds 2^32)")
        }
        return bytes
    }

    private static let alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
}

/// A CURVE key (public or secret): 32 bytes, written as 40 Z85 characters.
///
/// Its `description` shows only the first 8 characters, so logging a secret key does not leak it.
public struct ZMQCurveKey: Sendable, Hashable, CustomStringConvertible {
    /// The 32 raw bytes.
    public let bytes: [UInt8]

    /// A key from its raw bytes; exactly 32.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw ZMQUsageError("a CURVE key has 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// A key from its Z85 text; exactly 40 characters. Surrounding whitespace is ignored.
    public init(z85 text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count == 40 else {
            throw ZMQUsageError("a CURVE key is 40 Z85 characters, got \(trimmed.utf8.count)")
        }
        try self.init(bytes: Z85.decode(trimmed))
    }

    /// The key as 40 Z85 characters.
    public var z85: String {
        // 32 bytes are a multiple of 4, so encoding cannot fail.
        (try? Z85.encode(bytes)) ?? ""
    }

    public var description: String { "ZMQCurveKey(\(z85.prefix(8))…)" }

    /// Reads a key from the environment variable `name` (Z85 text).
    /// - Parameters:
    ///   - name: the variable, e.g. `MIMEO_SERVER_KEY`.
    ///   - environment: the variables to look in; the process's by default.
    public static func fromEnvironment(
        _ name: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ZMQCurveKey {
        guard let text = environment[name] else { throw ZMQUsageError("environment variable \(name) is not set") }
        do {
            return try ZMQCurveKey(z85: text)
        } catch let error as ZMQUsageError {
            throw ZMQUsageError("environment variable \(name): \(error.message)")
        }
    }

    /// Reads a public key file (40 Z85 characters, optionally followed by a newline).
    public static func read(publicKeyFile path: String) throws -> ZMQCurveKey {
        try ZMQCurveKey(z85: readKeyText(path))
    }
}

/// A CURVE key pair. A worker keeps its secret key in a `.key` file (mode 0600) and gives its
/// `.pub` file to the coordinator's allow-list.
///
/// ```swift
/// let pair = try ZMQCurveKeyPair.generate()
/// try pair.write(secretKeyFile: "w1.key")          // also writes w1.pub
/// let again = try ZMQCurveKeyPair.read(secretKeyFile: "w1.key")
/// ```
public struct ZMQCurveKeyPair: Sendable, Hashable {
    /// The public key, safe to share.
    public let publicKey: ZMQCurveKey
    /// The secret key.
    public let secretKey: ZMQCurveKey

    /// A new random key pair (`zmq_curve_keypair`, libsodium).
    public static func generate() throws -> ZMQCurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return ZMQCurveKeyPair(
            publicKey: try ZMQCurveKey(z85: string(fromNulTerminated: publicText)),
            secretKey: try ZMQCurveKey(z85: string(fromNulTerminated: secretText)))
    }

    /// The pair of a secret key; the public key is derived from it (`zmq_curve_public`).
    public init(secretKey: ZMQCurveKey) throws {
        var publicText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicText, secretKey.z85) == 0 else { throw ZMQError.last("zmq_curve_public") }
        self.publicKey = try ZMQCurveKey(z85: string(fromNulTerminated: publicText))
        self.secretKey = secretKey
    }

    private init(publicKey: ZMQCurveKey, secretKey: ZMQCurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The public key file that goes with a secret key file: `w1.key` → `w1.pub`, else `<path>.pub`.
    public static func publicKeyPath(forSecretKeyFile path: String) -> String {
        path.hasSuffix(".key") ? String(path.dropLast(4)) + ".pub" : path + ".pub"
    }

    /// Writes the secret key to `path` (mode 0600) and the public key beside it
    /// (``publicKeyPath(forSecretKeyFile:)``, mode 0644), each as Z85 text and a newline.
    ///
    /// Each file is written to a temporary name in the same folder and renamed, so a reader
    /// never sees half a key.
    public func write(secretKeyFile path: String) throws {
        try ZMQKeyFile.write(secretKey.z85 + "\n", to: path, mode: 0o600, replacing: true)
        try ZMQKeyFile.write(publicKey.z85 + "\n", to: Self.publicKeyPath(forSecretKeyFile: path), mode: 0o644,
                             replacing: true)
    }

    /// Reads a secret key file and derives its public key.
    /// - Parameters:
    ///   - path: the `.key` file.
    ///   - requirePrivate: refuse a file that group or others may read or write (as ssh does).
    public static func read(secretKeyFile path: String, requirePrivate: Bool = true) throws -> ZMQCurveKeyPair {
        if requirePrivate {
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw ZMQUsageError("\(path): cannot read key file: \(String(cString: strerror(errno)))")
            }
            let mode = info.st_mode & 0o777
            guard mode & 0o077 == 0 else {
                let octal = String(mode, radix: 8)
                throw ZMQUsageError(
                    "\(path): secret key file is accessible by others (mode \(octal)); run chmod 600 on it")
            }
        }
        return try ZMQCurveKeyPair(secretKey: ZMQCurveKey(z85: readKeyText(path)))
    }

    /// Reads a secret key from the environment variable `name` and derives its public key.
    public static func fromEnvironment(
        _ name: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ZMQCurveKeyPair {
        try ZMQCurveKeyPair(secretKey: ZMQCurveKey.fromEnvironment(name, environment: environment))
    }
}

/// The text before the first NUL of a C character buffer.
private func string(fromNulTerminated characters: [CChar]) -> String {
    String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Reads a key file's text, naming the file in every error. Keys are 40 characters; anything
/// much longer is not a key file.
private func readKeyText(_ path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw ZMQUsageError("\(path): cannot open key file")
    }
    defer { try? handle.close() }
    let data: Data
    do {
        data = try handle.read(upToCount: 4096) ?? Data()
    } catch {
        throw ZMQUsageError("\(path): cannot read key file: \(error)")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw ZMQUsageError("\(path): key file is not text")
    }
    do {
        _ = try ZMQCurveKey(z85: text)
    } catch let error as ZMQUsageError {
        throw ZMQUsageError("\(path): \(error.message)")
    }
    return text
}

/// Key files written so that a reader never sees half a key and, unless asked, an existing key is never
/// replaced.
public enum ZMQKeyFile {
    /// Writes `text` to a temporary file beside `path` with `mode` (whatever the umask), syncs it, then
    /// renames it over `path` (`replacing`) or hard-links it to `path`, which fails if `path` exists even
    /// when another process created it a moment ago. The directory entry is synced too (best effort).
    ///
    /// - Throws: `ZMQUsageError` naming `path`; `ZMQKeyFile.exists` in the message when `path` exists and
    ///   `replacing` is false.
    public static func write(_ text: String, to path: String, mode: mode_t, replacing: Bool) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw ZMQUsageError("\(path): cannot create key file: \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary) }
        var failure: String?
        if fchmod(fd, mode) != 0 { failure = String(cString: strerror(errno)) }
        let bytes = Array(text.utf8)
        if failure == nil {
            let written = writeBytes(bytes, to: fd)
            if written != bytes.count { failure = written < 0 ? String(cString: strerror(errno)) : "short write" }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil {
            if replacing {
                if rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
            } else if link(temporary, path) != 0 {
                if errno == EEXIST { throw ZMQUsageError("\(path): \(exists)") }
                failure = String(cString: strerror(errno))
            }
        }
        if let failure { throw ZMQUsageError("\(path): cannot write key file: \(failure)") }
        syncDirectory(of: path)
    }

    /// What the error of a refused replacement says.
    public static let exists = "already exists; refusing to replace a key file"

    /// Makes a new directory entry durable; some file systems refuse to sync a directory, which is harmless.
    private static func syncDirectory(of path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
        let fd = open(folder, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// `write(2)` of all of `bytes` in one call (key files are 41 bytes); the count written, or -1.
private func writeBytes(_ bytes: [UInt8], to fd: Int32) -> Int {
    bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}
