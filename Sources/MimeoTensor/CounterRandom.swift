#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The Philox4x32-10 counter-based block function (Salmon, Moraes, Dror & Shaw, "Parallel random
/// numbers: as easy as 1, 2, 3", SC 2011; Random123).
///
/// A keyed bijection of 128-bit counters: `block(counter)` is a pure function of `(key, counter)`,
/// so any counter can be evaluated on any thread, in any order. Ten rounds of
/// `(c0, c1, c2, c3) -> (hi(M1·c2) ⊕ c1 ⊕ k0, lo(M1·c2), hi(M0·c0) ⊕ c3 ⊕ k1, lo(M0·c0))`
/// with `M0 = 0xD2511F53`, `M1 = 0xCD9E8D57` and the key bumped by the Weyl constants
/// `(0x9E3779B9, 0xBB67AE85)` between rounds. Matches the Random123 `kat_vectors`.
public struct Philox4x32: Sendable, Equatable {
    /// The 64-bit key as two words: `key0` is the low half, `key1` the high half.
    public let key0: UInt32
    public let key1: UInt32

    /// A block function with the given key (low 32 bits are Random123's `k[0]`, high 32 bits `k[1]`).
    public init(key: UInt64) {
        key0 = UInt32(truncatingIfNeeded: key)
        key1 = UInt32(truncatingIfNeeded: key >> 32)
    }

    /// Encrypts one 128-bit counter into four 32-bit random words.
    ///
    /// - Parameters:
    ///   - counter: Random123's `ctr[0]…ctr[3]`.
    @inlinable
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        block(counter, rounds: 10)
    }

    /// `block` with a chosen number of rounds (Random123's `philox4x32_R`); 10 is the standard.
    @inlinable
    func block(_ counter: (UInt32, UInt32, UInt32, UInt32), rounds: Int) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var k0 = key0
        var k1 = key1
        for round in 0..<rounds {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }
}

/// A seeded stream of random numbers whose `i`-th draw is a pure function of `(seed, stream, i)`.
///
/// Draw `i` is 64 bits of the Philox4x32-10 block with key `seed` and counter
/// `(i / 2 low, i / 2 high, stream low, stream high)` (words `2·(i mod 2)` and `2·(i mod 2) + 1`,
/// the first as the low half). Give each worker, thread or column its own `stream`, and the numbers
/// do not depend on which thread draws them or in what order streams are consumed.
///
/// ```swift
/// var rng = RandomStream(seed: 42, stream: UInt64(rowIndex))
/// let u = rng.nextFloat()           // [0, 1)
/// let z = rng.nextNormal()          // N(0, 1)
/// let k = rng.nextInt(below: 10)    // 0..<10
/// array.shuffle(using: &rng)        // any stdlib API taking a RandomNumberGenerator
/// ```
/// Each `next…` method consumes exactly one draw, except `nextInt(below:)`, which consumes one
/// or (rarely) more. ``position`` is the index of the next draw and can be saved and restored.
public struct RandomStream: RandomNumberGenerator, Sendable, Equatable {
    /// The seed (the Philox key).
    public let seed: UInt64
    /// The stream number (the high half of the Philox counter).
    public let stream: UInt64
    /// The index of the next draw; set it to jump (for example, to resume from a checkpoint).
    public var position: UInt64

    @usableFromInline let philox: Philox4x32
    @usableFromInline var cachedBlockIndex: UInt64 = .max
    @usableFromInline var cachedBlock: (UInt64, UInt64) = (0, 0)

    /// A stream at position 0.
    ///
    /// - Parameters:
    ///   - seed: The user's seed; the same seed gives the same numbers.
    ///   - stream: Which of the 2⁶⁴ independent streams of this seed to read.
    public init(seed: UInt64, stream: UInt64) {
        self.seed = seed
        self.stream = stream
        self.position = 0
        self.philox = Philox4x32(key: seed)
    }

    /// The draw at `index` of stream `stream` under `seed`, without a generator.
    public static func draw(seed: UInt64, stream: UInt64, index: UInt64) -> UInt64 {
        var generator = RandomStream(seed: seed, stream: stream)
        generator.position = index
        return generator.next()
    }

    public static func == (lhs: RandomStream, rhs: RandomStream) -> Bool {
        lhs.seed == rhs.seed && lhs.stream == rhs.stream && lhs.position == rhs.position
    }

    /// The next 64 uniformly random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let index = position
        position &+= 1
        let blockIndex = index >> 1
        if blockIndex != cachedBlockIndex {
            let (r0, r1, r2, r3) = philox.block((
                UInt32(truncatingIfNeeded: blockIndex), UInt32(truncatingIfNeeded: blockIndex >> 32),
                UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)))
            cachedBlock = (UInt64(r0) | UInt64(r1) << 32, UInt64(r2) | UInt64(r3) << 32)
            cachedBlockIndex = blockIndex
        }
        return index & 1 == 0 ? cachedBlock.0 : cachedBlock.1
    }

    /// A uniform `Float` in `[0, 1)`: the top 24 bits of one draw, times 2⁻²⁴.
    @inlinable
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform `Double` in `[0, 1)`: the top 53 bits of one draw, times 2⁻⁵³.
    @inlinable
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in `0..<n`, without modulo bias (Lemire's multiply-and-reject method).
    ///
    /// - Parameters:
    ///   - n: The exclusive upper bound; must be positive.
    @inlinable
    public mutating func nextInt(below n: Int) -> Int {
        precondition(n > 0, "nextInt(below:): n must be positive, got \(n)")
        let bound = UInt64(n)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound  // 2⁶⁴ mod n
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    /// A standard normal sample (mean 0, variance 1), from one draw by Box–Muller.
    ///
    /// `z = √(−2 ln u₁) · cos(2π u₂)` with `u₁ ∈ (0, 1]` from the high 32 bits and `u₂ ∈ [0, 1)`
    /// from the low 32 bits, computed in `Double`. `|z|` is at most about 6.66.
    @inlinable
    public mutating func nextNormal() -> Float {
        let bits = next()
        let u1 = (Double(bits >> 32) + 1) * 0x1p-32
        let u2 = Double(bits & 0xFFFF_FFFF) * 0x1p-32
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
