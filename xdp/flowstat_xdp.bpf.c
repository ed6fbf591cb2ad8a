// SPDX-License-Identifier: GPL-2.0
/* The XDP ingress program: count every frame, then let it through. */
#include "parse.bpf.h"
#include "account.bpf.h"

SEC("xdp")
int flowstat_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct flow_key key = { .dir = FLOW_DIR_INGRESS };
	__u32 dir = FLOW_DIR_INGRESS;
	struct flow_totals *t;
	__u64 len = end - data, tag = 0, now;
	__u8 tcp_flags = 0;
	int slot;

	t = bpf_map_lookup_elem(&totals, &dir);
	if (!t)
		return XDP_PASS;
	t->packets++;
	t->bytes += len;
	if (fast_count(t, data, end, len))
		return XDP_PASS;

	parse_frame(data, end, &key, &tcp_flags);
	now = bpf_ktime_get_coarse_ns();
	slot = flow_count(t, &key, len, tcp_flags, now, &tag);
	if (slot >= 0)
		fast_remember(t, data, end, &key,
			      !!(key.flags & FLOW_F_VLAN) +
			      !!(key.flags & FLOW_F_INNER_VLAN), slot, tag,
			      now);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
