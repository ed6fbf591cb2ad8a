#!/usr/bin/env bash
# Install the Debian packages that flowstat's build, tests and demo need,
# only when something is missing: a fast no-op otherwise.
set -euo pipefail

packages=(
	make gcc clang llvm libclang-rt-dev pkg-config bpftool
	clang-tools cppcheck
	libbpf-dev libxdp-dev xdp-tools libelf-dev zlib1g-dev
	libnl-3-dev libnl-route-3-dev libncurses-dev
	iproute2 procps ethtool tcpdump iperf3 iputils-ping tmux jq strace
	valgrind systemd perl
	prometheus curl nfdump pmacct softflowd iftop tshark python3
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	     grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "flowstat: missing packages: ${missing[*]}" >&2
	echo "flowstat: run as root (sudo make ...) or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
