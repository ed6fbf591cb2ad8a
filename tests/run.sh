#!/usr/bin/env bash
# Run every test suite and print one summary line: "N passed, N failed".
#
# A suite is an executable that prints one line per case:
#   ok - NAME            a pass
#   ok - NAME # SKIP why a skip (counted apart)
#   not ok - NAME        a failure (details on the lines before it)
# and exits non-zero when any case failed. Suites are the C programs
# $BUILD/tests/*_test and the shell files tests/test_*.sh.
# TESTS=pattern runs only the suites whose name contains pattern.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
pattern=${TESTS:-}

if [ "$(id -u)" -ne 0 ]; then
	echo "tests need root (BPF, netns): sudo make test" >&2
	exit 1
fi

# The packet suites expedite grace periods while they run and put the
# setting back when they end (tests/rcu_fast.h); after a SIGKILL they
# cannot: put it back here.
rcu_expedited=$(cat /sys/kernel/rcu_expedited 2>/dev/null || true)
restore_rcu()
{
	[ -n "$rcu_expedited" ] &&
		echo "$rcu_expedited" >/sys/kernel/rcu_expedited 2>/dev/null
	return 0
}
trap restore_rcu EXIT

passed=0 failed=0 skipped=0
suites=()
for s in "$BUILD"/tests/*_test tests/test_*.sh; do
	[ -x "$s" ] || continue
	[ -n "$pattern" ] && [[ "$s" != *"$pattern"* ]] && continue
	suites+=("$s")
done

for s in "${suites[@]}"; do
	echo "# suite $s"
	out=$(mktemp)
	"$s" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok - ' "$out" | tr -d ' ')
	k=$(grep -c '^ok - .*# SKIP' "$out" | tr -d ' ')
	f=$(grep -c '^not ok - ' "$out" | tr -d ' ')
	rm -f "$out"
	p=$((p - k))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $s exited $rc without reporting a failed case"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
done

if [ ${#suites[@]} -eq 0 ]; then
	echo "no test suites found (run make first)" >&2
	exit 1
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
