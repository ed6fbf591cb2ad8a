#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Faults under the long-running processes, on the testbed:
#  - interfaces renamed, set down, deleted and moved to another netns
#    while `flowstat top` and `flowstat agent` run: each says so (top on
#    screen, the agent in its log and /metrics), keeps counting the
#    interface that stays, and the stale instances (pins, links) of the
#    gone ones are removed, including on the interface that moved away;
#  - `flowstat gc` run again and again while an agent runs and
#    interfaces are attached and detached: the agent's instances are never
#    reaped, the totals stay exact, and nothing is left orphaned;
#  - a flood of new flows for 2 minutes into a 64-entry flows map,
#    under a watch and an agent: the totals stay exact, the watch writes
#    on time and every scrape is answered within 2 s;
#  - the agent's /metrics under garbage, huge headers, slow clients and
#    200 connections at once (tests/http_abuse.py, loopback only): it
#    stays up, answers every scrape within 2 s, and leaks no descriptor.
# Every wait polls for its condition, with a generous bound.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsx$$
T=fsx$$			# tmux session
tmp=$(mktemp -d)
pids=()
apid=
ROUNDS=${ROUNDS:-20}	# gc against the agent: rounds
FLOOD_CHUNKS=${FLOOD_CHUNKS:-12}	# the flood: 10 s chunks
FLOOD_PPS=${FLOOD_PPS:-4000}	# new flows a second

need_built "$FS" "$GEN"
need_tools jq tmux bpftool curl ss python3
# Private copies: other people's builds may relink build/.
cp "$FS" "$tmp/flowstat" && FS=$tmp/flowstat
cp "$GEN" "$tmp/flowgen" && GEN=$tmp/flowgen
source scripts/testbed
source tests/nslib.sh
TESTBED_PREFIX=$P
H0=$(testbed_ns h0)
NSS=("$H0" "$(testbed_ns h1)" "$(testbed_ns h2)" "$(testbed_ns h3)"
     "$(testbed_ns h4)")
inos=()			# our namespaces' inodes: their pin folders are ours

