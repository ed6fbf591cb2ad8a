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
#define SIG_GLOBAL_FN	/* see signals.bpf.h */
#include "signals.bpf.h"

/* Enough for two tags, IPv6 with a chain of extension headers, TCP. */
#define PULL_LEN 256

/*
 * A global function: the verifier checks the parser once, on its own,
 * and the caller goes on from one state instead of from every path
 * through it, in both epochs' copies (see xdp/flowstat_xdp.bpf.c).
 */
__attribute__((noinline)) int tc_parse(struct __sk_buff *skb,
				       struct flow_key *key,
				       struct parse_info *pi)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (!key || !pi)
		return 0;
	if (skb->vlan_present) {
		/* The stack took the outer tag out of the frame. */
		key->vlan = skb->vlan_tci & 0x0fff;
		key->flags = FLOW_F_VLAN;
	}
	parse_frame(data, end, key, pi);
	return 0;
}

static __always_inline void tc_count(struct __sk_buff *skb, __u32 dir,
				     const int e, __u64 gen)
{
	struct flow_key key = { .dir = dir };
	/* Bytes as on the wire: an offloaded tag was there too. */
	__u64 len = skb->len + (skb->vlan_present ? 4 : 0), tag = 0, now;
	__u64 untracked;
	struct parse_info pi = {};
	struct flow_totals *t;
	int slot;
	__u32 m;

	t = totals_count(e, gen, dir, len);
	if (!t || sample_out(e, t, len))
		return;
	/* The fast path sees only the frame: not with an offloaded tag. */
	if (!skb->vlan_present &&
	    fast_count(e, gen, t, (void *)(long)skb->data,
		       (void *)(long)skb->data_end, len))
		return;

	tc_parse(skb, &key, &pi);
	/*
	 * Headers can sit beyond the linear part of the skb, and then look
	 * cut short. Only then pull them in and parse again: a pull on every
	 * packet would copy the head of every cloned skb (TCP keeps clones).
	 */
	if ((key.flags & FLOW_F_TRUNCATED) &&
	    skb->len > (__u64)skb->data_end - skb->data &&
	    !bpf_skb_pull_data(skb, skb->len < PULL_LEN ? skb->len : PULL_LEN)) {
		__builtin_memset(&key, 0, sizeof(key));
		key.dir = dir;
		__builtin_memset(&pi, 0, sizeof(pi));
		tc_parse(skb, &key, &pi);
	}
	m = current_match();
	if (match_skip(t, m, &key, len))
		return;
	now = bpf_ktime_get_coarse_ns();
	/* IP bytes from the frame's data: an offloaded tag is not in it. */
	untracked = t->untracked_packets;
	slot = flow_count(e, gen, t, &key, len, parse_ip_bytes(&pi, skb->len),
			  pi.tcp_flags, now, &tag);
	/* The signals (ingress), whatever became of the flow entry. */
	if (dir == FLOW_DIR_INGRESS)
		sig_frame(&key, pi.tcp_flags, now,
			  t->untracked_packets != untracked);
	/* SYNs without ACK stay on the slow path (the signals count them) */
	if (slot >= 0 && !skb->vlan_present && !sig_syn(pi.tcp_flags))
		fast_remember(t, (void *)(long)skb->data,
			      (void *)(long)skb->data_end, &key,
			      !!(key.flags & FLOW_F_VLAN) +
			      !!(key.flags & FLOW_F_INNER_VLAN), slot, tag,
			      now, m);
}

/* One copy of the body per epoch (see account.bpf.h). */
static __always_inline int tc_run(struct __sk_buff *skb, __u32 dir)
{
	__u64 gen = current_gen();

	if (gen & 1)
		tc_count(skb, dir, 1, gen);
	else
		tc_count(skb, dir, 0, gen);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int flowstat_tc_ingress(struct __sk_buff *skb)
{
	return tc_run(skb, FLOW_DIR_INGRESS);
}

SEC("tc")
int flowstat_tc_egress(struct __sk_buff *skb)
{
	return tc_run(skb, FLOW_DIR_EGRESS);
}

char LICENSE[] SEC("license") = "GPL";
