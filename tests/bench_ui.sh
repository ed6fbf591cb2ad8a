#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench, the live view (part of tests/bench_user.sh; runs alone too).
#
#   top.frame100k.ms     CPU time of one refresh of `flowstat top` (scan,
#                        rows, draw into a 160x50 terminal on /dev/null)
#                        with 100,000 flows in the table, from
#                        `top --bench`; baseline top.frame0.ms, the same
#                        with no flow.
#   top.cpu0.percent     the real view (`flowstat top -d 1` in tmux,
#   top.cpu10k.percent   160x50) while flowgen sends every one of 0,
#   top.cpu100k.percent  10,000, 100,000 flows a frame a second, so
#                        that every flow moves between two refreshes (the
#                        worst case for the view: each row changes).
#                        CPU of the flowstat process from /proc ticks
#                        over wall time. Baseline: flows_per_s, the
#                        flows that moved per second (what the view must
#                        read); top.cpu0.percent is the idle view.
#   top.cpu100k.moving10k.percent  the same with 100,000 flows in the
#                        table of which 10,000 move each second.
#
# Passes or fails nothing; exits non-zero only when it could not run.
# A figure it could not take is written as null, with the reason on
# stderr. BENCH_QUICK=1: 1,000 / 10,000 flows for a few seconds (every
# name written, figures meaningless).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BENCH_QUICK=${BENCH_QUICK:-0}
FS=$BUILD/flowstat
GEN=$BUILD/flowgen
source tests/bench_lib.sh
source scripts/testbed
TESTBED_PREFIX=fsbu$$
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

if [ "$BENCH_QUICK" = 1 ]; then
	SMALL=1000 LARGE=10000 SECS=2 START=1.5 REFRESHES=5
else
	SMALL=10000 LARGE=100000 SECS=15 START=3 REFRESHES=30
fi

T=fsbu$$
BENCH_TMP=$(mktemp -d)
cleanup()
{
	tmux kill-session -t "$T" >/dev/null 2>&1 || true
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1 || true
	testbed_down >/dev/null 2>&1 || true
	rm -rf "$BENCH_TMP"
}
trap cleanup EXIT

if ! testbed_up >/dev/null ||
   ! "$FS" --netns "$H1" attach --max-flows 262144 veth0 >/dev/null; then
	echo "ui bench: testbed or attach failed" >&2
	exit 1
fi

# send N RATE: N flows (udp source ports and addresses count up from
# 203.0.113.1:1), RATE frames a second in turn over them, for SECS
# seconds (RATE 0: one frame each, at once). Bounded in frames and time.
send()
{
	local n=$1 rate=$2 count=$1 pace=""
	if [ "$rate" -gt 0 ]; then
		count=$((rate * SECS))
		pace=",rate=$rate"
	fi
	timeout $((SECS * 3 + 30)) "$GEN" --netns "$H0" --dev veth1 \
		"proto=udp,src=203.0.113.1,dst=198.51.100.1,sport=1,dport=53,count=$count,flows=$n$pace" \
		>/dev/null
}

# frame NAME: CPU ms per refresh of `top --bench`, or null.
frame()
{
	local out ms
	out=$("$FS" --netns "$H1" top --bench "$REFRESHES" veth0 2>&1)
	echo "  $out"
	ms=$(sed -n 's/.* \([0-9.]*\) ms CPU per refresh.*/\1/p' <<<"$out")
	[ -n "$ms" ] || echo "ui bench: $1: top --bench failed" >&2
	echo "${ms:-null}" >"$BENCH_TMP/$1"
}

# ticks PID: user + system CPU ticks of a process (every thread).
ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# live NAME FLOWS [MOVING]: the view's CPU while MOVING of the FLOWS
# flows (default all) move every second. The flows exist before the
# view starts; it runs START s (its first, full read) before the
# measured SECS.
live()
{
	local name=$1 n=$2 moving=${3:-$2} pid t0 t1 w0 w1
	echo null >"$BENCH_TMP/$name"
	if ! command -v tmux >/dev/null; then
		echo "ui bench: $name: no tmux" >&2
		return
	fi
	[ "$n" -gt 0 ] && send "$n" 0
	tmux new-session -d -s "$T" -x 160 -y 50 \
		"$FS --netns $H1 top -d 1 veth0"
	sleep "$START"
	pid=$(tmux display -p -t "$T" '#{pane_pid}' 2>/dev/null)
	if [ -z "$pid" ] ||
	   [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != flowstat ]; then
		echo "ui bench: $name: the view did not start" >&2
		tmux kill-session -t "$T" >/dev/null 2>&1
		return
	fi
	t0=$(ticks "$pid") w0=$(date +%s.%N)
	# the first MOVING flows of the N: the same addresses and ports
	if [ "$n" -gt 0 ] && ! send "$moving" "$moving"; then
		echo "ui bench: $name: flowgen failed" >&2
		tmux kill-session -t "$T" >/dev/null 2>&1
		return
	fi
	[ "$n" -gt 0 ] || sleep "$SECS"
	t1=$(ticks "$pid") w1=$(date +%s.%N)
	tmux send-keys -t "$T" q
	sleep 0.5
	tmux kill-session -t "$T" >/dev/null 2>&1
	awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v w0="$w0" \
		-v w1="$w1" 'BEGIN { printf "%.3f\n", t * 100 / hz / (w1 - w0) }' \
		>"$BENCH_TMP/$name"
	echo "  $name: $(cat "$BENCH_TMP/$name")% of one core, $((t1 - t0)) ticks in $(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.1f", b - a }') s, $moving of $n flows moving"
}

# The idle view first, on an empty table; then SMALL flows, then LARGE.
frame frame0
live cpu0 0
live cpu_small "$SMALL"
# flows of the next run are new ones: the table then holds SMALL + LARGE
# for a moment; end the first ones by detaching and attaching again
"$FS" --netns "$H1" detach veth0 >/dev/null
"$FS" --netns "$H1" attach --max-flows 262144 veth0 >/dev/null
send "$LARGE" 0
frame frame_large
live cpu_large "$LARGE"
live cpu_large_some "$LARGE" "$SMALL"

v()
{
	cat "$BENCH_TMP/$1"
}
# the names stay in a quick run (its counts are smaller)
bench_record top.frame100k.ms "$(v frame_large)" ms top.frame0.ms \
	"$(v frame0)"
bench_record top.frame0.ms "$(v frame0)" ms
bench_record top.cpu0.percent "$(v cpu0)" percent
bench_record top.cpu10k.percent "$(v cpu_small)" percent flows_per_s "$SMALL"
bench_record top.cpu100k.percent "$(v cpu_large)" percent flows_per_s \
	"$LARGE"
bench_record top.cpu100k.moving10k.percent "$(v cpu_large_some)" percent \
	flows_per_s "$SMALL"
