#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# flowstat top, the live view, driven in tmux on the testbed: exact counts
# of flowgen's flows on screen, sorting and reversing, a filter, host-pair
# aggregation, help, details, pause, resize, non-UTF-8, and every way out
# (q, Ctrl-C, SIGTERM, SIGHUP) restoring the terminal and detaching
# exactly what the view attached.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsui$$
T=fsui$$		# tmux session
tmp=$(mktemp -d)

need_built "$FS" "$GEN"
if ! command -v tmux >/dev/null; then
	echo "ok - live view # SKIP tmux is not installed"
	exit 0
fi
source scripts/testbed
source tests/nslib.sh	# screen, view (its wait_for is replaced below)
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
H1=$(testbed_ns h1)
H2=$(testbed_ns h2)

cleanup()
{
	tmux kill-session -t "$T" >/dev/null 2>&1
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
	"$FS" --netns "$H0" detach veth1 veth2 >/dev/null 2>&1
	testbed_down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT



# wait_for PATTERN [TENTHS]: the screen shows PATTERN (grep -E) within
# TENTHS tenths of a second. Every wait expects success, so a loaded
# machine only makes it slower: at least 30 s (a CI runner took over 5 s
# to load and attach two interfaces).
wait_for()
{
	local i n=${2:-300}
	((n < 300)) && n=300
	for ((i = 0; i < n; i++)); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# wait_gone PATTERN [TENTHS]: the screen stops showing PATTERN.
wait_gone()
{
	local i n=${2:-300}
	((n < 300)) && n=300
	for ((i = 0; i < n; i++)); do
		screen | grep -qE -- "$1" || return 0
		sleep 0.1
	done
	return 1
}

# The flowstat process in the session.
view_pid()
{
	pgrep -P "$(tmux display -p -t "$T" '#{pane_pid}')" -x flowstat
}

wait_exit()
{
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$tmp/rc" ] && return 0
		sleep 0.1
	done
	return 1
}

attached()
{
	"$FS" --netns "$H1" status veth0 2>/dev/null | grep -q 'veth0'
}

# The lines of our generated flows, in screen order.
our_rows()
{
	screen | grep -E '203\.0\.113\.|2001:db8::'
}

# rows_are WORDS: the third column of our rows, top to bottom, is WORDS
# (sets got). Polled: the view shows it within a refresh or two.
rows_are()
{
	got=$(our_rows | awk '{ print $3 }' | xargs)
	[ "$got" = "$1" ]
}

# nrows_are N: N of our rows on screen.
nrows_are()
{
	[ "$(our_rows | wc -l)" = "$1" ]
}

# row_field ENDPOINT N: field N of the row whose source is ENDPOINT.
row_field()
{
	screen | awk -v e="$1" -v n="$2" '$3 == e { print $n; exit }'
}

send()
{
	"$GEN" --netns "$H0" --dev veth1 "$@" >/dev/null
}

# Known traffic: 500 udp, 3 x 100 tcp, 7 icmp, 11 udp over IPv6, all
# frames 100 bytes.
send_mix()
{
	send proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=53,count=500,size=100 \
	     proto=tcp,src=203.0.113.3,dst=203.0.113.4,sport=40000,dport=80,count=300,flows=3,size=100 \
	     proto=icmp,src=203.0.113.5,dst=203.0.113.6,count=7,size=100 \
	     proto=udp,src=2001:db8::1,dst=2001:db8::2,sport=5353,dport=5353,count=11,size=100
}

test_no_terminal()
{
	local out rc
	out=$("$FS" --netns "$H1" top veth0 </dev/null 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && echo "$out" | grep -q 'needs a terminal' &&
	   ! attached; then
		ok "without a terminal: exit 2, one clear line, nothing attached"
	else
		fail "without a terminal" "rc $rc: $out"
	fi
}

test_none_held()
{
	view "$FS --netns $H1 top 2>&1"
	if wait_exit && [ "$(cat "$tmp/rc")" = 1 ] &&
	   wait_for "not attached to any interface" && wait_for "flowstat attach"
	then
		ok "nothing held, nothing named: says so and how to attach"
	else
		fail "nothing held" "$(screen)"
	fi
}

test_bad_iface()
{
	view "$FS --netns $H1 top veth0 nosuch0 2>&1"
	if wait_exit && [ "$(cat "$tmp/rc")" = 1 ] && wait_for 'nosuch0' &&
	   ! attached; then
		ok "a missing interface: exit 1, named, nothing attached"
	else
		fail "missing interface" "rc $(cat "$tmp/rc" 2>/dev/null): $(screen)"
	fi
}

test_start()
{
	view "$FS --netns $H1 top -d 0.5 veth0"
	if wait_for '^veth0 +rx' && wait_for 'rows \|' && attached &&
	   [ "$(tmux display -p -t "$T" '#{alternate_on}')" = 1 ]; then
		ok "top veth0 attaches and shows the header and table"
	else
		fail "top veth0 starts" "$(screen)"
		return 1
	fi
}

test_counts()
{
	local bad=""
	send_mix
	wait_for '203\.0\.113\.5 .* 7 +700 ' ||
		bad="icmp row not 7 packets / 700 bytes"
	[ "$(row_field 203.0.113.1:1000 5)" = 500 ] || bad="$bad; udp pkts"
	[ "$(row_field 203.0.113.1:1000 6)" = 50000 ] || bad="$bad; udp bytes"
	[ "$(row_field 203.0.113.3:40001 5)" = 100 ] || bad="$bad; tcp pkts"
	[ "$(row_field '[2001:db8::1]:5353' 5)" = 11 ] || bad="$bad; v6 pkts"
	[ "$(row_field 203.0.113.3:40002 2)" = tcp ] || bad="$bad; proto"
	[ "$(row_field 203.0.113.3:40002 1)" = in ] || bad="$bad; dir"
	[ "$(our_rows | wc -l)" = 6 ] || bad="$bad; $(our_rows | wc -l) rows"
	if [ -z "$bad" ]; then
		ok "flowgen's flows appear with their exact packets and bytes"
	else
		fail "exact counts" "$bad: $(screen)"
	fi
}

# sort_by NAME: press s until the footer says "sort NAME ".
sort_by()
{
	local i was
	for ((i = 0; i < 12; i++)); do
		screen | grep -q "| sort $1 " && return 0
		# One key at a time: wait until the footer moved on.
		was=$(screen | grep -oE '\| sort [a-z]+ ')
		tmux send-keys -t "$T" s
		wait_gone "^.*${was//|/\\|}" || return 1
	done
	return 1
}

test_sort()
{
	local want="203.0.113.1:1000 203.0.113.3:40000 203.0.113.3:40001 203.0.113.3:40002 [2001:db8::1]:5353 203.0.113.5"
	local rev="203.0.113.5 [2001:db8::1]:5353 203.0.113.3:40000 203.0.113.3:40001 203.0.113.3:40002 203.0.113.1:1000"
	local got
	if ! sort_by packets; then
		fail "sort by packets" "footer: $(screen | tail -1)"
		return
	fi
	if poll 30 rows_are "$want"; then
		ok "s: sorted by packets, largest first, ties in key order"
	else
		fail "sort by packets" "got '$got', want '$want'"
	fi
	tmux send-keys -t "$T" r
	wait_for 'sort packets reversed' 20
	if poll 30 rows_are "$rev"; then
		ok "r: reversed, smallest first, ties still in key order"
	else
		fail "reverse" "got '$got', want '$rev'"
	fi
	tmux send-keys -t "$T" r
	wait_gone 'reversed' 20
}

test_filter()
{
	local got
	tmux send-keys -t "$T" / && wait_for '^filter: ' 20
	tmux send-keys -t "$T" 'port 80' Enter
	if wait_for '\| filter: port 80' &&
	   poll 30 rows_are "203.0.113.3:40000 203.0.113.3:40001 203.0.113.3:40002"
	then
		ok "/ port 80: only the three tcp flows remain"
	else
		fail "filter" "rows: $(our_rows)"
	fi
	tmux send-keys -t "$T" / && wait_for '^filter: port 80' 20
	tmux send-keys -t "$T" C-u 'port (' Enter
	if wait_for 'filter: port \(.*column' 20; then
		ok "a bad filter says where it is wrong and keeps editing"
	else
		fail "bad filter" "$(screen | tail -1)"
	fi
	tmux send-keys -t "$T" Escape	# leaves the filter line
	wait_gone '^filter: ' 20
	tmux send-keys -t "$T" Escape	# clears the filter
	if wait_gone 'filter: ' && poll 30 nrows_are 6
	then
		ok "Esc clears the filter: every row is back"
	else
		fail "clear filter" "$(screen)"
	fi
}

test_host_pair()
{
	local line
	tmux send-keys -t "$T" v
	if ! wait_for '\| host pair \|'; then
		fail "v: host pair" "$(screen | tail -1)"
		return
	fi
	# SOURCE DESTINATION FLOWS PKTS BYTES
	pair_line()
	{
		line=$(screen | awk '$1 == "203.0.113.3" && $2 == "203.0.113.4"')
		[ "$(echo "$line" | awk '{ print $3, $4, $5 }')" = "3 300 30000" ] &&
			nrows_are 4
	}
	if poll 30 pair_line; then
		ok "v: host pair sums the three tcp flows (3 flows, 300, 30000)"
	else
		fail "host pair" "line '$line'; $(our_rows)"
	fi
	for _ in 1 2 3 4 5 6; do
		tmux send-keys -t "$T" v
	done
	wait_for '\| flow \|' 20
}

test_help()
{
	tmux send-keys -t "$T" '?'
	if ! wait_for 'flowstat top: keys' 20; then
		fail "? opens help" "$(screen)"
		return
	fi
	tmux send-keys -t "$T" '?'
	if wait_gone 'flowstat top: keys' 20; then
		ok "? opens the help overlay and a key closes it"
	else
		fail "help closes" "$(screen)"
	fi
}

# n: names for addresses from a worker thread; the documentation
# addresses have none, and the screen must not wait for the resolver.
test_rdns()
{
	tmux send-keys -t "$T" n
	if ! wait_for '\| dns ' 20; then
		fail "n: reverse DNS on" "$(screen | tail -1)"
		return
	fi
	tmux send-keys -t "$T" '?'
	if wait_for 'flowstat top: keys' 10 && tmux send-keys -t "$T" Escape &&
	   wait_gone 'flowstat top: keys' 10 &&
	   [ "$(row_field 203.0.113.1:1000 5)" = 500 ]; then
		ok "n: reverse DNS never blocks the keys; no name keeps the address"
	else
		fail "n: reverse DNS" "$(screen)"
	fi
	tmux send-keys -t "$T" n
	wait_gone '\| dns ' 20
}

test_details()
{
	sort_by packets
	tmux send-keys -t "$T" Home Enter
	if wait_for 'details' 20 && wait_for 'packets +500 ' 20 &&
	   wait_for 'destination +203\.0\.113\.2:53' 5; then
		ok "Enter shows the selected flow's details"
	else
		fail "details" "$(screen)"
	fi
	tmux send-keys -t "$T" Escape
	wait_gone 'details' 20
}

# kernel_has N: flowstat's counts (not the view's) show N packets of
# 203.0.113.1:1000.
kernel_has()
{
	"$FS" --netns "$H1" dump --json --filter 'port 1000' 2>/dev/null |
		jq -e --argjson n "$1" \
		'[.. | objects | select(.packets? == $n and .sport? == 1000)] |
		 length > 0' >/dev/null
}

# held: the refreshes the paused view held back, from its footer.
held()
{
	local n
	n=$(screen | sed -nE 's/.*PAUSED, ([0-9]+) refresh.*/\1/p' | tail -1)
	echo "${n:-0}"
}

held_past()
{
	[ "$(held)" -ge "$1" ]
}

test_pause()
{
	local before after
	tmux send-keys -t "$T" p
	if ! wait_for 'PAUSED' 20; then
		fail "pause" "$(screen | tail -1)"
		return
	fi
	before=$(our_rows)
	send proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=53,count=500,size=100
	# Frozen through two refreshes taken after the kernel counted them.
	if ! poll 60 kernel_has 1000 || ! held=$(held) ||
	   ! poll 60 held_past $((held + 2)); then
		fail "pause" "no refresh held after the kernel counted 1000:" \
			"$(screen | tail -1)"
		tmux send-keys -t "$T" p
		return
	fi
	after=$(our_rows)
	tmux send-keys -t "$T" p
	if [ "$before" = "$after" ] && wait_gone PAUSED 20 &&
	   wait_for '203\.0\.113\.1:1000 .* 1000 +100000 ' 30; then
		ok "p freezes the numbers; counting goes on (1000 after resume)"
	else
		fail "pause" "before/after differ or no 1000: $(our_rows)"
	fi
}

test_resize()
{
	tmux resize-window -t "$T" -x 80 -y 24
	if ! wait_for '^veth0 +rx' 20 || ! wait_for '203\.0\.113\.1:1000' 20
	then
		fail "80x24" "$(screen)"
		return
	fi
	tmux resize-window -t "$T" -x 40 -y 8
	if ! wait_for 'too small' 20; then
		fail "too small" "$(screen)"
		return
	fi
	tmux resize-window -t "$T" -x 120 -y 40
	if wait_for '^veth0 +rx' 20 && wait_gone 'too small' 20; then
		ok "resize: 80x24 readable, too small gets a message, back again"
	else
		fail "resize back" "$(screen)"
	fi
}

test_quit()
{
	tmux send-keys -t "$T" q
	if wait_exit && [ "$(cat "$tmp/rc")" = 0 ] && ! attached &&
	   [ "$(tmux display -p -t "$T" '#{alternate_on}')" = 0 ]; then
		ok "q: exit 0, terminal restored, veth0 detached"
	else
		fail "quit" "rc $(cat "$tmp/rc" 2>/dev/null); $(screen)"
	fi
}

# exit_by HOW: start the view, end it by HOW (keys C-c, or a signal).
exit_by()
{
	local how=$1 pid
	view "$FS --netns $H1 top -d 0.5 veth0"
	if ! wait_for 'rows \|'; then
		fail "$how" "did not start: $(screen)"
		return
	fi
	if [ "$how" = C-c ]; then
		tmux send-keys -t "$T" C-c
	else
		pid=$(view_pid)
		kill -"$how" "$pid"
	fi
	if wait_exit && ! attached &&
	   [ "$(tmux display -p -t "$T" '#{alternate_on}')" = 0 ]; then
		ok "$how: exits, restores the terminal, detaches"
	else
		fail "$how" "rc $(cat "$tmp/rc" 2>/dev/null); attached: $(attached && echo yes)"
	fi
}

test_held_stays()
{
	"$FS" --netns "$H1" attach veth0 >/dev/null
	view "$FS --netns $H1 top -d 0.5"
	if wait_for '^veth0 +rx' && tmux send-keys -t "$T" q && wait_exit &&
	   attached; then
		ok "an interface flowstat already held stays attached after q"
	else
		fail "held stays" "$(screen)"
	fi
	"$FS" --netns "$H1" detach veth0 >/dev/null 2>&1
}

test_ascii()
{
	view "LC_ALL=C NO_COLOR=1 $FS --netns $H1 top -d 0.5 veth0"
	if ! wait_for '^veth0 +rx'; then
		fail "C locale" "$(screen)"
		return
	fi
	send proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=1000,dport=53,count=50
	wait_for '203\.0\.113\.1:1000 .* 50 '
	if screen | LC_ALL=C grep -q '[^ -~]'; then
		fail "C locale" "non-ASCII on screen: $(screen | head -3)"
	else
		ok "C locale and NO_COLOR: plain ASCII screen"
	fi
	tmux send-keys -t "$T" q
	wait_exit
}

# Last: it removes the testbed's veth pair.
test_gone()
{
	local ino
	view "$FS --netns $H1 top -d 0.5 veth0"
	if ! wait_for 'rows \|'; then
		fail "gone" "did not start: $(screen)"
		return
	fi
	ino=$(stat -L -c %i "/run/netns/$H1")
	ip -n "$H1" link del veth0
	if wait_for '^veth0 +gone' && tmux send-keys -t "$T" q && wait_exit &&
	   [ "$(cat "$tmp/rc")" = 0 ] &&
	   ! ls /sys/fs/bpf/flowstat 2>/dev/null | grep -q "^${ino}_"; then
		ok "an interface removed while viewed shows as gone; q cleans up"
	else
		fail "gone" "rc $(cat "$tmp/rc" 2>/dev/null): $(screen | head -3)"
	fi
}

# Two interfaces in one view: Tab shows one at a time; b and t change
# the rate columns.
test_tab()
{
	view "$FS --netns $H0 top -d 0.5 veth1 veth2"
	if ! wait_for '^veth2 +rx'; then
		fail "two interfaces" "$(screen)"
		return
	fi
	"$GEN" --netns "$H1" --dev veth0 proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=7,dport=7,count=21 >/dev/null
	"$GEN" --netns "$H2" --dev veth0 proto=udp,src=203.0.113.9,dst=203.0.113.2,sport=9,dport=9,count=33 >/dev/null
	if ! wait_for '^veth1 +in +udp +203\.0\.113\.1:7 .* 21 ' ||
	   ! wait_for '^veth2 +in +udp +203\.0\.113\.9:9 .* 33 '; then
		fail "two interfaces: rows" "$(screen)"
		return
	fi
	ok "two interfaces: each flow on its own interface's row"
	tmux send-keys -t "$T" Tab
	if wait_for '\| veth1 \|' 20 && wait_gone '203\.0\.113\.9:9' 20 &&
	   screen | grep -q '203\.0\.113\.1:7'; then
		tmux send-keys -t "$T" Tab
		if wait_for '\| veth2 \|' 20 &&
		   wait_gone '203\.0\.113\.1:7' 20; then
			ok "Tab: one interface at a time"
		else
			fail "Tab to veth2" "$(screen)"
		fi
	else
		fail "Tab to veth1" "$(screen)"
	fi
	tmux send-keys -t "$T" Tab b t t t
	if wait_for '\| all \|' 20 && wait_for 'B/s' 20 &&
	   wait_for 'avg B/s' 20; then
		ok "b: bytes per second; t: the average column"
	else
		fail "b and t" "$(screen | sed -n 3p)"
	fi
	tmux send-keys -t "$T" q
	if ! wait_exit || "$FS" --netns "$H0" status 2>/dev/null |
	   grep -q veth; then
		fail "two interfaces: detach" "$("$FS" --netns "$H0" status)"
	fi
}

if ! testbed_up --pairs 2 >"$tmp/tb" 2>&1; then
	echo "not ok - testbed up: $(cat "$tmp/tb")"
	exit 1
fi

test_no_terminal
test_none_held
test_bad_iface
if test_start; then
	test_counts
	test_sort
	test_filter
	test_host_pair
	test_help
	test_rdns
	test_details
	test_pause
	test_resize
	test_quit
fi
exit_by C-c
exit_by TERM
exit_by HUP
test_held_stays
test_tab
test_ascii
test_gone
exit $failed
