import Foundation
import MimeoData

/// Removes unfinished output files when the process is interrupted (SIGINT, SIGTERM, SIGHUP), so an
/// interrupted run leaves neither a partial output nor its temporary file.
enum TemporaryFiles {
    nonisolated(unsafe) private static var paths: [UnsafeMutablePointer<CChar>] = []
    nonisolated(unsafe) private static var isInstalled = false

    /// Opens an atomic output and arranges for its temporary file to be removed on interruption (an output
    /// written through, such as a FIFO or a device, has none: it is never removed).
    static func output(path: String) throws -> AtomicFileOutput {
        let output = try AtomicFileOutput(path: path)
        if !output.writesThrough { register(output.temporaryPath) }
        return output
    }

    private static func register(_ path: String) {
        if let copy = strdup(path) { paths.append(copy) }
        guard !isInstalled else { return }
        isInstalled = true
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber) { received in
                for path in TemporaryFiles.paths { unlink(path) }
                _exit(128 + received)
            }
        }
    }
}
