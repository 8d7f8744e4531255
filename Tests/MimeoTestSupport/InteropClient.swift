import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Python MWP-1 peer of `Tests/interop/mwp_client.py` (docs/protocol/interop.md), written from
/// docs/protocol/mwp-1.md alone, run with the test-only venv that `make pyzmq-venv` makes in `.build/venv-interop`.
///
/// `run(["selftest", InteropClient.spec])` checks the spec's examples; against a live coordinator,
/// `run(["status", "--connect", endpoint])` and `run(["worker", "--connect", endpoint, "--name", "py1"])`.
public enum InteropClient {
    /// The script.
    public static let script = Datasets.packageRoot + "/Tests/interop/mwp_client.py"
    /// The venv's interpreter, which has pyzmq.
    public static let python = Datasets.packageRoot + "/.build/venv-interop/bin/python"
    /// The protocol specification the script is written from.
    public static let spec = Datasets.packageRoot + "/docs/protocol/mwp-1.md"

    /// A finished run of the script.
    public struct Run: CustomStringConvertible, Sendable {
        /// The exit status (0 success, 1 selftest failure or bad use, 2 timeout, 3 refused by the peer).
        public var status: Int32
        public var standardOutput: String
        public var standardError: String

        public var description: String {
            "mwp_client.py exited \(status)\n--- stdout\n\(standardOutput)\n--- stderr\n\(standardError)"
        }
    }

    /// Runs `mwp_client.py arguments` with the venv's Python and waits for it, at most `timeout` seconds; a run
    /// still going then is killed by its pid and reported as an error.
    ///
    /// - Throws: `TestSupportError` when the venv is missing (run `make pyzmq-venv`), or the run overran.
    public static func run(_ arguments: [String], timeout: Double = 60) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TestSupportError("no Python venv at \(python): run `make pyzmq-venv` (make test does) to create it")
        }
        let directory = try TemporaryDirectory(prefix: "mimeo-interop")
        let outputPath = directory.file("stdout"), errorPath = directory.file("stderr")
        guard FileManager.default.createFile(atPath: outputPath, contents: nil),
              FileManager.default.createFile(atPath: errorPath, contents: nil)
        else { throw TestSupportError("cannot create the output files in \(directory.path)") }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer {
            try? output.close()
            try? error.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestSupportError("mwp_client.py \(arguments.joined(separator: " ")) ran over \(timeout) s")
        }
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            standardOutput: String(decoding: try directory.read("stdout"), as: UTF8.self),
            standardError: String(decoding: try directory.read("stderr"), as: UTF8.self))
    }
}
