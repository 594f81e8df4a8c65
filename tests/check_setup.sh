#!/usr/bin/env bash
# The README's two commands on a machine where every package is missing, with apt-get, dpkg-query,
# cmake, sleep and id replaced by stubs that record what they were asked: the first command must install only
# the build packages and build only the maskviz target; the second everything; both must wait for the
# package manager's lock rather than fail. Exit 0 when all holds, 1 with the reason otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
log="$work/log"
for tool in apt-get cmake; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$log" >"$work/bin/$tool"
done
# The first `apt-get update` fails as it does while an upgrade holds the lists lock.
cat >"$work/bin/apt-get" <<STUB
#!/bin/sh
echo "apt-get \$*" >>"$log"
case "\$*" in *update*) [ -e "$work/updated-once" ] && exit 0; touch "$work/updated-once"; exit 100 ;; esac
STUB
printf '#!/bin/sh\nexit 1\n' >"$work/bin/dpkg-query"   # nothing is installed
printf '#!/bin/sh\nexit 0\n' >"$work/bin/sleep"
printf '#!/bin/sh\necho 0\n' >"$work/bin/id"   # as root: never the real apt-get through sudo
chmod +x "$work/bin"/*

fail() { echo "check_setup: $*" >&2; echo "--- what the stubs were asked:" >&2; cat "$log" >&2; exit 1; }
packages() { grep -v '^#' "$1" | sed 's/#.*//' | tr -s ' \n' ' ' | sed 's/^ //;s/ $//'; }
build_list="$(packages "$root/scripts/packages-build.txt")"
test_list="$(packages "$root/scripts/packages-test.txt")"

: >"$log"
PATH="$work/bin:$PATH" "$root/scripts/setup.sh" tool >/dev/null 2>&1 || fail "setup.sh tool failed"
install="$(grep ' install ' "$log")" || fail "tool: nothing installed"
for p in $build_list; do [[ " $install " == *" $p "* ]] || fail "tool: $p not installed"; done
for p in $test_list; do [[ " $install " == *" $p "* ]] && fail "tool: installs $p, which only the tests need"; done
grep -q -- '--target maskviz' "$log" || fail "tool: builds more than the maskviz target"
grep -q -- '-DMASKVIZ_BUILD_TESTS=OFF' "$log" || fail "tool: configures the tests"
[ "$(grep -c ' update' "$log")" -eq 2 ] || fail "tool: a failed apt-get update was not tried again"
grep ' install ' "$log" | grep -q 'DPkg::Lock::Timeout=' || fail "tool: apt-get install does not wait for the lock"

: >"$log"
rm -f "$work/updated-once"
PATH="$work/bin:$PATH" "$root/scripts/setup.sh" all >/dev/null 2>&1 || fail "setup.sh all failed"
install="$(grep ' install ' "$log")" || fail "all: nothing installed"
for p in $build_list $test_list; do [[ " $install " == *" $p "* ]] || fail "all: $p not installed"; done
grep -q -- '--target' "$log" && fail "all: builds one target only"
grep -q -- '-DMASKVIZ_BUILD_TESTS=ON' "$log" || fail "all: does not configure the tests"
grep -q 'setup.sh" tool' "$root/scripts/quickstart.sh" || fail "quickstart.sh does not run setup.sh tool"
grep -q 'setup.sh" all' "$root/scripts/test.sh" || fail "test.sh does not run setup.sh all"
echo "check_setup: both commands install and build what they should"
