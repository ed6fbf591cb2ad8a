# SPDX-License-Identifier: GPL-2.0
# Sourced by test_asan.sh and test_valgrind.sh (after lib.sh): the
# commands a checker must see clean, each run once against veth0 of a
# testbed, attached, with flowgen traffic: dump, watch (5 records), the
# live view's batch mode (top --bench) and the agent (serving a scrape,
# then SIGTERM). The caller sets FS, GEN, tmp, P (the testbed prefix),
# CHECKER (its name), RUN (an array: what flowstat runs under, may be
# empty), SLOW (seconds to allow a start under the checker) and defines
# reports NAME, which says whether the checker reported anything since
# its last call (details on stdout, return 1). Sourcing it sets the
# traps that clean up the testbed and $tmp.

source scripts/testbed
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)
traffic_pid=

cmdrun_cleanup()
{
	[ -n "$traffic_pid" ] && kill "$traffic_pid" 2>/dev/null
	[ -n "${agent_pid:-}" ] && kill -KILL "$agent_pid" 2>/dev/null
	wait 2>/dev/null
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cmdrun_cleanup EXIT
trap 'exit 1' INT TERM HUP

# cmdrun_check NAME RC WHY...: one case from the command's exit code, the
# facts (a WHY that is not empty is a failure) and the checker's reports
cmdrun_check()
{
	local name=$1 rc=$2 why=$3 found
	found=$(reports "$name") || why+=" checker reports: $found"
	[ "$rc" -ne 0 ] && why+=" exit code $rc: $(tail -n 5 "$tmp/$name.err")"
	if [ -n "$why" ]; then
		fail "$name under $CHECKER" "$why"
	else
		ok "$name under $CHECKER"
	fi
}

# Testbed, veth0 attached (by the checked flowstat), 16 flows of known
# traffic, then paced traffic that runs on through the commands.
cmdrun_up()
{
	if ! testbed_up >"$tmp/tb" 2>&1; then
		fail "testbed up" "$(cat "$tmp/tb")"
		return 1
	fi
	"${RUN[@]}" "$FS" --netns "$H1" attach veth0 >"$tmp/attach.out" \
		2>"$tmp/attach.err"
	cmdrun_check attach $? ""
	"$GEN" --netns "$H0" --dev veth1 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,dport=53,flows=16,count=64 \
		>"$tmp/gen.out" 2>&1 || { fail "flowgen sends" "$(cat "$tmp/gen.out")"; return 1; }
	"$GEN" --netns "$H0" --dev veth1 --rate 200 \
		proto=tcp,src=203.0.113.3,dst=203.0.113.4,dport=80,flows=8,count=100000 \
		>/dev/null 2>&1 &
	traffic_pid=$!
}

cmdrun_dump()
{
	local rc n
	"${RUN[@]}" "$FS" --netns "$H1" dump --json veth0 >"$tmp/dump.out" \
		2>"$tmp/dump.err"
	rc=$?
	n=$(jq '.flows | length' "$tmp/dump.out" 2>/dev/null)
	cmdrun_check dump $rc "$([ "${n:-0}" -ge 16 ] ||
		echo "dump --json shows ${n:-no} flows, 16 sent")"
}

cmdrun_watch()
{
	local rc n
	"${RUN[@]}" "$FS" --netns "$H1" watch --json --interval 0.2 --count 5 \
		veth0 >"$tmp/watch.out" 2>"$tmp/watch.err"
	rc=$?
	n=$(jq -s length "$tmp/watch.out" 2>/dev/null)
	cmdrun_check watch $rc "$([ "${n:-0}" = 5 ] ||
		echo "watch --count 5 printed ${n:-no} JSON records")"
}

cmdrun_top()
{
	local rc
	"${RUN[@]}" "$FS" --netns "$H1" top --bench 20 veth0 >"$tmp/top.out" \
		2>"$tmp/top.err"
	rc=$?
	cmdrun_check top $rc "$(grep -Eq '^top: ([2-9][0-9]|1[6-9])[0-9]* flows' \
		"$tmp/top.out" || echo "top --bench 20: $(cat "$tmp/top.out")")"
}

# The agent serves a scrape that counts veth0's traffic, then ends on
# SIGTERM with exit 0.
cmdrun_agent()
{
	local port rc why=
	port=$(free_port)
	"${RUN[@]}" "$FS" --netns "$H1" agent --prometheus "127.0.0.1:$port" \
		veth0 >"$tmp/agent.out" 2>"$tmp/agent.err" &
	agent_pid=$!
	if ! poll "$SLOW" tcp_bound "$port"; then
		why="no listener on $port in $SLOW s"
	elif ! curl -sf --max-time "$SLOW" "http://127.0.0.1:$port/metrics" \
		>"$tmp/metrics" ||
	     ! grep -Eq '^flowstat_interface_packets_total\{.*veth0.*\} [1-9]' \
		"$tmp/metrics"; then
		why="the scrape has no packets for veth0: $(head -c 600 "$tmp/metrics")"
	fi
	kill -TERM "$agent_pid"
	if ! poll "$SLOW" exited "$agent_pid"; then
		why+=" it did not end on SIGTERM"
		kill -KILL "$agent_pid"
	fi
	wait "$agent_pid"
	rc=$?
	agent_pid=
	cmdrun_check agent $rc "$why"
}

cmdrun_all()
{
	cmdrun_up || return 1
	cmdrun_dump
	cmdrun_watch
	cmdrun_top
	cmdrun_agent
	"${RUN[@]}" "$FS" --netns "$H1" detach veth0 >"$tmp/detach.out" \
		2>"$tmp/detach.err"
	cmdrun_check detach $? ""
}
