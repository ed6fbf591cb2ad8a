# SPDX-License-Identifier: GPL-2.0
# Sourced by the suites that check flowstat's IPFIX against real
# collectors (Debian's nfdump and pmacct), after tests/lib.sh. Every
# collector listens on loopback only; its pid goes into the caller's
# pids array, which the caller's cleanup stops. $tmp is the caller's
# scratch folder. Waits are polls of up to PEER_WAIT seconds.
PEER_WAIT=${PEER_WAIT:-30}

# peer_nfcapd_start DIR PORT IDENT: nfcapd writing DIR, files rotated
# every 2 s; its pid in nfcapd_pid.
peer_nfcapd_start()
{
	mkdir -p "$1"
	nfcapd -b 127.0.0.1 -p "$2" -w "$1" -t 2 -I "$3" >>"$1.log" 2>&1 &
	nfcapd_pid=$!
	pids+=($!)
	poll "$PEER_WAIT" udp_bound "$2"
}

# peer_nfcapd_stop PORT: SIGTERM, gone, and its port free.
peer_nfcapd_stop()
{
	kill -TERM "$nfcapd_pid" 2>/dev/null
	poll "$PEER_WAIT" gone "$nfcapd_pid" && ! udp_bound "$1"
}

# peer_nfacctd_start PORT PRIMITIVES AGGREGATE: nfacctd printing CSV to
# $tmp/pm/flows.csv every second. PRIMITIVES are lines of its
# aggregate_primitives file, AGGREGATE the print plugin's list. Its pid
# in nfacctd_pid; the print plugin's pid goes into pids too.
# Ready means the print plugin has purged once: nfacctd's core tells a
# plugin of new records only once the plugin has polled its pipe, and
# the plugin logs 'cache entries' before it allocates and clears its
# cache, so records that came in between were never read (CI, loaded:
# no row at all in 30 s, the core's sequence stats all good). A small
# cache keeps that start short.
peer_nfacctd_start()
{
	mkdir -p "$tmp/pm"
	printf '%s\n' "$2" >"$tmp/pm/primitives.lst"
	cat >"$tmp/pm/nfacctd.conf" <<-CONF
	daemonize: false
	nfacctd_ip: 127.0.0.1
	nfacctd_port: $1
	nfacctd_disable_checks: false
	logfile: $tmp/pm/nfacctd.log
	aggregate_primitives: $tmp/pm/primitives.lst
	plugins: print[p]
	aggregate[p]: $3
	print_output[p]: csv
	print_output_file[p]: $tmp/pm/flows.csv
	print_output_file_append[p]: true
	print_refresh_time[p]: 1
	print_cache_entries[p]: 1031
	CONF
	nfacctd -f "$tmp/pm/nfacctd.conf" >"$tmp/pm/stdout" 2>&1 &
	nfacctd_pid=$!
	pids+=($!)
	poll "$PEER_WAIT" udp_bound "$1" &&
		poll "$PEER_WAIT" grep -qs 'Purging cache - END' "$tmp/pm/nfacctd.log" ||
		return 1
	pids+=($(pgrep -o -P "$nfacctd_pid"))	# the plugin, not a purge writer
}

# nf_seq_failures DIR: "DOMAIN FAILURES" per observation domain, summed
# over DIR's files, as nfdump -E counts them.
nf_seq_failures()
{
	local f
	for f in "$1"/nfcapd.2*; do
		[ -f "$f" ] && nfdump -E "$f" 2>/dev/null
	done | sed -n 's/.* ID: *\([0-9]*\), Sequence failures: *\([0-9]*\).*/\1 \2/p' |
		awk '{ s[$1] += $2 } END { for (d in s) print d, s[d] }' | sort -n
}

# nf_seq_failures_total DIR: the sum over all domains.
nf_seq_failures_total()
{
	nf_seq_failures "$1" | awk '{ s += $2 } END { print s + 0 }'
}

# rows_match WANT_FILE CMD...: CMD prints exactly the file's lines (what
# it printed is left in WANT_FILE.got).
rows_match()
{
	local want=$1
	shift
	"$@" >"$want.got" 2>/dev/null
	cmp -s "$want" "$want.got"
}
