#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# flowstat attach / detach / status, end to end on the testbed: what attach
# reports and pins, exact counts through XDP and tc that outlive the
# attaching process, detach leaving nothing (50 cycles leak nothing),
# several interfaces, --netns, a missing bpffs, and every bad input with
# its exact exit code and nothing changed.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsa$$
RX=veth0		# in H1; flowgen sends to it from H0's veth1
ROOT=/sys/fs/bpf/flowstat
tmp=$(mktemp -d)

need_built "$FS" "$GEN"
# A private copy: other people's builds may relink build/flowstat while
# this suite runs.
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
source scripts/testbed
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

# Detach only what this suite attached (never --all: other suites may
# run), then drop the testbed.
cleanup()
{
	local ns dev
	for ns in "$H0" "$H1"; do
		for dev in veth0 veth1 veth2 "br$P" sa; do
			"$FS" --netns "$ns" detach "$dev" >/dev/null 2>&1
		done
	done
	"$GEN" --netns "$H1" --dev "$RX" --detach-pass >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT



# run CMD...: rc, $tmp/out and $tmp/err hold what it did.
run()
{
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect NAME RC WHAT: the last run() exited RC and printed one stderr line
# containing WHAT (and nothing on stdout).
expect_error()
{
	local name=$1 want=$2 what=$3
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, want $want; stderr: $(cat "$tmp/err")"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
	     ! grep -qF -- "$what" "$tmp/err"; then
		fail "$name" "stderr is not one line with '$what': $(cat "$tmp/err")"
	elif [ -s "$tmp/out" ]; then
		fail "$name" "stdout not empty: $(cat "$tmp/out")"
	else
		return 0
	fi
	return 1
}

ns_inode()
{
	stat -L -c %i "/run/netns/$1"
}

# Everything flowstat could change on NS DEV, in a stable text form.
state()
{
	local ns=$1 dev=$2 ino
	ino=$(ns_inode "$ns")
	ip -n "$ns" -d link show dev "$dev" | grep -o 'prog/xdp[a-z]* id [0-9]*'
	tc -n "$ns" qdisc show dev "$dev"
	tc -n "$ns" filter show dev "$dev" ingress 2>/dev/null
	tc -n "$ns" filter show dev "$dev" egress 2>/dev/null
	ls "$ROOT" 2>/dev/null | grep "^${ino}_"
}

# unchanged NAME NS DEV: state() now equals $tmp/state.NS.DEV from before.
save_state()
{
	state "$1" "$2" >"$tmp/state.$1.$2"
}

unchanged()
{
	if ! state "$2" "$3" | cmp -s - "$tmp/state.$2.$3"; then
		fail "$1" "state of $2/$3 changed: $(state "$2" "$3" |
			diff "$tmp/state.$2.$3" - | tr '\n' ' ')"
		return 1
	fi
	return 0
}

# status field: jq PATH over `status --json DEV` in NS
status_field()
{
	"$FS" --netns "$1" status --json "$2" | jq -r ".[0]$3"
}

send_udp()
{
	"$GEN" --netns "$H0" --dev veth1 \
		"proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=2000,count=$1" \
		>/dev/null
}

# Nothing of flowstat on NS DEV: no XDP program, no tc filter, no pins,
# and the program ids it had (ids...) are gone from the kernel.
nothing_left()
{
	local ns=$1 dev=$2 ino id
	shift 2
	ino=$(ns_inode "$ns")
	if ip -n "$ns" link show dev "$dev" | grep -q 'prog/xdp'; then
		echo "# XDP program left on $dev"; return 1
	fi
	if [ -n "$(tc -n "$ns" filter show dev "$dev" ingress)$(tc -n "$ns" filter show dev "$dev" egress)" ]; then
		echo "# tc filter left on $dev"; return 1
	fi
	if ls "$ROOT" 2>/dev/null | grep -q "^${ino}_"; then
		echo "# pins left: $(ls "$ROOT" | grep "^${ino}_")"; return 1
	fi
	for id in "$@"; do
		if bpftool prog show id "$id" >/dev/null 2>&1; then
			echo "# program $id still loaded"; return 1
		fi
	done
	return 0
}

prog_ids()
{
	"$FS" --netns "$1" status --json "$2" |
		jq -r '.[0] | [.ingress.prog_id, .egress.prog_id] | map(select(. != null)) | .[]'
}

# ---- cases ----

t_attach_reports()
{
	local n=attach_reports_hooks_and_mode out
	run "$FS" --netns "$H1" attach "$RX"
	if [ "$rc" -ne 0 ] || ! grep -q "^attached $RX (netns $H1): ingress xdp native (prog [0-9]*), egress tc tcx (prog [0-9]*), max flows 65536$" "$tmp/out"; then
		fail $n "rc $rc: $(cat "$tmp/out" "$tmp/err")"
		return
	fi
	out=$(status_field "$H1" "$RX" '| "\(.ingress.hook) \(.ingress.xdp_mode) \(.egress.hook) \(.egress.tc) \(.max_flows) \(.present)"')
	if [ "$out" != "xdp native tc tcx 65536 true" ]; then
		fail $n "status says: $out"
		return
	fi
	ok $n
}

# The pinned state is root's alone: the root folder and every folder
# under it 0700, every pin 0600, all owned by root.
t_pins_root_only()
{
	local n=pinned_state_readable_by_root_only ino idx bad
	ino=$(ns_inode "$H1")
	idx=$(ip -n "$H1" -j link show "$RX" | jq '.[0].ifindex')
	if [ ! -e "$ROOT/${ino}_${idx}/store" ]; then
		fail $n "no instance at $ROOT/${ino}_${idx}"
		return
	fi
	bad=$(find "$ROOT" \( -type d ! -perm 0700 \) -o \
		\( ! -type d ! -perm 0600 \) -o ! -uid 0 -o ! -gid 0)
	if [ -n "$bad" ]; then
		fail $n "$(ls -ld $bad | head -5)"
	else
		ok "$n ($(find "$ROOT/${ino}_${idx}" | wc -l) entries)"
	fi
}

# Counts through XDP after the attaching process has exited, exact, and
# next to the kernel's own rx counter.
t_counts_survive_exit()
{
	local n=counts_survive_attaching_process p0 p1 k0 k1
	testbed_settle >/dev/null
	p0=$(status_field "$H1" "$RX" .counters.ingress.packets)
	k0=$(status_field "$H1" "$RX" .kernel.rx_packets)
	send_udp 1000
	p1=$(status_field "$H1" "$RX" .counters.ingress.packets)
	k1=$(status_field "$H1" "$RX" .kernel.rx_packets)
	if [ $((p1 - p0)) -ne 1000 ]; then
		fail $n "flowstat counted $((p1 - p0)) of 1000 frames"
	elif [ $((k1 - k0)) -ne 1000 ]; then
		fail $n "kernel rx counted $((k1 - k0)) of 1000 frames"
	else
		ok $n
	fi
}

t_detach_leaves_nothing()
{
	local n=detach_leaves_nothing ids
	ids=$(prog_ids "$H1" "$RX")
	run "$FS" --netns "$H1" detach "$RX"
	if [ "$rc" -ne 0 ] || [ "$(cat "$tmp/out")" != "detached $RX" ]; then
		fail $n "rc $rc: $(cat "$tmp/out" "$tmp/err")"
	elif [ -z "$ids" ]; then
		fail $n "status gave no program ids"
	elif nothing_left "$H1" "$RX" $ids; then
		ok $n
	else
		fail $n "see above"
	fi
}

# The ids of every program, map and link of the instance on NS DEV.
instance_ids()
{
	local id progs ino idx
	progs=$(prog_ids "$1" "$2")
	ino=$(ns_inode "$1")
	idx=$(ip -n "$1" -j link show "$2" | jq '.[0].ifindex')
	bpftool -j map show pinned "$ROOT/${ino}_${idx}/meta" |
		jq -r '"map \(.id)"'
	for id in $progs; do
		echo "prog $id"
		bpftool -j prog show id "$id" | jq -r '.map_ids[] | "map \(.)"'
	done
	bpftool -j link show | jq -r --arg p "$(echo $progs)" \
		'.[] | select(.prog_id as $x | $p | split(" ") | index($x | tostring)) | "link \(.id)"'
}

# Other suites may load and free BPF objects meanwhile, so the counts
# (flowstat-named programs and maps, all links) are compared with a few
# retries, and every object id each cycle made must be gone at the end.
bpf_counts()
{
	local progs maps links
	progs=$(bpftool -j prog show | jq '[.[] | select(.name | test("^flowstat_"))] | length')
	maps=$(bpftool -j map show | jq '[.[] | select(.name | test("^((flows|totals|cache)[01]|flowstat_(meta|store|gp|sync)|flowstat\\.rodata|\\.data\\.(ctl|match))$"))] | length')
	links=$(bpftool -j link show | jq 'length')
	echo "progs $progs maps $maps links $links"
}

ids_gone()
{
	local kind id
	while read -r kind id; do
		if bpftool "$kind" show id "$id" >/dev/null 2>&1; then
			echo "# $kind $id still exists"
			return 1
		fi
	done <"$tmp/ids"
	return 0
}

t_cycles_no_leak()
{
	local n=attach_detach_50_cycles_leak_nothing before after i
	local -a mode
	before=$(bpf_counts)
	: >"$tmp/ids"
	for ((i = 0; i < 50; i++)); do
		# Every other cycle: tc ingress through clsact.
		if ((i % 2)); then mode=(--ingress tc --tc clsact); else mode=(); fi
		if ! "$FS" --netns "$H1" attach "${mode[@]}" "$RX" >/dev/null ||
		   ! instance_ids "$H1" "$RX" >>"$tmp/ids" ||
		   ! "$FS" --netns "$H1" detach "$RX" >/dev/null; then
			fail $n "cycle $i failed"
			return
		fi
	done
	# Freed objects go after an RCU grace period: polled, 30 s at most.
	counts_back() { after=$(bpf_counts); [ "$after" = "$before" ]; }
	poll 30 counts_back
	# Two programs per cycle: XDP + tc egress, or tc ingress + egress.
	if [ "$(grep -c '^prog ' "$tmp/ids")" -ne 100 ]; then
		fail $n "expected 100 program ids, got $(grep -c '^prog ' "$tmp/ids")"
	elif ! ids_gone; then
		fail $n "see above"
	elif ! nothing_left "$H1" "$RX"; then
		fail $n "see above"
	elif [ "$after" != "$before" ]; then
		fail $n "flowstat's programs, maps, links before: $before; after: $after"
	else
		ok $n
	fi
}

t_ingress_tc()
{
	local n=ingress_via_tc_counts_exactly p0 p1 out
	run "$FS" --netns "$H1" attach --ingress tc --no-egress "$RX"
	out=$(status_field "$H1" "$RX" '| "\(.ingress.hook) \(.ingress.tc) \(.egress)"')
	if [ "$rc" -ne 0 ] || [ "$out" != "tc tcx null" ]; then
		fail $n "rc $rc, status: $out; $(cat "$tmp/err")"
		return
	fi
	testbed_settle >/dev/null
	p0=$(status_field "$H1" "$RX" .counters.ingress.packets)
	send_udp 500
	p1=$(status_field "$H1" "$RX" .counters.ingress.packets)
	"$FS" --netns "$H1" detach "$RX" >/dev/null
	if [ $((p1 - p0)) -ne 500 ]; then
		fail $n "tc ingress counted $((p1 - p0)) of 500"
	else
		ok $n
	fi
}

# Egress through tc: 5 pings between neighbours with static ARP entries
# (no ARP either way) are exactly 5 frames out.
t_egress_tc()
{
	local n=egress_via_tc_counts_exactly e0 e1 mac0 mac1
	mac0=$(ip -n "$H0" -j link show veth1 | jq -r '.[0].address')
	mac1=$(ip -n "$H1" -j link show "$RX" | jq -r '.[0].address')
	ip -n "$H1" neigh replace 192.0.2.5 lladdr "$mac0" dev "$RX" nud permanent
	ip -n "$H0" neigh replace 192.0.2.6 lladdr "$mac1" dev veth1 nud permanent
	"$FS" --netns "$H1" attach "$RX" >/dev/null || { fail $n "attach"; return; }
	testbed_settle >/dev/null
	e0=$(status_field "$H1" "$RX" .counters.egress.packets)
	ip netns exec "$H1" ping -q -c 5 -i 0.05 -W 1 192.0.2.5 >/dev/null
	e1=$(status_field "$H1" "$RX" .counters.egress.packets)
	"$FS" --netns "$H1" detach "$RX" >/dev/null
	if [ $((e1 - e0)) -ne 5 ]; then
		fail $n "egress counted $((e1 - e0)) of 5 echo requests"
	else
		ok $n
	fi
}

# clsact: flowstat makes the qdisc and removes it; a qdisc that was
# there before stays.
t_clsact()
{
	local n=clsact_qdisc_only_removed_if_flowstat_made_it
	"$FS" --netns "$H1" attach --tc clsact "$RX" >/dev/null &&
		tc -n "$H1" qdisc show dev "$RX" | grep -q clsact &&
		[ "$(status_field "$H1" "$RX" .created_clsact)" = true ] &&
		"$FS" --netns "$H1" detach "$RX" >/dev/null
	if [ $? -ne 0 ] || tc -n "$H1" qdisc show dev "$RX" | grep -q clsact; then
		fail $n "own clsact: $(tc -n "$H1" qdisc show dev "$RX")"
		return
	fi
	tc -n "$H1" qdisc add dev "$RX" clsact
	"$FS" --netns "$H1" attach --tc clsact "$RX" >/dev/null &&
		[ "$(status_field "$H1" "$RX" .created_clsact)" = false ] &&
		"$FS" --netns "$H1" detach "$RX" >/dev/null
	if [ $? -ne 0 ] || ! tc -n "$H1" qdisc show dev "$RX" | grep -q clsact; then
		fail $n "existing clsact was not kept"
	elif ! nothing_left "$H1" "$RX"; then
		fail $n "see above"
	else
		ok $n
	fi
	tc -n "$H1" qdisc del dev "$RX" clsact
}

t_several()
{
	local n=several_interfaces_at_once out
	run "$FS" --netns "$H0" attach --mode skb veth1 veth2
	out=$("$FS" --netns "$H0" status --json | jq -r '[.[] | select(.netns == "'"$H0"'") | "\(.ifname):\(.ingress.xdp_mode)"] | join(" ")')
	if [ "$rc" -ne 0 ] || [ "$out" != "veth1:skb veth2:skb" ]; then
		fail $n "rc $rc, status: $out; $(cat "$tmp/err")"
		return
	fi
	run "$FS" --netns "$H0" detach veth1 veth2
	if [ "$rc" -ne 0 ] || ! nothing_left "$H0" veth1 ||
	   ! nothing_left "$H0" veth2; then
		fail $n "detach: rc $rc"
	else
		ok $n
	fi
}

# --netns: pins land in the caller's bpffs under <netns inode>_<ifindex>,
# status from the root namespace finds the instance, and so does
# detach --all's namespace lookup (tested through detach by name here).
t_netns()
{
	local n=netns_pins_in_callers_bpffs ino idx out
	ino=$(ns_inode "$H1")
	idx=$(ip -n "$H1" -j link show "$RX" | jq '.[0].ifindex')
	"$FS" --netns "$H1" attach "$RX" >/dev/null || { fail $n attach; return; }
	out=$("$FS" status --json | jq -r '.[] | select(.netns == "'"$H1"'") | "\(.ifname) \(.netns_inode) \(.ifindex) \(.present)"')
	if [ "$out" != "$RX $ino $idx true" ]; then
		fail $n "status from root: '$out'"
	elif [ ! -e "$ROOT/${ino}_${idx}/flows0" ] ||
	     [ ! -e "$ROOT/${ino}_${idx}/store" ] ||
	     [ ! -e "$ROOT/${ino}_${idx}/meta" ]; then
		fail $n "no pins at $ROOT/${ino}_${idx}"
	else
		ok $n
	fi
	"$FS" --netns "$H1" detach "$RX" >/dev/null
}

# libxdp's dispatcher cannot load here; attach still works, and libxdp's
# messages about it only show with -v, prefixed as flowstat's.
t_dispatcher_fallback()
{
	local n=libxdp_dispatcher_fallback_attaches
	run "$FS" --netns "$H1" attach "$RX"
	if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ]; then
		fail $n "rc $rc, stderr without -v: $(head -3 "$tmp/err")"
		return
	fi
	"$FS" --netns "$H1" detach "$RX" >/dev/null
	run "$FS" -vv --netns "$H1" attach "$RX"
	if [ "$rc" -ne 0 ]; then
		fail $n "rc $rc with -vv"
	elif grep -v '^flowstat: ' "$tmp/err" | grep -q .; then
		fail $n "unprefixed output: $(grep -v '^flowstat: ' "$tmp/err" | head -2)"
	elif ! ip -n "$H1" link show "$RX" | grep -q 'prog/xdp'; then
		fail $n "no XDP program on $RX"
	else
		ok $n
	fi
	"$FS" --netns "$H1" detach "$RX" >/dev/null
}

