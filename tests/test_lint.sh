#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make lint: clang's static analyzer (scan-build) and cppcheck over the
# userspace C find nothing. Each is a case of its own: make lint runs
# both and fails if either finds anything; its output tells them apart.
# A finding that is not a bug is silenced where it is, saying why (see
# the lint block of the Makefile).
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
need_tools scan-build cppcheck
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lint_build=$BUILD/lint

make --no-print-directory BUILD="$BUILD" lint >"$tmp/out" 2>&1
rc=$?

# Every userspace .c was compiled, so analyzed (a build that stopped
# early would find no bugs in the files it never reached).
sources=$(ls core/*.c export/*.c cmd/*.c ui/*.c flowgen/*.c tests/*.c |
	  grep -vc '\.bpf\.c$')
objects=$(find "$lint_build/obj" -name '*.o' 2>/dev/null | wc -l)
if grep -q '^scan-build: No bugs found' "$tmp/out" &&
   [ "$objects" -eq "$sources" ]; then
	ok "scan_build_clean"
else
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):|bugs? found|\*\*\*' \
		"$tmp/out" | sed 's/^/#   /'
	echo "#   $objects of $sources files analyzed; reports in $lint_build/scan"
	fail "scan_build_clean"
fi

findings=$(sed -n '/^  CPPCHECK/,$p' "$tmp/out" |
	   grep -E '^[^ ]+:[0-9]+:[0-9]+: (error|warning|style|performance|portability|information):')
if grep -q '^  CPPCHECK' "$tmp/out" && [ -z "$findings" ]; then
	ok "cppcheck_clean"
else
	echo "$findings" | sed 's/^/#   /'
	fail "cppcheck_clean"
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	tail -20 "$tmp/out" | sed 's/^/#   /'
	fail "make lint exits 0"
fi
exit $((failed > 0))
