import MimeoWire

/// Fuzzes the cluster's message decoder (`FrameCodec.decode(frames:)`, docs/protocol/mwp-1.md) and the typed
/// payloads of job kind 2 the messages carry.
///
/// The input is split into frames at every `FF 00` byte pair (`FrameCodec.fuzzDecode`), so the
/// committed seeds are the spec's example messages and messages carrying its kind-2 payload examples. Checks on
/// every accepted message: it encodes back to exactly the frames it was decoded from (the spec allows one encoding
/// per message); and a kind-2 payload (SUBMIT, LEASE, RESULT) or TrainDetail body (JOB-DETAIL-REPLY) that its
/// decoder accepts encodes back to exactly its bytes.
public enum WireHarness {
    public static func run(_ data: [UInt8]) -> FuzzOutcome {
        // fuzzDecode traps itself on a message that does not re-encode byte for byte.
        guard let message = FrameCodec.fuzzDecode(data) else { return .rejected(WireRefusal()) }
        switch message {
        case let .submit(submit) where submit.kind == .train:
            checkCanonical(try? submit.work(as: TrainJob.self), submit.payload)
        case let .lease(lease) where lease.kind == .train:
            checkCanonical(try? lease.work(as: TrainTask.self), lease.payload)
        case let .result(result) where result.kind == .train:
            checkCanonical(try? result.work(as: TrainTaskResult.self), result.payload)
        case let .jobDetailReply(reply) where reply.kind == .train:
            if let detail = try? reply.body(as: TrainDetail.self), detail.encoded() != reply.detail {
                fatalError("a TrainDetail body was accepted that does not re-encode byte for byte")
            }
        default:
            break
        }
        return .accepted
    }

    /// Traps when `payload` decoded to `value` but `value` encodes to other bytes.
    static func checkCanonical<P: JobPayload>(_ value: P?, _ payload: [UInt8]) {
        if let value, value.encoded() != payload {
            fatalError("a \(P.self) payload was accepted that does not re-encode byte for byte")
        }
    }
}

/// A frame list the decoder refused with a `WireError` (its only error type): the message a node drops
/// and counts.
public struct WireRefusal: Error, Sendable {}
