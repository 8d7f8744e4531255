#!/usr/bin/env bash
# Runs the libFuzzer harnesses built by `make fuzz` (docs/fuzzing.md).
# Usage: Fuzz/run.sh SECONDS HARNESS...   (environment: FUZZ_BUILD, FUZZ_JOBS)
# Each harness runs for SECONDS in libFuzzer's fork mode, so that a crash is saved and fuzzing goes on.
# Its working corpus grows in $FUZZ_BUILD/corpus/<harness>/ (kept between runs, not committed); the
# committed seeds in Fuzz/corpus/<harness>/ are read, never written. New crashing inputs are saved in
# Fuzz/crashes/<harness>/ and each is replayed once to print the error and the top Mimeo frames; one
# with the same bytes as a file in Fuzz/pending/<harness>/ is a known crash, and is removed.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=$1; shift
build=${FUZZ_BUILD:-.build-fuzz}
jobs=${FUZZ_JOBS:-1}
# The Swift runtime's backtracer does not work under AddressSanitizer; libFuzzer prints the stack.
export SWIFT_BACKTRACE=enable=no

max_len() {
    case $1 in
        model-file|parquet) echo 65536 ;;
        where) echo 1024 ;;
        *) echo 4096 ;;
    esac
}

# Swift symbol names made readable, when the toolchain is on PATH.
demangle() {
    if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi
}

summary=()
for harness in "$@"; do
    binary=$build/release/fuzz-$harness
    corpus=$build/corpus/$harness
    crashes=Fuzz/crashes/$harness
    log=$build/logs/$harness.log
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    dict=()
    [ -f "Fuzz/dict/$harness.dict" ] && dict=("-dict=Fuzz/dict/$harness.dict")
    before=$(ls "$crashes" | sort)
    echo "== fuzz-$harness for ${seconds}s (log: $log)"
    "$binary" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$(max_len "$harness")" \
        "${dict[@]}" -artifact_prefix="$crashes/" "$corpus" "Fuzz/corpus/$harness" >"$log" 2>&1
    status=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
    runs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$status")
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$status")
    rate=$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$status")
    found=$(sed -nE 's/.* oom\/timeout\/crash: ([0-9\/]+).*/\1/p' <<<"$status")
    new=$(comm -13 <(echo "$before") <(ls "$crashes" | sort) | grep -v '^$' || true)
    count=$(grep -c . <<<"$new" || true)
    echo "   executions ${runs:-?}, ${rate:-?} exec/s, coverage ${cov:-?} edges, corpus $(ls "$corpus" | wc -l) files, oom/timeout/crash ${found:-?}, ${count} new file(s) in $crashes/"
    for file in $new; do
        known=$(for p in Fuzz/pending/"$harness"/*; do [ -f "$p" ] && cmp -s "$p" "$crashes/$file" && echo "$p"; done | head -1)
        if [ -n "$known" ]; then
            echo "   -- $crashes/$file: the same bytes as $known (known, pending); removed"
            rm "$crashes/$file"
            count=$((count - 1))
            continue
        fi
        echo "   -- $crashes/$file"
        "$binary" -rss_limit_mb=2048 -timeout=10 "$crashes/$file" 2>&1 |
            grep -E 'Fatal error|runtime failure|ERROR: AddressSanitizer|/Sources/Mimeo' |
            grep -vE '^ *#[0-9]+ 0x[0-9a-f]+ in \$s[^ ]* /<compiler-generated>' | head -4 | demangle |
            sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ in //; s/^/      /'
    done
    summary+=("fuzz-$harness: ${runs:-?} executions, ${rate:-?} exec/s, cov ${cov:-?}, oom/timeout/crash ${found:-?}, ${count} new crash file(s)")
done
echo
echo "== summary (${seconds}s each)"
printf '   %s\n' "${summary[@]}"
