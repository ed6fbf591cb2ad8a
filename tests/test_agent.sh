#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# flowstat agent end to end, against real peers: flowgen sends known
# traffic (IPv4, IPv6, 802.1Q and QinQ, TCP with FIN, padded 60-byte
# frames carrying 40-byte IP packets, non-IP frames, flows that go idle)
# into a testbed veth; the agent (in the host namespace, watching the
# test namespace with --netns) exports IPFIX to a real nfcapd and a real
# nfacctd on 127.0.0.1, and serves /metrics to a real Prometheus.
#   - nfdump and pmacct show, per flow, exactly flowgen's packets and IP
#     bytes (octetDeltaCount), with no sequence errors;
#   - tshark decodes every message, nothing malformed, and sees the end
#     reasons: idle, TCP FIN, active timeout, forced end at shutdown;
#   - PromQL through Prometheus gives the exact interface totals, and
#     promtool finds nothing to say about the page;
#   - nfcapd restarted decodes again after the next template refresh;
#   - SIGHUP reads the settings file again; an agent killed with SIGKILL
#     leaves nothing attached, and a new one starts cleanly; an interface
#     attached later is picked up.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
source tests/peers.sh
P=fsag$$
tmp=$(mktemp -d /tmp/flowstat-agent.XXXXXX)
WAIT=30
REFRESH=3		# the agent's template refresh in these tests (s)
apid=
pids=()			# servers: nfcapd, nfacctd, prometheus, tshark

need_built "$FS" "$GEN"
need_tools nfcapd nfdump nfacctd tshark prometheus promtool curl jq ss
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
source scripts/testbed
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

