// SPDX-License-Identifier: GPL-2.0
/*
 * The collector: map reads in, snapshots out. A scan reads each flows hash
 * (batch lookups), then the per-CPU flow cache whose pending counts belong
 * to the flows, then totals and retired; collector_feed() sums the per-CPU
 * values, merges the cache, keeps cumulative counts monotonic and derives
 * deltas and windowed rates from a short history per flow, found through a
 * hash table keyed by (interface, flow key) so that 100,000 flows stay
 * cheap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "iface.h"
#include "log.h"
#include "netns.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* kernel-internal, but bpf() returns it */
#endif

#define SAMPLES 4	/* per rate window; spaced at half the window */
#define BATCH_CHUNK 4096

static const double window_sec[RATE_WINDOWS] = { 2, 10, 40 };

/* Cumulative counts at the sample times of each window's ring. */
struct rate_hist {
	__u64 packets[RATE_WINDOWS][SAMPLES];
	__u64 bytes[RATE_WINDOWS][SAMPLES];
};

/* The sample times, shared by every flow and interface. */
struct sampler {
	double t[RATE_WINDOWS][SAMPLES];
	int head[RATE_WINDOWS];		/* newest sample */
	int n[RATE_WINDOWS];		/* samples held */
};

struct flow_hist {
	struct flow_key key;
	int iface;
	__u32 hash;
	__u32 gen;		/* last scan that saw the flow */
	__u32 fresh;		/* created in this scan */
	size_t rec;		/* its flow_rec in this scan's snapshot */
	__u64 packets, bytes;	/* last reported cumulative counts */
	double first_seen;	/* monotonic ns: tells incarnations apart */
	struct rate_hist rh;
};

struct iface_state {
	struct flowstat_meta meta;
	struct rate_hist rh[FLOW_DIR_MAX];
	struct flow_key *keys;	/* read buffers, reused between scans */
	void *values;
	size_t cap;
	void *slots;
};

struct collector {
	struct instance *insts;		/* NULL: a synthetic collector */
	struct iface_state *ifs;
	struct scan_input *in;
	int n_ifaces;
	int ncpus;
	bool kernel_counters;
	struct flow_hist *ents;		/* dense; index[] holds i + 1 */
	size_t n_ents, cap_ents;
	__u32 *index;
	size_t index_cap;		/* power of two, >= 2 * n_ents */
	__u32 gen;
	unsigned long scans;
	__u64 prev_mono;
	struct sampler smp;
};

/* ---- the history table ---- */

static __u32 key_hash(int iface, const struct flow_key *k)
{
	__u64 w[sizeof(*k) / 8], h = 0x9e3779b97f4a7c15ULL * (iface + 1);
	size_t i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < sizeof(w) / 8; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return (__u32)(h ^ (h >> 29));
}

static int index_rebuild(struct collector *c, size_t cap)
{
	__u32 *index = calloc(cap, sizeof(*index));
	size_t i, mask = cap - 1;

	if (!index)
		return -ENOMEM;
	for (i = 0; i < c->n_ents; i++) {
		size_t pos = c->ents[i].hash & mask;

		while (index[pos])
			pos = (pos + 1) & mask;
		index[pos] = (__u32)(i + 1);
	}
	free(c->index);
	c->index = index;
	c->index_cap = cap;
	return 0;
}

static struct flow_hist *hist_find(struct collector *c, int iface,
				   const struct flow_key *k, __u32 hash)
{
	size_t mask = c->index_cap - 1, pos;

	if (!c->index_cap)
		return NULL;
	for (pos = hash & mask; c->index[pos]; pos = (pos + 1) & mask) {
		struct flow_hist *e = &c->ents[c->index[pos] - 1];

		if (e->hash == hash && e->iface == iface &&
		    !memcmp(&e->key, k, sizeof(*k)))
			return e;
	}
	return NULL;
}

