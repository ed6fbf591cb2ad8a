#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Prometheus endpoint against the real thing: http_test --serve
# serves the fixture's exposition (tests/prom_fixture.h) on 127.0.0.1,
# byte for byte tests/data/metrics.expected; promtool's linter finds
# nothing in it; a Prometheus with its own config and storage in a temp
# folder scrapes it every second, and once the target is up, PromQL
# through the HTTP API returns the fixture's exact values, every sample
# ingested and escaped label values read back as they were meant.
# Everything listens on 127.0.0.1 and is stopped on exit.
set -u
cd "$(dirname "$0")/.."
source tests/lib.sh
SRV=$BUILD/tests/http_test
tmp=$(mktemp -d)
srv_pid=
prom_pid=
port=
prom_port=

# Bounds: waits give up after WAIT_SECONDS; the server ends by itself
# after SERVE_SECONDS; Prometheus gets PORT_TRIES ports to bind.
WAIT_SECONDS=90
SERVE_SECONDS=600
PORT_TRIES=5

need_built "$SRV"
need_tools prometheus promtool curl jq ss

# stop PID: SIGTERM, up to 10 s to go, then SIGKILL.
stop()
{
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

cleanup()
{
	stop "$prom_pid"
	stop "$srv_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# query PROMQL: the result vector as JSON (empty on any error).
query()
{
	curl -sS --max-time 10 --get --data-urlencode "query=$1" \
		"http://127.0.0.1:$prom_port/api/v1/query" 2>/dev/null |
		jq -c 'select(.status == "success") | .data.result'
}

# value_is PROMQL VALUE: one series, and its value, as text, is VALUE.
value_is()
{
	[ "$(query "$1" | jq -r 'if length == 1 then .[0].value[1] else "" end')" = "$2" ]
}

# A free port for Prometheus, not one that is listening now.
random_port()
{
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

is_ready()
{
	curl -sf --max-time 5 "http://127.0.0.1:$prom_port/-/ready" >/dev/null
}

# Starts Prometheus on a random port; another one if that is taken.
start_prometheus()
{
	local try
	cat >"$tmp/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: flowstat
	    static_configs:
	      - targets: ['127.0.0.1:$port']
	  - job_name: escaped
	    metrics_path: /escaped
	    static_configs:
	      - targets: ['127.0.0.1:$port']
	EOF
	for ((try = 0; try < PORT_TRIES; try++)); do
		prom_port=$(random_port)
		prometheus --config.file="$tmp/prometheus.yml" \
			--storage.tsdb.path="$tmp/data" \
			--web.listen-address="127.0.0.1:$prom_port" \
			>"$tmp/prometheus.log" 2>&1 &
		prom_pid=$!
		wait_until "$WAIT_SECONDS" \
			eval 'is_ready || ! kill -0 $prom_pid 2>/dev/null'
		is_ready && return 0
		stop "$prom_pid"
		prom_pid=
	done
	return 1
}

t_serves_the_fixture()
{
	local type
	if curl -sS --max-time 10 -D "$tmp/headers" -o "$tmp/metrics" \
		"http://127.0.0.1:$port/metrics" &&
	   cmp -s "$tmp/metrics" tests/data/metrics.expected; then
		ok "served_metrics_are_the_expected_bytes"
	else
		fail "served_metrics_are_the_expected_bytes" \
			"$(diff "$tmp/metrics" tests/data/metrics.expected | head -20)"
	fi
	type=$(tr -d '\r' <"$tmp/headers" | sed -n 's/^Content-Type: //p')
	if [ "$type" = "text/plain; version=0.0.4; charset=utf-8" ]; then
		ok "content_type_is_0.0.4"
	else
		fail "content_type_is_0.0.4" "got '$type'"
	fi
}

t_promtool_finds_nothing()
{
	local path out rc
	for path in metrics escaped; do
		curl -sS --max-time 10 -o "$tmp/$path.txt" \
			"http://127.0.0.1:$port/$path"
		out=$(promtool check metrics <"$tmp/$path.txt" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && [ -z "$out" ]; then
			ok "promtool_check_metrics_$path"
		else
			fail "promtool_check_metrics_$path" "exit $rc" "$out"
		fi
	done
}

t_targets_up()
{
	if wait_until "$WAIT_SECONDS" \
		value_is 'count(up{job=~"flowstat|escaped"} == 1)' 2; then
		ok "prometheus_scrapes_both_targets"
	else
		fail "prometheus_scrapes_both_targets" \
			"$(query 'up')" "$(tail -20 "$tmp/prometheus.log")"
	fi
}

# check NAME PROMQL VALUE
check()
{
	if value_is "$2" "$3"; then
		ok "$1"
	else
		fail "$1" "$2: $(query "$2"), want $3"
	fi
}

t_exact_values()
{
	# 87 samples in the text: all ingested, none refused
	check scraped_every_sample 'scrape_samples_scraped{job="flowstat"}' 87
	check interface_bytes \
		'flowstat_interface_bytes_total{interface="veth0",direction="ingress"}' 98000
	check interface_packets_summed \
		'sum(flowstat_interface_packets_total{interface="veth0"})' 1500
	# 2^64 - 1 as a float64 is 2^64, shown in its shortest digits
	check packets_at_the_u64_top_as_float \
		'flowstat_interface_packets_total{interface="eth1",netns="h1",direction="ingress"}' \
		18446744073709552000
	check series_per_family \
		'count(flowstat_interface_packets_total{job="flowstat"})' 4
	check kernel_counters_only_where_known \
		'count(flowstat_kernel_interface_errors_total)' 2
	check kernel_egress_errors \
		'flowstat_kernel_interface_errors_total{direction="egress"}' 4
	check untracked_bytes \
		'flowstat_interface_untracked_bytes_total{interface="veth0",direction="ingress"}' 294
	check flows_ratio \
		'flowstat_flows_active{interface="veth0"} / flowstat_flows_capacity{interface="veth0"} * 65536' 12
	check export_records \
		'flowstat_export_records_total{collector="192.0.2.10:4739"}' 200
	check build_info \
		'flowstat_build_info{version="0.1-test"}' 1

	# netns is a label only where it is not empty
	local labels
	labels=$(query 'flowstat_flows_active{job="flowstat"}' |
		jq -r 'map("\(.metric.interface) \(.metric.netns // "-") \(.value[1])") | sort | join(",")')
	if [ "$labels" = "eth1 h1 0,veth0 - 12" ]; then
		ok "netns_label_only_in_a_namespace"
	else
		fail "netns_label_only_in_a_namespace" "got $labels"
	fi
}

t_escaped_labels()
{
	local r
	r=$(query 'flowstat_flows_capacity{job="escaped"}')
	if [ "$(jq -r 'length' <<<"$r")" = 1 ] &&
	   jq -e '.[0].metric.interface == "a\"b\\c\nd\ufffd" and
		  .[0].metric.netns == "ns-\u00e9-\ud83d\ude00-\ufffd\ufffd" and
		  .[0].value[1] == "5"' <<<"$r" >/dev/null; then
		ok "escaped_label_values_read_back_exactly"
	else
		fail "escaped_label_values_read_back_exactly" "got $r"
	fi
	check escaped_collector \
		'flowstat_export_messages_total{job="escaped",collector="c\"o\\l"}' 0
}

"$SRV" --serve 127.0.0.1:0 --seconds "$SERVE_SECONDS" \
	--port-file "$tmp/port" >"$tmp/serve.log" 2>&1 &
srv_pid=$!
if ! wait_until "$WAIT_SECONDS" test -s "$tmp/port"; then
	fail "test_server_listens" "$(cat "$tmp/serve.log")"
	exit 1
fi
port=$(cat "$tmp/port")

t_serves_the_fixture
t_promtool_finds_nothing
if ! start_prometheus; then
	fail "prometheus_starts" "$(tail -20 "$tmp/prometheus.log")"
	exit 1
fi
ok "prometheus_starts"
t_targets_up
t_exact_values
t_escaped_labels
exit $failed
