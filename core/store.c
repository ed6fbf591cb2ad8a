// SPDX-License-Identifier: GPL-2.0
/*
 * The cumulative store (see store.h): layout, the two-version records,
 * the derived key index, free stack and ended queue, folds and their
 * recovery. No system calls here but _exit in the test hook.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store.h"

unsigned long store_crash_countdown;

/* Where a fold may die: the test hook stops the process here. */
static void crash_point(void)
{
	if (store_crash_countdown && !--store_crash_countdown)
		_exit(99);
}

/* Stores other processes may look at after we die: no reordering. */
#define STORE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define LOAD_ONCE(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)

static __u64 pow2_at_least(__u64 n)
{
	__u64 p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static size_t page_up(size_t n)
{
	return (n + STORE_PAGE - 1) & ~(size_t)(STORE_PAGE - 1);
}

/* Room for ENDED records that readers have not seen yet. */
static __u32 reserve_for(__u32 max_flows)
{
	__u32 r = max_flows / 4;

	return r < 1024 ? 1024 : r;
}

struct layout {
	__u32 n_records, index_size, change_size;
	size_t off_records, off_index, off_free, off_fifo, off_changes;
	size_t off_journal, size;
};

static void layout(__u32 max_flows, struct layout *l)
{
	l->n_records = max_flows + reserve_for(max_flows);
	l->index_size = (__u32)pow2_at_least((__u64)l->n_records * 2);
	l->change_size = (__u32)pow2_at_least(l->n_records);
	l->off_records = page_up(sizeof(struct store_header));
	l->off_index = page_up(l->off_records +
			       (size_t)l->n_records * sizeof(struct store_rec));
	l->off_free = page_up(l->off_index + (size_t)l->index_size * 4);
	l->off_fifo = page_up(l->off_free + (size_t)l->n_records * 4);
	l->off_changes = page_up(l->off_fifo + (size_t)l->n_records * 4);
	l->off_journal = page_up(l->off_changes + (size_t)l->change_size * 4);
	l->size = page_up(l->off_journal + STORE_JOURNAL_BYTES);
}

size_t store_bytes(__u32 max_flows)
{
	struct layout l;

	layout(max_flows, &l);
	return l.size;
}

static void point(struct store *st, void *mem)
{
	struct store_header *h = mem;

	st->hdr = h;
	st->recs = (void *)((char *)mem + h->off_records);
	st->index = (void *)((char *)mem + h->off_index);
	st->free = (void *)((char *)mem + h->off_free);
	st->fifo = (void *)((char *)mem + h->off_fifo);
	st->changes = (void *)((char *)mem + h->off_changes);
}

int store_format(void *mem, size_t size, __u32 max_flows)
{
	struct store_header *h = mem;
	struct store st;
	struct layout l;
	__u32 i;

	layout(max_flows, &l);
	if (!max_flows || size < l.size)
		return -EINVAL;
	h->version = STORE_VERSION;
	h->max_flows = max_flows;
	h->n_records = l.n_records;
	h->index_size = l.index_size;
	h->change_size = l.change_size;
	h->size = l.size;
	h->off_records = l.off_records;
	h->off_index = l.off_index;
	h->off_free = l.off_free;
	h->off_fifo = l.off_fifo;
	h->off_changes = l.off_changes;
	h->off_journal = l.off_journal;
	point(&st, mem);
	/* pop order: record 0 first */
	for (i = 0; i < l.n_records; i++)
		st.free[i] = l.n_records - 1 - i;
	h->free_top = l.n_records;
	STORE_ONCE(h->magic, STORE_MAGIC);
	return 0;
}

int store_bind(struct store *st, void *mem, size_t size)
{
	struct store_header *h = mem;
	struct layout l;

	if (size < sizeof(*h) || LOAD_ONCE(h->magic) != STORE_MAGIC ||
	    h->version != STORE_VERSION || !h->max_flows)
		return -EPROTO;
	layout(h->max_flows, &l);
	if (h->size != l.size || size < l.size ||
	    h->n_records != l.n_records || h->index_size != l.index_size ||
	    h->change_size != l.change_size ||
	    h->off_records != l.off_records || h->off_index != l.off_index ||
	    h->off_free != l.off_free || h->off_fifo != l.off_fifo ||
	    h->off_changes != l.off_changes ||
	    h->off_journal != l.off_journal)
		return -EPROTO;
	point(st, mem);
	return 0;
}

/* ---- versions ---- */

/* The newest version marked at most `committed`. */
static int valid_of(__u64 a, __u64 b, __u64 committed)
{
	if (a > committed)
		return 1;
	if (b > committed)
		return 0;
	return b > a;
}

const struct store_hver *store_head(const struct store *st)
{
	const struct store_header *h = st->hdr;
	__u64 c = LOAD_ONCE(h->committed);

	return &h->v[valid_of(h->v[0].seq, h->v[1].seq, c)];
}

const struct store_rver *store_valid(const struct store *st, __u32 rec)
{
	const struct store_rec *r = &st->recs[rec];
	__u64 c = LOAD_ONCE(st->hdr->committed);

	return &r->v[valid_of(r->v[0].seq, r->v[1].seq, c)];
}

struct store_hver *store_hwrite(struct store *st, __u64 s)
{
	struct store_header *h = st->hdr;
	int v = valid_of(h->v[0].seq, h->v[1].seq, h->committed);
	struct store_hver *w = &h->v[!v];

	if (w->seq != s) {
		*w = h->v[v];
		w->seq = s;
		crash_point();
	}
	return w;
}

static void change_append(struct store *st, __u64 s, __u32 rec)
{
	struct store_hver *hw = store_hwrite(st, s);

	st->changes[hw->changes & (st->hdr->change_size - 1)] = rec;
	hw->changes++;
}

/* The version of record rec that fold s writes; noted as a change. */
static struct store_rver *rec_write(struct store *st, __u64 s, __u32 rec)
{
	struct store_rec *r = &st->recs[rec];
	int v = valid_of(r->v[0].seq, r->v[1].seq, st->hdr->committed);
	struct store_rver *w = &r->v[!v];

	if (w->seq != s) {
		*w = r->v[v];
		w->seq = s;
		change_append(st, s, rec);
		crash_point();
	}
	return w;
}

/* The version fold s sees: its own if it wrote one, else the valid one. */
static const struct store_rver *rec_now(const struct store *st, __u64 s,
					__u32 rec)
{
	const struct store_rec *r = &st->recs[rec];

	if (r->v[0].seq == s)
		return &r->v[0];
	if (r->v[1].seq == s)
		return &r->v[1];
	return store_valid(st, rec);
}

/* ---- the key index: linear probing, LIVE records only ---- */

static __u32 key_hash(const struct flow_key *k)
{
	__u64 w[sizeof(*k) / 8], h = 0x9e3779b97f4a7c15ULL;
	size_t i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < sizeof(w) / 8; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return (__u32)(h ^ (h >> 29));
}

/* The bucket holding k, or the empty bucket where it would go. */
static __u32 index_slot(const struct store *st, const struct flow_key *k,
			bool *found)
{
	__u32 mask = st->hdr->index_size - 1, pos = key_hash(k) & mask;

	for (;; pos = (pos + 1) & mask) {
		__u32 e = st->index[pos];

		if (!e)
			break;
		if (!memcmp(&st->recs[e - 1].key, k, sizeof(*k))) {
			*found = true;
			return pos;
		}
	}
	*found = false;
	return pos;
}

void store_prefetch(const struct store *st, const struct flow_key *k,
		    int stage)
{
	__u32 pos = key_hash(k) & (st->hdr->index_size - 1), e;

	if (!stage) {
		__builtin_prefetch(&st->index[pos]);
		return;
	}
	e = st->index[pos];
	if (e)
		__builtin_prefetch(&st->recs[e - 1], 1);
}

static void index_insert(struct store *st, const struct flow_key *k,
			 __u32 rec)
{
	bool found;
	__u32 pos = index_slot(st, k, &found);

	st->index[pos] = rec + 1;
}

/* Remove k; later entries of its run move up (backward shift). */
static void index_delete(struct store *st, const struct flow_key *k)
{
	__u32 mask = st->hdr->index_size - 1, hole, pos, home;
	bool found;

	hole = index_slot(st, k, &found);
	if (!found)
		return;
	st->index[hole] = 0;
	for (pos = (hole + 1) & mask; st->index[pos]; pos = (pos + 1) & mask) {
		home = key_hash(&st->recs[st->index[pos] - 1].key) & mask;
		/* may the entry at pos move to the hole? */
		if (((pos - home) & mask) >= ((pos - hole) & mask)) {
			st->index[hole] = st->index[pos];
			st->index[pos] = 0;
			hole = pos;
		}
	}
}

/* ---- rebuilding the derived tables ---- */

static int by_end_seq(const void *a, const void *b, void *arg)
{
	const struct store *st = arg;
	__u64 x = store_valid(st, *(const __u32 *)a)->end_seq;
	__u64 y = store_valid(st, *(const __u32 *)b)->end_seq;

	return x < y ? -1 : x > y;
}

void store_rebuild(struct store *st)
{
	struct store_header *h = st->hdr;
	__u64 c = h->committed;
	__u32 i, n_fifo = 0;
	int v;

	for (v = 0; v < 2; v++)
		if (h->v[v].seq > c)
			memset(&h->v[v], 0, sizeof(h->v[v]));
	memset(st->index, 0, (size_t)h->index_size * 4);
	h->free_top = 0;
	for (i = 0; i < h->n_records; i++) {
		struct store_rec *r = &st->recs[i];
		const struct store_rver *cur;

		for (v = 0; v < 2; v++)
			if (r->v[v].seq > c)
				memset(&r->v[v], 0, sizeof(r->v[v]));
		cur = store_valid(st, i);
		if (cur->state == REC_LIVE)
			index_insert(st, &r->key, i);
		else if (cur->state == REC_ENDED)
			st->fifo[n_fifo++] = i;
	}
	/* the free stack pops the lowest record first */
	for (i = h->n_records; i-- > 0;)
		if (store_valid(st, i)->state == REC_FREE)
			st->free[h->free_top++] = i;
	qsort_r(st->fifo, n_fifo, sizeof(*st->fifo), by_end_seq, st);
	h->fifo_head = 0;
	h->fifo_tail = n_fifo;
	h->reclaim_n = 0;
}

/* ---- folding ---- */

__u64 store_begin(struct store *st, __u64 min_ack)
{
	struct store_header *h = st->hdr;
	__u64 s = h->committed + 1;

	st->min_ack = min_ack;
	if (h->dirty) {
		store_rebuild(st);
		/* ring entries of the dead fold may have overwritten ones
		 * readers had not read: make every reader read everything */
		store_hwrite(st, s)->changes += h->change_size;
		store_hwrite(st, s)->recoveries++;
	}
	STORE_ONCE(h->dirty, 1);
	h->reclaim_n = 0;
	store_reclaim(st, s);	/* room first: what readers let go */
	return s;
}

/*
 * May fold s end n more flows? Records ended in s are held (not freed
 * at the commit) when a reader has not read fold s yet; held records may
 * fill the room beyond max_flows, no more.
 */
static bool may_end(const struct store *st, __u64 s, __u64 n)
{
	const struct store_header *h = st->hdr;
	__u64 held = h->fifo_tail - h->fifo_head - h->reclaim_n;

	return st->min_ack >= s || held + n <= h->n_records - h->max_flows;
}

/* End record rec in fold s (it is LIVE). */
static void rec_end(struct store *st, __u64 s, __u32 rec, __u8 reason)
{
	struct store_header *h = st->hdr;
	struct store_rver *w = rec_write(st, s, rec);
	struct store_hver *hw = store_hwrite(st, s);
	struct store_counts *dc;
	__u8 dir = st->recs[rec].key.dir;

	w->state = REC_ENDED;
	w->end_seq = s;
	w->end_reason = reason;
	if (dir < FLOW_DIR_MAX) {
		dc = &hw->dir[dir];
		dc->retired_packets += w->packets;
		dc->retired_bytes += w->bytes;
		dc->ended_flows++;
	}
	hw->live--;
	crash_point();
	index_delete(st, &st->recs[rec].key);
	st->fifo[h->fifo_tail++ % h->n_records] = rec;
	crash_point();
}

/*
 * The table is full: end the longest-idle LIVE flows that fold s has not
 * counted yet, about one in 32 of them at once, so that a flood of new
 * flows pays for a scan only now and then. The cutoff comes from a
 * histogram of last-seen times: no memory beyond the store.
 */
static __u64 evict(struct store *st, __u64 s)
{
	struct store_header *h = st->hdr;
	__u64 lo = ~0ULL, hi = 0, want, seen = 0, cut, n = 0, step;
	__u64 hist[64] = { 0 };
	__u32 i;
	int b;

	for (i = 0; i < h->n_records; i++) {
		const struct store_rver *v = rec_now(st, s, i);

		if (v->state != REC_LIVE || v->seq == s)
			continue;
		lo = v->last_seen < lo ? v->last_seen : lo;
		hi = v->last_seen > hi ? v->last_seen : hi;
	}
	if (lo > hi)
		return 0;	/* every flow was counted in this fold */
	step = (hi - lo) / 64 + 1;
	for (i = 0; i < h->n_records; i++) {
		const struct store_rver *v = rec_now(st, s, i);

		if (v->state == REC_LIVE && v->seq != s)
			hist[(v->last_seen - lo) / step]++;
	}
	want = h->max_flows / 32 ? h->max_flows / 32 : 1;
	for (b = 0; b < 63 && seen + hist[b] < want; b++)
		seen += hist[b];
	cut = lo + step * (b + 1) - 1;
	for (i = 0; i < h->n_records && may_end(st, s, 1); i++) {
		const struct store_rver *v = rec_now(st, s, i);

		if (v->state == REC_LIVE && v->seq != s &&
		    v->last_seen <= cut) {
			rec_end(st, s, i, END_RESOURCES);
			n++;
		}
	}
	store_hwrite(st, s)->evicted += n;
	return n;
}

static void untracked(struct store *st, __u64 s, __u8 dir,
		      const struct store_flow *f)
{
	struct store_hver *hw = store_hwrite(st, s);

	if (dir >= FLOW_DIR_MAX)
		return;
	hw->dir[dir].untracked_packets += f->packets;
	hw->dir[dir].untracked_bytes += f->bytes;
}

/* A FREE record for a new flow, or -1. */
static long rec_alloc(struct store *st, __u64 s)
{
	struct store_header *h = st->hdr;

	if (store_hwrite(st, s)->live >= h->max_flows && !evict(st, s))
		return -1;
	if (!h->free_top)
		return -1;
	return st->free[--h->free_top];
}

int store_add(struct store *st, __u64 s, const struct flow_key *k,
	      const struct store_flow *f)
{
	struct store_rver *w;
	struct store_hver *hw;
	bool found;
	__u32 pos = index_slot(st, k, &found);
	__u32 rate = f->rate > 1 ? f->rate : 1;
	long rec;

	if (found) {
		rec = st->index[pos] - 1;
		w = rec_write(st, s, rec);
		w->packets += f->packets;
		w->bytes += f->bytes;
		w->ip_bytes += f->ip_bytes;
		w->est_packets += f->packets * rate;
		w->est_bytes += f->bytes * rate;
		w->rate = rate;
		if (f->first_seen && (!w->first_seen ||
				      f->first_seen < w->first_seen))
			w->first_seen = f->first_seen;
		if (f->last_seen > w->last_seen)
			w->last_seen = f->last_seen;
		w->tcp_flags |= f->tcp_flags;
		crash_point();
		return 0;
	}
	rec = rec_alloc(st, s);
	if (rec < 0) {
		untracked(st, s, k->dir, f);
		return 1;
	}
	crash_point();
	/* FREE in every version fold s can see: the key is ours to set */
	memcpy(&st->recs[rec].key, k, sizeof(*k));
	w = rec_write(st, s, rec);
	hw = store_hwrite(st, s);
	memset(w, 0, sizeof(*w));
	w->seq = s;
	w->state = REC_LIVE;
	w->birth = ++hw->births;
	w->packets = f->packets;
	w->bytes = f->bytes;
	w->ip_bytes = f->ip_bytes;
	w->est_packets = f->packets * rate;
	w->est_bytes = f->bytes * rate;
	w->rate = rate;
	w->first_seen = f->first_seen ? f->first_seen : f->last_seen;
	w->last_seen = f->last_seen;
	w->tcp_flags = f->tcp_flags;
	hw->live++;
	crash_point();
	/* the index may have moved if an eviction deleted from it */
	index_insert(st, k, rec);
	crash_point();
	return 0;
}

__u64 store_end_if(struct store *st, __u64 s, __u64 cutoff, __u8 tcp_mask,
		   __u8 reason, __u64 *packets, __u64 *bytes)
{
	__u64 n = 0;
	__u32 i;

	for (i = 0; i < st->hdr->n_records && may_end(st, s, 1); i++) {
		const struct store_rver *v = rec_now(st, s, i);
		__u8 dir = st->recs[i].key.dir;

		if (v->state != REC_LIVE || v->last_seen > cutoff ||
		    (tcp_mask && !(v->tcp_flags & tcp_mask)))
			continue;
		if (packets && bytes && dir < FLOW_DIR_MAX) {
			packets[dir] += v->packets;
			bytes[dir] += v->bytes;
		}
		rec_end(st, s, i, reason);
		n++;
	}
	return n;
}

__u64 store_end(struct store *st, __u64 s, __u64 cutoff, __u8 reason,
		__u64 *packets, __u64 *bytes)
{
	return store_end_if(st, s, cutoff, 0, reason, packets, bytes);
}

void store_reclaim(struct store *st, __u64 s)
{
	struct store_header *h = st->hdr;
	__u64 pos = h->fifo_head + h->reclaim_n;

	for (; pos < h->fifo_tail; pos++) {
		__u32 rec = st->fifo[pos % h->n_records];
		const struct store_rver *v = rec_now(st, s, rec);
		struct store_rver *w;

		if (v->state != REC_ENDED || v->end_seq > st->min_ack)
			break;
		w = rec_write(st, s, rec);
		w->state = REC_FREE;
		h->reclaim_n++;
		crash_point();
	}
}

void *store_journal(const struct store *st)
{
	return (char *)st->hdr + st->hdr->off_journal;
}

void store_commit(struct store *st, __u64 s)
{
	store_hwrite(st, s)->folds++;
	crash_point();
	store_commit_part(st, s);
}

void store_commit_part(struct store *st, __u64 s)
{
	struct store_header *h = st->hdr;
	__u32 i;

	STORE_ONCE(h->committed, s);
	crash_point();
	/* what the fold freed may be used by the next one */
	for (i = 0; i < h->reclaim_n; i++) {
		st->free[h->free_top++] =
			st->fifo[h->fifo_head % h->n_records];
		h->fifo_head++;
		crash_point();
	}
	h->reclaim_n = 0;
	STORE_ONCE(h->dirty, 0);
}
