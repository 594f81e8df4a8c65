#!/bin/bash
# Measures the README's time to first output on a machine that has never seen the project: a minimal
# Debian 12 made by debootstrap (no compiler, no CMake), a fresh clone of this repository in it, then
# ./scripts/quickstart.sh timed from its start to the scenario's output. Needs root, debootstrap and
# network access to deb.debian.org; the chroot is kept in DIR (default /tmp/maskviz-first-output) and
# reused, pristine, on the next run.
#   bench/first-output.sh [DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-/tmp/maskviz-first-output}"
mkdir -p "$dir"
if [ ! -d "$dir/pristine" ]; then
  debootstrap --variant=minbase bookworm "$dir/pristine" http://deb.debian.org/debian >/dev/null
  cp /etc/resolv.conf "$dir/pristine/etc/resolv.conf"
fi
rm -rf "$dir/root"
cp -a "$dir/pristine" "$dir/root"
git clone -q "$repo" "$dir/root/root/maskviz"
mount -t proc proc "$dir/root/proc"
trap 'umount "$dir/root/proc"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
chroot "$dir/root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c 'cd /root/maskviz && time ./scripts/quickstart.sh' >"$dir/output.txt" 2>&1
end=$(date +%s.%N)
echo "first output after $(echo "$end - $start" | bc) s (output and the shell's time in $dir/output.txt)"
tail -3 "$dir/output.txt"
