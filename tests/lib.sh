# SPDX-License-Identifier: GPL-2.0
# Shared by the shell suites (sourced): one line per case in the form
# tests/run.sh counts, and $failed for the suite's exit status.
failed=0

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
