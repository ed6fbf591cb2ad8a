#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# SIGKILL at every step, not at random moments. flowstat attach, detach
# (of an attached interface) and top --bench 2 are killed at each of their
# syscalls of a class in turn, the SIGKILL coming on the syscall's entry:
# kill point N means that calls 1..N-1 ran and call N never did. N goes
# from 1 until the command completes unkilled. Classes:
#   bpf      every bpf call. A loop of BPF_PROG_TEST_RUN as long as the
#            clock takes (flowstat measured the jiffy so, 500-1900 runs)
#            would make a plain count (strace's when=N) land on the steps
#            after it only by chance. So two series: "steps", every bpf
#            call but BPF_PROG_TEST_RUN, and "test_runs", each of those
#            (none now); both by killat (below: ptrace with a seccomp
#            filter, as strace does).
#   netlink  sendto, sendmsg, recvmsg, recvfrom (libnl, libbpf and libxdp
#            send and receive with no others, and only on netlink
#            sockets): strace -e inject=CALL:signal=KILL:when=N, a series
#            per call (strace counts each on its own).
#   mount    only where bpffs must be mounted (see mount_enter).
# Both ways of entering the namespace: `ip netns exec NS flowstat ...` and
# `flowstat --netns NS ...`.
#
# After every kill (all on the receiving veth0):
#   0. a killed top left no XDP program (its links die with it)
#   1. status --json exits 0, is JSON, lists veth0 (held or orphaned)
#      while flowstat hooks are on it, and not at all after a killed top
#      (its pins are reaped, its links are gone)
#   2. attach replaces whatever was left; where an instance is still held
#      (a killed detach), attach refuses and attach --force replaces it
#   3. a flowgen burst of 100 frames is counted exactly
#   4. detach succeeds
#   5. nothing is left: no XDP program, tc filter, clsact qdisc, pins of
#      the namespace or status entry, and no flowstat program loaded that
#      no process holds and no instance or orphan elsewhere claims
# Where status listed something, the point is also killed a second time,
# and then detach alone must leave nothing (step 5).
#
# Cost. attach makes ~90-110 bpf calls, detach 20, top ~140, and an
# attach takes ~0.25 s (maps, verifier; ~1 s before the parser became a
# global BPF function, when the suite took ~12 min on the 2-core
# development VM). One series, the netns way's attach killed at each of
# its 108 bpf calls, takes 37 s (it took 132 s); its netlink series 11 s
# (22 s). Every point gets steps 0, 1 and 5. Steps 2-4 (an
# attach) run where the kill left a state not seen before in the series,
# at N = 1, 1 + FULL_EVERY, ... (default 100), and wherever anything but
# nothing, an empty pin folder or a dead top's pins (status reaps those)
# was left; an empty folder seen before, which attach was seen to
# replace, the test removes itself. The two ways run side by side (their
# attaches queue on the host's pin lock, the rest overlaps).
#
# ip netns exec finds the host's bpffs through /proc/1/root. Where PID 1
# cannot be looked at (EACCES, as on the development VM), attach refuses
# (exec_attach_under_ip_netns_exec_here), so the exec series run in a
# PID namespace whose PID 1 (a process of this suite, in a copy of the
# host's mount namespace) can be, as on a host where /proc/1 is readable.
# Entering a mount namespace (nsenter -m) sets the root to that
# namespace's, the host's / under a chroot; nsenter -r keeps the target's
# root (the chroot's), so the suite runs in a chroot as on the host.
#
# KILL_WAYS, KILL_CMDS, KILL_CLASSES (default "exec netns", "attach detach
# top", "bpf netlink mount") run a part; FULL_EVERY sets the period;
# KILL_STRIDE=K kills at every K-th point only (a quick look: the suite
# covers every point only with the default 1).
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsk$$
ROOT=/sys/fs/bpf/flowstat
tmp=$(mktemp -d)
start=$SECONDS
FULL_EVERY=${FULL_EVERY:-100}
WAYS=${KILL_WAYS:-exec netns}
CMDS=${KILL_CMDS:-attach detach top}
CLASSES=${KILL_CLASSES:-bpf netlink mount}
STRIDE=${KILL_STRIDE:-1}
NETLINK_CALLS="sendto sendmsg recvmsg recvfrom"
UMOUNT_BPFFS='while mountpoint -q /sys/fs/bpf; do
	umount -l /sys/fs/bpf || exit 1; done'
# Mount namespaces of this suite follow the host's unmounts (slave), so
# that a copy of /run/netns never keeps another suite's namespace alive.
UNSHARE=(unshare -m --propagation slave)

need_built "$FS" "$GEN"
need_tools strace bpftool jq tc ip unshare nsenter mountpoint perl
# Private copies: other people's builds may relink build/ meanwhile.
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
cp "$GEN" "$tmp/flowgen" && GEN=$tmp/flowgen
source scripts/testbed
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)	# ip netns exec's veth0 (sent to from H0's veth1)
H2=$(testbed_ns h2)	# --netns's veth0 (from H0's veth2)
EXEC_PID=		# PID 1 of ip netns exec's PID namespace
workers=()		# each its own process group

