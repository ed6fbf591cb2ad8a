/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps of one flowstat instance and the per-packet accounting.
 *
 * Cost is the product, so the common case touches no hash map: a per-CPU
 * direct-mapped cache (cache0/1, inlined array lookups) counts packets
 * of flows it holds; the flows hash is touched when a flow is new, when
 * its slot is taken by another flow, or when its slot is busy with
 * another flow (then the packet is counted in the hash directly).
 * In front of the cache, the fast path (see struct flow_totals) counts a
 * frame of the last flow seen without parsing it.
 *
 * Every map that counts exists once per epoch (common/flowstat.h): the
 * programs read the generation word once per frame and use only that
 * epoch's maps. Each program body is compiled once per epoch, with the
 * epoch a constant, so that every map operation names one map and the
 * verifier inlines it (the BPF build keeps clang from merging the two
 * copies back into one call on a chosen map).
 *
 * Every frame is counted in totals first; a frame that sampling leaves
 * out is counted as sampled_out, one that the match expression leaves
 * out as unmatched, and one that can get no flow entry as untracked, so
 * per direction and epoch:
 *   totals == sum(flows hash) + sum(pending in the cache) + untracked
 *             + unmatched + sampled_out.
 */
#ifndef FLOWSTAT_ACCOUNT_BPF_H
#define FLOWSTAT_ACCOUNT_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "flowstat.h"
#include "parse.bpf.h"

#ifndef E2BIG
#define E2BIG 7
#endif
#ifndef EEXIST
#define EEXIST 17
#endif

#define FLOWS_MAP(name)                                                 \
	struct {                                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);                  \
		__type(key, struct flow_key);                            \
		__type(value, struct flow_value);                        \
		__uint(max_entries, FLOWSTAT_DEFAULT_MAX_FLOWS);         \
	} name SEC(".maps")
#define TOTALS_MAP(name)                                                \
	struct {                                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                 \
		__type(key, __u32);                                      \
		__type(value, struct flow_totals);                       \
		__uint(max_entries, FLOW_DIR_MAX);                       \
	} name SEC(".maps")
#define CACHE_MAP(name)                                                 \
	struct {                                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                 \
		__type(key, __u32);                                      \
		__type(value, struct flow_slot);                         \
		__uint(max_entries, FLOWSTAT_CACHE_SLOTS);               \
	} name SEC(".maps")

FLOWS_MAP(flows0);
FLOWS_MAP(flows1);
TOTALS_MAP(totals0);
TOTALS_MAP(totals1);
CACHE_MAP(cache0);
CACHE_MAP(cache1);

/* The maps of epoch e, a constant after inlining. */
#define FLOWS(e) ((e) ? (void *)&flows1 : (void *)&flows0)
#define TOTALS(e) ((e) ? (void *)&totals1 : (void *)&totals0)
#define CACHE(e) ((e) ? (void *)&cache1 : (void *)&cache0)

/*
 * The generation word (struct flowstat_ctl), a global of its own section
 * so that the XDP and tc objects of an instance share one map, which
 * userspace maps into memory and advances.
 */
struct flowstat_ctl ctl SEC(".data.ctl") = { .gen = 2 };

/*
 * The match expression's two rule sets (common/flowstat.h), a global of
 * its own section too: shared like ctl, written by userspace (mapped),
 * and read here without a map lookup.
 */
struct match_sets match_sets SEC(".data.match");

/* cache entries - 1; set by userspace together with the map size. */
const volatile __u32 cache_mask = FLOWSTAT_CACHE_SLOTS - 1;
/*
 * Nanoseconds per jiffy of the running kernel, asked by userspace at
 * load (core/clock.h); 0 leaves the fast path off. Nothing here needs
 * the kernel's config.
 */
const volatile __u32 ns_per_jiffy;

/*
 * 1: the instance samples (attach --sample): the rate is read from the
 * generation word of each epoch. 0 (the default): no frame is left out,
 * and the test costs one predictable branch on a constant.
 */
const volatile __u32 sampling;

/* A slot whose flow has been quiet this long may be given to another. */
#define SLOT_IDLE_NS (2 * 1000 * 1000ULL)

static __always_inline __u64 current_gen(void)
{
	return *(volatile __u64 *)&ctl.gen;
}

