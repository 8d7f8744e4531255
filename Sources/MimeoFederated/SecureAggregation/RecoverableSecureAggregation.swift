import Crypto
import Foundation

// Secure aggregation that survives dropouts: the full double-masking protocol of Bonawitz et al.
// (CCS 2017, §4, honest-but-curious, without the signatures of the actively secure variant).
//
// 1. Keys: every site advertises two X25519 public keys, c (to encrypt shares) and s (to mask).
// 2. Shares: every site draws a self-mask seed b, splits b and its masking private key s_SK into
//    t-of-n Shamir shares (one per site of the bundle, itself included) and sends each other site its
//    two shares, encrypted under a key agreed from the c keys. U2 = the sites whose shares arrived.
// 3. Masked input: y_i = x_i + PRG(b_i) + Σ_{j∈U2, j>i} m_ij − Σ_{j∈U2, j<i} m_ij (mod 2³²).
//    U3 = the sites whose y arrived.
// 4. Unmasking: every surviving site sends, for each site of U3, its share of that site's b, and for
//    each site of U2 ∖ U3 (dropped), its share of that site's s_SK — never both for one site. With t
//    responses the coordinator rebuilds every b_i (i ∈ U3) and every dropped s_SK, removes the self masks
//    and the dropped sites' pairwise masks, and is left with Σ_{i∈U3} x_i.
// A site that was only slow (its y arrives after it was declared dropped) stays hidden: its self mask
// b is never revealed, because its shares of b were not asked for.

/// The two public keys of a site in the recoverable protocol.
public struct RecoverableKeyAdvertisement: Sendable, Equatable, Codable {
    /// The attempt.
    public var context: SecureAggregationContext
    /// The advertising site.
    public var siteID: String
    /// X25519 key for encrypting shares (32 bytes).
    public var encryptionKey: Data
    /// X25519 key for the pairwise masks (32 bytes).
    public var maskingKey: Data

    private enum CodingKeys: String, CodingKey { case context, siteID, encryptionKey, maskingKey }

    init(context: SecureAggregationContext, siteID: String, encryptionKey: Data, maskingKey: Data) {
        self.context = context
        self.siteID = siteID
        self.encryptionKey = encryptionKey
        self.maskingKey = maskingKey
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decode(SecureAggregationContext.self, forKey: .context)
        siteID = try WireValidation.identifier(container, .siteID)
        encryptionKey = try container.decode(Data.self, forKey: .encryptionKey)
        maskingKey = try container.decode(Data.self, forKey: .maskingKey)
        guard encryptionKey.count == 32, maskingKey.count == 32 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "32-byte keys"))
        }
    }
}

/// The coordinator's broadcast after key collection in the recoverable protocol.
public struct RecoverableKeyBundle: Sendable, Equatable, Codable {
    /// The attempt.
    public var context: SecureAggregationContext
    /// Quantisation and size parameters.
    public var parameters: SecureAggregationParameters
    /// t: the shares needed to rebuild a secret (and the fewest survivors that complete a round).
    public var threshold: Int
    /// The participants' keys, in `siteIDPrecedes` order; site k (from 0) holds the shares at x = k + 1.
    public var advertisements: [RecoverableKeyAdvertisement]

    /// The participating sites, in order.
    public var siteIDs: [String] { advertisements.map(\.siteID) }

    /// Checks: the parameters; between `minimumSites` and min(`maximumSites`, 255) sites, sorted and
    /// distinct, all for this context, no key used twice; `minimumSites` ≤ t ≤ number of sites, and
    /// t > half the sites (so no two disjoint groups could each rebuild a secret).
    public func validate() throws {
        try parameters.validate()
        let count = advertisements.count
        guard count >= parameters.minimumSites else { throw SecureAggregationError.tooFewSites(count, minimum: parameters.minimumSites) }
        let maximum = min(parameters.maximumSites, 255)
        guard count <= maximum else { throw SecureAggregationError.tooManySites(count, maximum: maximum) }
        guard threshold >= parameters.minimumSites, threshold <= count, 2 * threshold > count else {
            throw SecureAggregationError.invalidParameters("threshold \(threshold) for \(count) sites")
        }
        guard advertisements.allSatisfy({ $0.context == context }) else { throw SecureAggregationError.contextMismatch }
        for (a, b) in zip(advertisements, advertisements.dropFirst()) where !siteIDPrecedes(a.siteID, b.siteID) {
            throw SecureAggregationError.unsortedBundle
        }
        var keys = Set<Data>()
        for advertisement in advertisements {
            guard keys.insert(advertisement.encryptionKey).inserted, keys.insert(advertisement.maskingKey).inserted else {
                throw SecureAggregationError.duplicatePublicKey(site: advertisement.siteID)
            }
        }
    }

