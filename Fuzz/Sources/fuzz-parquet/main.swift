import CLibFuzzer
import Foundation
import MimeoFuzzing

// libFuzzer driving the `parquet` harness (FuzzHarness.parquet); takes libFuzzer's usual arguments.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    _ = FuzzHarness.parquet.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
