#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make install and uninstall into a temporary DESTDIR, and the agent's
# unit: every file with its mode, ExecStart at the installed binary,
# `systemd-analyze verify` clean (and not for a broken copy), the bash
# completion of `agent`, and the unit's capability set needed and
# sufficient: the installed flowstat attaches, reports and detaches on a
# test veth with exactly that set, inside the unit's read-only file
# system, and fails with any one of them dropped; the system calls,
# socket families and namespaces it uses are ones the unit allows.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsi$$
UNIT=lib/systemd/system/flowstat-agent.service
tmp=$(mktemp -d)
root=$tmp/root		# DESTDIR, PREFIX=/usr

need_built "$FS"
need_tools make systemd-analyze setpriv nsenter unshare strace jq ping curl
source scripts/testbed
TESTBED_PREFIX=$P
H1=$(testbed_ns h1)	# veth0 192.0.2.6, the probe's interface
H0=$(testbed_ns h0)	# veth1 192.0.2.5 pings it

# A copy to clean up with: uninstall removes the installed one.
cp "$FS" "$tmp/flowstat"
cleanup()
{
	pkill -KILL -f "^$tmp/.*/flowstat agent " 2>/dev/null
	detach_all
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# install DESTDIR [VAR=value...]
install_to()
{
	make -s --no-print-directory BUILD="$BUILD" DESTDIR="$1" "${@:2}" \
		install >"$tmp/make.log" 2>&1
}

files_in()	# DIR: "mode path" of every file, sorted
{
	(cd "$1" && find . -type f -printf '%m %P\n' | sort)
}

# unit_list KEY: the words of KEY= in the installed unit
unit_list()
{
	sed -n "s/^$1=//p" "$root/$UNIT" | tr ' ' '\n' | grep .
}

t_install()
{
	local n="install PREFIX=/usr: every file, its mode and its content"
	local want got
	want=$(printf '%s\n' "644 etc/default/flowstat" \
		"644 $UNIT" "644 usr/share/bash-completion/completions/flowstat" \
		"644 usr/share/man/man8/flowstat.8" "755 usr/sbin/flowstat" | sort)
	if ! install_to "$root" PREFIX=/usr; then
		fail "$n" "make install failed:" "$(cat "$tmp/make.log")"
		return 1
	fi
	got=$(files_in "$root")
	if [ "$got" != "$want" ]; then
		fail "$n" "installed:" "$got" "expected:" "$want"
	elif ! cmp -s "$root/usr/sbin/flowstat" "$FS" ||
	     ! cmp -s "$root/usr/share/man/man8/flowstat.8" man/flowstat.8 ||
	     ! cmp -s "$root/etc/default/flowstat" systemd/flowstat.default ||
	     ! cmp -s "$root/usr/share/bash-completion/completions/flowstat" \
		  scripts/flowstat.bash-completion; then
		fail "$n" "an installed file differs from its source"
	else
		ok "$n"
	fi
}

t_exec_start()
{
	local n="unit: ExecStart runs the installed binary with the config"
	local want="ExecStart=/usr/sbin/flowstat agent --config /etc/default/flowstat"
	local got
	got=$(grep '^ExecStart=' "$root/$UNIT")
	if [ "$got" != "$want" ] || grep -q '@[A-Z_]*@' "$root/$UNIT"; then
		fail "$n" "$got" "$(grep -n '@[A-Z_]*@' "$root/$UNIT")"
	elif ! [ -x "$root/usr/sbin/flowstat" ]; then
		fail "$n" "no executable /usr/sbin/flowstat in DESTDIR"
	else
		ok "$n"
	fi
}

t_prefix_local()
{
	local n="install PREFIX=/usr/local: unit in /usr/local/lib/systemd/system"
	local d=$tmp/local unit
	unit=$d/usr/local/lib/systemd/system/flowstat-agent.service
	if ! install_to "$d"; then
		fail "$n" "make install failed:" "$(cat "$tmp/make.log")"
	elif ! [ -x "$d/usr/local/sbin/flowstat" ] ||
	     ! [ -f "$d/usr/local/share/man/man8/flowstat.8" ] ||
	     ! [ -f "$d/usr/local/share/bash-completion/completions/flowstat" ] ||
	     ! [ -f "$d/etc/default/flowstat" ]; then
		fail "$n" "$(files_in "$d")"
	elif ! grep -qx 'ExecStart=/usr/local/sbin/flowstat agent --config /etc/default/flowstat' "$unit"; then
		fail "$n" "$(grep ExecStart "$unit" 2>&1)"
	else
		ok "$n"
	fi
}

# The admin's file is theirs: a second install keeps it; sh reads the
# shipped one as flowstat does (the listener on, nothing else set).
t_defaults()
{
	local n="defaults: sh reads the file; a second install keeps the admin's"
	local vars
	vars=$(env -i sh -c 'set -a; . "$1" && env' sh \
		"$root/etc/default/flowstat" | grep '^FLOWSTAT_')
	if [ "$vars" != "FLOWSTAT_PROMETHEUS=127.0.0.1:9599" ]; then
		fail "$n" "sh reads: $vars"
		return
	fi
	echo "FLOWSTAT_MTU=9000" >>"$root/etc/default/flowstat"
	if ! install_to "$root" PREFIX=/usr; then
		fail "$n" "make install failed:" "$(cat "$tmp/make.log")"
	elif [ "$(tail -1 "$root/etc/default/flowstat")" != FLOWSTAT_MTU=9000 ]; then
		fail "$n" "the second install replaced /etc/default/flowstat"
	else
		ok "$n"
	fi
	cp systemd/flowstat.default "$root/etc/default/flowstat"
}

# verify DESTDIR: systemd-analyze verify the unit as if DESTDIR were
# installed on this host: an overlay of it on the host's / (so systemd
# finds its targets, /bin/kill and the installed flowstat) in a mount
# namespace of its own, which goes away with the command. Output in
# $tmp/verify.log; man pages are not looked up (man runs on the host).
verify()
{
	unshare -m --propagation private bash -c '
		set -e
		t=$(mktemp -d)
		mkdir "$t/host" "$t/top"
		mount --bind / "$t/host"
		mount -t tmpfs tmpfs "$t/top"	# not inside the lower layer
		mkdir "$t/top/dest" "$t/top/merged"
		cp -a "$1/." "$t/top/dest/"
		mount -t overlay overlay \
			-o "ro,lowerdir=$t/top/dest:$t/host" "$t/top/merged"
		systemd-analyze verify --man=no --root="$t/top/merged" \
			"$t/top/merged/$2"
	' bash "$1" "$UNIT" >"$tmp/verify.log" 2>&1
}

t_verify()
{
	local n="systemd-analyze verify: the installed unit is clean"
	if verify "$root" && ! [ -s "$tmp/verify.log" ]; then
		ok "$n"
	else
		fail "$n" "$(cat "$tmp/verify.log")"
	fi
}

# Mistakes that systemd only warns about still fail the check.
t_verify_broken()
{
	local n="systemd-analyze verify: each of 5 broken copies is caught"
	local d=$tmp/broken m caught=0 detail=()
	local mistakes=(
		's/^CapabilityBoundingSet=/CapabilitiesBoundingSet=/'
		's|^ExecStart=/usr/sbin/flowstat|ExecStart=/usr/sbin/flowstats|'
		's/^Restart=on-failure/Restart=on-fail/'
		's/^SystemCallFilter=@system-service/SystemCallFilter=@system-services/'
		's|^ReadWritePaths=/sys/fs/bpf|ReadWritePaths=sys/fs/bpf|'
	)
	for m in "${mistakes[@]}"; do
		rm -rf "$d"
		cp -a "$root" "$d"
		sed -i "$m" "$d/$UNIT"
		if cmp -s "$d/$UNIT" "$root/$UNIT"; then
			detail+=("'$m' changed nothing")
		elif verify "$d" && ! [ -s "$tmp/verify.log" ]; then
			detail+=("'$m' passed")
		else
			caught=$((caught + 1))
		fi
	done
	[ $caught -eq ${#mistakes[@]} ] && ok "$n" || fail "$n" "${detail[@]}"
	rm -rf "$d"
}

# complete WORDS...: what the installed completion offers for the last
# word (bash-completion's helpers are not needed: it has a fallback).
complete_words()
{
	bash -c 'source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_flowstat; printf "%s\n" "${COMPREPLY[@]}"' bash \
		"$root/usr/share/bash-completion/completions/flowstat" "$@"
}

t_completion()
{
	local n="bash completion: agent, its options, files after --config"
	local opts want o missing=()
	opts=$(complete_words flowstat agent --)
	want="--ipfix --prometheus --active-timeout --idle-timeout --domain-id
	      --template-refresh --mtu --persist --config --help"
	for o in $want; do
		grep -qx -- "$o" <<<"$opts" || missing+=("$o")
	done
	if ! complete_words flowstat ag | grep -qx agent; then
		fail "$n" "'flowstat ag' does not offer agent"
	elif [ ${#missing[@]} -gt 0 ]; then
		fail "$n" "'flowstat agent --' lacks ${missing[*]}" "$opts"
	elif [ "$(complete_words flowstat agent --config "$tmp/ro")" != \
	       "$tmp/root" ]; then
		fail "$n" "--config does not complete files:" \
		     "$(complete_words flowstat agent --config "$tmp/ro")"
	else
		ok "$n"
	fi
}

# ---- the unit's capabilities, measured ----

# The unit's file system, as far as mounts can show it: every mount
# read-only (ProtectSystem=strict, and ProtectKernelTunables= for /sys
# and /proc/sys) but /proc, /dev and the unit's ReadWritePaths= ($RW).
# Run by bash in a mount namespace of its own, before exec "$@".
readonly_fs='
	writable()
	{
		local p
		for p in /proc /dev $RW; do
			[[ $1 == "$p" || $1 == "$p"/* ]] && return 0
		done
		[[ $1 == /proc/sys ]]
	}
	mapfile -t mounts </proc/self/mountinfo
	for m in "${mounts[@]}"; do
		read -r _ _ _ _ mp _ <<<"$m"
		mp=$(printf "%b" "$mp")
		# (other suites remove their namespaces meanwhile)
		writable "$mp" ||
			mount -o remount,bind,ro "$mp" 2>/dev/null ||
			! mountpoint -q "$mp" ||
			{ echo "cannot make $mp read-only" >&2; exit 97; }
	done
	mount --bind /proc/sys /proc/sys &&
		mount -o remount,bind,ro /proc/sys || exit 97
	touch /etc/flowstat-probe 2>/dev/null && exit 98
	exec "$@"
'

# as_unit CAPS CMD...: CMD in H1's network namespace as the unit runs
# it: root with only CAPS (CAP_X names), no new privileges, in the
# unit's read-only file system.
as_unit()
{
	local caps=$1 c set=-all
	shift
	for c in $caps; do
		c=${c,,}
		set+=",+${c#cap_}"
	done
	RW=$(unit_list ReadWritePaths) \
	nsenter --net="/run/netns/$H1" unshare -m --propagation private \
		bash -c "$readonly_fs" bash \
		setpriv --inh-caps=-all --ambient-caps=-all \
		--bounding-set="$set" --no-new-privs -- "$@"
}

# What the agent does, one command at a time: attach (here and, through
# setns(), in H0), count a ping, report, age, detach. Prints the steps
# that failed; returns their number. With TRACE set, the commands run
# under strace into that file.
probe()
{
	local caps=$1 step failed=0 fs=/usr/sbin/flowstat
	local steps=("attach veth0" "--netns $H0 attach veth1" "status veth0"
		     "dump --json veth0" "watch --count 2 --interval 0.2 veth0"
		     "--netns $H0 dump --json veth1" "gc --idle 0 veth0"
		     "detach veth0" "--netns $H0 detach veth1")
	local trace=()
	[ -n "${TRACE:-}" ] && trace=(strace -f -qq -A -o /dev/fd/3)
	rm -f "$tmp/dump.json" "$tmp/dump0.json"
	for step in "${steps[@]}"; do
		# shellcheck disable=SC2086
		if ! as_unit "$caps" "${trace[@]}" "$root$fs" $step \
		     >"$tmp/out" 2>"$tmp/err" 3>>"${TRACE:-/dev/null}"; then
			echo "$step: $(head -c 300 "$tmp/err")"
			failed=$((failed + 1))
		fi
		case $step in
		*"attach veth1") ip netns exec "$H0" ping -c 3 -i 0.01 -q \
				 192.0.2.6 >/dev/null 2>&1 ;;
		"dump --json veth0") cp "$tmp/out" "$tmp/dump.json" ;;
		*"dump --json veth1") cp "$tmp/out" "$tmp/dump0.json" ;;
		esac
	done
	probe_agent "$caps" || failed=$((failed + 1))
	detach_all
	return $failed
}

# The agent itself, as the unit runs it: it attaches, serves /metrics
# (in H1, whose loopback the scrape uses) with veth0's counts, and on
# SIGTERM detaches and exits 0.
probe_agent()	# CAPS
{
	local pid rc port=9599 url agent
	ip -n "$H1" link set lo up
	url=http://127.0.0.1:$port/metrics
	agent="^$root/usr/sbin/flowstat agent veth0 --prometheus 127.0.0.1:$port"
	as_unit "$1" "$root/usr/sbin/flowstat" agent veth0 \
		--prometheus "127.0.0.1:$port" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	if ! poll 20 eval 'ip netns exec "$H1" curl -sf "$url" 2>/dev/null |
		grep -q "^flowstat_interface_packets_total{interface=\"veth0\""'; then
		echo "agent: no metrics: $(head -c 300 "$tmp/err")"
		pkill -KILL -f "$agent"
		wait "$pid" 2>/dev/null
		return 1
	fi
	# $! is the shell that runs as_unit; the agent is what it became
	pkill -TERM -f "$agent"
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ] || { echo "agent: exit $rc: $(head -c 300 "$tmp/err")"; return 1; }
}

# Whatever a failed probe left behind goes, with all privileges.
detach_all()
{
	nsenter --net="/run/netns/$H1" "$tmp/flowstat" detach veth0 \
		>/dev/null 2>&1
	"$tmp/flowstat" --netns "$H0" detach veth1 >/dev/null 2>&1
}

# pings_counted FILE DIRECTION: the ICMP echo requests from veth1 to
# veth0 that a dump counted
pings_counted()
{
	jq --arg dir "$2" '[.flows[] | select(.direction == $dir and
	     .proto == 1 and .src == "192.0.2.5" and .dst == "192.0.2.6" and
	     .icmp_type == 8) | .packets] | add' "$1" 2>/dev/null
}

t_caps_sufficient()
{
	local caps=$1 n out have want pings
	n="unit capabilities $caps suffice: attach, status, dump, watch, gc, detach, here and in another netns, in a read-only file system"
	# effective = bounding (root), by name
	have=$(as_unit "$caps" bash -c '
		[ "$(grep CapEff /proc/self/status | cut -f2)" = \
		  "$(grep CapBnd /proc/self/status | cut -f2)" ] &&
		setpriv -d | sed -n "s/^Capability bounding set: //p"' |
		tr , '\n' | sort | paste -sd,)
	want=$(for c in $caps; do c=${c,,}; echo "${c#cap_}"; done | sort |
	       paste -sd,)
	rm -f "$tmp/trace"
	if [ "$have" != "$want" ]; then
		fail "$n" "the probe's capabilities: '$have', not '$want'"
	elif ! out=$(TRACE=$tmp/trace probe "$caps"); then
		fail "$n" "$out"
	elif pings=$(pings_counted "$tmp/dump.json" ingress)
	     [ "$pings" != 3 ]; then
		fail "$n" "veth0 counted $pings of 3 pings:" "$(cat "$tmp/dump.json")"
	elif pings=$(pings_counted "$tmp/dump0.json" egress)
	     [ "$pings" != 3 ]; then
		fail "$n" "veth1 (in $H0) counted $pings of 3 pings:" \
		     "$(cat "$tmp/dump0.json")"
	else
		ok "$n"
	fi
}

t_caps_needed()
{
	local caps=$1 drop c rest out
	for drop in $caps; do
		rest=
		for c in $caps; do
			[ "$c" = "$drop" ] || rest+=" $c"
		done
		if out=$(probe "$rest"); then
			fail "unit capabilities: without $drop something fails" \
			     "every step worked without $drop"
		else
			ok "unit capabilities: without $drop, $(wc -l <<<"$out") of 10 steps fail, first $(head -1 <<<"$out" | cut -c1-120)"
		fi
	done
}

# CAP_SYS_ADMIN also stands for CAP_BPF and CAP_PERFMON; those two in
# its place load and attach, but libxdp cannot find the program to
# detach (BPF_PROG_GET_FD_BY_ID is CAP_SYS_ADMIN's alone), setns() is
# refused, and the agent cannot look at the XDP program it would replace.
t_caps_bpf_perfmon()
{
	local caps=$1 n out want
	caps=${caps/CAP_SYS_ADMIN/CAP_BPF CAP_PERFMON}
	n="unit capabilities: $caps (CAP_BPF and CAP_PERFMON for CAP_SYS_ADMIN): only detach and --netns fail"
	want=$(printf '%s\n' "--netns $H0 attach veth1" \
		"--netns $H0 dump --json veth1" "detach veth0" \
		"--netns $H0 detach veth1" agent)
	out=$(probe "$caps")
	if [ "$(cut -d: -f1 <<<"$out")" = "$want" ]; then
		ok "$n"
	else
		fail "$n" "failed steps:" "$out"
	fi
}

# expand_filter WORD...: the system calls of a SystemCallFilter= list
expand_filter()
{
	local w
	for w; do
		case $w in
		@*) systemd-analyze syscall-filter "$w" |
			sed -n 's/^ \{4\}\([a-z_0-9@-]*\)$/\1/p' |
			while read -r s; do expand_filter "$s"; done ;;
		*) echo "$w" ;;
		esac
	done
}

# The namespace calls in the trace that RestrictNamespaces= refuses
# (a list of types; setns() with no type is refused whenever it is set).
namespaces_refused()
{
	local allowed flag type
	allowed=" $(unit_list RestrictNamespaces | paste -sd' ') "
	case $allowed in " no " | " false " | "  ") return ;; esac
	grep -o 'setns([0-9]*, 0)' "$tmp/trace" | sort -u |
		sed 's/ //g; s/^/namespace:/'
	for flag in $(grep -o '\(setns\|unshare\|clone3\?\)([^)]*)' \
		      "$tmp/trace" | grep -o 'CLONE_NEW[A-Z]*' | sort -u); do
		case $flag in
		CLONE_NEWNS) type=mnt ;;
		*) type=${flag#CLONE_NEW}; type=${type,,} ;;
		esac
		[[ $allowed == *" $type "* ]] || echo "namespace:$flag"
	done
}

# What the probe's commands asked the kernel for, against what the unit
# lets through (SystemCallFilter=, RestrictAddressFamilies=,
# RestrictNamespaces=net, MemoryDenyWriteExecute=).
t_calls_allowed()
{
	local n="unit: the commands' system calls, socket families, namespaces and memory are ones the unit allows"
	local detail=() calls allowed fams
	calls=$(sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$tmp/trace" | sort -u)
	allowed=$(expand_filter $(unit_list SystemCallFilter) | sort -u)
	if [ "$(wc -l <<<"$calls")" -lt 20 ] ||
	   [ "$(wc -l <<<"$allowed")" -lt 100 ]; then
		fail "$n" "no calls in the trace ($(wc -l <"$tmp/trace") lines)" \
		     "or no SystemCallFilter= ($(wc -l <<<"$allowed") calls)"
		return
	fi
	detail+=($(comm -23 <(echo "$calls") <(echo "$allowed") |
		   sed 's/^/call:/'))
	fams=$(grep -o ' socket(AF_[A-Z0-9]*' "$tmp/trace" | cut -d'(' -f2 |
	       sort -u)
	detail+=($(comm -23 <(echo "$fams") <(unit_list RestrictAddressFamilies |
		   sort) | sed 's/^/family:/'))
	detail+=($(namespaces_refused))
	detail+=($(grep -o 'mmap([^)]*PROT_WRITE|PROT_EXEC[^)]*)\|mprotect([^)]*PROT_EXEC[^)]*)' \
		   "$tmp/trace" | sort -u | sed 's/ //g; s/^/memory:/'))
	if [ ${#detail[@]} -eq 0 ]; then
		ok "$n"
	else
		fail "$n" "${detail[@]}"
	fi
}

t_ambient()
{
	local n="unit: AmbientCapabilities= is CapabilityBoundingSet="
	if [ "$(unit_list AmbientCapabilities | sort)" = \
	     "$(unit_list CapabilityBoundingSet | sort)" ]; then
		ok "$n"
	else
		fail "$n" "$(grep Capabilit "$root/$UNIT" | grep -v '^#')"
	fi
}

t_uninstall()
{
	local n="uninstall: everything goes but /etc/default/flowstat"
	local got
	if ! make -s --no-print-directory BUILD="$BUILD" DESTDIR="$root" \
	     PREFIX=/usr uninstall >"$tmp/make.log" 2>&1; then
		fail "$n" "make uninstall failed:" "$(cat "$tmp/make.log")"
		return
	fi
	got=$(files_in "$root")
	if [ "$got" = "644 etc/default/flowstat" ]; then
		ok "$n"
	else
		fail "$n" "left:" "$got"
	fi
}

if ! testbed_up >/dev/null; then
	echo "not ok - testbed up"
	exit 1
fi
if t_install; then
	t_exec_start
	t_prefix_local
	t_defaults
	t_verify
	t_verify_broken
	t_completion
	t_ambient
	caps=$(unit_list CapabilityBoundingSet | paste -sd' ')
	t_caps_sufficient "$caps"
	t_calls_allowed
	t_caps_needed "$caps"
	t_caps_bpf_perfmon "$caps"
	t_uninstall
fi
exit $failed
