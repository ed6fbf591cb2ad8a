// SPDX-License-Identifier: GPL-2.0
/*
 * The tc ingress and egress programs, for tcx links and for clsact.
 * They count every frame and return TC_ACT_UNSPEC (TCX_NEXT), the
 * verdict that lets later programs and the stack go on as if we were not
 * there.
 */
#include <linux/pkt_cls.h>
#include "parse.bpf.h"
#include "account.bpf.h"

/* Headers we may need to see: two tags, IPv6 with a chain, TCP. */
#define PULL_LEN 256

static __always_inline int tc_count(struct __sk_buff *skb, __u32 dir)
{
	struct flow_key key = { .dir = dir };
	__u64 len = skb->len;
	__u8 tcp_flags = 0;
	void *data, *end;

	/*
	 * Headers may sit beyond the linear part of the skb; without the
	 * pull they would look cut short. Pulling is rare (most drivers
	 * put the headers in the linear part) and never changes the frame.
	 */
	if (skb->data_end - skb->data < skb->len &&
	    skb->data_end - skb->data < PULL_LEN)
		bpf_skb_pull_data(skb, skb->len < PULL_LEN ? skb->len : PULL_LEN);

	if (skb->vlan_present) {
		/* The stack took the outer tag out of the frame. */
		key.vlan = skb->vlan_tci & 0x0fff;
		key.flags = FLOW_F_VLAN;
		len += 4;	/* on the wire it was there */
	}
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	parse_frame(data, end, &key, &tcp_flags);
	flow_count(&key, len, tcp_flags);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int flowstat_tc_ingress(struct __sk_buff *skb)
{
	return tc_count(skb, FLOW_DIR_INGRESS);
}

SEC("tc")
int flowstat_tc_egress(struct __sk_buff *skb)
{
	return tc_count(skb, FLOW_DIR_EGRESS);
}

char LICENSE[] SEC("license") = "GPL";