stop_pid()	# PID: SIGTERM, 10 s to go, then SIGKILL
{
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait_until 10 gone "$1" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup()
{
	local pid
	stop_pid "$apid"
	for pid in "${pids[@]}"; do
		stop_pid "$pid"
	done
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	[ -n "${KEEP:-}" ] && echo "# kept $tmp" && return
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- the peers ----

nfcapd_start()	# DIR PORT
{
	peer_nfcapd_start "$1" "$2" agent-test
}

nfacctd_start()	# PORT
{
	peer_nfacctd_start "$1" \
		"name=cvlan field_type=245 len=2 semantics=u_int
name=reason field_type=136 len=1 semantics=u_int" \
		"src_host, dst_host, src_port, dst_port, proto, vlan, cvlan, reason"
}

prometheus_start()	# SCRAPE_PORT
{
	local try
	cat >"$tmp/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	scrape_configs:
	  - job_name: flowstat
	    static_configs:
	      - targets: ['127.0.0.1:$1']
	EOF
	for ((try = 0; try < 3; try++)); do
		prom_port=$(free_port)
		prometheus --config.file="$tmp/prometheus.yml" \
			--storage.tsdb.path="$tmp/prom" \
			--web.listen-address="127.0.0.1:$prom_port" \
			>"$tmp/prometheus.log" 2>&1 &
		pids+=($!)
		wait_until $WAIT eval 'prom_ready || gone ${pids[-1]}'
		prom_ready && return 0
	done
	return 1
}

prom_ready()
{
	curl -sf --max-time 5 "http://127.0.0.1:$prom_port/-/ready" >/dev/null
}

# promql QUERY: the value of its one series, or nothing
promql()
{
	curl -sS --max-time 10 --get --data-urlencode "query=$1" \
		"http://127.0.0.1:$prom_port/api/v1/query" 2>/dev/null |
		jq -r 'select(.status == "success") | .data.result |
			if length == 1 then .[0].value[1] else empty end'
}

capture_start()	# PORT...: tshark on lo, the IPFIX datagrams to these ports
{
	local f="udp port $1" p
	shift
	for p; do
		f+=" or udp port $p"
	done
	tshark -i lo -f "$f" -w "$tmp/ipfix.pcapng" -q >"$tmp/tshark.log" 2>&1 &
	tshark_pid=$!
	pids+=($!)
	wait_until $WAIT grep -qs "Capturing on" "$tmp/tshark.log"
}

# ---- the agent ----

# agent_start [ARGS...]: the agent on H1's interfaces, in the background,
# its log in $alog (a new one each time)
agents=0
agent_start()
{
	alog=$tmp/agent.$((++agents)).log
	"$FS" --netns "$H1" agent "$@" 2>"$alog" &
	apid=$!
}

agent_said()	# PATTERN: in its log
{
	grep -q -- "$1" "$alog"
}

agent_stop()	# SIGNAL: then its exit code
{
	kill "-$1" "$apid"
	wait "$apid"
	local rc=$?
	apid=
	return $rc
}

# ---- what the peers saw ----

OURS='net 203.0.113.0/24 or net 2001:db8:ff::/48'

# "src dst sport dport proto packets ipbytes" per TCP/UDP flow of ours,
# sorted: flowgen's, then nfdump's and pmacct's (their records summed
# per flow). ICMP (type and code shown each tool's own way) is compared
# by totals.
gen_rows()	# GEN_JSON...
{
	jq -r '.flows[] | select(.ipproto == 6 or .ipproto == 17) |
		"\(.src) \(.dst) \(.sport // .type // 0) \(.dport // .code // 0) \(.ipproto) \(.packets) \(.ip_bytes)"' "$@" |
		awk '{ k = $1 " " $2 " " $3 " " $4 " " $5; p[k] += $6; b[k] += $7 }
		     END { for (k in p) print k, p[k], b[k] }' | sort
}

nf_rows()	# DIR
{
	nfdump -R "$1" -q -N -A srcip,dstip,srcport,dstport,proto \
		-o 'fmt:%sa %da %sp %dp %pr %pkt %byt' \
		"($OURS) and (proto tcp or proto udp)" 2>/dev/null |
		awk 'NF == 7 {
			pr = $5 == "TCP" ? 6 : $5 == "UDP" ? 17 : $5 == "ICMP" ? 1 : $5 == "ICMP6" ? 58 : $5
			print $1, $2, $3, $4, pr, $6, $7 }' | sort
}

pm_rows()
{
	[ -f "$tmp/pm/flows.csv" ] || return 0
	awk -F, '
	/^SRC_IP,|,PACKETS,/ { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
	!h { next }
	$c["SRC_IP"] ~ /^(203\.0\.113\.|2001:db8:ff:)/ &&
	($c["PROTOCOL"] == "tcp" || $c["PROTOCOL"] == "udp") {
		pr = $c["PROTOCOL"]
		pr = pr == "tcp" ? 6 : pr == "udp" ? 17 : pr
		k = $c["SRC_IP"] " " $c["DST_IP"] " " $c["SRC_PORT"] " " \
		    $c["DST_PORT"] " " pr
		p[k] += $c["PACKETS"]; b[k] += $c["BYTES"]
	}
	END { for (k in p) printf "%s %.0f %.0f\n", k, p[k], b[k] }
	' "$tmp/pm/flows.csv" | sort
}

# Each message tshark decoded: "malformed" lines for any it could not
tshark_problems()
{
	tshark -r "$tmp/ipfix.pcapng" -d "udp.port==$P1,cflow" \
		-d "udp.port==$P2,cflow" -z expert,warn -q 2>&1 |
		grep -iE "malformed|error" || true
}

# "reason sport dport" of the records tshark decoded (ours, UDP/TCP)
tshark_reasons()
{
	tshark -r "$tmp/ipfix.pcapng" -d "udp.port==$P1,cflow" \
		-Y "udp.dstport==$P1 && cflow.flow_end_reason" -T fields \
		-E occurrence=a -E separator='|' -E aggregator=',' \
		-e cflow.flow_end_reason -e cflow.srcport -e cflow.dstport \
		2>/dev/null | awk -F'|' '{
			n = split($1, r, ","); split($2, s, ","); split($3, d, ",")
			for (i = 1; i <= n; i++) print r[i], s[i], d[i] }'
}

# ---- cases ----

# The traffic: ten UDP flows, IPv6 TCP, 802.1Q and QinQ, padded ACKs,
# a TCP flow with FIN, ICMP, non-IP frames; all in one flowgen run.
TRAFFIC=(--batch 256
	proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=53,count=1000,flows=10
	proto=tcp,src=2001:db8:ff::1,dst=2001:db8:ff::2,sport=4000,dport=443,flags=PA,size=1200,count=300
	proto=udp,src=203.0.113.3,dst=203.0.113.4,sport=7,dport=7,vlan=100,count=120,size=64
	proto=udp,src=203.0.113.5,dst=203.0.113.6,sport=8,dport=8,vlan=10,inner_vlan=20,tpid=0x88a8,count=33
	proto=tcp,src=203.0.113.7,dst=203.0.113.8,sport=5000,dport=80,flags=A,size=60,iplen=40,count=250
	proto=tcp,src=203.0.113.9,dst=203.0.113.10,sport=5001,dport=80,flags=FA,count=3
	proto=icmp,src=203.0.113.11,dst=203.0.113.12,type=8,size=98,count=7
	eth=0x88b5,count=10)

t_exports_exact()
{
	local n=agent_exports_exact_to_nfcapd_nfacctd_tshark_prometheus why=
	local page total
	agent_start veth0 --ipfix "127.0.0.1:$P1" --ipfix "127.0.0.1:$P2" \
		--prometheus "127.0.0.1:$P3" --idle-timeout 4 \
		--active-timeout 60 --template-refresh $REFRESH
	wait_until $WAIT agent_said "following veth0" ||
		{ fail $n "the agent did not start" "$(cat "$alog")"; return; }
	"$GEN" --netns "$H0" --dev veth1 --json "${TRAFFIC[@]}" \
		>"$tmp/gen1.json" 2>"$tmp/gen1.err" ||
		{ fail $n "flowgen: $(cat "$tmp/gen1.err")"; return; }
	gen_rows "$tmp/gen1.json" >"$tmp/want1"
	# idle after 4 s: each flow's one record reaches both collectors
	poll 60 rows_match "$tmp/want1" nf_rows "$tmp/nf" ||
		why+="nfdump: $(diff "$tmp/want1" "$tmp/want1.got" | head -20) "
	poll 30 rows_match "$tmp/want1" pm_rows ||
		why+="pmacct: $(diff "$tmp/want1" "$tmp/want1.got" | head -20) "
	[ "$(nf_seq_failures_total "$tmp/nf")" = 0 ] ||
		why+="nfcapd: $(nf_seq_failures_total "$tmp/nf") sequence failures "
	grep -q "seq_jmp_fwd=[1-9]" "$tmp/pm/nfacctd.log" &&
		why+="nfacctd: sequence jumps "
	# the ICMP flow and all of ours, by totals
	total=$(nfdump -R "$tmp/nf" -q -o 'fmt:%pkt %byt' "$OURS" 2>/dev/null |
		awk '{ p += $1; b += $2 } END { print p + 0, b + 0 }')
	[ "$total" = "$(jq -r '[.flows[] | select((.ipproto // 0) > 0)] |
		"\(map(.packets) | add) \(map(.ip_bytes) | add)"' "$tmp/gen1.json")" ] ||
		why+="nfdump totals $total "
	# the end reasons: idle for the UDP flows, FIN for the FIN flow
	tshark_reasons >"$tmp/reasons" 2>/dev/null
	grep -q "^3 5001 80$" "$tmp/reasons" || why+="no FIN end (3) "
	grep -q "^1 1000 53$" "$tmp/reasons" || why+="no idle end (1) "
	# Prometheus: the exact ingress total, and a clean page
	page=$(curl -sf "http://127.0.0.1:$P3/metrics")
	echo "$page" | promtool check metrics >"$tmp/promtool" 2>&1 ||
		why+="promtool: $(head -5 "$tmp/promtool") "
	[ -s "$tmp/promtool" ] && why+="promtool said: $(head -5 "$tmp/promtool") "
	total=$("$FS" --netns "$H1" status --json veth0 |
		jq -r '.[0].counters.ingress.packets')
	poll $WAIT eval '[ "$(promql "flowstat_interface_packets_total{interface=\"veth0\",direction=\"ingress\"}")" = "$total" ]' ||
		why+="prometheus: $(promql "flowstat_interface_packets_total{interface=\"veth0\",direction=\"ingress\"}") != $total "
	[ -z "$(tshark_problems)" ] || why+="tshark: $(tshark_problems | head -5) "
	agent_stop TERM || why+="exit $? after SIGTERM "
	if [ -n "$why" ]; then
		fail $n "$why" "$(tail -20 "$alog")"
	else
		ok $n
	fi
}

t_active_and_forced()
{
	local n=agent_active_timeout_and_forced_end_at_sigterm why= rc
	agent_start veth0 --ipfix "127.0.0.1:$P1" --idle-timeout 30 \
		--active-timeout 2 --template-refresh $REFRESH
	wait_until $WAIT agent_said "following veth0" ||
		{ fail $n "the agent did not start"; return; }
	# one flow over more than two active timeouts; then one more flow,
	# which has had no record yet when SIGTERM comes
	"$GEN" --netns "$H0" --dev veth1 --json \
		proto=udp,src=203.0.113.20,dst=203.0.113.21,sport=9000,dport=9001,count=50,rate=10 \
		>"$tmp/gen2.json" &&
	"$GEN" --netns "$H0" --dev veth1 --json \
		proto=udp,src=203.0.113.22,dst=203.0.113.23,sport=9002,dport=9003,count=5 \
		>"$tmp/gen2b.json" || { fail $n "flowgen"; return; }
	gen_rows "$tmp/gen2.json" "$tmp/gen2b.json" >"$tmp/want2"
	agent_stop TERM
	rc=$?
	[ "$rc" = 0 ] || why+="exit $rc after SIGTERM "
	poll $WAIT eval 'tshark_reasons | grep -q "^4 9002 9003$"' ||
		why+="no forced end (4) "
	tshark_reasons | grep -q "^2 9000 9001$" || why+="no active timeout (2) "
	poll $WAIT eval '[ "$(nf_rows "$tmp/nf" | grep -c "^203.0.113.2[02] ")" = 2 ]'
	nf_rows "$tmp/nf" | grep "^203.0.113.2[02] " >"$tmp/got2"
	cmp -s "$tmp/want2" "$tmp/got2" ||
		why+="records sum to $(cat "$tmp/got2"), sent $(cat "$tmp/want2") "
	"$FS" --netns "$H1" status --json | jq -e 'length == 0' >/dev/null ||
		why+="still attached after it stopped "
	[ -n "$why" ] && fail $n "$why" "$(tail -10 "$alog")" || ok $n
}

t_collector_restart()
{
	local n=agent_picks_up_a_later_attach_and_nfcapd_restart_decodes why=
	# no interface named: it follows what is attached, later too
	agent_start --ipfix "127.0.0.1:$P1" --idle-timeout 2 \
		--template-refresh $REFRESH
	wait_until $WAIT agent_said "exporting IPFIX" ||
		{ fail $n "the agent did not start" "$(cat "$alog")"; return; }
	"$FS" --netns "$H1" attach veth0 >/dev/null ||
		{ fail $n "attach"; return; }
	wait_until $WAIT agent_said "following veth0" ||
		{ fail $n "the agent did not pick up veth0"; return; }
	peer_nfcapd_stop "$P1"
	rm -rf "$tmp/nf2"
	nfcapd_start "$tmp/nf2" "$P1" || { fail $n "nfcapd restart"; return; }
	# a refresh later, what comes is decoded again
	"$GEN" --netns "$H0" --dev veth1 --json --rate 20 \
		proto=udp,src=203.0.113.30,dst=203.0.113.31,sport=1,dport=2,count=$((20 * (REFRESH + 2))) \
		>"$tmp/gen3.json" || { fail $n "flowgen"; return; }
	gen_rows "$tmp/gen3.json" >"$tmp/want3"
	poll 60 eval 'nf_rows "$tmp/nf2" | grep -q "^203.0.113.30 "' ||
		why+="nothing decoded after the restart "
	[ "$(nf_seq_failures_total "$tmp/nf2")" = 0 ] ||
		why+="$(nf_seq_failures_total "$tmp/nf2") sequence failures "
	agent_stop TERM || why+="agent exit $? "
	"$FS" --netns "$H1" status --json veth0 | jq -e 'length == 1' \
		>/dev/null || why+="the agent detached what it did not attach "
	"$FS" --netns "$H1" detach veth0 >/dev/null
	[ -n "$why" ] && fail $n "$why" "$(tail -10 "$alog")" || ok $n
}

t_sighup()
{
	local n=agent_sighup_reads_the_settings_again why=
	cat >"$tmp/agent.conf" <<-EOF
	# settings of the test agent
	FLOWSTAT_INTERFACES="veth0"
	FLOWSTAT_IPFIX="127.0.0.1:$P1"
	FLOWSTAT_IDLE_TIMEOUT=2
	FLOWSTAT_TEMPLATE_REFRESH=$REFRESH
	EOF
	agent_start --config "$tmp/agent.conf"
	wait_until $WAIT agent_said "following veth0" ||
		{ fail $n "the agent did not start" "$(cat "$alog")"; return; }
	echo "FLOWSTAT_PROMETHEUS=127.0.0.1:$P4" >>"$tmp/agent.conf"
	kill -HUP "$apid"
	wait_until $WAIT tcp_bound "$P4" || why+="no metrics after SIGHUP "
	echo "FLOWSTAT_MTU=12" >>"$tmp/agent.conf"	# a bad file
	kill -HUP "$apid"
	wait_until $WAIT agent_said "FLOWSTAT_MTU" || why+="bad file not named "
	curl -sf "http://127.0.0.1:$P4/metrics" >/dev/null ||
		why+="a bad file stopped the metrics "
	gone "$apid" && why+="a bad file stopped the agent "
	agent_stop TERM || why+="exit $? "
	[ -n "$why" ] && fail $n "$why" "$(tail -10 "$alog")" || ok $n
}

t_sigkill()
{
	local n=agent_sigkill_leaves_nothing_and_a_new_one_starts why=
	agent_start veth0 --ipfix "127.0.0.1:$P1"
	wait_until $WAIT agent_said "following veth0" ||
		{ fail $n "the agent did not start"; return; }
	kill -KILL "$apid"
	wait "$apid" 2>/dev/null
	apid=
	# its links died with it: nothing on veth0, nothing orphaned
	poll $WAIT eval '"$FS" --netns "$H1" status --json |
		jq -e "length == 0" >/dev/null' ||
		why+="status after SIGKILL: $("$FS" --netns "$H1" status --json) "
	ip -n "$H1" link show veth0 | grep -q "xdp" &&
		why+="an XDP program stayed on veth0 "
	agent_start veth0 --ipfix "127.0.0.1:$P1"
	wait_until $WAIT agent_said "following veth0" ||
		why+="a new agent did not start "
	agent_stop TERM || why+="the new agent exited $? "
	[ -n "$why" ] && fail $n "$why" "$(tail -10 "$alog")" || ok $n
}

t_persist()
{
	local n=agent_persist_leaves_the_attach_on_exit why=
	agent_start veth0 --persist --ipfix "127.0.0.1:$P1"
	wait_until $WAIT agent_said "following veth0" ||
		{ fail $n "the agent did not start" "$(cat "$alog")"; return; }
	agent_stop TERM || why+="exit $? "
	"$FS" --netns "$H1" status --json veth0 |
		jq -e 'length == 1 and .[0].owner != "process"' >/dev/null ||
		why+="not attached after it stopped: $("$FS" --netns "$H1" status --json) "
	"$FS" --netns "$H1" detach veth0 >/dev/null || why+="detach "
	[ -n "$why" ] && fail $n "$why" "$(tail -10 "$alog")" || ok $n
}

t_bad_usage()
{
	local n=agent_usage_errors_exit_2_and_change_nothing why= out
	for args in "--mtu 12" "--ipfix nohost" "--active-timeout 0" \
		    "--idle-timeout x" "--prometheus 127.0.0.1" "--bogus" \
		    "--config $tmp/none.conf veth0"; do
		out=$("$FS" --netns "$H1" agent $args 2>&1)
		rc=$?
		case "$args" in
		--config*) [ $rc = 1 ] || why+="'$args' exit $rc " ;;
		*) [ $rc = 2 ] || why+="'$args' exit $rc " ;;
		esac
		[ "$(echo "$out" | wc -l)" = 1 ] || why+="'$args': $out "
	done
	"$FS" --netns "$H1" status --json | jq -e 'length == 0' >/dev/null ||
		why+="something got attached "
	[ -n "$why" ] && fail $n "$why" || ok $n
}

# ---- main ----

if ! testbed_up >"$tmp/tb" 2>&1; then
	fail testbed_up "$(cat "$tmp/tb")"
	exit 1
fi
testbed_settle >/dev/null
P1=$(free_port) P2=$(free_port) P3=$(free_port) P4=$(free_port)
if ! nfcapd_start "$tmp/nf" "$P1" || ! nfacctd_start "$P2" ||
	! capture_start "$P1" "$P2" || ! prometheus_start "$P3"; then
	fail peers_start "$(tail -n 5 "$tmp"/*.log 2>/dev/null)"
	exit 1
fi

t_bad_usage
t_exports_exact
t_active_and_forced
t_collector_restart
t_sighup
t_sigkill
t_persist
exit $failed
