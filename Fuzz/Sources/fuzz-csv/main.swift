import CLibFuzzer
import Foundation
import MimeoFuzzing

// libFuzzer driving the `csv` harness (FuzzHarness.csv); takes libFuzzer's usual arguments.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    _ = FuzzHarness.csv.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
