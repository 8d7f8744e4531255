/// The constants of 1/MWP, the Mimeo Worker Protocol, in one place (as `mdp.h` is for 7/MDP).
///
/// Every number here is written in `docs/protocol/mwp-1.md`; the spec is normative and this file follows it.
public enum ProtocolVersion {
    /// The first frame of every message: "MWP" and the major version as two ASCII digits (spec: Framing).
    public static let header: [UInt8] = Array("MWP01".utf8)
    /// The three bytes every MWP header starts with, whatever its version.
    public static let headerPrefix: [UInt8] = Array("MWP".utf8)
    /// The major version this codec speaks. A peer of another major version is refused (spec: Versioning).
    public static let major: Int = 1
    /// The minor version this codec speaks; sent in READY and WELCOME (spec: Versioning). Minor version 1 added
    /// JOB-DETAIL and JOB-DETAIL-REPLY and job kind 2.
    public static let minor: UInt16 = 1

    // MARK: Heartbeating (spec: Heartbeating), the numbers of zguide's ppworker.c.

    /// Milliseconds between heartbeats, in both directions.
    public static let heartbeatIntervalMilliseconds: UInt32 = 1_000
    /// Missed heartbeat intervals after which a peer is considered dead.
    public static let heartbeatLiveness: UInt16 = 3
    /// First reconnect delay of a worker that lost its coordinator.
    public static let reconnectInitialMilliseconds: UInt32 = 1_000
    /// Largest reconnect delay; the delay doubles up to this value.
    public static let reconnectMaximumMilliseconds: UInt32 = 32_000

    // MARK: Leases (spec: Leases and reliability).

    /// Default lease timeout: a lease not renewed by PROGRESS within this time expires.
    public static let leaseTimeoutMilliseconds: UInt32 = 30_000
    /// Default number of attempts per shard before the job fails.
    public static let maxAttempts: UInt16 = 5

    // MARK: Limits (spec: Limits).

    /// Largest frame 3 (the body of a command).
    public static let maxBodyBytes = 1 << 20
    /// Largest frame 4 (the bulk frame: job payloads, result payloads, model chunks).
    public static let maxBulkBytes = 16 << 20
    /// Largest string, in UTF-8 bytes.
    public static let maxStringBytes = 4_096
    /// Most elements in one list.
    public static let maxListCount = 65_536
    /// Most entries in one map.
    public static let maxMapCount = 1_024
    /// Largest model chunk a worker may ask for in MODEL-GET.
    public static let maxChunkBytes: UInt32 = 4 << 20
    /// The model chunk size a coordinator offers in WELCOME by default.
    public static let defaultChunkBytes: UInt32 = 1 << 20
    /// Most frames in one message (header, command, body, bulk).
    public static let maxFrames = 4
}
