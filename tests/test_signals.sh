#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Security signals, end to end with flowgen on the testbed (veth1 and
# veth2 of P-h0 attached, traffic from P-h1 and P-h2, as in make demo):
#   - the demo's ordinary traffic mix raises no alert;
#   - a port scan of 1,000 ports from one source raises scan_ports naming
#     it (status --json), and the alert clears once the scan stops;
#   - a host scan of 300 destinations from one source raises scan_hosts;
#   - a SYN flood from 2,000 sources at one destination raises half_open
#     and fan_in naming the destination, and clears;
#   - a new-flow spike raises new_flows in the agent's /metrics, and the
#     agent logs the event once when it starts and once when it ends;
#   - the live view shows the scan as an alert line naming the source,
#     its signals on key a, and drops the line once the scan stops;
#   - with --max-flows 64, the flood that fills the table still raises
#     half_open and fan_in, and new_flows counts what the table dropped.
# An alert must show within 4 s of the attack's start (a window of
# about 1.07 s must pass, then the next read: two refreshes of top's
# default 1 s, plus the rest of a window), and clear within 4 s of its
# end.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
source scripts/testbed
source tests/nslib.sh
P=sig$$
tmp=$(mktemp -d)
pids=()
inos=()
agent_pid=

need_built "$FS" "$GEN"
need_tools jq curl tmux
T=sig$$
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)
H2=$(testbed_ns h2)

