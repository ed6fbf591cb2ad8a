// SPDX-License-Identifier: GPL-2.0
/*
 * The design most eBPF flow agents use, as the benchmark's point of
 * comparison: flowstat's parser and key, bpf_ktime_get_ns, and one
 * per-CPU hash (sized like flowstat's at load) that every frame looks
 * up: add in place when found, else insert with BPF_NOEXIST. It counts
 * what flowstat counts (packets, L2 and IP bytes, first and last seen,
 * TCP flags); a frame that finds the table full is lost.
 */
#include "parse.bpf.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
	__uint(max_entries, FLOWSTAT_DEFAULT_MAX_FLOWS);
} naive_flows SEC(".maps");

SEC("xdp")
int naive_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct flow_key key = { .dir = FLOW_DIR_INGRESS };
	struct parse_info pi = {};
	struct flow_value *v, nv = {};
	__u64 len = end - data, ip, now;

	parse_frame(data, end, &key, &pi);
	ip = parse_ip_bytes(&pi, len);
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&naive_flows, &key);
	if (v) {
		v->packets++;
		v->bytes += len;
		v->ip_bytes += ip;
		v->last_seen = now;
		v->tcp_flags |= pi.tcp_flags;
		return XDP_PASS;
	}
	nv.packets = 1;
	nv.bytes = len;
	nv.ip_bytes = ip;
	nv.first_seen = now;
	nv.last_seen = now;
	nv.tcp_flags = pi.tcp_flags;
	bpf_map_update_elem(&naive_flows, &key, &nv, BPF_NOEXIST);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
