import Foundation
import MimeoData
import MimeoEval
import MimeoGeneration
import MimeoTabular
import MimeoWire
import Synchronization

/// How one attempt's thread ended.
enum AttemptOutcome: Sendable {
    /// The part is in place; send RESULT.
    case finished(GenerateResult)
    /// A train task's result; send RESULT.
    case trained(TrainTaskResult)
    /// Send FAIL.
    case failed(ErrorCode, retryable: Bool, message: String)
    /// Stopped by its `AttemptControl`; the temporary file is gone.
    case cancelled
}

/// What an attempt's thread tells the loop thread.
enum MailboxEvent: Sendable {
    /// Rows written so far.
    case progress(AttemptID, rows: UInt64)
    case ended(AttemptID, AttemptOutcome)
}

/// The only state attempt threads share with the loop thread: events queued under a lock, drained by the loop.
final class WorkerMailbox: Sendable {
    private let events = Mutex<[MailboxEvent]>([])

    func post(_ event: MailboxEvent) {
        events.withLock { $0.append(event) }
    }

    /// Takes every event posted so far, in order.
    func drain() -> [MailboxEvent] {
        events.withLock { events in
            defer { events.removeAll(keepingCapacity: true) }
            return events
        }
    }
}

/// A flag the loop thread sets to stop an attempt; the attempt's write closure checks it before every batch.
final class AttemptControl: Sendable {
    private let flag = Atomic<Bool>(false)

    func cancel() { flag.store(true, ordering: .releasing) }

    var isCancelled: Bool { flag.load(ordering: .acquiring) }
}

/// Where a lease's part file goes on this worker (spec: Security): a path with a ".." component, or one that
/// resolves outside the output root, is refused. A relative path resolves against the working directory.
enum PartPath {
    /// The absolute path of `output`, or nil with the reason it is refused.
    static func resolve(_ output: String, root: String, workingDirectory: String) -> Result<String, WorkerError> {
        guard !output.isEmpty else { return .failure(WorkerError("the part path is empty")) }
        let given = output.split(separator: "/", omittingEmptySubsequences: false)
        if given.contains("..") {
            return .failure(WorkerError("the part path '\(output)' has a '..' component"))
        }
        guard let last = given.last, !last.isEmpty, last != "." else {
            return .failure(WorkerError("the part path '\(output)' names a folder, not a file"))
        }
        let base = output.hasPrefix("/") ? [] : components(workingDirectory)
        let resolved = base + components(output)
        let rootComponents = components(root)
        guard resolved.count > rootComponents.count, Array(resolved.prefix(rootComponents.count)) == rootComponents else {
            return .failure(WorkerError("the part path '\(output)' is outside the output root \(root)"))
        }
        return .success("/" + resolved.joined(separator: "/"))
    }

    /// Checks what the resolved part path names once symbolic links are followed: a regular file, or nothing yet,
    /// in a folder that is inside `root` (so a link cannot lead the part out of the root, nor onto a device or
    /// FIFO). Returns the file the part will replace.
    static func checkTarget(_ path: String, root: String) -> Result<String, WorkerError> {
        let target: OutputTarget
        do {
            target = try OutputTarget(path: path)
        } catch {
            return .failure(WorkerError("\(error)"))
        }
        guard case let .file(resolved) = target else {
            return .failure(WorkerError("the part path '\(path)' names a device, FIFO, socket or descriptor, not a file"))
        }
        let folder = (resolved as NSString).deletingLastPathComponent
        guard let realFolder = realPath(folder) else {
            return .failure(WorkerError("the part's folder \(folder) cannot be resolved"))
        }
        let realRoot = realPath(root) ?? root
        guard realRoot == "/" || realFolder == realRoot || realFolder.hasPrefix(realRoot + "/") else {
            return .failure(WorkerError("the part path '\(path)' leads outside the output root \(root) through a symbolic link"))
        }
        return .success(resolved)
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The non-empty components of `path` other than ".".
    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    /// `root` as an absolute path without "." or ".." components (relative roots resolve against `workingDirectory`).
    static func normalizedRoot(_ root: String, workingDirectory: String) -> String {
        let absolute = root.hasPrefix("/") ? root : workingDirectory + "/" + root
        return URL(fileURLWithPath: absolute).standardized.path
    }
}

/// Loaded samplers by (model, conditions, delimiter), most recently used last, so consecutive leases of a job
/// do not read the model file again. Shared by a worker's attempt threads.
final class SamplerCache: Sendable {
    struct Key: Hashable, Sendable {
        var model: ContentHash
        var conditions: [WireCondition]
        var delimiter: UInt8
        var sampling: WireSampling
    }

    private let capacity: Int
    private let entries = Mutex<[(key: Key, sampler: Sampler)]>([])
    private let loadCount = Atomic<Int>(0)

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Models read from disk so far.
    var loads: Int { loadCount.load(ordering: .relaxed) }

