import Foundation

/// A value behind a lock, shareable across threads.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable, proof: `value` is private and only read or written inside
    // `withLock`, which holds `lock` for the whole access; `Value` itself is Sendable, so
    // copies handed out do not share mutable state.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