ns_inode()
{
	stat -L -c %i "/run/netns/$1"
}

# Stop what this suite started, detach what it attached (never --all:
# other suites may run), remove its pins, then drop the testbed.
cleanup()
{
	local pid ns ino
	for pid in "${workers[@]}"; do
		kill -KILL -- "-$pid"
	done
	[ -f "$tmp/holders" ] && while read -r pid; do
		kill -KILL "$pid"
	done <"$tmp/holders"
	for ns in "$H1" "$H2"; do
		[ -e "/run/netns/$ns" ] || continue
		"$FS" --netns "$ns" detach veth0
		ino=$(ns_inode "$ns")
		rm -rf "$ROOT/${ino}_"*
	done
	testbed_down
	rm -rf "$tmp"
} >/dev/null 2>&1
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# wait_for TENTHS CMD...: poll CMD until it succeeds, at most TENTHS
# tenths of a second.
wait_for()
{
	local i
	for ((i = 0; i < $1; i++)); do
		"${@:2}" && return 0
		sleep 0.1
	done
	"${@:2}"
}

# ---- namespaces that hold a bpffs, or lack one ----

# holder_start [-p] SETUP: a process in a new mount namespace (with -p
# also in a new PID namespace, /proc remounted, the process its PID 1)
# that runs SETUP, then sleeps. Sets HU (the unshare process) and HP (the
# sleeper) once SETUP is done; 1 if it failed.
holder_start()
{
	local pidns=() i
	[ "$1" = -p ] && { pidns=(-p -f --mount-proc); shift; }
	"${UNSHARE[@]}" "${pidns[@]}" sh -c "$1 && exec sleep 100000" \
		>/dev/null 2>&1 &
	HU=$! HP=
	echo "$HU" >>"$tmp/holders"
	for ((i = 0; i < 100; i++)); do
		if [ ${#pidns[@]} -eq 0 ]; then
			HP=$HU
		else
			HP=$(cat "/proc/$HU/task/$HU/children" 2>/dev/null)
			HP=${HP%% *}
		fi
		# SETUP is done once sh has become the sleeper
		if [ -n "$HP" ] &&
		   [[ $(readlink "/proc/$HP/exe") == */sleep ]]; then
			echo "$HP" >>"$tmp/holders"
			return 0
		fi
		kill -0 "$HU" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# holder_stop UNSHARE_PID [PID]: end it (a PID namespace's init takes
# only SIGKILL from outside) and wait until it is gone.
holder_stop()
{
	local p
	for p in "$@"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait "$1" 2>/dev/null
	wait_for 50 gone "$1"
}

# ---- killat: SIGKILL at the N-th bpf call of a kind ----

# killat NRS N FILTER CMD...: run CMD so that it is SIGKILLed on the entry
# of its N-th syscall among NRS (numbers, comma separated) that FILTER
# keeps (all; not:V or only:V, V the first argument: bpf's command),
# before that call runs. A seccomp filter stops CMD at those calls only,
# so that it runs at full speed between them. CMD is one thread and does
# not fork. Exits as CMD did: 128 + signal when killed. x86_64 syscall
# numbers.
cat >"$tmp/killat.pl" <<'EOF'
use strict;
use POSIX ();
$SIG{CHLD} = "DEFAULT";
my ($nrs, $n, $filter, @cmd) = @ARGV;
my @nr = split /,/, $nrs;
my ($fmode, $fval) = split /:/, $filter;
my ($count, $sig) = (0, 0);
my ($ALLOW, $TRACE) = (0x7fff0000, 0x7ff00000);
my $k = @nr;
# classic BPF over struct seccomp_data: nr at 0, arch at 4, args[0] at 16
my @prog = ([0x20, 0, 0, 4], [0x15, 0, $k + 1, 0xc000003e], [0x20, 0, 0, 0]);
push @prog, [0x15, $k - $_, 0, $nr[$_]] for 0 .. $k - 1;
push @prog, [0x06, 0, 0, $ALLOW];
if ($fmode eq "all") {
	push @prog, [0x06, 0, 0, $TRACE];
} else {
	push @prog, [0x20, 0, 0, 16],
		[0x15, $fmode eq "not" ? (1, 0) : (0, 1), $fval],
		[0x06, 0, 0, $TRACE], [0x06, 0, 0, $ALLOW];
}
my $code = join "", map { pack "S C C L", @$_ } @prog;
my $fprog = pack "S x6 P", scalar @prog, $code;

my $pid = fork() // die "fork: $!";
if (!$pid) {
	syscall(101, 0, 0, 0, 0) == 0 or die "PTRACE_TRACEME: $!";
	syscall(157, 38, 1, 0, 0, 0) == 0 or die "no_new_privs: $!";
	syscall(317, 1, 0, $fprog) == 0 or die "seccomp: $!";
	exec { $cmd[0] } @cmd or die "exec $cmd[0]: $!";
}
# perl's $? shows no stops; the native status does
waitpid($pid, 0);	# the SIGTRAP of the exec
die "killat: no exec stop\n" unless POSIX::WIFSTOPPED(${^CHILD_ERROR_NATIVE});
# PTRACE_SETOPTIONS: TRACESECCOMP | EXITKILL
syscall(101, 0x4200, $pid, 0, 0x80 | 0x100000) == 0 or die "SETOPTIONS: $!";
while (1) {
	# PTRACE_CONT; ESRCH: killed, or gone, as waitpid tells
	syscall(101, 7, $pid, 0, $sig) == 0 or $!{ESRCH} or die "CONT: $!";
	$sig = 0;
	waitpid($pid, 0) == $pid or die "waitpid: $!";
	my $st = ${^CHILD_ERROR_NATIVE};
	exit POSIX::WEXITSTATUS($st) if POSIX::WIFEXITED($st);
	exit 128 + POSIX::WTERMSIG($st) if POSIX::WIFSIGNALED($st);
	if (($st >> 8) != (5 | 7 << 8)) {	# not a seccomp stop: a signal
		$sig = ($st >> 8) & 0xff;
		next;
	}
	kill 9, $pid if ++$count == $n;
}
EOF

# ---- the way of one worker ----

# way_init WAY sets WAY, NSX (holds veth0), SND (H0's end of it), INO and
# IDX (they name the pins), ROOTP (the pin root the way uses, as seen
# from here), PRE and FSA (flowstat ARGS is "${PRE[@]}" "${FSA[@]}"
# ARGS), and KPRE (runs the killed command: PRE but in the mount cases).
way_init()
{
	WAY=$1
	if [ "$WAY" = exec ]; then
		NSX=$H1 SND=veth1
		PRE=(nsenter -t "$EXEC_PID" -m -p -r -- ip netns exec "$NSX")
		FSA=("$FS")
		ROOTP=$ROOT
	else
		NSX=$H2 SND=veth2
		PRE=()
		FSA=("$FS" --netns "$NSX")
		ROOTP=$ROOT
	fi
	KPRE=("${PRE[@]}")
	INO=$(ns_inode "$NSX")
	IDX=$(ip -n "$NSX" -j link show dev veth0 | jq '.[0].ifindex')
	printf '%s\n' 'filter show dev veth0 ingress' \
		'filter show dev veth0 egress' 'qdisc show dev veth0' \
		>"$tmp/$WAY.tc"
}

# run ARGS...: flowstat the way's way; rc, $tmp/$WAY.out and .err.
run()
{
	"${PRE[@]}" "${FSA[@]}" "$@" >"$tmp/$WAY.out" 2>"$tmp/$WAY.err"
	rc=$?
}

cmd_args()
{
	case $1 in
	attach) echo attach veth0 ;;
	detach) echo detach veth0 ;;
	top) echo top --bench 2 veth0 ;;
	esac
}

