#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Exact aging under load: while flowgen sends at its top rate, two loops
# run `gc --idle 0` back to back and a registered `watch --json` reads
# along. Every frame must be counted exactly once: the interface total
# equals what flowgen sent (plus the kernel's own background), the
# totals invariant holds, and per flow the watch deltas (the lines of
# flows that ended included) add up to flowgen's count, with 4 flows and
# with thousands. Then flowstat attaches with the kernel's config hidden
# and CAP_DAC_OVERRIDE dropped, and still counts exactly, fast path on.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsg$$
tmp=$(mktemp -d)
pids=()
wpid=
watch_rc=

# Bounds of every loop: the gc loops stop when flowgen is done, or after
# GC_MAX runs or GC_SECONDS; waits give up after WAIT_SECONDS.
GC_MAX=20000
GC_SECONDS=60
WAIT_SECONDS=30

need_built "$FS" "$GEN"
need_tools jq unshare setpriv mount
# Private copies: other people's builds may relink build/.
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
cp "$GEN" "$tmp/flowgen" && GEN=$tmp/flowgen
source scripts/testbed
source tests/nslib.sh	# INVARIANT
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

# Stops what the suite started in the background: watch gets SIGTERM,
# the gc loops end at the stop file (or are killed after 10 s).
stop_background()
{
	local pid i
	[ -n "$wpid" ] && kill -TERM "$wpid" 2>/dev/null
	touch "$tmp/stop"
	for pid in "${pids[@]}"; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	pids=()
	wpid=
}

