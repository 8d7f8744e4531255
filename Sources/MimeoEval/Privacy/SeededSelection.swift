import MimeoTensor

/// Seeded samples of rows that do not depend on how the rows are split into chunks: each row gets
/// the key `RandomStream.draw(seed:stream:index: row)` (row = its position in the whole table) and
/// a sample of `k` rows is the `k` rows with the smallest keys ("bottom-k" sampling: uniform
/// without replacement, and mergeable: the bottom-k of a union is the bottom-k of the parts'
/// bottom-k).
enum SeededSelection {
    /// The stream numbers of the privacy samples (one per purpose, so samples are independent).
    enum Stream: UInt64 {
        case synthetic = 0x5052_4956_0001
        case holdout = 0x5052_4956_0002
        case trainComparison = 0x5052_4956_0003
        case holdoutComparison = 0x5052_4956_0004
        case referenceSplit = 0x5052_4956_0005
        /// Training rows of the utility learners.
        case utilityTraining = 0x5554_494C_0001
        /// The domain classifier's rows of the reference and current tables (`mimeo drift`).
        case driftReference = 0x4452_4946_0001
        case driftCurrent = 0x4452_4946_0002
    }

    /// The sampling key of row `row`.
    @inline(__always)
    static func key(seed: UInt64, stream: Stream, row: Int) -> UInt64 {
        RandomStream.draw(seed: seed, stream: stream.rawValue, index: UInt64(row))
    }

    /// The rows `0..<count` ordered by key (a seeded permutation).
    static func permutation(count: Int, seed: UInt64, stream: Stream) -> [Int] {
        let keys = (0 ..< count).map { key(seed: seed, stream: stream, row: $0) }
        return (0 ..< count).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
    }

    /// `take` of the rows `0..<count` (all when `take >= count`), in key order.
    static func sample(count: Int, take: Int, seed: UInt64, stream: Stream) -> [Int] {
        Array(permutation(count: count, seed: seed, stream: stream).prefix(max(0, take)))
    }
}
