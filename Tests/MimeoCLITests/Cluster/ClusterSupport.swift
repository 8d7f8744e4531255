import Crypto
import Foundation
import MimeoTestSupport

/// What the cluster tests share: the processes of a cluster on loopback and checks of its output.
enum ClusterSupport {
    /// The `mimeo` the cluster tests run.
    static func executable() throws -> String {
        guard let path = Mimeo.executable else { throw MimeoTestError("the mimeo executable was not found next to the tests") }
        return path
    }

    /// A release build of `mimeo` for the tests that generate millions of rows: `MIMEO_RELEASE_EXECUTABLE`, or
    /// `.build/release/mimeo` (built by `make test`).
    static func releaseExecutable() -> String? {
        if let path = ProcessInfo.processInfo.environment["MIMEO_RELEASE_EXECUTABLE"] { return path }
        let path = Datasets.packageRoot + "/.build/release/mimeo"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Starts a coordinator on `host` (a free port) with its state in `state`; returns it once it listens.
    static func startCoordinator(executable: String, host: String = "127.0.0.1", state: String, port: Int? = nil,
                                 extra: [String] = [], environment: [String: String] = [:]) throws
        -> (process: BackgroundProcess, endpoint: String) {
        let port = try port ?? freeLoopbackPort()
        let endpoint = "tcp://\(host):\(port)"
        let process = try BackgroundProcess(executable, ["coordinator", "--bind", endpoint, "--state", state,
                                                         "--heartbeat-ms", "250"] + extra,
                                            environment: environment, name: "coordinator")
        guard eventually(timeout: 30, { process.standardError.contains("listening on") || process.poll() != nil }),
              process.poll() == nil else {
            throw MimeoTestError("the coordinator did not start: \(process.standardError)")
        }
        return (process, endpoint)
    }

    /// Starts a worker connected to `endpoint`.
    static func startWorker(executable: String, endpoint: String, name: String, cache: String, threads: Int = 1,
                            extra: [String] = [], environment: [String: String] = [:]) throws -> BackgroundProcess {
        try BackgroundProcess(executable, ["worker", "--connect", endpoint, "--name", name, "--threads", String(threads),
                                           "--cache", cache] + extra, environment: environment, name: name)
    }

    /// The part files of `folder` in name order.
    static func parts(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasPrefix("part-") && $0.hasSuffix(".csv") }.sorted()
            .map { folder + "/" + $0 }
    }

    /// SHA-256 of the data rows of `files` in order: each file's bytes after its first line.
    static func rowsDigest(_ files: [String]) throws -> (digest: String, bytes: Int) {
        var hasher = SHA256()
        var total = 0
        for file in files {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw MimeoTestError("cannot read \(file)") }
            defer { try? handle.close() }
            var skippingHeader = true
            while let piece = try handle.read(upToCount: 1 << 22), !piece.isEmpty {
                var bytes = piece
                if skippingHeader {
                    guard let newline = bytes.firstIndex(of: 0x0A) else { continue }
                    bytes = bytes[(newline + 1)...]
                    skippingHeader = false
                }
                hasher.update(data: bytes)
                total += bytes.count
            }
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), total)
    }

    /// SHA-256 of a whole file, as lowercase hex.
    static func fileDigest(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw MimeoTestError("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let piece = try handle.read(upToCount: 1 << 22), !piece.isEmpty { hasher.update(data: piece) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The manifest of a finished job as JSON.
    static func manifest(in folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/_manifest.json"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MimeoTestError("_manifest.json is not a JSON object")
        }
        return object
    }

    /// Checks that every part in the manifest exists with its rows' count, bytes and SHA-256, in order, and that
    /// no temporary file is left; returns the part paths.
    static func checkManifest(in folder: String, rows: Int) throws -> [String] {
        let manifest = try manifest(in: folder)
        guard let parts = manifest["parts"] as? [[String: Any]] else { throw MimeoTestError("manifest has no parts") }
        var files: [String] = []
        var total = 0
        for (index, part) in parts.enumerated() {
            guard part["index"] as? Int == index, let file = part["file"] as? String,
                  let sha = part["sha256"] as? String, let bytes = part["bytes"] as? Int, let count = part["rows"] as? Int
            else { throw MimeoTestError("manifest part \(index) is incomplete: \(part)") }
            let path = folder + "/" + file
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
            guard size == bytes else { throw MimeoTestError("\(file) has \(size ?? -1) bytes, the manifest says \(bytes)") }
            guard try fileDigest(path) == sha else { throw MimeoTestError("\(file)'s SHA-256 is not the manifest's") }
            files.append(path)
            total += count
        }
        guard total == rows else { throw MimeoTestError("the manifest's parts hold \(total) rows, not \(rows)") }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp") }
        guard leftovers.isEmpty else { throw MimeoTestError("temporary files left: \(leftovers)") }
        guard try ClusterSupport.parts(in: folder) == files else {
            throw MimeoTestError("the folder's parts are not exactly the manifest's")
        }
        return files
    }
}
