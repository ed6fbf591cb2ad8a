#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# flowgen: what it reports equals, exactly, what the receiving veth's
# kernel counters and a tcpdump capture on it saw (IPv4, IPv6, VLAN,
# QinQ, non-IP), flows spread exactly, rates hold, padded frames
# (iplen=) are well-formed and counted in ip_bytes, and bad descriptions
# exit 2 naming the field.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fg$$
RX=veth0
tmp=$(mktemp -d)

need_built "$GEN"
source scripts/testbed
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

cleanup()
{
	[ -n "${td_pid:-}" ] && kill "$td_pid" 2>/dev/null
	[ -n "${udp_pid:-}" ] && kill "$udp_pid" 2>/dev/null
	"$GEN" --netns "$H1" --dev "$RX" --detach-pass 2>/dev/null
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT



rx_counters()
{
	ip -n "$H1" -s -j link show "$RX" |
		jq -r '.[0].stats64.rx | "\(.packets) \(.bytes)"'
}

# A short snap length keeps ring slots small: a burst of millions of
# frames per second then fits the ring. -e still shows each frame's full
# length. A caller that checks payloads (checksums, padding) sets a local
# snaplen for the whole frame.
# COUNT: tcpdump ends by itself after that many frames, so that
# capture_stop knows when every frame is in the file.
capture_start()	# COUNT
{
	local i
	rm -f "$tmp/td.err"
	ip netns exec "$H1" tcpdump -i "$RX" -Q in -B 65536 -s "${snaplen:-128}" \
		-c "$1" -nn -U --immediate-mode -w "$tmp/cap.pcap" \
		2>"$tmp/td.err" &
	td_pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -qs "listening on" "$tmp/td.err" && return 0
		sleep 0.1
	done
	return 1
}

# Waits for tcpdump to have its COUNT frames (at most 30 s: fewer came).
capture_stop()
{
	poll 30 exited "$td_pid" || kill -INT "$td_pid"
	wait "$td_pid"
	td_pid=
	grep -q " 0 packets dropped by kernel" "$tmp/td.err"
}

# "packets bytes" of the capture, bytes being each frame's length.
capture_counts()
{
	tcpdump -r "$tmp/cap.pcap" -nn -e 2>/dev/null | awk '
		match($0, /, length [0-9]+/) {
			n++; b += substr($0, RSTART + 9, RLENGTH - 9)
		}
		END { printf "%d %d\n", n, b }'
}

# Sends FLOWSPEC... and checks flowgen == rx counters == capture, and
# that flowgen sent the packets and bytes the test expects.
send_exact()
{
	local name=$1 want_pkts=$2 want_bytes=$3 r0 r1 got cap
	shift 3
	testbed_settle || { fail "$name" "testbed does not settle"; return; }
	capture_start "$want_pkts" ||
		{ fail "$name" "tcpdump did not start"; return; }
	r0=$(rx_counters)
	"$GEN" --netns "$H0" --dev veth1 --json "$@" >"$tmp/gen.json" \
		2>"$tmp/gen.err"
	local rc=$?
	r1=$(rx_counters)
	capture_stop || echo "# tcpdump: $(tr '\n' ' ' <"$tmp/td.err")"
	got=$(jq -r '"\(.packets) \(.bytes)"' "$tmp/gen.json" 2>/dev/null)
	cap=$(capture_counts)
	set -- $r0 $r1
	local rx="$(($3 - $1)) $(($4 - $2))"
	if [ $rc -eq 0 ] && [ "$got" = "$want_pkts $want_bytes" ] &&
	   [ "$rx" = "$got" ] && [ "$cap" = "$got" ]; then
		ok "$name"
	else
		fail "$name" "rc $rc, want $want_pkts $want_bytes," \
			"flowgen $got, rx counters $rx, capture $cap" \
			"$(cat "$tmp/gen.err")"
	fi
}

setup()
{
	testbed_up >/dev/null || return 1
	"$GEN" --netns "$H1" --dev "$RX" --attach-pass
}

if ! setup; then
	echo "not ok - testbed up and pass program attached"
	exit 1
fi

send_exact "IPv4 udp, tcp, icmp, raw protocol" $((1000 + 300 + 7 + 5)) \
	$((1000 * 60 + 300 * 200 + 7 * 98 + 5 * 1500)) \
	proto=udp,src=192.0.2.5,dst=203.0.113.9,sport=1000,dport=53,count=1000 \
	proto=tcp,src=192.0.2.5,dst=203.0.113.9,flags=SA,size=200,count=300 \
	proto=icmp,type=8,code=0,size=98,count=7 \
	proto=47,size=1500,count=5
send_exact "IPv6 udp, tcp, icmpv6, sctp" $((500 + 400 + 3 + 11)) \
	$((500 * 62 + 400 * 1514 + 3 * 70 + 11 * 128)) \
	proto=udp,src=2001:db8::1,dst=2001:db8::2,count=500 \
	proto=tcp,src=2001:db8::1,dst=2001:db8::2,flags=PA,size=1514,count=400 \
	proto=icmpv6,type=128,size=70,count=3 \
	proto=sctp,src=2001:db8::1,dst=2001:db8::2,size=128,count=11
send_exact "VLAN-tagged IPv4 and IPv6" $((600 + 250)) \
	$((600 * 64 + 250 * 512)) \
	proto=udp,vlan=10,size=64,count=600 \
	proto=tcp,src=2001:db8::1,dst=2001:db8::2,vlan=4094,size=512,count=250
send_exact "QinQ-tagged frames" $((321 + 9)) $((321 * 90 + 9 * 60)) \
	proto=udp,vlan=100,inner_vlan=200,size=90,count=321 \
	eth=0x88b5,vlan=5,inner_vlan=6,tpid=0x8100,count=9
send_exact "non-IP frames" $((200 + 10 + 3)) $((200 * 60 + 10 * 60 + 3 * 1000)) \
	eth=0x88b5,count=200 eth=0x0806,count=10,dmac=02:00:00:00:00:02 \
	proto=raw,size=1000,count=3

# flows= spreads count exactly, and the capture agrees per flow.
test_flows_spread()
{
	local per cap
	send_exact "flows=10 over 1005 frames: totals" 1005 $((1005 * 60)) \
		proto=udp,src=192.0.2.5,dst=203.0.113.9,sport=4000,dport=9,count=1005,flows=10
	per=$(jq -r '.flows[] | "\(.sport) \(.packets)"' "$tmp/gen.json" | sort)
	cap=$(tcpdump -r "$tmp/cap.pcap" -nn 2>/dev/null |
	      awk '{ split($3, a, "."); print a[5] }' | sort | uniq -c |
	      awk '{ print $2, $1 }' | sort)
	if [ "$per" = "$cap" ] && [ "$(wc -l <<<"$per")" = 10 ] &&
	   [ "$(awk '$2 == 101' <<<"$per" | wc -l)" = 5 ]; then
		ok "flows=10: each flow's count matches the capture"
	else
		fail "flows=10: each flow's count matches the capture" \
			"flowgen: $(echo $per) capture: $(echo $cap)"
	fi
}
test_flows_spread

# "packets ip_bytes bad_sums udp_sums_ok tcp_sums_ok bad_padding" of the
# capture (taken with a snaplen for whole frames): ip_bytes sums the IP
# headers' lengths (IPv4 total length, IPv6 40 + payload length), the
# sums are tcpdump -vv's verdicts, and bad_padding counts frames whose
# bytes after the IP packet are not all zero (or are not all captured).
capture_ip_facts()
{
	tcpdump -r "$tmp/cap.pcap" -nn -t -e -vv -xx 2>/dev/null | awk '
		function end_frame() {
			if (!frames)
				return
			ip_bytes += iplen
			pad = substr(hex, 2 * (l2 + iplen) + 1)
			if (length(hex) != 2 * flen || pad ~ /[^0]/)
				bad_pad++
		}
		/^[^ \t]/ {
			end_frame()
			frames++
			hex = ""
			iplen = 0
			match($0, /, length [0-9]+: /)
			flen = substr($0, RSTART + 9, RLENGTH - 11)
			l2 = 14 + 4 * gsub(/vlan [0-9]+, p [0-9]/, "&")
		}
		/^\t0x/ {
			for (i = 2; i <= NF; i++)
				hex = hex $i
			next
		}
		match($0, /proto [A-Za-z0-9-]+ \([0-9]+\), length [0-9]+\)/) {
			len = substr($0, RSTART, RLENGTH)
			sub(/.*length /, "", len)
			iplen = len + 0
		}
		match($0, /payload length: [0-9]+\)/) {
			iplen = 40 + substr($0, RSTART + 16, RLENGTH - 17)
		}
		/bad cksum|bad udp cksum|incorrect|wrong/ { bad_sums++ }
		/\[udp sum ok\]/ { udp_ok++ }
		/cksum 0x[0-9a-f]+ \(correct\)/ { tcp_ok++ }
		END {
			end_frame()
			printf "%d %d %d %d %d %d\n", frames, ip_bytes,
				bad_sums, udp_ok, tcp_ok, bad_pad
		}'
}