static struct flow_hist *hist_add(struct collector *c, int iface,
				  const struct flow_key *k, __u32 hash)
{
	struct flow_hist *e;
	size_t pos, mask;

	if (c->n_ents == c->cap_ents) {
		size_t cap = c->cap_ents ? c->cap_ents * 2 : 1024;

		e = realloc(c->ents, cap * sizeof(*e));
		if (!e)
			return NULL;
		c->ents = e;
		c->cap_ents = cap;
	}
	if ((c->n_ents + 1) * 2 > c->index_cap &&
	    index_rebuild(c, c->index_cap ? c->index_cap * 2 : 2048))
		return NULL;
	e = &c->ents[c->n_ents];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->iface = iface;
	e->hash = hash;
	e->fresh = 1;
	mask = c->index_cap - 1;
	for (pos = hash & mask; c->index[pos]; pos = (pos + 1) & mask)
		;
	c->index[pos] = (__u32)++c->n_ents;
	return e;
}

/* Forget the flows this scan did not see (aged out, or interface gone). */
static int hist_drop_stale(struct collector *c)
{
	size_t i, kept = 0;

	for (i = 0; i < c->n_ents; i++) {
		if (c->ents[i].gen != c->gen)
			continue;
		if (kept != i)
			c->ents[kept] = c->ents[i];
		kept++;
	}
	if (kept == c->n_ents)
		return 0;
	c->n_ents = kept;
	return index_rebuild(c, c->index_cap);
}

/* ---- rates ---- */

/* The sample of window w to measure from: the newest at least w old. */
static int sample_pick(const struct sampler *s, int w, double now)
{
	int j, idx = -1;

	for (j = 0; j < s->n[w]; j++) {
		idx = (s->head[w] - j + SAMPLES) % SAMPLES;
		if (now - s->t[w][idx] >= window_sec[w] * 0.95)
			break;
	}
	return idx;
}

static void rates(const struct sampler *s, const struct rate_hist *rh,
		  __u64 packets, __u64 bytes, double now, double *pps,
		  double *bps)
{
	int w, idx;

	for (w = 0; w < RATE_WINDOWS; w++) {
		double dt;

		pps[w] = bps[w] = 0;
		idx = sample_pick(s, w, now);
		if (idx < 0)
			continue;
		dt = now - s->t[w][idx];
		if (dt <= 0)
			continue;
		if (packets >= rh->packets[w][idx])
			pps[w] = (packets - rh->packets[w][idx]) / dt;
		if (bytes >= rh->bytes[w][idx])
			bps[w] = (bytes - rh->bytes[w][idx]) * 8.0 / dt;
	}
}

/* Which windows take a new sample now; advances the rings. */
static unsigned int sampler_advance(struct sampler *s, double now)
{
	unsigned int pushed = 0;
	int w;

	for (w = 0; w < RATE_WINDOWS; w++) {
		if (s->n[w] &&
		    now - s->t[w][s->head[w]] < window_sec[w] / 2 * 0.95)
			continue;
		s->head[w] = (s->head[w] + 1) % SAMPLES;
		s->t[w][s->head[w]] = now;
		if (s->n[w] < SAMPLES)
			s->n[w]++;
		pushed |= 1u << w;
	}
	return pushed;
}

static void hist_record(const struct sampler *s, unsigned int pushed,
			struct rate_hist *rh, __u64 packets, __u64 bytes)
{
	int w;

	for (w = 0; w < RATE_WINDOWS; w++) {
		if (!(pushed & (1u << w)))
			continue;
		rh->packets[w][s->head[w]] = packets;
		rh->bytes[w][s->head[w]] = bytes;
	}
}

/* A history that says "this count all along": no rate yet. */
static void hist_fill(struct rate_hist *rh, __u64 packets, __u64 bytes)
{
	int w, j;

	for (w = 0; w < RATE_WINDOWS; w++)
		for (j = 0; j < SAMPLES; j++) {
			rh->packets[w][j] = packets;
			rh->bytes[w][j] = bytes;
		}
}

/* ---- merging ---- */

void flow_value_sum(const void *percpu, int ncpus, struct flow_value *sum)
{
	const size_t stride = PERCPU_STRIDE(struct flow_value);
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct flow_value *v = (const void *)
			((const char *)percpu + cpu * stride);

		sum->packets += v->packets;
		sum->bytes += v->bytes;
		if (v->first_seen &&
		    (!sum->first_seen || v->first_seen < sum->first_seen))
			sum->first_seen = v->first_seen;
		if (v->last_seen > sum->last_seen)
			sum->last_seen = v->last_seen;
		sum->tcp_flags |= v->tcp_flags;
	}
}