# ---- bad input: exact exit code, one line, nothing changed ----

t_bad_unknown_iface()
{
	local n=bad_unknown_interface_exit_1
	save_state "$H1" "$RX"
	run "$FS" --netns "$H1" attach nosuch0
	expect_error $n 1 "attach nosuch0: no such interface" &&
		unchanged $n "$H1" "$RX" && ok $n
}

t_bad_other_netns()
{
	local n=bad_interface_in_other_netns_exit_1
	save_state "$H1" "$RX"
	# veth0 exists only in the testbed's namespaces, never in the root.
	run "$FS" attach "$RX"
	expect_error $n 1 "use --netns" && unchanged $n "$H1" "$RX" && ok $n
}

t_bad_privileges()
{
	local n=bad_missing_privileges_names_capability_exit_1
	save_state "$H1" "$RX"
	run setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
		"$FS" --netns "$H1" attach "$RX"
	expect_error $n 1 "needs CAP_NET_ADMIN" &&
		unchanged $n "$H1" "$RX" || return
	# every other command names what it lacks too
	run setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all \
		"$FS" --netns "$H1" dump "$RX"
	expect_error $n 1 "needs CAP_SYS_ADMIN" || return
	run setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all \
		"$FS" gc
	expect_error $n 1 "gc: missing privileges: needs CAP_BPF" || return
	# the readers too (status said "not attached", watch printed empty
	# intervals, the agent served nothing); timeout: had one run on
	local cmd
	for cmd in status "watch --count 1" "top --bench 1" \
		   "agent --prometheus 127.0.0.1:1"; do
		run timeout 20 setpriv --bounding-set=-all --inh-caps=-all \
			--ambient-caps=-all "$FS" $cmd
		expect_error $n 1 \
			"${cmd%% *}: missing privileges: needs CAP_BPF" || return
	done
	run setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all \
		"$FS" detach --all
	expect_error $n 1 "needs CAP_BPF and CAP_NET_ADMIN" &&
		unchanged $n "$H1" "$RX" && ok $n
}

