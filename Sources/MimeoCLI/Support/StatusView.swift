import Foundation
import MimeoWire

/// What `mimeo status` prints: a snapshot as tables (workers, then jobs) or as JSON.
enum StatusView {
    /// The snapshot as text: a header line, then the workers' and the jobs' tables.
    static func render(_ snapshot: StatusSnapshot, endpoint: String) -> String {
        var lines: [String] = []
        let running = snapshot.jobs.filter { $0.state == .running || $0.state == .queued }.count
        let time = Date(timeIntervalSince1970: Double(snapshot.time) / 1_000)
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        lines.append("coordinator \(endpoint)  \(snapshot.workers.count) worker\(snapshot.workers.count == 1 ? "" : "s")  "
                     + "\(running) job\(running == 1 ? "" : "s") active  \(formatter.string(from: time)) UTC")
        lines.append("")
        lines.append("WORKERS")
        if snapshot.workers.isEmpty {
            lines.append("  (none joined)")
        } else {
            var rows = [["ID", "NAME", "ADDRESS", "STATE", "HEARD", "THREADS", "SHARD", "ROWS/S", "SHARDS DONE"]]
            for worker in snapshot.workers {
                let shard = worker.leases.isEmpty ? "-"
                    : worker.leases.map { "\($0.job)/\($0.shard)#\($0.attempt)" }.joined(separator: ",")
                rows.append([String(worker.workerID), worker.name, worker.address.isEmpty ? "-" : worker.address,
                             "\(worker.state)", String(format: "%.1f s ago", Double(worker.lastHeardMilliseconds) / 1_000),
                             String(worker.threads), shard, Terminal.count(Int(clamping: worker.unitsPerSecond)),
                             String(worker.shardsDone)])
            }
            lines += table(rows)
        }
        lines.append("")
        lines.append("JOBS")
        if snapshot.jobs.isEmpty {
            lines.append("  (none)")
        } else {
            var rows = [["ID", "LABEL", "STATE", "PROGRESS", "ROWS", "RATE", "ETA", "SHARDS", "RETRIES", "FAILED"]]
            for job in snapshot.jobs {
                let fraction = job.unitsTotal == 0 ? 1 : Double(job.unitsDone) / Double(job.unitsTotal)
                let eta: String
                if job.state == .running, job.unitsPerSecond > 0 {
                    eta = Terminal.duration(Double(job.unitsTotal - min(job.unitsDone, job.unitsTotal)) / Double(job.unitsPerSecond))
                } else {
                    eta = job.state == .completed ? "done" : "-"
                }
                rows.append([String(job.job), job.label.isEmpty ? "-" : String(job.label.prefix(24)), "\(job.state)",
                             "\(Terminal.bar(fraction, width: 20)) \(String(format: "%3.0f", fraction * 100))%",
                             "\(Terminal.count(Int(clamping: job.unitsDone)))/\(Terminal.count(Int(clamping: job.unitsTotal)))",
                             "\(Terminal.count(Int(clamping: job.unitsPerSecond)))/s", eta,
                             "\(job.shardsDone)/\(job.shards) (\(job.shardsLeased) leased)", String(job.retries),
                             String(job.failedAttempts)])
            }
            lines += table(rows)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Left-aligned columns, two spaces apart, indented by two.
    private static func table(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            "  " + row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }

    /// The snapshot as a JSON object (one line).
    static func json(_ snapshot: StatusSnapshot, endpoint: String) throws -> String {
        let object: [String: Any] = [
            "coordinator": endpoint,
            "time_ms": snapshot.time,
            "workers": snapshot.workers.map { worker -> [String: Any] in
                [
                    "id": worker.workerID, "name": worker.name, "address": worker.address, "state": "\(worker.state)",
                    "last_heard_ms": worker.lastHeardMilliseconds, "threads": worker.threads, "slots": worker.slots,
                    "leases": worker.leases.map { ["job": $0.job, "shard": $0.shard, "attempt": $0.attempt] },
                    "rows_per_second": worker.unitsPerSecond, "shards_done": worker.shardsDone,
                ]
            },
            "jobs": snapshot.jobs.map { job -> [String: Any] in
                [
                    "id": job.job, "kind": job.kind.rawValue, "state": "\(job.state)", "label": job.label,
                    "shards": job.shards, "shards_done": job.shardsDone, "shards_leased": job.shardsLeased,
                    "rows": job.unitsTotal, "rows_done": job.unitsDone, "rows_per_second": job.unitsPerSecond,
                    "retries": job.retries, "failed_attempts": job.failedAttempts, "started_at_ms": job.startedAt,
                    "elapsed_ms": job.elapsedMilliseconds,
                ]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
