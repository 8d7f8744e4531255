#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The instruction-set flags of this machine's CPUs, as Linux lists them in `/proc/cpuinfo`.
///
/// ```swift
/// let features = CPUFeatures.current()
/// if features.contains("avx512f") { … }
/// ```
/// Parsing is a pure function over the file's text (``init(cpuinfo:)``), so it is testable with
/// captured text; ``current()`` only adds the file read.
public struct CPUFeatures: Sendable, Equatable {
    /// The flags every listed processor has (`avx2`, `fma`, `avx512f`, …), in lower case.
    public var flags: Set<String>

    /// Features with the given flags.
    public init(flags: Set<String>) {
        self.flags = flags
    }

    /// Parses the text of `/proc/cpuinfo`.
    ///
    /// Each processor block has a `flags : …` line; the result keeps the flags common to all of
    /// them, so a kernel chosen from it runs on every core. Text without a `flags` line (another OS,
    /// an unreadable file) gives an empty set.
    /// - Parameters:
    ///   - cpuinfo: The whole text of `/proc/cpuinfo`.
    public init(cpuinfo: String) {
        var common: Set<String>?
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingWhitespace()
            guard key == "flags" else { continue }
            let lineFlags = Set(line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
                .map { $0.lowercased() })
            common = common.map { $0.intersection(lineFlags) } ?? lineFlags
        }
        self.init(flags: common ?? [])
    }

    /// Whether every processor has `flag` (for example `"avx2"`).
    public func contains(_ flag: String) -> Bool {
        flags.contains(flag)
    }

    /// The features of this machine, read from `/proc/cpuinfo`; empty if it cannot be read.
    public static func current() -> CPUFeatures {
        guard let text = readWholeFile("/proc/cpuinfo") else { return CPUFeatures(flags: []) }
        return CPUFeatures(cpuinfo: text)
    }

    /// Reads a file with POSIX calls (files under `/proc` report size 0, so read until EOF).
    private static func readWholeFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return s
    }
}
