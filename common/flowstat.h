/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map ABI shared by the BPF programs and userspace: flow keys, flow
 * values, per-direction totals, the per-CPU flow cache slots, the epoch
 * control word, enums and pin names. Fixed-width types only, explicit padding, no pointers.
 * Userspace checks the sizes with _Static_assert (core/abi.c).
 */
#ifndef FLOWSTAT_H
#define FLOWSTAT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum flow_dir {
	FLOW_DIR_INGRESS = 0,
	FLOW_DIR_EGRESS = 1,
	FLOW_DIR_MAX = 2,
};

/* flow_key.flags */
enum flow_key_flags {
	FLOW_F_FRAGMENT = 1 << 0,	/* IP fragment: a later one has no ports */
	FLOW_F_TRUNCATED = 1 << 1,	/* frame ended before a header did */
	FLOW_F_VLAN = 1 << 2,		/* vlan holds the outer VLAN id */
	FLOW_F_INNER_VLAN = 1 << 3,	/* inner_vlan holds the inner VLAN id */
	FLOW_F_L4 = 1 << 4,		/* proto is valid (an IP frame) */
	FLOW_F_PORTS = 1 << 5,		/* sport/dport (or ICMP type/code) valid */
};

/*
 * One flow. Addresses are in network order; an IPv4 address fills the
 * first 4 bytes and leaves the rest zero. ethertype, vlan ids and ports are
 * in host order. For ICMP and ICMPv6, sport is the type and dport the code.
 * ethertype is the innermost ethertype after any VLAN tags.
 * The layout keeps the key at 48 bytes, compared as six u64 words.
 * pad stays zero: the fold's journal marks rows it has not filled there.
 */
struct flow_key {
	__u8 src[16];
	__u8 dst[16];
	__u16 ethertype;
	__u16 vlan;
	__u16 inner_vlan;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 dir;
	__u8 flags;
	__u8 pad[3];
};

/*
 * Per-CPU counters of one flow in one epoch. Times are CLOCK_MONOTONIC
 * nanoseconds (bpf_ktime_get_coarse_ns resolution); userspace converts
 * to wall time.
 */
struct flow_value {
	__u64 packets;
	__u64 bytes;		/* frame bytes (L2) */
	__u64 ip_bytes;		/* the IP packets' own length (L3) */
	__u64 first_seen;
	__u64 last_seen;
	__u8 tcp_flags;
	__u8 pad[7];
};

#define FAST_WORDS 7	/* header signature: 8-byte words from byte 12 */

/*
 * Epochs. The data plane writes only the maps of the current epoch,
 * gen & 1, where gen is the generation word that userspace advances
 * (struct flowstat_ctl). After advancing it, userspace waits until no
 * program can still run on the old generation (a kernel grace period),
 * and the old epoch's maps are then its own to read, fold into the
 * cumulative store (core/store.h) and clear. Per-CPU values of the
 * totals and the cache carry the generation that wrote them: a value of
 * an older generation was folded already and counts as empty, so those
 * maps never need clearing.
 */
#define FLOWSTAT_EPOCHS 2

struct flowstat_ctl {
	__u64 gen;		/* the current generation; starts at 2 */
	/*
	 * Sampling (when loaded with it): 1 in sample[e] frames of epoch e,
	 * chosen at random, get flow entries; 0 or 1: every frame. Userspace
	 * sets the next epoch's rate before it advances gen and never
	 * changes the rate of an epoch the data plane may be writing, so
	 * every epoch has one rate.
	 */
	__u32 sample[FLOWSTAT_EPOCHS];
	/* userspace only: the rate the next flip gives the next epoch */
	__u32 sample_next;
	__u32 sample_auto;	/* userspace only: 1: rate by table pressure */
	/*
	 * The match expression in force (attach --match, flowstat match):
	 * 0 none, every frame gets a flow entry; else a version that
	 * changes with every change of expression, whose low bit picks the
	 * rule set of struct match_sets. The fast path remembers the
	 * version that a flow matched under (flow_totals.fast_match).
	 */
	__u32 match;
	__u32 pad;
};

