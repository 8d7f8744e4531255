import Dispatch
import Foundation

/// Work on threads of its own that the caller can wait for (bounded).
final class BackgroundWork: Sendable {
    private let group = DispatchGroup()

    /// Runs `work` on a new thread.
    func start(name: String, _ work: @escaping @Sendable () -> Void) {
        group.enter()
        let group = self.group
        let thread = Thread {
            defer { group.leave() }
            work()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until all work started so far has ended, at most `timeout`; returns whether it has.
    func wait(timeout: Duration) -> Bool {
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        return group.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success
    }
}
