import Foundation

/// A multipart message: an ordered list of frames, delivered all together or not at all.
///
/// ```swift
/// let request = ZMQMessage(strings: ["MWP1", "READY"])
/// try dealer.send(request)
/// ```
///
/// Frames are copied into and out of libzmq. For large payloads send a ``ZMQBuffer`` with
/// `ZMQSocket.sendFrame(_:more:dontWait:)` (no copy) and read them with
/// ``ZMQSocket/receiveFrame(dontWait:_:)`` (no copy).
public struct ZMQMessage: Sendable, Hashable {
    /// The frames, first to last.
    public var frames: [[UInt8]]

    /// A message of the given frames.
    public init(_ frames: [[UInt8]]) {
        self.frames = frames
    }

    /// A message whose frames are the UTF-8 bytes of `strings`.
    public init(strings: [String]) {
        self.frames = strings.map { Array($0.utf8) }
    }

    /// A message whose frames are copies of `data`.
    public init(data: [Data]) {
        self.frames = data.map { Array($0) }
    }

    /// The number of frames.
    public var count: Int { frames.count }

    /// The frame at `index`.
    public subscript(index: Int) -> [UInt8] {
        get { frames[index] }
        set { frames[index] = newValue }
    }

    /// Frame `index` decoded as UTF-8 (invalid bytes become U+FFFD).
    public func string(at index: Int) -> String {
        String(decoding: frames[index], as: UTF8.self)
    }

    /// Frame `index` as `Data`.
    public func data(at index: Int) -> Data {
        Data(frames[index])
    }
}
