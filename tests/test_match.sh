#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# attach --match and flowstat match on the testbed: only matching frames
# get flow entries and the rest count as unmatched, exactly against
# flowgen; the expression changes under traffic without losing a frame
# (totals == flows + untracked + unmatched + retired, and the hook's
# total is the kernel's); a flow the fast path remembers stops getting
# counts once the expression leaves it out; an expression too large for
# the data plane, or with iface, is refused and changes nothing.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsm$$
tmp=$(mktemp -d)
pids=()
inos=()		# the namespaces' inodes, for ns_teardown

need_built "$FS" "$GEN"
need_tools jq curl
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
source scripts/testbed
source tests/nslib.sh	# INVARIANT, ns_teardown
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

cleanup()
{
	ns_teardown inos "$H1" -- veth0
	rm -rf "$tmp"
}
trap cleanup EXIT

attach()	# [OPTIONS]: a fresh instance on H1 veth0
{
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	"$FS" --netns "$H1" attach "$@" veth0 >"$tmp/attach.out" 2>&1 ||
		{ sed 's/^/# /' "$tmp/attach.out"; return 1; }
	testbed_settle >/dev/null
}

dump()	# OUT
{
	"$FS" --netns "$H1" dump --json >"$1"
}

send()	# OUT FLOWSPEC...: flowgen from H0 veth1 into H1 veth0
{
	local out=$1
	shift
	"$GEN" --netns "$H0" --dev veth1 --json "$@" >"$out" 2>"$out.err"
}

# packets of veth0 ingress flows matching a jq condition
flow_packets()	# FILE COND
{
	jq "[.flows[] | select(.ifname == \"veth0\" and
		.direction == \"ingress\") | select($2) | .packets] | add // 0" "$1"
}

ingress()	# FILE FIELD
{
	jq ".interfaces[0].ingress.$2" "$1"
}

kernel_rx()
{
	ip -n "$H1" -s -j link show veth0 | jq -r '.[0].stats64.rx.packets'
}

t_attach_match_exact()
{
	local n=attach_match_counts_only_matching_frames
	attach --match 'proto udp and (port 53 or port 5353)' ||
		{ fail $n "attach"; return; }
	dump "$tmp/d0.json"
	if ! send "$tmp/g.json" \
		proto=udp,src=192.0.2.1,dst=198.51.100.1,sport=1000,dport=53,count=300,flows=3 \
		proto=udp,src=2001:db8::1,dst=2001:db8::2,sport=5353,dport=9,count=40 \
		proto=udp,src=192.0.2.1,dst=198.51.100.1,sport=1000,dport=54,count=200 \
		proto=tcp,src=192.0.2.1,dst=198.51.100.1,sport=53,dport=80,count=100; then
		fail $n "flowgen: $(cat "$tmp/g.json.err")"
		return
	fi
	dump "$tmp/d1.json"
	local m53 other u0 u1 st
	m53=$(flow_packets "$tmp/d1.json" '.proto == 17 and (.dport == 53 or .sport == 5353)')
	other=$(flow_packets "$tmp/d1.json" '.proto == 6 or .dport == 54')
	u0=$(ingress "$tmp/d0.json" unmatched_packets)
	u1=$(ingress "$tmp/d1.json" unmatched_packets)
	st=$("$FS" --netns "$H1" status --json veth0 | jq -r '.[0].match')
	if [ "$m53" != 340 ] || [ "$other" != 0 ]; then
		fail $n "flows: $m53 of 340 matching, $other of 0 others"
	elif [ $((u1 - u0)) -lt 300 ]; then
		fail $n "unmatched grew by $((u1 - u0)), want at least 300"
	elif ! jq -e "$INVARIANT" "$tmp/d1.json" >/dev/null; then
		fail $n "invariant: $(jq -c .interfaces "$tmp/d1.json")"
	elif [ "$st" != 'proto udp and (port 53 or port 5353)' ]; then
		fail $n "status says match '$st'"
	else
		ok $n
	fi
}

