#!/usr/bin/env bash
# Makes a Debian/Ubuntu machine ready to build maskviz, then builds it into build/ (Release).
#   scripts/setup.sh tool   what building maskviz needs (scripts/packages-build.txt), and the maskviz
#                           target alone: the README's first command, the shortest way to a first output
#   scripts/setup.sh all    also what the tests and benchmarks need (scripts/packages-test.txt), and
#                           every target: the second command and CI
# Installs only what is missing (through sudo when not root; nothing, and no apt-get update, when everything
# is there), and waits for another apt or dpkg (a fresh machine's unattended upgrade) instead of failing.
# Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${MASKVIZ_JOBS:-2}"
what="${1:-all}"
case "$what" in
  tool) lists=("$root/scripts/packages-build.txt") ;;
  all) lists=("$root/scripts/packages-build.txt" "$root/scripts/packages-test.txt") ;;
  *) echo "setup: usage: scripts/setup.sh tool|all" >&2; exit 2 ;;
esac

# Every package named in the lists, comments and blank lines left out.
wanted=()
for list in "${lists[@]}"; do
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    for package in $line; do wanted+=("$package"); done
  done <"$list"
done

# `dpkg -s` also succeeds for a removed package whose config files remain: ask for "installed" itself.
missing=()
for package in "${wanted[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)"
  [ "$status" = installed ] || missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "setup: these packages are missing and sudo is not available: ${missing[*]}" >&2
      echo "setup: install them as root (apt-get install ${missing[*]}), then run this again" >&2
      exit 2
    fi
    as_root=(sudo)
  fi
  # Never wait for an answer (CI has no standard input), but do wait up to 10 minutes for the dpkg lock
  # that a running upgrade holds. `apt-get update` takes the lists lock, which that option does not
  # cover in every apt version: try it again while another apt holds it.
  apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
  for attempt in $(seq 60); do
    "${apt[@]}" -qq update </dev/null && break
    [ "$attempt" -eq 60 ] && { echo "setup: apt-get update kept failing" >&2; exit 2; }
    echo "setup: apt-get update failed (another apt running?); trying again in 10 s" >&2
    sleep 10
  done
  "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

if [ "$what" = tool ]; then
  # Tests and benchmarks off: their packages (GoogleTest, Google Benchmark) may not be there yet.
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release --log-level=WARNING \
    -DMASKVIZ_BUILD_TESTS=OFF -DMASKVIZ_BUILD_BENCH=OFF
  cmake --build "$root/build" -j"$jobs" --target maskviz
else
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release --log-level=WARNING \
    -DMASKVIZ_BUILD_TESTS=ON -DMASKVIZ_BUILD_BENCH=ON
  cmake --build "$root/build" -j"$jobs"
fi
