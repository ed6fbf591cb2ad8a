#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# flowstat: `./make ARGS` is `make ARGS` on a machine that may not have
# make yet (a minimal Debian 12, many cloud images): it installs make
# first, then runs it. The Makefile installs everything else it needs
# (scripts/install-deps.sh). Where make is installed, plain `make` does
# the same.
set -e
cd "$(dirname "$0")"
if ! command -v make >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "flowstat: make is not installed; run this as root" \
		     "(sudo ./make $*, or su -c './make $*' where there is no sudo)" >&2
		exit 1
	fi
	echo "flowstat: installing make"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends make >/dev/null
fi
exec make "$@"
