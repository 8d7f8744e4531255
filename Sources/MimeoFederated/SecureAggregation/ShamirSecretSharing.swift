import Foundation

/// Shamir's t-of-n secret sharing (Shamir 1979) byte by byte over GF(2⁸) (the AES field, polynomial
/// x⁸ + x⁴ + x³ + x + 1): any `threshold` shares give the secret back, fewer reveal nothing about it.
/// Shares are evaluated at x = 1 … 255, so at most 255 shareholders.
public enum ShamirSecretSharing {
    /// One shareholder's share: the evaluation point and one byte per secret byte.
    public struct Share: Sendable, Equatable {
        /// x, 1…255.
        public var x: UInt8
        /// f(x) for each byte's polynomial.
        public var bytes: [UInt8]

        /// The share as bytes: x, then the values.
        public var encoded: Data { Data([x] + bytes) }

        /// A share read from `encoded`, checking its length against `secretLength` and x ≠ 0.
        public init(encoded: Data, secretLength: Int) throws {
            guard encoded.count == secretLength + 1, let x = encoded.first, x != 0 else {
                throw SecureAggregationError.invalidParameters("a share is x ≠ 0 and \(secretLength) bytes")
            }
            self.x = x
            self.bytes = Array(encoded.dropFirst())
        }

        public init(x: UInt8, bytes: [UInt8]) {
            self.x = x
            self.bytes = bytes
        }
    }

    /// Splits `secret` into shares at x = 1…`shareCount`, any `threshold` of which recover it.
    public static func split<Generator: RandomNumberGenerator>(_ secret: [UInt8], threshold: Int, shareCount: Int,
                                                              using generator: inout Generator) -> [Share] {
        precondition(threshold >= 1 && threshold <= shareCount && shareCount <= 255, "1 ≤ t ≤ n ≤ 255")
        var shares = (1...shareCount).map { Share(x: UInt8($0), bytes: [UInt8](repeating: 0, count: secret.count)) }
        var coefficients = [UInt8](repeating: 0, count: threshold)
        for (index, byte) in secret.enumerated() {
            coefficients[0] = byte
            for k in 1..<max(threshold, 1) { coefficients[k] = UInt8(truncatingIfNeeded: generator.next()) }
            for s in shares.indices {
                // Horner: f(x) = c0 + x(c1 + x(c2 + …)).
                var value: UInt8 = 0
                for k in stride(from: threshold - 1, through: 0, by: -1) {
                    value = multiply(value, shares[s].x) ^ coefficients[k]
                }
                shares[s].bytes[index] = value
            }
        }
        return shares
    }

    /// The secret from at least `threshold` shares with distinct x (Lagrange interpolation at 0);
    /// all shares given are used, so pass exactly the ones to trust.
    public static func combine(_ shares: [Share]) throws -> [UInt8] {
        guard let length = shares.first?.bytes.count, shares.allSatisfy({ $0.bytes.count == length && $0.x != 0 }),
              Set(shares.map(\.x)).count == shares.count else {
            throw SecureAggregationError.invalidParameters("shares of one length with distinct x ≠ 0")
        }
        var secret = [UInt8](repeating: 0, count: length)
        for (i, share) in shares.enumerated() {
            // ℓ_i(0) = Π_{j≠i} x_j / (x_j − x_i); subtraction is XOR in GF(2⁸).
            var numerator: UInt8 = 1, denominator: UInt8 = 1
            for (j, other) in shares.enumerated() where j != i {
                numerator = multiply(numerator, other.x)
                denominator = multiply(denominator, other.x ^ share.x)
            }
            let basis = multiply(numerator, inverse(denominator))
            for b in 0..<length { secret[b] ^= multiply(share.bytes[b], basis) }
        }
        return secret
    }

    /// Multiplication in GF(2⁸) modulo x⁸ + x⁴ + x³ + x + 1.
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a, b = b, product: UInt8 = 0
        while b != 0 {
            if b & 1 != 0 { product ^= a }
            let carry = a & 0x80
            a <<= 1
            if carry != 0 { a ^= 0x1B }
            b >>= 1
        }
        return product
    }

    /// The multiplicative inverse in GF(2⁸): a²⁵⁴.
    static func inverse(_ a: UInt8) -> UInt8 {
        precondition(a != 0, "0 has no inverse")
        var result: UInt8 = 1, base = a, exponent = 254
        while exponent > 0 {
            if exponent & 1 != 0 { result = multiply(result, base) }
            base = multiply(base, base)
            exponent >>= 1
        }
        return result
    }
}
