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

    /// The number of batches of a job of `rowCount` rows (the last one may be short); overflow-free.
    public static func batchCount(rowCount: Int) -> Int {
        let rowCount = max(0, rowCount), batchSize = Sampler.batchSize
        return rowCount / batchSize + (rowCount % batchSize == 0 ? 0 : 1)
    }

    /// Runs the generation; `write` receives the header first, then each batch's bytes in order;
    /// `progress` receives the number of rows done.
    public func run(write: ([UInt8]) throws -> Void, progress: (Int) -> Void = { _ in }) throws {
        try write(sampler.headerBytes())
        var done = 0
        try run(batches: 0..<Self.batchCount(rowCount: rowCount), process: { _, rows, bytes in (rows, bytes) }) { group in
            for (rows, bytes) in group {
                try write(bytes)
                done += rows
            }
            progress(done)
        }
    }

    /// Generates the job's batches `batches` (a range of `0..<batchCount(rowCount:)`, such as one shard of
    /// a cluster job): each batch is generated single-threaded and handed, with its index and row count, to
    /// `process` on a worker thread; the results reach `consume` a group of at most `2 · threads` at a time,
    /// in batch order. Batch `i` has the same bytes whichever range and thread count it is generated in.
    public func run<Processed>(
        batches: Range<Int>,
        process: @Sendable (_ index: Int, _ rows: Int, _ bytes: [UInt8]) throws -> Processed,
        consume: ([Processed]) throws -> Void
    ) throws {
        let batchSize = Sampler.batchSize, rowCount = max(0, self.rowCount), threads = min(max(1, self.threads), 1 << 16)
        // Parallelism is across batches.
        BLAS.beginSingleThreadedCalls()
        defer { BLAS.endSingleThreadedCalls() }
        let window = threads == 1 ? 1 : threads * 2
        var next = batches.lowerBound
        while next < batches.upperBound {
            let group = min(window, batches.upperBound - next)
            let sampler = self.sampler, seed = self.seed, first = next
            let results = concurrentMap(group) { k in
                Result {
                    let index = first + k
                    // Written so that no step can overflow, whatever `rowCount` is (up to `Int.max`).
                    let rows = min(batchSize, rowCount - index * batchSize)
                    return try process(index, rows, sampler.generateBatch(index: index, count: rows, seed: seed))
                }
            }
            try consume(try results.map { try $0.get() })
            next += group
        }
    }
}
