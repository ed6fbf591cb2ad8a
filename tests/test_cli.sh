#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Command-line mistakes, table-driven: each one gets exit code 2 and a
# one-line message that names the problem (on stderr; with --json, one
# JSON object on stdout), prints nothing else, and changes nothing: no
# pin, program or link appears, in a namespace of its own whose
# loopback is the interface named.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
need_built "$FS"

NS=fscli$$
tmp=$(mktemp -d)
cleanup()
{
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# What flowstat could have changed in the namespace: pins keyed by its
# inode, and any XDP, tc or tcx program on its interfaces (bpftool net
# lists them); lo's qdiscs.
state()
{
	local ino
	ino=$(stat -L -c %i "/run/netns/$NS")
	find /sys/fs/bpf/flowstat -maxdepth 1 -name "${ino}_*" 2>/dev/null |
		sort
	ip netns exec "$NS" bpftool net show 2>&1
	ip -n "$NS" -d link show lo | grep -o 'xdp.*'
	tc -n "$NS" qdisc show dev lo
}

# One mistake per line: PATTERN (grep -E, the message must match it),
# a tab, then the arguments (shell words; $NS is the namespace).
cases=$(cat <<'TABLE'
--json and --csv: choose one	dump --json --csv
--json and --csv: choose one	dump --csv --json lo
--json and --csv: choose one	--json watch --csv
unknown option '--bogus'	dump --bogus
unknown option '--csv'	status --csv
unknown option '--csv'	gc --csv
unknown option '-i'	watch -i 1
option needs an argument '--sort'	dump --sort
unknown field 'nope'	dump --sort nope
--top: '0' is not a whole number	dump --top 0
--top: 'abc' is not a whole number	dump --top abc
--top: '99999999999999999999999'	dump --top 99999999999999999999999
--count: '0' is not a whole number	watch --count 0
--interval: '0' is not a number of seconds from 0.01 to 86400	watch --interval 0
--interval: '1e9'	watch --interval 1e9
--interval: 'nan'	watch --interval nan
--idle: 'x' is not a number of seconds from 0 to 31536000	gc --idle x
--idle: '-1'	gc --idle -1
--idle: '1e99'	gc --idle 1e99
column 6: port '99999' is not a number 0-65535	dump --filter 'port 99999'
'300.1.1.1' is not an IPv4 or IPv6 address	dump --filter 'host 300.1.1.1'
bad prefix length in '10.0.0.0/33'	dump --filter 'net 10.0.0.0/33'
unknown protocol 'nosuch'	dump --filter 'proto nosuch'
expected '\)' to close the '\('	dump --filter '(port 80'
expected a port number after 'port'	dump --filter 'port'
no interface given	attach
bad --mode 'bogus'	attach --mode bogus lo
bad --ingress 'foo'	attach --ingress foo lo
bad --tc 'foo'	attach --tc foo lo
--max-flows abc out of range	attach --max-flows abc lo
--max-flows 12abc out of range	attach --max-flows 12abc lo
--max-flows -5 out of range	attach --max-flows -5 lo
--max-flows 0 out of range \(16\.\.16777216\)	attach --max-flows 0 lo
--max-flows 99999999999999 out of range	attach --max-flows 99999999999999 lo
--sample 0: want auto or 1\.\.1048576	attach --sample 0 lo
--sample -1: want auto or 1\.\.1048576	attach --sample -1 lo
--sample abc: want auto or	attach --sample abc lo
--sample 10x: want auto or	attach --sample 10x lo
--sample 1048577: want auto or	attach --sample 1048577 lo
--sample 99999999999999999999: want auto or	attach --sample 99999999999999999999 lo
--sample AUTO: want auto or	attach --sample AUTO lo
option needs an argument	attach lo --sample
top: --sample 0: want auto or 1\.\.1048576	top --sample 0 lo
option needs an argument '--mode'	attach --mode
port '99999' is not a number 0-65535	attach --match 'port 99999' lo
'iface' cannot be matched at the hook	attach --match 'port 53 and iface lo' lo
--match 'port 53 or': column 11: expression ends too early	attach --match 'port 53 or' lo
option needs an argument '--match'	attach --match
give an interface and an expression	match lo
'nope' is not an IPv4 or IPv6 address	match lo host nope
'iface' cannot be matched at the hook	match lo 'iface lo'
unknown option '--bogus'	match --bogus lo port 53
'iface' cannot be matched at the hook	top --match 'iface lo' lo
expected a port number after 'port'	top --match port lo
'iface' cannot be matched at the hook	agent --prometheus 127.0.0.1:9 --match 'iface lo' lo
--sample: '0' is not auto or 1..1048576	agent --prometheus 127.0.0.1:9 --sample 0 lo
--sample: 'x' is not auto or 1..1048576	agent --prometheus 127.0.0.1:9 --sample x lo
unknown option '--bogus'	attach --bogus lo
give interfaces or --all	detach
give interfaces or --all	detach --all lo
-d '0' is not a number of seconds from 0.1 to 3600	top -d 0 lo
-d '0.05'	top -d 0.05 lo
--idle '-5' is not a number of seconds from 0 to 31536000	top --idle -5 lo
option needs an argument '-d'	top -d
--bench needs a count from 1 to 1000000	top --bench -1 lo
--bench needs a count from 1 to 1000000	top --bench 99999999999999999999 lo
--bench needs a count from 1 to 1000000	top --bench 5x lo
nothing to export	agent lo
--mtu: 10 is out of range \(512\.\.65507\)	agent --mtu 10 --prometheus 127.0.0.1:9599
'nohost' has no port	agent --ipfix nohost
--prometheus	agent --prometheus 127.0.0.1
--prometheus	agent --prometheus 127.0.0.1:99999
--domain-id	agent --domain-id -1 --prometheus 127.0.0.1:9599
--domain-id	agent --domain-id 4294967296 --prometheus 127.0.0.1:9599
--active-timeout	agent --active-timeout 0 --prometheus 127.0.0.1:9599
--idle-timeout	agent --idle-timeout x --prometheus 127.0.0.1:9599
--template-refresh	agent --template-refresh x --prometheus 127.0.0.1:9599
--ipfix	agent --ipfix 127.0.0.1:0
--ipfix	agent --ipfix :4739
needs an argument	agent --config
unknown command or interface 'nosuchcmd'	nosuchcmd
unrecognized option|unknown option	--bogus
TABLE
)

if ! ip netns add "$NS" || ! ip -n "$NS" link set lo up; then
	echo "not ok - a namespace of the test's own"
	exit 1
fi
before=$(state)
n=0 bad=0
while IFS=$'\t' read -r want args; do
	[ -n "$want" ] || continue
	n=$((n + 1))
	eval "set -- $args"
	"$FS" --netns "$NS" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	msg=$tmp/err
	case " $args " in
	*" --json "*) msg=$tmp/out ;;
	esac
	why=
	[ $rc = 2 ] || why+="exit $rc; "
	[ "$(wc -l <"$msg")" = 1 ] || why+="$(wc -l <"$msg") lines; "
	grep -qE -- "$want" "$msg" || why+="no /$want/; "
	if [ "$msg" = "$tmp/err" ]; then
		[ -s "$tmp/out" ] && why+="stdout not empty; "
	else
		jq -e '.error | strings' "$tmp/out" >/dev/null 2>&1 ||
			why+="not a JSON error object; "
		[ -s "$tmp/err" ] && why+="stderr not empty; "
	fi
	if [ -n "$why" ]; then
		bad=$((bad + 1))
		echo "# flowstat $args: $why"
		sed 's/^/#   /' "$tmp/out" "$tmp/err" | head -5
		fail "usage: flowstat $args"
	fi
done <<<"$cases"
[ "$n" -ge 50 ] || fail "the table has $n mistakes (at least 50 expected)"
[ $bad = 0 ] && ok "$n command-line mistakes: each exit 2, one line naming it"
after=$(state)
if [ "$before" = "$after" ]; then
	ok "the mistakes changed nothing: pins, programs, links, lo's hooks"
else
	fail "the mistakes changed something" \
		"$(diff <(echo "$before") <(echo "$after") | head)"
fi
exit $failed
