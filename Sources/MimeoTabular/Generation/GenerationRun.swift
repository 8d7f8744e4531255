import Foundation
import MimeoTensor

/// Generates `rowCount` rows with a `Sampler` on `threads` threads, handing CSV bytes to `write` in row
/// order. Memory stays constant: at most `2 · threads` batches are in flight.
public struct GenerationRun {
    public var sampler: Sampler
    public var rowCount: Int
    public var seed: UInt64
    public var threads: Int

    public init(sampler: Sampler, rowCount: Int, seed: UInt64, threads: Int) {
        self.sampler = sampler
        self.rowCount = rowCount
        self.seed = seed
        self.threads = max(1, threads)
    }

    /// Runs the generation; `write` receives the header first, then each batch's bytes in order;
    /// `progress` receives the number of rows done.
    public func run(write: ([UInt8]) throws -> Void, progress: (Int) -> Void = { _ in }) throws {
        try write(sampler.headerBytes())
        let batchSize = Sampler.batchSize
        let batchCount = (rowCount + batchSize - 1) / batchSize
        // Each batch is generated single-threaded; parallelism is across batches.
        BLAS.setThreadCount(1)
        defer { BLAS.setThreadCount(ProcessInfo.processInfo.activeProcessorCount) }
        let window = threads == 1 ? 1 : threads * 2
        var next = 0
        var done = 0
        while next < batchCount {
            let group = min(window, batchCount - next)
            let sampler = self.sampler, rowCount = self.rowCount, seed = self.seed, first = next
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