/* Flows of the hash: one flow_rec each, linked to its history. */
static int feed_flows(struct collector *c, int iface,
		      const struct scan_input *in, struct snapshot *snap)
{
	const size_t stride = PERCPU_STRIDE(struct flow_value) * in->ncpus;
	size_t i;

	for (i = 0; i < in->n_flows; i++) {
		const struct flow_key *k = &in->keys[i];
		__u32 hash = key_hash(iface, k);
		struct flow_hist *h = hist_find(c, iface, k, hash);
		struct flow_rec *r = &snap->flows[snap->n_flows];
		struct flow_value v;

		if (!h)
			h = hist_add(c, iface, k, hash);
		if (!h)
			return -ENOMEM;
		if (h->gen == c->gen)
			continue;	/* listed twice by a racing walk */
		flow_value_sum((const char *)in->values + i * stride,
			       in->ncpus, &v);
		memset(r, 0, sizeof(*r));
		r->key = *k;
		r->iface = iface;
		r->packets = v.packets;
		r->bytes = v.bytes;
		r->first_seen = (double)v.first_seen;
		r->last_seen = (double)v.last_seen;
		r->tcp_flags = v.tcp_flags;
		h->gen = c->gen;
		h->rec = snap->n_flows++;
	}
	return 0;
}

/*
 * Add the cache's pending counts to their flows. A slot whose flow the
 * hash read did not return (entered after it, or just aged out) is left
 * for the next scan: under-counting briefly beats double counting.
 */
static void feed_cache(struct collector *c, int iface,
		       const struct scan_input *in, struct snapshot *snap)
{
	const size_t stride = PERCPU_STRIDE(struct flow_slot);
	size_t i, n = in->n_slots * in->ncpus;

	for (i = 0; i < n; i++) {
		const struct flow_slot *s = (const void *)
			((const char *)in->slots + i * stride);
		struct flow_hist *h;
		struct flow_rec *r;

		if (!s->used || (!s->packets && !s->bytes))
			continue;
		h = hist_find(c, iface, &s->key, key_hash(iface, &s->key));
		if (!h || h->gen != c->gen)
			continue;
		r = &snap->flows[h->rec];
		r->packets += s->packets;
		r->bytes += s->bytes;
		if ((double)s->last_seen > r->last_seen)
			r->last_seen = (double)s->last_seen;
		r->tcp_flags |= s->tcp_flags;
	}
}

static double mono_to_unix(double mono_ns, __u64 now_ns, double real)
{
	if (mono_ns <= 0)
		return 0;
	return real - ((double)now_ns - mono_ns) / 1e9;
}

/* Monotonic cumulative counts, deltas, rates and Unix times per flow. */
static void finish_flows(struct collector *c, struct snapshot *snap,
			 __u64 now_ns, unsigned int pushed)
{
	double now = now_ns / 1e9;
	size_t i;

	for (i = 0; i < c->n_ents; i++) {
		struct flow_hist *h = &c->ents[i];
		struct flow_rec *r;

		if (h->gen != c->gen)
			continue;
		r = &snap->flows[h->rec];
		if (h->fresh && !c->scans) {
			hist_fill(&h->rh, r->packets, r->bytes);
		} else if (h->fresh || r->first_seen != h->first_seen) {
			/* a new flow, or aged out and back: counts restart */
			memset(&h->rh, 0, sizeof(h->rh));
			h->packets = h->bytes = 0;
		}
		if (r->packets < h->packets)
			r->packets = h->packets;
		if (r->bytes < h->bytes)
			r->bytes = h->bytes;
		r->delta_packets = c->scans ? r->packets - h->packets : 0;
		r->delta_bytes = c->scans ? r->bytes - h->bytes : 0;
		rates(&c->smp, &h->rh, r->packets, r->bytes, now, r->pps,
		      r->bps);
		hist_record(&c->smp, pushed, &h->rh, r->packets, r->bytes);
		h->packets = r->packets;
		h->bytes = r->bytes;
		h->first_seen = r->first_seen;
		h->fresh = 0;
		r->first_seen = mono_to_unix(r->first_seen, now_ns, snap->time);
		r->last_seen = mono_to_unix(r->last_seen, now_ns, snap->time);
	}
}

static void feed_iface(struct collector *c, int i, const struct scan_input *in,
		       struct snapshot *snap, double now, unsigned int pushed)
{
	struct iface_state *st = &c->ifs[i];
	struct iface_rec *ir = &snap->ifaces[i];
	int d;