/* --sample N: at most 1 in this many frames */
#define FLOWSTAT_MAX_SAMPLE (1U << 20)

/*
 * totals map of an epoch, indexed by enum flow_dir (per CPU). The counts
 * come first; the rest is this CPU's fast path for the direction, not
 * counts: userspace reads only gen and the counts.
 *
 * The fast path remembers the last flow that went through a cache slot:
 * the bytes of its headers that make its key (fast_sig, under fast_mask,
 * from byte 12 of the frame) and its slot. A frame whose masked header
 * bytes are equal belongs to the same flow, so it is counted in that slot
 * without parsing, hashing or comparing keys, while the slot's tag shows
 * the slot still holds that flow.
 */
struct flow_totals {
	__u64 gen;		/* generation of these counts */
	__u64 packets;		/* every frame the hook saw */
	__u64 bytes;
	__u64 untracked_packets;	/* frames that got no flow entry */
	__u64 untracked_bytes;
	__u64 sampled_out_packets;	/* frames sampling left out */
	__u64 sampled_out_bytes;
	__u64 unmatched_packets;	/* frames the match expression left out */
	__u64 unmatched_bytes;
	__u64 fast_hits;	/* frames counted by the fast path */
	__u64 fast_sig[FAST_WORDS];
	__u64 fast_mask[FAST_WORDS];
	__u64 fast_tag;		/* the slot's tag when remembered; 0: none */
	__u64 clock_base;	/* CLOCK_MONOTONIC ns - jiffies * ns_per_jiffy */
	__u32 fast_slot;
	__u32 slow_slot;	/* slot of the last slow-path frame, plus 1 */
	__u16 fast_min_len;	/* shorter frames take the slow path */
	__u8 fast_words;	/* 4, 6 or 7 words to compare */
	__u8 fast_tcp_off;	/* TCP flags byte offset, 0 if not TCP */
	__u8 fast_shape;	/* which masks fast_mask holds, plus 1 */
	__u8 fast_ip_off;	/* offset of the IP header */
	__u8 fast_iplen_off;	/* of its length field (IPv4 total, IPv6 payload) */
	__u8 fast_ip_hdr;	/* what the field leaves out: IPv6 40, IPv4 0 */
	__u8 pad;
	__u32 fast_match;	/* ctl.match when remembered */
	__u32 pad2;
};

/*
 * One slot of the per-CPU direct-mapped flow cache of an epoch. A flow
 * is always entered in that epoch's flows hash first; the slot then
 * holds counts not yet added to the hash entry (pending). A flow's counts
 * in an epoch are its hash value plus the pending counts of every CPU's
 * slot holding its key with the epoch's generation. A slot of another
 * generation is empty (the array starts zeroed: generation 0).
 */
struct flow_slot {
	struct flow_key key;
	__u64 tag;		/* from the key's hash, never 0 */
	__u64 packets;
	__u64 bytes;
	__u64 ip_bytes;
	__u64 last_seen;
	__u64 gen;		/* generation that holds the slot */
	__u8 tcp_flags;
	__u8 pad[7];
};

/*
 * Security signals (common/signals.bpf.h, core/signals.h): fixed-memory
 * sketches that the ingress programs fill in their slow path, before and
 * whatever becomes of the flow entry, so a full table does not blind
 * them. Time is cut into windows of 2^SIG_WINDOW_SHIFT ns (about 1.07 s)
 * of the coarse monotonic clock; the map holds two copies of every
 * bucket, by window parity, and each bucket says the window that wrote
 * it (older: empty, reset by the next frame). Userspace reads the last
 * complete window's copy, which no program writes until the next window
 * begins: reads take nothing away, so every reader sees the same.
 *
 * Per CPU and window: bucket 0 holds the flows that got no flow entry
 * (an HLL of their keys, to count new flows the table could not take);
 * SIG_SRC_BUCKETS buckets by hash of the source hold an HLL of the
 * destination ports (with protocol) and one of the destinations it
 * sent to; SIG_DST_BUCKETS buckets by hash of the destination hold an
 * HLL of its sources and one of the (source, port) pairs that sent it a
 * SYN without ACK, and the count of those SYNs. addr is the last
 * address that used the bucket: the suspect it names.
 */
