/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The security signals' sketches (see struct sig_bucket in flowstat.h):
 * a per-CPU array of small HyperLogLogs by source and by destination,
 * filled by the ingress programs in their slow path for every frame,
 * whether or not the frame's flow gets an entry. Memory is fixed: a
 * flood only raises registers. A SYN without ACK is never remembered for
 * the fast path (sig_syn), so a SYN flood that repeats one flow stays on
 * the slow path and is counted, at no cost to the fast path. (A flow
 * already remembered from other frames keeps its fast path: SYNs of a
 * 5-tuple that was just carrying ACKs are not counted.)
 */
#ifndef FLOWSTAT_SIGNALS_BPF_H
#define FLOWSTAT_SIGNALS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "flowstat.h"
#include "account.bpf.h"
#include "sighash.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sig_bucket);
	__uint(max_entries, SIG_ENTRIES);
} sig SEC(".maps");

static __always_inline __u64 sig_hash_addr(const __u8 *a)
{
	const __u64 *w = (const __u64 *)a;

	return sig_mix(w[0] ^ (w[1] * 0x9e3779b97f4a7c15ULL));
}

/* Trailing zeros of a non-zero word: de Bruijn, no loop. */
static const __u8 sig_ctz_table[64] = {
	0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
};

/*
 * Add hash h to the HLL regs: the top SIG_HLL_BITS bits pick the
 * register, the trailing zeros of the rest (plus 1) are the rank.
 * Returns 1 when a register rose: the element was new to the sketch.
 */
static __always_inline int sig_hll_add(__u8 *regs, __u64 h)
{
	__u64 rest = h | (1ULL << (64 - SIG_HLL_BITS));
	__u32 r = h >> (64 - SIG_HLL_BITS);
	__u8 rank;

	rest &= -rest;
	rank = sig_ctz_table[(rest * 0x03f79d71b4cb0a89ULL) >> 58] + 1;
	if (regs[r & (SIG_HLL_REGS - 1)] >= rank)
		return 0;
	regs[r & (SIG_HLL_REGS - 1)] = rank;
	return 1;
}

/* This CPU's bucket idx of the window w, emptied if an older one's. */
static __always_inline struct sig_bucket *sig_bucket_get(__u64 w, __u32 idx)
{
	struct sig_bucket *b;

	idx += (w & 1) * SIG_SLOTS;
	b = bpf_map_lookup_elem(&sig, &idx);
	if (b && b->window != w) {
		__builtin_memset(b, 0, sizeof(*b));
		b->window = w;
	}
	return b;
}

static __always_inline void sig_copy_addr(struct sig_bucket *b,
					  const __u8 *a, __u16 ethertype)
{
	__u64 *d = (__u64 *)b->addr;
	const __u64 *s = (const __u64 *)a;

	d[0] = s[0];
	d[1] = s[1];
	b->ethertype = ethertype;
}

#define SIG_TCP_SYN 0x02
#define SIG_TCP_ACK 0x10

/* A connection attempt: SYN without ACK. */
static __always_inline int sig_syn(__u8 tcp_flags)
{
	return (tcp_flags & (SIG_TCP_SYN | SIG_TCP_ACK)) == SIG_TCP_SYN;
}

/*
 * One ingress frame of flow k with TCP flags tcp_flags at time now
 * (coarse clock); untracked: its flow got no entry. IP frames only: the
 * others have no hosts to name. The XDP program has it inline: a program
 * with a function call gets a longer prologue from the JIT, which the
 * fast path would pay (0.5 ns of 5 in make bench). The tc programs call
 * sig_frame(), a global function the verifier checks once: inline, the
 * states of their two parses (before and after a pull) multiply past the
 * verifier's limit.
 */
static __always_inline int sig_frame_inline(const struct flow_key *k,
					    __u32 tcp_flags, __u64 now,
					    __u32 untracked)
{
	__u64 w = now >> SIG_WINDOW_SHIFT, hs, hd;
	struct sig_bucket *b;
	int raised;

	if (!k || !(k->flags & FLOW_F_L4))
		return 0;
	if (untracked) {
		b = sig_bucket_get(w, 0);
		if (b)
			sig_hll_add(b->hll_a, sig_mix(flow_hash(k)));
	}
	hs = sig_hash_addr(k->src);
	hd = sig_hash_addr(k->dst);
	/*
	 * The suspect a bucket names is the last host whose frame raised
	 * one of its registers: in a bucket shared with a flood of hosts
	 * that each add one element, the scanner keeps raising them.
	 */
	b = sig_bucket_get(w, SIG_SRC_BASE + (hs & (SIG_SRC_BUCKETS - 1)));
	if (b && (sig_hll_add(b->hll_a, sig_mix(((__u64)k->proto << 16 |
						 k->dport) + 1)) |
		  sig_hll_add(b->hll_b, hd)))
		sig_copy_addr(b, k->src, k->ethertype);
	b = sig_bucket_get(w, SIG_DST_BASE + (hd & (SIG_DST_BUCKETS - 1)));
	if (!b)
		return 0;
	raised = sig_hll_add(b->hll_a, hs);
	if (k->proto == IPPROTO_TCP && (k->flags & FLOW_F_PORTS) &&
	    sig_syn(tcp_flags)) {
		b->syns++;
		raised |= sig_hll_add(b->hll_b, sig_mix(hs ^ k->sport));
	}
	if (raised)
		sig_copy_addr(b, k->dst, k->ethertype);
	return 0;
}

#ifdef SIG_GLOBAL_FN
__noinline int sig_frame(const struct flow_key *k, __u32 tcp_flags,
			 __u64 now, __u32 untracked)
{
	return sig_frame_inline(k, tcp_flags, now, untracked);
}
#else
#define sig_frame sig_frame_inline
#endif

#endif /* FLOWSTAT_SIGNALS_BPF_H */
