#!/usr/bin/env bash
# make bench: print the benchmark figures (nothing here passes or fails
# on speed). Data plane first, then the userspace benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ "$(id -u)" -ne 0 ]; then
	echo "bench needs root (BPF): sudo make bench" >&2
	exit 1
fi
"$BUILD"/tests/bench
tests/bench_ui.sh
