import Crypto
import Foundation
import MimeoTestSupport
import Testing

@testable import MimeoFederated

func recoverableSite(_ id: String, _ context: SecureAggregationContext, keyByte: UInt8) throws -> RecoverableSecureAggregationSite {
    try RecoverableSecureAggregationSite(
        siteID: id, context: context,
        encryptionKey: .init(rawRepresentation: Data(repeating: keyByte, count: 32)),
        maskingKey: .init(rawRepresentation: Data(repeating: keyByte &+ 128, count: 32)),
        selfMaskSeed: Data(repeating: keyByte &+ 64, count: 32))
}

@Suite struct RecoverableSecureAggregationTests {
    static let context = try! SecureAggregationContext(jobID: "job-r", round: 4)

    @Test func shamirRecoversFromAnyThresholdSubsetAndNotFromFewer() throws {
        var random = SplitMix64(seed: 3)
        let secret = (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let shares = ShamirSecretSharing.split(secret, threshold: 3, shareCount: 5, using: &random)
        for a in 0..<5 { for b in (a + 1)..<5 { for c in (b + 1)..<5 {
            #expect(try ShamirSecretSharing.combine([shares[a], shares[b], shares[c]]) == secret)
        } } }
        #expect(try ShamirSecretSharing.combine(shares) == secret)
        #expect(try ShamirSecretSharing.combine([shares[0], shares[1]]) != secret)
        for a in 1...255 { #expect(ShamirSecretSharing.multiply(UInt8(a), ShamirSecretSharing.inverse(UInt8(a))) == 1) }
    }

    /// Five sites, threshold 3; two drop after sharing their keys (before their masked vectors): the
    /// round completes with the sum of the three survivors, within the quantisation bound.
    @Test func dropoutsAfterKeySharingAreRecovered() throws {
        try runRound(dropAfterSharing: ["s2", "s4"], expectSurvivors: ["s1", "s3", "s5"])
        try runRound(dropAfterSharing: [], expectSurvivors: ["s1", "s2", "s3", "s4", "s5"])
    }

    @Test func tooManyDropoutsVoidTheAttempt() throws {
        #expect(throws: Never.self) { try runRound(dropAfterSharing: ["s1", "s2", "s3"], expectSurvivors: nil) }
    }

    func runRound(dropAfterSharing dropped: Set<String>, expectSurvivors: [String]?) throws {
        let length = 3_000
        let ids = ["s1", "s2", "s3", "s4", "s5"]
        let parameters = try SecureAggregationParameters(vectorLength: length, clipBound: 1, maximumSites: 5, minimumSites: 2)
        var round = try RecoverableSecureAggregationRound(context: Self.context, parameters: parameters, threshold: 3, expectedSites: ids)
        var sites = try ids.enumerated().map { try recoverableSite($1, Self.context, keyByte: UInt8(1 + $0)) }
        var random = SplitMix64(seed: 17)
        let inputs = ids.map { _ in randomVector(length, scale: 0.8, using: &random).map(Double.init) }
        for site in sites { try round.receive(site.advertisement) }
        let bundle = try round.closeKeyCollection()
        for k in sites.indices { try round.receive(shares: sites[k].shareKeys(bundle: bundle, using: &random), from: ids[k]) }
        let deliveries = round.closeShareCollection()
        for k in sites.indices where !dropped.contains(ids[k]) {
            try round.receive(sites[k].maskedUpdate(values: inputs[k], exampleCount: 10 + k, receivedShares: deliveries[ids[k]]!))
        }
        for site in dropped { round.siteDropped(site) }
        guard let request = round.closeUpdateCollection() else {
            #expect(expectSurvivors == nil, "voided unexpectedly: \(round.outcome)")
            if case .voided = round.outcome {} else { Issue.record("expected voided: \(round.outcome)") }
            let rerun = try round.nextAttempt()
            #expect(rerun.expectedSites == ["s4", "s5"] && rerun.context.attempt == 1)
            return
        }
        #expect(request.survivors == expectSurvivors)
        // A dropped site's late vector is refused: its self mask stays secret, so it stays hidden.
        if let late = ids.indices.first(where: { dropped.contains(ids[$0]) }) {
            #expect(throws: SecureAggregationError.self) {
                try round.receive(sites[late].maskedUpdate(values: inputs[late], exampleCount: 1, receivedShares: deliveries[ids[late]]!))
            }
        }
        // The messages of every step survive their wire form.
        let wire = try JSONDecoder().decode(UnmaskingRequest.self, from: JSONEncoder().encode(request))
        #expect(wire == request)
        #expect(try JSONDecoder().decode(RecoverableKeyBundle.self, from: JSONEncoder().encode(bundle)) == bundle)
        let someShare = deliveries.values.first!.first!
        #expect(try JSONDecoder().decode(EncryptedShare.self, from: JSONEncoder().encode(someShare)) == someShare)
        // Survivors answer in reverse order; the result does not depend on it.
        for k in sites.indices.reversed() where request.survivors.contains(ids[k]) {
            let response = try sites[k].unmask(request)
            #expect(try JSONDecoder().decode(UnmaskingResponse.self, from: JSONEncoder().encode(response)) == response)
            try round.receive(response)
            #expect(throws: SecureAggregationError.self) { try sites[k].unmask(request) }
        }
        guard case .complete(let sum) = round.outcome else { Issue.record("expected complete: \(round.outcome)"); return }
        #expect(sum.sites == expectSurvivors)
        let survivorIndices = ids.indices.filter { !dropped.contains(ids[$0]) }
        #expect(sum.exampleCount == survivorIndices.reduce(0) { $0 + 10 + $1 })
        for i in 0..<length {
            let plain = survivorIndices.reduce(0.0) { $0 + inputs[$1][i] }
            #expect(abs(sum.values[i] - plain) <= sum.maximumAbsoluteError)
        }
    }

    @Test func hostileRecoveryMessagesAreDecodingErrors() {
        let context = #"{"jobID":"j","round":1,"attempt":0}"#
        let share = Data(repeating: 1, count: 33).base64EncodedString()
        let shortShare = Data(repeating: 1, count: 32).base64EncodedString()
        let zeroX = (Data([0]) + Data(repeating: 1, count: 32)).base64EncodedString()
        let hostile: [(any Decodable.Type, String)] = [
            (UnmaskingRequest.self, #"{"context":\#(context),"survivors":["a","a"],"dropped":[]}"#),
            (UnmaskingRequest.self, #"{"context":\#(context),"survivors":["a"],"dropped":["a"]}"#),
            (UnmaskingRequest.self, #"{"context":\#(context),"survivors":[""],"dropped":[]}"#),
            (UnmaskingResponse.self, #"{"context":\#(context),"siteID":"a","selfMaskShares":{"b":"\#(shortShare)"},"maskingKeyShares":{}}"#),
            (UnmaskingResponse.self, #"{"context":\#(context),"siteID":"a","selfMaskShares":{"b":"\#(zeroX)"},"maskingKeyShares":{}}"#),
            (UnmaskingResponse.self, #"{"context":\#(context),"siteID":"","selfMaskShares":{"b":"\#(share)"},"maskingKeyShares":{}}"#),
            (EncryptedShare.self, #"{"context":\#(context),"from":"a","to":"b","sealed":"\#(share)"}"#),
            (RecoverableKeyAdvertisement.self, #"{"context":\#(context),"siteID":"a","encryptionKey":"\#(share)","maskingKey":"\#(share)"}"#),
        ]
        for (type, json) in hostile {
            #expect(throws: (any Error).self, "\(json)") { _ = try JSONDecoder().decode(type, from: Data(json.utf8)) }
        }
    }

    @Test func sitesRefuseInconsistentUnmaskingRequests() throws {
        let ids = ["a", "b", "c"]
        let parameters = try SecureAggregationParameters(vectorLength: 10, clipBound: 1, maximumSites: 3, minimumSites: 2)
        var round = try RecoverableSecureAggregationRound(context: Self.context, parameters: parameters, threshold: 2, expectedSites: ids)
        var sites = try ids.enumerated().map { try recoverableSite($1, Self.context, keyByte: UInt8(30 + $0)) }
        var random = SplitMix64(seed: 5)
        for site in sites { try round.receive(site.advertisement) }
        let bundle = try round.closeKeyCollection()
        for k in sites.indices { try round.receive(shares: sites[k].shareKeys(bundle: bundle, using: &random), from: ids[k]) }
        let deliveries = round.closeShareCollection()
        for k in sites.indices {
            _ = try sites[k].maskedUpdate(values: [Double](repeating: 0, count: 10), exampleCount: 1, receivedShares: deliveries[ids[k]]!)
        }
        // A site asked to reveal both the self mask and the masking key of "b" refuses.
        let both = UnmaskingRequest(context: Self.context, survivors: ["a", "b"], dropped: ["b"])
        #expect(throws: SecureAggregationError.self) { try sites[0].unmask(both) }
        let tooFew = UnmaskingRequest(context: Self.context, survivors: ["a"], dropped: ["b", "c"])
        #expect(throws: SecureAggregationError.self) { try sites[0].unmask(tooFew) }
        let notMe = UnmaskingRequest(context: Self.context, survivors: ["b", "c"], dropped: ["a"])
        #expect(throws: SecureAggregationError.self) { try sites[0].unmask(notMe) }
        // A share sealed for another site does not open.
        var stolen = deliveries["b"]!.first { $0.from == "a" }!
        stolen.to = "c"
        var fresh = try recoverableSite("c", Self.context, keyByte: 32)
        _ = try fresh.shareKeys(bundle: bundle, using: &random)
        #expect(throws: SecureAggregationError.self) {
            try fresh.maskedUpdate(values: [Double](repeating: 0, count: 10), exampleCount: 1, receivedShares: [stolen])
        }
    }
}
