import Foundation

/// A site's X25519 public key for one attempt, sent to the coordinator, relayed to every site.
public struct KeyAdvertisement: Sendable, Equatable, Codable {
    /// The attempt the key is for.
    public var context: SecureAggregationContext
    /// The advertising site.
    public var siteID: String
    /// The 32-byte X25519 public key (RFC 7748 encoding).
    public var publicKey: Data

    /// An advertisement; the key must be 32 bytes.
    public init(context: SecureAggregationContext, siteID: String, publicKey: Data) throws {
        guard WireValidation.isValidIdentifier(siteID) else { throw SecureAggregationError.invalidIdentifier(siteID) }
        guard publicKey.count == 32 else { throw SecureAggregationError.invalidPublicKey(site: siteID) }
        self.context = context
        self.siteID = siteID
        self.publicKey = publicKey
    }

    private enum CodingKeys: String, CodingKey { case context, siteID, publicKey }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decode(SecureAggregationContext.self, forKey: .context)
        siteID = try WireValidation.identifier(container, .siteID)
        publicKey = try container.decode(Data.self, forKey: .publicKey)
        guard publicKey.count == 32 else {
            throw DecodingError.dataCorruptedError(forKey: .publicKey, in: container, debugDescription: "32 bytes")
        }
    }
}

/// The coordinator's broadcast after key collection: the round's parameters and the public keys of
/// every participating site (sorted by `siteIDPrecedes`, distinct ids and keys).
public struct KeyBundle: Sendable, Equatable, Codable {
    /// The attempt.
    public var context: SecureAggregationContext
    /// The quantisation and size parameters.
    public var parameters: SecureAggregationParameters
    /// The participants' keys, in order.
    public var advertisements: [KeyAdvertisement]

    /// A bundle; throws unless it is well formed (see `validate()`).
    public init(context: SecureAggregationContext, parameters: SecureAggregationParameters,
                advertisements: [KeyAdvertisement]) throws {
        self.context = context
        self.parameters = parameters
        self.advertisements = advertisements
        try validate()
    }

    /// The participating sites, in order.
    public var siteIDs: [String] { advertisements.map(\.siteID) }

    /// Checks: between `minimumSites` and `maximumSites` advertisements, all for this context, in strict
    /// `siteIDPrecedes` order (so distinct), with distinct public keys.
    public func validate() throws {
        try parameters.validate()
        let count = advertisements.count
        guard count >= parameters.minimumSites else { throw SecureAggregationError.tooFewSites(count, minimum: parameters.minimumSites) }
        guard count <= parameters.maximumSites else { throw SecureAggregationError.tooManySites(count, maximum: parameters.maximumSites) }
        guard advertisements.allSatisfy({ $0.context == context }) else { throw SecureAggregationError.contextMismatch }
        for (a, b) in zip(advertisements, advertisements.dropFirst()) where !siteIDPrecedes(a.siteID, b.siteID) {
            throw SecureAggregationError.unsortedBundle
        }
        var keys = Set<Data>()
        for advertisement in advertisements where !keys.insert(advertisement.publicKey).inserted {
            throw SecureAggregationError.duplicatePublicKey(site: advertisement.siteID)
        }
    }

    private enum CodingKeys: String, CodingKey { case context, parameters, advertisements }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decode(SecureAggregationContext.self, forKey: .context)
        parameters = try container.decode(SecureAggregationParameters.self, forKey: .parameters)
        advertisements = try container.decode([KeyAdvertisement].self, forKey: .advertisements)
        do { try validate() } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }
}

/// A site's masked vector: its quantised values and example count plus its pairwise masks, mod 2³².
/// Alone it is uniformly distributed; only the sum over every site in the bundle means anything.
public struct MaskedUpdate: Sendable, Equatable, Codable {
    /// The attempt.
    public var context: SecureAggregationContext
    /// The sending site.
    public var siteID: String
    /// `vectorLength + 1` words of Z/2³² (little-endian on the wire).
    public var words: [UInt32]

    /// A masked update.
    public init(context: SecureAggregationContext, siteID: String, words: [UInt32]) {
        self.context = context
        self.siteID = siteID
        self.words = words
    }

    private enum CodingKeys: String, CodingKey { case context, siteID, words }

    /// Decodes and checks the structure (a whole number of words, at most 2²⁸); the length against the
    /// round's parameters is checked by `SecureAggregationRound.receive(_:)`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        context = try container.decode(SecureAggregationContext.self, forKey: .context)
        siteID = try WireValidation.identifier(container, .siteID)
        words = try WireValidation.vector(container, .words) { try VectorCoding.decodeWords($0) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(context, forKey: .context)
        try container.encode(siteID, forKey: .siteID)
        try container.encode(VectorCoding.encode(words), forKey: .words)
    }
}