# Padded frames: IP packets (iplen=) shorter than their frames. A TCP ACK
# in a minimal frame (and one whose size comes from iplen=), UDP over
# IPv4 (several flows: the per-frame checksum update), IPv6 (the same),
# VLAN and QinQ (odd lengths), and UDP whose size comes from iplen=.
test_padded_frames()
{
	local snaplen=2048 n="padded frames" facts want got bad
	send_exact "$n: flowgen, rx counters, capture" 222 22988 \
		proto=tcp,src=192.0.2.5,dst=203.0.113.9,flags=A,size=60,iplen=40,count=100 \
		proto=tcp,flags=A,iplen=40,count=10 \
		proto=udp,src=192.0.2.5,dst=203.0.113.9,dport=53,size=200,iplen=101,count=50,flows=5 \
		proto=udp,src=2001:db8::1,dst=2001:db8::2,size=128,iplen=70,count=30,flows=3 \
		proto=udp,vlan=10,size=80,iplen=33,count=20 \
		proto=udp,vlan=100,inner_vlan=200,size=100,iplen=45,count=5 \
		proto=udp,iplen=50,count=7
	bad=$(jq -c '[.flows[] | select(.ip_bytes != .packets * .iplen)]' \
		"$tmp/gen.json")
	got=$(jq -r '"\(.ip_bytes) \([.flows[].ip_bytes] | add)" +
		" \(.flows[1].size) \(.flows[-1].size)"' "$tmp/gen.json")
	want="12785 12785 60 64"
	if [ "$got" = "$want" ] && [ "$bad" = "[]" ]; then
		ok "$n: JSON ip_bytes; size from iplen= alone"
	else
		fail "$n: JSON ip_bytes; size from iplen= alone" \
			"want $want, got $got; flows not packets x iplen: $bad"
	fi
	facts=$(capture_ip_facts)
	want="222 12785 0 112 110 0"
	if [ "$facts" = "$want" ]; then
		ok "$n: IP lengths captured sum to ip_bytes; sums valid, padding 0"
	else
		fail "$n: IP lengths captured sum to ip_bytes; sums valid, padding 0" \
			"want (packets ip_bytes bad udp_ok tcp_ok bad_pad) $want," \
			"capture $facts"
	fi
}
test_padded_frames

# SCTP's CRC32c and ICMP's checksums in padded frames, which tcpdump
# does not check: tshark does (status 1 is good).
test_padded_tshark()
{
	local snaplen=2048 n="padded sctp, icmp, icmpv6" sums
	if ! command -v tshark >/dev/null; then
		ok "$n: checksums valid (tshark) # SKIP no tshark"
		return
	fi
	send_exact "$n: flowgen, rx counters, capture" 23 3268 \
		proto=sctp,src=192.0.2.5,dst=203.0.113.9,size=200,iplen=70,count=8,flows=4 \
		proto=sctp,src=2001:db8::1,dst=2001:db8::2,size=128,iplen=66,count=6,flows=3 \
		proto=icmp,size=100,iplen=37,count=5,flows=5 \
		proto=icmpv6,size=100,iplen=51,count=4,flows=2
	sums=$(tshark -r "$tmp/cap.pcap" -o sctp.checksum:CRC-32C \
		-o ip.check_checksum:TRUE -T fields -E separator=, \
		-e ip.checksum.status -e sctp.checksum.status \
		-e icmp.checksum.status -e icmpv6.checksum.status 2>/dev/null |
		LC_ALL=C sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
	if [ "$sums" = ",,,1:4 ,1,,:6 1,,1,:5 1,1,,:8 " ]; then
		ok "$n: checksums valid (tshark)"
	else
		fail "$n: checksums valid (tshark)" "tshark statuses: $sums"
	fi
}
test_padded_tshark

# vary= counts up the field it names: a port scan (dport over 1,000
# flows), a destination port and a port carrying into its address
# (IPv6 udp, sctp with its CRC), many sources, many destinations (tcp,
# icmp). Every frame's tuple is flowgen's, frame for frame, and every
# checksum holds (tshark: status 1 is good, 0 bad, 2 not checked).
test_vary()
{
	local n="vary= dport, src, dst" want got sums
	if ! command -v tshark >/dev/null; then
		ok "$n: tuples and checksums (tshark) # SKIP no tshark"
		return
	fi
	send_exact "$n: flowgen, rx counters, capture" 1088 108800 \
		proto=tcp,src=192.0.2.5,dst=203.0.113.9,sport=40000,dport=1,size=100,count=1000,flows=1000,vary=dport \
		proto=udp,src=2001:db8::1,dst=2001:db8::2,sport=53,dport=65530,size=100,count=20,flows=10,vary=dport \
		proto=sctp,src=192.0.2.5,dst=203.0.113.9,sport=7,dport=65534,size=100,count=8,flows=4,vary=dport \
		proto=udp,src=198.51.100.1,dst=203.0.113.1,sport=9,dport=9,size=100,count=30,flows=30,vary=src \
		proto=tcp,src=2001:db8::1,dst=2001:db8::100,size=100,count=20,flows=20,vary=dst \
		proto=icmp,src=192.0.2.5,dst=203.0.113.10,size=100,count=10,flows=5,vary=dst
	want=$(jq -r '.flows[] | "\(.src) \(.dst) \(.sport // .type)" +
		" \(.dport // .code) \(.packets)"' "$tmp/gen.json" | LC_ALL=C sort)
	got=$(tshark -r "$tmp/cap.pcap" -T fields -E 'separator=;' \
		-e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
		-e tcp.srcport -e udp.srcport -e sctp.srcport -e icmp.type \
		-e tcp.dstport -e udp.dstport -e sctp.dstport -e icmp.code \
		2>/dev/null | tr -s ';' ' ' | LC_ALL=C sort | uniq -c |
		awk '{ print $2, $3, $4, $5, $1 }' | LC_ALL=C sort)
	sums=$(tshark -r "$tmp/cap.pcap" -o sctp.checksum:CRC-32C \
		-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -T fields -E separator=, \
		-e ip.checksum.status -e tcp.checksum.status \
		-e udp.checksum.status -e sctp.checksum.status \
		-e icmp.checksum.status 2>/dev/null |
		awk '/[^,1]/ { bad++ } END { print NR, bad + 0 }')
	if [ "$(wc -l <<<"$want")" != 1069 ] || [ "$want" != "$got" ]; then
		fail "$n: tuples and checksums (tshark)" "flowgen/capture:" \
			"$(diff <(echo "$want") <(echo "$got") | head -8 | tr '\n' ' ')"
	elif [ "$sums" != "1088 0" ]; then
		fail "$n: tuples and checksums (tshark)" \
			"(frames, frames with a bad or unchecked sum): $sums"
	else
		ok "$n: tuples and checksums (tshark)"
	fi
}
test_vary

udp_csum_errors()
{
	ip netns exec "$H1" nstat -asz UdpInCsumErrors Udp6InCsumErrors |
		awk '!/^#/ { printf "%s %s ", $1, $2 }'
}

# The receiving stack takes padded UDP: it trims the padding by the IP
# length, checks the UDP length and checksum, and a socket reads each
# datagram with its payload (iplen - 28, or iplen - 48 over IPv6).
test_padded_udp_delivered()
{
	local n="padded udp IPv4 and IPv6: delivered to a socket"
	local mac i got s0 s1
	if ! command -v python3 >/dev/null; then
		ok "$n # SKIP no python3"
		return
	fi
	mac=$(ip -n "$H1" -j link show "$RX" | jq -r '.[0].address')
	ip netns exec "$H1" python3 - 40 >"$tmp/udp.out" 2>&1 <<'PY' &
import select, socket, sys
want = int(sys.argv[1])
socks = {}
for fam, addr in ((socket.AF_INET, "192.0.2.6"),
                  (socket.AF_INET6, "2001:db8:0:1::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, 5555))
    socks[s] = 4 if fam == socket.AF_INET else 6
got = {s: [] for s in socks}
print("ready", flush=True)
while sum(map(len, got.values())) < 2 * want:
    ready = select.select(list(socks), [], [], 5)[0]
    if not ready:
        break   # 5 s without a datagram: what arrived tells
    for s in ready:
        got[s].append(len(s.recv(65536)))
for s, fam in socks.items():
    print(fam, len(got[s]), *sorted(set(got[s])))
PY
	udp_pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -qs "^ready" "$tmp/udp.out" && break
		sleep 0.1
	done
	s0=$(udp_csum_errors)
	"$GEN" --netns "$H0" --dev veth1 --json \
		proto=udp,src=192.0.2.5,dst=192.0.2.6,dmac=$mac,sport=4000,dport=5555,size=300,iplen=128,count=40,flows=4 \
		proto=udp,src=2001:db8:0:1::1,dst=2001:db8:0:1::2,dmac=$mac,sport=4000,dport=5555,size=200,iplen=148,count=40,flows=4 \
		>"$tmp/gen.json" 2>"$tmp/gen.err"
	wait "$udp_pid"
	udp_pid=
	s1=$(udp_csum_errors)
	got=$(grep -v '^ready' "$tmp/udp.out" | tr '\n' ' ')
	if [ "$got" = "4 40 100 6 40 100 " ] && [ "$s0" = "$s1" ]; then
		ok "$n"
	else
		fail "$n" "listener (family count lengths): $got" \
			"checksum errors before: $s0, after: $s1" \
			"$(cat "$tmp/gen.err")"
	fi
}

test_padded_udp_delivered

test_many_frames_fast()
{
	local r0 r1 got pps
	testbed_settle
	r0=$(rx_counters)
	"$GEN" --netns "$H0" --dev veth1 --json \
		proto=udp,size=64,count=2000000,flows=4 >"$tmp/gen.json" || return 1
	r1=$(rx_counters)
	got=$(jq -r '"\(.packets) \(.bytes)"' "$tmp/gen.json")
	pps=$(jq -r '.pps' "$tmp/gen.json")
	echo "# 2000000 frames of 64 bytes at $pps pps"
	set -- $r0 $r1
	[ "$got" = "2000000 128000000" ] && [ "$(($3 - $1)) $(($4 - $2))" = "$got" ]
}
if test_many_frames_fast; then ok "2M frames: exact rx counters"
else fail "2M frames: exact rx counters" "$(cat "$tmp/gen.json")"; fi

test_rate()
{
	local secs
	"$GEN" --netns "$H0" --dev veth1 --json --rate 20000 \
		proto=udp,count=4000 >"$tmp/gen.json" || return 1
	secs=$(jq -r '.seconds' "$tmp/gen.json")
	echo "# 4000 frames at --rate 20000 took $secs s"
	[ "$(jq -r .packets "$tmp/gen.json")" = 4000 ] &&
	awk -v s="$secs" 'BEGIN { exit !(s >= 0.19 && s < 5) }'
}
if test_rate; then ok "--rate paces sending"
else fail "--rate paces sending" "$(cat "$tmp/gen.json")"; fi

test_flow_file()
{
	printf '# two flows\nproto=udp,count=3\n\neth=0x88b5,count=2 # raw\n' \
		>"$tmp/flows"
	"$GEN" --netns "$H0" --dev veth1 --json -f "$tmp/flows" >"$tmp/gen.json" &&
	[ "$(jq -c '[.flows[].packets]' "$tmp/gen.json")" = "[3,2]" ]
}
if test_flow_file; then ok "-f FILE reads one description per line"
else fail "-f FILE reads one description per line" "$(cat "$tmp/gen.json")"; fi

# Each bad description: exit 2, one line on stderr naming the field.
test_bad_descriptions()
{
	local spec field rc bad=0
	while read -r spec field; do
		"$GEN" --netns "$H0" --dev veth1 "$spec" >/dev/null 2>"$tmp/err"
		rc=$?
		if [ $rc -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
		   ! grep -q "$field" "$tmp/err"; then
			echo "# '$spec': rc $rc: $(cat "$tmp/err")"
			bad=1
		fi
	done <<'EOF'
proto=udp,sport=70000 sport: 70000 is out of range
proto=xyz proto: 'xyz' is not
proto=udp,foo=1 foo: unknown field
proto=icmp,src=2001:db8::1,dst=2001:db8::2 proto: does not match
proto=udp,size=59 size: 59 is too small
proto=tcp,vlan=1,inner_vlan=2,size=60 size: 60 is too small
proto=udp,count=2,flows=3 flows: must be 1 to count
proto=udp,vary=mac vary: 'mac' is not sport, dport, src or dst
proto=icmp,vary=dport vary: dport only for tcp, udp, sctp
eth=0x88b5,vary=src vary: only for IP
proto=udp,src=192.0.2.1 proto: give both src= and dst=
proto=udp,src=192.0.2.1,dst=2001:db8::1 dst: src and dst are not
proto=udp,type=3 type/code: only for icmp
proto=icmp,dport=3 sport/dport: only for tcp
proto=tcp,flags=SX flags: 'X' is not one of
eth=0x0806,proto=udp proto: eth=0x0806 is not IP
eth=0x0600,src=192.0.2.1,dst=192.0.2.2 proto: eth=0x0600 is not IP
eth=0x05dc eth: 0x05dc is a length
proto=udp,count=-1 count: '-1' is not a number
proto=udp,,count count: expected key=value
proto=udp,count=1,count=2 count: given twice
inner_vlan=3,proto=udp inner_vlan: needs vlan=
smac=00:11,eth=0x88b5 smac: '00:11' is not a MAC
smac=-1:-1:-1:-1:-1:-1,eth=0x88b5 smac: '-1:-1:-1:-1:-1:-1' is not a MAC
dmac=0:1:2:3:4:+5,eth=0x88b5 dmac: '0:1:2:3:4:+5' is not a MAC
count=5 proto: missing
proto=tcp,size=60,iplen=39,flags=A iplen: 39 is too small
proto=udp,iplen=27 iplen: 27 is too small
proto=udp,size=100,iplen=87 iplen: 87 is too large
proto=udp,vlan=5,size=100,iplen=83 iplen: 83 is too large
proto=udp,iplen=9210 iplen: 9210 is too large
proto=udp,iplen=9217 iplen: 9217 is out of range
eth=0x88b5,iplen=50 iplen: only for IP
EOF
	return $bad
}
if test_bad_descriptions; then ok "bad descriptions exit 2 naming the field"
else fail "bad descriptions exit 2 naming the field" "see above"; fi

test_usage_errors()
{
	"$GEN" --help | grep -q "usage: flowgen" || return 1
	"$GEN" proto=udp 2>/dev/null; [ $? -eq 2 ] || return 1
	"$GEN" --dev veth1 --rate x proto=udp 2>/dev/null; [ $? -eq 2 ] || return 1
	"$GEN" --dev veth1 -f /nonexistent 2>/dev/null; [ $? -eq 2 ]
}
if test_usage_errors; then ok "--help, and usage errors exit 2"
else fail "--help, and usage errors exit 2" "see above"; fi

# Without an XDP program on the peer nothing arrives: flowgen must say so.
test_peer_without_xdp()
{
	"$GEN" --netns "$H1" --dev "$RX" --detach-pass || return 1
	ip -n "$H1" link show "$RX" | grep -q "prog/xdp" && return 1
	"$GEN" --netns "$H0" --dev veth1 proto=udp,count=10 >/dev/null \
		2>"$tmp/err"
	local rc=$?
	"$GEN" --netns "$H1" --dev "$RX" --attach-pass || return 1
	[ $rc -eq 1 ] && grep -q "the peer takes no frames" "$tmp/err"
}
if test_peer_without_xdp; then ok "a peer without XDP is reported, exit 1"
else fail "a peer without XDP is reported, exit 1" "$(cat "$tmp/err")"; fi

test_foreign_xdp_left_alone()
{
	"$GEN" --netns "$H1" --dev "$RX" --attach-pass 2>"$tmp/err"
	[ $? -eq 1 ] && grep -q "already has an XDP program" "$tmp/err"
}
if test_foreign_xdp_left_alone; then ok "--attach-pass never replaces a program"
else fail "--attach-pass never replaces a program" "$(cat "$tmp/err")"; fi

exit $failed
