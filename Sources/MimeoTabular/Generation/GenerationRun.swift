import Foundation
import MimeoTensor

/// Generates `rowCount` rows with a `Sampler` on `threads` threads, handing CSV bytes to `write` in row
/// order. Memory stays constant: at most `2 · threads` batches are in flight. Any `rowCount` is safe
/// (a negative one counts as 0); `mimeo generate` refuses more than `maximumRowCount`.
public struct GenerationRun {
    public var sampler: Sampler
    public var rowCount: Int
    public var seed: UInt64
    public var threads: Int

    /// The most rows `mimeo generate -n` accepts: 10^12, about eleven days at a million rows a second.
    public static let maximumRowCount = 1_000_000_000_000

    public init(sampler: Sampler, rowCount: Int, seed: UInt64, threads: Int) {
        self.sampler = sampler
        self.rowCount = max(0, rowCount)
        self.seed = seed
        self.threads = max(1, threads)
    }

    /// Runs the generation; `write` receives the header first, then each batch's bytes in order;
    /// `progress` receives the number of rows done.
    public func run(write: ([UInt8]) throws -> Void, progress: (Int) -> Void = { _ in }) throws {
        try write(sampler.headerBytes())
        let batchSize = Sampler.batchSize, rowCount = max(0, self.rowCount), threads = min(max(1, self.threads), 1 << 16)
        // Written so that no step can overflow, whatever `rowCount` is (up to `Int.max`).
        let batchCount = rowCount / batchSize + (rowCount % batchSize == 0 ? 0 : 1)
        // Each batch is generated single-threaded; parallelism is across batches.
        BLAS.setThreadCount(1)
        defer { BLAS.setThreadCount(ProcessInfo.processInfo.activeProcessorCount) }
        let window = threads == 1 ? 1 : threads * 2
        var next = 0
        var done = 0
        while next < batchCount {
            let group = min(window, batchCount - next)
            let sampler = self.sampler, seed = self.seed, first = next
            let results = concurrentMap(group) { k in
                let index = first + k
                return sampler.generateBatch(index: index, count: min(batchSize, rowCount - index * batchSize), seed: seed)
            }
            for k in 0..<group {
                try write(results[k])
                done += min(batchSize, rowCount - (first + k) * batchSize)
            }
            progress(done)
            next += group
        }
    }
}
