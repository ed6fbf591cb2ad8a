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

/*
 * What qsort moves: a row number with the row's sort value and the start
 * of its tie order (tie_prefix()), so that most comparisons touch no row
 * (rows are big and scattered; with 100,000 that is most of the cost).
 */
struct agg_sort_item {
	double value;		/* numeric columns, larger first */
	__u64 tie;		/* tie_prefix() */
	__u32 row;
	__u32 numeric;
};

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
		    grow((void **)&t->spare, n * sizeof(*t->spare)) ||
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

static void row_add(struct agg_row *r, const struct flow_rec *f)
{
	int w;

	if (!r->n_flows || f->first_seen < r->first_seen)
		r->first_seen = f->first_seen;
	if (f->last_seen > r->last_seen)
		r->last_seen = f->last_seen;
	r->n_flows++;
	r->packets += f->packets;
	r->bytes += f->bytes;
	r->tcp_flags |= f->tcp_flags;
	for (w = 0; w < RATE_WINDOWS; w++) {
		r->pps[w] += f->pps[w];
		r->bps[w] += f->bps[w];
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
		r = &t->rows[t->n++];
		memset(r, 0, sizeof(*r));
		r->key = fr->key;
		r->iface = fr->iface;
		r->fields = fields;
		row_add(r, fr);
	}
	return 0;
}

void agg_free(struct agg_table *t)
{
	free(t->rows);
	free(t->spare);
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

struct sort_ctx {
	enum agg_sort by;
	int window;
	int sign;		/* -1: reversed */
	double now;
	const struct agg_row *rows;
};

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
static int column_cmp(const struct sort_ctx *c, const struct agg_row *a,
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

static int row_cmp(const void *pa, const void *pb, void *arg)
{
	const struct agg_sort_item *x = pa, *y = pb;
	const struct sort_ctx *c = arg;
	const struct agg_row *a = &c->rows[x->row], *b = &c->rows[y->row];
	int r = x->numeric ? CMP(y->value, x->value) : column_cmp(c, a, b);

	r *= c->sign;
	if (!r)
		r = CMP(x->tie, y->tie);
	return r ? r : tie_cmp(a, b);
}

/* The value of a numeric column; false for the others. */
static bool sort_value(const struct sort_ctx *c, const struct agg_row *r,
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

void agg_sort(struct agg_table *t, enum agg_sort by, int window,
	      bool reverse, double now)
{
	struct sort_ctx c = { .by = by, .window = window,
			      .sign = reverse ? -1 : 1, .now = now,
			      .rows = t->rows };
	struct agg_row *tmp;
	size_t i;

	if (t->n < 2)
		return;
	for (i = 0; i < t->n; i++) {
		struct agg_sort_item *it = &t->order[i];

		it->row = (__u32)i;
		it->numeric = sort_value(&c, &t->rows[i], &it->value);
		it->tie = tie_prefix(&t->rows[i]);
	}
	qsort_r(t->order, t->n, sizeof(*t->order), row_cmp, &c);
	for (i = 0; i < t->n; i++)
		t->spare[i] = t->rows[t->order[i].row];
	tmp = t->rows;
	t->rows = t->spare;
	t->spare = tmp;
}

long agg_find(const struct agg_table *t, const struct agg_row *like)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->rows[i].iface == like->iface &&
		    t->rows[i].fields == like->fields &&
		    !memcmp(&t->rows[i].key, &like->key, sizeof(like->key)))
			return (long)i;
	return -1;
}
