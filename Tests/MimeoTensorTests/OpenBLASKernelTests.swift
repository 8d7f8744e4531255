import MimeoTensor
import Testing

@Suite struct OpenBLASKernelTests {
    static let avx512: Set<String> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]

    @Test func prefersSkylakeXWhenAllAVX512SubsetsArePresent() {
        #expect(OpenBLASKernel.preferredCoreType(flags: Self.avx512) == "SkylakeX")
    }

    @Test func fallsBackToHaswellWhenAnAVX512SubsetIsMissing() {
        var flags = Self.avx512
        flags.remove("avx512cd")
        #expect(OpenBLASKernel.preferredCoreType(flags: flags) == "Haswell")
    }

    @Test func keepsTheDefaultWithoutAVX2AndFMA() {
        #expect(OpenBLASKernel.preferredCoreType(flags: ["sse2", "avx", "avx2"]) == nil)
        #expect(OpenBLASKernel.preferredCoreType(flags: ["sse2", "avx", "fma"]) == nil)
        #expect(OpenBLASKernel.preferredCoreType(flags: []) == nil)
    }

    @Test func reexecutesOnlyWhenNothingForbidsItAndTheKernelIsBetter() {
        let decide = { (environment: [String: String], core: String) in
            OpenBLASKernel.reexecCoreType(environment: environment, flags: Self.avx512, currentCore: core)
        }
        #expect(decide([:], "Prescott") == "SkylakeX")
        #expect(decide([:], "Haswell") == "SkylakeX")
        #expect(decide([:], "SkylakeX") == nil)
        #expect(decide([:], "COOPERLAKE") == nil)
        #expect(decide(["OPENBLAS_CORETYPE": "Haswell"], "Haswell") == nil)
        #expect(decide(["MIMEO_NO_REEXEC": "1"], "Prescott") == nil)
        #expect(decide(["MIMEO_REEXEC": "1"], "Prescott") == nil, "loop guard")
        #expect(OpenBLASKernel.reexecCoreType(environment: [:], flags: ["avx2", "fma"], currentCore: "Prescott") == "Haswell")
        #expect(OpenBLASKernel.reexecCoreType(environment: [:], flags: ["avx2", "fma"], currentCore: "Haswell") == nil)
        #expect(OpenBLASKernel.reexecCoreType(environment: [:], flags: ["sse2"], currentCore: "Prescott") == nil)
    }
}
