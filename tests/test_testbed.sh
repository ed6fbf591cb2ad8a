#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# scripts/testbed: what up makes, that up is idempotent, that down and a
# failed up leave no namespace, veth, address or state file behind, and
# that it never touches a namespace it did not make.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
TB=scripts/testbed
P=fst$$
out=$(mktemp)

cleanup()
{
	$TB down --prefix "$P" >/dev/null 2>&1
	$TB down --prefix "${P}v" >/dev/null 2>&1
	ip netns del "$P-h1" 2>/dev/null	# the decoy, if a case died
	rm -f "$out"
}
trap cleanup EXIT



check()
{
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name" "failed: $*"; fi
}

# Nothing of prefix $1 is left: no namespace, no state file, and the root
# namespace has the veths it had before.
nothing_left()
{
	local p=$1
	if ip netns list | awk '{ print $1 }' | grep -q "^$p-"; then
		echo "# left behind: $(ip netns list | grep "^$p-" | tr '\n' ' ')"
		return 1
	fi
	if [ -e "/run/flowstat-testbed/$p" ]; then
		echo "# left behind: /run/flowstat-testbed/$p"
		return 1
	fi
	[ "$(root_veths)" = "$veths_before" ]
}

root_veths()
{
	ip -o link show type veth | awk -F': ' '{ print $2 }' | sort | tr '\n' ' '
}

veths_before=$(root_veths)

test_refuses_non_root()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TB" up --prefix "$P" >"$out" 2>&1
	[ $? -ne 0 ] && grep -q "must be run as root" "$out" && nothing_left "$P"
}

test_up_makes_topology()
{
	$TB up --prefix "$P" --pairs 2 >"$out" 2>&1 || { cat "$out"; return 1; }
	grep -q "$P-h0 veth2 192.0.2.9/30 2001:db8:0:2::1/64  <->  $P-h2 veth0 192.0.2.10/30" "$out" &&
	ip -n "$P-h0" -br addr show veth1 | grep -q "UP .*192.0.2.5/30 2001:db8:0:1::1/64" &&
	ip -n "$P-h1" -br addr show veth0 | grep -q "UP .*192.0.2.6/30 2001:db8:0:1::2/64" &&
	ip -n "$P-h2" -br addr show veth0 | grep -q "UP .*192.0.2.10/30 2001:db8:0:2::2/64" &&
	[ "$(root_veths)" = "$veths_before" ]
}

test_pairs_reach_each_other()
{
	$TB exec --prefix "$P" h0 ping -c 1 -W 2 192.0.2.6 >/dev/null &&
	$TB exec --prefix "$P" h0 ping -c 1 -W 2 192.0.2.10 >/dev/null &&
	$TB exec --prefix "$P" h1 ping -c 1 -W 2 2001:db8:0:1::1 >/dev/null
}

test_vlan_offload_off()
{
	local dev=veth0 ns=$P-h1 k
	k=$(ip netns exec "$ns" ethtool -k "$dev" 2>/dev/null)
	# Drivers that cannot change it report [fixed]; veth can.
	grep -Eq "rx-vlan-offload: off|rx-vlan-offload: .*fixed" <<<"$k" &&
	grep -Eq "tx-vlan-offload: off|tx-vlan-offload: .*fixed" <<<"$k"
}

test_up_twice()
{
	$TB up --prefix "$P" --pairs 2 >"$out" 2>&1 && grep -q "already up" "$out"
}

test_up_other_options_refused()
{
	! $TB up --prefix "$P" --pairs 3 >"$out" 2>&1 &&
	grep -q "run down first" "$out" && ! ip netns list | grep -q "^$P-h3"
}

test_status_and_exec()
{
	$TB status --prefix "$P" | grep -q "$P-h1 veth0 192.0.2.6/30" &&
	[ "$($TB exec --prefix "$P" h2 cat /sys/class/net/veth0/operstate)" = up ] &&
	! $TB exec --prefix "$P" h9 true 2>/dev/null
}

