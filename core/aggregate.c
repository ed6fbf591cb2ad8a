// SPDX-License-Identifier: GPL-2.0
/*
 * Aggregation of snapshot flows into rows (see aggregate.h). Pure data
 * code over snapshots: no maps, no terminal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"

const char *const agg_mode_names[AGG_MODES] = {
	[AGG_FLOW] = "flow", [AGG_HOST_PAIR] = "host pair",
	[AGG_SRC_HOST] = "source host", [AGG_DST_HOST] = "destination host",
	[AGG_PORT] = "port", [AGG_PROTO] = "protocol",
	[AGG_IFACE] = "interface",
};

const char *const agg_sort_names[AGG_SORTS] = {
	[AGG_SORT_IFACE] = "iface", [AGG_SORT_DIR] = "dir",
	[AGG_SORT_PROTO] = "proto", [AGG_SORT_SRC] = "source",
	[AGG_SORT_DST] = "destination", [AGG_SORT_FLOWS] = "flows",
	[AGG_SORT_PACKETS] = "packets", [AGG_SORT_BYTES] = "bytes",
	[AGG_SORT_PPS] = "pps", [AGG_SORT_RATE] = "rate",
};

unsigned int agg_mode_fields(enum agg_mode mode)
{
	switch (mode) {
	case AGG_FLOW:
		return AGG_F_DIR | AGG_F_PROTO | AGG_F_SRC | AGG_F_SPORT |
		       AGG_F_DST | AGG_F_DPORT | AGG_F_VLAN | AGG_F_FLAGS |
		       AGG_F_ETHERTYPE;
	case AGG_HOST_PAIR:
		return AGG_F_SRC | AGG_F_DST | AGG_F_ETHERTYPE;
	case AGG_SRC_HOST:
		return AGG_F_SRC | AGG_F_ETHERTYPE;
	case AGG_DST_HOST:
		return AGG_F_DST | AGG_F_ETHERTYPE;
	case AGG_PORT:
		return AGG_F_PROTO | AGG_F_DPORT | AGG_F_ETHERTYPE;
	case AGG_PROTO:
		return AGG_F_PROTO | AGG_F_ETHERTYPE;
	case AGG_IFACE:
	case AGG_MODES:
		break;
	}
	return AGG_F_DIR;
}

/*
 * The service side of a flow is taken to be its lower port: clients
 * pick ephemeral (high) ports, servers listen on low ones.
 */
static __u16 service_port(const struct flow_key *k)
{
	if (!flow_has_ports(k))
		return 0;
	if (!k->sport || (k->dport && k->dport < k->sport))
		return k->dport;
	return k->sport;
}

/* The group key of a flow: its key with the summed-over fields zeroed. */
static void group_key(const struct flow_key *k, enum agg_mode mode,
		      unsigned int fields, struct flow_key *g)
{
	bool addrs = flow_has_addrs(k);

	memset(g, 0, sizeof(*g));
	if (fields & AGG_F_ETHERTYPE)
		g->ethertype = k->ethertype;
	if (fields & AGG_F_DIR)
		g->dir = k->dir;
	if (fields & AGG_F_PROTO) {
		g->proto = k->proto;
		g->flags |= k->flags & FLOW_F_L4;
	}
	if (addrs && (fields & AGG_F_SRC))
		memcpy(g->src, k->src, sizeof(g->src));
	if (addrs && (fields & AGG_F_DST))
		memcpy(g->dst, k->dst, sizeof(g->dst));
	if (addrs)	/* so that addr_text() shows the kept addresses */
		g->flags |= FLOW_F_L4;
	if (mode == AGG_FLOW) {
		*g = *k;
		return;
	}
	if (mode == AGG_PORT && flow_has_ports(k)) {
		g->dport = service_port(k);
		g->flags |= FLOW_F_PORTS;
	}
}

static __u32 group_hash(int iface, const struct flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = 2166136261u ^ (__u32)iface;
	size_t i;

	for (i = 0; i < sizeof(*k) / 4; i++) {
		h ^= w[i];
		h *= 16777619u;
		h ^= h >> 15;
	}
	return h;
}