cleanup()
{
	tmux kill-session -t "$T" >/dev/null 2>&1
	ns_teardown inos "${NSS[@]}"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- the agent ----

# agent_start PORT LOG [ARGS...]: an agent in H0 serving /metrics on
# 127.0.0.1:PORT, logging into LOG
agent_start()
{
	local port=$1 log=$2
	shift 2
	"$FS" --netns "$H0" agent --prometheus "127.0.0.1:$port" "$@" \
		2>"$log" &
	apid=$!
	pids+=("$apid")
	poll 30 tcp_bound "$port"
}

agent_stop()
{
	kill -TERM "$apid" 2>/dev/null
	poll 30 gone "$apid"
}

said()	# LOG PATTERN: the agent's log has a line matching PATTERN
{
	grep -qE -- "$2" "$1"
}

# metric PORT NAME IFACE DIR: the value of an interface series (empty:
# no such series)
metric()
{
	curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" |
		awk -v m="$2" -v i="interface=\"$3\"" -v d="direction=\"$4\"" '
			index($0, m "{") == 1 && index($0, i) && index($0, d) {
				print $NF }'
}

# send NS DEV SPORT COUNT: COUNT UDP frames of one flow from DEV in NS
send()
{
	"$GEN" --netns "$1" --dev "$2" \
		"proto=udp,src=203.0.113.1,dst=203.0.113.2,sport=$3,dport=9,count=$4" \
		>/dev/null 2>"$tmp/gen.err"
}

# ---- 1. link events under top and the agent ----

# veth1: the agent attaches it (owned) and it stays: its counts must go
# on. veth2 (attached by `flowstat attach`): renamed fsf2, set down, then
# deleted. veth3 (attached by `flowstat attach`): moved to netns h3.
# veth4: top attaches it (owned), then it is moved to netns h4, where its
# links would keep top's programs on it if nobody let go of them.
t_link_events()
{
	local n port log=$tmp/agent1.log i2 i3 i4 d2 d3 d4 v0 v1 why h3 h4 dev
	port=$(free_port)
	h3=$(testbed_ns h3) h4=$(testbed_ns h4)
	"$FS" --netns "$H0" attach veth2 >/dev/null &&
		"$FS" --netns "$H0" attach veth3 >/dev/null ||
		{ fail link_events_setup "attach veth2 veth3"; return; }
	agent_start "$port" "$log" veth1 ||
		{ fail link_events_setup "agent: $(cat "$log")"; return; }
	view "$FS --netns $H0 top -d 0.5 veth1 veth2 veth3 veth4"
	if ! wait_for '^veth4 +rx' || ! poll 15 said "$log" "following veth4"; then
		fail link_events_setup "top: $(screen | head -8)" \
			"agent: $(cat "$log")"
		return
	fi
	i2=$(ifindex "$H0" veth2) i3=$(ifindex "$H0" veth3)
	i4=$(ifindex "$H0" veth4)
	d2=$(pin_dir "$H0" "$i2") d3=$(pin_dir "$H0" "$i3")
	d4=$(pin_dir "$H0" "$i4")

	# veth1 counts on through each event: a new flow of 7 frames each
	# time, on top's screen and in the agent's /metrics
	still_counting()	# SPORT: a new flow's
	{
		local k=$1
		v0=$(metric "$port" flowstat_interface_packets_total veth1 ingress)
		send "$(testbed_ns h1)" veth0 "$k" 7 ||
			{ echo "flowgen: $(cat "$tmp/gen.err")"; return 1; }
		wait_for "in +udp +203\.0\.113\.1:$k .* 7 +420 " ||
			{ echo "top did not count veth1 on: $(screen)"; return 1; }
		poll 10 eval 'v1=$(metric "$port" flowstat_interface_packets_total veth1 ingress);
			[ -n "$v1" ] && [ "$v1" -ge $((v0 + 7)) ]' ||
			{ echo "agent's veth1 ingress: $v0 -> $v1"; return 1; }
	}

	n=top_agent_follow_a_renamed_interface
	ip -n "$H0" link set dev veth2 name fsf2 || { fail $n "rename"; return; }
	if ! wait_for '^fsf2 +rx'; then
		fail $n "top: $(screen | head -8)"
	elif ! poll 15 said "$log" "veth2 is now called fsf2"; then
		fail $n "agent: $(cat "$log")"
	elif ! poll 10 eval '[ -n "$(metric "$port" flowstat_interface_packets_total fsf2 ingress)" ]'; then
		fail $n "no fsf2 series in /metrics"
	elif ! why=$(still_counting 1002); then
		fail $n "$why"
	else
		ok $n
	fi

	n=top_agent_say_a_link_is_down
	ip -n "$H0" link set dev fsf2 down || { fail $n "set down"; return; }
	if ! wait_for '^fsf2 +down '; then
		fail $n "top: $(screen | head -8)"
	elif ! poll 15 said "$log" "fsf2 is down"; then
		fail $n "agent: $(cat "$log")"
	elif ! why=$(still_counting 1003); then
		fail $n "$why"
	elif [ ! -e "$d2" ]; then
		fail $n "a link set down lost its instance"
	else
		ok $n
	fi

	n=top_agent_say_a_deleted_interface_is_gone_and_remove_it
	ip -n "$H0" link del fsf2 || { fail $n "link del"; return; }
	if ! wait_for '^fsf2 +gone'; then
		fail $n "top: $(screen | head -8)"
	elif ! poll 15 said "$log" "fsf2 has gone away"; then
		fail $n "agent: $(cat "$log")"
	elif ! poll 20 eval '[ ! -e "$d2" ]'; then
		fail $n "its pins stay: $(ls "$d2")"
	elif ! poll 15 eval 'screen_has "fsf2 is gone" ||
			     said "$log" "fsf2: removed its instance"'; then
		fail $n "neither top nor the agent said it removed it:" \
			"$(screen | tail -2)" "$(cat "$log")"
	elif ! poll 15 said "$log" "fsf2: no longer attached"; then
		fail $n "agent: $(cat "$log")"
	elif [ -n "$(curl -sf "http://127.0.0.1:$port/metrics" |
		    grep '^flowstat_kernel_interface.*interface="fsf2"')" ]; then
		fail $n "/metrics still has kernel series of fsf2"
	elif ! why=$(still_counting 1004); then
		fail $n "$why"
	else
		ok $n
	fi

	# moved: it is gone here, its instance removed from here, and
	# nothing of flowstat stays on it in its new netns
	for dev in veth3 veth4; do
		local ns dir idx
		[ $dev = veth3 ] && ns=$h3 dir=$d3 idx=$i3 || ns=$h4 dir=$d4 idx=$i4
		n="top_agent_say_${dev}_moved_away_is_gone_and_remove_it"
		ip -n "$H0" link set dev $dev netns "$ns" ||
			{ fail "$n" "move"; return; }
		if ! wait_for "^$dev +gone"; then
			fail "$n" "top: $(screen | head -8)"
		elif ! poll 15 said "$log" "$dev has gone away"; then
			fail "$n" "agent: $(cat "$log")"
		elif ! poll 20 eval '[ ! -e "$dir" ]'; then
			fail "$n" "its pins stay: $(ls "$dir")"
		elif ! poll 15 eval '[ "$(ip -n "$ns" -j -d link show dev $dev |
				jq -c ".[0].xdp")" = null ]'; then
			fail "$n" "XDP stays on $dev in $ns:" \
				"$(ip -n "$ns" -d link show dev $dev)"
		elif ! poll 15 eval '[ -z "$(bpftool -j link show | jq -c --argjson i "$idx" \
				"[.[] | select(.ifindex == \$i and (.attach_type | tostring | test(\"tcx\")))] | .[]")" ]'; then
			fail "$n" "tcx links stay on ifindex $idx: $(bpftool link show)"
		elif ! poll 15 said "$log" "$dev: no longer attached"; then
			fail "$n" "agent: $(cat "$log")"
		elif ! why=$(still_counting $((1002 + ${dev#veth}))); then
			fail "$n" "$why"
		else
			ok "$n"
		fi
	done

	n=top_agent_keep_running_through_link_events
	if gone "$apid"; then
		fail $n "the agent died: $(tail -5 "$log")"
	elif ! screen_has '^veth1 +rx'; then
		fail $n "top: $(screen | head -8)"
	else
		tmux send-keys -t "$T" q
		if ! agent_stop || ! poll 15 eval '[ ! -e "$(pin_dir "$H0" "$(ifindex "$H0" veth1)")" ]'; then
			fail $n "the agent did not stop, or left veth1 attached"
		elif [ -n "$(ls /sys/fs/bpf/flowstat | grep "^$(ns_ino "$H0")_")" ]; then
			fail $n "pins left in $H0: $(ls /sys/fs/bpf/flowstat)"
		else
			ok $n
		fi
	fi
	tmux kill-session -t "$T" >/dev/null 2>&1
}

# ---- 2. gc racing the agent ----

# veth1's instance as status shows it: owner, its pid, hooks, attach time
ident()	# NS DEV
{
	"$FS" --netns "$1" status --json 2>/dev/null | jq -c --arg d "$2" \
		'.[] | select(.ifname == $d) |
		 [.owner, .owner_pid, .ingress, .egress, .attached_at]'
}

# The agent attaches veth1 (its own, owned); veth2 is attached by
# `flowstat attach`; veth3 is attached and detached ROUNDS times. Each
# round, two `flowstat gc --idle 0` run at once with the attach or the
# detach and with traffic into veth1 and veth2. The agent's instance
# stays the same one all along (gc never takes it for a dead owner's),
# the agent never loses it, the totals stay exact, and once everything is
# detached the kernel holds what it held before: nothing orphaned.
t_gc_races_agent()
{
	local n=gc_racing_the_agent_never_reaps_its_instances
	local port log=$tmp/agent2.log i id0 id why= before gcs=0 gcfail=0
	local p1 pm h1 h2
	h1=$(testbed_ns h1) h2=$(testbed_ns h2)
	before=$(bpf_objects)
	port=$(free_port)
	agent_start "$port" "$log" veth1 && poll 15 said "$log" "following veth1" ||
		{ fail $n "agent: $(cat "$log")"; return; }
	"$FS" --netns "$H0" attach veth2 >/dev/null ||
		{ fail $n "attach veth2"; return; }
	id0=$(ident "$H0" veth1)
	[[ $id0 == '["process",'"$apid"',{'* ]] ||
		{ fail $n "veth1 is not the agent's: $id0"; return; }
	: >"$tmp/gc.err"
	for ((i = 1; i <= ROUNDS; i++)); do
		local op=attach gpids=() g rc
		((i % 2)) || op=detach
		for g in 1 2; do
			"$FS" --netns "$H0" gc --idle 0 >/dev/null 2>>"$tmp/gc.err" &
			gpids+=($!)
		done
		"$FS" --netns "$H0" $op veth3 >/dev/null 2>"$tmp/op.err" &
		local opid=$!
		send "$h1" veth0 $((2000 + i)) 20 &&
			send "$h2" veth0 $((2000 + i)) 20 ||
			{ why="round $i: flowgen: $(cat "$tmp/gen.err")"; break; }
		for g in "${gpids[@]}"; do
			wait "$g"
			rc=$?
			gcs=$((gcs + 1))
			[ $rc = 0 ] || gcfail=$((gcfail + 1))
		done
		if ! wait $opid; then
			why="round $i: $op veth3: $(cat "$tmp/op.err")"
			break
		fi
		id=$(ident "$H0" veth1)
		if [ "$id" != "$id0" ]; then
			why="round $i: veth1 was $id0, is now '$id'"
			break
		fi
	done
	if [ -z "$why" ] && gone "$apid"; then
		why="the agent died: $(tail -5 "$log")"
	elif [ -z "$why" ] && said "$log" "veth1: no longer attached"; then
		why="the agent lost veth1: $(cat "$log")"
	elif [ -z "$why" ] && grep -q "owner.*died" "$tmp/gc.err"; then
		why="gc reaped: $(grep "owner.*died" "$tmp/gc.err")"
	elif [ -z "$why" ] && [ $gcfail != 0 ]; then
		why="$gcfail of $gcs gc runs failed: $(sort -u "$tmp/gc.err" | head -5)"
	fi
	if [ -z "$why" ]; then
		"$FS" --netns "$H0" dump --json >"$tmp/d2.json"
		p1=$(jq '.interfaces[] | select(.ifname == "veth1") |
			.ingress.packets' "$tmp/d2.json")
		if ! jq -e "$INVARIANT" "$tmp/d2.json" >/dev/null; then
			why="totals != flows + untracked + unmatched + sampled_out + retired: $(jq -c .interfaces "$tmp/d2.json")"
		elif ! poll 10 eval 'pm=$(metric "$port" flowstat_interface_packets_total veth1 ingress);
				[ "$pm" = "$p1" ]'; then
			why="the agent's veth1 ingress $pm, dump's $p1"
		fi
	fi
	agent_stop || why+=" the agent did not stop on SIGTERM"
	"$FS" --netns "$H0" detach veth2 >/dev/null
	"$FS" --netns "$H0" detach veth3 >/dev/null 2>&1
	if [ -n "$why" ]; then
		fail $n "$why"
	elif ! poll 15 eval '[ "$(bpf_objects)" = "$before" ]'; then
		fail $n "BPF objects before: $before, after: $(bpf_objects)"
	elif [ -n "$(ls /sys/fs/bpf/flowstat | grep "^$(ns_ino "$H0")_")" ]; then
		fail $n "pins left: $(ls /sys/fs/bpf/flowstat)"
	elif [ "$("$FS" --netns "$H0" status --json)" != "[]" ]; then
		fail $n "status: $("$FS" --netns "$H0" status --json)"
	else
		ok "$n ($ROUNDS rounds, $gcs gc runs)"
	fi
}

# ---- 4. the HTTP endpoint under abuse ----

fds()	# PID
{
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# tests/http_abuse.py against an agent's /metrics (one case per phase,
# its lines): garbage, huge headers, slow clients, 200 connections at
# once, with a scrape every 0.2 s that must be answered within 2 s. Then
# the agent is still up and holds no more descriptors than before.
t_http_abuse()
{
	local n=http_agent_survives_abuse port log=$tmp/agent4.log f0 f1
	port=$(free_port)
	agent_start "$port" "$log" veth1 && poll 15 said "$log" "following veth1" ||
		{ fail $n "agent: $(cat "$log")"; return; }
	f0=$(fds "$apid")
	python3 tests/http_abuse.py "$port" --bound 2 >"$tmp/abuse.out" 2>&1 ||
		failed=1
	cat "$tmp/abuse.out"
	if gone "$apid"; then
		fail $n "the agent died: $(tail -5 "$log")"
	elif ! poll 15 eval 'f1=$(fds "$apid"); [ "$f1" -le "$f0" ]'; then
		fail $n "the agent held $f0 descriptors before, $f1 after"
	elif ! grep -q '^ok - http_scrape_after' "$tmp/abuse.out"; then
		fail $n "http_abuse.py ended early"
	else
		ok "$n (descriptors $f0 -> $f1)"
	fi
	agent_stop || fail $n "the agent did not stop on SIGTERM"
}

# ---- 3. a new-flow flood into a small, full flows map ----

kernel_rx()	# NS DEV: the kernel's rx packet count
{
	ip -n "$1" -j -s link show dev "$2" | jq '.[0].stats64.rx.packets'
}

# scrape_loop PORT OUT STOP: every 0.5 s until STOP exists (at most
# 600 times), one line per scrape of /metrics: HTTP code, seconds taken
scrape_loop()
{
	local i
	for ((i = 0; i < 600; i++)); do
		[ -e "$3" ] && break
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
			--max-time 10 "http://127.0.0.1:$1/metrics" >>"$2"
		sleep 0.5
	done
}

# veth1 attached with --max-flows 64, a watch (0.5 s) and an agent
# (idle timeout 1 s, scraped every 0.5 s) on it, and FLOOD_CHUNKS chunks
# of FLOOD_PPS new flows a second for 10 s each (each frame a flow of its
# own): the map is full in every chunk (untracked grows), the totals stay
# exact (the hook's count is the kernel's; totals == flows + untracked +
# retired), watch writes a record at least every 2 s, and every scrape is
# answered 200 within 2 s.
t_flood()
{
	local n=full_map_under_a_new_flow_flood_totals_exact_readers_on_time
	local port log=$tmp/agent3.log w=$tmp/w3.json h1 i k0 k1 u0 u why=
	local full=0 p0 p1 sent=0 gaps slow codes total kern
	h1=$(testbed_ns h1)
	"$FS" --netns "$H0" attach --max-flows 64 veth1 >/dev/null ||
		{ fail $n "attach"; return; }
	"$FS" --netns "$H0" watch --json --interval 0.5 veth1 >"$w" \
		2>"$w.err" &
	pids+=($!)
	local wpid=$!
	port=$(free_port)
	agent_start "$port" "$log" --idle-timeout 1 &&
		poll 15 said "$log" "following veth1" ||
		{ fail $n "agent: $(cat "$log")"; return; }
	testbed_settle >/dev/null
	"$FS" --netns "$H0" dump --json veth1 >"$tmp/f0.json"
	k0=$(kernel_rx "$H0" veth1)
	p0=$(jq '.interfaces[0].ingress.packets' "$tmp/f0.json")
	rm -f "$tmp/stop"
	: >"$tmp/scrapes"
	scrape_loop "$port" "$tmp/scrapes" "$tmp/stop" &
	pids+=($!)
	local spid=$!
	for ((i = 0; i < FLOOD_CHUNKS; i++)); do
		u0=$(metric "$port" flowstat_interface_untracked_packets_total veth1 ingress)
		if ! "$GEN" --netns "$h1" --dev veth0 --json --rate "$FLOOD_PPS" \
			"proto=udp,src=203.0.113.$((10 + i)),dst=203.0.113.2,sport=1024,dport=9,count=$((FLOOD_PPS * 10)),flows=$((FLOOD_PPS * 10))" \
			>"$tmp/flood.json" 2>"$tmp/gen.err"; then
			why="chunk $i: flowgen: $(cat "$tmp/gen.err")"
			break
		fi
		sent=$((sent + $(jq .packets "$tmp/flood.json")))
		poll 5 eval 'u=$(metric "$port" flowstat_interface_untracked_packets_total veth1 ingress);
			[ -n "$u" ] && [ "$u" -gt "${u0:-0}" ]' && full=$((full + 1))
	done
	touch "$tmp/stop"
	wait "$spid"
	testbed_settle >/dev/null
	"$FS" --netns "$H0" dump --json veth1 >"$tmp/f1.json"
	k1=$(kernel_rx "$H0" veth1)
	p1=$(jq '.interfaces[0].ingress.packets' "$tmp/f1.json")
	total=$((p1 - p0)) kern=$((k1 - k0))
	# the gaps between watch's records, in seconds, over 2 s
	gaps=$(head -n "$(nrec_w "$w")" "$w" | jq -s '[. as $r |
		range(1; length) | $r[.].time - $r[. - 1].time | select(. > 2)]')
	slow=$(awk '$1 != 200 || $2 > 2' "$tmp/scrapes" | sort | uniq -c | head -5)
	codes=$(wc -l <"$tmp/scrapes")
	kill -INT "$wpid" 2>/dev/null
	agent_stop
	"$FS" --netns "$H0" detach veth1 >/dev/null
	if [ -n "$why" ]; then
		fail $n "$why"
	elif [ "$full" -ne "$FLOOD_CHUNKS" ]; then
		fail $n "the map was full in $full of $FLOOD_CHUNKS chunks"
	elif [ "$total" != "$kern" ] || [ "$total" -lt "$sent" ]; then
		fail $n "the hook counted $total, the kernel $kern, flowgen sent $sent"
	elif ! jq -e "$INVARIANT" "$tmp/f1.json" >/dev/null; then
		fail $n "totals != flows + untracked + unmatched + sampled_out + retired:" \
			"$(jq -c .interfaces "$tmp/f1.json")"
	elif [ "$gaps" != "[]" ]; then
		fail $n "watch's records more than 2 s apart: $gaps"
	elif [ -n "$slow" ] || [ "$codes" -lt $((FLOOD_CHUNKS * 10)) ]; then
		fail $n "of $codes scrapes, failed or over 2 s: $slow"
	else
		ok "$n ($sent frames in $FLOOD_CHUNKS chunks, $(jq \
			'.interfaces[0].ingress | "\(.untracked_packets) untracked, \(.retired_packets) retired"' \
			"$tmp/f1.json"), $(nrec_w "$w") records, $codes scrapes)"
	fi
}

nrec_w()	# OUT: whole records so far
{
	wc -l <"$1" | tr -d ' '
}

ns_testbed_up inos "${NSS[@]}" -- --pairs 4
testbed_settle >/dev/null

t_gc_races_agent
t_flood
t_http_abuse
t_link_events
exit $failed
