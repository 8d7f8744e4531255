/// The commands of 1/MWP: frame 2 of every message (spec: Commands).
///
/// Each case names the spec section that defines it and the frames it has.
public enum WireCommand: UInt8, CaseIterable, Sendable {
    /// Spec "READY": a worker joins (worker → coordinator). 3 frames.
    case ready = 0x01
    /// Spec "WELCOME": the coordinator accepts a worker and gives its timing (coordinator → worker). 3 frames.
    case welcome = 0x02
    /// Spec "HEARTBEAT": liveness, both ways between coordinator and worker. 2 frames.
    case heartbeat = 0x03
    /// Spec "ASK": a worker has free slots and asks for work (worker → coordinator). 3 frames.
    case ask = 0x04
    /// Spec "LEASE": one shard of a job, leased to a worker for one attempt (coordinator → worker). 4 frames.
    case lease = 0x05
    /// Spec "PROGRESS": work done on a lease so far; renews the lease (worker → coordinator). 3 frames.
    case progress = 0x06
    /// Spec "RESULT": a shard finished (worker → coordinator). 4 frames.
    case result = 0x07
    /// Spec "FAIL": a shard attempt failed (worker → coordinator). 3 frames.
    case fail = 0x08
    /// Spec "CANCEL": cancel a job (client → coordinator, coordinator → worker). 3 frames.
    case cancel = 0x09
    /// Spec "MODEL-GET": ask for a range of a model's bytes by content hash (worker or coordinator). 3 frames.
    case modelGet = 0x0A
    /// Spec "MODEL-CHUNK": a range of a model's bytes (the answer to MODEL-GET). 4 frames.
    case modelChunk = 0x0B
    /// Spec "SUBMIT": a client submits a job (client → coordinator). 4 frames.
    case submit = 0x0C
    /// Spec "ACCEPTED": the coordinator has stored a submitted job (coordinator → client). 3 frames.
    case accepted = 0x0D
    /// Spec "STATUS": a client asks for a snapshot of workers and jobs (client → coordinator). 3 frames.
    case status = 0x0E
    /// Spec "STATUS-REPLY": the snapshot (coordinator → client). 3 frames.
    case statusReply = 0x0F
    /// Spec "DONE": a job ended (coordinator → client). 3 frames.
    case done = 0x10
    /// Spec "ERROR": a request was refused, or the peer is being dropped (any direction). 3 frames.
    case error = 0x11
    /// Spec "DISCONNECT": the sender is leaving, or tells the peer to rejoin (any direction). 2 frames.
    case disconnect = 0x12
    /// Spec "JOB-DETAIL": a client asks for a job's kind-specific detail (client → coordinator). 3 frames.
    /// Minor version 1.
    case jobDetail = 0x13
    /// Spec "JOB-DETAIL-REPLY": the detail (coordinator → client). 3 frames. Minor version 1.
    case jobDetailReply = 0x14

    /// The command's name in the spec.
    public var name: String {
        switch self {
        case .ready: "READY"
        case .welcome: "WELCOME"
        case .heartbeat: "HEARTBEAT"
        case .ask: "ASK"
        case .lease: "LEASE"
        case .progress: "PROGRESS"
        case .result: "RESULT"
        case .fail: "FAIL"
        case .cancel: "CANCEL"
        case .modelGet: "MODEL-GET"
        case .modelChunk: "MODEL-CHUNK"
        case .submit: "SUBMIT"
        case .accepted: "ACCEPTED"
        case .status: "STATUS"
        case .statusReply: "STATUS-REPLY"
        case .done: "DONE"
        case .error: "ERROR"
        case .disconnect: "DISCONNECT"
        case .jobDetail: "JOB-DETAIL"
        case .jobDetailReply: "JOB-DETAIL-REPLY"
        }
    }

    /// The minor version that added this command; a peer MUST NOT send it to a peer of a lower minor version.
    public var minor: UInt16 {
        switch self {
        case .jobDetail, .jobDetailReply: 1
        default: 0
        }
    }

    /// How many frames a message with this command has.
    public var frameCount: Int {
        switch self {
        case .heartbeat, .disconnect: 2
        case .lease, .result, .modelChunk, .submit: 4
        default: 3
        }
    }
}