    private enum CodingKeys: String, CodingKey { case context, parameters, threshold, advertisements }

    init(context: SecureAggregationContext, parameters: SecureAggregationParameters, threshold: Int,
         advertisements: [RecoverableKeyAdvertisement]) throws {
        self.context = context
        self.parameters = parameters
        self.threshold = threshold
        self.advertisements = advertisements
        try validate()
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decode(SecureAggregationContext.self, forKey: .context)
        parameters = try container.decode(SecureAggregationParameters.self, forKey: .parameters)
        threshold = try container.decode(Int.self, forKey: .threshold)
        advertisements = try container.decode([RecoverableKeyAdvertisement].self, forKey: .advertisements)
        do { try validate() } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }
}

/// One site's two shares for another site, encrypted (ChaCha20-Poly1305) so that only the recipient
/// reads them; the coordinator relays it.
public struct EncryptedShare: Sendable, Equatable, Codable {
    /// The attempt.
    public var context: SecureAggregationContext
    /// The site whose secrets are shared.
    public var from: String
    /// The shareholder.
    public var to: String
    /// nonce ‖ ciphertext ‖ tag (ChaChaPoly's combined form) of the two 33-byte shares.
    public var sealed: Data

    private enum CodingKeys: String, CodingKey { case context, from, to, sealed }

    init(context: SecureAggregationContext, from: String, to: String, sealed: Data) {
        self.context = context
        self.from = from
        self.to = to
        self.sealed = sealed
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decode(SecureAggregationContext.self, forKey: .context)
        from = try WireValidation.identifier(container, .from)
        to = try WireValidation.identifier(container, .to)
        sealed = try container.decode(Data.self, forKey: .sealed)
        guard sealed.count == RecoverableSecureAggregationSite.sealedShareSize else {
            throw DecodingError.dataCorruptedError(
                forKey: .sealed, in: container, debugDescription: "\(RecoverableSecureAggregationSite.sealedShareSize) bytes")
        }
    }
}

/// The coordinator's request in step 4: who survived (send shares of their self-mask seeds) and who
/// dropped (send shares of their masking keys).
public struct UnmaskingRequest: Sendable, Equatable, Codable {
    /// The attempt.
    public var context: SecureAggregationContext
    /// U3: the sites whose masked vectors are in the sum.
    public var survivors: [String]
    /// U2 ∖ U3: the sites that shared their keys but sent no masked vector.
    public var dropped: [String]

    private enum CodingKeys: String, CodingKey { case context, survivors, dropped }

    /// Decodes and checks: valid, distinct ids, at most 255 in all.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decode(SecureAggregationContext.self, forKey: .context)
        survivors = try container.decode([String].self, forKey: .survivors)
        dropped = try container.decode([String].self, forKey: .dropped)
        let all = survivors + dropped
        guard all.count <= 255, Set(all).count == all.count, all.allSatisfy(WireValidation.isValidIdentifier) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "at most 255 distinct valid site ids"))
        }
    }

    init(context: SecureAggregationContext, survivors: [String], dropped: [String]) {
        self.context = context
        self.survivors = survivors
        self.dropped = dropped
    }
}

/// A surviving site's answer in step 4: one share per site asked about (x ‖ 32 bytes, owner → share).
public struct UnmaskingResponse: Sendable, Equatable, Codable {
    /// The attempt.
    public var context: SecureAggregationContext
    /// The answering site.
    public var siteID: String
    /// Shares of the survivors' self-mask seeds.
    public var selfMaskShares: [String: Data]
    /// Shares of the dropped sites' masking private keys.
    public var maskingKeyShares: [String: Data]

    private enum CodingKeys: String, CodingKey { case context, siteID, selfMaskShares, maskingKeyShares }

    /// Decodes and checks: valid ids, at most 255 shares, each 33 bytes (x ≠ 0 and 32 bytes).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decode(SecureAggregationContext.self, forKey: .context)
        siteID = try WireValidation.identifier(container, .siteID)
        selfMaskShares = try container.decode([String: Data].self, forKey: .selfMaskShares)
        maskingKeyShares = try container.decode([String: Data].self, forKey: .maskingKeyShares)
        let entries = Array(selfMaskShares) + Array(maskingKeyShares)
        guard entries.count <= 255,
              entries.allSatisfy({ WireValidation.isValidIdentifier($0.key) && $0.value.count == 33 && $0.value.first != 0 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "at most 255 shares of 33 bytes"))
        }
    }

    init(context: SecureAggregationContext, siteID: String, selfMaskShares: [String: Data], maskingKeyShares: [String: Data]) {
        self.context = context
        self.siteID = siteID
        self.selfMaskShares = selfMaskShares
        self.maskingKeyShares = maskingKeyShares
    }
}