# The fast path remembers a flow that matched; after a change that
# leaves it out, its frames must go to unmatched, not to the flow.
t_fast_path_follows_change()
{
	local n=fast_path_stops_counting_a_flow_the_new_expression_leaves_out
	local spec=proto=udp,src=192.0.2.7,dst=198.51.100.7,sport=7,dport=53
	local a b u0 u1
	attach --match 'port 53' || { fail $n "attach"; return; }
	send "$tmp/g1.json" "$spec,count=500" || { fail $n "flowgen"; return; }
	dump "$tmp/d1.json"
	"$FS" --netns "$H1" match veth0 'port 80' >"$tmp/m.out" 2>&1 ||
		{ fail $n "match: $(cat "$tmp/m.out")"; return; }
	send "$tmp/g2.json" "$spec,count=500" || { fail $n "flowgen"; return; }
	dump "$tmp/d2.json"
	a=$(flow_packets "$tmp/d1.json" '.src == "192.0.2.7"')
	b=$(flow_packets "$tmp/d2.json" '.src == "192.0.2.7"')
	u0=$(ingress "$tmp/d1.json" unmatched_packets)
	u1=$(ingress "$tmp/d2.json" unmatched_packets)
	if [ "$a" != 500 ] || [ "$b" != 500 ]; then
		fail $n "the flow had $a, then $b packets; want 500, 500"
	elif [ $((u1 - u0)) -lt 500 ]; then
		fail $n "unmatched grew by $((u1 - u0)), want at least 500"
	elif ! jq -e "$INVARIANT" "$tmp/d2.json" >/dev/null; then
		fail $n "invariant: $(jq -c .interfaces "$tmp/d2.json")"
	else
		ok $n
	fi
}

# Changes of expression while flowgen sends: nothing lost.
t_change_under_traffic()
{
	local n=match_changes_under_traffic_lose_no_frame
	local k0 k1 t0 t1 sent gen fl un i exprs
	attach || { fail $n "attach"; return; }
	dump "$tmp/d0.json"
	k0=$(kernel_rx)
	"$GEN" --netns "$H0" --dev veth1 --json --rate 40000 \
		proto=udp,src=192.0.2.1,dst=198.51.100.1,sport=1000,dport=53,count=60000,flows=4 \
		proto=udp,src=192.0.2.2,dst=198.51.100.1,sport=1000,dport=80,count=60000,flows=4 \
		>"$tmp/g.json" 2>"$tmp/g.err" &
	pids+=($!)
	exprs=('port 53' 'port 80' none 'not port 53' 'net 192.0.2.0/30 and port 80' '')
	i=0
	while ! exited "${pids[-1]}" && [ $i -lt 40 ]; do
		"$FS" --netns "$H1" match veth0 "${exprs[$((i % 6))]}" \
			>/dev/null 2>"$tmp/m.err" || break
		i=$((i + 1))
	done
	wait "${pids[-1]}" || { fail $n "flowgen: $(cat "$tmp/g.err")"; return; }
	[ -s "$tmp/m.err" ] && { fail $n "match: $(cat "$tmp/m.err")"; return; }
	testbed_settle >/dev/null
	k1=$(kernel_rx)
	dump "$tmp/d1.json"
	t0=$(ingress "$tmp/d0.json" packets)
	t1=$(ingress "$tmp/d1.json" packets)
	sent=$(jq .packets "$tmp/g.json")
	gen=$(flow_packets "$tmp/d1.json" '.src == "192.0.2.1" or .src == "192.0.2.2"')
	un=$(ingress "$tmp/d1.json" unmatched_packets)
	if [ $i -lt 3 ]; then
		fail $n "only $i changes while flowgen sent"
	elif [ "$sent" != 120000 ]; then
		fail $n "flowgen sent $sent"
	elif ! jq -e "$INVARIANT" "$tmp/d1.json" >/dev/null; then
		fail $n "invariant: $(jq -c .interfaces "$tmp/d1.json")"
	elif [ $((t1 - t0)) != $((k1 - k0)) ]; then
		fail $n "the hook counted $((t1 - t0)), the kernel $((k1 - k0))"
	elif [ $((gen + un)) -lt "$sent" ] || [ "$gen" -gt "$sent" ] ||
	     [ $((t1 - t0)) -lt "$sent" ]; then
		fail $n "sent $sent: in flows $gen, unmatched $un, total $((t1 - t0))"
	else
		ok "$n ($i changes)"
	fi
}

