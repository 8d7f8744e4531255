extension FrameCodec {
    /// Decodes arbitrary bytes as a frame list, for fuzzers: the bytes are split into frames at every
    /// `0xFF 0x00` pair (the pair itself dropped), at most 8 frames, so a fuzzer reaches every command and every
    /// frame-count error. Every message that decodes must encode back to the same frames; a difference traps, so
    /// libFuzzer reports it.
    ///
    /// - Returns: the decoded message, or nil when decoding threw (the normal fate of random bytes).
    @discardableResult
    public static func fuzzDecode(_ bytes: [UInt8]) -> WireMessage? {
        var frames: [[UInt8]] = [[]]
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0xFF, index + 1 < bytes.count, bytes[index + 1] == 0x00, frames.count < 8 {
                frames.append([])
                index += 2
            } else {
                frames[frames.count - 1].append(bytes[index])
                index += 1
            }
        }
        guard let message = try? decode(frames: frames) else { return nil }
        precondition(encode(message) == frames, "decode accepted a frame list that does not re-encode byte for byte")
        return message
    }
}

/// The fuzzing entry point as a free function, `MimeoWire.fuzzDecode(bytes)`, for a libFuzzer harness's
/// `LLVMFuzzerTestOneInput`; see `FrameCodec.fuzzDecode(_:)`.
@discardableResult
public func fuzzDecode(_ bytes: [UInt8]) -> WireMessage? {
    FrameCodec.fuzzDecode(bytes)
}