static int grow(void **buf, size_t bytes)
{
	void *p = realloc(*buf, bytes);

	if (!p)
		return -ENOMEM;
	*buf = p;
	return 0;
}

static int table_reserve(struct agg_table *t, size_t n, bool index)
{
	size_t cap = 16;
	void *p;

	if (n > t->cap) {
		if (grow((void **)&t->rows, n * sizeof(*t->rows)) ||
		    grow((void **)&t->order, n * sizeof(*t->order)))
			return -ENOMEM;
		t->cap = n;
	}
	if (!index)
		return 0;
	while (cap < 2 * n)
		cap <<= 1;
	if (cap > t->index_cap) {
		p = realloc(t->index, cap * sizeof(*t->index));
		if (!p)
			return -ENOMEM;
		t->index = p;
		t->index_cap = cap;
	}
	memset(t->index, 0, t->index_cap * sizeof(*t->index));
	return 0;
}

/* The row of group (iface, g), added empty if new. */
static struct agg_row *group_row(struct agg_table *t, int iface,
				 const struct flow_key *g, unsigned int fields)
{
	size_t mask = t->index_cap - 1, i = group_hash(iface, g) & mask;
	struct agg_row *r;

	for (; t->index[i]; i = (i + 1) & mask) {
		r = &t->rows[t->index[i] - 1];
		if (r->iface == iface && !memcmp(&r->key, g, sizeof(*g)))
			return r;
	}
	r = &t->rows[t->n++];
	t->index[i] = (__u32)t->n;
	memset(r, 0, sizeof(*r));
	r->key = *g;
	r->iface = iface;
	r->fields = fields;
	return r;
}

static void scale_rates(struct agg_row *r, double scale)
{
	int w;

	for (w = 0; w < RATE_WINDOWS; w++) {
		r->pps[w] *= scale;
		r->bps[w] *= scale;
	}
}

static void row_add(struct agg_row *r, const struct flow_rec *f)
{
	double scale = flow_rec_scale(f);
	int w;

	if (!r->n_flows || f->first_seen < r->first_seen)
		r->first_seen = f->first_seen;
	if (f->last_seen > r->last_seen)
		r->last_seen = f->last_seen;
	r->n_flows++;
	r->packets += flow_est_packets(f);
	r->bytes += flow_est_bytes(f);
	r->tcp_flags |= f->tcp_flags;
	r->sampled |= flow_rec_sampled(f);
	for (w = 0; w < RATE_WINDOWS; w++) {
		r->pps[w] += f->pps[w] * scale;
		r->bps[w] += f->bps[w] * scale;
	}
}

int aggregate(const struct snapshot *s, enum agg_mode mode, int iface,
	      const struct filter *f, struct agg_table *t)
{
	unsigned int fields = agg_mode_fields(mode);
	/* flows are distinct: one row each, no grouping needed */
	bool grouped = mode != AGG_FLOW;
	struct agg_row *r;
	struct flow_key g;
	size_t i;

	if (table_reserve(t, s->n_flows ? s->n_flows : 1, grouped))
		return -ENOMEM;
	t->n = 0;
	t->settled_lo = t->settled_hi = 0;
	for (i = 0; i < s->n_flows; i++) {
		const struct flow_rec *fr = &s->flows[i];

		if (iface >= 0 && fr->iface != iface)
			continue;
		if (f && !filter_match(f, iface_rec_name(&s->ifaces[fr->iface]),
				       &fr->key))
			continue;
		if (grouped) {
			group_key(&fr->key, mode, fields, &g);
			row_add(group_row(t, fr->iface, &g, fields), fr);
			continue;
		}
		/* one flow: its own counts, no sums (most of a refresh) */
		r = &t->rows[t->n++];
		r->key = fr->key;
		r->iface = fr->iface;
		r->fields = fields;
		r->n_flows = 1;
		r->packets = flow_est_packets(fr);
		r->bytes = flow_est_bytes(fr);
		r->sampled = flow_rec_sampled(fr);
		memcpy(r->pps, fr->pps, sizeof(r->pps));
		memcpy(r->bps, fr->bps, sizeof(r->bps));
		if (r->sampled)
			scale_rates(r, flow_rec_scale(fr));
		r->first_seen = fr->first_seen;
		r->last_seen = fr->last_seen;
		r->tcp_flags = fr->tcp_flags;
	}
	return 0;
}

