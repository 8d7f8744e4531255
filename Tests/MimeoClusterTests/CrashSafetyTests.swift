import Foundation
import GRDB
@testable import MimeoCluster
import MimeoWire
import MimeoTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A coordinator killed at any point loses nothing it committed: `StoreCrashProbe` runs the store's operations in a
/// loop and prints each step after its commit; the test SIGKILLs it mid-run (six times, each run after the first
/// starting with `recover`), then opens the file and finds every printed step, and a consistent state.
@Suite(.serialized) struct CrashSafetyTests {
    /// The probe, next to the test bundle where SwiftPM puts every product (`<scratch>/debug/StoreCrashProbe`).
    static func probePath() throws -> String {
        guard let path = BuiltProducts.executable(named: "StoreCrashProbe") else {
            throw ProbeError("StoreCrashProbe was not found next to the tests")
        }
        return path
    }

    struct ProbeError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Starts the probe on `state`, waits until it printed `lines` lines (at most 20 s), lets it run `extra`
    /// milliseconds more, SIGKILLs it by pid and returns what it printed.
    static func runAndKill(state: String, lines: Int, extraMilliseconds: UInt32) throws -> [String] {
        let probe = try probePath()
        let output = state + ".probe-\(UUID().uuidString).out"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, output + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { unlink(output + ".err") }
        let arguments: [String] = [probe, state, "1000000"]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, probe, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ProbeError("posix_spawn \(probe) failed: errno \(spawned)") }

        let deadline = Date().addingTimeInterval(20)
        var printed = 0
        var exited = false
        var status: Int32 = 0
        while Date() < deadline {
            printed = (try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: "\n").count ?? 0
            if printed >= lines { break }
            if waitpid(pid, &status, WNOHANG) == pid { exited = true; break }
            usleep(2_000)
        }
        if !exited {
            usleep(extraMilliseconds * 1_000)
            kill(pid, SIGKILL)
            let reapDeadline = Date().addingTimeInterval(10)
            while waitpid(pid, &status, WNOHANG) != pid {
                guard Date() < reapDeadline else { throw ProbeError("probe \(pid) did not die after SIGKILL") }
                usleep(1_000)
            }
        }
        let error = (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
        guard !exited else { throw ProbeError("the probe exited by itself (status \(status)): \(error)") }
        guard printed >= lines else { throw ProbeError("the probe printed \(printed) of \(lines) lines in 20 s: \(error)") }
        // The signal, in the low 7 bits: the probe must have been killed, not have ended.
        guard status & 0x7f == SIGKILL else { throw ProbeError("the probe ended with status \(status)") }
        let text = try String(contentsOfFile: output, encoding: .utf8)
        // Only whole lines count: the last piece is empty, or a line cut by the kill (not a step the probe claimed).
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test func everyCommittedStepSurvivesSIGKILL() throws {
        let state = try temporaryStatePath()
        var steps: [String] = []
        for run in 0..<6 {
            steps += try Self.runAndKill(state: state, lines: 250, extraMilliseconds: UInt32(3 + 5 * run))
        }
        #expect(steps.count >= 1_500)

        let store = try openStore(state)
        let queue = try DatabaseQueue(path: state)
        try queue.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            for step in steps {
                let fields = step.split(separator: " ").map(String.init)
                let numbers = fields.dropFirst().compactMap { Int64($0) }
                switch (fields.first, numbers.count) {
                case ("submitted", 1):
                    #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE id = ?",
                                             arguments: [numbers[0]]) == 1, "\(step)")
                case ("leased", 3):
                    #expect(try Int.fetchOne(db, sql: """
                        SELECT COUNT(*) FROM attempts WHERE job_id = ? AND shard_idx = ? AND attempt = ?
                        """, arguments: [numbers[0], numbers[1], numbers[2]]) == 1, "\(step)")
                case ("completed", 3):
                    #expect(try Int.fetchOne(db, sql: """
                        SELECT COUNT(*) FROM shards s JOIN attempts a
                            ON a.job_id = s.job_id AND a.shard_idx = s.idx AND a.attempt = s.attempts
                        WHERE s.job_id = ? AND s.idx = ? AND s.attempts = ? AND s.state = 'done'
                              AND a.outcome = 'completed'
                        """, arguments: [numbers[0], numbers[1], numbers[2]]) == 1, "\(step)")
                case ("expired", 3):
                    #expect(try String.fetchOne(db, sql: """
                        SELECT outcome FROM attempts WHERE job_id = ? AND shard_idx = ? AND attempt = ?
                        """, arguments: [numbers[0], numbers[1], numbers[2]]).map { ["expired", "restarted"].contains($0) }
                        == true, "\(step)")
                default:
                    Issue.record("unexpected probe line \(step)")
                }
            }
            // Consistency: counters match rows, every lease has its open attempt and nothing else is open.
            #expect(try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM jobs j
                WHERE done_shards != (SELECT COUNT(*) FROM shards s WHERE s.job_id = j.id AND s.state = 'done')
                   OR (state = 'done') != (done_shards = shard_count)
                """) == 0)
            #expect(try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM shards s WHERE attempts != (SELECT COALESCE(MAX(attempt), 0) FROM attempts a
                                                                 WHERE a.job_id = s.job_id AND a.shard_idx = s.idx)
                """) == 0)
            let open = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM attempts WHERE outcome IS NULL")
            let leased = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM shards s JOIN attempts a
                    ON a.job_id = s.job_id AND a.shard_idx = s.idx AND a.attempt = s.attempts
                WHERE s.state = 'leased' AND a.outcome IS NULL
                """)
            #expect(open == leased)
        }
        // The restarted coordinator resumes: outstanding leases expire and the work is leased again.
        let recovery = try store.recover(now: 10_000_000)
        #expect(try store.status().jobs.allSatisfy { $0.shardsLeased == 0 })
        // Each shard whose lease was outstanding at the kill is leased again with its next attempt.
        var expected = Dictionary(uniqueKeysWithValues: recovery.endedLeases.map { ($0.shard, $0.attempt + 1) })
        var leasesLeft = 100_000
        while !expected.isEmpty, leasesLeft > 0, let lease = try store.lease(to: "w9", now: 10_000_001) {
            leasesLeft -= 1
            if let attempt = expected.removeValue(forKey: lease.shard) { #expect(lease.attempt == attempt) }
        }
        #expect(expected.isEmpty, "not leased again: \(expected)")
    }
}