    /// The sampler for `key`, reading the model file at `modelPath` if it is not loaded.
    ///
    /// - Throws: `ModelFileError` when the model cannot be read, `ConditionError` when the conditions do not fit it.
    func sampler(for key: Key, modelPath: String) throws -> Sampler {
        let cached = entries.withLock { entries -> Sampler? in
            guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
            let entry = entries.remove(at: index)
            entries.append(entry)
            return entry.sampler
        }
        if let cached { return cached }
        loadCount.add(1, ordering: .relaxed)
        let trained = try ModelFile.read(from: modelPath)
        let sampler = try Sampler(model: trained.model, encoder: trained.metadata.encoder,
                                  conditions: key.conditions.map { Condition(column: $0.column, value: $0.value) },
                                  delimiter: key.delimiter, options: SamplingOptions(wire: key.sampling))
        entries.withLock { entries in
            entries.removeAll { $0.key == key }
            entries.append((key, sampler))
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
        return sampler
    }
}

/// Fidelity evaluators by real table (a job's `--real`), most recently used last: the table is read and the
/// evaluator built once per job, not once per shard. Shared by a worker's attempt threads; one builds at a time.
final class EvaluatorCache: Sendable {
    /// What a shard needs of a prepared real table.
    struct Entry: Sendable {
        var evaluator: FidelityEvaluator
        /// The real schema's missing-value spellings, which `mimeo evaluate` reads the synthetic table with.
        var missingValues: [String]
    }

    private let capacity: Int
    private let entries = Mutex<[(table: ContentHash, entry: Entry)]>([])
    private let buildCount = Atomic<Int>(0)

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Evaluators built so far.
    var builds: Int { buildCount.load(ordering: .relaxed) }

    /// The evaluator of real table `table`, reading the file at `path` as `mimeo evaluate --real` does if it is
    /// not built yet.
    ///
    /// - Throws: what `EvaluationPipeline.prepareFidelity(realTableAt:)` throws.
    func entry(for table: ContentHash, path: String) throws -> Entry {
        try entries.withLock { entries throws -> Entry in
            if let index = entries.firstIndex(where: { $0.table == table }) {
                let cached = entries.remove(at: index)
                entries.append(cached)
                return cached.entry
            }
            buildCount.add(1, ordering: .relaxed)
            let prepared = try EvaluationPipeline.prepareFidelity(realTableAt: path)
            let entry = Entry(evaluator: prepared.evaluator, missingValues: prepared.schema.missingValues)
            entries.append((table, entry))
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
            return entry
        }
    }
}

/// The part files this process is writing, by absolute path. Two attempts at one shard in one process (a lease
/// that expired here and went to another worker of the same process) would share the temporary file
/// `<part>.tmp-<pid>`; instead the newer attempt cancels the older and waits until it has let go.
enum PartClaims {
    private static let holders = Mutex<[String: AttemptControl]>([:])

    /// Claims `path` for `control`; returns the current holder when another attempt holds it.
    static func claim(_ path: String, for control: AttemptControl) -> AttemptControl? {
        holders.withLock { holders in
            if let holder = holders[path], holder !== control { return holder }
            holders[path] = control
            return nil
        }
    }

    static func release(_ path: String, by control: AttemptControl) {
        holders.withLock { holders in
            if holders[path] === control { holders[path] = nil }
        }
    }
}

/// A write to the part failed (as opposed to generation).
private struct OutputFailure: Error {
    var message: String
}

/// The attempt's control was set.
private struct AttemptCancelled: Error {}

/// One attempt at one shard, run on its own thread: loads (or reuses) the sampler, writes the part through a
/// temporary file while hashing it, renames it into place, and posts progress and the outcome to the mailbox.
struct ShardAttempt: Sendable {
    let id: AttemptID
    let shard: GenerateShard
    /// The verified model file in the cache.
    let modelPath: String
    /// The verified real table in the cache, for a lease that names one.
    let realTablePath: String?
    /// The part's absolute path, already checked against the output root.
    let partPath: String
    /// The output root (absolute, normalised), against which symbolic links in the part's path are checked.
    let outputRoot: String
    let threads: Int
    let computesStatistics: Bool
    let control: AttemptControl
    let mailbox: WorkerMailbox
    let samplers: SamplerCache
    let evaluators: EvaluatorCache

    /// Runs the attempt and posts its outcome.
    func run() {
        mailbox.post(.ended(id, outcome()))
    }