/// A site's end of the recoverable protocol (steps 1–4 above).
public struct RecoverableSecureAggregationSite: Sendable {
    /// The size of an `EncryptedShare`'s sealed box: 12 (nonce) + 2 × 33 (shares) + 16 (tag).
    public static let sealedShareSize = 12 + 66 + 16

    /// This site.
    public let siteID: String
    /// The attempt.
    public let context: SecureAggregationContext
    private let encryptionKeyBytes: Data
    private let maskingKeyBytes: Data
    private let selfMaskSeed: Data
    private var bundle: RecoverableKeyBundle?
    /// The shares this site holds, by owner: (share of the owner's b, share of the owner's s_SK).
    private var heldShares: [String: (selfMask: Data, maskingKey: Data)] = [:]
    private var answered = false

    /// A site with fresh keys and self-mask seed from the system CSPRNG, or given ones (tests).
    public init(siteID: String, context: SecureAggregationContext,
                encryptionKey: Curve25519.KeyAgreement.PrivateKey = .init(),
                maskingKey: Curve25519.KeyAgreement.PrivateKey = .init(),
                selfMaskSeed: Data = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }) throws {
        guard WireValidation.isValidIdentifier(siteID) else { throw SecureAggregationError.invalidIdentifier(siteID) }
        guard selfMaskSeed.count == 32 else { throw SecureAggregationError.invalidParameters("a 32-byte self-mask seed") }
        self.siteID = siteID
        self.context = context
        self.encryptionKeyBytes = encryptionKey.rawRepresentation
        self.maskingKeyBytes = maskingKey.rawRepresentation
        self.selfMaskSeed = selfMaskSeed
    }

    private var encryptionKey: Curve25519.KeyAgreement.PrivateKey { try! .init(rawRepresentation: encryptionKeyBytes) }
    private var maskingKey: Curve25519.KeyAgreement.PrivateKey { try! .init(rawRepresentation: maskingKeyBytes) }

    /// Step 1: the keys to send.
    public var advertisement: RecoverableKeyAdvertisement {
        RecoverableKeyAdvertisement(context: context, siteID: siteID, encryptionKey: encryptionKey.publicKey.rawRepresentation,
                                    maskingKey: maskingKey.publicKey.rawRepresentation)
    }

    /// Step 2: checks the bundle (as `SecureAggregationSite` does) and returns one encrypted share pair
    /// per other site; keeps its own pair.
    public mutating func shareKeys<Generator: RandomNumberGenerator>(bundle: RecoverableKeyBundle,
                                                                    using generator: inout Generator) throws -> [EncryptedShare] {
        guard self.bundle == nil else { throw SecureAggregationError.wrongPhase("the keys were already shared") }
        try bundle.validate()
        guard bundle.context == context else { throw SecureAggregationError.contextMismatch }
        guard let own = bundle.advertisements.first(where: { $0.siteID == siteID }) else {
            throw SecureAggregationError.siteNotInBundle(siteID)
        }
        guard own == advertisement else { throw SecureAggregationError.publicKeyMismatch(site: siteID) }
        let count = bundle.advertisements.count
        let t = bundle.threshold
        let selfMaskShares = ShamirSecretSharing.split(Array(selfMaskSeed), threshold: t, shareCount: count, using: &generator)
        let keyShares = ShamirSecretSharing.split(Array(maskingKeyBytes), threshold: t, shareCount: count, using: &generator)
        var out: [EncryptedShare] = []
        for (k, peer) in bundle.advertisements.enumerated() {
            let pair = (selfMaskShares[k].encoded, keyShares[k].encoded)
            if peer.siteID == siteID { heldShares[siteID] = pair; continue }
            let key = try Self.shareKey(privateKey: encryptionKey, peerPublicKey: peer.encryptionKey, context: context,
                                        from: siteID, to: peer.siteID)
            let sealed = try ChaChaPoly.seal(pair.0 + pair.1, using: key, nonce: ChaChaPoly.Nonce(data: Data(count: 12)),
                                             authenticating: Self.associatedData(context: context, from: siteID, to: peer.siteID))
            out.append(EncryptedShare(context: context, from: siteID, to: peer.siteID, sealed: sealed.combined))
        }
        self.bundle = bundle
        return out
    }

    /// Step 3: decrypts the shares the coordinator relayed (from U2 ∖ {self}), then masks `values` and
    /// `exampleCount` with the self mask and the pairwise masks of U2.
    public mutating func maskedUpdate(values: [Double], exampleCount: Int, receivedShares: [EncryptedShare]) throws -> MaskedUpdate {
        guard let bundle, heldShares.count == 1 else { throw SecureAggregationError.wrongPhase("share the keys first, once") }
        for share in receivedShares {
            guard share.context == context, share.to == siteID else { throw SecureAggregationError.contextMismatch }
            guard let sender = bundle.advertisements.first(where: { $0.siteID == share.from }), share.from != siteID else {
                throw SecureAggregationError.siteNotInBundle(share.from)
            }
            guard heldShares[share.from] == nil else { throw SecureAggregationError.duplicateSite(share.from) }
            let key = try Self.shareKey(privateKey: encryptionKey, peerPublicKey: sender.encryptionKey, context: context,
                                        from: share.from, to: siteID)
            let plain: Data
            do {
                plain = try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: share.sealed), using: key,
                                            authenticating: Self.associatedData(context: context, from: share.from, to: siteID))
            } catch { throw SecureAggregationError.invalidPublicKey(site: share.from) }
            heldShares[share.from] = (Data(plain.prefix(33)), Data(plain.suffix(33)))
        }
        let survivors = bundle.advertisements.filter { heldShares[$0.siteID] != nil }
        guard survivors.count >= bundle.threshold else {
            throw SecureAggregationError.tooFewSites(survivors.count, minimum: bundle.threshold)
        }
        let parameters = bundle.parameters
        var words = try parameters.unmaskedWords(values: values, exampleCount: exampleCount)
        let selfMask = try Self.selfMask(seed: selfMaskSeed, context: context, wordCount: parameters.wordCount)
        for i in words.indices { words[i] &+= selfMask[i] }
        let maskingKey = self.maskingKey
        for peer in survivors where peer.siteID != siteID {
            let seed = try PairwiseMask.seed(privateKey: maskingKey, peerPublicKey: peer.maskingKey, context: context,
                                             ownSite: siteID, peerSite: peer.siteID)
            let mask = try PairwiseMask.expand(seed: seed, wordCount: parameters.wordCount)
            if siteIDPrecedes(siteID, peer.siteID) { for i in words.indices { words[i] &+= mask[i] } }
            else { for i in words.indices { words[i] &-= mask[i] } }
        }
        return MaskedUpdate(context: context, siteID: siteID, words: words)
    }

    /// Step 4: the shares asked for, after checking the request: this attempt, this site among the
    /// survivors, survivors and dropped disjoint and all in U2, at least t survivors; answered once.
    public mutating func unmask(_ request: UnmaskingRequest) throws -> UnmaskingResponse {
        guard let bundle, heldShares.count > 1 else { throw SecureAggregationError.wrongPhase("mask first") }
        guard !answered else { throw SecureAggregationError.wrongPhase("already answered") }
        guard request.context == context else { throw SecureAggregationError.contextMismatch }
        let survivors = Set(request.survivors), dropped = Set(request.dropped)
        guard survivors.count == request.survivors.count, dropped.count == request.dropped.count, survivors.isDisjoint(with: dropped),
              survivors.contains(siteID), survivors.count >= bundle.threshold else {
            throw SecureAggregationError.invalidParameters("an inconsistent unmasking request")
        }
        for site in survivors.union(dropped) where heldShares[site] == nil { throw SecureAggregationError.siteNotInBundle(site) }
        answered = true
        var response = UnmaskingResponse(context: context, siteID: siteID, selfMaskShares: [:], maskingKeyShares: [:])
        for site in survivors { response.selfMaskShares[site] = heldShares[site]!.selfMask }
        for site in dropped { response.maskingKeyShares[site] = heldShares[site]!.maskingKey }
        return response
    }

    static func shareKey(privateKey: Curve25519.KeyAgreement.PrivateKey, peerPublicKey: Data, context: SecureAggregationContext,
                         from: String, to: String) throws -> SymmetricKey {
        do {
            let shared = try privateKey.sharedSecretFromKeyAgreement(with: .init(rawRepresentation: peerPublicKey))
            if shared.withUnsafeBytes({ $0.allSatisfy { $0 == 0 } }) { throw SecureAggregationError.invalidPublicKey(site: from) }
            // Directional (from, to): each key seals exactly one message, so the fixed nonce is safe.
            return shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: PairwiseMask.salt,
                                                  sharedInfo: associatedData(context: context, from: from, to: to), outputByteCount: 32)
        } catch { throw SecureAggregationError.invalidPublicKey(site: from == to ? from : to) }
    }

    static func associatedData(context: SecureAggregationContext, from: String, to: String) -> Data {
        var data = Data("share-encryption".utf8)
        data.append(PairwiseMask.info(context: context, from, to))
        data.append(Data(from.utf8))
        return data
    }

    static func selfMask(seed: Data, context: SecureAggregationContext, wordCount: Int) throws -> [UInt32] {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: seed), salt: PairwiseMask.salt,
                                         info: Data("self-mask".utf8) + PairwiseMask.info(context: context, "", ""), outputByteCount: 32)
        return try PairwiseMask.expand(seed: key, wordCount: wordCount)
    }
}