void agg_free(struct agg_table *t)
{
	free(t->rows);
	free(t->order);
	free(t->index);
	memset(t, 0, sizeof(*t));
}

/* ---- rates and sorting ---- */

/* Lifetime of a row for its average rate: at least one second. */
static double lifetime(const struct agg_row *r, double now)
{
	double span = now - r->first_seen;

	return span > 1.0 ? span : 1.0;
}

double agg_pps(const struct agg_row *r, int window, double now)
{
	if (window >= 0 && window < RATE_WINDOWS)
		return r->pps[window];
	return r->packets / lifetime(r, now);
}

double agg_bps(const struct agg_row *r, int window, double now)
{
	if (window >= 0 && window < RATE_WINDOWS)
		return r->bps[window];
	return r->bytes * 8.0 / lifetime(r, now);
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

static int addr_cmp(const struct agg_row *a, const struct agg_row *b,
		    bool dst)
{
	int r = CMP(a->key.ethertype, b->key.ethertype);

	if (!r)
		r = memcmp(dst ? a->key.dst : a->key.src,
			   dst ? b->key.dst : b->key.src, 16);
	if (!r)
		r = dst ? CMP(a->key.dport, b->key.dport) :
			  CMP(a->key.sport, b->key.sport);
	return r;
}

/* Natural order of a column: names ascending, numbers descending. */
static int column_cmp(const struct agg_order_by *c, const struct agg_row *a,
		      const struct agg_row *b)
{
	switch (c->by) {
	case AGG_SORT_IFACE: return CMP(a->iface, b->iface);
	case AGG_SORT_DIR: return CMP(a->key.dir, b->key.dir);
	case AGG_SORT_PROTO:
		return CMP(a->key.ethertype, b->key.ethertype) ?:
		       CMP(a->key.proto, b->key.proto);
	case AGG_SORT_SRC: return addr_cmp(a, b, false);
	case AGG_SORT_DST: return addr_cmp(a, b, true);
	case AGG_SORT_FLOWS: return CMP(b->n_flows, a->n_flows);
	case AGG_SORT_PACKETS: return CMP(b->packets, a->packets);
	case AGG_SORT_BYTES: return CMP(b->bytes, a->bytes);
	case AGG_SORT_PPS:
		return CMP(agg_pps(b, c->window, c->now),
			   agg_pps(a, c->window, c->now));
	case AGG_SORT_RATE:
		return CMP(agg_bps(b, c->window, c->now),
			   agg_bps(a, c->window, c->now));
	case AGG_SORTS:
		break;
	}
	return 0;
}

/*
 * The order of ties, the same whatever the sort and its direction, so
 * rows stay put: interface, IPv4 (and non-IP) before IPv6, source
 * address, source port, destination address and port, then the rest of
 * the key.
 */
static int tie_cmp(const struct agg_row *a, const struct agg_row *b)
{
	return CMP(a->iface, b->iface) ?:
	       CMP(a->key.ethertype == 0x86dd, b->key.ethertype == 0x86dd) ?:
	       memcmp(a->key.src, b->key.src, sizeof(a->key.src)) ?:
	       CMP(a->key.sport, b->key.sport) ?:
	       memcmp(a->key.dst, b->key.dst, sizeof(a->key.dst)) ?:
	       CMP(a->key.dport, b->key.dport) ?:
	       memcmp(&a->key, &b->key, sizeof(a->key));
}

/*
 * The first 64 bits of tie_cmp()'s order: interface (8 bits), IPv6 (1),
 * then an IPv4 source address and port (48), or the first 7 bytes of an
 * IPv6 source address. Equal prefixes fall back to tie_cmp().
 */
static __u64 tie_prefix(const struct agg_row *r)
{
	const __u8 *a = r->key.src;
	bool v6 = r->key.ethertype == 0x86dd;
	__u64 iface = r->iface > 255 ? 255 : (__u64)r->iface;
	__u64 t = iface << 56 | (__u64)v6 << 55;
	int i;

	if (!v6)
		return t | (__u64)a[0] << 47 | (__u64)a[1] << 39 |
		       (__u64)a[2] << 31 | (__u64)a[3] << 23 |
		       (__u64)r->key.sport << 7;
	for (i = 0; i < 6; i++)
		t |= (__u64)a[i] << (47 - 8 * i);
	return t | a[6] >> 1;
}

struct order_ctx {
	const struct agg_order_by *ob;
	const struct agg_row *rows;
};

/* Rows are read only on a tie of value and prefix (rare): the items
 * alone decide almost every comparison. */
static inline int item_cmp(const struct agg_sort_item *x,
			   const struct agg_sort_item *y,
			   const struct order_ctx *c)
{
	const struct agg_row *a = &c->rows[x->row], *b = &c->rows[y->row];
	int r = x->numeric ? CMP(y->value, x->value) :
			     column_cmp(c->ob, a, b);

	if (r)
		return r * c->ob->sign;
	r = CMP(x->tie, y->tie);
	return r ? r : tie_cmp(a, b);
}

static int item_qsort_cmp(const void *pa, const void *pb, void *arg)
{
	return item_cmp(pa, pb, arg);
}

/* The value of a numeric column; false for the others. */
static bool sort_value(const struct agg_order_by *c, const struct agg_row *r,
		       double *v)
{
	switch (c->by) {
	case AGG_SORT_FLOWS: *v = r->n_flows; return true;
	case AGG_SORT_PACKETS: *v = r->packets; return true;
	case AGG_SORT_BYTES: *v = r->bytes; return true;
	case AGG_SORT_PPS: *v = agg_pps(r, c->window, c->now); return true;
	case AGG_SORT_RATE: *v = agg_bps(r, c->window, c->now); return true;
	default: return false;
	}
}

void agg_order(struct agg_table *t, enum agg_sort by, int window,
	       bool reverse, double now)
{
	struct agg_order_by ob = { .by = by, .window = window,
				   .sign = reverse ? -1 : 1, .now = now };
	size_t i;

	t->ob = ob;
	t->settled_lo = t->settled_hi = 0;
	for (i = 0; i < t->n; i++) {
		struct agg_sort_item *it = &t->order[i];

		it->row = (__u32)i;
		it->numeric = sort_value(&ob, &t->rows[i], &it->value);
		it->tie = tie_prefix(&t->rows[i]);
	}
}

static void item_swap(struct agg_sort_item *a, size_t i, size_t j)
{
	struct agg_sort_item tmp = a[i];

	a[i] = a[j];
	a[j] = tmp;
}

/* The index of the median of a[i], a[j], a[k]. */
static size_t median3(struct agg_sort_item *a, size_t i, size_t j, size_t k,
		      const struct order_ctx *c)
{
	if (item_cmp(&a[i], &a[j], c) < 0)
		return item_cmp(&a[j], &a[k], c) < 0 ? j :
		       item_cmp(&a[i], &a[k], c) < 0 ? k : i;
	return item_cmp(&a[i], &a[k], c) < 0 ? i :
	       item_cmp(&a[j], &a[k], c) < 0 ? k : j;
}

/*
 * Partial selection (Hoare's quickselect): rearrange a[lo, hi) so that
 * a[k] holds the item of that rank, those before it come first and those
 * after it last. Items are distinct (the order is total). Expected O(n);
 * the pivot is a median of three spread by a cheap generator, so sorted
 * or adversarial rows do not make it quadratic in practice.
 */
static void select_nth(struct agg_sort_item *a, size_t lo, size_t hi,
		       size_t k, const struct order_ctx *c)
{
	__u32 seed = 2463534242u;
	size_t i, store, p;

	while (hi - lo > 8) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		p = median3(a, lo, lo + seed % (hi - lo), hi - 1, c);
		item_swap(a, p, hi - 1);
		for (i = store = lo; i < hi - 1; i++)
			if (item_cmp(&a[i], &a[hi - 1], c) < 0)
				item_swap(a, i, store++);
		item_swap(a, store, hi - 1);
		if (store == k)
			return;
		if (k < store)
			hi = store;
		else
			lo = store + 1;
	}
	qsort_r(a + lo, hi - lo, sizeof(*a), item_qsort_cmp, (void *)c);
}