	ir->meta = st->meta;
	ir->present = in->present;
	ir->kernel_valid = in->kernel_valid;
	ir->kernel_rx_packets = in->kernel_rx_packets;
	ir->kernel_rx_bytes = in->kernel_rx_bytes;
	ir->kernel_tx_packets = in->kernel_tx_packets;
	ir->kernel_tx_bytes = in->kernel_tx_bytes;
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		struct dir_counts *dc = &ir->dir[d];

		dc->packets = in->totals[d].packets;
		dc->bytes = in->totals[d].bytes;
		dc->untracked_packets = in->totals[d].untracked_packets;
		dc->untracked_bytes = in->totals[d].untracked_bytes;
		dc->retired_packets = in->retired[d].packets;
		dc->retired_bytes = in->retired[d].bytes;
		if (!c->scans)
			hist_fill(&st->rh[d], dc->packets, dc->bytes);
		rates(&c->smp, &st->rh[d], dc->packets, dc->bytes, now,
		      ir->pps[d], ir->bps[d]);
		hist_record(&c->smp, pushed, &st->rh[d], dc->packets,
			    dc->bytes);
	}
}

int collector_feed(struct collector *c, const struct scan_input *in,
		   __u64 mono_ns, double real, struct snapshot **out)
{
	struct snapshot *snap = calloc(1, sizeof(*snap));
	double now = mono_ns / 1e9;
	size_t total = 0;
	unsigned int pushed;
	int i, err = -ENOMEM;

	for (i = 0; i < c->n_ifaces; i++)
		total += in[i].n_flows;
	if (!snap)
		return -ENOMEM;
	snap->time = real;
	snap->interval = c->scans ? (mono_ns - c->prev_mono) / 1e9 : 0;
	snap->n_ifaces = c->n_ifaces;
	snap->ifaces = calloc(c->n_ifaces ? c->n_ifaces : 1,
			      sizeof(*snap->ifaces));
	snap->flows = malloc((total ? total : 1) * sizeof(*snap->flows));
	if (!snap->ifaces || !snap->flows)
		goto fail;
	c->gen++;
	for (i = 0; i < c->n_ifaces; i++) {
		size_t before = snap->n_flows;

		err = feed_flows(c, i, &in[i], snap);
		if (err)
			goto fail;
		feed_cache(c, i, &in[i], snap);
		snap->ifaces[i].flow_entries = (__u32)(snap->n_flows - before);
	}
	pushed = sampler_advance(&c->smp, now);
	if (!c->scans)
		pushed = (1u << RATE_WINDOWS) - 1;
	finish_flows(c, snap, mono_ns, pushed);
	for (i = 0; i < c->n_ifaces; i++)
		feed_iface(c, i, &in[i], snap, now, pushed);
	err = hist_drop_stale(c);
	if (err)
		goto fail;
	c->scans++;
	c->prev_mono = mono_ns;
	*out = snap;
	return 0;
fail:
	snapshot_free(snap);
	return err;
}

/* ---- reading the maps ---- */

static int grow(void **buf, size_t bytes)
{
	void *p = realloc(*buf, bytes ? bytes : 1);

	if (!p)
		return -ENOMEM;
	*buf = p;
	return 0;
}

static int flows_reserve(int ncpus, struct flow_key **keys, void **values,
			 size_t *cap, size_t need)
{
	size_t stride = PERCPU_STRIDE(struct flow_value) * ncpus;
	size_t cap2 = *cap ? *cap : BATCH_CHUNK;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	if (grow((void **)keys, cap2 * sizeof(**keys)) ||
	    grow(values, cap2 * stride))
		return -ENOMEM;
	*cap = cap2;
	return 0;
}

/* The slow path for kernels without batch lookups on hash maps. */
static int read_flows_iter(int fd, int ncpus, struct flow_key **keys,
			   void **values, size_t *cap, size_t *n)
{
	size_t stride = PERCPU_STRIDE(struct flow_value) * ncpus;
	struct flow_key key, *prev = NULL;
	int err;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		err = flows_reserve(ncpus, keys, values, cap, *n + 1);
		if (err)
			return err;
		(*keys)[*n] = key;
		prev = &(*keys)[*n];
		if (bpf_map_lookup_elem(fd, &key,
					(char *)*values + *n * stride)) {
			if (errno == ENOENT)
				continue;	/* aged out meanwhile */
			return -errno;
		}
		(*n)++;
	}
	return errno == ENOENT ? 0 : -errno;
}

