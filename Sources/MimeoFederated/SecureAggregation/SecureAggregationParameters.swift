import Foundation

/// Identifies one attempt at one round of one job: part of every pairwise mask's derivation, so no two
/// attempts (a voided round rerun without its dropped site included) ever reuse a mask.
public struct SecureAggregationContext: Sendable, Hashable, Codable {
    /// The training job's id.
    public var jobID: String
    /// The round number.
    public var round: Int
    /// The attempt within the round: 0 first, +1 for each rerun after a dropout.
    public var attempt: Int

    /// A context; `jobID` is 1–256 UTF-8 bytes, `round` and `attempt` in 0…2³¹−1.
    public init(jobID: String, round: Int, attempt: Int = 0) throws {
        guard WireValidation.isValidIdentifier(jobID) else { throw SecureAggregationError.invalidIdentifier(jobID) }
        guard (0...Int(Int32.max)).contains(round), (0...Int(Int32.max)).contains(attempt) else {
            throw SecureAggregationError.invalidParameters("round and attempt in 0…2³¹−1")
        }
        self.jobID = jobID
        self.round = round
        self.attempt = attempt
    }

    private enum CodingKeys: String, CodingKey { case jobID, round, attempt }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        jobID = try WireValidation.identifier(container, .jobID)
        round = try WireValidation.integer(container, .round, in: 0...Int(Int32.max))
        attempt = try WireValidation.integer(container, .attempt, in: 0...Int(Int32.max))
    }
}

/// The public parameters of a secure-aggregation round, announced by the coordinator in the key bundle.
///
/// The masked vector is `vectorLength + 1` words of Z/2³²: the quantised values, then the example
/// count. Values are clipped to [−B, B] (B = `clipBound`) and quantised to integers q = round(v·s)
/// with s = M / B and M = ⌊(2³¹ − 1) / n⌋, n = `maximumSites`; so |q| ≤ M and the sum of up to n
/// quantised values lies in [−(2³¹ − 1), 2³¹ − 1]: read as a signed 32-bit integer, the sum mod 2³² is
/// the exact integer sum (no overflow). Each site's rounding error is at most 1/(2s) per element,
/// so the dequantised sum of k sites is within k/(2s) = k·B/(2M) ≈ k·n·B/2³² of the sum of the clipped
/// values (`FixedPointQuantizer.maximumSumError(summands:)`). Example counts are exact integers up to
/// ⌊(2³² − 1) / n⌋ each.
public struct SecureAggregationParameters: Sendable, Equatable, Codable {
    /// L: the number of values each site sums (the model's parameter count).
    public var vectorLength: Int
    /// B: values are clipped to [−B, B] before quantisation.
    public var clipBound: Double
    /// n: the most sites a round may sum (fixes the quantisation scale).
    public var maximumSites: Int
    /// The fewest sites a site agrees to be summed with (≥ 2: the sum of one site is its update).
    public var minimumSites: Int

    /// Parameters; throws unless 1 ≤ L ≤ 2²⁸, 0 < B ≤ 1e6, 2 ≤ minimumSites ≤ maximumSites ≤ 10,000.
    public init(vectorLength: Int, clipBound: Double, maximumSites: Int, minimumSites: Int) throws {
        self.vectorLength = vectorLength
        self.clipBound = clipBound
        self.maximumSites = maximumSites
        self.minimumSites = minimumSites
        try validate()
    }

    /// The most sites any round may have.
    public static let siteLimit = 10_000

    func validate() throws {
        guard vectorLength >= 1, vectorLength < VectorCoding.maximumElementCount else {
            throw SecureAggregationError.invalidParameters("vectorLength must be in 1…2²⁸−1")
        }
        guard clipBound.isFinite, clipBound > 0, clipBound <= 1e6 else {
            throw SecureAggregationError.invalidParameters("clipBound must be in (0, 1e6]")
        }
        guard minimumSites >= 2, minimumSites <= maximumSites, maximumSites <= Self.siteLimit else {
            throw SecureAggregationError.invalidParameters("2 ≤ minimumSites ≤ maximumSites ≤ \(Self.siteLimit)")
        }
    }

    /// The words in a masked vector: the values and the example count.
    public var wordCount: Int { vectorLength + 1 }

    /// The largest example count one site may send.
    public var maximumExampleCount: Int { Int(UInt32.max) / maximumSites }

    /// The quantiser these parameters fix.
    public var quantizer: FixedPointQuantizer { FixedPointQuantizer(clipBound: clipBound, maximumSummands: maximumSites) }

