#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench, live part (tests/bench.sh runs it): flowgen at its top rate
# into a testbed veth (h0 veth1 -> h1 veth0).
#
#   live.pass.ratio, live.drop.ratio  frames/s arriving at veth0 with
#       flowstat's XDP program there, over frames/s with a bare program
#       (XDP_PASS; or both XDP_DROP after counting, so that the stack
#       does not hide the program's cost). Both are held by
#       build/tests/bench_live_xdp the same way; runs are paired, their
#       order alternating, and the median of the pairs' ratios is taken.
#       flowgen's BPF_PROG_RUN and the veth's receive run on one CPU, so
#       the rate is 1 / (send + receive cost).
#   flowgen.flows1m.pps  flowgen's rate with 1,000,000 flows, against one
#       flow (a bare XDP_DROP program receiving), paired likewise.
#   accuracy.{1flow,100k}.TOOL.fraction  of the frames flowgen sent and
#       the veth received (they must agree), the fraction that each tool
#       counted: flowstat (the product, attached as users attach it), and
#       beside it in turn tcpdump, iftop -t, softflowd (NetFlow v9 to
#       nfcapd on the namespace's loopback) and pmacctd (print plugin to
#       a CSV file). accuracy.TOOL.fraction is the 100k-flow case.
#   cpu.TOOL.percent  the tool's CPU time (/proc ticks) over the wall
#       time of the 100k-flow run, in % of one core.
#
# A figure that cannot be taken is null, with the reason on stderr.
# BENCH_QUICK=1: small counts, every name still written.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
source tests/bench_lib.sh
source scripts/testbed
TESTBED_PREFIX=${BENCH_LIVE_PREFIX:-benchlive}$$
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)
TX=veth1
RX=veth0
GEN=$BUILD/flowgen
FS=$BUILD/flowstat
HOLD=$BUILD/tests/bench_live_xdp
TOOLS=(tcpdump iftop softflowd pmacct)
TICK=$(getconf CLK_TCK)
DST=203.0.113.9	# the generated frames' destination; tools count those
SPEC=proto=udp,src=192.0.2.5,dst=$DST,sport=1024,dport=9

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	PAIRS=2 PASS_N=100000 DROP_N=200000 GEN_N=200000
	ACC_N=20000 ACC_FLOWS=1000 GEN_FLOWS=10000
else
	PAIRS=7 PASS_N=1500000 DROP_N=6000000 GEN_N=4000000
	ACC_N=2000000 ACC_FLOWS=100000 GEN_FLOWS=1000000
fi

tmp=$(mktemp -d)
hold_pid= hold_fd= tool_pids=() attached=0

cleanup()
{
	local p
	hold_stop
	for p in "${tool_pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ "$attached" = 1 ] && "$FS" --netns "$H1" detach "$RX" >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

warn()
{
	echo "bench_live: $*" >&2
}

median()
{
	[ $# -gt 0 ] || { echo null; return; }
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.4g\n", m
		}'
}

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.4g\n", a / b;
		else print "null" }'
}

# Holds PROG (flowstat or bare) with VERDICT (pass or drop) on h1's veth
# until hold_stop: the holder exits when its stdin closes.
hold_start()
{
	local i
	rm -f "$tmp/hold" "$tmp/hold.out"
	mkfifo "$tmp/hold"
	"$HOLD" "$H1" "$RX" "$1" "$2" <"$tmp/hold" >"$tmp/hold.out" &
	hold_pid=$!
	exec {hold_fd}>"$tmp/hold"
	for ((i = 0; i < 200; i++)); do
		grep -qs attached "$tmp/hold.out" && return 0
		kill -0 "$hold_pid" 2>/dev/null || break
		sleep 0.05
	done
	warn "could not attach $1 ($2)"
	hold_stop
	return 1
}

hold_stop()
{
	[ -n "$hold_fd" ] && exec {hold_fd}>&-
	[ -n "$hold_pid" ] && wait "$hold_pid" 2>/dev/null
	hold_fd= hold_pid=
}

