import Foundation

// Dimension key: N = rows, S = sub-columns, D = Σ d_s, K = context width, B = rows per thread slice.

/// What a training run will need, computed from the architecture before any weight is allocated, so
/// that a table too wide for the machine is refused with a message instead of killed by the kernel.
public struct TrainingEstimate: Sendable, Equatable {
    /// Trainable parameters.
    public var parameters: Int
    /// Bytes of everything sized by the parameter count: the weights, AdamW's two moments, the moving
    /// average, the best weights, one gradient per thread, and the encoded model file.
    public var parameterBytes: Int
    /// Bytes of the threads' activations (`TrainingWorkspace`).
    public var activationBytes: Int
    /// Bytes of the encoded rows (tokens) and the per-batch copies.
    public var tokenBytes: Int
    /// Bytes the process held before the model was built (the table, its statistics).
    public var baselineBytes: Int
    /// Bytes of the lookup tables `mimeo generate` builds for this model.
    public var generationTableBytes: Int
    /// A rough time for one pass over the training rows, from the multiply-adds per row.
    public var secondsPerEpoch: Double
    /// Multiply-adds per row for one forward and backward pass.
    public var flopsPerRow: Double
    public var threads: Int
    public var batchSize: Int

    /// The peak training memory: baseline, parameters, activations and tokens.
    public var totalBytes: Int { baselineBytes + parameterBytes + activationBytes + tokenBytes }

    /// Sustained floating-point operations per second and thread assumed for `secondsPerEpoch`
    /// (measured on adult and on a 500-column table, docs/scaling.md).
    public static let flopsPerSecondPerThread = 3e10

    /// The estimate for training `architecture` on `rowCount` rows with `options` (same batch size,
    /// threads and validation split as `Trainer`), on top of `baselineBytes` already in use.
    public init(architecture: ModelArchitecture, options: TrainingOptions, rowCount N: Int, baselineBytes: Int = 0) {
        let S = architecture.subColumnCount, D = architecture.inputWidth
        let parameters = ParameterLayout(architecture).count
        let validationCount = N >= 50 ? min(max(1, Int(Double(N) * options.validationFraction)), 20_000) : 0
        let trainingCount = N - validationCount
        let batchSize = min(options.resolvedBatchSize(rowCount: trainingCount), max(1, trainingCount))
        let threads = max(1, min(options.threads, batchSize / 16))
        let B = (batchSize + threads - 1) / threads
        let maxH = architecture.hiddenWidths.max() ?? 1, maxV = architecture.cardinalities.max() ?? 1
        var perThread = 2 * B * D + 2 * B * maxH + B * maxV    // E, dE, hidden, its gradient, logits
        if let K = architecture.contextWidth {
            perThread += 2 * S * B * K + B * K + B * S         // contributions, contexts, dx, rank order
        } else {
            perThread += 2 * B * D + B * S / 4                 // masked input and its gradient, keep (bytes)
        }
        self.parameters = parameters
        // weights, AdamW m and v, moving average, best, one gradient per thread, the file's bytes
        parameterBytes = 4 * parameters * (6 + threads)
        activationBytes = 4 * perThread * threads
        // all rows, the validation rows' tokens and ranks, a batch's tokens and ranks
        tokenBytes = 4 * S * (N + 2 * validationCount + 2 * batchSize)
        self.baselineBytes = baselineBytes
        generationTableBytes = 4 * Self.generationTableFloats(architecture)
        var macs = 0.0
        for s in 0..<S {
            let H = Double(architecture.hiddenWidths[s]), V = Double(architecture.cardinalities[s])
            macs += Double(architecture.headInputWidth) * H + H * V
        }
        if let K = architecture.contextWidth { macs += Double(D * K) + 2 * Double(S * K) }
        flopsPerRow = 6 * macs  // forward and two backward products, 2 flops per multiply-add
        secondsPerEpoch = flopsPerRow * Double(trainingCount + validationCount / 3)
            / (Self.flopsPerSecondPerThread * Double(threads))
        self.threads = threads
        self.batchSize = batchSize
    }

    /// Floats in the generation lookup tables: `Σ_s Σ_{t before s} V_t · Hp_s` in schema order for the
    /// full architecture, `Σ_t V_t · K` for a projected one.
    public static func generationTableFloats(_ architecture: ModelArchitecture) -> Int {
        if let K = architecture.contextWidth { return architecture.cardinalities.reduce(0, +) * K }
        var total = 0, before = 0
        for s in 0..<architecture.subColumnCount {
            total += before * ((architecture.hiddenWidths[s] + 15) / 16 * 16)
            before += architecture.cardinalities[s]
        }
        return total
    }

    /// Throws `TrainingError.insufficientMemory` when `totalBytes` exceeds `limit`, with a message that
    /// names the options that shrink the run (`--context-width`, `--batch-size`) or raise the limit
    /// (`--max-memory`). `limitSource` says where the limit comes from.
    public func check(limit: Int, limitSource: String, architecture: ModelArchitecture) throws {
        guard totalBytes > limit else { return }
        let width = architecture.contextWidth.map { "the context width is \($0)" }
            ?? "the model uses the full architecture"
        let smaller = max(8, (architecture.contextWidth ?? ModelArchitecture.defaultContextWidth) / 2)
        throw TrainingError.insufficientMemory(
            "training would need about \(Self.format(bytes: totalBytes)) of memory "
            + "(\(Self.format(bytes: parameterBytes)) for \(parameters) parameters and their optimiser copies, "
            + "\(Self.format(bytes: activationBytes)) of activations on \(threads) threads, "
            + "\(Self.format(bytes: tokenBytes)) of tokens, \(Self.format(bytes: baselineBytes)) already in use), "
            + "more than the \(Self.format(bytes: limit)) of \(limitSource). \(width.prefix(1).uppercased() + width.dropFirst()); "
            + "use a smaller --context-width (e.g. \(smaller)), a smaller --batch-size or fewer --threads, "
            + "or raise --max-memory if the machine really has more.")
    }

    /// `1.5 GiB`, `340 MiB`, `12 KiB`.
    public static func format(bytes: Int) -> String {
        let value = Double(bytes)
        if bytes >= 1 << 30 { return String(format: "%.1f GiB", value / Double(1 << 30)) }
        if bytes >= 1 << 20 { return String(format: "%.0f MiB", value / Double(1 << 20)) }
        return String(format: "%.0f KiB", value / 1024)
    }

    /// The memory this process may use: the smaller of the physical memory and the cgroup limit (in a
    /// container), with a description of where it comes from.
    public static func machineMemoryLimit() -> (bytes: Int, source: String) {
        var bytes = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        var source = "physical memory"
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0, limit < bytes {
                bytes = limit
                source = "the container's memory limit (\(path))"
            }
        }
        return (bytes, "this machine's \(source)")
    }

    /// The resident memory of this process now (`/proc/self/statm`), or 0 where it cannot be read.
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