cleanup()
{
	stop_background
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- helpers ----

lines_at_least()	# FILE N
{
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# The kernel's own control traffic (IPv6 neighbour discovery and MLD,
# ARP), as tests/test_counts.sh leaves it out.
BG='((.proto == 58 and .icmp_type >= 130 and .icmp_type <= 143) or
	.ethertype == 2054)'
# A flow's key as one string, the same from flowstat and from flowgen:
# ethertype, vlan, inner vlan, proto, src, dst, sport|type, dport|code.
FS_KEY='[.ethertype, .vlan, .inner_vlan, .proto, .src, .dst,
	(.sport // .icmp_type), (.dport // .icmp_code)] | tojson'
GEN_KEY='def hex: ascii_downcase | explode |
	reduce .[] as $c (0; . * 16 + if $c >= 97 then $c - 87 else $c - 48 end);
	[(.eth | ltrimstr("0x") | hex), .vlan, .inner_vlan, .ipproto,
	 (if .ipproto then .src else null end),
	 (if .ipproto then .dst else null end),
	 (.sport // .type), (.dport // .code)] | tojson'

# Every flow line of veth0 ingress in the watch records (ended flows
# included) as "key <tab> delta_packets <tab> delta_bytes <tab> bg";
# flowgen's flows as "key <tab> packets <tab> bytes".
WATCH_TSV='.flows[] | select(.ifname == "veth0" and .direction == "ingress") |
	[('"$FS_KEY"'), .delta_packets, .delta_bytes, ('"$BG"')] | @tsv'
GEN_TSV='.flows[] | [('"$GEN_KEY"'), .packets, .bytes] | @tsv'

# GEN WATCH: per flow key, the watch sums against flowgen's counts:
# "flows lost lost_bytes double double_bytes bg_packets bg_bytes", lost
# being what the sums fall short, double what they are over (flows
# flowgen never sent included), bg the background's sums.
compare_sums()
{
	awk -F'\t' '
	FNR == NR { gp[$1] += $2; gb[$1] += $3; next }
	$4 == "true" { bp += $2; bb += $3; next }
	{ wp[$1] += $2; wb[$1] += $3 }
	END {
		for (k in gp) {
			n++
			d = wp[k] - gp[k]; e = wb[k] - gb[k]
			if (d < 0) lp -= d; else dp += d
			if (e < 0) lb -= e; else db += e
		}
		for (k in wp)
			if (!(k in gp)) { dp += wp[k]; db += wb[k] }
		printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
			n, lp, lb, dp, db, bp, bb
	}' "$1" "$2"
}

dump()	# NS OUTFILE
{
	"$FS" --netns "$1" dump --json >"$2"
}

kernel_rx()	# NS DEV
{
	ip -n "$1" -s -j link show "$2" |
		jq -r '.[0].stats64.rx | "\(.packets) \(.bytes)"'
}

# gc_loop ID: `gc --idle 0` back to back until the stop file appears
# (at most GC_MAX runs, GC_SECONDS); writes "runs failures" at the end.
gc_loop()
{
	local id=$1 runs=0 fails=0 end=$((SECONDS + GC_SECONDS))
	while [ ! -e "$tmp/stop" ] && [ $runs -lt $GC_MAX ] &&
	      [ $SECONDS -lt $end ]; do
		"$FS" --netns "$H1" gc --idle 0 --json >>"$tmp/gc$id.json" \
			2>>"$tmp/gc$id.err" || fails=$((fails + 1))
		runs=$((runs + 1))
	done
	echo "$runs $fails" >"$tmp/gc$id.count"
}

watch_start()
{
	: >"$tmp/w.json"
	"$FS" --netns "$H1" watch --json --interval 0.2 --idle 3600 \
		>"$tmp/w.json" 2>"$tmp/w.err" &
	wpid=$!
	pids+=("$wpid")
	# registered and reading once its baseline record is out
	wait_until $WAIT_SECONDS lines_at_least "$tmp/w.json" 1
}

# Ends watch with SIGTERM once it has printed two records after the
# last gc, so that the flows that gc ended are in its lines.
watch_stop()
{
	local n
	n=$(wc -l <"$tmp/w.json")
	wait_until $WAIT_SECONDS lines_at_least "$tmp/w.json" $((n + 2)) ||
		return 1
	kill -TERM "$wpid"
	wait_until $WAIT_SECONDS gone "$wpid" || return 1
	wait "$wpid" 2>/dev/null
	watch_rc=$?
	wpid=
}

# "packets bytes" of veth0 ingress in a dump
fs_total()	# FILE
{
	jq -r '.interfaces[] | select(.ifname == "veth0") | .ingress |
		"\(.packets) \(.bytes)"' "$1"
}

# aging_run NAME FLOWSPEC [ATTACH OPTION...]: the case described at the
# top. Writes what it found to $tmp/result: "ok", or the failures.
aging_run()
{
	local n=$1 spec=$2 id r f runs=0 fails=0 p0 p1 k0 k1 w0
	shift 2
	rm -f "$tmp/stop" "$tmp"/gc*
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	"$FS" --netns "$H1" attach "$@" veth0 >"$tmp/attach.out" 2>&1 ||
		{ fail "$n" "attach: $(cat "$tmp/attach.out")"; return; }
	testbed_settle >/dev/null
	dump "$H1" "$tmp/d0.json" || { fail "$n" "dump"; return; }
	p0=$(fs_total "$tmp/d0.json")
	k0=$(kernel_rx "$H1" veth0)
	watch_start || { fail "$n" "watch printed nothing:" \
		"$(cat "$tmp/w.err")"; return; }
	gc_loop 1 &
	pids+=($!)
	gc_loop 2 &
	pids+=($!)
	if ! timeout 120 "$GEN" --netns "$H0" --dev veth1 --json "$spec" \
		>"$tmp/gen.json" 2>"$tmp/gen.err"; then
		fail "$n" "flowgen: $(cat "$tmp/gen.err")"
		return
	fi
	touch "$tmp/stop"
	for id in 1 2; do
		wait_until $WAIT_SECONDS test -s "$tmp/gc$id.count" ||
			{ fail "$n" "gc loop $id did not stop"; return; }
		read -r r f <"$tmp/gc$id.count"
		runs=$((runs + r)) fails=$((fails + f))
	done
	testbed_settle >/dev/null
	"$FS" --netns "$H1" gc --idle 0 --json >"$tmp/gc.final" 2>&1 ||
		fails=$((fails + 1))
	if ! watch_stop; then
		fail "$n" "watch did not print or end:" "$(cat "$tmp/w.err")"
		return
	fi
	k1=$(kernel_rx "$H1" veth0)
	dump "$H1" "$tmp/d1.json" || { fail "$n" "dump"; return; }
	p1=$(fs_total "$tmp/d1.json")

	# watch: whole lines only, each one JSON; its baseline's counts
	local lines json_lines
	lines=$(wc -l <"$tmp/w.json")
	json_lines=$(jq -c . "$tmp/w.json" 2>/dev/null | wc -l)
	w0=$(head -1 "$tmp/w.json" | jq -r '.interfaces[] |
		select(.ifname == "veth0") | .ingress |
		"\(.packets - .delta_packets) \(.bytes - .delta_bytes)"')
	jq -r "$WATCH_TSV" "$tmp/w.json" >"$tmp/w.tsv"
	jq -r "$GEN_TSV" "$tmp/gen.json" >"$tmp/gen.tsv"
	local flows lost lost_b double double_b bg_p bg_b
	read -r flows lost lost_b double double_b bg_p bg_b \
		< <(compare_sums "$tmp/gen.tsv" "$tmp/w.tsv")

	local sent sent_b aged ended retired dropped exact
	read -r sent sent_b < <(jq -r '"\(.packets) \(.bytes)"' "$tmp/gen.json")
	# what the gc loops moved to retired while flowgen sent
	aged=$(cat "$tmp"/gc[12].json 2>/dev/null | jq -n '[inputs |
		.interfaces[] | select(.ifname == "veth0") |
		.ingress.retired_packets] | add // 0')
	ended=$(jq '.interfaces[] | select(.ifname == "veth0") |
		.ingress.ended_flows' "$tmp/d1.json")
	retired=$(jq '.interfaces[] | select(.ifname == "veth0") |
		.ingress.retired_packets' "$tmp/d1.json")
	dropped=$(jq .dropped "$tmp/gen.json")
	exact=$(jq .exact "$tmp/gen.json")
	echo "# $n: frames sent $sent (the peer's ring dropped $dropped," \
		"sent again), aging passes (gc runs) $runs + 1 final," \
		"flows ended $ended, retired by the loops $aged of $retired," \
		"watch lines $lines"
	echo "# $n: lost $lost (bytes $lost_b), double counted $double" \
		"(bytes $double_b), over $flows flows; background $bg_p"

	local detail=() want moved kern
	set -- $w0 $p0 $p1 $k0 $k1
	want="$(($1 + sent + bg_p)) $(($2 + sent_b + bg_b))"
	moved="$(($5 - $3)) $(($6 - $4))"
	kern="$(($9 - $7)) $((${10} - $8))"
	if [ "$lines" != "$json_lines" ] || [ "$lines" -lt 3 ] ||
	   [ "$watch_rc" != 0 ]; then
		detail+=("watch: exit $watch_rc, $lines lines, $json_lines of"
			 "them JSON: $(head -c 300 "$tmp/w.err")")
	fi
	if [ "$exact" != true ]; then
		detail+=("flowgen cannot tell its per-flow counts (exact $exact)")
	fi
	if [ "$fails" != 0 ]; then
		detail+=("gc failed $fails of $((runs + 1)) times:"
			 "$(cat "$tmp"/gc*.err "$tmp/gc.final" | sort |
			    uniq -c | head -5)")
	fi
	if [ "$p1" != "$want" ] || [ "$moved" != "$kern" ]; then
		detail+=("ingress total $p1, want $want (watch baseline $w0"
			 "+ sent $sent $sent_b + background $bg_p $bg_b);"
			 "flowstat moved $moved, kernel rx $kern")
	fi
	if ! jq -e "$INVARIANT" "$tmp/d1.json" >/dev/null; then
		detail+=("invariant broken: $(jq -c .interfaces "$tmp/d1.json")")
	fi
	if [ "$aged" -lt $((sent / 2)) ] || [ "$retired" -lt $((sent / 2)) ]
	then
		detail+=("the gc loops retired $aged of $sent frames" \
			 "($retired in the end): too little aging")
	fi
	if [ "$flows" != "$(jq '.flows | length' "$tmp/gen.json")" ] ||
	   [ "$lost $lost_b $double $double_b" != "0 0 0 0" ]; then
		detail+=("per flow: lost $lost ($lost_b bytes), double" \
			 "counted $double ($double_b bytes), over $flows flows;" \
			 "untracked: $(jq -c '.interfaces[0].ingress |
			 [.untracked_packets, .untracked_bytes]' "$tmp/d1.json")")
	fi
	if [ ${#detail[@]} -eq 0 ]; then
		ok "$n"
	else
		fail "$n" "${detail[@]}"
	fi
}

aging_stress()	# NAME FLOWSPEC
{
	aging_run "$@"
	stop_background
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
}

t_aging_4_flows()
{
	aging_stress "aging_stress_4_flows_exact_per_flow_and_total" \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=9,count=4000000,flows=4
}

# Each gc pass ends every flow that moved since the last one, and an
# ended flow keeps its store record until watch has read it. Here the
# gc loops end flows faster than watch prints them, at the default
# --max-flows (65536, room for 16384 ended flows beside them): once that
# room is full, aging waits for watch, and the flows stay live and
# counted. No frame goes untracked.
t_aging_5000_flows()
{
	aging_stress "aging_stress_5000_flows_exact_per_flow_and_total" \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=20000,dport=53,size=64,count=2000000,flows=5000
}

# Run in a private mount namespace (unshare -m): hides the kernel's
# config, drops CAP_DAC_OVERRIDE, attaches, sends, reads, detaches. The
# bpffs at /sys/fs/bpf stays the host's, so the pins are the host's.
cat >"$tmp/hidden.sh" <<'EOF'
set -u
fs=$1 gen=$2 h0=$3 h1=$4 out=$5 empty=$6
[ -e /proc/config.gz ] && { mount --bind "$empty" /proc/config.gz || exit 10; }
[ -d /boot ] && { mount -t tmpfs -o size=1m none /boot || exit 11; }
# what a reader of the config finds now
{
	echo "config.gz bytes: $(cat /proc/config.gz 2>/dev/null | wc -c)"
	zcat /proc/config.gz >/dev/null 2>&1 && echo "config.gz: readable"
	ls /boot/config-* 2>/dev/null | sed 's/^/boot: /'
} >"$out/hidden.txt"
exec setpriv --inh-caps=-dac_override --bounding-set=-dac_override -- \
	bash -c '
	grep ^CapEff /proc/self/status >"$5/caps.txt"
	"$1" --netns "$4" attach veth0 >"$5/attach.out" 2>&1 || exit 20
	"$2" --netns "$3" --dev veth1 --json \
		proto=udp,src=203.0.113.7,dst=203.0.113.8,sport=5353,dport=53,size=80,count=100000 \
		proto=tcp,src=2001:db8::7,dst=2001:db8::8,sport=40000,dport=443,flags=A,size=200,count=3000,flows=3 \
		>"$5/gen.json" 2>"$5/gen.err" || exit 22
	"$1" --netns "$4" dump --json >"$5/d1.json" || exit 23
	"$1" --netns "$4" status --json >"$5/status.json" || exit 24
	"$1" --netns "$4" detach veth0 >"$5/detach.out" 2>&1 || exit 25
	' _ "$fs" "$gen" "$h0" "$h1" "$out"
EOF

# Flows of veth0 ingress without the background, as sorted
# [key, packets, bytes]; the same from flowgen.
FS_FLOWS='[.flows[] | select(.ifname == "veth0" and .direction == "ingress") |
	select('"$BG"' | not) | [('"$FS_KEY"'), .packets, .bytes]] | sort'
GEN_FLOWS='[.flows[] | [('"$GEN_KEY"'), .packets, .bytes]] | sort'

t_config_hidden()
{
	local n=kernel_config_hidden_no_dac_override_exact_fast_path
	local rc caps want got hits p1 bg sent detail=()
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	testbed_settle >/dev/null
	: >"$tmp/empty"
	mkdir -p "$tmp/hidden"
	unshare -m --propagation private bash "$tmp/hidden.sh" "$FS" "$GEN" \
		"$H0" "$H1" "$tmp/hidden" "$tmp/empty"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail $n "step $rc failed:" "$(cat "$tmp"/hidden/*.out \
			"$tmp"/hidden/gen.err 2>/dev/null)"
		return
	fi
	echo "# $n: inside: $(tr '\n' ';' <"$tmp/hidden/hidden.txt")" \
		"$(cat "$tmp/hidden/caps.txt")"
	# the hiding was real, and private: the host still has its config
	if [ -e /proc/config.gz ] &&
	   { ! grep -qx "config.gz bytes: 0" "$tmp/hidden/hidden.txt" ||
	     grep -q "readable" "$tmp/hidden/hidden.txt" ||
	     [ ! -s /proc/config.gz ]; }; then
		detail+=("/proc/config.gz was not hidden (or not only inside)")
	fi
	grep -q "^boot: " "$tmp/hidden/hidden.txt" &&
		detail+=("/boot/config-* still visible")
	# CapEff: no CAP_DAC_OVERRIDE (1); CAP_NET_ADMIN (12),
	# CAP_SYS_ADMIN (21), CAP_BPF (39) kept
	caps=$((16#$(awk '{ print $2 }' "$tmp/hidden/caps.txt")))
	if (( caps & (1 << 1) )) || ! (( caps & (1 << 12) )) ||
	   ! (( caps & (1 << 21) )) || ! (( caps & (1 << 39) )); then
		detail+=("capabilities: $(cat "$tmp/hidden/caps.txt")")
	fi
	want=$(jq -c "$GEN_FLOWS" "$tmp/hidden/gen.json")
	got=$(jq -c "$FS_FLOWS" "$tmp/hidden/d1.json")
	[ "$want" = "$got" ] ||
		detail+=("flows differ:" "flowgen:  $want" "flowstat: $got")
	# ingress total: what flowgen sent plus background (nothing aged)
	p1=$(fs_total "$tmp/hidden/d1.json")
	bg=$(jq -r '[.flows[] | select(.ifname == "veth0" and
		.direction == "ingress") | select('"$BG"')] |
		"\([.[].packets] | add // 0) \([.[].bytes] | add // 0)"' \
		"$tmp/hidden/d1.json")
	sent=$(jq -r '"\(.packets) \(.bytes)"' "$tmp/hidden/gen.json")
	set -- $sent $bg
	[ "$p1" = "$(($1 + $3)) $(($2 + $4))" ] ||
		detail+=("ingress total $p1; sent $sent, background $bg")
	jq -e "$INVARIANT" "$tmp/hidden/d1.json" >/dev/null ||
		detail+=("invariant broken")
	hits=$(jq '.[] | select(.ifname == "veth0") |
		.counters.ingress.fast_hits' "$tmp/hidden/status.json")
	echo "# $n: sent ${sent% *} frames, fast path hits $hits"
	[ "${hits:-0}" -gt 0 ] 2>/dev/null ||
		detail+=("fast_hits ${hits:-none}: the fast path was off")
	# detached from inside: nothing of it is left on the host
	if ip -n "$H1" link show veth0 | grep -q "xdp" ||
	   "$FS" --netns "$H1" status --json | jq -e 'length > 0' >/dev/null
	then
		detail+=("still attached after detach:" \
			 "$("$FS" --netns "$H1" status)")
	fi
	if [ ${#detail[@]} -eq 0 ]; then
		ok $n
	else
		fail $n "${detail[@]}"
	fi
}

if ! testbed_up >/dev/null; then
	echo "not ok - testbed up"
	exit 1
fi
t_aging_4_flows
t_aging_5000_flows
t_config_hidden
exit $failed
