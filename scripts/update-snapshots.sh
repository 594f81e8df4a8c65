#!/bin/sh
# Regenerates tests/snapshots/: what `maskviz run` and `maskviz diff` print for every bundled scenario
# (scenarios/*.json, tests/golden/*.scenario.json as golden-NAME, and tests/scenarios/*.scenario.json as
# case-NAME), with NO_COLOR=1 and --width 100,
# run from the repository root. tests/text_render_test.cpp compares them byte for byte, so a change in
# the output is a change someone looked at: run this script, then read `git diff tests/snapshots`.
#
#   scripts/update-snapshots.sh            builds maskviz in build/ if needed
#   MASKVIZ_BUILD_DIR=build-x scripts/update-snapshots.sh
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${MASKVIZ_BUILD_DIR:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
width=100  # keep in step with kSnapshotWidth in tests/text_render_test.cpp

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target maskviz >/dev/null
maskviz=$build/maskviz

out=$root/tests/snapshots
mkdir -p "$out"
rm -f "$out"/*.run.txt "$out"/*.diff.txt

cd "$root"
snapshot() {  # snapshot SCENARIO NAME
  NO_COLOR=1 "$maskviz" run "$1" --width "$width" >"$out/$2.run.txt"
  status=0
  NO_COLOR=1 "$maskviz" diff "$1" --width "$width" >"$out/$2.diff.txt" || status=$?
  if [ "$status" -gt 1 ]; then
    echo "maskviz diff $1 failed with status $status" >&2
    exit 1
  fi
}

count=0
for scenario in scenarios/*.json; do
  [ -e "$scenario" ] || continue
  snapshot "$scenario" "$(basename "$scenario" .json)"
  count=$((count + 1))
done
for scenario in tests/golden/*.scenario.json; do
  [ -e "$scenario" ] || continue
  snapshot "$scenario" "golden-$(basename "$scenario" .scenario.json)"
  count=$((count + 1))
done
# The test scenarios without a description (tests/scenarios/), as a cold reader meets a model of their own.
for scenario in tests/scenarios/*.scenario.json; do
  [ -e "$scenario" ] || continue
  snapshot "$scenario" "case-$(basename "$scenario" .scenario.json)"
  count=$((count + 1))
done
echo "wrote the run and diff snapshots of $count scenarios to tests/snapshots/"
