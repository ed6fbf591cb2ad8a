# SPDX-License-Identifier: GPL-2.0
# Sourced by the make bench scripts: one figure per call, appended as a
# JSON line to $BENCH_RESULTS (build/bench/results.jsonl) and printed.
#
# bench_record NAME VALUE UNIT [BASELINE BASELINE_VALUE]
#   VALUE and BASELINE_VALUE are numbers, or "null" when a figure could
#   not be taken (the row then says why on stderr, not here).
BENCH_RESULTS=${BENCH_RESULTS:-${BUILD:-build}/bench/results.jsonl}

bench_record()
{
	local name=$1 value=$2 unit=$3 base=${4:-} bval=${5:-null}
	local bjson=null
	mkdir -p "$(dirname "$BENCH_RESULTS")"
	[ -n "$base" ] && bjson="\"$base\""
	[ -z "$value" ] && value=null
	[ -z "$bval" ] && bval=null
	printf '{"name":"%s","value":%s,"unit":"%s","baseline":%s,"baseline_value":%s}\n' \
		"$name" "$value" "$unit" "$bjson" "$bval" >>"$BENCH_RESULTS"
	printf '  %-36s %14s %-10s %s\n' "$name" "$value" "$unit" \
		"${base:+(baseline $base: $bval)}"
}