cleanup()
{
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
	tmux kill-session -t "$T" >/dev/null 2>&1
	ns_teardown inos "$H0" -- veth1 veth2
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

SCAN_SRC=198.51.100.66
SCAN="proto=tcp,src=$SCAN_SRC,dst=203.0.113.1,sport=61000,dport=1,vary=dport,flows=1000,count=1500,flags=S,rate=500"
# IPv6: 300 destinations, and 2,000 sources, stay in 2001:db8::/32
HSCAN_SRC=2001:db8:5::5
HSCAN="proto=udp,src=$HSCAN_SRC,dst=2001:db8:99::1,sport=5000,dport=161,vary=dst,flows=300,count=900,rate=300"
FLOOD_DST=2001:db8:42::1
FLOOD="proto=tcp,src=2001:db8:66::1,dst=$FLOOD_DST,sport=1024,dport=443,vary=src,flows=2000,count=6000,flags=S,rate=2000"
SPIKE="proto=udp,src=192.0.2.9,dst=203.0.113.1,sport=1,dport=53,vary=sport,flows=20000,count=20000,rate=5000"

status_json()	# [ARGS...]: status --json of veth1 and veth2
{
	"$FS" --netns "$H0" status --json "$@" veth1 veth2 2>/dev/null
}

# alerts [ARGS...]: "iface signal host" per alert, one a line
alerts()
{
	status_json "$@" | jq -r '.[] | .ifname as $i |
		(.signals.alerts // [])[] | "\($i) \(.signal) \(.host)"'
}

has_alert()	# PATTERN [ARGS...]
{
	local pat=$1
	shift
	alerts "$@" | grep -qE -- "$pat"
}

no_alert()	# [ARGS...]
{
	[ -z "$(alerts "$@")" ]
}

# send NAME FLOWSPEC: flowgen into veth1 in the background
send()
{
	"$GEN" --netns "$H1" --dev veth0 "$2" >"$tmp/$1.gen" 2>&1 &
	gen_pid=$!
}

# attack_case NAME FLOWSPEC PATTERN [ARGS...]: the alert shows within
# 4 s of the start, and is gone within 4 s of the end.
attack_case()
{
	local n=$1 spec=$2 pat=$3 why= t0
	shift 3
	poll 10 no_alert "$@" || why+="alerts before it started: $(alerts "$@") "
	t0=$SECONDS
	send "$n" "$spec"
	poll 4 has_alert "$pat" "$@" ||
		why+="no alert '$pat' within 4 s: $(alerts "$@") "
	wait "$gen_pid" || why+="flowgen: $(cat "$tmp/$n.gen") "
	poll 4 no_alert "$@" ||
		why+="still alerting 4 s after it stopped: $(alerts "$@") "
	[ -z "$why" ] && ok "$n ($((SECONDS - t0)) s)" || fail "$n" "$why"
}

test_ordinary_traffic_raises_none()
{
	local n=ordinary_traffic_raises_none why= i f
	source scripts/demo-mix
	for ((i = 0; i < 6; i++)); do
		for f in web dns video bulk misc; do
			"$f" "$i" >/dev/null 2>&1 &
		done
		sleep 1
		wait
		no_alert || why+="second $i: $(alerts) "
	done
	[ -z "$why" ] && ok $n || fail $n "$why"
}

test_port_scan()
{
	attack_case port_scan_of_1000_ports_names_the_source "$SCAN" \
		"^veth1 scan_ports $SCAN_SRC\$"
}

test_host_scan()
{
	attack_case host_scan_of_300_hosts_names_the_source "$HSCAN" \
		"^veth1 scan_hosts $HSCAN_SRC\$"
}

test_syn_flood()
{
	attack_case syn_flood_from_2000_sources_names_the_destination \
		"$FLOOD" "^veth1 (half_open|fan_in) $FLOOD_DST\$"
}

test_syn_flood_signals()
{
	local n=syn_flood_raises_half_open_and_fan_in_and_blames_no_source why=
	send flood2 "$FLOOD"
	poll 4 eval 'alerts | grep -q "half_open $FLOOD_DST" &&
		alerts | grep -q "fan_in $FLOOD_DST"' ||
		why+="not both: $(alerts) "
	alerts | grep -qE "scan_|new_flows" && why+="blames more: $(alerts) "
	wait "$gen_pid"
	[ -z "$why" ] && ok $n || fail $n "$why"
}

test_live_view()
{
	local n=live_view_alert_line_names_the_scanner_and_clears why=
	poll 10 no_alert || why+="alerts before it started: $(alerts) "
	view "$FS" --netns "$H0" top veth1 veth2
	wait_for 'veth1 +rx' || { fail $n "no view: $(screen)"; return; }
	send view "$SCAN"
	poll 4 screen_has "^ALERT veth1: port scan from $SCAN_SRC: " ||
		why+="no alert line: $(screen | head -3) "
	tmux send-keys -t "$T" a
	wait_for "security signals" &&
		screen_has "! scan_ports +[0-9]+ / 100 +ports $SCAN_SRC" ||
		why+="key a: $(screen) "
	tmux send-keys -t "$T" a	# closes it
	wait "$gen_pid"
	poll 4 eval '! screen_has "^ALERT"' ||
		why+="the alert line stayed: $(screen | head -3) "
	tmux send-keys -t "$T" q
	poll 10 test -e "$tmp/rc" || why+="did not quit "
	[ -z "$why" ] && ok $n || fail $n "$why"
}

metric()	# NAME LABELS: the value of one series of the agent's /metrics
{
	curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
		awk -v s="$1{$2}" 'index($0, s " ") == 1 { print $2 }'
}

test_new_flow_spike_agent()
{
	local n=new_flow_spike_in_metrics_and_logged_once why= l
	local labels='interface="veth1",netns="'$H0'",signal="new_flows"'
	poll 10 no_alert || why+="alerts before it started: $(alerts) "
	port=$(free_port)
	"$FS" --netns "$H0" agent --prometheus "127.0.0.1:$port" \
		2>"$tmp/agent.log" &
	agent_pid=$!
	poll 10 eval '[ -n "$(metric flowstat_signal_alerts "$labels")" ]' ||
		{ fail $n "no metrics: $(cat "$tmp/agent.log")"; return; }
	[ "$(metric flowstat_signal_alerts "$labels")" = 0 ] ||
		why+="alerting before the spike "
	send spike "$SPIKE"
	poll 5 eval '[ "$(metric flowstat_signal_alerts "$labels")" = 1 ]' ||
		why+="no new_flows alert: $(metric flowstat_signal_value "$labels") "
	wait "$gen_pid" || why+="flowgen: $(cat "$tmp/spike.gen") "
	poll 5 eval '[ "$(metric flowstat_signal_alerts "$labels")" = 0 ]' ||
		why+="still alerting after the spike "
	# the end is logged after 10 quiet seconds
	poll 15 grep -qE "signal new_flows: veth1: .*ended after" \
		"$tmp/agent.log" || why+="no end logged "
	l=$(grep -c "signal new_flows: veth1: new-flow spike:" "$tmp/agent.log")
	[ "$l" = 1 ] || why+="$l start lines "
	kill "$agent_pid"
	wait "$agent_pid" 2>/dev/null
	agent_pid=
	[ -z "$why" ] && ok $n || fail $n "$why" "$(cat "$tmp/agent.log")"
}

test_full_table_does_not_blind()
{
	local n=a_flood_that_fills_a_64_flow_table_still_raises_them why= v
	"$FS" --netns "$H0" detach veth1 >/dev/null
	"$FS" --netns "$H0" attach --max-flows 64 veth1 >/dev/null ||
		{ fail $n "attach --max-flows 64"; return; }
	send full "$FLOOD"
	poll 4 eval 'alerts | grep -q "half_open $FLOOD_DST" &&
		alerts | grep -q "fan_in $FLOOD_DST"' ||
		why+="no half_open and fan_in alerts: $(alerts) "
	# the flows the table could not take count as new (threshold 500)
	poll 4 has_alert "^veth1 new_flows null\$" \
		--threshold new_flows=500 ||
		why+="no new_flows alert: $(status_json | jq -c '.[0].signals.values') "
	v=$(status_json | jq '.[0].counters.ingress.untracked_packets')
	[ "${v:-0}" -gt 0 ] || why+="the table never filled (untracked $v) "
	wait "$gen_pid"
	poll 4 no_alert || why+="still alerting after it stopped: $(alerts) "
	[ -z "$why" ] && ok $n || fail $n "$why"
}

ns_testbed_up inos "$H0" -- --pairs 2
"$FS" --netns "$H0" attach veth1 veth2 >/dev/null ||
	{ echo "not ok - attach veth1 veth2"; exit 1; }

test_ordinary_traffic_raises_none
test_port_scan
test_host_scan
test_syn_flood
test_syn_flood_signals
test_live_view
test_new_flow_spike_agent
test_full_table_does_not_blind
exit $failed
