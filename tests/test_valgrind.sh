#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# valgrind's memcheck on the plain flowstat: attach, dump, watch, the
# live view's batch mode, the agent (a scrape, then SIGTERM) and detach
# on a testbed interface with traffic (cmdrun.sh). A case fails on any
# memcheck error and on any definite or indirect leak.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
P=fsvg$$
tmp=$(mktemp -d)
need_built "$FS" "$GEN"
need_tools valgrind jq curl ss
CHECKER=valgrind
SLOW=90
RUN=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
     --show-leak-kinds=definite,indirect --error-exitcode=99
     --suppressions=tests/valgrind.supp
     --log-file="$tmp/vg/%p")
mkdir -p "$tmp/vg" "$tmp/seen"
source tests/cmdrun.sh

# reports NAME: the errors and leaks memcheck reported since the last
# call (-q: nothing else but its notes on bpf(2) commands it does not
# model, "--PID-- WARNING: ..."), on stdout, return 1; the logs move to
# $tmp/seen
reports()
{
	local f
	f=$(find "$tmp/vg" -type f | sort)
	[ -z "$f" ] && return 0
	mkdir -p "$tmp/seen/$1"
	mv $f "$tmp/seen/$1/"
	grep -qs '^==[0-9]*==' "$tmp/seen/$1"/* || return 0
	grep -hs '^==[0-9]*==' "$tmp/seen/$1"/* | head -n 60
	return 1
}

cmdrun_all
exit $failed
