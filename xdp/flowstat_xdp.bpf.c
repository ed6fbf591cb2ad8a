// SPDX-License-Identifier: GPL-2.0
/* The XDP ingress program: count every frame, then let it through. */
#include "parse.bpf.h"
#include "account.bpf.h"
#include "signals.bpf.h"

/*
 * What the program returns after counting. flowstat itself never changes
 * it: XDP_PASS lets the frame (and any later program) through. The live
 * benchmark (tests/bench_live_xdp.c) loads it with XDP_DROP, so that the
 * stack's cost does not hide the program's.
 */
const volatile __u32 xdp_verdict = XDP_PASS;

/*
 * The parser as a global function: the verifier checks it once, on its
 * own, and the caller goes on from one state (the key unknown) instead
 * of from every path through the parser, in both epochs' copies: that
 * was 366,000 instructions processed per load, most of an attach's time.
 * Only slow-path frames pay the call.
 */
__attribute__((noinline)) int xdp_parse(struct xdp_md *ctx,
					struct flow_key *key,
					struct parse_info *pi)
{
	if (!key || !pi)
		return 0;
	parse_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end,
		    key, pi);
	return 0;
}

/* Count one frame in epoch e (a constant: see account.bpf.h). */
static __always_inline void xdp_count(struct xdp_md *ctx, const int e,
				      __u64 gen)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct flow_key key = { .dir = FLOW_DIR_INGRESS };
	struct flow_totals *t;
	__u64 len = end - data, tag = 0, now, untracked;
	struct parse_info pi = {};
	int slot;
	__u32 m;

	t = totals_count(e, gen, FLOW_DIR_INGRESS, len);
	if (!t || sample_out(e, t, len) ||
	    fast_count(e, gen, t, data, end, len))
		return;

	xdp_parse(ctx, &key, &pi);
	/*
	 * The frame's pointers again, from ctx (which the call needs): so
	 * that the fast path above keeps no more values live than it did
	 * with the parser inlined (BPF has four callee-saved registers).
	 */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	m = current_match();
	if (match_skip(t, m, &key, len))
		return;
	now = bpf_ktime_get_coarse_ns();
	untracked = t->untracked_packets;
	slot = flow_count(e, gen, t, &key, len, parse_ip_bytes(&pi, len),
			  pi.tcp_flags, now, &tag);
	/* The signals, whatever became of the flow entry. */
	sig_frame(&key, pi.tcp_flags, now,
		  t->untracked_packets != untracked);
	/* SYNs without ACK stay on the slow path, where the signals count
	 * them (a SYN flood that repeats one flow too). */
	if (slot >= 0 && !sig_syn(pi.tcp_flags))
		fast_remember(t, data, end, &key,
			      !!(key.flags & FLOW_F_VLAN) +
			      !!(key.flags & FLOW_F_INNER_VLAN), slot, tag,
			      now, m);
}

SEC("xdp")
int flowstat_xdp(struct xdp_md *ctx)
{
	__u64 gen = current_gen();

	if (gen & 1)
		xdp_count(ctx, 1, gen);
	else
		xdp_count(ctx, 0, gen);
	return xdp_verdict;
}

char LICENSE[] SEC("license") = "GPL";
