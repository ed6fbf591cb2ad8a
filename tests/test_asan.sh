#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check-asan (and make test): flowstat, flowgen and the C suites
# built with ASan and UBSan (make asan, into $BUILD/asan), then run:
# every C suite (the BPF packet suites too), test_cli.sh, and dump,
# watch, the live view's batch mode and the agent on an attached testbed
# interface with traffic (cmdrun.sh).
# One case per suite and per command: it fails on its own failures and
# on any ASan, UBSan or LSan report, which every sanitized process
# writes to a file of its own in one folder (log_path).
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
PLAIN=$BUILD
ASAN=$BUILD/asan
P=fsan$$
tmp=$(mktemp -d)
need_tools jq curl ss
FS=$ASAN/flowstat
GEN=$ASAN/flowgen
CHECKER=ASan+UBSan
RUN=()
SLOW=30
source tests/cmdrun.sh
mkdir -p "$tmp/san" "$tmp/seen"
export ASAN_OPTIONS="log_path=$tmp/san/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$tmp/san/ubsan:print_stacktrace=1:halt_on_error=1"

# reports NAME: the sanitizer reports written since the last call (their
# heads on stdout, return 1); they are kept in $tmp/seen
reports()
{
	local f
	f=$(find "$tmp/san" -type f | sort)
	[ -z "$f" ] && return 0
	head -n 40 $f
	mkdir -p "$tmp/seen/$1"
	mv $f "$tmp/seen/$1/"
	return 1
}

if ! make -s --no-print-directory BUILD="$PLAIN" asan >"$tmp/build" 2>&1; then
	fail "ASan+UBSan build (make asan)" "$(tail -n 30 "$tmp/build")"
	exit 1
fi
ok "ASan+UBSan build (make asan)"

# suite NAME CMD...: CMD's own cases as comments, one case for it all
suite()
{
	local name=$1 rc why= found s=$SECONDS
	shift
	"$@" >"$tmp/$name.err" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/$name.err"
	grep -q '^not ok' "$tmp/$name.err" && why="its cases failed"
	[ "$rc" -ne 0 ] && why+=" (exit $rc)"
	found=$(reports "$name") || why+=" sanitizer reports: $found"
	if [ -n "$why" ]; then
		fail "$name under $CHECKER" "$why"
	else
		ok "$name under $CHECKER ($(grep -c '^ok' "$tmp/$name.err") cases, $((SECONDS - s)) s)"
	fi
}

# Every C suite, the packet suites too: their BPF programs are out of
# the sanitizers' reach, but the folds, the store and the collector
# they drive are not (bpf_packet_test: 23 s under ASan).
for t in "$ASAN"/tests/*_test; do
	suite "$(basename "$t")" "$t"
done
suite test_cli env BUILD="$ASAN" tests/test_cli.sh

cmdrun_all
exit $failed
