# SPDX-License-Identifier: GPL-2.0
# Shared by the suites that run flowstat on the testbed's namespaces
# (sourced after tests/lib.sh and scripts/testbed): namespaces, pin
# folders, the kernel's BPF objects, and the cleanup of what a suite
# attached.

# The totals invariant in a dump, per interface and direction, on raw
# counts (a sampled flow's packets and bytes are the frames it got):
# totals == flows + untracked + unmatched + sampled_out + retired.
INVARIANT='. as $d | [.interfaces[] as $i | ("ingress", "egress") as $dir |
	([$d.flows[] | select(.ifname == $i.ifname and .direction == $dir)]) as $f |
	($i[$dir].packets == ([$f[].packets] | add // 0) +
		$i[$dir].untracked_packets + $i[$dir].unmatched_packets +
		$i[$dir].sampled_out_packets + $i[$dir].retired_packets) and
	($i[$dir].bytes == ([$f[].bytes] | add // 0) +
		$i[$dir].untracked_bytes + $i[$dir].unmatched_bytes +
		$i[$dir].sampled_out_bytes + $i[$dir].retired_bytes)] | all'

ns_ino()	# NS
{
	stat -L -c %i "/run/netns/$1"
}

ifindex()	# NS DEV
{
	ip -n "$1" -j link show dev "$2" 2>/dev/null | jq -r '.[0].ifindex'
}

pin_dir()	# NS IFINDEX
{
	echo "/sys/fs/bpf/flowstat/$(ns_ino "$1")_$2"
}

# Every program, map and link the kernel holds (not only flowstat's: a
# leak may be named anything).
bpf_objects()
{
	echo "progs $(bpftool -j prog show | jq length)" \
	     "maps $(bpftool -j map show | jq length)" \
	     "links $(bpftool -j link show | jq length)"
}

# ns_teardown INOS_ARRAY NS... [-- DEV...]: kill the suite's processes
# ($pids), detach whatever flowstat holds (or left orphaned) in the
# namespaces (and the DEVs named, which status may no longer show), take
# the testbed down, and remove any pin folder left of the namespaces
# whose inodes INOS_ARRAY (the name of an array) holds.
ns_teardown()
{
	local -n ns_inos=$1
	local pid ns dev ino nss=() extra=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		nss+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift && extra=("$@")
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "${nss[@]}"; do
		ip netns list | grep -qw "^$ns" || continue
		for dev in $("$FS" --netns "$ns" status --json 2>/dev/null |
			     jq -r '.[].ifname' 2>/dev/null) "${extra[@]}"; do
			"$FS" --netns "$ns" detach "$dev" >/dev/null 2>&1
		done
	done
	testbed_down >/dev/null 2>&1
	for ino in "${ns_inos[@]}"; do
		rm -rf /sys/fs/bpf/flowstat/"${ino}"_* 2>/dev/null
	done
}

# ---- top in tmux: session $T, exit code into $tmp/rc ----

screen()
{
	tmux capture-pane -p -t "$T" 2>/dev/null
}

screen_has()	# PATTERN (extended regex)
{
	screen | grep -qE -- "$1"
}

wait_for()	# PATTERN: the screen shows it within 15 s
{
	poll 15 screen_has "$1"
}

# view ARGS...: flowstat top ARGS in a fresh 120x40 session; its exit
# code lands in $tmp/rc.
view()
{
	rm -f "$tmp/rc"
	tmux kill-session -t "$T" >/dev/null 2>&1
	tmux new-session -d -s "$T" -x 120 -y 40 \
		"$* ; echo \$? >$tmp/rc; sleep 60"
}

# ns_testbed_up INOS_ARRAY NS... -- TESTBED_UP_OPTIONS...: the testbed
# up, the inodes of the namespaces NS... into the array INOS_ARRAY (for
# ns_teardown); ends the suite with a failed case if it cannot.
ns_testbed_up()
{
	local -n up_inos=$1
	local nss=() ns
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		nss+=("$1")
		shift
	done
	shift
	if ! testbed_up "$@" >"$tmp/tb" 2>&1; then
		echo "not ok - testbed up: $(cat "$tmp/tb")"
		exit 1
	fi
	for ns in "${nss[@]}"; do
		up_inos+=("$(ns_ino "$ns")")
	done
}
