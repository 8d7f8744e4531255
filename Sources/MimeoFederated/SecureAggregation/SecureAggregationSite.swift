import Crypto
import Foundation

/// A site's end of secure aggregation for one attempt: its X25519 key pair, its advertisement, and the
/// masking of its update once the coordinator has relayed everyone's keys.
///
/// Site i's masked vector is `quantise(values) ‖ exampleCount + Σ_{j>i} m_ij − Σ_{j<i} m_ij (mod 2³²)`
/// over the other sites j of the bundle (ordered by `siteIDPrecedes`), with m_ij = m_ji the pairwise
/// mask (`PairwiseMask`); summed over every site of the bundle the masks cancel.
public struct SecureAggregationSite: Sendable {
    /// This site's id.
    public let siteID: String
    /// The attempt this key pair is for.
    public let context: SecureAggregationContext
    /// The private key's 32 bytes (kept as bytes: swift-crypto's key type is not `Sendable`).
    private let privateKeyBytes: Data
    private var privateKey: Curve25519.KeyAgreement.PrivateKey {
        // The bytes came from a valid key: this cannot throw.
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: privateKeyBytes)
    }

    /// A site with a fresh key pair (from the system's CSPRNG), or with `privateKey` (tests, or a key
    /// the worker keeps for the job).
    public init(siteID: String, context: SecureAggregationContext,
                privateKey: Curve25519.KeyAgreement.PrivateKey = .init()) throws {
        guard WireValidation.isValidIdentifier(siteID) else { throw SecureAggregationError.invalidIdentifier(siteID) }
        self.siteID = siteID
        self.context = context
        self.privateKeyBytes = privateKey.rawRepresentation
    }

    /// The advertisement to send to the coordinator.
    public var advertisement: KeyAdvertisement {
        // The key is 32 bytes and the id was validated: this cannot throw.
        try! KeyAdvertisement(context: context, siteID: siteID, publicKey: privateKey.publicKey.rawRepresentation)
    }

    /// The masked update for `values` (length `vectorLength`, finite; clipped to ±B) and `exampleCount`
    /// (0…`maximumExampleCount`), after checking the bundle: the same context, well formed, this site
    /// in it with its own key, at least `minimumSites` sites.
    public func maskedUpdate(values: [Double], exampleCount: Int, bundle: KeyBundle) throws -> MaskedUpdate {
        try bundle.validate()
        guard bundle.context == context else { throw SecureAggregationError.contextMismatch }
        guard let own = bundle.advertisements.first(where: { $0.siteID == siteID }) else {
            throw SecureAggregationError.siteNotInBundle(siteID)
        }
        guard own.publicKey == privateKey.publicKey.rawRepresentation else {
            throw SecureAggregationError.publicKeyMismatch(site: siteID)
        }
        let parameters = bundle.parameters
        var words = try parameters.unmaskedWords(values: values, exampleCount: exampleCount)
        let privateKey = self.privateKey
        for peer in bundle.advertisements where peer.siteID != siteID {
            let seed = try PairwiseMask.seed(privateKey: privateKey, peerPublicKey: peer.publicKey, context: context,
                                             ownSite: siteID, peerSite: peer.siteID)
            let mask = try PairwiseMask.expand(seed: seed, wordCount: parameters.wordCount)
            if siteIDPrecedes(siteID, peer.siteID) {
                for i in words.indices { words[i] &+= mask[i] }
            } else {
                for i in words.indices { words[i] &-= mask[i] }
            }
        }
        return MaskedUpdate(context: context, siteID: siteID, words: words)
    }
}