# flowgen SPEC...: prints "packets pps" of what arrived, or fails. The
# plain report's total line: at a million flows the JSON report is
# 190 MB, and reading it would cost more than the run.
send()
{
	"$GEN" --netns "$H0" --dev "$TX" "$@" 2>"$tmp/gen.err" |
		awk '/^total: / { print $2, $(NF - 1) }' >"$tmp/gen.total"
	if [ "${PIPESTATUS[0]}" != 0 ] || [ ! -s "$tmp/gen.total" ]; then
		warn "flowgen: $(cat "$tmp/gen.err")"
		return 1
	fi
	cat "$tmp/gen.total"
}

# pps of COUNT frames of SPEC with PROG VERDICT held on the receiver.
pps_with()
{
	local prog=$1 verdict=$2 out
	shift 2
	hold_start "$prog" "$verdict" || return 1
	out=$(send "$@")
	hold_stop
	[ -n "$out" ] || return 1
	echo "${out#* }"
}

# live.VERDICT.ratio: paired runs, the order alternating.
live_ratio()
{
	local verdict=$1 count=$2 i b f ratios=() bares=()
	for ((i = 0; i < PAIRS; i++)); do
		if ((i % 2)); then
			f=$(pps_with flowstat "$verdict" "$SPEC,count=$count")
			b=$(pps_with bare "$verdict" "$SPEC,count=$count")
		else
			b=$(pps_with bare "$verdict" "$SPEC,count=$count")
			f=$(pps_with flowstat "$verdict" "$SPEC,count=$count")
		fi
		[ -n "$b" ] && [ -n "$f" ] || continue
		ratios+=("$(ratio "$f" "$b")")
		bares+=("$b")
	done
	[ ${#ratios[@]} -gt 0 ] || warn "live.$verdict.ratio: no run completed"
	bench_record "live.$verdict.ratio" "$(median "${ratios[@]}")" ratio \
		"live.bare.$verdict.pps" "$(median "${bares[@]}")"
}

# flowgen with GEN_FLOWS flows against one flow, into a bare XDP_DROP.
flowgen_flows()
{
	local i one many ones=() manys=()
	hold_start bare drop || {
		bench_record flowgen.flows1m.pps null pps flowgen.flows1.pps null
		return
	}
	for ((i = 0; i < (PAIRS + 1) / 2; i++)); do
		one=$(send "$SPEC,count=$GEN_N") || continue
		many=$(send "$SPEC,count=$GEN_N,flows=$GEN_FLOWS") || continue
		ones+=("${one#* }")
		manys+=("${many#* }")
	done
	hold_stop
	bench_record flowgen.flows1m.pps "$(median "${manys[@]}")" pps \
		flowgen.flows1.pps "$(median "${ones[@]}")"
}

rx_packets()
{
	ip -n "$H1" -s -j link show "$RX" | jq -r '.[0].stats64.rx.packets'
}

# flowstat's count of the generated flows (to DST), summed over flows.
fs_packets()
{
	"$FS" --netns "$H1" dump --json "$RX" | jq -r --arg dst "$DST" \
		'[.flows[] | select(.dst == $dst and .direction == "ingress")
		  | .packets] | add // 0'
}

ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

wait_for()
{
	local file=$1 text=$2 i
	for ((i = 0; i < 100; i++)); do
		grep -qs -- "$text" "$file" && return 0
		sleep 0.1
	done
	return 1
}

# Each tool: TOOL_start (sets tool_pid, returns when it listens) and
# TOOL_stop (prints the frames it counted, or nothing with a reason on
# stderr).
tcpdump_start()
{
	ip netns exec "$H1" tcpdump -i "$RX" -Q in -nn -w /dev/null \
		"udp and dst host $DST" 2>"$tmp/tcpdump.err" &
	tool_pid=$!
	wait_for "$tmp/tcpdump.err" "listening on"
}

tcpdump_stop()
{
	kill -INT "$tool_pid"
	wait "$tool_pid"
	awk '/packets captured/ { print $1 }' "$tmp/tcpdump.err"
	grep -h "dropped by kernel" "$tmp/tcpdump.err" >&2
}

iftop_start()
{
	ip netns exec "$H1" iftop -i "$RX" -t -n -N -P -B \
		>"$tmp/iftop.out" 2>"$tmp/iftop.err" &
	tool_pid=$!
	wait_for "$tmp/iftop.err" "interface:" || sleep 1
}

iftop_stop()
{
	kill -TERM "$tool_pid"
	wait "$tool_pid"
	warn "iftop -t prints rates and cumulative totals in rounded bytes" \
	     "(such as 12.3MB), never a frame count: no fraction"
}

softflowd_start()
{
	rm -rf "$tmp/nf"
	mkdir -p "$tmp/nf"
	ip netns exec "$H1" nfcapd -w "$tmp/nf" -b 127.0.0.1 -p 9995 \
		>"$tmp/nfcapd.out" 2>&1 &
	nfcapd_pid=$!
	tool_pids+=("$nfcapd_pid")
	ip netns exec "$H1" softflowd -d -i "$RX" -n 127.0.0.1:9995 -v 9 \
		-m 262144 -c "$tmp/sf.ctl" "udp and dst host $DST" \
		>"$tmp/softflowd.err" 2>&1 &
	tool_pid=$!
	wait_for "$tmp/softflowd.err" "starting data collection"
}

# softflowd's own count of the frames it processed (its filter passes
# only ours). What reached nfcapd is less when a burst of exports at
# shutdown overflows the collector's socket: that is said on stderr.
softflowd_stop()
{
	local processed exported
	processed=$(ip netns exec "$H1" softflowctl -c "$tmp/sf.ctl" \
		statistics | awk '/^Packets processed:/ { print $3 }')
	ip netns exec "$H1" softflowctl -c "$tmp/sf.ctl" shutdown >/dev/null
	wait "$tool_pid"
	sleep 0.5
	kill -TERM "$nfcapd_pid"
	wait "$nfcapd_pid"
	exported=$(nfdump -R "$tmp/nf" -q -N -o 'fmt:%pkt' "dst ip $DST" \
		2>/dev/null | awk '{ n += $1 } END { print n + 0 }')
	[ "$exported" = "$processed" ] ||
		warn "softflowd: processed $processed frames, exported $exported"
	echo "$processed"
}

pmacct_start()
{
	rm -f "$tmp/pm.csv"
	cat >"$tmp/pmacctd.conf" <<-EOF
	daemonize: false
	pcap_interface: $RX
	aggregate: src_host,dst_host,src_port,dst_port,proto
	plugins: print
	print_output: csv
	print_output_file: $tmp/pm.csv
	print_output_file_append: true
	print_refresh_time: 1
	EOF
	ip netns exec "$H1" pmacctd -f "$tmp/pmacctd.conf" \
		>"$tmp/pmacct.err" 2>&1 &
	tool_pid=$!
	sleep 1.5
}

pmacct_stop()
{
	sleep 1.5	# one more refresh
	kill -INT "$tool_pid"
	wait "$tool_pid"
	# pmacctd's own capture figures: received_packets=N dropped_packets=M
	grep -h -o 'received_packets=.*' "$tmp/pmacct.err" | sed 's/^/pmacctd: /' >&2
	[ -f "$tmp/pm.csv" ] || { warn "pmacctd wrote nothing:" \
				  "$(tail -3 "$tmp/pmacct.err")"; return; }
	awk -F, -v dst="$DST" '/PACKETS/ {
			for (i = 1; i <= NF; i++) {
				if ($i == "PACKETS") c = i
				if ($i == "DST_IP") d = i
			}
			next
		}
		c && $d == dst { n += $c } END { print n + 0 }' "$tmp/pm.csv"
}