/* Ranks [lo, hi) to their place within a[from, to), which holds them. */
static void place(struct agg_table *t, size_t from, size_t to, size_t lo,
		  size_t hi)
{
	struct order_ctx c = { .ob = &t->ob, .rows = t->rows };

	if (lo > from)
		select_nth(t->order, from, to, lo, &c);
	if (hi < to)
		select_nth(t->order, lo, to, hi, &c);
	qsort_r(t->order + lo, hi - lo, sizeof(*t->order), item_qsort_cmp,
		&c);
}

/*
 * Invariant: the items before settled_lo all come before those in the
 * settled range, and those after settled_hi after it. A range next to or
 * overlapping the settled one only adds its new part (page down costs a
 * selection in what lies below the screen).
 */
void agg_settle(struct agg_table *t, size_t lo, size_t hi)
{
	size_t slo = t->settled_lo, shi = t->settled_hi;

	if (hi > t->n)
		hi = t->n;
	if (lo >= hi || (lo >= slo && hi <= shi))
		return;
	if (slo == shi || hi < slo || lo > shi) {
		place(t, lo > shi && slo < shi ? shi : 0,
		      hi < slo ? slo : t->n, lo, hi);
		t->settled_lo = lo;
		t->settled_hi = hi;
		return;
	}
	if (lo < slo) {
		place(t, 0, slo, lo, slo);
		t->settled_lo = lo;
	}
	if (hi > shi) {
		place(t, shi, t->n, shi, hi);
		t->settled_hi = hi;
	}
}

