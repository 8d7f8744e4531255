import MimeoTensor
import Testing

@Suite struct CPUFeaturesTests {
    static let twoProcessors = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        model name\t: Intel(R) Xeon(R) Processor
        flags\t\t: fpu sse sse2 avx avx2 fma avx512f
        bugs\t\t: spectre_v1

        processor\t: 1
        vendor_id\t: GenuineIntel
        flags\t\t: fpu sse sse2 avx avx2 fma
        vmx flags\t: vnmi preemption_timer

        """

    @Test func keepsFlagsCommonToAllProcessors() {
        let features = CPUFeatures(cpuinfo: Self.twoProcessors)
        #expect(features.flags == ["fpu", "sse", "sse2", "avx", "avx2", "fma"])
        #expect(features.contains("avx2"))
        #expect(!features.contains("avx512f"))
        #expect(!features.contains("vnmi"), "the `vmx flags` line is not the `flags` line")
    }

    @Test func textWithoutFlagsGivesNoFlags() {
        #expect(CPUFeatures(cpuinfo: "").flags.isEmpty)
        #expect(CPUFeatures(cpuinfo: "processor : 0\nBogoMIPS : 100\n").flags.isEmpty)
    }

    #if os(Linux)
    @Test func readsThisMachine() {
        #expect(CPUFeatures.current().contains("fpu"))
    }
    #endif
}