/* The slot index is the high half; the low half (made odd) is the tag. */
static __always_inline __u64 flow_hash(const struct flow_key *k)
{
	const __u64 *w = (const __u64 *)k;
	__u64 h;

	h = w[0] * 0x9e3779b97f4a7c15ULL;
	h ^= w[1] * 0xc2b2ae3d27d4eb4fULL;
	h ^= w[2] * 0x165667b19e3779f9ULL;
	h ^= w[3] * 0x27d4eb2f165667c5ULL;
	h ^= w[4] * 0x94d049bb133111ebULL;
	h ^= w[5] * 0xbf58476d1ce4e5b9ULL;
	/* products carry low bits upward only: fold the high bits down */
	h ^= h >> 29;
	return h * 0xff51afd7ed558ccdULL;
}

static __always_inline int flow_key_eq(const struct flow_key *a,
				       const struct flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		(x[3] ^ y[3]) | (x[4] ^ y[4]) | (x[5] ^ y[5])) == 0;
}

static __always_inline __u32 current_match(void)
{
	return *(volatile __u32 *)&ctl.match;
}

/*
 * Run the rule program of set m & 1 over key k: 1 if k matches. Jumps
 * go forward, so MATCH_MAX_RULES steps always reach the end; a program
 * that did not (a broken set) leaves the frame unmatched. A global
 * function: the verifier checks it once, on its own, and not again with
 * the rest of the caller for every way out of the loop.
 */
__noinline int match_key(const struct flow_key *k, __u32 m)
{
	const struct match_set *ms = &match_sets.set[m & 1];
	__u64 w[6];
	__u32 pc = 0, i;

	if (!k)
		return 0;
	__builtin_memcpy(w, k, sizeof(w));
	for (i = 0; i < MATCH_MAX_RULES; i++) {
		const struct match_rule *r;
		__u32 idx = pc;
		__u64 a, b;

		if (idx >= MATCH_MAX_RULES)
			break;
		/* a bound the verifier sees: clang drops a mask it proves */
		asm volatile("" : "+r"(idx));
		r = &ms->rules[idx & (MATCH_MAX_RULES - 1)];
		if (r->pair == 0) {
			a = w[0];
			b = w[1];
		} else if (r->pair == 1) {
			a = w[2];
			b = w[3];
		} else {
			a = w[4];
			b = w[5];
		}
		if (((a & r->mask[0]) ^ r->value[0]) |
		    ((b & r->mask[1]) ^ r->value[1]))
			pc = r->no;
		else
			pc = r->yes;
	}
	return pc == MATCH_YES;
}

/*
 * With an expression in force (m, read once per frame), a frame whose
 * key does not match is counted as unmatched: returns 1, and the frame
 * gets no flow entry.
 */
static __always_inline int match_skip(struct flow_totals *t, __u32 m,
				      const struct flow_key *k, __u64 len)
{
	if (!m || match_key(k, m))
		return 0;
	t->unmatched_packets++;
	t->unmatched_bytes += len;
	return 1;
}

static __always_inline void count_untracked(struct flow_totals *t,
					    __u64 packets, __u64 bytes)
{
	t->untracked_packets += packets;
	t->untracked_bytes += bytes;
}

/*
 * This CPU's totals for direction dir in epoch e, reset when they still
 * hold an older generation (folded already), with the frame counted.
 */
static __always_inline struct flow_totals *totals_count(const int e,
							__u64 gen, __u32 dir,
							__u64 len)
{
	struct flow_totals *t = bpf_map_lookup_elem(TOTALS(e), &dir);

	if (!t)
		return NULL;
	if (t->gen != gen) {
		t->gen = gen;
		t->packets = 0;
		t->bytes = 0;
		t->untracked_packets = 0;
		t->untracked_bytes = 0;
		t->sampled_out_packets = 0;
		t->sampled_out_bytes = 0;
		t->unmatched_packets = 0;
		t->unmatched_bytes = 0;
		t->fast_hits = 0;
		t->fast_tag = 0;
		t->slow_slot = 0;
	}
	t->packets++;
	t->bytes += len;
	return t;
}

/*
 * Sampling, before anything else looks at the frame (the fast path
 * too): with rate N in epoch e, a frame gets a flow entry with
 * probability 1/N, decided by a random number (not every N-th frame, so
 * periodic traffic cannot line up with it). A frame left out is counted
 * as sampled_out. Returns 1 when the frame is left out.
 */