#define SIG_WINDOW_SHIFT 30
#define SIG_HLL_BITS 6				/* 64 registers */
#define SIG_HLL_REGS (1 << SIG_HLL_BITS)
#define SIG_SRC_BUCKETS 256
#define SIG_DST_BUCKETS 256
#define SIG_SRC_BASE 1
#define SIG_DST_BASE (SIG_SRC_BASE + SIG_SRC_BUCKETS)
#define SIG_SLOTS (SIG_DST_BASE + SIG_DST_BUCKETS)	/* per window */
#define SIG_ENTRIES (2 * SIG_SLOTS)

struct sig_bucket {
	__u64 window;		/* the window that wrote it */
	__u8 addr[16];		/* last source (src buckets) or destination */
	__u64 syns;		/* dst buckets: SYNs without ACK */
	__u16 ethertype;	/* of addr */
	__u8 pad[6];
	__u8 hll_a[SIG_HLL_REGS];	/* src: dports; dst: sources; 0: keys */
	__u8 hll_b[SIG_HLL_REGS];	/* src: destinations; dst: SYN senders */
};

/*
 * The match expression in the data plane: a rule program over the flow
 * key, compiled from a filter expression (core/filter.h). Rule pc tests
 * one pair of the key's six u64 words (0: src, 1: dst, 2: the rest):
 * (word & mask) == value for both words of the pair; the program goes on
 * at rule yes or no. Jumps go forward only, so a program of n rules runs
 * at most n steps; MATCH_YES and MATCH_NO end it.
 */
#define MATCH_MAX_RULES 256	/* a power of two */
#define MATCH_YES 0xfffe
#define MATCH_NO 0xffff
#define MATCH_TEXT_MAX 2048	/* the expression as typed, with its NUL */

struct match_rule {
	__u64 mask[2];
	__u64 value[2];
	__u16 yes;		/* next rule on a match, or MATCH_YES/NO */
	__u16 no;
	__u8 pair;		/* 0 src, 1 dst, 2 the rest (words 4, 5) */
	__u8 pad[3];
};

struct match_set {
	__u32 n_rules;
	__u32 pad;
	struct match_rule rules[MATCH_MAX_RULES];
	char text[MATCH_TEXT_MAX];	/* for status; the programs skip it */
};

/*
 * Two rule sets, so that a change writes the one not in force and then
 * switches ctl.match over: a program never reads a half-written set.
 */
struct match_sets {
	__u32 last;		/* the latest version used; never reused */
	__u32 pad;
	struct match_set set[2];
};

#define FLOWSTAT_DEFAULT_MAX_FLOWS 65536
#define FLOWSTAT_MIN_MAX_FLOWS 16
#define FLOWSTAT_MAX_MAX_FLOWS (16 * 1024 * 1024)
#define FLOWSTAT_CACHE_SLOTS 4096	/* power of two; per CPU */

/*
 * Map names, as in the BPF objects and as pinned per instance: the
 * epoch maps carry the epoch's digit (flows0, flows1, ...).
 */
#define FLOWSTAT_MAP_FLOWS "flows"
#define FLOWSTAT_MAP_TOTALS "totals"
#define FLOWSTAT_MAP_CACHE "cache"
#define FLOWSTAT_MAP_CTL "ctl"
#define FLOWSTAT_MAP_SIG "sig"
#define FLOWSTAT_MAP_MATCH "match"

/* Each attached interface pins its state in a folder under this root. */
#define FLOWSTAT_PIN_ROOT "/sys/fs/bpf/flowstat"

#endif /* FLOWSTAT_H */
