#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: every figure of the benchmark, each against a baseline
# measured in the same run, printed as it is taken and written one JSON
# object per line to build/bench/results.jsonl; a table of them at the
# end. Nothing here passes or fails on speed: a part that cannot run
# says why and the others go on. BENCH_QUICK=1 is a short smoke run
# (small counts; its figures mean nothing).
#
#   1. per-packet cost (BPF_PROG_TEST_RUN)         tests/bench
#   2. live throughput and accuracy on the testbed tests/bench_live.sh
#   3. userspace collection and the live view      tests/bench_user.sh
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD BENCH_QUICK=${BENCH_QUICK:-0}
export BENCH_RESULTS=${BENCH_RESULTS:-$BUILD/bench/results.jsonl}
if [ "$(id -u)" -ne 0 ]; then
	echo "bench needs root (BPF): sudo make bench" >&2
	exit 1
fi
mkdir -p "$(dirname "$BENCH_RESULTS")"
: >"$BENCH_RESULTS"

failed=()
part()
{
	local what=$1 t0=$SECONDS
	shift
	echo "== $what"
	"$@" || failed+=("$what")
	echo "   ($((SECONDS - t0)) s)"
}

start=$SECONDS
part "per-packet cost, ns added to a bare XDP program" "$BUILD"/tests/bench
part "live throughput and accuracy" tests/bench_live.sh
part "userspace collection and the live view" tests/bench_user.sh

echo
echo "== results ($BENCH_RESULTS), $(nproc) CPUs, $(uname -r), $((SECONDS - start)) s"
python3 - "$BENCH_RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def num(v):
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)
print(f"| {'name':34} | {'value':>10} | {'unit':8} | baseline |")
print(f"|{'-'*36}|{'-'*12}|{'-'*10}|----------|")
for r in rows:
    base = f"{r['baseline']} = {num(r['baseline_value'])}" if r.get("baseline") else ""
    print(f"| {r['name']:34} | {num(r['value']):>10} | {r['unit']:8} | {base} |")
PY
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench: parts that did not finish: ${failed[*]}" >&2
	exit 1
fi
