/// Why a message could not be decoded. The receiver drops the message and counts it; nothing traps.
///
/// `code` gives the error code an ERROR reply carries (spec: Error codes).
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message has fewer than two frames, more than four, or not the number its command needs.
    case frameCount(command: String?, expected: Int?, actual: Int)
    /// Frame 1 does not start with "MWP" and two ASCII digits.
    case notMWP
    /// Frame 1 is "MWP" with another major version.
    case unsupportedVersion(major: Int)
    /// Frame 2 is not one byte.
    case badCommandFrame(length: Int)
    /// Frame 2 names no command of this version.
    case unknownCommand(UInt8)
    /// A frame is larger than its limit.
    case frameTooLarge(frame: Int, size: Int, limit: Int)
    /// A field runs past the end of its frame.
    case truncated(field: String)
    /// Bytes are left in a frame after its last field.
    case trailingBytes(frame: Int, count: Int)
    /// A length or count is above its limit.
    case limitExceeded(field: String, value: Int, limit: Int)
    /// A string is not valid UTF-8.
    case invalidUTF8(field: String)
    /// A field has a value the spec does not allow.
    case invalidValue(field: String, reason: String)
    /// A job payload of a kind or payload version this peer does not know.
    case unsupportedPayload(kind: UInt16, version: UInt16)

    /// The code of the ERROR reply a receiver may send for this error.
    public var code: ErrorCode {
        switch self {
        case .unsupportedVersion: .unsupportedVersion
        case .unknownCommand: .unknownCommand
        case .frameTooLarge, .limitExceeded: .tooLarge
        case .unsupportedPayload: .unsupportedKind
        case .frameCount, .notMWP, .badCommandFrame, .truncated, .trailingBytes, .invalidUTF8, .invalidValue:
            .malformed
        }
    }

    public var description: String {
        switch self {
        case let .frameCount(command, expected, actual):
            let name = command.map { "\($0): " } ?? ""
            if let expected { return "\(name)expected \(expected) frames, got \(actual)" }
            return "\(name)a message has 2 to \(ProtocolVersion.maxFrames) frames, got \(actual)"
        case .notMWP: return "frame 1 is not an MWP header (\"MWP\" and two digits)"
        case let .unsupportedVersion(major): return "peer speaks MWP major version \(major), this node speaks \(ProtocolVersion.major)"
        case let .badCommandFrame(length): return "frame 2 must be one byte, got \(length)"
        case let .unknownCommand(byte): return "unknown command 0x\(String(byte, radix: 16, uppercase: true))"
        case let .frameTooLarge(frame, size, limit): return "frame \(frame) has \(size) bytes, the limit is \(limit)"
        case let .truncated(field): return "\(field): truncated"
        case let .trailingBytes(frame, count): return "frame \(frame) has \(count) bytes after its last field"
        case let .limitExceeded(field, value, limit): return "\(field): \(value) is above the limit \(limit)"
        case let .invalidUTF8(field): return "\(field): not valid UTF-8"
        case let .invalidValue(field, reason): return "\(field): \(reason)"
        case let .unsupportedPayload(kind, version): return "job kind \(kind) payload version \(version) is not supported"
        }
    }
}

/// The error codes of ERROR, FAIL and DONE (spec: Error codes).
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 0: no error (DONE of a completed job).
    public static let none = ErrorCode(rawValue: 0)
    /// 400: the message could not be decoded.
    public static let malformed = ErrorCode(rawValue: 400)
    /// 401: the peer's major version is not supported; the peer is dropped.
    public static let unsupportedVersion = ErrorCode(rawValue: 401)
    /// 402: the command is unknown.
    public static let unknownCommand = ErrorCode(rawValue: 402)
    /// 403: the command is not allowed from this peer's role or in its state.
    public static let unexpectedCommand = ErrorCode(rawValue: 403)
    /// 404: the job named does not exist.
    public static let unknownJob = ErrorCode(rawValue: 404)
    /// 405: the peer has not joined (send READY first).
    public static let notJoined = ErrorCode(rawValue: 405)
    /// 409: the attempt is stale (a duplicate or late result).
    public static let staleAttempt = ErrorCode(rawValue: 409)
    /// 413: a frame, string or list is above its limit.
    public static let tooLarge = ErrorCode(rawValue: 413)
    /// 415: the job kind or payload version is not supported.
    public static let unsupportedKind = ErrorCode(rawValue: 415)
    /// 422: the job is invalid (for example zero rows, an unknown `--where` column).
    public static let invalidJob = ErrorCode(rawValue: 422)
    /// 424: the model with this content hash is not available, or its bytes do not match the hash.
    public static let modelUnavailable = ErrorCode(rawValue: 424)
    /// 429: the node is busy; try again later.
    public static let busy = ErrorCode(rawValue: 429)
    /// 499: the job or lease was cancelled.
    public static let cancelled = ErrorCode(rawValue: 499)
    /// 500: an internal error.
    public static let internalError = ErrorCode(rawValue: 500)
    /// 503: the node is shutting down.
    public static let shuttingDown = ErrorCode(rawValue: 503)
    /// 507: the output could not be written (disk full, permission, I/O error).
    public static let outputFailed = ErrorCode(rawValue: 507)

    public var description: String { String(rawValue) }
}
