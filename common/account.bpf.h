/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The maps of one flowstat instance and the per-packet accounting.
 *
 * Cost is the product, so the common case touches no hash map: a per-CPU
 * direct-mapped cache (flow_cache, inlined array lookups) counts packets
 * of flows it holds; the flows hash is touched when a flow is new, when
 * its slot is taken by another flow, or when its slot is busy with
 * another flow (then the packet is counted in the hash directly).
 * Every frame is counted in totals first; a frame that can get no flow
 * entry is counted as untracked, so per direction:
 *   totals == sum(flows hash) + sum(pending in flow_cache) + untracked
 *            (+ retired, which userspace gc moves flows into).
 */
#ifndef FLOWSTAT_ACCOUNT_BPF_H
#define FLOWSTAT_ACCOUNT_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "flowstat.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_value);
	__uint(max_entries, FLOWSTAT_DEFAULT_MAX_FLOWS);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct flow_totals);
	__uint(max_entries, FLOW_DIR_MAX);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct flow_slot);
	__uint(max_entries, FLOWSTAT_CACHE_SLOTS);
} flow_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct flow_retired);
	__uint(max_entries, FLOW_DIR_MAX);
} retired SEC(".maps");

/* flow_cache entries - 1; set by userspace together with the map size. */
const volatile __u32 cache_mask = FLOWSTAT_CACHE_SLOTS - 1;

/* A slot whose flow has been quiet this long may be given to another. */
#define SLOT_IDLE_NS (2 * 1000 * 1000ULL)

static __always_inline __u32 flow_hash(const struct flow_key *k)
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
	h *= 0xff51afd7ed558ccdULL;
	return h >> 32;
}

static __always_inline int flow_key_eq(const struct flow_key *a,
				       const struct flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		(x[3] ^ y[3]) | (x[4] ^ y[4]) | (x[5] ^ y[5])) == 0;
}

static __always_inline void count_untracked(struct flow_totals *t,
					    __u64 packets, __u64 bytes)
{
	t->untracked_packets += packets;
	t->untracked_bytes += bytes;
}

/*
 * Add counts to a flow's hash entry, creating it if needed. Returns 0, or
 * non-zero when the flow could get no entry (the map is full).
 */
static __always_inline int flow_add(const struct flow_key *k, __u64 packets,
				    __u64 bytes, __u64 now, __u8 tcp_flags)
{
	struct flow_value *v, nv = {};
	int i;

PARSE_UNROLL
	for (i = 0; i < 2; i++) {
		v = bpf_map_lookup_elem(&flows, k);
		if (v) {
			v->packets += packets;
			v->bytes += bytes;
			if (!v->first_seen)
				v->first_seen = now;
			if (now > v->last_seen)
				v->last_seen = now;
			v->tcp_flags |= tcp_flags;
			return 0;
		}
		nv.packets = packets;
		nv.bytes = bytes;
		nv.first_seen = now;
		nv.last_seen = now;
		nv.tcp_flags = tcp_flags;
		if (!bpf_map_update_elem(&flows, k, &nv, BPF_NOEXIST))
			return 0;
		/* EEXIST: another CPU entered it first; add to that entry */
	}
	return -1;
}

/* Move a slot's pending counts into the flow's hash entry. */
static __always_inline void slot_flush(struct flow_slot *s,
				       struct flow_totals *t)
{
	if (s->packets && flow_add(&s->key, s->packets, s->bytes,
				   s->last_seen, s->tcp_flags))
		count_untracked(t, s->packets, s->bytes);
	s->used = 0;
}

/* Count one frame of flow k, len bytes long, in direction k->dir. */
static __always_inline void flow_count(struct flow_key *k, __u64 len,
				       __u8 tcp_flags)
{
	struct flow_totals *t;
	struct flow_slot *s;
	__u32 dir = k->dir, idx;
	__u64 now;

	t = bpf_map_lookup_elem(&totals, &dir);
	if (!t)
		return;
	t->packets++;
	t->bytes += len;
	now = bpf_ktime_get_coarse_ns();

	idx = flow_hash(k) & cache_mask;
	s = bpf_map_lookup_elem(&flow_cache, &idx);
	if (!s) {
		if (flow_add(k, 1, len, now, tcp_flags))
			count_untracked(t, 1, len);
		return;
	}
	if (s->used && flow_key_eq(&s->key, k)) {
		s->packets++;
		s->bytes += len;
		s->last_seen = now;
		s->tcp_flags |= tcp_flags;
		return;
	}
	/* A miss. Enter the flow in the hash with this frame counted. */
	if (flow_add(k, 1, len, now, tcp_flags)) {
		count_untracked(t, 1, len);
		return;
	}
	/* Take the slot only from a flow that has gone quiet. */
	if (s->used) {
		if (now - s->last_seen < SLOT_IDLE_NS)
			return;
		slot_flush(s, t);
	}
	__builtin_memcpy(&s->key, k, sizeof(*k));
	s->packets = 0;
	s->bytes = 0;
	s->last_seen = now;
	s->tcp_flags = 0;
	s->used = 1;
}

#endif /* FLOWSTAT_ACCOUNT_BPF_H */
