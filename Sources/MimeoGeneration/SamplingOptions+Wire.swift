import MimeoTabular
import MimeoWire

extension SamplingOptions {
    /// The options a kind-1 payload carries (an out-of-range rare-values code, which the codec refuses, reads as
    /// the default).
    public init(wire: WireSampling) {
        let policy: RareValuePolicy = switch wire.rareValues {
        case 1: .token
        case 2: .null
        default: .sample
        }
        self.init(rareValues: policy, temperature: wire.temperature,
                  rebalance: wire.rebalance.map { RebalanceTarget(column: $0.column, value: $0.value, share: $0.share) },
                  edgeCasePool: Int(wire.edgeCasePool))
    }

    /// These options as a kind-1 payload carries them.
    public var wire: WireSampling {
        let code: UInt8 = switch rareValues {
        case .sample: 0
        case .token: 1
        case .null: 2
        }
        return WireSampling(rareValues: code, temperature: temperature,
                            rebalance: rebalance.map { WireRebalance(column: $0.column, value: $0.value, share: $0.share) },
                            edgeCasePool: UInt16(clamping: edgeCasePool))
    }
}
