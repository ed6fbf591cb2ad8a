#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: a testbed with a lively mix of traffic, and the live view on
# it. Quitting the view (q) stops the traffic, detaches and removes the
# testbed. Every traffic loop is bounded: at most DEMO_SECONDS (default
# one hour), and it stops as soon as the view exits.
#
# Topology (scripts/testbed --pairs 2): the view watches veth1 and veth2
# in namespace P-h0; flowgen sends into them from P-h1 and P-h2, and
# pings go out of them, so both directions carry traffic. Twenty seconds
# in, and every 90 s after, a port scan (then a SYN flood) raises the
# security signals' alert line.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
FS=$BUILD/flowstat
GEN=$BUILD/flowgen
SECONDS_MAX=${DEMO_SECONDS:-3600}

if [ -n "${CI:-}" ] || [ ! -t 0 ] || [ ! -t 1 ]; then
	echo "make demo opens the live view: it needs a terminal" \
	     "(not run in CI)" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "make demo needs root (BPF, network namespaces): sudo make demo" >&2
	exit 1
fi
for bin in "$FS" "$GEN"; do
	if [ ! -x "$bin" ]; then
		echo "$bin is missing: run make first" >&2
		exit 1
	fi
done

source scripts/testbed
TESTBED_PREFIX=fsdemo$$
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)
H2=$(testbed_ns h2)
stop=$(mktemp -u /tmp/flowstat-demo.XXXXXX)
pids=()

cleanup()
{
	local p
	touch "$stop"
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	"$FS" --netns "$H0" detach veth1 veth2 >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	rm -f "$stop"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# loop NAME CMD...: run CMD about once a second, $i counting up, until
# the view exits or SECONDS_MAX have passed.
loop()
{
	(
		local i end=$((SECONDS + SECONDS_MAX))
		for ((i = 0; i < SECONDS_MAX; i++)); do
			[ -e "$stop" ] || [ "$SECONDS" -ge "$end" ] && break
			"$@" "$i" >/dev/null 2>&1
			sleep 1
		done
	) &
	pids+=($!)
}

# the traffic mix: web dns video bulk misc attack (scripts/demo-mix)
source scripts/demo-mix

echo "flowstat demo: starting the testbed ($TESTBED_PREFIX)..."
if ! testbed_up --pairs 2 >/dev/null; then
	echo "flowstat demo: testbed up failed" >&2
	exit 1
fi
if ! "$FS" --netns "$H0" attach veth1 veth2 >/dev/null; then
	echo "flowstat demo: attach failed" >&2
	exit 1
fi
loop web
loop dns
loop video
loop bulk
loop misc
loop attack
# real packets out of the watched interfaces: pings, bounded
ip netns exec "$H0" ping -q -i 0.5 -c $((SECONDS_MAX * 2)) \
	-w "$SECONDS_MAX" 192.0.2.6 >/dev/null 2>&1 &
pids+=($!)
ip netns exec "$H0" ping -q -i 0.2 -s 1000 -c $((SECONDS_MAX * 5)) \
	-w "$SECONDS_MAX" 192.0.2.10 >/dev/null 2>&1 &
pids+=($!)

"$FS" --netns "$H0" top veth1 veth2
