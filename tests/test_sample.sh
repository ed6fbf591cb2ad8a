#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# attach --sample on the testbed, with flowgen's live traffic: at a fixed
# 1:10 every flow's estimate is within 5 standard deviations of what
# flowgen sent and the totals are exact (totals == flows + untracked +
# sampled_out + retired, the hook's total all flowgen sent); dump, status
# and watch say the rate and mark estimates. --sample auto under a
# new-flow flood with a small table: while watch runs (the collector
# that folds), the rate goes up during the flood and back to 1 after it.
# The agent's IPFIX under agent --sample 10 (the agent attaching): nfcapd
# learns the selector and nfdump shows each flow scaled by 10, within 5
# sd of what was sent.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fss$$
tmp=$(mktemp -d)
pids=()
inos=()		# the namespaces' inodes, for ns_teardown

need_built "$FS" "$GEN"
need_tools jq nfcapd nfdump
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
source scripts/testbed
source tests/nslib.sh	# INVARIANT, ns_teardown
source tests/peers.sh	# nfcapd
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

cleanup()
{
	ns_teardown inos "$H1" -- veth0
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

attach()	# OPTIONS...: a fresh instance on H1 veth0
{
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	"$FS" --netns "$H1" attach "$@" veth0 >"$tmp/attach.out" 2>&1 ||
		{ sed 's/^/# /' "$tmp/attach.out"; return 1; }
	testbed_settle >/dev/null
}

kernel_rx()
{
	ip -n "$H1" -s -j link show veth0 | jq -r '.[0].stats64.rx.packets'
}

# Each flowgen flow's estimate against what it sent: the worst |z| as
# "z flows", or "missing N" (sd = N sqrt(n p (1 - p)), p = 1/N).
ZSCORES='($gen[0].flows | map({key: "\(.sport)", value: .packets}) |
	from_entries) as $sent |
	[.flows[] | select(.direction == "ingress" and .proto == 17 and
		.dst == "198.51.100.7") |
	 {p: .sport, est: .est_packets, r: .sampling_rate}] as $f |
	[$f[] | ($sent["\(.p)"]) as $n | ((.est - $n) /
		(.r * ($n * (1 / .r) * (1 - 1 / .r) | sqrt))) |
		if . < 0 then -. else . end] as $z |
	"\($z | max) \($z | length) \([$f[].r] | unique)"'

t_fixed()
{
	local n=sample_10_estimates_within_5_sd_totals_exact
	local k0 k1 z nf rates total so why=""
	attach --sample 10 || { fail $n "attach"; return; }
	k0=$(kernel_rx)
	"$GEN" --netns "$H0" --dev veth1 --json \
		proto=udp,src=192.0.2.1,dst=198.51.100.7,sport=2000,dport=53,count=200000,flows=20 \
		>"$tmp/gen.json" 2>"$tmp/gen.err" ||
		{ fail $n "flowgen: $(cat "$tmp/gen.err")"; return; }
	k1=$(kernel_rx)
	"$FS" --netns "$H1" dump --json >"$tmp/d.json" ||
		{ fail $n "dump"; return; }
	read -r z nf rates < <(jq -r --slurpfile gen "$tmp/gen.json" \
		"$ZSCORES" "$tmp/d.json")
	total=$(jq '.interfaces[0].ingress.packets' "$tmp/d.json")
	so=$(jq '.interfaces[0].ingress.sampled_out_packets' "$tmp/d.json")
	echo "# 20 flows of 10,000 frames at 1:10: max |z| $z"
	if ! jq -e "$INVARIANT" "$tmp/d.json" >/dev/null; then
		why="totals != flows + untracked + sampled_out + retired: $(jq -c .interfaces "$tmp/d.json")"
	elif [ "$total" -lt 200000 ] || [ "$total" -gt $((k1 - k0 + 20)) ]; then
		# the kernel's count was read before the dump: background
		# frames (neighbour discovery) may come in between
		why="the hook counted $total frames, the kernel $((k1 - k0)), flowgen 200000"
	elif [ "$nf" != 20 ] || [ "$rates" != "[10]" ]; then
		why="$nf flows with rates $rates, want 20 at [10]"
	elif ! awk -v z="$z" 'BEGIN { exit !(z <= 5) }'; then
		why="an estimate $z sd off"
	elif [ "$so" -lt 150000 ]; then
		why="only $so frames sampled out of $total"
	elif ! jq -e '.interfaces[0] | .sampling == "fixed" and
		.sampling_rate == 10' "$tmp/d.json" >/dev/null; then
		why="dump does not say the rate: $(jq -c '.interfaces[0]' "$tmp/d.json")"
	elif ! "$FS" --netns "$H1" dump | grep -q 'veth0 .* ~[0-9]'; then
		why="plain dump marks no estimate: $("$FS" --netns "$H1" dump | head -20)"
	elif ! "$FS" --netns "$H1" status | grep -q 'sampling fixed, 1 in 10'; then
		why="status: $("$FS" --netns "$H1" status)"
	fi
	if [ -n "$why" ]; then fail $n "$why"; else ok $n; fi
}

# The latest sampling rate watch printed for veth0 ingress.
last_rate()
{
	tail -n 1 "$tmp/w.json" 2>/dev/null |
		jq -r '.interfaces[] | select(.ifname == "veth0") |
			.sampling_rate' 2>/dev/null
}

