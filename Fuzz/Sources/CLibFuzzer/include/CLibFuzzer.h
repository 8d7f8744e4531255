#ifndef MIMEO_CLIBFUZZER_H
#define MIMEO_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, FuzzerInterface.h), for harnesses that have a `main` of their own:
/// SwiftPM gives every executable one, so libFuzzer's own `main` is not linked in.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