t_bad_already_attached()
{
	local n=bad_already_attached_exit_1_force_reattaches id0 id1
	"$FS" --netns "$H1" attach "$RX" >/dev/null || { fail $n attach; return; }
	save_state "$H1" "$RX"
	run "$FS" --netns "$H1" attach "$RX"
	expect_error $n 1 "already attached" && unchanged $n "$H1" "$RX" ||
		return
	id0=$(status_field "$H1" "$RX" .ingress.prog_id)
	run "$FS" --netns "$H1" attach --force "$RX"
	id1=$(status_field "$H1" "$RX" .ingress.prog_id)
	"$FS" --netns "$H1" detach "$RX" >/dev/null
	if [ "$rc" -ne 0 ] || [ "$id0" = "$id1" ]; then
		fail $n "--force: rc $rc, prog $id0 -> $id1"
	else
		ok $n
	fi
}

t_bad_foreign_xdp()
{
	local n=bad_foreign_xdp_refused_never_removed before
	"$GEN" --netns "$H1" --dev "$RX" --attach-pass >/dev/null ||
		{ fail $n "flowgen --attach-pass"; return; }
	before=$(ip -n "$H1" -d link show "$RX" | grep -o 'prog/xdp[a-z]* id [0-9]*')
	save_state "$H1" "$RX"
	run "$FS" --netns "$H1" attach "$RX"
	expect_error $n 1 "another XDP program" &&
		unchanged $n "$H1" "$RX" || { cleanup_pass; return; }
	run "$FS" --netns "$H1" attach --force "$RX"
	expect_error $n 1 "another XDP program" || { cleanup_pass; return; }
	# tc ingress beside it is fine, and detach leaves it alone.
	if ! "$FS" --netns "$H1" attach --ingress tc "$RX" >/dev/null ||
	   ! "$FS" --netns "$H1" detach "$RX" >/dev/null; then
		fail $n "tc ingress beside a foreign XDP program"
	elif [ "$(ip -n "$H1" -d link show "$RX" | grep -o 'prog/xdp[a-z]* id [0-9]*')" != "$before" ]; then
		fail $n "the foreign XDP program was touched"
	else
		ok $n
	fi
	cleanup_pass
}

