#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Long life, compressed: a watch refreshing every 0.02 s and an agent run
# while the interface is attached and detached CYCLES times (default 200),
# each cycle seen by the watch, and until the watch has refreshed as
# often as in an hour of 1 s refreshes (REFRESHES, 3600). The agent scans
# once a second, slower than a cycle: every AGENT_EVERY-th cycle (10) waits
# until the agent has seen the attach and the detach (so it follows and
# lets go of an instance at least CYCLES / AGENT_EVERY times); in the
# others it sees what its scans catch.
# From cycle 10 to the end, neither process may grow in open file
# descriptors, nor by more than 1 MiB in resident memory; and once both
# have stopped and everything is detached, the kernel holds as many BPF
# programs, maps and links as before. Each check fails the suite.
# Cost, measured on the 2-core development VM (2026-12), with other jobs
# running (load 4-5): an attach takes 0.2-0.3 s (1.3 s before the parser
# became a global function that the verifier checks once, and before the
# unused tc program stopped being loaded); 200 cycles 160-190 s (30
# cycles took 89 s before), the suite 3 to 3.5 minutes.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
CYCLES=${CYCLES:-200}
AGENT_EVERY=${AGENT_EVERY:-10}
REFRESHES=${REFRESHES:-3600}
P=fsk$$
tmp=$(mktemp -d)
pids=()
need_built "$FS" "$GEN"
need_tools jq bpftool
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
source scripts/testbed
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

cleanup()
{
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Every program, map and link the kernel holds (not only flowstat's: a
# leak may be named anything).
bpf_objects()
{
	echo "progs $(bpftool -j prog show | jq length)" \
	     "maps $(bpftool -j map show | jq length)" \
	     "links $(bpftool -j link show | jq length)"
}

fds()	# PID
{
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

rss_kb()	# PID
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# The watch's last record shows veth0 as present (1) or not at all (0);
# a line still being written is no record.
watch_sees()	# 1|0
{
	tail -n 1 "$tmp/w.json" 2>/dev/null | jq -e --argjson want "$1" '
		[.interfaces[] | select(.ifname == "veth0") | .present] |
		if $want == 1 then any else length == 0 end' >/dev/null 2>&1
}

# agent_count WHAT: the agent's log lines about veth0 saying WHAT
agent_count()
{
	grep -c "veth0.*$1\|$1 veth0" "$tmp/agent.log"
}

# agent_said WHAT N: the agent's log has more than N lines about veth0
# saying WHAT
agent_said()
{
	[ "$(agent_count "$1")" -gt "$2" ]
}

# The agent follows nothing of veth0: it said "no longer attached" as
# often as "following".
agent_idle()
{
	[ "$(agent_count "no longer attached")" -ge "$(agent_count following)" ]
}

if ! testbed_up >"$tmp/tb" 2>&1; then
	fail "testbed up" "$(cat "$tmp/tb")"
	exit 1
fi
before=$(bpf_objects)
port=$(free_port)
"$FS" --netns "$H1" watch --json --interval 0.02 --count 100000000 \
	>"$tmp/w.json" 2>"$tmp/w.err" &
wpid=$!
pids+=($wpid)
"$FS" --netns "$H1" agent --prometheus "127.0.0.1:$port" --idle-timeout 1 \
	2>"$tmp/agent.log" &
apid=$!
pids+=($apid)
if ! poll 30 tcp_bound "$port"; then
	fail "agent serves metrics" "$(cat "$tmp/agent.log")"
	exit 1
fi

why=
agent_cycles=0
t0=$SECONDS
for ((i = 1; i <= CYCLES; i++)); do
	# this cycle waits for the agent too: it starts from an agent that
	# follows nothing, so that the lines it waits for are this cycle's
	agent=$((i % AGENT_EVERY == 0 || i == 10))
	if [ $agent = 1 ] && ! poll 30 agent_idle; then
		why="cycle $i: the agent still follows veth0"
		break
	fi
	followed=$(agent_count following)
	if ! "$FS" --netns "$H1" attach veth0 >/dev/null 2>"$tmp/err" ||
	   ! POLL_SLEEP=0.02 poll 30 watch_sees 1 ||
	   { [ $agent = 1 ] && ! poll 30 agent_said following "$followed"; }
	then
		why="cycle $i: attach, or a reader never saw it: $(cat "$tmp/err")"
		break
	fi
	"$GEN" --netns "$H0" --dev veth1 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,count=10 >/dev/null
	if ! "$FS" --netns "$H1" detach veth0 >/dev/null 2>"$tmp/err" ||
	   ! POLL_SLEEP=0.02 poll 30 watch_sees 0 ||
	   { [ $agent = 1 ] && ! poll 30 agent_idle; }; then
		why="cycle $i: detach, or a reader kept it: $(cat "$tmp/err")"
		break
	fi
	agent_cycles=$((agent_cycles + agent))
	if [ $i = 10 ]; then
		wfd0=$(fds $wpid) wrss0=$(rss_kb $wpid)
		afd0=$(fds $apid) arss0=$(rss_kb $apid)
	fi
done
if [ -n "$why" ]; then
	fail "$CYCLES attach/detach cycles under a watch and an agent" "$why"
	exit 1
fi
echo "# the agent was waited for in $agent_cycles cycles and followed" \
	"veth0 $(agent_count following) times; cycles took $((SECONDS - t0)) s"
ok "$CYCLES attach/detach cycles, each seen by the watch, every $AGENT_EVERY-th by the agent"
# An hour of refreshes: 3600 at 0.02 s take 72 s, about as long as the
# cycles; a busy machine gets 5 minutes.
refreshed() { refreshes=$(wc -l <"$tmp/w.json"); [ "$refreshes" -ge "$1" ]; }
if poll 300 refreshed "$REFRESHES"; then
	ok "the watch refreshed $refreshes times (an hour of 1 s refreshes: $REFRESHES)"
else
	fail "the watch refreshed $REFRESHES times" "only $refreshes in 5 minutes"
fi
# settled PID FDS RSS: the process holds no more than FDS descriptors
# and 1 MiB over RSS kB (a reader may close what it let go of a moment
# after it says so; a leak never gets back)
settled()
{
	f1=$(fds "$1") r1=$(rss_kb "$1")
	[ -n "$r1" ] && [ "$f1" -le "$2" ] && [ $((r1 - $3)) -le 1024 ]
}
for who in watch agent; do
	if [ $who = watch ]; then
		f0=$wfd0 r0=$wrss0 pid=$wpid
	else
		f0=$afd0 r0=$arss0 pid=$apid
	fi
	poll 30 settled "$pid" "$f0" "$r0"
	if [ -z "$f0" ] || [ -z "$r1" ]; then
		fail "$who: no growth" "it ended early"
	elif [ "$f1" -gt "$f0" ] || [ $((r1 - r0)) -gt 1024 ]; then
		fail "$who: no growth from cycle 10 to the end" \
			"fds $f0 -> $f1, RSS $r0 -> $r1 kB"
	else
		ok "$who: no growth from cycle 10 to the end (fds $f0 -> $f1, RSS $r0 -> $r1 kB)"
	fi
done
kill -TERM $wpid $apid
if ! poll 30 gone $wpid || ! poll 30 gone $apid; then
	fail "watch and agent stop on SIGTERM"
fi
objects_back() { after=$(bpf_objects); [ "$after" = "$before" ]; }
if poll 30 objects_back; then
	ok "the kernel holds the BPF programs, maps and links it held before"
else
	fail "BPF objects left" "before: $before" "after: $after"
fi
exit $failed
