#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The data plane on real frames: the same traffic counted by the XDP
# program and by the tc ingress program gives the same flows, also for
# VLAN and QinQ frames, where at tc the stack has taken the outer tag
# out of the frame into the skb (and flowstat must count it from there,
# with its 4 bytes); interleaved flows keep exact per-flow counts through
# the fast path and the flow cache.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
tmp=$(mktemp -d)

need_built "$FS" "$GEN"
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
source scripts/testbed
TESTBED_PREFIX=fsd$$
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)

cleanup()
{
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT


# Generated traffic only (203.0.113.0/24 and 2001:db8:ff::/48 are never
# assigned by the testbed, so the kernel's own chatter is not in it), as
# sorted "vlan inner proto src dst sport dport packets bytes" lines.
FLOWS='.flows[] | select(.direction == "ingress") |
	select((.src // "") | test("^203\\.0\\.113\\.|^2001:db8:ff:")) |
	"\(.vlan) \(.inner_vlan) \(.proto) \(.src) \(.dst) \(.sport // .icmp_type) \(.dport // .icmp_code) \(.packets) \(.bytes)"'
GEN_FLOWS='.flows[] |
	"\(.vlan) \(.inner_vlan) \(.ipproto) \(.src) \(.dst) \(.sport // .type) \(.dport // .code) \(.packets) \(.bytes)"'

TRAFFIC=(
	proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=53,count=400,flows=8
	proto=udp,src=203.0.113.1,dst=203.0.113.2,vlan=100,sport=7,dport=7,count=120,size=100
	proto=udp,src=203.0.113.1,dst=203.0.113.2,vlan=10,inner_vlan=20,tpid=0x88a8,sport=8,dport=8,count=33,size=128
	proto=icmp,src=203.0.113.1,dst=203.0.113.9,vlan=4094,count=5
	proto=udp,src=2001:db8:ff::1,dst=2001:db8:ff::2,vlan=300,sport=9,dport=9,count=50,size=90
	proto=icmpv6,src=2001:db8:ff::1,dst=2001:db8:ff::2,vlan=5,inner_vlan=6,tpid=0x88a8,count=7
)

# count NAME ATTACH-OPTIONS: attach, send TRAFFIC, compare with flowgen
count()
{
	local name=$1 out
	shift
	"$FS" --netns "$H1" attach "$@" veth0 >"$tmp/attach.out" 2>&1 ||
		{ fail "$name" "attach: $(cat "$tmp/attach.out")"; return 1; }
	# one description at a time: flowgen reuses frame pages between
	# batches and the stack untags passed VLAN frames in place
	for spec in "${TRAFFIC[@]}"; do
		"$GEN" --netns "$H0" --dev veth1 --batch 64 --json "$spec" \
			>"$tmp/gen1.json" 2>"$tmp/gen.err" ||
			{ fail "$name" "flowgen: $(cat "$tmp/gen.err")"; return 1; }
		jq -r "$GEN_FLOWS" "$tmp/gen1.json" >>"$tmp/$name.want"
	done
	"$FS" --netns "$H1" dump --json >"$tmp/$name.json" ||
		{ fail "$name" "dump failed"; return 1; }
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	jq -r "$FLOWS" "$tmp/$name.json" | sort >"$tmp/$name.got"
	sort -o "$tmp/$name.want" "$tmp/$name.want"
	if [ "$(wc -l <"$tmp/$name.want")" -ne 13 ]; then
		fail "$name" "flowgen reported $(wc -l <"$tmp/$name.want") flows, not 13"
		return 1
	fi
	if ! diff -u "$tmp/$name.want" "$tmp/$name.got" >"$tmp/diff"; then
		fail "$name" "flowstat differs from flowgen:" \
			"$(sed 's/^/  /' "$tmp/diff")"
		return 1
	fi
	ok "$name"
}

if ! testbed_up --gro >"$tmp/up.out" 2>&1; then
	echo "not ok - testbed up: $(tail -1 "$tmp/up.out")"
	exit 1
fi
testbed_settle >/dev/null

count xdp_ingress_exact_per_flow_with_vlan_and_qinq --mode native
count tc_ingress_exact_per_flow_with_offloaded_vlan_tag --ingress tc --no-egress

# Both hooks agree on every flow of the generated traffic.
if [ -s "$tmp/xdp_ingress_exact_per_flow_with_vlan_and_qinq.got" ] &&
   cmp -s "$tmp/xdp_ingress_exact_per_flow_with_vlan_and_qinq.got" \
	"$tmp/tc_ingress_exact_per_flow_with_offloaded_vlan_tag.got"; then
	ok xdp_and_tc_ingress_count_the_same_flows
else
	fail xdp_and_tc_ingress_count_the_same_flows "the two dumps differ"
fi

exit $failed
