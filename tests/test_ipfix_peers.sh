#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The IPFIX exporter (export/ipfix.c) against real collectors on
# 127.0.0.1: nfcapd (nfdump) and nfacctd (pmacct) get the same known
# records (IPv4, IPv6, VLAN outer and inner, TCP flags with FIN, ICMP
# and ICMPv6 type/code, 64-bit counters, three observation domains, more
# records than one message holds) from senders that use the exporter
# ($BUILD/tests/ipfix_test --send). Each collector must show every flow
# with exactly the packets and bytes sent and report no sequence errors;
# a control domain whose sequence numbers do jump shows that both would
# report them. tshark must decode every message captured with no
# malformed packet and no expert info (a broken control datagram shows
# that it would say). Then nfcapd restarts: what is sent while it is
# down or before the next template refresh is lost, what is sent after
# the refresh is decoded exactly.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
source tests/peers.sh
SEND=$BUILD/tests/ipfix_test
WAIT_SECONDS=30
REFRESH=10		# template refresh of the senders (s)
T_START=1700000000123	# flowStartMilliseconds of every record
T_END=1700000004690
TIME_TEXT="2023-11-14 22:13:20.123|2023-11-14 22:13:24.690"

need_built "$SEND"
need_tools nfcapd nfdump nfacctd tshark tcpdump ss
tmp=$(mktemp -d /tmp/ipfix-peers.XXXXXX)
pids=()			# everything started in the background
declare -A sfd rfd spid	# per sender: its command and answer fds, pid