    /// A site's vector before masking: `values` quantised, then the example count, after checking the length,
    /// that every value is finite and that the count is in 0…`maximumExampleCount`.
    func unmaskedWords(values: [Double], exampleCount: Int) throws -> [UInt32] {
        guard values.count == vectorLength else {
            throw SecureAggregationError.wrongLength(values.count, expected: vectorLength)
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) { throw SecureAggregationError.nonFiniteValue(index: index) }
        guard exampleCount >= 0, exampleCount <= maximumExampleCount else {
            throw SecureAggregationError.exampleCountOutOfRange(exampleCount, maximum: maximumExampleCount)
        }
        let quantizer = self.quantizer
        var words = [UInt32](repeating: 0, count: wordCount)
        for i in values.indices { words[i] = quantizer.quantize(values[i]) }
        words[vectorLength] = UInt32(exampleCount)
        return words
    }

    private enum CodingKeys: String, CodingKey { case vectorLength, clipBound, maximumSites, minimumSites }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vectorLength = try container.decode(Int.self, forKey: .vectorLength)
        clipBound = try container.decode(Double.self, forKey: .clipBound)
        maximumSites = try container.decode(Int.self, forKey: .maximumSites)
        minimumSites = try container.decode(Int.self, forKey: .minimumSites)
        do { try validate() } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }
}

/// Fixed-point quantisation into Z/2³² such that up to `maximumSummands` values sum without overflow.
public struct FixedPointQuantizer: Sendable, Equatable {
    /// B: the clip bound.
    public let clipBound: Double
    /// n: the most values that are ever summed.
    public let maximumSummands: Int
    /// M = ⌊(2³¹ − 1) / n⌋: the largest quantised magnitude.
    public let limit: Int64

    /// A quantiser for values in [−B, B], n summands.
    public init(clipBound: Double, maximumSummands: Int) {
        precondition(clipBound > 0 && maximumSummands >= 1)
        self.clipBound = clipBound
        self.maximumSummands = maximumSummands
        self.limit = Int64(Int32.max) / Int64(maximumSummands)
    }

    /// s = M / B: quantised units per unit of value.
    public var scale: Double { Double(limit) / clipBound }

    /// One value: clipped to [−B, B], rounded to the nearest multiple of 1/s, as a word of Z/2³².
    public func quantize(_ value: Double) -> UInt32 {
        let clipped = min(max(value, -clipBound), clipBound)
        let units = min(max((clipped * scale).rounded(), -Double(limit)), Double(limit))
        return UInt32(bitPattern: Int32(units))
    }

    /// A sum of at most n quantised values (mod 2³²) back to a real number.
    public func dequantizeSum(_ word: UInt32) -> Double {
        Double(Int32(bitPattern: word)) / scale
    }

    /// The largest difference between the dequantised sum of `summands` values and the sum of the same
    /// values clipped to [−B, B]: half a unit per summand (plus 2⁻²⁰ units for the Double product v·s).
    public func maximumSumError(summands: Int) -> Double {
        Double(summands) * (0.5 + 0x1p-20) / scale
    }
}

/// The coordinator's result of a completed secure-aggregation round: the sum, and nothing per site.
public struct SecureSum: Sendable, Equatable {
    /// The sites whose masked vectors were summed, in `siteIDPrecedes` order.
    public var sites: [String]
    /// Σ of the sites' values (each clipped to [−B, B]), dequantised.
    public var values: [Double]
    /// Σ of the sites' example counts (exact).
    public var exampleCount: Int
    /// The bound on |values[i] − exact sum of the clipped values|.
    public var maximumAbsoluteError: Double
}

/// Errors of secure aggregation: invalid parameters, messages that do not fit the round, misuse of the
/// round's state.
public enum SecureAggregationError: Error, Equatable, Sendable {
    case invalidParameters(String)
    case invalidIdentifier(String)
    case invalidPublicKey(site: String)
    case duplicatePublicKey(site: String)
    case contextMismatch
    case unknownSite(String)
    case duplicateSite(String)
    case siteNotInBundle(String)
    case publicKeyMismatch(site: String)
    case tooFewSites(Int, minimum: Int)
    case tooManySites(Int, maximum: Int)
    case wrongLength(Int, expected: Int)
    case nonFiniteValue(index: Int)
    case exampleCountOutOfRange(Int, maximum: Int)
    case wrongPhase(String)
    case unsortedBundle
}
