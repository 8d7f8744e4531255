#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Picks the fastest OpenBLAS kernel this CPU can run, by re-executing the process.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its generic
/// `Prescott` kernel (about 5× slower SGEMM than `SkylakeX` here). It reads `OPENBLAS_CORETYPE`
/// only when the library loads, so setting the variable inside `main` is too late; the process
/// has to start again with the variable set. Call this first thing in `main`:
/// ```swift
/// OpenBLASKernel.reexecWithFastKernelIfNeeded(arguments: CommandLine.arguments)
/// ```
/// Environment: `OPENBLAS_CORETYPE` (if set, it is respected), `MIMEO_NO_REEXEC` (if set, never
/// re-execute), `MIMEO_REEXEC` (set to `1` in the re-executed process, to prevent loops).
public enum OpenBLASKernel {
    /// The flags OpenBLAS's `SkylakeX` kernel needs (the AVX-512 subsets it uses).
    public static let skylakeXFlags: Set<String> = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
    /// The flags OpenBLAS's `Haswell` kernel needs.
    public static let haswellFlags: Set<String> = ["avx2", "fma"]

    /// The best `OPENBLAS_CORETYPE` for a CPU with `flags`, or `nil` to keep OpenBLAS's own pick.
    ///
    /// `SkylakeX` needs `avx512f`, `avx512bw`, `avx512vl`, `avx512dq` and `avx512cd`; `Haswell`
    /// needs `avx2` and `fma`. Forcing a kernel the CPU cannot run crashes with SIGILL, hence the check.
    /// - Parameters:
    ///   - flags: CPU flags as in `/proc/cpuinfo` (see ``CPUFeatures``).
    public static func preferredCoreType(flags: Set<String>) -> String? {
        if skylakeXFlags.isSubset(of: flags) { return "SkylakeX" }
        if haswellFlags.isSubset(of: flags) { return "Haswell" }
        return nil
    }

    /// The core type to re-execute with, or `nil` to carry on as is. Pure; used by
    /// ``reexecWithFastKernelIfNeeded(arguments:)``.
    ///
    /// Returns `nil` when `OPENBLAS_CORETYPE`, `MIMEO_NO_REEXEC` or `MIMEO_REEXEC` is set in
    /// `environment`, when no kernel is preferred for `flags`, or when `currentCore` is already at
    /// least as good as the preferred one.
    /// - Parameters:
    ///   - environment: The variables that matter (missing keys mean unset).
    ///   - flags: CPU flags as in `/proc/cpuinfo`.
    ///   - currentCore: The kernel OpenBLAS chose (``BLAS/coreName``).
    public static func reexecCoreType(
        environment: [String: String], flags: Set<String>, currentCore: String
    ) -> String? {
        for name in ["OPENBLAS_CORETYPE", "MIMEO_NO_REEXEC", "MIMEO_REEXEC"] where environment[name] != nil {
            return nil
        }
        guard let preferred = preferredCoreType(flags: flags) else { return nil }
        if rank(currentCore) >= rank(preferred) { return nil }
        return preferred
    }

    /// Re-executes this process with `OPENBLAS_CORETYPE` set, if a faster kernel is available.
    ///
    /// Does nothing when ``reexecCoreType(environment:flags:currentCore:)`` says so. Otherwise sets
    /// `OPENBLAS_CORETYPE` and `MIMEO_REEXEC=1` and calls `execv("/proc/self/exe", arguments)`,
    /// which does not return on success. On any failure it restores the environment and returns,
    /// and the process carries on with the default kernel.
    /// - Parameters:
    ///   - arguments: The process's arguments, `argv[0]` first (`CommandLine.arguments`).
    public static func reexecWithFastKernelIfNeeded(arguments: [String]) {
        var environment: [String: String] = [:]
        for name in ["OPENBLAS_CORETYPE", "MIMEO_NO_REEXEC", "MIMEO_REEXEC"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        guard
            let coreType = reexecCoreType(
                environment: environment, flags: CPUFeatures.current().flags, currentCore: BLAS.coreName)
        else { return }
        guard !arguments.isEmpty, access("/proc/self/exe", X_OK) == 0 else { return }
        guard setenv("OPENBLAS_CORETYPE", coreType, 1) == 0 else { return }
        guard setenv("MIMEO_REEXEC", "1", 1) == 0 else {
            unsetenv("OPENBLAS_CORETYPE")
            return
        }
        // Flush buffered output so that it is not written twice.
        fflush(nil)
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        _ = cArguments.withUnsafeMutableBufferPointer { execv("/proc/self/exe", $0.baseAddress!) }
        // Only reached when execv failed.
        for pointer in cArguments { free(pointer) }
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv("MIMEO_REEXEC")
    }

    /// Orders kernel names by expected SGEMM speed; unknown names rank lowest.
    static func rank(_ coreName: String) -> Int {
        switch coreName.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": 3
        case "haswell", "zen": 2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": 1
        default: 0
        }
    }
}