cleanup_pass()
{
	"$GEN" --netns "$H1" --dev "$RX" --detach-pass >/dev/null
}

# A bridge has no native XDP: native fails with the hint, auto falls
# back to skb and says so.
t_bad_native_unsupported()
{
	local n=bad_native_unsupported_suggests_skb br=br$P
	ip -n "$H1" link add "$br" type bridge && ip -n "$H1" link set "$br" up
	save_state "$H1" "$br"
	run "$FS" --netns "$H1" attach --mode native "$br"
	expect_error $n 1 "attach $br: XDP native mode not supported by driver; try --mode skb" &&
		unchanged $n "$H1" "$br" || { ip -n "$H1" link del "$br"; return; }
	run "$FS" --netns "$H1" attach --mode auto "$br"
	if [ "$rc" -ne 0 ] || ! grep -q "ingress xdp skb" "$tmp/out"; then
		fail $n "auto: rc $rc: $(cat "$tmp/out" "$tmp/err")"
	else
		ok $n
	fi
	"$FS" --netns "$H1" detach "$br" >/dev/null
	ip -n "$H1" link del "$br"
}

t_bad_detach_not_held()
{
	local n=bad_detach_not_attached_exit_1
	save_state "$H1" "$RX"
	run "$FS" --netns "$H1" detach "$RX"
	expect_error $n 1 "detach $RX: flowstat is not attached" &&
		unchanged $n "$H1" "$RX" && ok $n
}

