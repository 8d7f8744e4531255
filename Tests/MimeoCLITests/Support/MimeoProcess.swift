import MimeoTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How one run of the `mimeo` binary ended, with everything it printed.
struct MimeoRun: CustomStringConvertible {
    /// The exit status, or nil when the process was killed by a signal.
    var status: Int32?
    /// The signal that killed the process, if any (a crash: SIGILL for a Swift trap, SIGSEGV, ...).
    var signal: Int32?
    var stdout: Data
    var stderr: Data

    var standardOutput: String { String(decoding: stdout, as: UTF8.self) }
    var standardError: String { String(decoding: stderr, as: UTF8.self) }

    /// Whether the process exited (rather than crashed) with a non-zero status.
    var failedCleanly: Bool { signal == nil && status != nil && status != 0 }
    var succeeded: Bool { status == 0 }

    var description: String {
        let end = signal.map { "killed by signal \($0)" } ?? "exit status \(status ?? -1)"
        return "\(end)\n--- stderr ---\n\(standardError.prefix(4000))\n--- stdout ---\n\(standardOutput.prefix(2000))"
    }
}

/// Runs the built `mimeo` executable as a subprocess.
///
/// ```swift
/// let run = try Mimeo.run(["schema", path])
/// #expect(run.succeeded, "\(run)")
/// ```
///
/// The executable is looked for next to the test bundle, where SwiftPM puts every product of the
/// package (`<scratch>/debug/mimeo`, whatever `--scratch-path` is): on Linux the test bundle is the
/// running executable (`/proc/self/exe`); on macOS it is the loaded `.xctest` bundle. `MIMEO_EXECUTABLE`
/// overrides the search.
enum Mimeo {
    /// The path of the `mimeo` executable, or nil when it cannot be found.
    static let executable: String? = locateExecutable()

    static func locateExecutable() -> String? {
        if let path = ProcessInfo.processInfo.environment["MIMEO_EXECUTABLE"] { return path }
        return BuiltProducts.executable(named: "mimeo")
    }

    /// Runs `mimeo` with `arguments`, standard input from /dev/null, and waits for it to end.
    ///
    /// Output goes to temporary files rather than pipes, so a chatty process can never block.
    /// - Parameters:
    ///   - arguments: The arguments after the program name.
    ///   - environment: Variables to set on top of this process's environment.
    static func run(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil) throws -> MimeoRun {
        guard let executable = executable ?? self.executable else {
            throw MimeoTestError("the mimeo executable was not found next to the tests")
        }
        let scratch = NSTemporaryDirectory() + "mimeo-cli-run-\(UUID().uuidString)"
        let outPath = scratch + ".out"
        let errPath = scratch + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let pid = try spawnWithOutputFiles(executable, arguments, environment: environment, standardOutput: outPath,
                                           standardError: errPath)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw MimeoTestError("waitpid failed: errno \(errno)") }
        }
        // The W* macros are not imported into Swift: low 7 bits are the signal, the next byte the status.
        let signal = status & 0x7f
        let stdout = FileManager.default.contents(atPath: outPath) ?? Data()
        let stderr = FileManager.default.contents(atPath: errPath) ?? Data()
        if signal == 0 {
            return MimeoRun(status: (status >> 8) & 0xff, signal: nil, stdout: stdout, stderr: stderr)
        }
        return MimeoRun(status: nil, signal: signal, stdout: stdout, stderr: stderr)
    }
}

/// A failure of the test machinery itself (not of mimeo).
struct MimeoTestError: Error, CustomStringConvertible, Sendable {
    var description: String
    init(_ description: String) { self.description = description }
}


/// Files of the package, found from this source file's path.
enum PackageFiles {
    /// The package root.
    static let root = Datasets.packageRoot

    static let adultSample = Datasets.adultSample
}

/// The first `rows` data rows of samples/adult-sample.csv (with its header), as text.
func adultSampleText(rows: Int) throws -> String {
    let text = try String(contentsOfFile: PackageFiles.adultSample, encoding: .utf8)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.prefix(rows + 1).joined(separator: "\n") + "\n"
}
