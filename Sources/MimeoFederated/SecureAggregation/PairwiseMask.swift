import Crypto
import Foundation

/// The pairwise masks of secure aggregation (Bonawitz et al., CCS 2017, §4, without the double masking).
///
/// Sites i and j agree a 32-byte seed: X25519(sk_i, pk_j) = X25519(sk_j, pk_i), through
/// HKDF-SHA256 (RFC 5869) with salt `"mimeo-secagg-v1"` and info = the label `"pairwise-mask"`, the
/// job id, round and attempt, and both site ids in `siteIDPrecedes` order (each length-prefixed, all
/// integers big-endian). The seed is expanded into the mask by ChaCha20 (RFC 8439): the ciphertext of
/// ChaCha20-Poly1305 over 4·W zero bytes with the all-zero nonce is the ChaCha20 keystream from block
/// counter 1, read as W little-endian 32-bit words. Every seed is used for exactly one mask, so the fixed
/// nonce is never reused under one key.
enum PairwiseMask {
    static let salt = Data("mimeo-secagg-v1".utf8)

    /// The HKDF info binding the seed to its attempt and its pair of sites.
    static func info(context: SecureAggregationContext, _ siteA: String, _ siteB: String) -> Data {
        let (low, high) = siteIDPrecedes(siteA, siteB) ? (siteA, siteB) : (siteB, siteA)
        var info = Data()
        func append(_ text: String) {
            let bytes = Data(text.utf8)
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { info.append(contentsOf: $0) }
            info.append(bytes)
        }
        append("pairwise-mask")
        append(context.jobID)
        withUnsafeBytes(of: UInt64(context.round).bigEndian) { info.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(context.attempt).bigEndian) { info.append(contentsOf: $0) }
        append(low)
        append(high)
        return info
    }

    /// The shared seed of `ownSite` (holding `privateKey`) and `peerSite` (advertising `peerPublicKey`).
    static func seed(privateKey: Curve25519.KeyAgreement.PrivateKey, peerPublicKey: Data,
                     context: SecureAggregationContext, ownSite: String, peerSite: String) throws -> SymmetricKey {
        let peerKey: Curve25519.KeyAgreement.PublicKey
        let shared: SharedSecret
        do {
            peerKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerPublicKey)
            shared = try privateKey.sharedSecretFromKeyAgreement(with: peerKey)
        } catch {
            throw SecureAggregationError.invalidPublicKey(site: peerSite)
        }
        // An all-zero shared secret means a low-order peer key (RFC 7748 §6.1): refuse it.
        let isZero = shared.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
        if isZero { throw SecureAggregationError.invalidPublicKey(site: peerSite) }
        return shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: salt,
                                              sharedInfo: info(context: context, ownSite, peerSite), outputByteCount: 32)
    }

    /// W words of ChaCha20 keystream under `seed`.
    static func expand(seed: SymmetricKey, wordCount: Int) throws -> [UInt32] {
        let zeros = Data(count: 4 * wordCount)
        let sealed = try ChaChaPoly.seal(zeros, using: seed, nonce: ChaChaPoly.Nonce(data: Data(count: 12)))
        return try VectorCoding.decodeWords(sealed.ciphertext)
    }
}