    private func outcome() -> AttemptOutcome {
        let started = ContinuousClock.now
        guard shard.batchRows == UInt32(Sampler.batchSize) else {
            return .failed(.unsupportedKind, retryable: true,
                           message: "the lease's batches hold \(shard.batchRows) rows; this worker's sampler draws \(Sampler.batchSize)")
        }
        let sampler: Sampler
        do {
            sampler = try samplers.sampler(
                for: SamplerCache.Key(model: shard.modelHash, conditions: shard.conditions, delimiter: shard.delimiter,
                                 sampling: shard.sampling),
                modelPath: modelPath)
        } catch let error as ConditionError {
            return .failed(.invalidJob, retryable: false, message: error.message)
        } catch {
            // A cached model that no longer matches its hash (removed or damaged since it was verified) is this
            // worker's problem: drop it so that the next lease fetches it again. A verified model that does not
            // read is the job's.
            guard let (hash, _) = try? ContentHash.sha256(file: modelPath), hash == shard.modelHash else {
                unlink(modelPath)
                return .failed(.modelUnavailable, retryable: true,
                               message: "the cached model \(shard.modelHash) is missing or damaged; removed from the cache")
            }
            return .failed(.invalidJob, retryable: false, message: "model \(shard.modelHash) cannot be read: \(error)")
        }
        var evaluation: EvaluatorCache.Entry?
        if let table = shard.realTable, let realTablePath {
            do {
                evaluation = try evaluators.entry(for: table.hash, path: realTablePath)
            } catch {
                // As for the model: a cached table that no longer matches its hash is this worker's problem; a
                // verified table that `mimeo evaluate` would refuse is the job's.
                guard let (hash, _) = try? ContentHash.sha256(file: realTablePath), hash == table.hash else {
                    unlink(realTablePath)
                    return .failed(.modelUnavailable, retryable: true,
                                   message: "the cached real table \(table.hash) is missing or damaged; removed from the cache")
                }
                return .failed(.invalidJob, retryable: false, message: "the real table cannot be evaluated: \(error)")
            }
        }
        let generation: ShardGeneration
        do {
            generation = try ShardGeneration(sampler: sampler, payload: shard, threads: threads,
                                             evaluator: evaluation?.evaluator,
                                             missingValues: evaluation?.missingValues ?? Schema.defaultMissingValues,
                                             computesStatistics: computesStatistics)
        } catch {
            return .failed(.invalidJob, retryable: false, message: "\(error)")
        }

        while let holder = PartClaims.claim(partPath, for: control) {
            holder.cancel()
            if control.isCancelled { return .cancelled }
            Thread.sleep(forTimeInterval: 0.005)
        }
        defer { PartClaims.release(partPath, by: control) }
        if control.isCancelled { return .cancelled }

        let output: AtomicFileOutput
        do {
            let folder = (partPath as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            return .failed(.outputFailed, retryable: true, message: "\(partPath): \(Self.describe(error))")
        }
        let target: String
        switch PartPath.checkTarget(partPath, root: outputRoot) {
        case let .success(resolved): target = resolved
        case let .failure(error): return .failed(.invalidJob, retryable: false, message: error.description)
        }
        do {
            output = try AtomicFileOutput(path: partPath)
        } catch {
            return .failed(.outputFailed, retryable: true, message: "\(partPath): \(Self.describe(error))")
        }
        // The path is checked again as opened, in case it changed in between.
        guard output.target == .file(target) else {
            output.discard()
            return .failed(.invalidJob, retryable: false, message: "the part path '\(partPath)' changed while it was opened")
        }
        var hasher = ContentHasher()
        let part: PartResult
        do {
            let control = self.control, mailbox = self.mailbox, id = self.id
            part = try generation.run(write: { bytes in
                if control.isCancelled { throw AttemptCancelled() }
                do {
                    try output.write(bytes)
                } catch {
                    throw OutputFailure(message: Self.describe(error))
                }
                hasher.update(bytes)
            }, progress: { rows in
                mailbox.post(.progress(id, rows: UInt64(rows)))
            })
            if control.isCancelled { throw AttemptCancelled() }
            do {
                try output.commit()
            } catch {
                throw OutputFailure(message: Self.describe(error))
            }
        } catch is AttemptCancelled {
            output.discard()
            return .cancelled
        } catch let failure as OutputFailure {
            output.discard()
            return .failed(.outputFailed, retryable: true, message: failure.message)
        } catch {
            output.discard()
            return .failed(.internalError, retryable: true, message: "generation failed: \(Self.describe(error))")
        }

        var summaries: [UInt8]
        do {
            summaries = try PartSummaries(statistics: part.statistics, summary: part.summary).encoded()
            // Exact-count statistics grow with a continuous column's distinct values: past the cap they are left
            // out rather than bloat the RESULT and the coordinator's state (the job's merge then has none).
            if summaries.count > PartSummaries.maximumBytes {
                summaries = try PartSummaries(statistics: nil, summary: part.summary).encoded()
            }
            // A fidelity summary over the cap is left out too: the coordinator's `_fidelity.json` then names this
            // part as missing instead of reporting on fewer rows.
            if summaries.count > PartSummaries.maximumBytes {
                summaries = try PartSummaries(statistics: nil, summary: nil).encoded()
            }
        } catch {
            return .failed(.internalError, retryable: false, message: "the part's summaries cannot be encoded: \(error)")
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return .finished(GenerateResult(rows: UInt64(part.rows), bytes: UInt64(part.bytes), checksum: hasher.finalize(),
                                        elapsedMilliseconds: UInt64(max(0, milliseconds)),
                                        summaryVersion: PartSummaries.version, summaries: summaries))
    }

    private static func describe(_ error: any Error) -> String {
        "\(error)"
    }
}