static __always_inline int sample_out(const int e, struct flow_totals *t,
				      __u64 len)
{
	__u32 rate;

	if (!sampling)
		return 0;
	rate = *(volatile __u32 *)&ctl.sample[e];
	if (rate <= 1 || bpf_get_prandom_u32() % rate == 0)
		return 0;
	t->sampled_out_packets++;
	t->sampled_out_bytes += len;
	return 1;
}

static __always_inline void value_add(struct flow_value *v, __u64 packets,
				      __u64 bytes, __u64 ip_bytes, __u64 now,
				      __u8 tcp_flags)
{
	v->packets += packets;
	v->bytes += bytes;
	v->ip_bytes += ip_bytes;
	if (!v->first_seen)
		v->first_seen = now;
	if (now > v->last_seen)
		v->last_seen = now;
	v->tcp_flags |= tcp_flags;
}

/*
 * Add counts to a flow's hash entry in epoch e, creating it if needed.
 * Returns 0, or non-zero when the flow could get no entry. A full table
 * costs one lookup and one failed update: only a lost race with another
 * CPU entering the same flow (EEXIST) is worth a second look.
 */
static __always_inline int flow_add(const int e, const struct flow_key *k,
				    __u64 packets, __u64 bytes, __u64 ip_bytes,
				    __u64 now, __u8 tcp_flags)
{
	struct flow_value *v, nv = {};
	long err;

	v = bpf_map_lookup_elem(FLOWS(e), k);
	if (v) {
		value_add(v, packets, bytes, ip_bytes, now, tcp_flags);
		return 0;
	}
	nv.packets = packets;
	nv.bytes = bytes;
	nv.ip_bytes = ip_bytes;
	nv.first_seen = now;
	nv.last_seen = now;
	nv.tcp_flags = tcp_flags;
	err = bpf_map_update_elem(FLOWS(e), k, &nv, BPF_NOEXIST);
	if (!err)
		return 0;
	if (err != -EEXIST)
		return -1;	/* E2BIG: the table is full */
	v = bpf_map_lookup_elem(FLOWS(e), k);
	if (!v)
		return -1;
	value_add(v, packets, bytes, ip_bytes, now, tcp_flags);
	return 0;
}

/* Move a slot's pending counts into the flow's hash entry. */
static __always_inline void slot_flush(const int e, struct flow_slot *s,
				       struct flow_totals *t)
{
	if (s->packets && flow_add(e, &s->key, s->packets, s->bytes,
				   s->ip_bytes, s->last_seen, s->tcp_flags))
		count_untracked(t, s->packets, s->bytes);
	s->gen = 0;
}

/*
 * Count one frame of flow k, len bytes long (ip of them IP bytes), in
 * direction k->dir of
 * epoch e (t is that direction's totals, already counting it). Returns
 * the cache slot that now holds the flow and sets *tag, or returns -1.
 */
static __always_inline int flow_count(const int e, __u64 gen,
				      struct flow_totals *t,
				      const struct flow_key *k, __u64 len,
				      __u64 ip, __u8 tcp_flags, __u64 now,
				      __u64 *tag)
{
	__u64 h = flow_hash(k);
	struct flow_slot *s;
	__u32 idx = (h >> 32) & cache_mask;

	s = bpf_map_lookup_elem(CACHE(e), &idx);
	if (!s) {
		if (flow_add(e, k, 1, len, ip, now, tcp_flags))
			count_untracked(t, 1, len);
		return -1;
	}
	if (s->gen == gen && flow_key_eq(&s->key, k)) {
		s->packets++;
		s->bytes += len;
		s->ip_bytes += ip;
		s->last_seen = now;
		s->tcp_flags |= tcp_flags;
		*tag = s->tag;
		return idx;
	}
	/* A miss. Enter the flow in the hash with this frame counted. */
	if (flow_add(e, k, 1, len, ip, now, tcp_flags)) {
		count_untracked(t, 1, len);
		return -1;
	}
	/* Take the slot only from a flow that has gone quiet. */
	if (s->gen == gen) {
		if (now - s->last_seen < SLOT_IDLE_NS)
			return -1;
		slot_flush(e, s, t);
	}
	__builtin_memcpy(&s->key, k, sizeof(*k));
	s->tag = h | 1;
	s->packets = 0;
	s->bytes = 0;
	s->ip_bytes = 0;
	s->last_seen = now;
	s->tcp_flags = 0;
	s->gen = gen;
	*tag = s->tag;
	return idx;
}

