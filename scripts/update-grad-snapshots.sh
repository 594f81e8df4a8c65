#!/bin/sh
# Regenerates tests/snapshots-grad/: what `maskviz grad` prints for every bundled scenario with a loss
# (scenarios/*.json, tests/golden-grad/*.scenario.json as golden-grad-NAME, tests/scenarios/*.scenario.json
# as case-NAME), with NO_COLOR=1 and
# --width 100, run from the repository root. tests/grad_text_test.cpp compares them byte for byte, so a
# change in the output is a change someone looked at: run this script, then read `git diff tests/snapshots-grad`.
#
#   scripts/update-grad-snapshots.sh       builds maskviz in build/ if needed
#   MASKVIZ_BUILD_DIR=build-x scripts/update-grad-snapshots.sh
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${MASKVIZ_BUILD_DIR:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
width=100  # keep in step with kGradSnapshotWidth in tests/grad_text_test.cpp

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target maskviz >/dev/null
maskviz=$build/maskviz

out=$root/tests/snapshots-grad
mkdir -p "$out"
rm -f "$out"/*.grad.txt

cd "$root"
count=0
for scenario in scenarios/*.json tests/golden-grad/*.scenario.json tests/scenarios/*.scenario.json; do
  [ -e "$scenario" ] || continue
  grep -q '"loss"' "$scenario" || continue
  case $scenario in
    tests/golden-grad/*) name="golden-grad-$(basename "$scenario" .scenario.json)" ;;
    tests/scenarios/*) name="case-$(basename "$scenario" .scenario.json)" ;;
    *) name=$(basename "$scenario" .json) ;;
  esac
  NO_COLOR=1 "$maskviz" grad "$scenario" --width "$width" >"$out/$name.grad.txt"
  count=$((count + 1))
done
echo "wrote the grad snapshots of $count scenarios to tests/snapshots-grad/"