# killed_run CMD HOW N: CMD killed at the N-th call HOW names: a syscall
# (strace), or bpf:not:10 / bpf:only:10 (killat: bpf calls but / only
# BPF_PROG_TEST_RUN). rc 137: the kill came; anything else: CMD completed,
# with that exit code. (strace 6.1 injects no signal with --seccomp-bpf,
# so under strace every syscall stops.)
killed_run()
{
	local how
	case $2 in
	bpf:*) how=(perl "$tmp/killat.pl" 321 "$3" "${2#bpf:}") ;;
	*) how=(strace -f -qq -o /dev/null -e trace="$2" \
		-e inject="$2:signal=KILL:when=$3") ;;
	esac
	# in braces, so that bash's "Killed" line goes to /dev/null too
	{ "${KPRE[@]}" "${how[@]}" "${FSA[@]}" $(cmd_args "$1") \
		>"$tmp/$WAY.kout" 2>"$tmp/$WAY.kerr"; } 2>/dev/null
	rc=$?
}

# count_calls CMD TAG: CMD once, unkilled, under strace; "call count"
# lines in $tmp/$WAY.counts.TAG (every class, 0 for none).
count_calls()
{
	local c t=$tmp/$WAY.trace run='bpf(BPF_PROG_TEST_RUN'
	"${KPRE[@]}" strace -f -qq -o "$t" \
		-e trace=bpf,sendto,sendmsg,recvmsg,recvfrom,mount \
		"${FSA[@]}" $(cmd_args "$1") \
		>"$tmp/$WAY.kout" 2>"$tmp/$WAY.kerr"
	rc=$?
	{
		for c in bpf $NETLINK_CALLS mount; do
			echo "$c $(grep -cE "^[0-9]+ +$c\(" "$t")"
		done
		echo "test_runs $(grep -cF "$run" "$t")"
		echo "steps $(grep -E '^[0-9]+ +bpf\(' "$t" | grep -vcF "$run")"
	} >"$tmp/$WAY.counts.$2"
	return 0
}

# calls_of CALL TAG
calls_of()
{
	awk -v c="$1" '$1 == c { print $2 }' "$tmp/$WAY.counts.$2"
}

# ---- what is on veth0 ----

# fingerprint: sets XDP_ID (the XDP program on veth0, or empty) and FP,
# the hooks and pins on veth0 as one line without ids (empty: none).
fingerprint()
{
	local line hooks= re='prog/xdp[a-z]* id ([0-9]+) name [^ ]+'
	XDP_ID=
	while read -r line; do
		[[ $line =~ $re ]] || continue
		XDP_ID=${XDP_ID:-${BASH_REMATCH[1]}}
		hooks+="${BASH_REMATCH[0]/ id ${BASH_REMATCH[1]}/} "
	done <<<"$(ip -n "$NSX" -d link show dev veth0 2>/dev/null)"
	hooks+=$(tc -n "$NSX" -batch "$tmp/$WAY.tc" 2>&1 |
		sed -E '/^qdisc noqueue/d; s/ (id|tag) [^ ]+//g' | tr '\n' ' ')
	FP=$hooks$(find "$ROOTP" -mindepth 1 -path "$ROOTP/${INO}_*" \
		-printf '%P ' 2>/dev/null)
}

clean_iface()
{
	fingerprint
	[ -z "$FP" ]
}

# Only an empty pin folder: a kill after attach made it, before anything
# was pinned in it.
only_empty_folder()
{
	[ "$FP" = "${INO}_${IDX} " ]
}

no_xdp()
{
	! ip -n "$NSX" link show dev veth0 2>/dev/null | grep -q 'prog/xdp'
}

# status_read: step 1. Sets ST, a "held OWNER INGRESS_PROG;" or "orphan
# XDP_PROG TC_PROGS;" per status entry for veth0; 1 on failure.
status_read()
{
	run status --json
	if [ "$rc" -ne 0 ]; then
		bad "status --json: exit $rc: $(said)"
		return 1
	fi
	if ! ST=$(jq -r --argjson ino "$INO" --argjson idx "$IDX" '
		if type != "array" then error("not an array") else .[] end |
		select(.netns_inode == $ino and .ifindex == $idx) |
		if .orphaned then
		  "orphan \(.xdp_prog_id // 0) \(.tc_prog_ids | join(","));"
		else "held \(.owner) \(.ingress.prog_id // 0);" end' \
		"$tmp/$WAY.out" 2>&1); then
		bad "status --json is not a JSON array: $(said)"
		return 1
	fi
	ST=${ST//$'\n'/}
	return 0
}

status_clear()
{
	status_read && [ -z "$ST" ]
}

# The flowstat programs loaded now that were not at the start, that no
# process holds and that status (from here) claims for no interface but
# ours: other suites (and the other way) attach meanwhile.
unexplained()
{
	local cand id claimed
	cand=$(bpftool -j prog show 2>/dev/null | jq -r --argjson base "$BASE" \
		'.[] | select((.name // "") | startswith("flowstat_")) |
		select(.pids == null) | .id | select(IN($base[]) | not)')
	[ -z "$cand" ] && return 0
	claimed=$("$FS" status --json 2>/dev/null | jq -r --argjson ino "$INO" \
		--argjson idx "$IDX" '.[] |
		select((.netns_inode == $ino and .ifindex == $idx) | not) |
		(.ingress.prog_id?, .egress.prog_id?, .xdp_prog_id,
		 (.tc_prog_ids // [])[]) | select(. != null)')
	for id in $cand; do
		grep -qx "$id" <<<"$claimed" || echo "$id"
	done
}

no_unexplained()
{
	[ -z "$(unexplained)" ]
}

# check_nothing_left [progs]: step 5: nothing of flowstat on veth0, in
# its pins or in status; with progs, no program of ours loaded either
# (polled: others' programs may be in flight).
check_nothing_left()
{
	local ids id
	if ! wait_for 50 clean_iface; then
		bad "left on veth0: $FP"
		return 1
	fi
	status_read || return 1
	if [ -n "$ST" ]; then
		bad "status still lists veth0: $ST"
		return 1
	fi
	[ "${1:-}" = progs ] || return 0
	wait_for 100 no_unexplained && return 0
	ids=$(unexplained)
	for id in $ids; do
		bad "flowstat program nobody holds:" \
			"$(bpftool prog show id "$id" 2>&1 | head -1)"
	done
	[ -z "$ids" ]
}

# ---- failures ----

# bad MESSAGE...: the current point failed; the message goes to the list.
bad()
{
	point_bad=1
	echo "$WAY $CUR: $*" >>"$tmp/$WAY.fails"
}

# what the last run() printed, on one line
said()
{
	cat "$tmp/$WAY.out" "$tmp/$WAY.err" | tr '\n' ' ' | head -c 300
}

# Back to a bare veth0 after a failure, by any means, so that the next
# points start where they should; 1 if even that fails.
hard_reset()
{
	run detach veth0
	run detach veth0
	rm -rf "$ROOTP/${INO}_"* 2>/dev/null
	ip -n "$NSX" link set dev veth0 xdpgeneric off 2>/dev/null
	ip -n "$NSX" link set dev veth0 xdpdrv off 2>/dev/null
	tc -n "$NSX" qdisc del dev veth0 clsact 2>/dev/null
	wait_for 50 clean_iface
}

# One case line for what $tmp/$WAY.fails gathered; the first failures as
# "# " lines.
result()
{
	local n
	n=$(wc -l <"$tmp/$WAY.fails")
	if [ "$n" -eq 0 ]; then
		ok "$1"
	else
		fail "$1" "$n failed checks; the first:" \
			"$(head -20 "$tmp/$WAY.fails")"
	fi
	: >"$tmp/$WAY.fails"
}

# ---- steps 2 to 5 ----

# the last run() was a detach that did it
detached()
{
	[ "$rc" -eq 0 ] && [ "$(cat "$tmp/$WAY.out")" = "detached veth0" ]
}

# full_recover HELD: attach (HELD: refused, then --force), 100 frames
# counted exactly, detach, nothing left.
full_recover()
{
	# where bpffs must be mounted, attach refuses (mount_refuses): what
	# the kill left must go all the same
	if [ "${NO_PINNED_ATTACH:-0}" = 1 ]; then
		check_nothing_left progs
		return
	fi
	run attach veth0
	if [ "$1" = 1 ]; then
		if [ "$rc" -ne 1 ] ||
		   ! grep -q "already attached" "$tmp/$WAY.err"; then
			bad "attach over a held instance: exit $rc" \
				"(want 1, already attached): $(said)"
		fi
		run attach --force veth0
	fi
	if [ "$rc" -ne 0 ] || ! grep -q '^attached veth0' "$tmp/$WAY.out"; then
		bad "attach after the kill: exit $rc: $(said)"
		return 1
	fi
	count_and_detach
}

# "HOOK KERNEL": veth0's ingress packets as the hook counted them and
# as the kernel did, in one read.
ingress_counts()
{
	run status --json veth0
	jq -r '.[0] | "\(.counters.ingress.packets // "none")" +
		" \(.kernel.rx_packets // "none")"' "$tmp/$WAY.out" \
		2>/dev/null || echo "none none"
}

# flowgen's 100 frames, counted exactly: the hook's count moves as the
# kernel's does (a veth that just came up may also receive a late IPv6
# MLD report of its peer's), by 100 at least.
count_and_detach()
{
	local p0 p1 k0 k1
	read -r p0 k0 < <(ingress_counts)
	"$GEN" --netns "$H0" --dev "$SND" \
		proto=udp,src=203.0.113.1,dst=203.0.113.2,count=100 \
		>"$tmp/$WAY.gen" 2>&1 ||
		bad "flowgen: $(tail -1 "$tmp/$WAY.gen")"
	read -r p1 k1 < <(ingress_counts)
	if ! [[ $p0$p1$k0$k1 =~ ^[0-9]+$ ]] ||
	   [ $((p1 - p0)) -ne $((k1 - k0)) ] || [ $((p1 - p0)) -lt 100 ]; then
		bad "counted $p0 -> $p1 ingress packets for 100 frames" \
			"(the kernel $k0 -> $k1)"
	fi
	run detach veth0
	if ! detached; then
		bad "detach: exit $rc: $(said)"
		return 1
	fi
	check_nothing_left progs
}

# ---- one kill point ----

# after_kill CMD N: every check after CMD was killed at point N. Reads
# and fills the series' seen[] (states whose recovery ran in full).
after_kill()
{
	local cmd=$1 n=$2 fp0 xdp0 st0 held=0 key
	if [ "$cmd" = top ] && ! wait_for 50 no_xdp; then
		bad "killed top left its XDP program on veth0"
		echo "$WAY $CUR" >>"$tmp/$WAY.topxdp"
	fi
	fingerprint
	fp0=$FP xdp0=$XDP_ID
	status_read || return 1
	if [[ $fp0 =~ flowstat_|/tcx_ && -z $ST ]]; then
		bad "flowstat hooks on veth0 but status lists nothing: $fp0"
	fi
	if [[ $ST == orphan* && $fp0 == *flowstat_xdp* &&
	      $ST != *"orphan $xdp0 "* ]]; then
		bad "status's orphan ($ST) is not veth0's XDP program ($xdp0)"
	fi
	# A dead top's pins go with the next command that gets the pin lock
	# (the exec way's is the host's: others may hold it a moment).
	if [ "$cmd" = top ] && [ -n "$ST" ] && ! wait_for 50 status_clear; then
		bad "status lists veth0 after top was killed: $ST;" \
			"on veth0: $fp0; status said: $(said)"
	fi
	st0=$ST
	# still held, its XDP program on veth0: attach must refuse
	[[ -n $xdp0 && $st0 == *"held pins $xdp0;"* ]] && held=1
	# status may have reaped a dead top's pins, or a folder an attach
	# killed half way left (attach_reap)
	[ -n "$fp0" ] && fingerprint
	key="$fp0|${st0//[0-9]/}|$FP"
	if [ -z "${seen[$key]:-}" ] || [ $((n % FULL_EVERY)) -eq 1 ] ||
	   [ "$FULL_EVERY" -eq 1 ] || [ -n "$st0" ] ||
	   { [ -n "$FP" ] && ! only_empty_folder; }; then
		nfull=$((nfull + 1))
		full_recover $held
		# the first time: again, and detach alone must clean it up
		[ -n "$st0" ] && [ -z "${seen[$key]:-}" ] &&
			redo_detach "$cmd" "$n"
		seen[$key]=1
		return
	fi
	# Seen before, and nothing, a reaped top's pins, or an empty folder
	# that attach was seen to replace (ST is empty: no hooks, no meta).
	if [ -n "$FP" ] && [ -d "$ROOTP/${INO}_${IDX}" ] &&
	   ! rmdir "$ROOTP/${INO}_${IDX}"; then
		bad "cannot remove the empty pin folder: $FP"
	fi
}

# redo_detach CMD N: CMD killed at point N once more (the series' HOW);
# where status lists veth0, detach must take everything away.
redo_detach()
{
	[ "$point_bad" = 1 ] && { hard_reset || return; }
	setup "$1" || return
	killed_run "$1" "$HOW" "$2"
	status_read || return
	if [ -z "$ST" ]; then
		hard_reset	# a different state this time: not the point
		return
	fi
	run detach veth0
	if ! detached; then
		# the other way's attach may have reaped a half-made folder
		# meanwhile (attach_reap): then nothing is left to detach
		if ! grep -q "is not attached" "$tmp/$WAY.err" ||
		   ! status_read || [ -n "$ST" ]; then
			bad "detach after the kill (status: $ST): exit $rc: $(said)"
			return
		fi
	fi
	CUR="$CUR (killed again, then detach)"
	check_nothing_left progs
}

# after_completion CMD: CMD ran to its end (exit 0 wanted).
after_completion()
{
	if [ "$rc" -ne 0 ]; then
		bad "unkilled $1: exit $rc: $(head -c 300 "$tmp/$WAY.kerr")"
		return 1
	fi
	if [ "$1" != attach ]; then
		check_nothing_left progs
		return
	fi
	fingerprint
	status_read || return 1
	if [[ -z $XDP_ID || $ST != "held pins $XDP_ID;" ]]; then
		bad "attach exited 0 but veth0 is not held: status: $ST;" \
			"on veth0: $FP"
		full_recover 0
		return
	fi
	count_and_detach
}

# setup CMD: the state CMD starts from (detach: attached).
setup()
{
	[ "$1" = detach ] || return 0
	run attach veth0
	[ "$rc" -eq 0 ] && return 0
	bad "attach before the killed detach: exit $rc: $(said)"
	return 1
}

# ---- a series: one command, one syscall, every N ----

# series CMD CLASS CALL HOW: kill CMD at its N-th CALL (as HOW names it
# for killed_run) for N = 1, 2, ... until it completes.
series()
{
	local cmd=$1 class=$2 call=$3 n=1 limit calls retries=0 done=0
	local t0=$SECONDS points_run=0
	local -A seen=()
	HOW=$4
	nfull=0
	calls=$(calls_of "$call" "$cmd")
	limit=$((calls * 5 + 2000))
	while [ $done = 0 ]; do
		CUR="$cmd $class/$call N=$n"
		point_bad=0
		if setup "$cmd"; then
			killed_run "$cmd" "$HOW" "$n"
			points_run=$((points_run + 1))
			if [ "$rc" -ne 137 ]; then
				after_completion "$cmd"
				done=1
			else
				after_kill "$cmd" "$n"
			fi
		elif [ $((retries += 1)) -lt 3 ]; then
			hard_reset && continue
		fi
		if [ "$point_bad" = 1 ] && ! hard_reset; then
			bad "veth0 cannot be cleaned any more: $FP; stopped"
			break
		fi
		[ $done = 1 ] && break
		if [ "$n" -ge "$limit" ]; then
			bad "still killed after $n points ($calls counted)"
			break
		fi
		# with a stride, the last points before the end come one by one
		if [ $((n + STRIDE)) -le "$calls" ]; then
			n=$((n + STRIDE))
		else
			n=$((n + 1))
		fi
		retries=0
	done
	points["$cmd $class"]=$((${points["$cmd $class"]:-0} + points_run - 1))
	echo "# $WAY $cmd $class/$call: $((points_run - 1)) kill points" \
		"(N=1..$((n - 1)); $calls calls when counted)," \
		"$nfull with steps 2-4, $((SECONDS - t0)) s"
	result "${WAY}_${cmd}_${class}_${call}_killed_at_each_call"
}

# ---- the mount class ----

# Where flowstat must mount bpffs: a mount and PID namespace whose PID 1
# has no bpffs, flowstat in PID 1's mount namespace. --netns: PID 1 is a
# sleeper, and the checks run in its namespace. ip netns exec: ip is PID
# 1 (ip netns exec makes a mount namespace, which is then PID 1's), so
# the mount dies with the command; the checks run outside.
mount_enter()
{
	if [ "$WAY" = netns ]; then
		holder_start -p "$UMOUNT_BPFFS" || return 1
		PRE=(nsenter -t "$HP" -m -p -r --)
		KPRE=("${PRE[@]}")
		ROOTP=/proc/$HP/root$ROOT
	else
		KPRE=("${UNSHARE[@]}" -p -f --mount-proc sh -c \
		      "$UMOUNT_BPFFS"' && exec "$@"' sh ip netns exec "$NSX")
	fi
}

mount_leave()
{
	[ "$WAY" = netns ] && holder_stop "$HU" "$HP"
	way_init "$WAY"
}

# Where bpffs must be mounted (both ways: the mount namespace is of a PID
# namespace of its own, whose PID 1 says nothing of the host), a pinned
# attach would die with the namespace: attach refuses and mounts nothing,
# so a detach has nothing to detach; top mounts a bpffs of its own (its
# links die with it) and is killed at its mount calls.
mount_refuses()	# CMD
{
	local mounts
	CUR="$1 mount"
	if ! mount_enter; then
		bad "no namespace without bpffs"
		return
	fi
	"${KPRE[@]}" strace -f -qq -o "$tmp/$WAY.trace" -e trace=mount \
		"${FSA[@]}" attach veth0 >"$tmp/$WAY.out" 2>"$tmp/$WAY.err"
	rc=$?
	mounts=$(grep -c 'mount(' "$tmp/$WAY.trace")
	if [ "$rc" -ne 1 ] || [ "$mounts" -ne 0 ] ||
	   ! grep -q "cannot reach the host's" "$tmp/$WAY.err"; then
		bad "attach: exit $rc, $mounts mount calls: $(said)"
	fi
	mount_leave
	wait_for 50 clean_iface || bad "left on veth0: $FP"
	echo "# $WAY $1 mount: attach refuses where bpffs must be mounted"
	result "${WAY}_${1}_mount_killed_at_each_call"
}

# mount_series CMD: the unkilled run counts its mount calls; then CMD is
# killed at each.
mount_series()
{
	local cmd=$1 n=0 calls=0 done=0 code
	local -A seen=()
	[ "$cmd" = top ] || { mount_refuses "$cmd"; return; }
	local NO_PINNED_ATTACH=1
	nfull=0
	while [ $done = 0 ]; do
		CUR="$cmd mount N=$n"
		point_bad=0
		if ! mount_enter; then
			bad "no namespace without bpffs"
			break
		fi
		if ! setup "$cmd"; then
			done=1
		elif [ $n -eq 0 ]; then
			count_calls "$cmd" mount
			calls=$(calls_of mount mount)
			after_completion "$cmd"
			[ "$calls" -eq 0 ] && done=1
		else
			HOW=mount
			killed_run "$cmd" mount "$n"
			code=$rc
			if [ "$code" -ne 137 ]; then
				after_completion "$cmd"
				done=1
			else
				after_kill "$cmd" "$n"
			fi
		fi
		[ "$point_bad" = 1 ] && hard_reset
		mount_leave
		# nothing of it may outlive its namespace
		if ! wait_for 50 clean_iface; then
			bad "left on veth0 after its namespace ended: $FP"
			hard_reset
		fi
		[ $done = 1 ] && break
		[ $n -ge 10 ] && { bad "still killed at mount call $n"; break; }
		n=$((n + 1))
	done
	n=$(( n > 1 ? n - 1 : 0 ))	# 0: the count; the last: not killed
	points["$cmd mount"]=$(( ${points["$cmd mount"]:-0} + n ))
	echo "# $WAY $cmd mount: $n kill points" \
		"($calls mount calls without bpffs)"
	result "${WAY}_${cmd}_mount_killed_at_each_call"
}

# ip netns exec where PID 1's view has no bpffs and PID 1 is not in
# flowstat's mount namespace (any ip netns exec, then): attach refuses
# and mounts nothing; top may mount a bpffs of its own (its links die
# with it). Either way nothing is left on veth0.
without_hosts_bpffs()
{
	local cmd mounts
	CUR=without_bpffs
	for cmd in attach top; do
		"${UNSHARE[@]}" -p -f --mount-proc sh -c \
			"$UMOUNT_BPFFS"' && "$@"' sh ip netns exec "$NSX" \
			strace -f -qq -o "$tmp/$WAY.trace" -e trace=mount \
			"$FS" $(cmd_args $cmd) \
			>"$tmp/$WAY.out" 2>"$tmp/$WAY.err"
		rc=$?
		mounts=$(grep -c 'mount(' "$tmp/$WAY.trace")
		if [ "$rc" -eq 1 ] && [ "$mounts" -eq 0 ] &&
		   grep -q "cannot reach the host's" "$tmp/$WAY.err"; then
			echo "# without the host's bpffs, $cmd refuses"
		elif [ "$cmd" = top ] && [ "$rc" -eq 0 ]; then
			echo "# without the host's bpffs, top ran" \
				"($mounts mount calls)"
		else
			bad "$cmd: exit $rc, $mounts mount calls: $(said)"
		fi
		clean_iface || bad "$cmd: left on veth0: $FP"
	done
	result "${WAY}_without_hosts_bpffs_attach_refuses_top_leaves_nothing"
}

# ---- a worker: every series of one way ----

# run_class CMD CLASS: CMD's series of CLASS
run_class()
{
	local cmd=$1 call
	case $2 in
	bpf)
		if [ "$(uname -m)" != x86_64 ]; then
			ok "${WAY}_${cmd}_bpf # SKIP killat knows x86_64 only"
			return
		fi
		series "$cmd" bpf steps bpf:not:10
		[ "$(calls_of test_runs "$cmd")" -gt 0 ] &&
			series "$cmd" bpf test_runs bpf:only:10 ;;
	netlink)
		for call in $NETLINK_CALLS; do
			[ "$(calls_of "$call" "$cmd")" -gt 0 ] &&
				series "$cmd" netlink "$call" "$call"
		done ;;
	mount)
		# detach never mounts: it takes the pin lock where bpffs is,
		# or finds no pins
		if [ "$cmd" = detach ] && [ "$WAY" = exec ]; then
			echo "# exec detach mount: 0 kill points (never mounts)"
		else
			mount_series "$cmd"
		fi ;;
	esac
}

worker()
{
	local cmd class call
	local -A points=()
	way_init "$1"
	: >"$tmp/$WAY.fails"
	: >"$tmp/$WAY.topxdp"
	for cmd in $CMDS; do
		# an unkilled run, counted
		CUR="$cmd unkilled"
		point_bad=0
		setup "$cmd" && count_calls "$cmd" "$cmd" &&
			after_completion "$cmd"
		echo "# $WAY $cmd makes:" \
			"$(tr '\n' ' ' <"$tmp/$WAY.counts.$cmd")"
		[ -s "$tmp/$WAY.fails" ] && result "${WAY}_${cmd}_unkilled"
		[ "$point_bad" = 1 ] && hard_reset
		for class in $CLASSES; do
			run_class "$cmd" "$class"
		done
	done
	[[ " $CLASSES " == *" mount "* ]] && [ "$WAY" = exec ] &&
		without_hosts_bpffs
	if [[ " $CMDS " == *" top "* ]]; then
		if [ -s "$tmp/$WAY.topxdp" ]; then
			fail "${WAY}_killed_top_never_leaves_its_xdp_program" \
				"$(head -5 "$tmp/$WAY.topxdp")"
		else
			ok "${WAY}_killed_top_never_leaves_its_xdp_program"
		fi
	fi
	for cmd in $CMDS; do
		echo "# $WAY $cmd kill points: bpf ${points["$cmd bpf"]:-0}," \
			"netlink ${points["$cmd netlink"]:-0}," \
			"mount ${points["$cmd mount"]:-0}"
	done
	exit $failed
}

# ip netns exec, as it is here: attach pins in the host's bpffs (through
# /proc/1/root), or refuses where it cannot reach it; never an attach
# whose pins die with ip's mount namespace.
t_exec_here()
{
	local n=exec_attach_under_ip_netns_exec_here why
	way_init exec
	CUR=here
	: >"$tmp/$WAY.fails"
	PRE=(ip netns exec "$NSX")
	why=$(stat -L /proc/1/ns/mnt 2>&1 >/dev/null)
	run attach veth0
	if [ "$rc" -eq 1 ] && grep -q "cannot reach the host's" "$tmp/$WAY.err"
	then
		echo "# ip netns exec attach refuses here${why:+ ($why)}"
		clean_iface || bad "refused, but left on veth0: $FP"
	elif [ "$rc" -ne 0 ]; then
		bad "attach: exit $rc: $(said)"
	else
		fingerprint
		status_read
		if [[ -z $XDP_ID || $ST != "held pins $XDP_ID;" ]]; then
			bad "attach exited 0 but status (ip netns exec) says" \
				"'$ST'; on veth0: $FP${why:+ ($why)}"
		fi
		run detach veth0
		[ "$rc" -eq 0 ] || bad "detach: exit $rc: $(said)"
		# what that detach could not see, from the host
		PRE=()
		FSA=("$FS" --netns "$NSX")
		check_nothing_left || hard_reset
	fi
	result $n
}

# ---- run ----

if ! testbed_up --pairs 2 >"$tmp/tb" 2>&1; then
	echo "# $(cat "$tmp/tb")"
	echo "not ok - testbed up"
	exit 1
fi
# Made after the testbed, so that it sees its namespaces: ip netns exec's
# PID 1, whose /sys/fs/bpf is the host's.
if ! holder_start -p true; then
	echo "not ok - a PID namespace for ip netns exec"
	exit 1
fi
EXEC_PID=$HP
BASE=$(bpftool -j prog show | jq -c '[.[] |
	select((.name // "") | startswith("flowstat_")) | .id]')

[[ " $WAYS " == *" exec "* ]] && t_exec_here

set -m		# each worker its own process group, for cleanup
for w in $WAYS; do
	worker "$w" >"$tmp/out.$w" 2>&1 &
	workers+=($!)
done
set +m
i=0
for w in $WAYS; do
	wait "${workers[$i]}" || failed=1
	cat "$tmp/out.$w"
	i=$((i + 1))
done
workers=()

# At the end: nothing of flowstat on either veth0, no pins, no program
# of ours.
for w in $WAYS; do
	way_init "$w"
	CUR=end
	: >"$tmp/$WAY.fails"
	check_nothing_left progs
	result "${WAY}_nothing_left_at_the_end"
done
echo "# test_kill took $((SECONDS - start)) s"
exit $failed