/* ---- the fast path ---- */

struct fast_shape {
	__u64 mask[FAST_WORDS];
	__u8 words;
	__u8 tcp_off;
	__u16 min_len;
};

/*
 * The header bytes that make the key of the frames the fast path takes:
 * IPv4 without options or IPv6 without extension headers, behind 0 to 2
 * VLAN tags, carrying TCP, UDP or UDP-Lite, SCTP, ICMP or ICMPv6, not a
 * fragment. Masks over the 8-byte words from frame byte 12 (loaded
 * little-endian), generated from the header offsets below: exactly the
 * bits the parser (parse.bpf.h) reads into the key, so that a frame that
 * differs in any of them takes the slow path and one that differs
 * elsewhere does not. Index: family * 12 + tags * 4 + kind.
 */

/* Bits of word i covered by the n bytes at frame offset off (shift
 * counts kept in range, also in the branch not taken). */
#define FAST_W0(i)	(12 + 8 * (i))
#define FAST_LO(i, off)	((off) > FAST_W0(i) ? (off) : FAST_W0(i))
#define FAST_HI(i, off, n) \
	((off) + (n) < FAST_W0(i) + 8 ? (off) + (n) : FAST_W0(i) + 8)
#define FAST_BYTES(i, off, n)						\
	(FAST_HI(i, off, n) <= FAST_LO(i, off) ? 0ULL :		\
	 (~0ULL >> ((64 - 8 * (FAST_HI(i, off, n) - FAST_LO(i, off))) & 63)) \
		 << ((8 * (FAST_LO(i, off) - FAST_W0(i))) & 63))
/* The bits v of the one byte at off, if it is in word i. */
#define FAST_BITS(i, off, v)						\
	((off) >= FAST_W0(i) && (off) < FAST_W0(i) + 8 ?		\
	 (__u64)(v) << ((8 * ((off) - FAST_W0(i))) & 63) : 0ULL)

/* Tag k (from 0): the TPID, and the VLAN id (12 bits of the TCI). */
#define FAST_TAG(i, tags, k)						\
	((k) < (tags) ? FAST_BYTES(i, 12 + 4 * (k), 2) |		\
			FAST_BITS(i, 14 + 4 * (k), 0x0f) |		\
			FAST_BYTES(i, 15 + 4 * (k), 1) : 0ULL)
#define FAST_L3(tags)	(14 + 4 * (tags))
/* IPv4: version and header length; MF and the fragment offset (not DF
 * or the reserved bit); protocol; both addresses. */
#define FAST_IPV4(i, l3)						\
	(FAST_BYTES(i, l3, 1) | FAST_BITS(i, (l3) + 6, 0x3f) |		\
	 FAST_BYTES(i, (l3) + 7, 1) | FAST_BYTES(i, (l3) + 9, 1) |	\
	 FAST_BYTES(i, (l3) + 12, 8))
/* IPv6: next header, both addresses. */
#define FAST_IPV6(i, l3)						\
	(FAST_BYTES(i, (l3) + 6, 1) | FAST_BYTES(i, (l3) + 8, 32))
#define FAST_L4(v6, tags)	(FAST_L3(tags) + ((v6) ? 40 : 20))
/* kind 3 (ICMP): type and code; others: both ports. */
#define FAST_PORTS(v6, tags, kind) ((kind) == 3 ? 2 : 4)
#define FAST_MASK(i, v6, tags, kind)					\
	(FAST_TAG(i, tags, 0) | FAST_TAG(i, tags, 1) |			\
	 FAST_BYTES(i, 12 + 4 * (tags), 2) |				\
	 ((v6) ? FAST_IPV6(i, FAST_L3(tags)) :				\
		 FAST_IPV4(i, FAST_L3(tags))) |				\
	 FAST_BYTES(i, FAST_L4(v6, tags), FAST_PORTS(v6, tags, kind)))
/* Words to compare: 4, 6 or 7 (fast_count reads them so), enough to
 * cover the last key byte. */