test_down_removes_all()
{
	$TB down --prefix "$P" >/dev/null && nothing_left "$P"
}

test_down_with_nothing_up()
{
	$TB down --prefix "$P" | grep -q "nothing up"
}

test_cycles()
{
	local i
	for i in 1 2 3; do
		$TB up --prefix "$P" --pairs 3 >/dev/null || return 1
		$TB down --prefix "$P" >/dev/null || return 1
		nothing_left "$P" || return 1
	done
}

# Every step of up fails once; each time, nothing may be left behind.
test_failed_up_rolls_back()
{
	local n rc
	for n in 0 1 2 3 5 8 11 13; do
		TESTBED_FAIL_AFTER=$n $TB up --prefix "$P" --pairs 2 >"$out" 2>&1
		rc=$?
		if [ $rc -eq 0 ] || ! grep -q "fault injected" "$out" ||
		   ! nothing_left "$P"; then
			echo "# step $n: rc $rc: $(tr '\n' ' ' <"$out")"
			return 1
		fi
	done
}

# On kernels without 802.1Q devices --vlan must fail clearly and leave
# nothing; where they exist, the sub-interfaces must be there.
test_vlan()
{
	if $TB up --prefix "${P}v" --vlan 10 >"$out" 2>&1; then
		ip -n "${P}v-h1" -br addr show veth0.10 |
			grep -q "198.51.100.6/30" &&
		$TB down --prefix "${P}v" >/dev/null && nothing_left "${P}v"
	else
		grep -q "no 802.1Q VLAN devices" "$out" && nothing_left "${P}v"
	fi
}

test_foreign_namespace_untouched()
{
	ip netns add "$P-h1" || return 1
	! $TB up --prefix "$P" >"$out" 2>&1 &&
	grep -q "was not made by this testbed" "$out" &&
	ip netns list | grep -q "^$P-h1" && ! ip netns list | grep -q "^$P-h0"
	local rc=$?
	ip netns del "$P-h1"
	return $rc
}

test_bad_options()
{
	$TB up --prefix "$P" --pairs 0 2>/dev/null
	[ $? -eq 2 ] || return 1
	$TB up --prefix "a/b" 2>/dev/null
	[ $? -eq 2 ] || return 1
	$TB up --prefix "$P" --vlan 5000 2>/dev/null
	[ $? -eq 2 ] && nothing_left "$P"
}

test_sourced_functions()
{
	(
		source "$TB"
		TESTBED_PREFIX=$P
		testbed_up --pairs 1 >/dev/null &&
		[ "$(testbed_ns h1)" = "$P-h1" ] &&
		[ "$(testbed_exec h1 cat /proc/sys/net/ipv6/conf/veth0/accept_dad)" = 0 ] &&
		testbed_settle &&
		testbed_down >/dev/null
	) && nothing_left "$P"
}

check "testbed refuses to run as non-root" test_refuses_non_root
check "up makes namespaces, veths, addresses, links up" test_up_makes_topology
check "pairs reach each other over IPv4 and IPv6" test_pairs_reach_each_other
check "VLAN offload is off on the veths" test_vlan_offload_off
check "up twice with the same options is fine" test_up_twice
check "up with other options is refused" test_up_other_options_refused
check "status lists and exec runs in a host" test_status_and_exec
check "down removes every namespace, veth and state" test_down_removes_all
check "down with nothing up is fine" test_down_with_nothing_up
check "three up/down cycles leave nothing" test_cycles
check "a failed up at any step leaves nothing" test_failed_up_rolls_back
check "--vlan makes sub-interfaces or fails clearly" test_vlan
check "a namespace it did not make is left alone" \
	test_foreign_namespace_untouched
check "bad options exit 2" test_bad_options
check "sourced functions work" test_sourced_functions
exit $failed