t_bad_max_flows()
{
	local n=bad_max_flows_out_of_range_exit_2 v
	save_state "$H1" "$RX"
	for v in 0 15 16777217 -5 abc 99999999999999999999; do
		run "$FS" --netns "$H1" attach --max-flows "$v" "$RX"
		expect_error $n 2 "--max-flows $v out of range" || return
	done
	unchanged $n "$H1" "$RX" && ok $n
}

t_bad_usage()
{
	local n=bad_unknown_command_or_option_exit_2
	save_state "$H1" "$RX"
	run "$FS" frobnicate
	expect_error $n 2 "unknown command or interface 'frobnicate'" || return
	run "$FS" --frob status
	expect_error $n 2 "unknown option '--frob'" || return
	run "$FS" --netns "$H1" attach --frob "$RX"
	expect_error $n 2 "attach: unknown option '--frob'" || return
	run "$FS" --netns "$H1" attach --mode turbo "$RX"
	expect_error $n 2 "bad --mode 'turbo'" || return
	run "$FS" --netns "$H1" attach
	expect_error $n 2 "no interface given" || return
	run "$FS" --netns "$H1" detach
	expect_error $n 2 "give interfaces or --all" || return
	unchanged $n "$H1" "$RX" && ok $n
}

t_json_error()
{
	local n=json_mode_error_is_a_json_object
	run "$FS" --json --netns "$H1" attach nosuch0
	if [ "$rc" -ne 1 ] ||
	   [ "$(jq -r .error "$tmp/out")" != "attach nosuch0: no such interface" ]; then
		fail $n "rc $rc, stdout: $(cat "$tmp/out")"
	else
		ok $n
	fi
}

