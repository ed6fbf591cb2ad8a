#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dump, watch and gc end to end on the testbed: exact per-flow and total
# counts against what flowgen sent (IPv4/IPv6 TCP, UDP, ICMP, VLAN, QinQ,
# non-IP), fragments and egress and real clients (ping, iperf3 TCP and
# UDP) against tcpdump on the same interface, several interfaces at once,
# gc and a full flows map keeping totals exact, totals against the
# kernel's counters, watch deltas, usage errors. Every dump is checked
# for totals == flows + untracked + unmatched + sampled_out + retired;
# a watch record's counts outside the flows are the dump's.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsc$$
dumps=0
bad_dumps=0
tmp=$(mktemp -d)
pids=()
caps=()		# capture files, for capture_stop

need_built "$FS" "$GEN"
need_tools jq tcpdump iperf3 ping
# A private copy: other people's builds may relink build/flowstat.
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
source scripts/testbed
source tests/nslib.sh	# INVARIANT
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)
H2=$(testbed_ns h2)

cleanup()
{
	local pid ns dev
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "$H0" "$H1" "$H2"; do
		for dev in veth0 veth1 veth2; do
			"$FS" --netns "$ns" detach "$dev" >/dev/null 2>&1
		done
	done
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT



# ---- helpers ----

# dump NS OUTFILE [ARGS...]: dump --json; check the invariant on every
# unfiltered dump.
dump()
{
	local ns=$1 out=$2
	shift 2
	"$FS" --netns "$ns" dump --json "$@" >"$out" || return 1
	[ $# -eq 0 ] || return 0
	dumps=$((dumps + 1))
	if ! jq -e "$INVARIANT" "$out" >/dev/null; then
		bad_dumps=$((bad_dumps + 1))
		echo "# invariant broken in dump $dumps:"
		jq -c .interfaces "$out" | sed 's/^/# /'
		return 1
	fi
}

# Flows as sorted [key, packets, bytes], the same form on both sides:
# key = ethertype, vlan, inner vlan, proto, src, dst, sport|type,
# dport|code (non-IP frames of one ethertype are one flow).
GROUP='group_by(.k) | map([.[0].k, (map(.p) | add), (map(.b) | add)]) |
	sort'
# The kernel's own control traffic (IPv6 neighbour discovery and MLD,
# ARP) comes and goes on its own; flows compares everything else.
BG='((.proto == 58 and .icmp_type >= 130 and .icmp_type <= 143) or
	.ethertype == 2054)'
FS_FLOWS='[.flows[] | select(.ifname == $ifn and .direction == $dir) |
	select('"$BG"' | not) |
	{k: [.ethertype, .vlan, .inner_vlan, .proto, .src, .dst,
	     (.sport // .icmp_type), (.dport // .icmp_code)],
	 p: .packets, b: .bytes}] | '"$GROUP"
GEN_FLOWS='def hex: ascii_downcase | explode |
	reduce .[] as $c (0; . * 16 + if $c >= 97 then $c - 87 else $c - 48 end);
	[.flows[] | {k: [(.eth | ltrimstr("0x") | hex), .vlan, .inner_vlan,
	     .ipproto, (if .ipproto then .src else null end),
	     (if .ipproto then .dst else null end),
	     (.sport // .type), (.dport // .code)],
	 p: .packets, b: .bytes}] | '"$GROUP"

fs_flows()	# FILE IFNAME DIRECTION
{
	jq -c --arg ifn "$2" --arg dir "$3" "$FS_FLOWS" "$1"
}

# "packets bytes" of the background flows of an interface direction
fs_background()	# FILE IFNAME DIRECTION
{
	jq -r --arg ifn "$2" --arg dir "$3" '[.flows[] |
		select(.ifname == $ifn and .direction == $dir) |
		select('"$BG"')] | "\([.[].packets] | add // 0) \([.[].bytes] | add // 0)"' "$1"
}

# The same background as a capture filter (MLD is the only traffic here
# with a hop-by-hop header).
BG_PCAP='arp or (icmp6 and ip6[40] >= 130 and ip6[40] <= 143) or
	(ip6 and ip6[6] == 0)'

# "packets bytes" of an interface direction without the background
fs_foreground()	# FILE IFNAME DIRECTION
{
	local t b
	t=$(fs_total "$@")
	b=$(fs_background "$@")
	set -- $t $b
	echo "$(($1 - $3)) $(($2 - $4))"
}

# "packets bytes" of an interface direction in a dump
fs_total()	# FILE IFNAME DIRECTION
{
	jq -r --arg ifn "$2" --arg dir "$3" \
		'.interfaces[] | select(.ifname == $ifn) | .[$dir] |
		 "\(.packets) \(.bytes)"' "$1"
}

kernel_rx()	# NS DEV
{
	ip -n "$1" -s -j link show "$2" |
		jq -r '.[0].stats64.rx | "\(.packets) \(.bytes)"'
}

attach()	# NS DEV [OPTIONS]: a fresh instance, so counts start at 0
{
	local ns=$1 dev=$2
	shift 2
	"$FS" --netns "$ns" detach "$dev" >/dev/null 2>&1
	"$FS" --netns "$ns" attach "$@" "$dev" >"$tmp/attach.out" 2>&1 ||
		{ cat "$tmp/attach.out" | sed 's/^/# /'; return 1; }
	testbed_settle >/dev/null
}

# send NAME FLOWSPEC...: flowgen from H0 veth1 into H1 veth0, then the
# flows of veth0 ingress must equal flowgen's, the ingress total must
# equal the kernel's rx delta and flowgen's total plus background, and
# egress holds background only.
send_exact()
{
	local name=$1 k0 k1 want got
	shift
	attach "$H1" veth0 || { fail "$name" "attach failed"; return; }
	dump "$H1" "$tmp/d0.json" || { fail "$name" "dump"; return; }
	k0=$(kernel_rx "$H1" veth0)
	if ! "$GEN" --netns "$H0" --dev veth1 --json "$@" >"$tmp/gen.json" \
		2>"$tmp/gen.err"; then
		fail "$name" "flowgen: $(cat "$tmp/gen.err")"
		return
	fi
	k1=$(kernel_rx "$H1" veth0)
	dump "$H1" "$tmp/d.json" || { fail "$name" "dump"; return; }
	want=$(jq -c "$GEN_FLOWS" "$tmp/gen.json")
	got=$(fs_flows "$tmp/d.json" veth0 ingress)
	set -- $k0 $k1
	local kern="$(($3 - $1)) $(($4 - $2))"
	local sent total egress bg
	sent=$(jq -r '"\(.packets) \(.bytes)"' "$tmp/gen.json")
	total=$(fs_total "$tmp/d.json" veth0 ingress)
	egress=$(fs_total "$tmp/d.json" veth0 egress)
	bg=$(fs_background "$tmp/d.json" veth0 ingress)
	set -- $sent $bg
	local sent_bg="$(($1 + $3)) $(($2 + $4))"
	# the kernel's counter moved by the frames since the baseline dump
	set -- $(fs_total "$tmp/d0.json" veth0 ingress) $total
	local moved="$(($3 - $1)) $(($4 - $2))"
	if [ "$want" != "$got" ]; then
		fail "$name" "flows differ" "flowgen:  $want" "flowstat: $got"
	elif [ "$total" != "$sent_bg" ] || [ "$kern" != "$moved" ]; then
		fail "$name" "sent $sent + background $bg," \
			"flowstat total $total (+$moved), kernel rx +$kern"
	elif [ "$egress" != "$(fs_background "$tmp/d.json" veth0 egress)" ]; then
		fail "$name" "egress counted $egress"
	else
		ok "$name"
	fi
}

# ---- cases ----

t_exact_flows()
{
	send_exact "ipv4_tcp_udp_icmp_gre_exact_per_flow" \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=53,count=1000,flows=10 \
		proto=tcp,src=203.0.113.1,dst=203.0.113.2,sport=4000,dport=80,flags=SA,size=200,count=300,flows=3 \
		proto=icmp,src=203.0.113.1,dst=203.0.113.3,type=8,code=0,size=98,count=7 \
		proto=icmp,src=203.0.113.3,dst=203.0.113.1,type=3,code=1,count=2 \
		proto=47,src=203.0.113.4,dst=203.0.113.5,size=1500,count=5
	send_exact "ipv6_tcp_udp_icmpv6_exact_per_flow" \
		proto=udp,src=2001:db8::1,dst=2001:db8::2,sport=9,dport=9,count=500,flows=5 \
		proto=tcp,src=2001:db8::1,dst=2001:db8:ff::2,flags=PA,size=1514,count=400 \
		proto=icmpv6,src=2001:db8::1,dst=2001:db8::2,type=128,size=70,count=3
	# At most --batch frames: flowgen reuses its frame pages between
	# batches, and the stack untags a passed VLAN frame in place.
	send_exact "vlan_and_qinq_tagged_exact_per_flow" --batch 256 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,vlan=100,count=120,size=64 \
		proto=tcp,src=2001:db8::1,dst=2001:db8::2,vlan=200,count=90,size=512 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,vlan=10,inner_vlan=20,tpid=0x88a8,count=33 \
		proto=icmp,src=203.0.113.1,dst=203.0.113.2,vlan=4094,count=4
	send_exact "non_ip_frames_counted_by_ethertype" \
		eth=0x88b5,count=10,flows=3 eth=0x88e5,count=4,size=60 \
		eth=0x88cc,count=2,size=300 eth=0x1234,vlan=7,count=5
}

# The frames NS DEV counted in DIR (in: rx, out: tx), by its own counters.
dev_frames()	# NS DEV DIR
{
	ip -n "$1" -s -j link show "$2" | jq -r --arg d "$3" \
		'.[0].stats64[if $d == "in" then "rx" else "tx" end].packets'
}

# tcpdump -Q DIR on NS DEV into FILE, in the background
capture_start()	# NS DEV DIR FILE
{
	local i
	echo "$1 $2 $3 $(dev_frames "$1" "$2" "$3")" >"$4.from"
	caps+=("$4")
	ip netns exec "$1" tcpdump -i "$2" -Q "$3" -B 32768 -nn -U \
		--immediate-mode -w "$4" 2>"$4.err" &
	pids+=($!)
	for ((i = 0; i < 300; i++)); do
		grep -qs "listening on" "$4.err" && return 0
		sleep 0.1
	done
	return 1
}

# captured FILE: the capture holds every frame its device counted since
# capture_start (the device's counter is read first, so a frame counted
# but not yet seen by tcpdump still makes it wait).
captured()
{
	local ns dev dir c0
	read -r ns dev dir c0 <"$1.from"
	[ "$(tcpdump -r "$1" 2>/dev/null | wc -l)" -ge \
	  "$(( $(dev_frames "$ns" "$dev" "$dir") - c0 ))" ]
}

# Stop every background process once each capture holds what its device
# counted (at most 30 s); fails if tcpdump dropped frames, returns 2 if a
# capture never held every frame its device counted (the oracle missed
# one: the case may run again).
capture_stop()
{
	local pid f short=0
	for f in "${caps[@]}"; do
		poll 30 captured "$f" || short=1
	done
	caps=()
	for pid in "${pids[@]}"; do
		kill -INT "$pid" 2>/dev/null
	done
	wait "${pids[@]}" 2>/dev/null
	pids=()
	grep -h "dropped by kernel" "$tmp"/*.pcap.err | grep -qv "^0 " &&
		return 1
	[ $short = 0 ] || return 2
}

# "packets bytes" of a capture, optionally through a filter
capture_counts()	# FILE [FILTER]
{
	tcpdump -r "$1" -nn -e ${2:+"$2"} 2>/dev/null | awk '
		match($0, /, length [0-9]+/) {
			n++; b += substr($0, RSTART + 9, RLENGTH - 9)
		}
		END { printf "%d %d\n", n, b }'
}

# Per-frame on both sides: no GRO/TSO/GSO merging frames behind XDP.
frames_only()
{
	ip netns exec "$H0" ethtool -K veth1 tso off gso off gro off \
		>/dev/null 2>&1
	ip netns exec "$H1" ethtool -K veth0 tso off gso off gro off \
		>/dev/null 2>&1
}

# flow_diffs COND: each IP flow of the dump (not a fragment, not the
# kernel's own traffic) that the jq condition COND selects and whose
# packets and bytes differ from its capture's (filtered to its key:
# ports, or ICMP type and code), one line each.
flow_diffs()
{
	local dir src dst proto a b pk by f filter got ip
	jq -r '.flows[] | select(.proto) | select(.fragment | not) |
		select('"$BG"' | not) | select('"$1"') |
		"\(.direction) \(.src) \(.dst) \(.proto) \(.sport // .icmp_type) \(.dport // .icmp_code) \(.packets) \(.bytes)"' \
		"$tmp/d.json" >"$tmp/tuples"
	while read -r dir src dst proto a b pk by; do
		f=$tmp/in.pcap
		[ "$dir" = egress ] && f=$tmp/out.pcap
		ip=ip
		[[ $src == *:* ]] && ip=ip6
		filter="src host $src and dst host $dst and $ip proto $proto"
		case $proto in
		1) filter="$filter and icmp[0] == $a and icmp[1] == $b" ;;
		58) filter="$filter and ip6[40] == $a and ip6[41] == $b" ;;
		6|17) filter="$filter and src port $a and dst port $b" ;;
		esac
		got=$(capture_counts "$f" "$filter")
		[ "$got" = "$pk $by" ] ||
			echo "$dir $src $a > $dst $b proto $proto: flowstat $pk $by, capture $got"
	done <"$tmp/tuples"
}

# Where a capture and a dump differ: each capture's frames against its
# device's counter since capture_start, and every IP flow whose count
# differs from its capture's.
capture_diff()
{
	local f ns dev d c0
	for f in "$tmp/in.pcap" "$tmp/out.pcap"; do
		read -r ns dev d c0 <"$f.from"
		echo "$d: capture $(tcpdump -r "$f" 2>/dev/null | wc -l)" \
			"frames, device $(($(dev_frames "$ns" "$dev" "$d") - c0))"
	done
	flow_diffs true
}

# Both directions of H1 veth0 against tcpdump there, per direction, and
# every TCP/UDP flow against the capture filtered to its 5-tuple.
compare_capture()	# NAME
{
	local name=$1 cin cout fin fout diffs
	cin=$(capture_counts "$tmp/in.pcap" "not ($BG_PCAP)")
	cout=$(capture_counts "$tmp/out.pcap" "not ($BG_PCAP)")
	fin=$(fs_foreground "$tmp/d.json" veth0 ingress)
	fout=$(fs_foreground "$tmp/d.json" veth0 egress)
	if [ "$cin" != "$fin" ] || [ "$cout" != "$fout" ]; then
		fail "$name" "capture in $cin out $cout;" \
			"flowstat in $fin out $fout" "$(capture_diff)"
		return 1
	fi
	diffs=$(flow_diffs '.proto == 6 or .proto == 17')
	if [ -n "$diffs" ]; then
		fail "$name" "$diffs"
		return 1
	fi
}

t_fragments_and_egress()
{
	local n=ipv4_fragments_and_egress_match_tcpdump frags cfrag
	attach "$H1" veth0 || { fail $n "attach"; return; }
	frames_only
	capture_start "$H1" veth0 in "$tmp/in.pcap" &&
		capture_start "$H1" veth0 out "$tmp/out.pcap" ||
		{ fail $n "tcpdump did not start"; return; }
	# 3000-byte echoes: 3 fragments each way, requests in, replies out
	ip netns exec "$H0" timeout 10 ping -q -M dont -s 3000 -c 4 \
		-i 0.2 -W 1 192.0.2.6 >/dev/null 2>&1
	capture_stop || { fail $n "tcpdump dropped or missed frames" \
		"$(capture_diff)"; return; }
	dump "$H1" "$tmp/d.json" || { fail $n "dump"; return; }
	compare_capture $n || return
	frags=$(jq '[.flows[] | select(.fragment and .ifname == "veth0") |
		.packets] | add // 0' "$tmp/d.json")
	cfrag=$(( $(capture_counts "$tmp/in.pcap" \
		'ip[6:2] & 0x3fff != 0' | cut -d' ' -f1) + \
		$(capture_counts "$tmp/out.pcap" \
		'ip[6:2] & 0x3fff != 0' | cut -d' ' -f1) ))
	if [ "$frags" -ne "$cfrag" ] || [ "$cfrag" -lt 16 ]; then
		fail $n "fragment flows $frags, captured fragments $cfrag"
	else
		ok $n
	fi
}

# iperf3 TCP and UDP and ping between H0 and H1, against tcpdump on H1
# tcpdump is the oracle here; if it ever misses a frame its device
# counted, the case says so and runs once more.
t_real_clients()
{
	local try rc
	for try in 1 2; do
		real_clients_once
		rc=$?
		[ $rc = 2 ] || return
		echo "# tcpdump missed frames its device counted: $(capture_diff | head -2 | tr '\n' ' ')"
	done
	fail ping_iperf3_tcp_udp_match_tcpdump_per_flow \
		"tcpdump missed frames twice"
}

real_clients_once()
{
	local n=ping_iperf3_tcp_udp_match_tcpdump_per_flow port=5201 rc
	attach "$H1" veth0 || { fail $n "attach"; return; }
	frames_only
	capture_start "$H1" veth0 in "$tmp/in.pcap" &&
		capture_start "$H1" veth0 out "$tmp/out.pcap" ||
		{ fail $n "tcpdump did not start"; return; }
	ip netns exec "$H1" timeout 20 iperf3 -s -p $port >/dev/null 2>&1 &
	pids+=($!)
	poll 30 ip netns exec "$H1" sh -c "ss -Hltn 'sport = :$port' | grep -q ."
	ip netns exec "$H0" timeout 10 ping -q -c 5 -i 0.2 192.0.2.6 \
		>/dev/null 2>&1
	ip netns exec "$H0" timeout 10 iperf3 -c 192.0.2.6 -p $port -t 1 \
		-b 100M --connect-timeout 2000 >"$tmp/iperf.tcp" 2>&1
	local rc_tcp=$?
	ip netns exec "$H0" timeout 10 iperf3 -c 192.0.2.6 -p $port -u \
		-b 20M -l 1000 -t 1 --connect-timeout 2000 \
		>"$tmp/iperf.udp" 2>&1
	local rc_udp=$?
	ip netns exec "$H0" timeout 10 ping -q -c 3 -i 0.2 2001:db8:0:1::2 \
		>/dev/null 2>&1
	capture_stop
	rc=$?
	[ $rc = 1 ] && { fail $n "tcpdump dropped frames"; return; }
	if [ $rc_tcp -ne 0 ] || [ $rc_udp -ne 0 ]; then
		fail $n "iperf3 failed: $(tail -n 2 "$tmp/iperf.tcp" "$tmp/iperf.udp")"
		return
	fi
	dump "$H1" "$tmp/d.json" || { fail $n "dump"; return; }
	[ $rc = 2 ] && return 2
	compare_capture $n || return
	if ! jq -e '[.flows[] | select(.proto == 17 and .dport == 5201 and
		.packets > 1000)] | length == 1' "$tmp/d.json" >/dev/null; then
		fail $n "no iperf3 UDP flow of > 1000 packets"
		return
	fi
	ok $n
}

# H1 and H2 send into H0's veth1 and veth2; one dump shows both exactly.
t_several_interfaces()
{
	local n=several_interfaces_in_one_dump want1 want2 got1 got2
	attach "$H0" veth1 && attach "$H0" veth2 ||
		{ fail $n "attach"; return; }
	"$GEN" --netns "$H1" --dev veth0 --json \
		proto=udp,src=203.0.113.10,dst=203.0.113.20,count=111,flows=3 \
		>"$tmp/g1.json" &&
	"$GEN" --netns "$H2" --dev veth0 --json \
		proto=tcp,src=2001:db8::7,dst=2001:db8::8,count=222,flows=2 \
		proto=icmp,src=203.0.113.1,dst=203.0.113.2,count=3 \
		>"$tmp/g2.json" || { fail $n "flowgen"; return; }
	dump "$H0" "$tmp/d.json" || { fail $n "dump"; return; }
	want1=$(jq -c "$GEN_FLOWS" "$tmp/g1.json")
	want2=$(jq -c "$GEN_FLOWS" "$tmp/g2.json")
	got1=$(fs_flows "$tmp/d.json" veth1 ingress)
	got2=$(fs_flows "$tmp/d.json" veth2 ingress)
	if [ "$(jq '.interfaces | length' "$tmp/d.json")" != 2 ]; then
		fail $n "dump shows $(jq -c '[.interfaces[].ifname]' "$tmp/d.json")"
	elif [ "$want1" != "$got1" ] || [ "$want2" != "$got2" ]; then
		fail $n "veth1: $want1 vs $got1" "veth2: $want2 vs $got2"
	elif [ "$(fs_foreground "$tmp/d.json" veth1 ingress)" != "111 6660" ]; then
		fail $n "veth1 total $(fs_total "$tmp/d.json" veth1 ingress)," \
			"background $(fs_background "$tmp/d.json" veth1 ingress)"
	else
		ok $n
	fi
}

# Per interface and direction, [packets, bytes] of the flows of
# $before that $after no longer has, and of $after's retired counts.
REMOVED='($before.flows | map(. as $f | select([$after.flows[] |
		[.ifname, .direction, .ethertype, .vlan, .inner_vlan, .proto,
		 .src, .dst, .sport, .dport, .icmp_type, .icmp_code]] |
		index([[$f.ifname, $f.direction, $f.ethertype, $f.vlan,
			$f.inner_vlan, $f.proto, $f.src, $f.dst, $f.sport,
			$f.dport, $f.icmp_type, $f.icmp_code]]) | not))) as $gone |
	[$after.interfaces[].ifname as $i | ("ingress", "egress") as $dir |
	 [$gone[] | select(.ifname == $i and .direction == $dir)] |
	 [$i, $dir, ([.[].packets] | add // 0), ([.[].bytes] | add // 0)]]'
RETIRED='[$after.interfaces[] | .ifname as $i | ("ingress", "egress") as $dir |
	[$i, $dir, .[$dir].retired_packets, .[$dir].retired_bytes]]'

# Uses the state t_several_interfaces left: flows on H0 veth1 and veth2.
t_gc()
{
	local n=gc_moves_idle_flows_to_retired_totals_stay_exact
	local flows fg removed left removed_sums retired
	dump "$H0" "$tmp/before.json" || { fail $n "dump"; return; }
	flows=$(jq '.flows | length' "$tmp/before.json")
	# t_several_interfaces' 3 + 2 + 1 flows; the kernel's own control
	# traffic may add a few or none
	fg=$(jq "[.flows[] | select($BG | not)] | length" "$tmp/before.json")
	"$FS" --netns "$H0" gc --idle 3600 --json >"$tmp/gc0.json" ||
		{ fail $n "gc --idle 3600 failed"; return; }
	if [ "$(jq '[.interfaces[].removed_flows] | add' "$tmp/gc0.json")" != 0 ]; then
		fail $n "gc --idle 3600 removed flows: $(cat "$tmp/gc0.json")"
		return
	fi
	# every flow idle for more than a second, by the dump's own clock
	idle_past_1s()
	{
		dump "$H0" "$tmp/idle.json" &&
			jq -e ".time - ([.flows[] | select($BG | not) |
				.last_seen] | max) > 1.05" "$tmp/idle.json" \
				>/dev/null
	}
	poll 30 idle_past_1s || { fail $n "flows never went idle"; return; }
	"$FS" --netns "$H0" gc --idle 1 --json >"$tmp/gc.json" ||
		{ fail $n "gc failed"; return; }
	removed=$(jq '[.interfaces[].removed_flows] | add' "$tmp/gc.json")
	dump "$H0" "$tmp/after.json" || { fail $n "dump after gc"; return; }
	left=$(jq "[.flows[] | select($BG | not)] | length" "$tmp/after.json")
	removed_sums=$(jq -nc --slurpfile b "$tmp/before.json" \
		--slurpfile a "$tmp/after.json" \
		'$b[0] as $before | $a[0] as $after | '"$REMOVED")
	retired=$(jq -nc --slurpfile a "$tmp/after.json" \
		'$a[0] as $after | '"$RETIRED")
	if [ "$fg" != 6 ] || [ "$removed" -lt "$fg" ] ||
	   [ "$removed" -gt "$flows" ] || [ "$left" != 0 ]; then
		fail $n "$flows flows ($fg not the kernel's), gc removed $removed, $left left"
	elif [ "$removed_sums" != "$retired" ]; then
		fail $n "removed flows: $removed_sums" "retired: $retired"
	else
		# flows come back from zero, totals keep counting
		"$GEN" --netns "$H1" --dev veth0 \
			proto=udp,src=203.0.113.10,dst=203.0.113.20,count=5 \
			>/dev/null
		dump "$H0" "$tmp/again.json" || { fail $n "dump"; return; }
		if [ "$(jq -c "$FS_FLOWS" --arg ifn veth1 --arg dir ingress \
			"$tmp/again.json")" != \
		     '[[[2048,null,null,17,"203.0.113.10","203.0.113.20",0,0],5,300]]' ]; then
			fail $n "after gc: $(jq -c .flows "$tmp/again.json")"
		else
			ok $n
		fi
	fi
}

# Totals equal the kernel's rx counter; flows that got an entry are
# exact, the rest is untracked.
t_map_full()
{
	local n=full_flows_map_counts_untracked_totals_exact
	local k0 k1 kern tracked untracked total extra
	attach "$H1" veth0 --max-flows 16 || { fail $n "attach"; return; }
	dump "$H1" "$tmp/d0.json" || { fail $n "dump"; return; }
	k0=$(kernel_rx "$H1" veth0)
	"$GEN" --netns "$H0" --dev veth1 --json \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,count=500,flows=100 \
		>"$tmp/gen.json" || { fail $n "flowgen"; return; }
	k1=$(kernel_rx "$H1" veth0)
	dump "$H1" "$tmp/d.json" || { fail $n "dump"; return; }
	set -- $k0 $k1
	kern="$(($3 - $1)) $(($4 - $2))"
	tracked=$(jq '.flows | length' "$tmp/d.json")
	untracked=$(jq '.interfaces[0].ingress.untracked_packets' "$tmp/d.json")
	total=$(fs_total "$tmp/d.json" veth0 ingress)
	set -- $(fs_total "$tmp/d0.json" veth0 ingress) $total
	total="$(($3 - $1)) $(($4 - $2))"
	# tracked flows not among flowgen's, with flowgen's exact counts
	extra=$(jq -nc --slurpfile g "$tmp/gen.json" \
		--slurpfile d "$tmp/d.json" --arg ifn veth0 --arg dir ingress \
		'($g[0] | '"$GEN_FLOWS"') as $want |
		 ($d[0] | '"$FS_FLOWS"') - $want')
	if [ "$total" != "$kern" ] || [ "${total% *}" -lt 500 ] ||
	   [ "$tracked" -gt 16 ] || [ "$untracked" -lt 400 ]; then
		fail $n "total $total, kernel rx $kern, $tracked flows," \
			"$untracked untracked"
	elif [ "$extra" != "[]" ]; then
		fail $n "flows unlike flowgen's: $extra"
	elif ! poll 10 watch_outside_as_dump "$H1"; then
		fail $n "watch and dump differ outside the flows:" \
			"$(cat "$tmp/wo")"
	else
		ok $n
	fi
}

# A watch record's counts outside the flows (untracked, retired, sampled
# out, unmatched) are the dump's, taken right after it.
OUTSIDE='[.interfaces[] | .ingress, .egress |
	[.packets, .untracked_packets, .untracked_bytes, .retired_packets,
	 .retired_bytes, .sampled_out_packets, .sampled_out_bytes,
	 .unmatched_packets, .unmatched_bytes]]'
watch_outside_as_dump()	# NS
{
	local w d
	w=$("$FS" --netns "$1" watch --json --count 1 | jq -c "$OUTSIDE")
	d=$("$FS" --netns "$1" dump --json | jq -c "$OUTSIDE")
	echo "watch $w, dump $d" >"$tmp/wo"
	[ -n "$w" ] && [ "$w" = "$d" ]
}

t_watch()
{
	local n=watch_json_lines_deltas_add_up lines sum
	attach "$H1" veth0 || { fail $n "attach"; return; }
	"$FS" --netns "$H1" watch --json --interval 0.4 --count 4 \
		>"$tmp/w.json" 2>"$tmp/w.err" &
	local wpid=$!
	# after its first record, so every delta falls between records
	poll 30 grep -qs . "$tmp/w.json"
	"$GEN" --netns "$H0" --dev veth1 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,count=321,flows=4 \
		>/dev/null
	wait $wpid
	lines=$(jq -c . "$tmp/w.json" 2>/dev/null | wc -l)
	sum=$(jq -s '[.[].interfaces[0].ingress.delta_packets] | add' \
		"$tmp/w.json" 2>/dev/null)
	local fsum bsum
	fsum=$(jq -s '[.[].flows[] | select(.direction == "ingress") |
		select('"$BG"' | not) | .delta_packets] | add' "$tmp/w.json" \
		2>/dev/null)
	bsum=$(jq -s '[.[].flows[] | select(.direction == "ingress") |
		select('"$BG"') | .delta_packets] | add // 0' "$tmp/w.json" \
		2>/dev/null)
	if [ "$lines" != 4 ] || [ "$(wc -l <"$tmp/w.json")" != 4 ]; then
		fail $n "$lines JSON records: $(head -c 300 "$tmp/w.json" "$tmp/w.err")"
	elif [ "$fsum" != 321 ] || [ "$sum" != $((321 + bsum)) ]; then
		fail $n "ingress deltas add up to $sum (flows $fsum," \
			"background $bsum), sent 321"
	else
		ok $n
	fi
}

t_filter_sort_top()
{
	local n=dump_filter_sort_top_csv got
	attach "$H1" veth0 || { fail $n "attach"; return; }
	"$GEN" --netns "$H0" --dev veth1 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1,dport=53,count=30 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=2,dport=53,count=20 \
		proto=tcp,src=203.0.113.1,dst=203.0.113.9,sport=3,dport=80,count=10 \
		>/dev/null || { fail $n "flowgen"; return; }
	dump "$H1" "$tmp/f.json" --filter 'proto udp and port 53' \
		--sort packets --top 1 || { fail $n "dump"; return; }
	got=$(jq -c '[.flows[] | [.sport, .packets]]' "$tmp/f.json")
	if [ "$got" != "[[1,30]]" ]; then
		fail $n "filtered: $got"
		return
	fi
	got=$("$FS" --netns "$H1" dump --csv --filter 'host 203.0.113.9' |
		awk -F, 'NR > 1 && $1 == "veth0" && $2 == "ingress" {
			print $6, $9, $10, $13 }')
	if [ "$got" != "6 3 80 10" ]; then
		fail $n "csv: $got"
		return
	fi
	ok $n
}

# expect_exit NAME CODE PATTERN CMD...: exit code and a one-line message
expect_exit()
{
	local name=$1 code=$2 pattern=$3 rc
	shift 3
	"$@" >"$tmp/x.out" 2>"$tmp/x.err"
	rc=$?
	if [ $rc -ne "$code" ] || [ "$(wc -l <"$tmp/x.err")" != 1 ] ||
	   ! grep -q -- "$pattern" "$tmp/x.err"; then
		fail "$name" "rc $rc (want $code): $(cat "$tmp/x.err")"
		return 1
	fi
	return 0
}

t_usage_errors()
{
	local n=usage_errors_exit_2_with_position
	expect_exit $n 2 "column 6: port 'x' is not a number" \
		"$FS" dump --filter 'port x' &&
	expect_exit $n 2 "column 7: unexpected ')'" \
		"$FS" dump --filter 'port 1)' &&
	expect_exit $n 2 "column 12: expression ends too early" \
		"$FS" dump --filter 'port 1 and ' &&
	expect_exit $n 2 "--top: '0' is not" "$FS" dump --top 0 &&
	expect_exit $n 2 "--top: '-3' is not" "$FS" dump --top -3 &&
	expect_exit $n 2 "--sort: unknown field 'speed'" \
		"$FS" dump --sort speed &&
	expect_exit $n 2 "--interval: '0' is not" "$FS" watch --interval 0 &&
	expect_exit $n 2 "--interval: 'abc' is not" \
		"$FS" watch --interval abc &&
	expect_exit $n 2 "--count: '0' is not" "$FS" watch --count 0 &&
	expect_exit $n 2 "--idle: '-1' is not" "$FS" gc --idle -1 &&
	expect_exit $n 2 "unknown option" "$FS" gc --top 3 &&
	expect_exit $n 1 "not attached" \
		"$FS" --netns "$H2" dump veth0 &&
	ok $n
}

# An interface deleted under a running watch and a later dump: marked
# gone, counts still shown, no failure. Runs last: it removes pair 2.
t_interface_gone()
{
	local n=interface_gone_marked_not_present rc
	attach "$H2" veth0 || { fail $n "attach"; return; }
	"$FS" --netns "$H2" watch --json --interval 0.3 --count 3 \
		>"$tmp/w.json" 2>"$tmp/w.err" &
	local wpid=$!
	poll 30 grep -qs . "$tmp/w.json"	# a record with veth0 present
	ip -n "$H2" link del veth0
	wait $wpid
	rc=$?
	"$FS" --netns "$H2" dump --json >"$tmp/d.json" 2>"$tmp/d.err" ||
		{ fail $n "dump failed: $(cat "$tmp/d.err")"; return; }
	if [ $rc -ne 0 ] ||
	   [ "$(jq -s -c '[.[].interfaces[0].present]' "$tmp/w.json")" != \
	     "[true,false,false]" ]; then
		fail $n "watch rc $rc: $(cat "$tmp/w.json" "$tmp/w.err")"
	elif [ "$(jq -c '.interfaces[0] | [.present, .kernel]' \
		"$tmp/d.json")" != "[false,null]" ]; then
		fail $n "dump: $(jq -c .interfaces "$tmp/d.json")"
	else
		ok $n
	fi
	"$FS" --netns "$H2" detach veth0 >/dev/null 2>&1
}

if ! testbed_up --pairs 2 >/dev/null; then
	echo "not ok - testbed up"
	exit 1
fi
t_exact_flows
t_fragments_and_egress
t_real_clients
t_several_interfaces
t_gc
t_map_full
t_watch
t_filter_sort_top
t_usage_errors
t_interface_gone
if [ $bad_dumps -eq 0 ] && [ $dumps -ge 8 ]; then
	ok "invariant_holds_in_every_dump ($dumps dumps)"
else
	fail "invariant_holds_in_every_dump" "$bad_dumps of $dumps broke it"
fi
exit $failed
