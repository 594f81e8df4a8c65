#!/bin/sh
# Regenerates docs/images/html-*.png: `maskviz html` pages of a few bundled scenarios, rendered by
# headless Chromium (Debian's chromium), as the README and the docs show them. Like the doc excerpts,
# the pictures come from the code: after a change to the page, run this and look at `git diff --stat`.
#
#   scripts/update-screenshots.sh            builds maskviz in build/ if needed
#   MASKVIZ_BUILD_DIR=build-x CHROMIUM=chromium-headless-shell scripts/update-screenshots.sh
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${MASKVIZ_BUILD_DIR:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
chromium=${CHROMIUM:-chromium}
command -v "$chromium" >/dev/null || { echo "error: $chromium not found (apt-get install chromium)" >&2; exit 2; }

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target maskviz >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
shoot() {  # shoot SCENARIO NAME HEIGHT [maskviz html options...]
  scenario=$1 name=$2 height=$3
  shift 3
  "$build/maskviz" html "$scenario" -o "$work/$name.html" "$@"
  # No network, no first-run or background work, a fresh profile: the flags a headless root run needs here.
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile-$name" \
    --window-size=1200,"$height" --screenshot="$root/docs/images/$name.png" "file://$work/$name.html" \
    >/dev/null 2>&1
  echo "docs/images/$name.png"
}
shoot scenarios/02-forum-lstm.json html-02-forum-lstm 1900
shoot scenarios/03-forum-loss.json html-03-forum-loss 1850
shoot scenarios/11-batch-of-lengths.json html-11-batch-of-lengths 2400
shoot scenarios/15a-forum-lstm-gradients.json html-15a-gradients 2550 --layer lstm
