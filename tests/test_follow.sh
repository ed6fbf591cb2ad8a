#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Readers that follow attach, detach and link changes, end to end on the
# testbed: watch --json started before an attach counts the new interface
# exactly; a detach and re-attach under watch drops the old instance and
# counts the new one from zero; renamed, downed, deleted and moved
# interfaces under watch, dump and status; top's exit detaches only the
# instance it attached itself; attach --force that fails part-way puts
# every interface back exactly as it was.
#
# Counts are checked against flowgen with the kernel's own control traffic
# (IPv6 MLD and ND, ARP) set apart, as in test_counts.sh. Nothing here
# waits by sleeping for a fixed time: every wait polls for its condition,
# with a generous bound.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsf$$
T=fsf$$			# tmux session
tmp=$(mktemp -d)
pids=()
wpid=

need_built "$FS" "$GEN"
need_tools jq tmux bpftool tc
# Private copies: other people's builds may relink build/.
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
cp "$GEN" "$tmp/flowgen" && GEN=$tmp/flowgen
source scripts/testbed
source tests/nslib.sh
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)
H2=$(testbed_ns h2)
H3=$(testbed_ns h3)
NSS=("$H0" "$H1" "$H2" "$H3")
inos=()			# our namespaces' inodes: their pin folders are ours

# Detach whatever flowstat holds (or left orphaned) in our namespaces,
# take the testbed down, and remove any pin folder of ours that is left.
cleanup()
{
	tmux kill-session -t "$T" >/dev/null 2>&1
	ns_teardown inos "${NSS[@]}" -- veth3
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP



# ---- traffic: flowgen's flows and the kernel's own ----

# Flows as sorted [key, packets, bytes], the same form on both sides:
# key = ethertype, vlan, inner vlan, proto, src, dst, sport|type,
# dport|code.
GROUP='group_by(.k) | map([.[0].k, (map(.p) | add), (map(.b) | add)]) |
	sort'
KEY='[.ethertype, .vlan, .inner_vlan, .proto, .src, .dst,
	(.sport // .icmp_type), (.dport // .icmp_code)]'
# The kernel's own control traffic (IPv6 neighbour discovery and MLD,
# ARP) comes and goes on its own (a link going up, an XDP attach on a
# veth); everything else on these links is flowgen's.
BG='((.proto == 58 and .icmp_type >= 130 and .icmp_type <= 143) or
	.ethertype == 2054)'
GEN_FLOWS='def hex: ascii_downcase | explode |
	reduce .[] as $c (0; . * 16 + if $c >= 97 then $c - 87 else $c - 48 end);
	[.flows[] | {k: [(.eth | ltrimstr("0x") | hex), .vlan, .inner_vlan,
	     .ipproto, (if .ipproto then .src else null end),
	     (if .ipproto then .dst else null end),
	     (.sport // .type), (.dport // .code)],
	 p: .packets, b: .bytes}] | '"$GROUP"

# gen OUT NS DEV SPEC...: flowgen --json from DEV in NS into OUT
gen()
{
	local out=$1 ns=$2 dev=$3
	shift 3
	"$GEN" --netns "$ns" --dev "$dev" --json "$@" >"$out" 2>"$out.err"
}

# ---- interfaces and instances ----

attach_dev()	# NS DEV [OPTIONS]
{
	local ns=$1 dev=$2
	shift 2
	"$FS" --netns "$ns" attach "$@" "$dev" >"$tmp/attach.out" 2>&1 ||
		{ sed 's/^/# /' "$tmp/attach.out"; return 1; }
}

detach_dev()	# NS DEV
{
	"$FS" --netns "$1" detach "$2" >"$tmp/detach.out" 2>&1 ||
		{ sed 's/^/# /' "$tmp/detach.out"; return 1; }
}

# Nothing of flowstat on NS DEV (ifindex IDX): no pin folder, no XDP
# program, no clsact qdisc, and status finds neither an instance nor
# orphaned programs (tcx links included) there. Prints what it found.
nothing_on()	# NS DEV IDX
{
	local ns=$1 dev=$2 idx=$3 found="" xdp
	[ -e "$(pin_dir "$ns" "$idx")" ] &&
		found="pins $(pin_dir "$ns" "$idx");"
	xdp=$(ip -n "$ns" -j -d link show dev "$dev" |
		jq -c '.[0].xdp | if . then [.prog.id, .prog.name] else . end')
	[ "$xdp" != null ] && found="$found xdp $xdp;"
	tc -n "$ns" qdisc show dev "$dev" | grep -q clsact &&
		found="$found a clsact qdisc;"
	if "$FS" --netns "$ns" status "$dev" >"$tmp/st.out" 2>&1 ||
	   ! grep -q "not attached" "$tmp/st.out"; then
		found="$found status: $(head -c 300 "$tmp/st.out")"
	fi
	[ -z "$found" ] || { echo "$found"; return 1; }
}

# inst_state NS DEV: an instance as seen from every side, one line each:
# status's hooks, modes, program ids, owner, size and attach time; the
# meta map's bytes (instance id included); the files of the pin folder;
# the XDP programs on the link; the programs of the pinned tcx links;
# clsact filters.
inst_state()
{
	local ns=$1 dev=$2 dir f
	dir=$(pin_dir "$ns" "$(ifindex "$ns" "$dev")")
	"$FS" --netns "$ns" status --json "$dev" | jq -c '.[] |
		{ifname, ingress, egress, created_clsact, max_flows,
		 cache_slots, attached_at, owner, orphaned}'
	echo "meta $(bpftool map dump pinned "$dir/meta" -j |
		jq -c '[.[].value]')"
	echo "pins $(ls "$dir" | xargs)"
	echo "xdp $(ip -n "$ns" -j -d link show dev "$dev" |
		jq -c '.[0].xdp | [.mode, .prog.id, [.attached[]?.prog.id]]')"
	for f in "$dir"/tcx_*; do
		[ -e "$f" ] || continue
		echo "${f##*/} prog $(bpftool link show pinned "$f" -j |
			jq -c .prog_id)"
	done
	for f in ingress egress; do
		echo "clsact $f $(tc -n "$ns" filter show dev "$dev" "$f" |
			grep -o 'id [0-9]*' | xargs)"
	done
}