# 65 port terms take 260 rules: one too many for the data plane.
big_expr()	# TERMS
{
	local i s="port 1"
	for ((i = 2; i <= $1; i++)); do
		s+=" or port $i"
	done
	echo "$s"
}

t_too_large_refused()
{
	local n=too_large_expression_refused_at_attach_and_match
	local rc err st
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	"$FS" --netns "$H1" attach --match "$(big_expr 65)" veth0 \
		>/dev/null 2>"$tmp/e1"
	rc=$?
	err=$(cat "$tmp/e1")
	if [ $rc != 2 ] || [ "$(wc -l <"$tmp/e1")" != 1 ] ||
	   [[ "$err" != *"too large for the data plane"* ]]; then
		fail $n "attach: rc $rc, '$err'"
		return
	fi
	if "$FS" --netns "$H1" status veth0 >/dev/null 2>&1; then
		fail $n "attach left an instance behind"
		return
	fi
	attach --match "$(big_expr 64)" || { fail $n "64 ports refused"; return; }
	"$FS" --netns "$H1" match veth0 "$(big_expr 65)" >/dev/null 2>"$tmp/e2"
	rc=$?
	st=$("$FS" --netns "$H1" status --json veth0 | jq -r '.[0].match')
	if [ $rc != 2 ] || [[ "$(cat "$tmp/e2")" != *"too large"* ]]; then
		fail $n "match: rc $rc, '$(cat "$tmp/e2")'"
	elif [ "$st" != "$(big_expr 64)" ]; then
		fail $n "the expression changed: '$st'"
	else
		ok $n
	fi
}

# metric PORT NAME: veth0 ingress's value (empty: no such series)
metric()
{
	curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" |
		awk -v m="$2" 'index($0, m "{") == 1 &&
			index($0, "interface=\"veth0\"") &&
			index($0, "direction=\"ingress\"") { print $NF }'
}

# The agent attaches with --match; Prometheus has the unmatched frames.
t_agent_match()
{
	local n=agent_match_attaches_with_it_and_exports_unmatched
	local port apid st u
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	port=$(free_port)
	"$FS" --netns "$H1" agent --prometheus "127.0.0.1:$port" \
		--match 'port 53' veth0 2>"$tmp/agent.log" &
	apid=$!
	pids+=("$apid")
	if ! poll 30 tcp_bound "$port"; then
		fail $n "the agent did not listen: $(cat "$tmp/agent.log")"
		return
	fi
	testbed_settle >/dev/null
	send "$tmp/g.json" \
		proto=udp,src=192.0.2.1,dst=198.51.100.1,sport=9,dport=53,count=100 \
		proto=udp,src=192.0.2.1,dst=198.51.100.1,sport=9,dport=54,count=50 ||
		{ fail $n "flowgen: $(cat "$tmp/g.json.err")"; return; }
	poll 10 eval 'u=$(metric "$port" flowstat_interface_unmatched_packets_total);
		[ -n "$u" ] && [ "$u" -ge 50 ]'
	st=$("$FS" --netns "$H1" status --json veth0 | jq -r '.[0].match')
	kill -TERM "$apid" 2>/dev/null
	poll 30 gone "$apid"
	if [ -z "$u" ] || [ "$u" -lt 50 ]; then
		fail $n "unmatched in /metrics: '$u'" "$(cat "$tmp/agent.log")"
	elif [ "$st" != "port 53" ]; then
		fail $n "status says match '$st'"
	else
		ok $n
	fi
}

t_iface_refused()
{
	local n=iface_refused_at_the_hook rc
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	"$FS" --netns "$H1" attach --match 'iface veth0' veth0 \
		>/dev/null 2>"$tmp/e"
	rc=$?
	if [ $rc != 2 ] || ! grep -q "'iface' cannot be matched" "$tmp/e"; then
		fail $n "rc $rc: $(cat "$tmp/e")"
	else
		ok $n
	fi
}

ns_testbed_up inos "$H1" -- --pairs 1
t_attach_match_exact
t_fast_path_follows_change
t_change_under_traffic
t_too_large_refused
t_iface_refused
t_agent_match
exit $failed
