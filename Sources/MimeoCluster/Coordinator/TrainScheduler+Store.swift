import MimeoWire

/// The bridge between `TrainScheduler` and the stored train state: checkpoints in and out, and a scheduler resumed
/// after a restart. Checkpointed weights are the model's parameters as IEEE-754 binary32, big-endian (the layout of
/// an update, spec: Job kind 2).
extension TrainScheduler.RoundCheckpoint {
    /// The row `StoreTransaction.checkpoint` stores for this round.
    public func stored(job: JobID, participants: [String], now: UInt64) -> TrainCheckpoint {
        TrainCheckpoint(job: job, round: round, weights: TrainScheduler.storedWeights(weights), trainLoss: trainLoss,
                        validationLoss: validationLoss, siteLosses: siteLosses, epsilon: epsilon,
                        participants: participants, createdAt: now)
    }
}

extension TrainScheduler {
    /// Weights as stored in `train_rounds.weights`.
    public static func storedWeights(_ weights: [Float]) -> [UInt8] {
        guard case let .inline(bytes) = TrainUpdate.binary32(weights).body else { return [] }
        return bytes
    }

    /// Weights read back from `train_rounds.weights`.
    /// - Throws: `StoreError.corrupt` for a length that is not a positive multiple of 4.
    public static func weights(stored bytes: [UInt8]) throws -> [Float] {
        guard !bytes.isEmpty, bytes.count % 4 == 0 else {
            throw StoreError.corrupt("checkpointed weights of \(bytes.count) bytes are not binary32 values")
        }
        return TrainUpdate.words(of: bytes).map(Float.init(bitPattern:))
    }

    /// A scheduler for `job` that carries on from its last checkpoint after a restart: round r checkpointed gives
    /// round r + 1 from r's weights, with the best round (its weights and the loss that chose it) and the patience
    /// left as stored. The interrupted round's outstanding tasks are voided (answers to the previous process's
    /// leases are stale) and the round runs again from its first attempt with the sites that join; results its
    /// sites gave before the restart are not reused. Nil when the job has no checkpoint (round 0's weights are
    /// stored before the first round). Call it in a write transaction.
    public static func resume(_ job: JobID, configuration: Configuration, in tx: StoreTransaction,
                              now: UInt64) throws -> TrainScheduler? {
        guard let record = try tx.trainJob(job), let last = try tx.lastCheckpoint(job: job) else { return nil }
        try tx.voidTrainTasks(job: job, round: last.round + 1)
        var best: (round: UInt32, loss: Double, weights: [Float])?
        // The validation loss measured in round b + 1 chose checkpoint b.
        if let round = record.bestRound, let chosen = try tx.checkpoint(job: job, round: round),
           let loss = try tx.checkpoint(job: job, round: round + 1)?.validationLoss {
            best = (round, loss, try weights(stored: chosen.weights))
        }
        return try TrainScheduler(configuration: configuration, weights: try weights(stored: last.weights),
                                  firstRound: last.round + 1, best: best, patienceLeft: record.patienceLeft, now: now)
    }
}
