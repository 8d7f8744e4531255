import CLibFuzzer
import Foundation
import MimeoFuzzing

// libFuzzer driving the `wire` harness (FuzzHarness.wire); takes libFuzzer's usual arguments.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    _ = FuzzHarness.wire.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
