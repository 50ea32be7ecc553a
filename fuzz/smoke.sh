#!/usr/bin/env bash
# Builds every cargo-fuzz target and fuzzes each for a bounded time, failing on the first crash
# (a broken invariant, a panic, a timeout or too much memory). `.ci/run` calls it; run it locally
# the same way: `bash fuzz/smoke.sh [seconds per target]` (default: $FUZZ_SECONDS, else 10: with
# 15 targets that keeps the step near 3 minutes on top of the build).
# New corpus entries go to a scratch directory that is removed afterwards; a crash input stays
# in fuzz/artifacts/<target>/ (see fuzz/README.md for what to do with it).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${FUZZ_SECONDS:-10}}
root=$PWD

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --version 0.13.2 --locked
fi
# cargo-fuzz hands rustc nightly flags (-Zsanitizer, the sanitizer-coverage passes), which the
# stable toolchain accepts only with RUSTC_BOOTSTRAP=1. It is set for these commands only:
# cargo tracks it, so setting it for the whole run would rebuild everything else.
fuzz() { RUSTC_BOOTSTRAP=1 cargo fuzz "$@"; }

fuzz build --features libfuzzer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in $(cargo fuzz list); do
    mkdir -p "$work/corpus/$target"
    log="$work/$target.log"
    # The scratch directory comes first: libFuzzer writes new inputs into the first one only,
    # so the checked-in corpus is read, never changed.
    if ! fuzz run --features libfuzzer "$target" "$work/corpus/$target" "$root/fuzz/corpus/$target" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -dict="$root/fuzz/dict/oauth.dict" \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $target FAILED; its input is in fuzz/artifacts/$target/ (fuzz/README.md says what next)"
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    new=$(sed -n 's/^stat::new_units_added: *//p' "$log")
    printf 'fuzz: %-13s %3ss %9s runs %6s new inputs  ok\n' "$target" "$secs" "$runs" "$new"
done