cleanup()
{
	local pid name
	for name in "${!sfd[@]}"; do
		eval "exec ${sfd[$name]}>&- ${rfd[$name]}<&-"
	done
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	# nfacctd acts on signals only when a datagram comes
	[ -n "${P2:-}" ] && echo x 2>/dev/null >/dev/udp/127.0.0.1/"$P2"
	for pid in "${pids[@]}"; do
		poll 5 gone "$pid" || kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "# kept $tmp" && return
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- helpers ----

# sender_start NAME PORT: a sender for 127.0.0.1:PORT (mtu 1400, refresh
# $REFRESH s) with a pipe for commands and one for its answers.
sender_start()
{
	local name=$1 port=$2 fd
	mkfifo "$tmp/$name.in" "$tmp/$name.out"
	"$SEND" --send "127.0.0.1:$port" 1400 "$REFRESH" \
		<"$tmp/$name.in" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	spid[$name]=$!
	pids+=($!)
	exec {fd}>"$tmp/$name.in"
	sfd[$name]=$fd
	exec {fd}<"$tmp/$name.out"
	rfd[$name]=$fd
}

# cmd NAME LINE: one command; its answer in $reply; fails unless "ok".
cmd()
{
	local name=$1
	shift
	echo "$*" >&"${sfd[$name]}" &&
		read -r -t $((REFRESH + WAIT_SECONDS)) reply <&"${rfd[$name]}" ||
		{ reply="$name: no answer to '$*' $(cat "$tmp/$name.err")"; return 1; }
	[[ $reply == ok* ]]
}

# stat_of NAME KEY: a number of the sender's stats line
stat_of()
{
	cmd "$1" stats || return 1
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$reply"
}

sender_stop()	# NAME
{
	eval "exec ${sfd[$1]}>&- ${rfd[$1]}<&-"
	unset "sfd[$1]" "rfd[$1]"
	poll $WAIT_SECONDS gone "${spid[$1]}"
}

# ---- the flows ----
# One flow a line: the sender's add arguments, then what nfdump and
# pmacct must show of it, each behind a tab.
#   nfdump: src|dst|sport|dport|proto|flags|in|out|dir|vlan|end|pkts|bytes|
#           first|last (the -o fmt below)
#   pmacct: src|dst|sport|dport|proto|tcpflags|vlan|cvlan|in|out|dir|
#           icmp4|icmp6|reason|l2bytes|start|end|pkts|bytes (pm_rows)
# pmacct 1.7.7 reads vlanId(58) only for flowDirection 0; for egress
# flows it reads postVlanId(59), which is not sent: its vlan is 0 there.
# nfdump 1.7.1 does not read dot1qCustomerVlanId(245): pmacct's custom
# primitive and tshark check the inner tag.
T="start=$T_START end=$T_END"
special_flows()	# DOMAIN_BASE
{
	local b=$1
	printf '%s\t%s\t%s\n' \
	"dom=$((b + 1)) dir=in if=3 src=192.0.2.1 dst=198.51.100.2 proto=6 sport=40000 dport=443 vlan=100 inner=200 pkts=10 bytes=1500 l2bytes=1720 flags=0x11 reason=3 $T" \
	"192.0.2.1|198.51.100.2|40000|443|6|...A...F|3|0|I|100|3|10|1500|$TIME_TEXT" \
	"192.0.2.1|198.51.100.2|40000|443|tcp|17|100|200|3|0|0|0|0|3|1720|$T_START|$T_END|10|1500" \
	"dom=$((b + 1)) dir=out if=5 src=2001:db8::1 dst=2001:db8::2 proto=58 sport=128 dport=0 pkts=3 bytes=312 l2bytes=354 reason=1 $T" \
	"2001:db8::1|2001:db8::2|0|128.0|58|........|0|5|E|0|1|3|312|$TIME_TEXT" \
	"2001:db8::1|2001:db8::2|0|0|ipv6-icmp|0|0|0|0|5|1|0|32768|1|354|$T_START|$T_END|3|312" \
	"dom=$((b + 2)) dir=in if=3 src=192.0.2.7 dst=198.51.100.9 proto=1 sport=3 dport=1 pkts=4 bytes=336 l2bytes=392 reason=2 $T" \
	"192.0.2.7|198.51.100.9|0|3.1|1|........|3|0|I|0|2|4|336|$TIME_TEXT" \
	"192.0.2.7|198.51.100.9|0|0|icmp|0|0|0|3|0|0|769|0|2|392|$T_START|$T_END|4|336" \
	"dom=$((b + 2)) dir=out if=4 src=2001:db8::5 dst=2001:db8::6 proto=6 sport=51000 dport=22 vlan=4094 inner=7 pkts=1000000 bytes=5000000000 l2bytes=5022000000 flags=0x1b reason=4 $T" \
	"2001:db8::5|2001:db8::6|51000|22|6|...AP.SF|0|4|E|4094|4|1000000|5000000000|$TIME_TEXT" \
	"2001:db8::5|2001:db8::6|51000|22|tcp|27|0|7|0|4|1|0|0|4|5022000000|$T_START|$T_END|1000000|5000000000" \
	"dom=$((b + 3)) dir=in if=6 src=198.51.100.7 dst=203.0.113.8 proto=17 sport=5353 dport=5353 vlan=10 pkts=7 bytes=700 l2bytes=826 reason=1 $T" \
	"198.51.100.7|203.0.113.8|5353|5353|17|........|6|0|I|10|1|7|700|$TIME_TEXT" \
	"198.51.100.7|203.0.113.8|5353|5353|udp|0|10|0|6|0|0|0|0|1|826|$T_START|$T_END|7|700"
}

# COUNT flows in domain DOM from 203.0.113.N (IPv4) or 2001:db8:1::N
# (IPv6), N from FIRST: more than one message holds.
bulk_flows()	# DOM FIRST COUNT v4|v6
{
	local dom=$1 i p b src dst
	for ((i = $2; i < $2 + $3; i++)); do
		p=$((i + 1)) b=$(((i + 1) * 100))
		if [ "$4" = v4 ]; then
			src=203.0.113.$i dst=198.51.100.1
		else
			src=2001:db8:1::$i dst=2001:db8:2::1
		fi
		printf '%s\t%s\t%s\n' \
		"dom=$dom dir=in if=2 src=$src dst=$dst proto=17 sport=$((5000 + i)) dport=53 pkts=$p bytes=$b l2bytes=$((b + 14 * p)) reason=2 $T" \
		"$src|$dst|$((5000 + i))|53|17|........|2|0|I|0|2|$p|$b|$TIME_TEXT" \
		"$src|$dst|$((5000 + i))|53|udp|0|0|0|2|0|0|0|0|2|$((b + 14 * p))|$T_START|$T_END|$p|$b"
	done
}

# The flows to send: first phase to both collectors, then the phases of
# the restart (nfcapd only): down, before the refresh, after it.
{ special_flows 0; bulk_flows 3 0 40 v4; bulk_flows 1 100 25 v6; } >"$tmp/flows.a"
bulk_flows 1 200 3 v4 >"$tmp/flows.down"
{ bulk_flows 2 210 3 v4; bulk_flows 3 215 2 v4; } >"$tmp/flows.early"
{ bulk_flows 1 220 3 v4; bulk_flows 2 230 2 v6; } >"$tmp/flows.late"

send_flows()	# SENDER FILE
{
	local args _
	while IFS=$'\t' read -r args _; do
		cmd "$1" "add $args" || return 1
	done <"$2"
	cmd "$1" flush
}

# ---- the collectors ----

nfcapd_start()	# DIR
{
	peer_nfcapd_start "$1" "$P1" ipfix-test
}

NF_FMT='fmt:%sa|%da|%sp|%dp|%pr|%flg|%in|%out|%dir|%svln|%end|%pkt|%byt|%ts|%te'
# Every flow nfcapd has written to DIR, one line each, sorted.
nf_rows()	# DIR
{
	TZ=UTC nfdump -R "$1" -N -q -o "$NF_FMT" 2>/dev/null |
		sed 's/ *| */|/g; s/^ *//; s/ *$//' | grep -v '^$' | sort
}

# expect_rows NAME WANT_FILE CMD...: a case that passes once CMD prints
# the lines of WANT_FILE (polled), else fails with the difference.
expect_rows()
{
	local name=$1 want=$2
	shift 2
	if poll $WAIT_SECONDS rows_match "$want" "$@"; then
		ok "$name"
	else
		fail "$name" "$(diff "$want" "$want.got" | head -40)"
		return 1
	fi
}

nfacctd_start()
{
	peer_nfacctd_start "$P2" \
		"name=cvlan field_type=245 len=2 semantics=u_int
name=l2bytes field_type=352 len=8 semantics=u_int
name=icmp4 field_type=32 len=2 semantics=u_int
name=icmp6 field_type=139 len=2 semantics=u_int
name=fdir field_type=61 len=1 semantics=u_int
name=reason field_type=136 len=1 semantics=u_int
name=tstart field_type=152 len=8 semantics=u_int
name=tend field_type=153 len=8 semantics=u_int" \
		"src_host, dst_host, src_port, dst_port, proto, tcpflags, vlan, in_iface, out_iface, cvlan, l2bytes, icmp4, icmp6, fdir, reason, tstart, tend"
}

# Every flow in pmacct's CSV (header names pick the columns; counts of
# a flow in several purges add up), sorted.
pm_rows()
{
	[ -f "$tmp/pm/flows.csv" ] || return 0
	awk -F, '
	/^VLAN,|,PACKETS,/ { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
	!h { next }
	{
		k = $c["SRC_IP"] "|" $c["DST_IP"] "|" $c["SRC_PORT"] "|" \
		    $c["DST_PORT"] "|" $c["PROTOCOL"] "|" $c["TCP_FLAGS"] "|" \
		    $c["VLAN"] "|" $c["cvlan"] "|" $c["IN_IFACE"] "|" \
		    $c["OUT_IFACE"] "|" $c["fdir"] "|" $c["icmp4"] "|" \
		    $c["icmp6"] "|" $c["reason"] "|" $c["l2bytes"] "|" \
		    $c["tstart"] "|" $c["tend"]
		p[k] += $c["PACKETS"]; b[k] += $c["BYTES"]
	}
	END { for (k in p) printf "%s|%.0f|%.0f\n", k, p[k], b[k] }
	' "$tmp/pm/flows.csv" | sort
}

# pmacct's sequence stats, per domain: "DOMAIN good jump_fwd jump_bck".
pm_seq_stats()
{
	sed -n 's/.*stats \[.*\] agent=127\.0\.0\.1:\([0-9]*\) .*seq_good=\([0-9]*\) seq_jmp_fwd=\([0-9]*\) seq_jmp_bck=\([0-9]*\).*/\1 \2 \3 \4/p' \
		"$tmp/pm/nfacctd.log" | sort -n
}

# A control: domain 99 from two senders in turn (one exporter to the
# collector, as nfcapd and pmacct tell exporters by address and domain):
# the second starts its sequence at 0 again after 2 records, a jump that
# each collector must report.
control_jump()	# PORT
{
	local s
	for s in c1 c2; do
		sender_start "$s$1" "$1" || return 1
		cmd "$s$1" "add dom=99 src=192.0.2.99 dst=192.0.2.98 proto=17 sport=9 dport=9 pkts=1 bytes=60" &&
			cmd "$s$1" flush || return 1
		if [ $s = c1 ]; then
			cmd "$s$1" "add dom=99 src=192.0.2.99 dst=192.0.2.97 proto=17 sport=9 dport=9 pkts=1 bytes=60" &&
				cmd "$s$1" flush || return 1
		fi
		control_messages=$((control_messages + $(stat_of "$s$1" messages)))
		sender_stop "$s$1" || return 1
	done
}

# ---- the test ----

P1=$(free_port)		# nfcapd
P2=$(free_port)		# nfacctd
P3=$(free_port)		# no one: the malformed control
control_messages=0
sent_messages()
{
	echo $(($(stat_of s1 messages) + $(stat_of s2 messages) + control_messages))
}

tcpdump -i lo -U -n -w "$tmp/ipfix.pcap" \
	"udp and (dst port $P1 or dst port $P2 or dst port $P3)" \
	2>"$tmp/tcpdump.err" &
pids+=($!)
poll $WAIT_SECONDS grep -qs 'listening on' "$tmp/tcpdump.err" ||
	{ fail "tcpdump captures lo" "$(cat "$tmp/tcpdump.err")"; exit 1; }
nfcapd_start "$tmp/nf1" ||
	{ fail "nfcapd starts on 127.0.0.1:$P1" "$(cat "$tmp/nf1.log")"; exit 1; }
nfacctd_start ||
	{ fail "nfacctd starts on 127.0.0.1:$P2" "$(cat "$tmp/pm/stdout")"; exit 1; }
sender_start s1 "$P1"
sender_start s2 "$P2"

name="senders: $(wc -l <"$tmp/flows.a") records, 4 domains, to both collectors"
if send_flows s1 "$tmp/flows.a" && send_flows s2 "$tmp/flows.a" &&
   control_jump "$P1" && control_jump "$P2" &&
   [ "$(stat_of s1 errors)" = 0 ] && [ "$(stat_of s2 errors)" = 0 ] &&
   [ "$(stat_of s1 messages)" -gt 3 ]; then
	ok "$name"
else
	fail "$name" "$reply"
fi
# A broken datagram (a set of length 2) for tshark's control, written
# in one write().
printf '\x00\x0a\x00\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x02\x00\x00\x00\x00' \
	>"$tmp/broken" && cat "$tmp/broken" >/dev/udp/127.0.0.1/"$P3"

# The collectors' rows without the control domain's
without_control()
{
	"$@" | grep -v '^192\.0\.2\.99|'
}

cut -f2 "$tmp/flows.a" | sort >"$tmp/nf1.want"
expect_rows "nfdump: every flow with exact packets, bytes, ports, ICMP type.code, flags, interfaces, direction, VLAN, end reason, times" \
	"$tmp/nf1.want" without_control nf_rows "$tmp/nf1"

printf '1 0\n2 0\n3 0\n99 1\n' >"$tmp/nf1.seq.want"
expect_rows "nfcapd: no sequence failures in domains 1-3; the control domain's jump is one" \
	"$tmp/nf1.seq.want" nf_seq_failures "$tmp/nf1"

cut -f3 "$tmp/flows.a" | sort >"$tmp/pm.want"
expect_rows "pmacct: every flow with exact packets, bytes, flags, VLANs, interfaces, ICMP type/code, end reason, layer 2 bytes, times" \
	"$tmp/pm.want" without_control pm_rows ||
	# (CI's "no row at all in 30 s" was nfacctd's start, peers.sh) say
	# what pmacct did, and whether its socket dropped datagrams (skmem
	# d<N>, UDP's RcvbufErrors) or the capture holds fewer than were
	# sent to it
	fail "pmacct: its state when its rows were wrong" \
		"$(ls -l "$tmp/pm"; tail -n 5 "$tmp/pm/nfacctd.log" \
		   "$tmp/pm/stdout"; head -v -n 3 "$tmp/pm/flows.csv" 2>&1
		   ss -uamn "sport = :$P2"; grep '^Udp:' /proc/net/snmp
		   echo "sent to $P2: $(stat_of s2 messages) messages, captured:" \
			"$(tcpdump -r "$tmp/ipfix.pcap" -n "udp dst port $P2" 2>/dev/null | wc -l)")"

name="nfacctd: no sequence jumps in domains 1-3; the control domain's jump is one, logged once"
# nfacctd takes the signal when a datagram comes and logs the stats at
# the next one: junk datagrams (it discards them) until it has.
junk=0
pm_stats_logged()
{
	echo x >/dev/udp/127.0.0.1/"$P2"
	junk=$((junk + 1))
	[ "$(pm_seq_stats | wc -l)" -ge 4 ]
}
kill -USR1 "$nfacctd_pid"
poll $WAIT_SECONDS pm_stats_logged
good=$(pm_seq_stats | awk '$1 <= 3 && $2 > 0 && $3 == 0 && $4 == 0' | wc -l)
ctl=$(pm_seq_stats | awk '$1 == 99 && $3 + $4 == 1' | wc -l)
expecting=$(grep -c "expecting flow" "$tmp/pm/nfacctd.log")
if [ "$good" = 3 ] && [ "$ctl" = 1 ] && [ "$expecting" = 1 ]; then
	ok "$name"
else
	fail "$name" "domain good jump_fwd jump_bck:" "$(pm_seq_stats)" \
		"expecting-flow lines: $expecting"
fi

# The restart. The early template sends (+1 s, +2 s) first, so that the
# next refresh is $REFRESH s away: what comes before it cannot be read.
# The first send after the stop may fail (the port unreachable of the
# last one): the early flows are two messages, and one must go out.
name="nfcapd restart: records sent while it is down and before the template refresh are lost, those after it decoded exactly"
detail=()
if cmd s1 "wait-templates $WAIT_SECONDS" && cmd s1 "wait-templates $WAIT_SECONDS" &&
   tmpl=$(stat_of s1 templates) && peer_nfcapd_stop "$P1" &&
   send_flows s1 "$tmp/flows.down" && nfcapd_start "$tmp/nf2" &&
   m0=$(stat_of s1 messages) && send_flows s1 "$tmp/flows.early" &&
   m1=$(stat_of s1 messages) && [ "$m1" -gt "$m0" ] &&
   [ "$(stat_of s1 templates)" = "$tmpl" ] &&
   cmd s1 "wait-templates $((REFRESH + WAIT_SECONDS))" &&
   send_flows s1 "$tmp/flows.late"; then
	cut -f2 "$tmp/flows.late" | sort >"$tmp/nf2.want"
	poll $WAIT_SECONDS rows_match "$tmp/nf2.want" nf_rows "$tmp/nf2" ||
		detail+=("$(diff "$tmp/nf2.want" "$tmp/nf2.want.got" | head -20)")
	seq=$(nf_seq_failures "$tmp/nf2" | awk '$2 != 0')
	[ -z "$seq" ] || detail+=("sequence failures (domain count): $seq")
else
	detail+=("$reply" "messages ${m0:-} -> ${m1:-}"
		 "templates ${tmpl:-} -> $(stat_of s1 templates)"
		 "$(tail -5 "$tmp/nf2.log" 2>/dev/null)")
fi
if [ ${#detail[@]} -eq 0 ]; then
	ok "$name"
else
	fail "$name" "${detail[@]}"
fi

# tshark: every datagram captured, each one IPFIX without a fault. Its
# only expert infos may be sequence warnings, and their gaps must add up
# to the records of the messages that the sender failed to send (during
# the restart): the loss shows, and nothing else does.
name="tshark: every message decodes as IPFIX, nothing malformed; expert infos only for the records lost in the restart, exactly; the broken control is flagged"
TS=(tshark -n -r "$tmp/ipfix.pcap" -d "udp.port==$P1,cflow"
    -d "udp.port==$P2,cflow" -d "udp.port==$P3,cflow")
ours="(udp.dstport == $P1 || udp.dstport == $P2)"
count()	# FILTER
{
	"${TS[@]}" -Y "$1" 2>/dev/null | wc -l
}
want=$(sent_messages)	# and the junk datagrams to nfacctd
lost=$(($(stat_of s1 lost) + $(stat_of s2 lost)))
poll $WAIT_SECONDS eval '[ "$(count "$ours")" -ge $((want + junk)) ]'
frames=$(count "$ours")
decoded=$(count "$ours && cflow.version == 10")
malformed=$(count "$ours && _ws.malformed")
"${TS[@]}" -Y "$ours && _ws.expert" -T fields -e _ws.expert.message \
	2>/dev/null >"$tmp/expert"
gaps=$(sed -n 's/^Unexpected flow sequence for domain ID [0-9]* (expected \([0-9]*\), got \([0-9]*\))$/\2 - \1/p' \
	"$tmp/expert" | paste -sd+ | sed 's/^$/0/')
others=$(grep -vc '^Unexpected flow sequence for domain ID' "$tmp/expert")
control=$(count "udp.dstport == $P3 && (_ws.malformed || _ws.expert)")
if [ "$frames" = $((want + junk)) ] && [ "$decoded" = "$want" ] &&
   [ "$malformed" = 0 ] && [ "$others" = 0 ] && [ $((gaps)) = "$lost" ] &&
   [ "$lost" -gt 0 ] && [ "$control" = 1 ]; then
	ok "$name"
else
	fail "$name" "frames $frames (sent $want and $junk junk), IPFIX $decoded, malformed $malformed, sequence gaps $((gaps)) (lost $lost), other expert infos $others, control flagged $control" \
		"$(head -5 "$tmp/expert")"
fi

name="tshark: the fields of the VLAN flow as sent (inner tag, layer 2 octets, FIN)"
cat >"$tmp/vlan_flow.want" <<EOF
SrcAddr: 192.0.2.1
DstAddr: 198.51.100.2
TCP Flags: 0x11, ACK, FIN
Vlan Id: 100
Dot1q Customer Vlan Id: 200
InputInt: 3
Octets: 1500
Layer2 Octet Delta Count: 1720
Packets: 10
EOF
tshark_flow()
{
	"${TS[@]}" -Y "udp.dstport == $P1" -V 2>/dev/null | awk '
	/^ *Flow [0-9]+$/ { f = 0 }
	/^ *SrcAddr: 192\.0\.2\.1$/ { f = 1 }
	f && /^ *(SrcAddr|DstAddr|TCP Flags|Vlan Id|Dot1q Customer Vlan Id|InputInt|Octets|Layer2 Octet Delta Count|Packets):/ {
		sub(/^ */, ""); print
	}'
}
expect_rows "$name" "$tmp/vlan_flow.want" tshark_flow

exit $failed