# One run: flowstat and TOOL (or none) counting FLOWS flows of ACC_N
# frames. Sets fs_frac, tool_frac, tool_cpu.
accuracy_run()
{
	local tool=$1 flows=$2 rx0 rx1 fs0 fs1 t0 t1 c0 c1 sent got out
	fs_frac=null tool_frac=null tool_cpu=null tool_pid=
	if [ "$tool" != none ] && ! "${tool}_start"; then
		warn "$tool did not start: $(tail -2 "$tmp/$tool.err" 2>/dev/null)"
		[ -n "$tool_pid" ] && kill "$tool_pid" 2>/dev/null
		return 1
	fi
	rx0=$(rx_packets) fs0=$(fs_packets)
	c0=$([ -n "$tool_pid" ] && ticks "$tool_pid" || echo 0)
	t0=$(date +%s.%N)
	out=$(send "$SPEC,count=$ACC_N,flows=$flows")
	# libpcap hands over a ring block when it fills or after its 1 s
	# timeout: a tool stopped sooner would never see the last block.
	sleep 1.5
	c1=$([ -n "$tool_pid" ] && ticks "$tool_pid" || echo 0)
	t1=$(date +%s.%N)
	[ "$tool" != none ] && got=$("${tool}_stop")
	rx1=$(rx_packets) fs1=$(fs_packets)
	sent=${out%% *}
	[ -n "$sent" ] || return 1
	# Other frames (neighbour discovery) may arrive too: at least sent.
	if [ $((rx1 - rx0)) -lt "$sent" ]; then
		warn "$tool run: flowgen sent $sent, veth received $((rx1 - rx0))"
	fi
	fs_frac=$(ratio $((fs1 - fs0)) "$sent")
	[ -n "${got:-}" ] && tool_frac=$(ratio "$got" "$sent")
	[ "$tool" != none ] && tool_cpu=$(awk -v c=$((c1 - c0)) -v h="$TICK" \
		-v a="$t0" -v b="$t1" 'BEGIN { printf "%.3g\n", 100 * c / h / (b - a) }')
	return 0
}

