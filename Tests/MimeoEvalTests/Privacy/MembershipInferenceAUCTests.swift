import Testing

@testable import MimeoEval

@Suite struct MembershipInferenceAUCTests {
    @Test func closerMembersGiveHighAUC() {
        #expect(MembershipInferenceAUC.compute(memberDistances: [0, 0.1], nonMemberDistances: [0.5, 0.7]) == 1)
        #expect(MembershipInferenceAUC.compute(memberDistances: [0.5, 0.7], nonMemberDistances: [0, 0.1]) == 0)
        #expect(MembershipInferenceAUC.compute(memberDistances: [1, 1], nonMemberDistances: [1, 1]) == 0.5)
        // Member scores -0.2, -0.4 vs non-member -0.3, -0.4: pairs won 1 + 0.5 (tie) + 1 + 0 = 2.5 of 4.
        #expect(MembershipInferenceAUC.compute(memberDistances: [0.2, 0.4], nonMemberDistances: [0.3, 0.4]) == 0.625)
        #expect(MembershipInferenceAUC.compute(memberDistances: [], nonMemberDistances: [1]) == nil)
    }
}
