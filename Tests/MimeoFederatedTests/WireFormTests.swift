import Foundation
import MimeoTestSupport
import Testing

@testable import MimeoFederated

@Suite struct WireFormTests {
    static let context = try! SecureAggregationContext(jobID: "job-1", round: 2, attempt: 0)

    static func roundTrip<T: Codable & Equatable>(_ value: T) throws {
        let decoded = try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
        #expect(decoded == value)
        let plist = try PropertyListDecoder().decode(T.self, from: PropertyListEncoder().encode(value))
        #expect(plist == value)
    }

    static func rejects<T: Decodable>(_ type: T.Type, _ json: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: (any Error).self, "\(json)", sourceLocation: sourceLocation) {
            try JSONDecoder().decode(T.self, from: Data(json.utf8))
        }
    }

    @Test func everyMessageRoundTrips() throws {
        var random = SplitMix64(seed: 1)
        try Self.roundTrip(SiteUpdate(siteID: "site-a", round: 3, exampleCount: 12, delta: randomVector(1000, scale: 1, using: &random)))
        try Self.roundTrip(Self.context)
        let site = try fixedSite("a", Self.context, keyByte: 1), other = try fixedSite("b", Self.context, keyByte: 2)
        try Self.roundTrip(site.advertisement)
        let parameters = try SecureAggregationParameters(vectorLength: 100, clipBound: 0.5, maximumSites: 5, minimumSites: 2)
        try Self.roundTrip(parameters)
        let bundle = try KeyBundle(context: Self.context, parameters: parameters, advertisements: [site.advertisement, other.advertisement])
        try Self.roundTrip(bundle)
        try Self.roundTrip(site.maskedUpdate(values: [Double](repeating: 0.1, count: 100), exampleCount: 9, bundle: bundle))
        let dp = try DPFedAvgConfiguration(clipNorm: 1, noiseMultiplier: 1.2, samplingRate: 0.5, expectedSites: 5, targetEpsilon: 4, delta: 1e-6)
        try Self.roundTrip(dp)
        var ledger = try PrivacyLedger(configuration: dp)
        try ledger.recordRound()
        try Self.roundTrip(ledger)
    }

    @Test func vectorsTravelAsLittleEndianBytes() throws {
        let data = VectorCoding.encode([Float(1), -2.5])
        #expect(Array(data) == [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0])
        #expect(try VectorCoding.decodeFloats(data) == [1, -2.5])
        #expect(throws: VectorCoding.DecodingFailure.lengthNotMultipleOfElementSize(byteCount: 7)) { try VectorCoding.decodeFloats(data.dropLast()) }
        #expect(throws: VectorCoding.DecodingFailure.nonFiniteElement(index: 1)) { try VectorCoding.decodeFloats(VectorCoding.encode([Float(0), .nan])) }
    }

    @Test func hostileSiteUpdatesAreDecodingErrors() {
        let nan = VectorCoding.encode([Float(0), .nan]).base64EncodedString()
        Self.rejects(SiteUpdate.self, #"{"siteID":"a","round":1,"exampleCount":1,"delta":"AAAA"}"#)       // 3 bytes
        Self.rejects(SiteUpdate.self, #"{"siteID":"a","round":1,"exampleCount":1,"delta":"\#(nan)"}"#)
        Self.rejects(SiteUpdate.self, #"{"siteID":"","round":1,"exampleCount":1,"delta":""}"#)
        Self.rejects(SiteUpdate.self, #"{"siteID":"\#(String(repeating: "x", count: 300))","round":1,"exampleCount":1,"delta":""}"#)
        Self.rejects(SiteUpdate.self, #"{"siteID":"a\u0000b","round":1,"exampleCount":1,"delta":""}"#)
        Self.rejects(SiteUpdate.self, #"{"siteID":"a","round":-1,"exampleCount":1,"delta":""}"#)
        Self.rejects(SiteUpdate.self, #"{"siteID":"a","round":1,"exampleCount":0,"delta":""}"#)
        Self.rejects(SiteUpdate.self, #"{"siteID":"a","round":1,"exampleCount":1e300,"delta":""}"#)
        Self.rejects(SiteUpdate.self, #"{"siteID":"a","round":1,"exampleCount":1}"#)
    }

    @Test func hostileSecureAggregationMessagesAreDecodingErrors() throws {
        let context = #"{"jobID":"j","round":1,"attempt":0}"#
        Self.rejects(SecureAggregationContext.self, #"{"jobID":"j","round":-1,"attempt":0}"#)
        Self.rejects(SecureAggregationContext.self, #"{"jobID":"j","round":1,"attempt":4294967296}"#)
        Self.rejects(KeyAdvertisement.self, #"{"context":\#(context),"siteID":"a","publicKey":"AAAA"}"#)
        Self.rejects(MaskedUpdate.self, #"{"context":\#(context),"siteID":"a","words":"AAAAAAA="}"#)     // 5 bytes
        Self.rejects(MaskedUpdate.self, #"{"context":\#(context),"siteID":"a","words":"not base64"}"#)
        Self.rejects(SecureAggregationParameters.self, #"{"vectorLength":0,"clipBound":1,"maximumSites":3,"minimumSites":2}"#)
        Self.rejects(SecureAggregationParameters.self, #"{"vectorLength":10,"clipBound":-1,"maximumSites":3,"minimumSites":2}"#)
        Self.rejects(SecureAggregationParameters.self, #"{"vectorLength":10,"clipBound":1,"maximumSites":3,"minimumSites":1}"#)
        Self.rejects(SecureAggregationParameters.self, #"{"vectorLength":10,"clipBound":1,"maximumSites":100000,"minimumSites":2}"#)
        // Bundles: unsorted, duplicated key, too few sites, a stray context.
        let a = try fixedSite("a", Self.context, keyByte: 1).advertisement
        let b = try fixedSite("b", Self.context, keyByte: 2).advertisement
        let parameters = try SecureAggregationParameters(vectorLength: 4, clipBound: 1, maximumSites: 3, minimumSites: 2)
        let good = try KeyBundle(context: Self.context, parameters: parameters, advertisements: [a, b])
        func encoded(_ change: (inout KeyBundle) -> Void) throws -> String {
            var bundle = good
            change(&bundle)
            return String(decoding: try JSONEncoder().encode(bundle), as: UTF8.self)
        }
        Self.rejects(KeyBundle.self, try encoded { $0.advertisements = [b, a] })
        Self.rejects(KeyBundle.self, try encoded { $0.advertisements[1].publicKey = a.publicKey })
        Self.rejects(KeyBundle.self, try encoded { $0.advertisements = [a] })
        Self.rejects(KeyBundle.self, try encoded { $0.advertisements[1].context.round = 9 })
    }

    @Test func hostileDPParametersAreDecodingErrors() {
        let valid: [String: String] = ["clipNorm": "1", "noiseMultiplier": "1", "samplingRate": "0.5",
                                       "expectedSites": "3", "targetEpsilon": "4", "delta": "1e-6"]
        let hostile: [(String, String)] = [("clipNorm", "0"), ("clipNorm", "-1"), ("noiseMultiplier", "0"),
                                           ("samplingRate", "1.5"), ("samplingRate", "0"), ("expectedSites", "0"),
                                           ("targetEpsilon", "-4"), ("delta", "1"), ("delta", "0"), ("clipNorm", "1e400")]
        for (key, value) in hostile {
            var fields = valid
            fields[key] = value
            let json = "{" + fields.map { "\"\($0)\":\($1)" }.joined(separator: ",") + "}"
            Self.rejects(DPFedAvgConfiguration.self, json)
        }
    }

    /// Random byte flips of valid messages never crash the decoders (they decode or throw).
    @Test func mutatedMessagesNeverCrashTheDecoders() throws {
        let site = try fixedSite("a", Self.context, keyByte: 1), other = try fixedSite("b", Self.context, keyByte: 2)
        let parameters = try SecureAggregationParameters(vectorLength: 8, clipBound: 1, maximumSites: 3, minimumSites: 2)
        let bundle = try KeyBundle(context: Self.context, parameters: parameters, advertisements: [site.advertisement, other.advertisement])
        let samples: [Data] = [
            try JSONEncoder().encode(bundle),
            try JSONEncoder().encode(site.maskedUpdate(values: [Double](repeating: 0, count: 8), exampleCount: 1, bundle: bundle)),
            try JSONEncoder().encode(SiteUpdate(siteID: "a", round: 1, exampleCount: 2, delta: [1, 2, 3])),
        ]
        var random = SplitMix64(seed: 77)
        var decodedAnyway = 0
        for sample in samples {
            for _ in 0..<500 {
                var bytes = [UInt8](sample)
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                let data = Data(bytes)
                if (try? JSONDecoder().decode(KeyBundle.self, from: data)) != nil { decodedAnyway += 1 }
                if (try? JSONDecoder().decode(MaskedUpdate.self, from: data)) != nil { decodedAnyway += 1 }
                if (try? JSONDecoder().decode(SiteUpdate.self, from: data)) != nil { decodedAnyway += 1 }
            }
        }
        #expect(decodedAnyway < 1500, "most mutations are rejected")
    }
}
