#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench, userspace: the cost of reading flows into the store and the
# collector at 1,000,000 flows, and the memory per flow (tests/bench_collect,
# BENCH_QUICK=1: 50,000 flows), then the live view (tests/bench_ui.sh).
# Prints figures; exits non-zero only when a part could not run.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BENCH_RESULTS=${BENCH_RESULTS:-$BUILD/bench/results.jsonl}
mkdir -p "$(dirname "$BENCH_RESULTS")"
status=0
echo "-- collection"
"$BUILD"/tests/bench_collect || status=1
echo "-- the live view"
tests/bench_ui.sh || status=1
exit $status
