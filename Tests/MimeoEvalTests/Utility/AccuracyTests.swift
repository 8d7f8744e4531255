import Testing

@testable import MimeoEval

@Suite struct AccuracyTests {
    @Test func shareOfRightPredictions() {
        #expect(Accuracy.compute(predicted: ["a", "b", "b"], actual: ["a", "b", "a"]) == 2.0 / 3)
        #expect(Accuracy.compute(predicted: [Int](), actual: []) == nil)
    }
}