# ---- dump: counts without the background ----

# counts NS DEV: per direction (ingress, egress) of DEV in a dump, the
# total [packets, bytes] without the background ("fg") and the flows that
# are not background, in the form of GEN_FLOWS.
counts()
{
	"$FS" --netns "$1" dump --json | jq -c --arg ifn "$2" '
		def bg: '"$BG"';
		. as $d | ["ingress", "egress"] | map(. as $dir |
		  ($d.interfaces[] | select(.ifname == $ifn) | .[$dir]) as $t |
		  [$d.flows[] | select(.ifname == $ifn and .direction == $dir)]
		    as $f |
		  {dir: $dir,
		   fg: [$t.packets - ([$f[] | select(bg) | .packets] | add // 0),
			$t.bytes - ([$f[] | select(bg) | .bytes] | add // 0)],
		   flows: ([$f[] | select(bg | not) |
			    {k: '"$KEY"', p: .packets, b: .bytes}] | '"$GROUP"')})'
}

# counts_moved BEFORE AFTER GEN: did exactly flowgen's frames arrive at
# ingress (totals and per flow) and nothing but background at egress?
COUNTS_MOVED='($b[0]) as $b | ($a[0]) as $a | ($g[0]) as $g |
	($b[0].flows + ($g | '"$GEN_FLOWS"') | group_by(.[0]) |
	 map([.[0][0], (map(.[1]) | add), (map(.[2]) | add)]) | sort) as $want |
	[(if $a[0].fg != [$b[0].fg[0] + $g.packets, $b[0].fg[1] + $g.bytes]
	  then "ingress \($b[0].fg) + sent [\($g.packets), \($g.bytes)] is \($a[0].fg)"
	  else empty end),
	 (if $a[0].flows != $want
	  then "ingress flows \($a[0].flows | tojson), want \($want | tojson)"
	  else empty end),
	 (if $a[1] != $b[1] then "egress moved: \($b[1] | tojson) -> \($a[1] | tojson)"
	  else empty end)] | .[]'

counts_moved()
{
	jq -rn --slurpfile b "$1" --slurpfile a "$2" --slurpfile g "$3" \
		"$COUNTS_MOVED"
}

# ---- watch ----

# watch_start NS OUT [OPTIONS]: watch --json in the background
watch_start()
{
	local ns=$1 out=$2
	shift 2
	: >"$out"
	"$FS" --netns "$ns" watch --json --interval 0.2 "$@" >"$out" \
		2>"$out.err" &
	wpid=$!
	pids+=("$wpid")
}

# watch_stop: Ctrl-C; it must end by itself, exit 0, and say nothing.
watch_stop()
{
	local rc
	kill -INT "$wpid" 2>/dev/null
	wait "$wpid"
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$1.err" ] && return 0
	echo "# watch exited $rc: $(head -c 500 "$1.err")"
	return 1
}

# The records watch has written so far (whole lines), as one array.
records()	# OUT
{
	head -n "$(wc -l <"$1")" "$1" | jq -sc .
}

nrec()	# OUT
{
	wc -l <"$1" | tr -d ' '
}

# wait_watch OUT [JQ OPTIONS...] PROGRAM: poll until the records so far
# (an array) make PROGRAM true; at most 15 s, and not after watch died.
wait_watch()
{
	local out=$1 i
	shift
	for ((i = 0; i < 150; i++)); do
		records "$out" | jq -e "$@" >/dev/null 2>&1 && return 0
		kill -0 "$wpid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_records OUT N: N more records than now
wait_records()
{
	wait_watch "$1" --argjson n "$(($(nrec "$1") + $2))" 'length >= $n'
}

# Has DEV a record (from record $from on)?
HAS_DEV='[.[$from:][] | .interfaces[] | select(.ifname == $ifn)] | length > 0'
# Packets of flowgen's (not background) ingress flows of $ifn reported
# from record $from on.
FG_SUM='[.[$from:][] | .flows[] |
	select(.ifname == $ifn and .direction == "ingress") |
	select('"$BG"' | not) | .delta_packets] | add // 0'

# wait_fg OUT IFNAME FROM PACKETS: watch reported that many of flowgen's
# packets on IFNAME from record FROM on, then one more record (so that
# anything counted twice or late would show).
wait_fg()
{
	wait_watch "$1" --arg ifn "$2" --argjson from "$3" --argjson n "$4" \
		"($FG_SUM) >= \$n" && wait_records "$1" 1
}

# What watch reported for interface $ifn (any of the names in $names)
# from record $from on: the most entries of it in one record, the sums
# of its ingress deltas, its last cumulative ingress count, the
# background among its flows, its flowgen flows' deltas, and egress
# deltas that are not background.
SUMMARY='def bg: '"$BG"';
	def mine: .ifname as $n | $names | index($n);
	.[$from:] as $r |
	[$r[] | .interfaces[] | select(mine)] as $i |
	[$r[] | .flows[] | select(mine and .direction == "ingress")] as $f |
	{records: ($r | length),
	 most: ([$r[] | [.interfaces[] | select(mine)] | length] | max // 0),
	 delta: [([$i[].ingress.delta_packets] | add // 0),
		 ([$i[].ingress.delta_bytes] | add // 0)],
	 last: (if ($i | length) > 0 then [$i[-1].ingress.packets,
		$i[-1].ingress.bytes] else null end),
	 egress: [([$i[].egress.delta_packets] | add // 0),
		  (if ($i | length) > 0 then $i[-1].egress.packets else 0 end)],
	 bg: [([$f[] | select(bg) | .delta_packets] | add // 0),
	      ([$f[] | select(bg) | .delta_bytes] | add // 0)],
	 fg_egress: ([$r[] | .flows[] | select(mine and .direction == "egress") |
		      select(bg | not) | .delta_packets] | add // 0),
	 flows: ([$f[] | select(bg | not) |
		  {k: '"$KEY"', p: .delta_packets, b: .delta_bytes}] | '"$GROUP"')}'

# The summary against flowgen's report: one line per thing that is off.
EXACT='($s[0]) as $s | ($g[0]) as $g | ($g | '"$GEN_FLOWS"') as $want |
	[(if $s.most != 1
	  then "\($s.most) entries of the interface in a record"
	  else empty end),
	 (if $s.delta != $s.last
	  then "ingress deltas add up to \($s.delta), the count is \($s.last)"
	  else empty end),
	 (if $s.last != [$g.packets + $s.bg[0], $g.bytes + $s.bg[1]]
	  then "ingress count \($s.last); sent [\($g.packets), \($g.bytes)]" +
	       " + background \($s.bg)"
	  else empty end),
	 (if $s.flows != $want
	  then "flows \($s.flows | tojson); flowgen \($want | tojson)"
	  else empty end),
	 (if $s.egress[0] != $s.egress[1]
	  then "egress deltas add up to \($s.egress[0]), the count is \($s.egress[1])"
	  else empty end),
	 (if $s.fg_egress != 0 then "egress flows not background: \($s.fg_egress)"
	  else empty end)] | .[]'

# watch_exact OUT FROM GEN NAME...: prints what is off (nothing: exact)
watch_exact()
{
	local out=$1 from=$2 g=$3
	shift 3
	records "$out" | jq -c --argjson from "$from" \
		--argjson names "$(printf '%s\n' "$@" | jq -R . | jq -sc .)" \
		"$SUMMARY" >"$out.sum"
	jq -rn --slurpfile s "$out.sum" --slurpfile g "$g" "$EXACT"
}

# ---- cases ----

# 1. watch follows an attach made after it started: the new interface's
# first delta is its whole count since the attach (frames sent at once,
# likely before watch has seen the instance), and every frame flowgen
# sends is reported once, per flow.
t_watch_new_instance()
{
	local n=watch_started_before_attach_counts_new_interface_exactly
	local w=$tmp/w1.json off first
	watch_start "$H1" "$w" --interval 1
	# a record without veth0: watch was there first
	if ! wait_records "$w" 1; then
		fail $n "watch did not start: $(cat "$w.err")"
		return
	fi
	attach_dev "$H1" veth0 || { fail $n "attach"; return; }
	gen "$tmp/g1a.json" "$H0" veth1 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=53,count=1000,flows=5 \
		proto=icmp,src=203.0.113.5,dst=203.0.113.6,type=8,code=0,size=98,count=7 ||
		{ fail $n "flowgen: $(cat "$tmp/g1a.json.err")"; return; }
	if ! wait_watch "$w" --arg ifn veth0 --argjson from 0 "$HAS_DEV"; then
		fail $n "veth0 never appeared in watch" "$(tail -c 600 "$w")"
		return
	fi
	gen "$tmp/g1b.json" "$H0" veth1 \
		proto=tcp,src=203.0.113.3,dst=203.0.113.4,sport=4000,dport=80,flags=SA,size=200,count=210,flows=3 \
		proto=udp,src=2001:db8::1,dst=2001:db8::2,sport=5353,dport=5353,size=90,count=11 \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=53,count=100,flows=5 ||
		{ fail $n "flowgen: $(cat "$tmp/g1b.json.err")"; return; }
	jq -n --slurpfile a "$tmp/g1a.json" --slurpfile b "$tmp/g1b.json" \
		'{flows: ($a[0].flows + $b[0].flows),
		  packets: ($a[0].packets + $b[0].packets),
		  bytes: ($a[0].bytes + $b[0].bytes)}' >"$tmp/g1.json"
	wait_fg "$w" veth0 0 "$(jq .packets "$tmp/g1.json")"
	watch_stop "$w" || { fail $n "watch did not stop cleanly"; return; }
	off=$(watch_exact "$w" 0 "$tmp/g1.json" veth0)
	first=$(records "$w" | jq -c '[.[].interfaces[] |
		select(.ifname == "veth0")][0] | [.ingress.packets,
		.ingress.delta_packets, .ingress.bytes, .ingress.delta_bytes]')
	if [ "$(records "$w" | jq '.[0].interfaces | length')" != 0 ]; then
		fail $n "the first record already had interfaces:" \
			"$(head -1 "$w")"
	elif [ -n "$off" ]; then
		fail $n "$off" "summary: $(cat "$w.sum")"
	elif ! jq -e '.[0] == .[1] and .[2] == .[3]' <<<"$first" >/dev/null; then
		fail $n "veth0's first record [packets, delta, bytes, delta]:" \
			"$first; the first delta is not the whole count"
	else
		ok $n
	fi
}

# 2. A detach and re-attach under a running watch: the old instance goes,
# the new one is counted from zero, exactly. HOW: gap (watch sees the
# interface gone in between), now (detach and attach back to back, in
# one long interval: the same scan sees the old instance gone and the
# new one there) or force (attach --force, no detach). The rest are
# watch's options (an interface named, or not).
t_watch_reattach()
{
	local n=$1 gap=$2 interval=$3 w=$tmp/w2$2.json m old k off
	shift 3
	watch_start "$H1" "$w" --interval "$interval" "$@"
	if ! wait_watch "$w" --arg ifn veth0 --argjson from 0 "$HAS_DEV"; then
		fail "$n" "veth0 not in watch: $(tail -c 600 "$w" "$w.err")"
		return
	fi
	# the old instance: 1000 frames, reported
	gen "$tmp/g2old.json" "$H0" veth1 \
		proto=udp,src=203.0.113.10,dst=203.0.113.20,sport=7000,dport=7,count=1000,flows=4 ||
		{ fail "$n" "flowgen: $(cat "$tmp/g2old.json.err")"; return; }
	if ! wait_fg "$w" veth0 0 1000; then
		fail "$n" "the old instance's 1000 frames were not reported"
		return
	fi
	m=$(nrec "$w")
	old=$(records "$w" | jq '[.[].interfaces[] |
		select(.ifname == "veth0")][-1].ingress.packets')
	if [ "$gap" = gap ]; then
		detach_dev "$H1" veth0 || { fail "$n" "detach"; return; }
		if ! wait_watch "$w" --argjson from "$m" \
			'.[$from:] | any(.interfaces |
			 map(select(.ifname == "veth0")) | length == 0)'; then
			fail "$n" "veth0 never left watch after the detach" \
				"$(tail -c 600 "$w")"
			return
		fi
		attach_dev "$H1" veth0 || { fail "$n" "attach"; return; }
	elif [ "$gap" = force ]; then
		attach_dev "$H1" veth0 --force ||
			{ fail "$n" "attach --force"; return; }
	else
		detach_dev "$H1" veth0 && attach_dev "$H1" veth0 ||
			{ fail "$n" "detach and attach"; return; }
	fi
	if ! wait_watch "$w" --argjson from "$m" --argjson old "$old" \
		'[.[$from:][] | .interfaces[] | select(.ifname == "veth0" and
		  .ingress.packets < $old)] | length > 0'; then
		fail "$n" "the new instance never appeared in watch" \
			"$(tail -c 600 "$w")"
		return
	fi
	# the new instance: 300 frames of other flows
	gen "$tmp/g2.json" "$H0" veth1 \
		proto=udp,src=203.0.113.11,dst=203.0.113.21,sport=8000,dport=8,count=300,flows=3 ||
		{ fail "$n" "flowgen: $(cat "$tmp/g2.json.err")"; return; }
	wait_fg "$w" veth0 "$m" 300
	watch_stop "$w" || { fail "$n" "watch did not stop cleanly"; return; }
	# k: the first record without the old instance (veth0 missing, or
	# counting from zero again)
	k=$(records "$w" | jq --argjson from "$m" --argjson old "$old" '
		[range($from; length) as $i | select([.[$i].interfaces[] |
		 select(.ifname == "veth0" and .ingress.packets >= $old)] |
		 length == 0) | $i] | first // -1')
	off=$(watch_exact "$w" "$k" "$tmp/g2.json" veth0)
	if [ "$k" -lt 0 ]; then
		fail "$n" "the old instance never left: $(tail -c 600 "$w")"
	elif [ "$gap" = gap ] && [ "$(records "$w" | jq --argjson k "$k" \
		'.[$k].interfaces | map(select(.ifname == "veth0")) | length')" != 0 ]; then
		fail "$n" "no record without veth0 between detach and attach"
	elif records "$w" | jq -e --argjson k "$k" --argjson old "$old" \
		'[.[$k:][] | .interfaces[] | select(.ifname == "veth0") |
		  select(.ingress.packets >= $old)] | length > 0' >/dev/null; then
		fail "$n" "the old instance's frozen count came back:" \
			"$(tail -c 800 "$w")"
	elif [ -n "$off" ]; then
		fail "$n" "$off" "summary: $(cat "$w.sum")"
	else
		ok "$n"
	fi
}

# 3. Link events under watch, dump and status. One interface is renamed
# (counted on, under its new name), set down (up: false), then deleted
# (present: false); another is moved to another namespace (present:
# false). detach cleans up after both, and watch drops them.

# The entries of the interface with ifindex $idx in the watch records
# from $from on (its name may change).
BY_IDX='[.[$from:][] | .interfaces[] | select(.ifindex == $idx)]'

# gone_everywhere OUT IFINDEX PINDIR: the running watch (records in OUT),
# dump and status all say that the interface with IFINDEX in H0 is gone;
# detach by the name status shows removes its pin folder; watch drops it.
# Prints what is off.
gone_everywhere()
{
	local w=$1 idx=$2 dir=$3 m name
	m=$(nrec "$w")
	if ! wait_watch "$w" --argjson from "$m" --argjson idx "$idx" \
		"$BY_IDX"' | any(.present == false)'; then
		echo "watch never said it is gone: $(tail -c 600 "$w")"
		return
	fi
	"$FS" --netns "$H0" dump --json >"$tmp/d3.json"
	"$FS" --netns "$H0" status --json >"$tmp/s3.json"
	name=$(jq -r --argjson idx "$idx" '.[] | select(.ifindex == $idx) |
		.ifname' "$tmp/s3.json")
	if [ "$(jq -c --argjson idx "$idx" '[.interfaces[] |
		select(.ifindex == $idx) | .present, .kernel]' \
		"$tmp/d3.json")" != '[false,null]' ]; then
		echo "dump: $(jq -c '.interfaces' "$tmp/d3.json")"
	elif [ "$(jq -c --argjson idx "$idx" '[.[] | select(.ifindex == $idx) |
		.present, .kernel]' "$tmp/s3.json")" != '[false,null]' ]; then
		echo "status: $(jq -c '.' "$tmp/s3.json")"
	elif ! detach_dev "$H0" "$name" || [ -e "$dir" ]; then
		echo "'detach $name' (as status names it) left" \
			"$(ls -d "$dir" 2>/dev/null)"
	elif m=$(nrec "$w") && ! wait_watch "$w" --argjson from "$m" \
		--argjson idx "$idx" '.[$from:] | any(.interfaces |
		map(select(.ifindex == $idx)) | length == 0)'; then
		echo "watch did not drop it after its detach: $(tail -1 "$w")"
	fi
}

t_link_events()
{
	local w=$tmp/w3.json n m off i2 i3 d2 d3 sn
	# watch first: each instance is new to it, its first delta the
	# whole count since its attach
	watch_start "$H0" "$w"
	wait_records "$w" 1 || { fail link_events "watch did not start"; return; }
	attach_dev "$H0" veth2 && attach_dev "$H0" veth3 ||
		{ fail link_events "attach veth2 veth3"; return; }
	i2=$(ifindex "$H0" veth2)
	i3=$(ifindex "$H0" veth3)
	d2=$(pin_dir "$H0" "$i2")
	d3=$(pin_dir "$H0" "$i3")
	if ! wait_watch "$w" '[.[].interfaces | length] | max >= 2'; then
		fail link_events "watch: $(tail -c 600 "$w" "$w.err")"
		return
	fi

	n=watch_dump_status_follow_a_renamed_interface
	gen "$tmp/g3a.json" "$H2" veth0 \
		proto=udp,src=203.0.113.30,dst=203.0.113.31,sport=300,dport=30,count=100,flows=2 &&
		wait_fg "$w" veth2 0 100 ||
		{ fail $n "before the rename: $(tail -c 600 "$w")"; return; }
	m=$(nrec "$w")
	ip -n "$H0" link set dev veth2 name fsf2 || { fail $n "rename"; return; }
	if ! wait_watch "$w" --argjson from "$m" \
		'.[$from:] | map(.interfaces | map(.ifname)) |
		 any(index("fsf2") and (index("veth2") | not))'; then
		fail $n "watch never showed fsf2: $(tail -c 600 "$w")"
		return
	fi
	gen "$tmp/g3b.json" "$H2" veth0 \
		proto=udp,src=203.0.113.30,dst=203.0.113.31,sport=300,dport=30,count=50,flows=2 ||
		{ fail $n "flowgen: $(cat "$tmp/g3b.json.err")"; return; }
	wait_fg "$w" fsf2 "$m" 50
	# both sends, under either name, add up to the count under the new one
	jq -n --slurpfile a "$tmp/g3a.json" --slurpfile b "$tmp/g3b.json" \
		'{flows: ($a[0].flows + $b[0].flows),
		  packets: ($a[0].packets + $b[0].packets),
		  bytes: ($a[0].bytes + $b[0].bytes)}' >"$tmp/g3.json"
	off=$(watch_exact "$w" 0 "$tmp/g3.json" veth2 fsf2)
	# from the first record with the new name on, the old one is gone
	sn=$(records "$w" | jq -c --argjson from "$m" '
		(.[$from:] | map(.interfaces | map(.ifname) | index("fsf2")) |
		 map(. != null) | index(true)) as $r | .[$from + $r:] |
		[.[] | (.interfaces[], .flows[]) | select(.ifname == "veth2")] |
		length')
	"$FS" --netns "$H0" dump --json >"$tmp/d3.json"
	"$FS" --netns "$H0" status --json >"$tmp/s3.json"
	if [ -n "$off" ]; then
		fail $n "$off" "summary: $(cat "$w.sum")"
	elif [ "$sn" != 0 ]; then
		fail $n "the old name after the rename: $(tail -c 800 "$w")"
	elif [ "$(jq -c --argjson idx "$i2" '[.interfaces[] |
		select(.ifindex == $idx) | .ifname, .present, .up]' \
		"$tmp/d3.json")" != '["fsf2",true,true]' ] ||
	     [ "$(jq -c '[.flows[] | select(.ifname == "fsf2" and
		.src == "203.0.113.30") | .packets] | add' "$tmp/d3.json")" != 150 ]; then
		fail $n "dump: $(jq -c '.' "$tmp/d3.json")"
	elif [ "$(jq -c --argjson idx "$i2" '[.[] | select(.ifindex == $idx) |
		.ifname, .present, .up, .counters.ingress.packets >= 150]' \
		"$tmp/s3.json")" != '["fsf2",true,true,true]' ]; then
		fail $n "status: $(jq -c '.' "$tmp/s3.json")"
	else
		ok $n
	fi

	n=dump_status_show_a_link_set_down
	ip -n "$H0" link set dev fsf2 down || { fail $n "set down"; return; }
	"$FS" --netns "$H0" dump --json >"$tmp/d3.json"
	"$FS" --netns "$H0" status --json >"$tmp/s3.json"
	wait_records "$w" 2
	if [ "$(jq -c '[.interfaces[] | select(.ifname == "fsf2") |
		.present, .up]' "$tmp/d3.json")" != '[true,false]' ]; then
		fail $n "dump: $(jq -c '.interfaces' "$tmp/d3.json")"
	elif [ "$(jq -c '[.[] | select(.ifname == "fsf2") | .present, .up]' \
		"$tmp/s3.json")" != '[true,false]' ]; then
		fail $n "status: $(jq -c '.' "$tmp/s3.json")"
	elif [ "$(records "$w" | jq -c '[.[-1].interfaces[] |
		select(.ifname == "fsf2") | .present]')" != '[true]' ]; then
		fail $n "watch: $(tail -1 "$w")"
	else
		ok $n
	fi

	n=deleted_interface_present_false_detach_cleans_up
	ip -n "$H0" link del fsf2 || { fail $n "link del"; return; }
	off=$(gone_everywhere "$w" "$i2" "$d2")
	if [ -n "$off" ]; then
		fail $n "$off"
	else
		ok $n
	fi

	n=moved_interface_present_false_detach_cleans_up
	ip -n "$H0" link set dev veth3 netns "$H3" || { fail $n "move"; return; }
	off=$(gone_everywhere "$w" "$i3" "$d3")
	if [ -n "$off" ]; then
		fail $n "$off"
	elif ! off=$(nothing_on "$H3" veth3 "$(ifindex "$H3" veth3)"); then
		fail $n "'flowstat --netns $H0 detach veth3' exited 0 but left" \
			"on veth3, now in $H3: $off"
	else
		ok $n
	fi

	n=watch_keeps_running_through_link_events
	if ! kill -0 "$wpid" 2>/dev/null; then
		fail $n "watch died: $(cat "$w.err")"
	elif watch_stop "$w" &&
	     [ "$(jq -c . "$w" | wc -l)" = "$(nrec "$w")" ]; then
		ok $n
	else
		fail $n "records: $(tail -c 300 "$w")"
	fi
}

# ---- top, in tmux ----

view_pid()
{
	pgrep -P "$(tmux display -p -t "$T" '#{pane_pid}')" -x flowstat
}

wait_exit()
{
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$tmp/rc" ] && return 0
		sleep 0.1
	done
	return 1
}

# status says veth0 in H1 is attached, owned by PID (or by "pins")
wait_owner()	# OWNER
{
	local i want=$1
	for ((i = 0; i < 100; i++)); do
		"$FS" --netns "$H1" status --json 2>/dev/null | jq -e --arg o "$want" \
			'.[] | select(.ifname == "veth0") |
			 if $o == "pins" then .owner == "pins"
			 else .owner == "process" and (.owner_pid | tostring) == $o end' \
			>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# 4a. top attaches what is not held, and on q leaves nothing behind.
t_top_plain()
{
	local n=top_attaches_and_detaches_on_quit pid left idx
	idx=$(ifindex "$H1" veth0)
	view "$FS --netns $H1 top -d 0.5 veth0"
	if ! wait_for '^veth0 +rx' || ! pid=$(view_pid) || ! wait_owner "$pid"; then
		fail $n "top did not attach: $(screen | head -5)"
		return
	fi
	tmux send-keys -t "$T" q
	if ! wait_exit || [ "$(cat "$tmp/rc")" != 0 ]; then
		fail $n "top did not exit 0: rc $(cat "$tmp/rc" 2>/dev/null)"
	elif ! left=$(nothing_on "$H1" veth0 "$idx"); then
		fail $n "left behind: $left"
	else
		ok $n
	fi
}

# 4b. Someone detaches top's instance and attaches again while top runs:
# top follows the new instance, and its exit leaves it alone.
t_top_leaves_reattached()
{
	local n=top_exit_leaves_an_instance_others_reattached pid off
	view "$FS --netns $H1 top -d 0.5 veth0"
	if ! wait_for '^veth0 +rx' || ! pid=$(view_pid) || ! wait_owner "$pid"; then
		fail $n "top did not attach: $(screen | head -5)"
		return
	fi
	detach_dev "$H1" veth0 && attach_dev "$H1" veth0 && wait_owner pins ||
		{ fail $n "detach and attach under top"; return; }
	gen "$tmp/g4.json" "$H0" veth1 \
		proto=udp,src=203.0.113.40,dst=203.0.113.41,sport=4444,dport=44,count=77 ||
		{ fail $n "flowgen: $(cat "$tmp/g4.json.err")"; return; }
	if wait_for 'in +udp +203\.0\.113\.40:4444 .* 77 +4620 '; then
		ok "top_follows_the_reattached_instance"
	else
		fail "top_follows_the_reattached_instance" "$(screen)"
	fi
	# as it is while top reads it (a reader registers under readers/)
	inst_state "$H1" veth0 >"$tmp/state0"
	tmux send-keys -t "$T" q
	if ! wait_exit || [ "$(cat "$tmp/rc")" != 0 ]; then
		fail $n "top did not exit 0: rc $(cat "$tmp/rc" 2>/dev/null)"
		return
	fi
	inst_state "$H1" veth0 >"$tmp/state1"
	if ! diff "$tmp/state0" "$tmp/state1" >"$tmp/state.diff"; then
		fail $n "the instance changed when top quit:" \
			"$(cat "$tmp/state.diff")"
		return
	fi
	# and it still counts, exactly
	counts "$H1" veth0 >"$tmp/c0.json"
	gen "$tmp/g4b.json" "$H0" veth1 \
		proto=udp,src=203.0.113.40,dst=203.0.113.41,sport=4444,dport=44,count=33 \
		proto=tcp,src=203.0.113.42,dst=203.0.113.43,sport=45,dport=80,count=12,flows=2 ||
		{ fail $n "flowgen: $(cat "$tmp/g4b.json.err")"; return; }
	counts "$H1" veth0 >"$tmp/c1.json"
	off=$(counts_moved "$tmp/c0.json" "$tmp/c1.json" "$tmp/g4b.json")
	if [ -n "$off" ]; then
		fail $n "after top quit: $off"
	else
		ok $n
	fi
}

# 5. attach --force A br0 fails on br0 (a bridge has no native XDP): A's
# old instance is back exactly as it was, counting, and br0 has nothing.
# With gro, GRO is on at veth0 for the test: flowgen's frames reach a veth
# whose XDP program runs in skb mode only that way (UDP and ICMP only, so
# that GRO merges nothing).
t_force_rollback()
{
	local n=$1 gro=$2 off left
	shift 2
	detach_dev "$H1" veth0 >/dev/null 2>&1
	ip netns exec "$H1" ethtool -K veth0 gro "$gro" >/dev/null ||
		{ fail "$n" "ethtool -K veth0 gro $gro"; return; }
	attach_dev "$H1" veth0 "$@" || { fail "$n" "attach $*"; return; }
	gen "$tmp/g5a.json" "$H0" veth1 \
		proto=udp,src=203.0.113.50,dst=203.0.113.51,sport=500,dport=50,count=400,flows=4 ||
		{ fail "$n" "flowgen: $(cat "$tmp/g5a.json.err")"; return; }
	counts "$H1" veth0 >"$tmp/c0.json"
	inst_state "$H1" veth0 >"$tmp/state0"
	"$FS" --netns "$H1" attach --force --mode native veth0 br0 \
		>"$tmp/force.out" 2>"$tmp/force.err"
	local rc=$?
	inst_state "$H1" veth0 >"$tmp/state1"
	counts "$H1" veth0 >"$tmp/c1.json"
	if [ $rc -ne 1 ] || ! grep -q "attach br0" "$tmp/force.err" ||
	   [ "$(wc -l <"$tmp/force.err")" != 1 ]; then
		fail "$n" "attach --force: rc $rc (want 1):" \
			"$(cat "$tmp/force.out" "$tmp/force.err")"
	elif ! diff "$tmp/state0" "$tmp/state1" >"$tmp/state.diff"; then
		fail "$n" "veth0 is not as it was:" "$(cat "$tmp/state.diff")"
	elif [ "$(cat "$tmp/c0.json")" != "$(cat "$tmp/c1.json")" ]; then
		fail "$n" "counts changed: $(cat "$tmp/c0.json")" \
			"-> $(cat "$tmp/c1.json")"
	elif ! left=$(nothing_on "$H1" br0 "$(ifindex "$H1" br0)"); then
		fail "$n" "br0: $left"
	elif left=$(ls -d /sys/fs/bpf/flowstat/"$(ns_ino "$H1")"_*_* \
		    2>/dev/null) && [ -n "$left" ]; then
		fail "$n" "set aside and left: $left"
	else
		gen "$tmp/g5b.json" "$H0" veth1 \
			proto=udp,src=203.0.113.50,dst=203.0.113.51,sport=500,dport=50,count=100,flows=4 \
			proto=icmp,src=203.0.113.52,dst=203.0.113.53,count=9 ||
			{ fail "$n" "flowgen: $(cat "$tmp/g5b.json.err")"; return; }
		counts "$H1" veth0 >"$tmp/c2.json"
		off=$(counts_moved "$tmp/c1.json" "$tmp/c2.json" "$tmp/g5b.json")
		if [ -n "$off" ]; then
			fail "$n" "counting after the rollback: $off"
		else
			ok "$n"
		fi
	fi
	detach_dev "$H1" veth0 >/dev/null
	ip netns exec "$H1" ethtool -K veth0 gro off >/dev/null
}

# 5b. The same with veth0 not attached before: it is not attached after.
t_force_rollback_unheld()
{
	local n=force_fails_on_br0_unattached_veth0_stays_unattached left rc
	detach_dev "$H1" veth0 >/dev/null 2>&1
	"$FS" --netns "$H1" attach --force --mode native veth0 br0 \
		>"$tmp/force.out" 2>"$tmp/force.err"
	rc=$?
	if [ $rc -ne 1 ] || [ "$(wc -l <"$tmp/force.err")" != 1 ]; then
		fail $n "attach --force: rc $rc (want 1):" \
			"$(cat "$tmp/force.out" "$tmp/force.err")"
	elif ! left=$(nothing_on "$H1" veth0 "$(ifindex "$H1" veth0)"); then
		fail $n "veth0: $left"
	elif ! left=$(nothing_on "$H1" br0 "$(ifindex "$H1" br0)"); then
		fail $n "br0: $left"
	else
		ok $n
	fi
}

ns_testbed_up inos "${NSS[@]}" -- --pairs 3
if ! ip -n "$H1" link add br0 type bridge || ! ip -n "$H1" link set br0 up; then
	echo "not ok - a bridge in $H1"
	exit 1
fi
testbed_settle >/dev/null

t_watch_new_instance
t_watch_reattach watch_detach_gap_reattach_counts_new_instance_exactly gap 0.2
t_watch_reattach watch_back_to_back_reattach_counts_new_instance_exactly now 1.5
t_watch_reattach watch_veth0_force_reattach_counts_new_instance_exactly force \
	0.2 veth0
detach_dev "$H1" veth0
t_top_plain
t_top_leaves_reattached
detach_dev "$H1" veth0
t_force_rollback force_fails_on_br0_veth0_back_exactly_xdp_tcx off
t_force_rollback force_fails_on_br0_veth0_back_exactly_skb_clsact on \
	--mode skb --tc clsact
t_force_rollback_unheld
t_link_events
exit $failed
