#!/usr/bin/env bash
# Makes a Debian/Ubuntu machine ready to build maskviz, then builds it into build/ (Release).
#   scripts/setup.sh
# Installs only what is missing from scripts/packages-build.txt and scripts/packages-test.txt (through
# sudo when not root; nothing, and no apt-get update, when everything is there). Safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${MASKVIZ_JOBS:-2}"

# Every package named in the lists, comments and blank lines left out.
wanted=()
for list in "$root/scripts/packages-build.txt" "$root/scripts/packages-test.txt"; do
  [ -f "$list" ] || continue
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
      exit 1
    fi
    as_root=(sudo)
  fi
  # Never wait for an answer: CI has no standard input.
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq update </dev/null
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" </dev/null >/dev/null
fi

cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release --log-level=WARNING
cmake --build "$root/build" -j"$jobs"