#define FAST_NEED(v6, tags, kind)					\
	((FAST_L4(v6, tags) + FAST_PORTS(v6, tags, kind) - 12 + 7) / 8)
#define FAST_WORDS_OF(v6, tags, kind)					\
	(FAST_NEED(v6, tags, kind) <= 4 ? 4 :				\
	 FAST_NEED(v6, tags, kind) <= 6 ? 6 : 7)
/* The transport header the parser needs whole (parse_l4): tcp 20, udp
 * 8, sctp 12, icmp 4; and the words compared. */
#define FAST_L4_NEED(kind)						\
	((kind) == 0 ? 20 : (kind) == 1 ? 8 : (kind) == 2 ? 12 : 4)
#define FAST_MIN_LEN(v6, tags, kind)					\
	(FAST_L4(v6, tags) + FAST_L4_NEED(kind) >			\
	 12 + 8 * FAST_WORDS_OF(v6, tags, kind) ?			\
	 FAST_L4(v6, tags) + FAST_L4_NEED(kind) :			\
	 12 + 8 * FAST_WORDS_OF(v6, tags, kind))
#define FAST_SHAPE(v6, tags, kind)					\
	{ { FAST_MASK(0, v6, tags, kind), FAST_MASK(1, v6, tags, kind),	\
	    FAST_MASK(2, v6, tags, kind), FAST_MASK(3, v6, tags, kind),	\
	    FAST_MASK(4, v6, tags, kind), FAST_MASK(5, v6, tags, kind),	\
	    FAST_MASK(6, v6, tags, kind) },				\
	  FAST_WORDS_OF(v6, tags, kind),				\
	  (kind) == 0 ? FAST_L4(v6, tags) + 13 : 0,			\
	  FAST_MIN_LEN(v6, tags, kind) }
#define FAST_SHAPES_OF(v6, tags)					\
	FAST_SHAPE(v6, tags, 0), FAST_SHAPE(v6, tags, 1),		\
	FAST_SHAPE(v6, tags, 2), FAST_SHAPE(v6, tags, 3)

static const struct fast_shape fast_shapes[24] = {
	FAST_SHAPES_OF(0, 0), FAST_SHAPES_OF(0, 1), FAST_SHAPES_OF(0, 2),
	FAST_SHAPES_OF(1, 0), FAST_SHAPES_OF(1, 1), FAST_SHAPES_OF(1, 2),
};

enum fast_kind { FAST_TCP, FAST_UDP, FAST_SCTP, FAST_ICMP, FAST_NONE };

static __always_inline int fast_kind(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return FAST_TCP;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return FAST_UDP;
	case IPPROTO_SCTP:
		return FAST_SCTP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return FAST_ICMP;
	}
	return FAST_NONE;
}

/*
 * After the slow path counted a frame of flow k in slot idx at time now
 * (coarse clock): remember the flow for the fast path if the frame has
 * one of the shapes above and the flow repeats (the last slow-path frame
 * went to the same slot), so that rotating flows do not pay for it.
 * tags: the VLAN tags in the frame itself; m: the match version that
 * the flow matched under (the fast path stops when it changes).
 */