int collect_read_flows(int fd, int ncpus, struct flow_key **keys,
		       void **values, size_t *cap, size_t *n)
{
	size_t stride = PERCPU_STRIDE(struct flow_value) * ncpus;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 batch[8];		/* the hash's cursor: a bucket number */
	size_t chunk = BATCH_CHUNK;
	bool first = true;
	int err;

	*n = 0;
	for (;;) {
		__u32 count = chunk;

		err = flows_reserve(ncpus, keys, values, cap, *n + chunk);
		if (err)
			return err;
		err = bpf_map_lookup_batch(fd, first ? NULL : batch, batch,
					   *keys + *n,
					   (char *)*values + *n * stride,
					   &count, &opts);
		if (err && err != -ENOENT) {
			if (first && (err == -EINVAL || err == -ENOTSUPP ||
				      err == -EOPNOTSUPP))
				return read_flows_iter(fd, ncpus, keys, values,
						       cap, n);
			if (err == -ENOSPC && !count) {
				chunk *= 2;	/* one bucket holds more */
				continue;
			}
			return err;
		}
		*n += count;
		if (err == -ENOENT)
			return 0;
		first = false;
	}
}

int collect_read_cache(int fd, __u32 n_slots, int ncpus, void **slots)
{
	size_t stride = PERCPU_STRIDE(struct flow_slot) * ncpus;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 batch, count = n_slots, i, *keys;
	int err;

	err = grow(slots, n_slots * stride);
	if (err)
		return err;
	keys = malloc((n_slots ? n_slots : 1) * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	err = bpf_map_lookup_batch(fd, NULL, &batch, keys, *slots, &count,
				   &opts);
	if (!err || err == -ENOENT) {
		/* one call returns the whole array, or something is off */
		err = count == n_slots ? 0 : -EIO;
	} else if (err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP) {
		err = 0;
		for (i = 0; i < n_slots && !err; i++)
			if (bpf_map_lookup_elem(fd, &i,
						(char *)*slots + i * stride))
				err = -errno;
	}
	free(keys);
	return err;
}

static int read_percpu_sum(int fd, __u32 key, int ncpus, void *sum,
			   size_t words)
{
	size_t stride = (words * 8 + 7) & ~(size_t)7;
	__u64 *buf = calloc(ncpus, stride), *s = sum;
	int cpu, err = 0;
	size_t w;

	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, buf))
		err = -errno;
	memset(sum, 0, words * 8);
	for (cpu = 0; !err && cpu < ncpus; cpu++)
		for (w = 0; w < words; w++)
			s[w] += buf[cpu * (stride / 8) + w];
	free(buf);
	return err;
}

/* The kernel's counters, read in the interface's own namespace. */
static void read_kernel(const struct flowstat_meta *m, struct scan_input *in)
{
	struct iface_info info;
	__u64 ino = 0;
	int saved = -1, err;

	in->present = 1;
	if (!netns_inode(NULL, &ino) && ino != m->netns_ino) {
		err = netns_enter_ino(m->netns_ino, m->netns, &saved);
		if (err == -ENOENT && m->netns[0]) {
			in->present = 0;	/* its named namespace is gone */
			return;
		}
		if (err)
			return;	/* unnamed, out of reach: assume present */
	}
	err = iface_get(NULL, (int)m->ifindex, &info);
	if (saved >= 0)
		netns_return(saved);
	if (err || strcmp(info.name, m->ifname)) {
		in->present = 0;
		return;
	}
	in->kernel_valid = 1;
	in->kernel_rx_packets = info.kernel.rx_packets;
	in->kernel_rx_bytes = info.kernel.rx_bytes;
	in->kernel_tx_packets = info.kernel.tx_packets;
	in->kernel_tx_bytes = info.kernel.tx_bytes;
}

