// SPDX-License-Identifier: GPL-2.0
/* From snapshots to flow records: see flowexp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "flowexp.h"
#include "store.h"

/* What a flow had when its previous record was made. */
struct mark {
	__u64 instance_id;	/* 0: an empty bucket */
	__u64 birth;
	__u64 packets, bytes, ip_bytes;
	__u64 last_ms;		/* its previous record, or its start */
	__u64 scan;		/* the latest run that saw it */
};

struct flow_export {
	struct mark *tab;
	size_t size;		/* buckets, a power of two */
	size_t used;
	__u64 scan;
	struct flowexp_stats stats;
};

int flowexp_new(struct flow_export **out)
{
	struct flow_export *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	x->size = 1024;
	x->tab = calloc(x->size, sizeof(*x->tab));
	if (!x->tab) {
		free(x);
		return -ENOMEM;
	}
	*out = x;
	return 0;
}

void flowexp_free(struct flow_export *x)
{
	if (!x)
		return;
	free(x->tab);
	free(x);
}

const struct flowexp_stats *flowexp_stats(const struct flow_export *x)
{
	return &x->stats;
}

static size_t bucket(const struct flow_export *x, __u64 id, __u64 birth)
{
	__u64 h = (id ^ (birth * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;

	return (h >> 17) & (x->size - 1);
}

static struct mark *find(struct flow_export *x, __u64 id, __u64 birth)
{
	size_t i = bucket(x, id, birth);

	for (; x->tab[i].instance_id; i = (i + 1) & (x->size - 1))
		if (x->tab[i].instance_id == id && x->tab[i].birth == birth)
			return &x->tab[i];
	return &x->tab[i];	/* the empty bucket where it would go */
}

static int grow(struct flow_export *x)
{
	struct mark *old = x->tab;
	size_t n = x->size, i;

	x->tab = calloc(n * 2, sizeof(*x->tab));
	if (!x->tab) {
		x->tab = old;
		return -ENOMEM;
	}
	x->size = n * 2;
	for (i = 0; i < n; i++)
		if (old[i].instance_id)
			*find(x, old[i].instance_id, old[i].birth) = old[i];
	free(old);
	return 0;
}

/* Remove bucket i, moving later ones of its run back (no tombstones). */
static void erase(struct flow_export *x, size_t i)
{
	size_t j = i, mask = x->size - 1, home;

	for (;;) {
		x->tab[i].instance_id = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!x->tab[j].instance_id)
				goto done;
			home = bucket(x, x->tab[j].instance_id,
				      x->tab[j].birth);
			/* stays if its home is cyclically in (i, j] */
			if (i <= j ? (i < home && home <= j) :
				     (i < home || home <= j))
				continue;
			break;
		}
		x->tab[i] = x->tab[j];
		i = j;
	}
done:
	x->used--;
}

static __u64 ms_of(double unix_s)
{
	return unix_s > 0 ? (__u64)(unix_s * 1000.0) : 0;
}

void flowexp_record(const struct snapshot *s, const struct flow_rec *r,
		    const struct flowexp_opts *o, __u64 packets, __u64 bytes,
		    __u64 ip_bytes, __u8 reason, struct ipfix_flow *f)
{
	const struct iface_rec *ir = &s->ifaces[r->iface];
	__u64 now = ms_of(s->time), start = ms_of(r->first_seen),
	      end = ms_of(r->last_seen);

	memset(f, 0, sizeof(*f));
	f->key = r->key;
	f->ifindex = ir->meta.ifindex;
	f->domain = o->fixed_domain ? o->domain_id : ir->meta.ifindex;
	f->packets = packets;
	f->l2_bytes = bytes;
	f->l3_bytes = ip_bytes;
	/* never ahead of now, never before the epoch, start <= end */
	if (!end || end > now)
		end = now;
	if (!start || start > end)
		start = end;
	f->start_ms = start;
	f->end_ms = end;
	f->tcp_flags = r->tcp_flags;
	f->end_reason = reason;
	/* raw counts with their rate: the collector scales them */
	f->sample_rate = r->sample_rate > 1 ? r->sample_rate : 1;
}

static int emit_delta(struct flow_export *x, const struct snapshot *s,
		      const struct flow_rec *r, struct mark *m,
		      const struct flowexp_opts *o, __u8 reason,
		      flowexp_emit emit, void *ctx)
{
	struct ipfix_flow f;
	int err;

	if (r->packets <= m->packets)
		return 0;	/* nothing new: no record */
	flowexp_record(s, r, o, r->packets - m->packets,
		       r->bytes - m->bytes, r->ip_bytes - m->ip_bytes, reason,
		       &f);
	err = emit(ctx, &f);
	if (err)
		return err;
	m->packets = r->packets;
	m->bytes = r->bytes;
	m->ip_bytes = r->ip_bytes;
	m->last_ms = ms_of(s->time);
	if (reason <= END_RESOURCES)
		x->stats.records[reason]++;
	return 1;
}

long flowexp_run(struct flow_export *x, const struct snapshot *s,
		 const struct flowexp_opts *o, bool shutdown,
		 flowexp_emit emit, void *ctx)
{
	__u64 now = ms_of(s->time);
	long n = 0;
	size_t i;
	int err;

	x->scan++;
	for (i = 0; i < s->n_flows; i++) {
		const struct flow_rec *r = &s->flows[i];
		__u64 id = s->ifaces[r->iface].meta.instance_id | 1;
		struct mark *m;
		__u8 reason;

		if (!ipfix_exportable(&r->key))
			continue;
		if (x->used * 4 >= x->size * 3 && grow(x))
			return -ENOMEM;
		m = find(x, id, r->birth);
		if (!m->instance_id) {
			memset(m, 0, sizeof(*m));
			m->instance_id = id;
			m->birth = r->birth;
			m->last_ms = ms_of(r->first_seen);
			x->used++;
		}
		m->scan = x->scan;
		if (r->ended)
			reason = r->end_reason ? r->end_reason : END_IDLE;
		else if (shutdown)
			reason = END_FORCED;
		else if (now >= m->last_ms + o->active_ms)
			reason = END_ACTIVE;
		else
			continue;
		err = emit_delta(x, s, r, m, o, reason, emit, ctx);
		if (err < 0)
			return err;
		n += err;
		if (r->ended)
			erase(x, m - x->tab);
	}
	/* flows no longer in any snapshot: their interface went away */
	for (i = 0; i < x->size; i++)
		while (x->tab[i].instance_id && x->tab[i].scan != x->scan)
			erase(x, i);
	x->stats.flows = x->used;
	return n;
}