t_auto()
{
	local n=sample_auto_on_under_a_new_flow_flood_off_after
	local wpid gpid max why="" rates
	attach --sample auto --max-flows 64 || { fail $n "attach"; return; }
	"$FS" --netns "$H1" watch --json --interval 0.2 veth0 \
		>"$tmp/w.json" 2>"$tmp/w.err" &
	wpid=$!
	pids+=("$wpid")
	if ! poll 10 eval '[ "$(last_rate)" = 1 ]'; then
		fail $n "watch: no record with rate 1: $(tail -c 500 "$tmp/w.json") $(cat "$tmp/w.err")"
		return
	fi
	# 60,000 new flows over about 3 s
	"$GEN" --netns "$H0" --dev veth1 --json --rate 20000 \
		proto=udp,src=192.0.2.1,dst=198.51.100.9,dport=53,count=60000,flows=60000,vary=sport \
		>"$tmp/flood.json" 2>"$tmp/gen.err" &
	gpid=$!
	pids+=("$gpid")
	poll 15 eval '[ "$(last_rate)" -gt 1 ] 2>/dev/null'
	wait "$gpid" || why="flowgen: $(cat "$tmp/gen.err")"
	# the flood is over: back to 1 within a few folds
	if [ -z "$why" ] &&
	   ! poll 15 eval '[ "$(last_rate)" = 1 ]'; then
		why="the rate stayed $(last_rate) after the flood"
	fi
	kill -INT "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	rates=$(jq -s -c '[.[].interfaces[] | select(.ifname == "veth0") |
		.sampling_rate] | unique' "$tmp/w.json")
	max=$(jq -s '[.[].interfaces[] | .sampling_rate] | max' "$tmp/w.json")
	echo "# auto: rates seen $rates"
	"$FS" --netns "$H1" dump --json >"$tmp/d.json"
	if [ -n "$why" ]; then
		:
	elif [ "${max:-1}" -le 1 ]; then
		why="the rate never went up: $rates"
	elif ! jq -e "$INVARIANT" "$tmp/d.json" >/dev/null; then
		why="totals != flows + untracked + sampled_out + retired: $(jq -c .interfaces "$tmp/d.json")"
	elif ! jq -e '.interfaces[0] | .sampling == "auto" and
		.ingress.sampled_out_packets > 0' "$tmp/d.json" >/dev/null; then
		why="nothing sampled out: $(jq -c '.interfaces[0]' "$tmp/d.json")"
	fi
	if [ -n "$why" ]; then fail $n "$why"; else ok $n; fi
}

t_ipfix_nfdump()
{
	local n=sample_10_ipfix_nfdump_scales_by_the_rate
	local port apid why="" lines z
	port=$(free_port)
	peer_nfcapd_start "$tmp/nf" "$port" flowstat ||
		{ fail $n "nfcapd"; return; }
	# the agent attaches, sampling, itself (agent --sample)
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	"$FS" --netns "$H1" agent --ipfix "127.0.0.1:$port" --sample 10 \
		--active-timeout 1 veth0 2>"$tmp/agent.err" &
	apid=$!
	pids+=("$apid")
	if ! poll 30 eval '"$FS" --netns "$H1" dump --json 2>/dev/null |
			jq -e ".interfaces[0] | .ifname == \"veth0\" and
				.sampling == \"fixed\"" >/dev/null'; then
		fail $n "the agent did not attach veth0 with --sample 10:" \
			"$(cat "$tmp/agent.err")"
		return
	fi
	testbed_settle >/dev/null
	"$GEN" --netns "$H0" --dev veth1 --json \
		proto=udp,src=192.0.2.1,dst=198.51.100.5,sport=3000,dport=53,count=100000,flows=2 \
		>"$tmp/gen.json" 2>"$tmp/gen.err" ||
		why="flowgen: $(cat "$tmp/gen.err")"
	# SIGINT: every flow gets its last record
	kill -INT "$apid" 2>/dev/null
	wait "$apid" 2>/dev/null
	peer_nfcapd_stop "$port" || why=${why:-"nfcapd did not stop"}
	# per source port: packets as nfdump scaled them (a file without a
	# matching flow says "No matched flows")
	lines=$(for f in "$tmp"/nf/nfcapd.2*; do
			[ -f "$f" ] && nfdump -r "$f" -q -N \
				-o 'fmt:%sp %pkt' 'dst host 198.51.100.5'
		done | awk '$1 ~ /^[0-9]+$/ { p[$1] += $2 } END { for (k in p) print k, p[k] }' |
		sort)
	echo "# nfdump: $(echo $lines)"
	z=$(echo "$lines" | awk '{ d = $2 - 50000; if (d < 0) d = -d;
		z = d / (10 * sqrt(50000 * 0.1 * 0.9)); if (z > m) m = z }
		END { print m + 0 }')
	if [ -n "$why" ]; then
		:
	elif ! grep -q 'sampler id: 10, algorithm: 4, packet interval: 1, packet space: 9' \
		"$tmp/nf.log"; then
		why="nfcapd learnt no selector: $(cat "$tmp/nf.log")"
	elif [ "$(echo "$lines" | wc -l)" != 2 ] ||
	     echo "$lines" | awk '$2 % 10 { bad = 1 } END { exit !bad }' ||
	     ! awk -v z="$z" 'BEGIN { exit !(z <= 5) }'; then
		why="nfdump's flows (port packets): $lines; |z| $z"
	fi
	if [ -n "$why" ]; then fail $n "$why"; else ok $n; fi
}

ns_testbed_up inos "$H1" --
failed=0
t_fixed
t_auto
t_ipfix_nfdump
exit $failed
