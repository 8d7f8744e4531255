import Foundation
import MimeoWire
import MimeoZMQ
import Synchronization

/// A flag another thread (a signal handler's queue, a test) sets to ask a node's loop to stop.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Asks the loop to stop; it notices within one poll slice.
    public func stop() { flag.store(true, ordering: .releasing) }

    /// Whether `stop()` has been called.
    public var isStopped: Bool { flag.load(ordering: .acquiring) }
}

/// Milliseconds since the Unix epoch: the clock the coordinator stores and the protocol reports.
public func wallClockMilliseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec) / 1_000_000
}

/// Milliseconds on a monotonic clock, for timers that must not jump with the wall clock.
func monotonicMilliseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec) / 1_000_000
}

/// CURVE settings of a coordinator: its key pair and the client public keys it admits.
public struct CurveServerKeys: Sendable {
    public var keyPair: ZMQCurveKeyPair
    public var allowList: [ZMQCurveKey]

    public init(keyPair: ZMQCurveKeyPair, allowList: [ZMQCurveKey]) {
        self.keyPair = keyPair
        self.allowList = allowList
    }

    /// Reads an allow-list: a file of Z85 public keys, one per line (a line starting with `#` is a comment; `#`
    /// is also a Z85 character, so there are no comments after a key), or a folder whose `*.pub`
    /// files each hold one.
    public static func readAllowList(_ path: String) throws -> [ZMQCurveKey] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ClusterError("\(path): no such allow-list file or folder")
        }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".pub") }.sorted()
            return try names.map { try ZMQCurveKey.read(publicKeyFile: (path as NSString).appendingPathComponent($0)) }
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ClusterError("\(path): cannot read the allow-list (\(error.localizedDescription))")
        }
        var keys: [ZMQCurveKey] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            // '#' is a Z85 character, but never the first of a key (a group's first digit is at most 82 of 84),
            // so a line starting with it is a comment, and there are no comments after a key.
            if line.hasPrefix("#") { continue }
            do {
                keys.append(try ZMQCurveKey(z85: line))
            } catch {
                throw ClusterError("\(path):\(number + 1): expected a CURVE public key (40 Z85 characters), got \(line.count) characters")
            }
        }
        return keys
    }
}

/// CURVE settings of a worker or client: its key pair and the coordinator's public key.
public struct CurveClientKeys: Sendable {
    public var keyPair: ZMQCurveKeyPair
    public var serverKey: ZMQCurveKey

    public init(keyPair: ZMQCurveKeyPair, serverKey: ZMQCurveKey) {
        self.keyPair = keyPair
        self.serverKey = serverKey
    }
}

/// An error of a cluster node, with a message for the user.
public struct ClusterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ZMQSocket {
    /// Receives one whole message without waiting, or nil when none is queued. Frames past `maxFrames` are read
    /// and dropped, and the message is then reported with `maxFrames + 1` frames so that the codec refuses it.
    func receiveMessage(maxFrames: Int) throws -> (frames: [[UInt8]], peerAddress: String?)? {
        guard let first = try receiveFrameWithPeerAddress(dontWait: true) else { return nil }
        var frames = [first.bytes]
        // A ROUTER makes the identity frame itself, so the peer's address comes with the frames after it.
        var address = first.peerAddress
        var more = first.more
        while more {
            guard let next = try receiveFrameWithPeerAddress(dontWait: false) else { break }
            more = next.more
            if address == nil { address = next.peerAddress }
            if frames.count <= maxFrames { frames.append(next.bytes) }
        }
        return (frames, address)
    }

    /// Sends frames without waiting; false when the peer's queue is full or the peer is gone.
    @discardableResult
    func sendWithoutWaiting(_ frames: [[UInt8]]) -> Bool {
        (try? send(ZMQMessage(frames), timeout: .zero)) ?? false
    }
}