/* Hash first, then cache (see feed_cache), then totals and retired. */
static int read_instance(struct collector *c, int i, struct scan_input *in)
{
	struct instance *inst = &c->insts[i];
	struct iface_state *st = &c->ifs[i];
	int d, err;

	memset(in, 0, sizeof(*in));
	in->ncpus = c->ncpus;
	err = collect_read_flows(inst->flows_fd, c->ncpus, &st->keys,
				 &st->values, &st->cap, &in->n_flows);
	if (!err)
		err = collect_read_cache(inst->cache_fd, st->meta.cache_slots,
					 c->ncpus, &st->slots);
	for (d = 0; !err && d < FLOW_DIR_MAX; d++) {
		err = read_percpu_sum(inst->totals_fd, d, c->ncpus,
				      &in->totals[d],
				      sizeof(in->totals[d]) / 8);
		if (!err && bpf_map_lookup_elem(inst->retired_fd, &d,
						&in->retired[d]))
			err = -errno;
	}
	if (err)
		return err;
	in->keys = st->keys;
	in->values = st->values;
	in->slots = st->slots;
	in->n_slots = st->meta.cache_slots;
	if (c->kernel_counters)
		read_kernel(&st->meta, in);
	else
		in->present = 1;
	return 0;
}

static void clock_now(__u64 *mono_ns, double *real)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	*mono_ns = (__u64)m.tv_sec * 1000000000ULL + m.tv_nsec;
	*real = r.tv_sec + r.tv_nsec / 1e9;
}

int collector_scan(struct collector *c, struct snapshot **out)
{
	__u64 mono_ns;
	double real;
	int i, err;

	for (i = 0; i < c->n_ifaces; i++) {
		err = read_instance(c, i, &c->in[i]);
		if (err)
			return err;
	}
	clock_now(&mono_ns, &real);
	return collector_feed(c, c->in, mono_ns, real, out);
}

/* ---- setup ---- */

static int collector_alloc(int n_ifaces, struct collector **out)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->n_ifaces = n_ifaces;
	c->ifs = calloc(n_ifaces ? n_ifaces : 1, sizeof(*c->ifs));
	c->in = calloc(n_ifaces ? n_ifaces : 1, sizeof(*c->in));
	c->ncpus = libbpf_num_possible_cpus();
	if (!c->ifs || !c->in || c->ncpus <= 0) {
		int err = c->ncpus < 0 ? c->ncpus : -ENOMEM;

		collector_free(c);
		return err;
	}
	*out = c;
	return 0;
}

int collector_new_synthetic(const struct flowstat_meta *metas, int n_ifaces,
			    struct collector **out)
{
	int i, err = collector_alloc(n_ifaces, out);

	for (i = 0; !err && i < n_ifaces; i++)
		(*out)->ifs[i].meta = metas[i];
	return err;
}

/* The instances opts asks for: named ones, or all (of one netns). */
static int open_instances(const struct collect_opts *opts,
			  struct instance **list)
{
	__u64 ino;
	int i, n, kept, err;

	if (opts->n_ifnames) {
		*list = calloc(opts->n_ifnames, sizeof(**list));
		if (!*list)
			return -ENOMEM;
		for (i = 0; i < opts->n_ifnames; i++) {
			err = instance_open(opts->ifnames[i], opts->netns,
					    &(*list)[i]);
			if (err) {
				log_error("%s: %s", opts->ifnames[i],
					  err == -ENOENT ?
					  "flowstat is not attached here" :
					  strerror(-err));
				instance_close_all(*list, i);
				return err;
			}
		}
		return opts->n_ifnames;
	}
	n = instance_open_all(list);
	if (n <= 0 || !opts->netns)
		return n;
	err = netns_inode(opts->netns, &ino);
	if (err) {
		instance_close_all(*list, n);
		return err;
	}
	for (i = 0, kept = 0; i < n; i++) {
		if ((*list)[i].meta.netns_ino == ino)
			(*list)[kept++] = (*list)[i];
		else
			instance_close(&(*list)[i]);
	}
	return kept;
}

int collector_new(const struct collect_opts *opts, struct collector **out)
{
	struct instance *list = NULL;
	int i, n, err;

	n = open_instances(opts, &list);
	if (n < 0)
		return n;
	err = collector_alloc(n, out);
	if (err) {
		instance_close_all(list, n);
		return err;
	}
	(*out)->insts = list;
	(*out)->kernel_counters = opts->kernel_counters;
	for (i = 0; i < n; i++)
		(*out)->ifs[i].meta = list[i].meta;
	return 0;
}