static __always_inline void fast_remember(struct flow_totals *t, void *data,
					  void *end, const struct flow_key *k,
					  int tags, __u32 idx, __u64 tag,
					  __u64 now, __u32 m)
{
	int kind = fast_kind(k->proto), i, shape;
	const __u64 *w = data + 12;
	const struct fast_shape *sh;
	__u8 *l3;

	if (t->slow_slot != idx + 1) {
		/* Flows take turns: stop trying the fast path for now. */
		t->slow_slot = idx + 1;
		t->fast_tag = 0;
		return;
	}
	if (!ns_per_jiffy || kind == FAST_NONE || tags < 0 || tags > 2 ||
	    (k->flags & (FLOW_F_FRAGMENT | FLOW_F_TRUNCATED)) ||
	    !(k->flags & FLOW_F_PORTS))
		return;
	l3 = data + 14 + 4 * tags;
	if ((void *)(l3 + 7) > end)
		return;
	if (k->ethertype == 0x0800 && l3[0] == 0x45)
		shape = kind;
	else if (k->ethertype == 0x86dd && l3[6] == k->proto)
		shape = 12 + kind;	/* no extension headers */
	else
		return;
	shape += tags * 4;
	if (shape < 0 || shape >= 24)
		return;
	sh = &fast_shapes[shape];
	if (data + sh->min_len > end)	/* min_len covers the words */
		return;
	/* Masks are zero past sh->words: what is left there does not count. */
PARSE_UNROLL
	for (i = 0; i < FAST_WORDS; i++)
		if (i < sh->words && (void *)(w + i + 1) <= end)
			t->fast_sig[i] = w[i] & sh->mask[i];
	if (t->fast_shape != shape + 1) {	/* rotating flows: rarely */
PARSE_UNROLL
		for (i = 0; i < FAST_WORDS; i++)
			t->fast_mask[i] = sh->mask[i];
		t->fast_shape = shape + 1;
	}
	/*
	 * The fast path reads the clock as jiffies (an inlined load) scaled
	 * to ns and put on the coarse clock's base, which is kept here.
	 */
	t->clock_base = now - bpf_jiffies64() * ns_per_jiffy;
	t->fast_words = sh->words;
	t->fast_ip_off = 14 + 4 * tags;
	t->fast_iplen_off = t->fast_ip_off + (shape >= 12 ? 4 : 2);
	t->fast_ip_hdr = shape >= 12 ? 40 : 0;
	t->fast_tcp_off = sh->tcp_off;
	t->fast_min_len = sh->min_len;
	t->fast_slot = idx;
	t->fast_match = m;
	t->fast_tag = tag;
}

/*
 * Count the frame in the remembered flow's slot if its header bytes are
 * the remembered ones, the slot still holds that flow and the match
 * expression has not changed since the flow matched it. Returns 1 when
 * counted. t already counts the frame.
 */
static __always_inline int fast_count(const int e, __u64 gen,
				      struct flow_totals *t, void *data,
				      void *end, __u64 len)
{
	const __u64 *w = data + 12;
	struct flow_slot *s;
	__u64 diff;
	__u8 tcp_flags = 0, *fl, *ipl;
	__u64 ip, room;
	__u32 off;

	if (!t->fast_tag || t->fast_match != current_match() ||
	    data + t->fast_min_len > end || (void *)(w + 4) > end)
		return 0;
	diff = ((w[0] ^ t->fast_sig[0]) & t->fast_mask[0]) |
	       ((w[1] ^ t->fast_sig[1]) & t->fast_mask[1]) |
	       ((w[2] ^ t->fast_sig[2]) & t->fast_mask[2]) |
	       ((w[3] ^ t->fast_sig[3]) & t->fast_mask[3]);
	if (t->fast_words > 4) {
		if ((void *)(w + 6) > end)
			return 0;
		diff |= ((w[4] ^ t->fast_sig[4]) & t->fast_mask[4]) |
			((w[5] ^ t->fast_sig[5]) & t->fast_mask[5]);
		if (t->fast_words > 6) {
			if ((void *)(w + 7) > end)
				return 0;
			diff |= (w[6] ^ t->fast_sig[6]) & t->fast_mask[6];
		}
	}
	if (diff)
		return 0;
	s = bpf_map_lookup_elem(CACHE(e), &t->fast_slot);
	if (!s || s->tag != t->fast_tag || s->gen != gen)
		return 0;
	off = t->fast_tcp_off & 0x7f;
	if (off) {
		fl = data + off;
		if ((void *)(fl + 1) > end)
			return 0;
		tcp_flags = *fl;
	}
	/*
	 * The IP length field (IPv4 total length, IPv6 payload length); the
	 * frame is longer than the IP header's offset (44 bytes, above).
	 */
	ipl = data + (t->fast_iplen_off & 0x1f);
	if ((void *)(ipl + 2) > end)
		return 0;
	room = len - t->fast_ip_off;
	ip = ((__u32)ipl[0] << 8 | ipl[1]) + t->fast_ip_hdr;
	if (ip == t->fast_ip_hdr || ip > room)
		ip = room;	/* as parse_ip_bytes() */
	s->packets++;
	s->bytes += len;
	s->ip_bytes += ip;
	s->last_seen = bpf_jiffies64() * ns_per_jiffy + t->clock_base;
	s->tcp_flags |= tcp_flags;
	t->fast_hits++;
	return 1;
}

#endif /* FLOWSTAT_ACCOUNT_BPF_H */