# A private mount namespace without bpffs (what `ip netns exec` gives):
# the live view may mount one there (its pins die with it, as do its
# links); a persistent attach pins in the host's bpffs through
# /proc/1/root, or, where that cannot be reached, refuses with a hint
# and changes nothing. The host's bpffs is never touched.
t_bpffs_missing()
{
	local n=bpffs_missing_private_mount_namespace host=0
	[ -d /proc/1/root/sys/fs/bpf ] && host=1
	save_state "$H1" "$RX"
	run unshare -m --propagation private sh -c '
		umount /sys/fs/bpf 2>/dev/null
		grep -q " /sys/fs/bpf bpf " /proc/mounts && exit 3
		"$1" --netns "$2" top --bench 1 "$3" >/dev/null || exit 4
		grep -q " /sys/fs/bpf bpf " /proc/mounts || exit 5
		umount /sys/fs/bpf || exit 6
		"$1" --netns "$2" attach "$3" >/dev/null' sh "$FS" "$H1" "$RX"
	if [ $host = 1 ]; then
		if [ "$rc" -ne 0 ] || [ -z "$(state "$H1" "$RX" | grep "^$(ns_inode "$H1")_")" ]; then
			fail $n "host bpffs: rc $rc: $(cat "$tmp/err")"
			return
		fi
		"$FS" --netns "$H1" detach "$RX" >/dev/null
	elif [ "$rc" -ne 1 ] ||
	     ! grep -q "cannot reach the host's (ip netns exec?); use 'flowstat --netns NAME attach' instead" "$tmp/err"; then
		fail $n "step exit $rc: $(cat "$tmp/err")"
		return
	fi
	unchanged $n "$H1" "$RX" && nothing_left "$H1" "$RX" && ok $n
}

# detach --all cleans up after a deleted namespace. In a mount namespace
# with a bpffs of its own, so --all sees only this case's instance; /sys
# is made private there first so nothing propagates to the host, while
# /run/netns stays shared so that `ip netns del` really deletes.
t_detach_all_gone_netns()
{
	local n=detach_all_after_netns_deleted ns=$P-gone
	ip netns add "$ns" && ip -n "$ns" link add va type veth peer name vb &&
		ip -n "$ns" link set va up && ip -n "$ns" link set vb up ||
		{ fail $n "netns setup"; ip netns del "$ns" 2>/dev/null; return; }
	run unshare -m --propagation unchanged sh -c '
		mount --make-rprivate /sys && mount -t bpf bpf /sys/fs/bpf || exit 3
		id=$("$1" --netns "$2" attach --json va | jq ".[0].ingress.prog_id")
		[ -n "$id" ] || exit 4
		ip netns del "$2" || exit 5
		# The namespace, its veths and their programs go away
		# asynchronously.
		i=0
		while bpftool prog show id "$id" >/dev/null 2>&1; do
			i=$((i + 1)); [ $i -lt 100 ] || exit 6; sleep 0.1
		done
		[ "$("$1" detach --all)" = "detached va" ] || exit 7
		[ -z "$(ls /sys/fs/bpf/flowstat)" ] || exit 8' sh "$FS" "$ns"
	ip netns del "$ns" 2>/dev/null
	if [ "$rc" -ne 0 ]; then
		fail $n "step exit $rc: $(cat "$tmp/err")"
	else
		ok $n
	fi
}

# An interface that went away with flowstat on it leaves stale pins; a
# new interface with the same name and ifindex (namespace inodes are
# reused too) is not "already attached": attach replaces the pins.
t_stale_pins()
{
	local n=stale_pins_of_a_gone_interface_replaced mode
	for mode in xdp tc; do
		mkpair() {
			ip -n "$H1" link add sa index 200 type veth peer name sb index 201 &&
				ip -n "$H1" link set sa up && ip -n "$H1" link set sb up
		}
		if ! mkpair || ! "$FS" --netns "$H1" attach --ingress $mode sa >/dev/null; then
			fail $n "$mode: setup"; ip -n "$H1" link del sa 2>/dev/null; return
		fi
		ip -n "$H1" link del sa && mkpair
		run "$FS" --netns "$H1" attach --ingress $mode sa
		if [ "$rc" -ne 0 ]; then
			fail $n "$mode: rc $rc: $(cat "$tmp/err")"
			ip -n "$H1" link del sa; return
		fi
		if ! "$FS" --netns "$H1" detach sa >/dev/null ||
		   ! nothing_left "$H1" sa; then
			fail $n "$mode: detach"; ip -n "$H1" link del sa; return
		fi
		ip -n "$H1" link del sa
	done
	ok $n
}

