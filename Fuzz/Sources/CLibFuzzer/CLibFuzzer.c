// Declarations only (include/CLibFuzzer.h): the functions are in the toolchain's libFuzzer, linked by
// -sanitize=fuzzer. SwiftPM needs one source file per C target.
#include "CLibFuzzer.h"
