#!/usr/bin/env bash
# The first command of the README's quick start: installs only what building maskviz needs (what is
# missing of scripts/packages-build.txt), builds only the maskviz target, and runs a bundled
# scenario, the forum's LSTM with its padded steps.
#   scripts/quickstart.sh [SCENARIO]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh" tool
scenario="${1:-$root/scenarios/02-forum-lstm.json}"
echo
echo "\$ build/maskviz run ${scenario#"$root"/}"
exec "$root/build/maskviz" run "$scenario"
