#!/usr/bin/env bash
# Builds the libFuzzer target and runs it on one core.
#   fuzz/run.sh [SECONDS]          (default 660)
# Seeds the corpus with every test and bundled scenario; crashes land in build-fuzz/findings/.
# A finding, once fixed, goes into fuzz/regressions/ so that the test suite replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-660}"
build=build-fuzz
if ! command -v clang++ >/dev/null; then
  echo "fuzz/run.sh: needs clang++ with its libFuzzer runtime: apt-get install clang libclang-rt-14-dev" >&2
  exit 1
fi

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DMASKVIZ_FUZZ=ON \
  -DMASKVIZ_NATIVE=OFF -DMASKVIZ_BUILD_TESTS=OFF -DMASKVIZ_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target fuzz_load -j1

mkdir -p "$build/corpus" "$build/findings"
for seed in tests/golden/*.scenario.json scenarios/*.json fuzz/regressions/*; do
  [ -f "$seed" ] && cp "$seed" "$build/corpus/"
done

ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  "$build/fuzz/fuzz_load" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=8192 -timeout=10 \
  -dict=fuzz/scenario.dict -artifact_prefix="$build/findings/" -print_final_stats=1 \
  "$build/corpus"
