import Foundation

/// The executables SwiftPM builds beside the test bundle (`<scratch>/debug/<name>`), for tests that run
/// them as real processes.
public enum BuiltProducts {
    /// The path of the executable product `name`, or nil when it is not next to the tests.
    public static func executable(named name: String) -> String? {
        var directories: [URL] = []
        #if os(Linux)
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        #endif
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            directories.append(bundle.bundleURL.deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL)
        for directory in directories {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
