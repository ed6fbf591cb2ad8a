#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The libFuzzer targets ($BUILD/fuzz/NAME_fuzz, from tests/fuzz/): each
# runs its seeds (tests/fuzz/corpus/NAME) once, then fuzzes for
# FUZZ_SECONDS (default 20; `make fuzz`: 60) under ASan and UBSan, and
# must find nothing. New inputs go to a temporary corpus, so the seeds
# stay as they are; a crashing input is kept in $BUILD/fuzz/ to replay:
#   $BUILD/fuzz/NAME_fuzz $BUILD/fuzz/crash-...
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
seconds=${FUZZ_SECONDS:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fuzzers=(tests/fuzz/*_fuzz.c)
[ -e "${fuzzers[0]}" ] || { echo "not ok - fuzz targets exist"; exit 1; }

for src in "${fuzzers[@]}"; do
	name=$(basename "$src" _fuzz.c)
	bin=$BUILD/fuzz/${name}_fuzz
	seeds=tests/fuzz/corpus/$name
	dict=tests/fuzz/$name.dict
	need_built "$bin"
	opts=(-artifact_prefix="$BUILD/fuzz/" -timeout=10 -rss_limit_mb=2048)
	[ -f "$dict" ] && opts+=(-dict="$dict")

	if "$bin" "${opts[@]}" -runs=0 "$seeds" >"$tmp/seeds.log" 2>&1; then
		ok "fuzz $name: the $(ls "$seeds" | wc -l) seeds run clean"
	else
		fail "fuzz $name: the seeds run clean" "$(tail -30 "$tmp/seeds.log")"
		continue
	fi
	mkdir -p "$tmp/$name"
	if "$bin" "${opts[@]}" -max_total_time="$seconds" "$tmp/$name" "$seeds" \
	     >"$tmp/fuzz.log" 2>&1; then
		ok "fuzz $name: $seconds s, $(grep -o 'Done [0-9]* runs' \
			"$tmp/fuzz.log" | cut -d' ' -f2) inputs, nothing found"
	else
		# the broken rule (MUST) or the sanitizer's report, then where
		# the input is
		fail "fuzz $name: $seconds s find nothing" \
		     "$(grep -m1 '_fuzz\.c:[0-9]*: ' "$tmp/fuzz.log")" \
		     "$(grep -m1 -A12 '^==[0-9]*==' "$tmp/fuzz.log" ||
			tail -20 "$tmp/fuzz.log")" \
		     "$(grep -o 'Test unit written to .*' "$tmp/fuzz.log")"
	fi
done
exit $failed