void agg_sort(struct agg_table *t, enum agg_sort by, int window,
	      bool reverse, double now)
{
	agg_order(t, by, window, reverse, now);
	agg_settle(t, 0, t->n);
}

/* The row number of the group of like, or -1. */
static long find_row(const struct agg_table *t, const struct agg_row *like)
{
	size_t mask = t->index_cap - 1, i;
	const struct agg_row *r;

	if (like->fields == agg_mode_fields(AGG_FLOW) || !t->index_cap) {
		for (i = 0; i < t->n; i++)
			if (t->rows[i].iface == like->iface &&
			    t->rows[i].fields == like->fields &&
			    !memcmp(&t->rows[i].key, &like->key,
				    sizeof(like->key)))
				return (long)i;
		return -1;
	}
	for (i = group_hash(like->iface, &like->key) & mask; t->index[i];
	     i = (i + 1) & mask) {
		r = &t->rows[t->index[i] - 1];
		if (r->iface == like->iface && r->fields == like->fields &&
		    !memcmp(&r->key, &like->key, sizeof(like->key)))
			return (long)t->index[i] - 1;
	}
	return -1;
}

long agg_find(const struct agg_table *t, const struct agg_row *like)
{
	struct order_ctx c = { .ob = &t->ob, .rows = t->rows };
	const struct agg_sort_item *it = NULL;
	long row = find_row(t, like);
	size_t i, rank = 0;

	if (row < 0)
		return -1;
	for (i = 0; i < t->n && !it; i++)
		if (t->order[i].row == (__u32)row)
			it = &t->order[i];
	if (!it)
		return -1;
	/* its rank: the items before it in the order */
	for (i = 0; i < t->n; i++)
		rank += item_cmp(&t->order[i], it, &c) < 0;
	return (long)rank;
}
