import Testing

@testable import MimeoEval

@Suite struct DCRShareTests {
    @Test func tiesCountOneHalf() throws {
        let result = try #require(DCRShare.compute(toTrain: [0, 1, 2, 5], toHoldout: [1, 1, 1, 5]))
        #expect(result.share == (1 + 0.5 * 2) / 4)
        #expect(result.ties == 0.5)
    }

    @Test func noRowsNoShare() {
        #expect(DCRShare.compute(toTrain: [], toHoldout: []) == nil)
    }
}
