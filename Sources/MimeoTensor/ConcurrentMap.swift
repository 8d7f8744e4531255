import Foundation

/// Runs `body(0) … body(count - 1)` on the threads of `DispatchQueue.concurrentPerform` and returns the
/// results in index order (one task runs on the calling thread).
///
/// ```swift
/// let partials = concurrentMap(threads) { t in summarize(rows: parts[t]) }
/// ```
public func concurrentMap<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    if count <= 1 { return (0..<count).map(body) }
    let slots = ResultSlots<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { index in slots.set(index, body(index)) }
    return slots.values()
}

/// `rowCount` rows cut into `parts` contiguous ranges of near-equal size, in order.
public func splitRows(_ rowCount: Int, into parts: Int) -> [Range<Int>] {
    (0..<parts).map { t in (rowCount * t / parts)..<(rowCount * (t + 1) / parts) }
}

/// One result slot per task, written under a lock.
private final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: T) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    func values() -> [T] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
