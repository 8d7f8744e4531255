import MimeoWire

/// Fuzzes the cluster's message decoder (`FrameCodec.decode(frames:)`, docs/protocol/mwp-1.md).
///
/// The input is split into frames at every `FF 00` byte pair (`FrameCodec.fuzzDecode`), so the
/// committed seeds are the spec's example messages. Checks on every accepted message: it encodes back
/// to exactly the frames it was decoded from (the spec allows one encoding per message).
public enum WireHarness {
    public static func run(_ data: [UInt8]) -> FuzzOutcome {
        // fuzzDecode traps itself on a message that does not re-encode byte for byte.
        FrameCodec.fuzzDecode(data) == nil ? .rejected(WireRefusal()) : .accepted
    }
}

/// A frame list the decoder refused with a `WireError` (its only error type): the message a node drops
/// and counts.
public struct WireRefusal: Error, Sendable {}
