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
	__u8 tcp_flags = 0;

	parse_frame(data, end, &key, &tcp_flags);
	flow_count(&key, end - data, tcp_flags);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