struct instance *collector_instances(struct collector *c, int *n)
{
	*n = c->insts ? c->n_ifaces : 0;
	return c->insts;
}

void collector_free(struct collector *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; c->ifs && i < c->n_ifaces; i++) {
		free(c->ifs[i].keys);
		free(c->ifs[i].values);
		free(c->ifs[i].slots);
	}
	if (c->insts)
		instance_close_all(c->insts, c->n_ifaces);
	free(c->ifs);
	free(c->in);
	free(c->ents);
	free(c->index);
	free(c);
}

/* ---- snapshot helpers ---- */

const char *const sort_field_names[SORT_FIELDS] = {
	[SORT_PACKETS] = "packets", [SORT_BYTES] = "bytes",
	[SORT_PPS] = "pps", [SORT_BPS] = "bps",
	[SORT_DELTA_PACKETS] = "delta-packets",
	[SORT_DELTA_BYTES] = "delta-bytes",
	[SORT_FIRST] = "first", [SORT_LAST] = "last", [SORT_IFACE] = "iface",
};

int sort_field_from_name(const char *name)
{
	int i;

	for (i = 0; i < SORT_FIELDS; i++)
		if (!strcmp(name, sort_field_names[i]))
			return i;
	return -1;
}

#define CMP_DESC(a, b) ((a) < (b) ? 1 : (a) > (b) ? -1 : 0)
#define CMP_ASC(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

struct sort_ctx {
	const struct snapshot *s;
	enum sort_field field;
};

static int flow_cmp(const void *pa, const void *pb, void *arg)
{
	const struct flow_rec *a = pa, *b = pb;
	const struct sort_ctx *ctx = arg;
	const struct snapshot *s = ctx->s;
	int r = 0;

	switch (ctx->field) {
	case SORT_PACKETS: r = CMP_DESC(a->packets, b->packets); break;
	case SORT_BYTES: r = CMP_DESC(a->bytes, b->bytes); break;
	case SORT_PPS: r = CMP_DESC(a->pps[RATE_2S], b->pps[RATE_2S]); break;
	case SORT_BPS: r = CMP_DESC(a->bps[RATE_2S], b->bps[RATE_2S]); break;
	case SORT_DELTA_PACKETS:
		r = CMP_DESC(a->delta_packets, b->delta_packets);
		break;
	case SORT_DELTA_BYTES:
		r = CMP_DESC(a->delta_bytes, b->delta_bytes);
		break;
	case SORT_FIRST: r = CMP_ASC(a->first_seen, b->first_seen); break;
	case SORT_LAST: r = CMP_DESC(a->last_seen, b->last_seen); break;
	case SORT_IFACE:
		r = strcmp(s->ifaces[a->iface].meta.ifname,
			   s->ifaces[b->iface].meta.ifname);
		break;
	case SORT_FIELDS:
		break;
	}
	/* ties: interface, then key bytes, so that output is stable */
	if (!r)
		r = CMP_ASC(a->iface, b->iface);
	return r ? r : memcmp(&a->key, &b->key, sizeof(a->key));
}

void snapshot_sort(struct snapshot *s, enum sort_field field)
{
	struct sort_ctx ctx = { .s = s, .field = field };

	if (s->n_flows > 1)
		qsort_r(s->flows, s->n_flows, sizeof(*s->flows), flow_cmp,
			&ctx);
}

void snapshot_keep_moving(struct snapshot *s)
{
	size_t i, kept = 0;

	for (i = 0; i < s->n_flows; i++)
		if (s->flows[i].delta_packets)
			s->flows[kept++] = s->flows[i];
	s->n_flows = kept;
}

void snapshot_filter(struct snapshot *s, const struct filter *f)
{
	size_t i, kept = 0;

	if (!f)
		return;
	for (i = 0; i < s->n_flows; i++) {
		const struct flow_rec *r = &s->flows[i];

		if (filter_match(f, s->ifaces[r->iface].meta.ifname, &r->key))
			s->flows[kept++] = *r;
	}
	s->n_flows = kept;
}

void snapshot_truncate(struct snapshot *s, size_t n)
{
	if (s->n_flows > n)
		s->n_flows = n;
}

void snapshot_free(struct snapshot *s)
{
	if (!s)
		return;
	free(s->ifaces);
	free(s->flows);
	free(s);
}
