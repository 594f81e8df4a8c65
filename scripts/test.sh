#!/usr/bin/env bash
# The second command of the README's quick start, and what CI runs (.ci/run): installs what is missing,
# builds, runs the whole test suite, then builds it again with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/) and runs the whole suite under them.
#   scripts/test.sh            both suites
#   scripts/test.sh --quick    the plain suite only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${MASKVIZ_JOBS:-2}"
"$root/scripts/setup.sh" all

echo
echo "== test suite (build/)"
ctest --test-dir "$root/build" --output-on-failure -j"$jobs"
[ "${1:-}" = --quick ] && exit 0

echo
echo "== test suite under AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/)"
# -O1 without NDEBUG: Eigen's bounds assertions and the library's checked containers stay on.
# Native instructions as in build/, so that Eigen picks the same product kernels.
cmake -S "$root" -B "$root/build-asan" --log-level=WARNING -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -D_GLIBCXX_ASSERTIONS" \
  -DMASKVIZ_SANITIZE=ON -DMASKVIZ_NATIVE=ON -DMASKVIZ_BUILD_BENCH=OFF
cmake --build "$root/build-asan" -j"$jobs"
# Every test, the byte-for-byte snapshots of printed output included: with -ffp-contract=off throughout
# (CMakeLists.txt) no build fuses a multiply and add of its own accord, so a value on a 4-decimal rounding
# tie (golden masking-simplernn's x_t·W = -0.30545) prints the same here as in build/ and in a portable
# build (checked: every run and diff snapshot identical in all three).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j"$jobs"