# Both flow cases, each tool in turn beside flowstat. flowstat's fraction
# is the worst of its runs.
accuracy()
{
	local case flows tool worst
	for case in 1flow 100k; do
		flows=1
		[ "$case" = 100k ] && flows=$ACC_FLOWS
		worst=
		for tool in none "${TOOLS[@]}"; do
			accuracy_run "$tool" "$flows" || {
				warn "$case $tool: run failed"; fs_frac=null; }
			if [ "$fs_frac" = null ]; then
				worst=null
			elif [ "$worst" != null ]; then
				worst=$(printf '%s\n' $worst "$fs_frac" | sort -g | head -1)
			fi
			[ "$tool" = none ] && continue
			bench_record "accuracy.$case.$tool.fraction" "$tool_frac" \
				fraction
			[ "$case" = 100k ] || continue
			bench_record "accuracy.$tool.fraction" "$tool_frac" fraction
			bench_record "cpu.$tool.percent" "$tool_cpu" percent
		done
		bench_record "accuracy.$case.flowstat.fraction" "$worst" fraction
		[ "$case" = 100k ] &&
			bench_record accuracy.flowstat.fraction "$worst" fraction
	done
}

timed()
{
	local t0=$SECONDS
	"$@"
	echo "  ($1: $((SECONDS - t0)) s)" >&2
}

main()
{
	local need tool
	for need in "$GEN" "$FS" "$HOLD"; do
		[ -x "$need" ] || { warn "$need not built (make)"; return 1; }
	done
	testbed_up >/dev/null || { warn "testbed up failed"; return 1; }
	timed live_ratio pass "$PASS_N"
	timed live_ratio drop "$DROP_N"
	timed flowgen_flows
	for tool in tcpdump iftop softflowd pmacctd; do
		command -v "$tool" >/dev/null ||
			warn "$tool not installed (scripts/install-deps.sh)"
	done
	if "$FS" --netns "$H1" attach --max-flows 262144 "$RX" >/dev/null; then
		attached=1
		timed accuracy
	else
		warn "flowstat attach failed: no accuracy figures"
	fi
}

main
