# SPDX-License-Identifier: GPL-2.0
# Shared by the shell suites (sourced): one line per case in the form
# tests/run.sh counts, and $failed for the suite's exit status.
failed=0
BUILD=${BUILD:-build}
FS=$BUILD/flowstat
GEN=$BUILD/flowgen

# need_built FILE...: end the suite with one failed case unless each
# program is built.
need_built()
{
	local f
	for f; do
		[ -x "$f" ] || { echo "not ok - $f is built (run make)"; exit 1; }
	done
}

# need_tools TOOL...: the same for commands install-deps.sh provides.
need_tools()
{
	local t
	for t; do
		command -v "$t" >/dev/null ||
			{ echo "not ok - $t is installed (scripts/install-deps.sh)"; exit 1; }
	done
}

# wait_until SECONDS CMD...: polls CMD every 0.05 s until it succeeds;
# fails after SECONDS.
wait_until()
{
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# poll SECONDS CMD...: runs CMD every 0.1 s (or POLL_SLEEP s) until it
# succeeds; fails after SECONDS (by the clock: for slow commands, where
# wait_until's count of tries would take longer).
poll()
{
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge "$end" ] && return 1
		sleep "${POLL_SLEEP:-0.1}"
	done
}

gone()	# PID: the process has ended
{
	! kill -0 "$1" 2>/dev/null
}

exited()	# PID: a child of ours has ended (gone, or a zombie not yet waited)
{
	local st
	st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2)
	[ -z "$st" ] || [ "$st" = Z ]
}

udp_bound()	# PORT: something listens on it (UDP)
{
	[ -n "$(ss -Hlun "sport = :$1")" ]
}

tcp_bound()	# PORT: the same, TCP
{
	[ -n "$(ss -Hltn "sport = :$1")" ]
}

# free_port: a port nothing listens on, UDP or TCP, and not given before
used_ports=" "
free_port()
{
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		[[ $used_ports == *" $p "* ]] && continue
		udp_bound "$p" || tcp_bound "$p" && continue
		used_ports+="$p "
		echo "$p"
		return
	done
}

ok()	# NAME
{
	echo "ok - $1"
}

# fail NAME [DETAIL...]: every detail line as a "# " comment (cut to 3000
# characters, so a captured screen or log cannot pass for a case line).
fail()
{
	local name=$1
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | cut -c1-3000 | sed 's/^/# /'
	echo "not ok - $name"
	failed=1
}