# A load that fails says why, in libbpf's words, at the default
# verbosity: attach in a memory cgroup too small for the maps.
t_load_failure_says_why()
{
	local n=load_failure_quotes_libbpf_reason cg
	cg=/sys/fs/cgroup/memory/flowstat-$P
	if [ ! -d /sys/fs/cgroup/memory ] || ! mkdir "$cg" 2>/dev/null; then
		echo "ok - $n # SKIP no cgroup v1 memory controller"
		return
	fi
	echo 40M >"$cg/memory.limit_in_bytes"
	save_state "$H1" "$RX"
	run sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --netns "$3" \
		attach --max-flows 1000000 "$4"' sh "$cg" "$FS" "$H1" "$RX"
	rmdir "$cg" 2>/dev/null
	expect_error $n 1 "attach $RX: XDP attach failed: Cannot allocate memory (libbpf: " &&
		unchanged $n "$H1" "$RX" && ok $n
}

t_help_version()
{
	local n=help_and_version_exit_0
	if "$FS" --help | grep -q '^Examples:' &&
	   "$FS" attach --help | grep -q 'max-flows' &&
	   "$FS" --version | grep -q '^flowstat [0-9]'; then
		ok $n
	else
		fail $n "--help/--version output"
	fi
}

# whole NS DEV: flowstat holds DEV with both hooks and counts on it
# exactly (100 frames), or holds nothing of it at all.
whole_or_nothing()
{
	local held p0 p1
	held=$("$FS" --netns "$1" status --json "$2" 2>/dev/null |
		jq -r '.[0] | "\(.ingress.prog_id != null) \(.egress.prog_id != null)"' 2>/dev/null)
	case "$held" in
	"true true")
		p0=$(status_field "$1" "$2" .counters.ingress.packets)
		send_udp 100
		p1=$(status_field "$1" "$2" .counters.ingress.packets)
		[ $((p1 - p0)) -eq 100 ] ||
			{ echo "# counted $((p1 - p0)) of 100"; return 1; }
		echo held ;;
	""|"null null")
		nothing_left "$1" "$2" || return 1
		echo nothing ;;
	*)	echo "# half attached: $held"; return 1 ;;
	esac
}

# Two attaches at once, ten times: one wins, the other says the
# interface is held (exit 1); never half attached. Then attach racing
# detach, ten times: either wins whole.
t_races()
{
	local n=two_attaches_at_once_one_wins_never_half i r1 r2 state
	local held=0 gone=0
	for ((i = 0; i < 10; i++)); do
		"$FS" --netns "$H1" attach "$RX" >/dev/null 2>"$tmp/e1" &
		local a=$!
		"$FS" --netns "$H1" attach "$RX" >/dev/null 2>"$tmp/e2" &
		local b=$!
		wait $a; r1=$?
		wait $b; r2=$?
		if [ "$r1$r2" != 01 ] && [ "$r1$r2" != 10 ]; then
			fail $n "round $i: exits $r1 and $r2" "$(cat "$tmp/e1" "$tmp/e2")"
			return
		fi
		if [ "$(cat "$tmp/e1" "$tmp/e2" | wc -l)" != 1 ] ||
		   ! grep -q "already" "$tmp/e1" "$tmp/e2"; then
			fail $n "round $i: the loser said: $(cat "$tmp/e1" "$tmp/e2")"
			return
		fi
		state=$(whole_or_nothing "$H1" "$RX")
		if [ "$state" != held ]; then
			fail $n "round $i: $state"
			return
		fi
		"$FS" --netns "$H1" detach "$RX" >/dev/null ||
			{ fail $n "round $i: detach"; return; }
	done
	ok $n
	n=attach_racing_detach_either_wins_whole
	for ((i = 0; i < 10; i++)); do
		"$FS" --netns "$H1" attach "$RX" >/dev/null ||
			{ fail $n "round $i: attach"; return; }
		"$FS" --netns "$H1" detach "$RX" >/dev/null 2>&1 &
		local d=$!
		"$FS" --netns "$H1" attach --force "$RX" >/dev/null 2>&1 &
		local f=$!
		wait $d $f
		state=$(whole_or_nothing "$H1" "$RX") ||
			{ fail $n "round $i: $state"; return; }
		[ "$state" = held ] && held=$((held + 1)) || gone=$((gone + 1))
		"$FS" --netns "$H1" detach "$RX" >/dev/null 2>&1
	done
	ok "$n (attach last $held times, detach last $gone)"
}

# The frames the foreign tc program of DIR on RX has seen (its 'seen').
foreign_hits()	# DIR
{
	local prog map
	prog=$(tc -n "$H1" -j filter show dev "$RX" "$1" |
		jq '[.[] | .options.prog.id? // empty] | first')
	map=$(bpftool -j prog show id "$prog" | jq '.map_ids[0]')
	# eight bytes, little-endian, as hex strings
	local v=0 b bytes
	bytes=$(bpftool -j map lookup id "$map" key 0 0 0 0 | jq -r '.value[]')
	for b in $(echo $bytes | tr ' ' '\n' | tac); do
		v=$((v * 256 + b))
	done
	echo $v
}

# Another tool's tc program (tests/bpf/foreign_tc.bpf.c, loaded by tc
# into clsact) on both directions of RX, with flowstat attached beside
# it (XDP or tcx ingress, tcx egress): the foreign program sees every
# frame after flowstat's (which let later programs run), flowstat counts
# them too, and a detach leaves the filters as they were.
t_foreign_tc()
{
	local n=foreign_tc_program_runs_after_flowstat_and_stays mode before
	local obj=$BUILD/foreign_tc.bpf.o i0 e0 i1 e1 c0 c1 why
	for mode in xdp tc; do
		why=
		if ! tc -n "$H1" qdisc add dev "$RX" clsact ||
		   ! tc -n "$H1" filter add dev "$RX" ingress bpf direct-action obj "$obj" sec tc ||
		   ! tc -n "$H1" filter add dev "$RX" egress bpf direct-action obj "$obj" sec tc; then
			fail "$n ($mode)" "could not load $obj with tc"
			tc -n "$H1" qdisc del dev "$RX" clsact 2>/dev/null
			return
		fi
		before=$(tc -n "$H1" filter show dev "$RX" ingress; tc -n "$H1" filter show dev "$RX" egress)
		if ! "$FS" --netns "$H1" attach --ingress "$mode" "$RX" >/dev/null; then
			why+="attach --ingress $mode failed "
		else
			i0=$(foreign_hits ingress) e0=$(foreign_hits egress)
			c0=$(status_field "$H1" "$RX" .counters.egress.packets)
			send_udp 100
			ip netns exec "$H1" ping -q -c 5 -i 0.2 -W 2 192.0.2.5 >/dev/null 2>&1
			i1=$(foreign_hits ingress) e1=$(foreign_hits egress)
			c1=$(status_field "$H1" "$RX" .counters.egress.packets)
			[ $((i1 - i0)) -ge 100 ] ||
				why+="the foreign ingress program saw $((i1 - i0)) of 100+ "
			[ $((e1 - e0)) -ge 5 ] && [ $((e1 - e0)) -eq $((c1 - c0)) ] ||
				why+="egress: the foreign program saw $((e1 - e0)), flowstat counted $((c1 - c0)) (5+, the same) "
			"$FS" --netns "$H1" detach "$RX" >/dev/null ||
				why+="detach failed "
			[ "$(tc -n "$H1" filter show dev "$RX" ingress; tc -n "$H1" filter show dev "$RX" egress)" = "$before" ] ||
				why+="the foreign filters changed "
		fi
		tc -n "$H1" qdisc del dev "$RX" clsact 2>/dev/null
		if [ -n "$why" ]; then
			fail "$n ($mode)" "$why"
		else
			ok "$n ($mode ingress; saw $((i1 - i0)) in, $((e1 - e0)) out)"
		fi
	done
}

# ---- run ----

if ! testbed_up --pairs 2 --gro >"$tmp/tb" 2>&1; then
	echo "# $(cat "$tmp/tb")"
	echo "not ok - testbed up"
	exit 1
fi

# A case that failed half way must not fail the ones after it: each
# starts with flowstat detached from the receiving veth.
fresh()
{
	"$FS" --netns "$H1" detach "$RX" >/dev/null 2>&1
	"$@"
}

t_help_version
t_attach_reports
t_pins_root_only		# uses t_attach_reports' instance
t_counts_survive_exit		# uses t_attach_reports' instance
t_detach_leaves_nothing		# and detaches it
for t in t_cycles_no_leak t_ingress_tc t_egress_tc t_clsact t_several \
	 t_netns t_dispatcher_fallback t_bad_unknown_iface t_bad_other_netns \
	 t_bad_privileges t_bad_already_attached t_bad_foreign_xdp \
	 t_bad_native_unsupported t_bad_detach_not_held t_bad_max_flows \
	 t_bad_usage t_json_error t_bpffs_missing t_detach_all_gone_netns \
	 t_stale_pins t_load_failure_says_why t_races t_foreign_tc; do
	fresh $t
done
exit $failed
