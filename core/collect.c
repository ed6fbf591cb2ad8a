// SPDX-License-Identifier: GPL-2.0
/*
 * The collector: stores in, snapshots out. A scan follows the pinned
 * instances (new ones opened, detached ones dropped), folds them all
 * with one grace period, reads each store (the records that changed, or
 * all of them), and keeps a mirror of the flows keyed by (interface,
 * birth) that holds each flow's cumulative counts, the counts last
 * reported (deltas) and a short history (rates). Snapshots are built from
 * the mirror; flows that ended appear once more, with their final delta.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "collect.h"
#include "match.h"
#include "fold.h"
#include "iface.h"
#include "report.h"
#include "netns.h"

#define SAMPLES 4	/* per rate window; spaced at half the window */

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

/* One incarnation of a flow, as the collector last read it. */
struct flow_hist {
	struct flow_key key;
	__u64 uid;		/* its interface (iface_state.uid) */
	__u64 birth;
	__u32 hash;
	__u32 rec;		/* its store record */
	__u32 gen;		/* the latest full read that saw it */
	__u8 ended;		/* ended: reported once more, then dropped */
	__u8 end_reason;
	__u8 dead;		/* to be dropped */
	__u64 packets, bytes, ip_bytes;	/* cumulative, from the store */
	__u64 first_seen, last_seen;	/* monotonic ns */
	__u8 tcp_flags;
	__u32 rate;		/* sampling rate, last counted at */
	__u64 est_packets, est_bytes;
	__u64 rep_est_packets, rep_est_bytes;	/* last reported */
	__u64 rep_packets, rep_bytes, rep_ip_bytes;	/* last reported */
	struct rate_hist rh;
};

/* One followed instance (or a store in memory, for tests). */
struct iface_state {
	__u64 uid;		/* unique in this collector */
	struct instance *inst;	/* NULL: a store in memory */
	struct store *st;
	struct flowstat_meta meta;
	bool gone;		/* detached or replaced: drop after this scan */
	bool fresh;		/* appeared after the first scan */
	bool read_all;		/* the next read reads every record */
	__u64 cursor;		/* change ring entries read */
	__u64 acked;		/* the latest fold read */
	__u32 gen;		/* full reads of it */
	struct dir_counts last[FLOW_DIR_MAX];	/* the previous snapshot's */
	__u64 last_births;	/* the store's births at the previous one */
	struct iface_signals sig;	/* the sketches of the last window read */
	struct rate_hist rh[FLOW_DIR_MAX];
	/* the link, from events (monitored) or a query per scan */
	int present, up, kernel_valid;
	__u64 gone_ns;		/* !present: the first scan that found it so */
	char ifname[IF_NAMESIZE];
	struct iface_counters kernel;
};

/* Link events of one network namespace. */
struct monitor {
	__u64 netns_ino;
	struct iface_monitor *mon;
};

struct collector {
	struct collect_opts opts;
	bool stores_only;		/* collector_new_stores() */
	bool fixed;			/* collector_new_instances() */
	struct iface_state *ifs;
	int n_ifaces, cap_ifaces;
	__u64 next_uid;
	struct monitor *mons;
	int n_mons;
	struct flow_hist *ents;		/* dense; index[] holds i + 1 */
	size_t n_ents, cap_ents;
	__u32 *index;
	size_t index_cap;		/* power of two, >= 2 * n_ents */
	unsigned long scans;
	__u64 prev_mono;
	__u64 last_age;			/* when the latest fold aged */
	struct sampler smp;
};

/* ---- the history table ---- */

static __u32 hist_hash(__u64 uid, __u64 birth)
{
	__u64 h = (uid * 0x9e3779b97f4a7c15ULL) ^ birth;

	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ULL;
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

static struct flow_hist *hist_find(struct collector *c, __u64 uid,
				   __u64 birth, __u32 hash)
{
	size_t mask = c->index_cap - 1, pos;

	if (!c->index_cap)
		return NULL;
	for (pos = hash & mask; c->index[pos]; pos = (pos + 1) & mask) {
		struct flow_hist *e = &c->ents[c->index[pos] - 1];

		if (e->hash == hash && e->uid == uid && e->birth == birth)
			return e;
	}
	return NULL;
}

static struct flow_hist *hist_add(struct collector *c, __u64 uid,
				  __u64 birth, const struct flow_key *k,
				  __u32 hash)
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
	e->uid = uid;
	e->birth = birth;
	e->hash = hash;
	mask = c->index_cap - 1;
	for (pos = hash & mask; c->index[pos]; pos = (pos + 1) & mask)
		;
	c->index[pos] = (__u32)++c->n_ents;
	return e;
}

/* Forget the flows that ended, and those of interfaces gone. */
static int hist_drop_done(struct collector *c)
{
	size_t i, kept = 0;

	for (i = 0; i < c->n_ents; i++) {
		if (c->ents[i].dead)
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

/* What every rate of one snapshot measures from: found once, not per flow. */
struct rate_base {
	int idx[RATE_WINDOWS];		/* the sample; -1: no rate yet */
	double inv_dt[RATE_WINDOWS];	/* 1 / seconds since it */
};

static void rate_base_at(const struct sampler *s, double now,
			 struct rate_base *rb)
{
	int w;

	for (w = 0; w < RATE_WINDOWS; w++) {
		int idx = sample_pick(s, w, now);
		double dt = idx < 0 ? 0 : now - s->t[w][idx];

		rb->idx[w] = dt > 0 ? idx : -1;
		rb->inv_dt[w] = dt > 0 ? 1 / dt : 0;
	}
}

static void rates(const struct rate_base *rb, const struct rate_hist *rh,
		  __u64 packets, __u64 bytes, double *pps, double *bps)
{
	int w, idx;

	for (w = 0; w < RATE_WINDOWS; w++) {
		pps[w] = bps[w] = 0;
		idx = rb->idx[w];
		if (idx < 0)
			continue;
		if (packets > rh->packets[w][idx])
			pps[w] = (packets - rh->packets[w][idx]) *
				 rb->inv_dt[w];
		if (bytes > rh->bytes[w][idx])
			bps[w] = (bytes - rh->bytes[w][idx]) * 8.0 *
				 rb->inv_dt[w];
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


/* ---- reading a store ---- */

/* Note record rec's valid version in the mirror. */
static int mirror_record(struct collector *c, struct iface_state *is,
			 __u32 rec, bool full)
{
	const struct store_rver *v = store_valid(is->st, rec);
	const struct flow_key *k = &is->st->recs[rec].key;
	struct flow_hist *h;
	__u32 hash;

	if (v->state == REC_FREE)
		return 0;
	/* ended before our previous read: we reported it then */
	if (v->state == REC_ENDED && v->end_seq <= is->acked)
		return 0;
	hash = hist_hash(is->uid, v->birth);
	h = hist_find(c, is->uid, v->birth, hash);
	/* an ended flow we never showed: only a follower reports it */
	if (!h && v->state == REC_ENDED && is->inst &&
	    is->inst->reader_slot < 0)
		return 0;
	if (!h) {
		h = hist_add(c, is->uid, v->birth, k, hash);
		if (!h)
			return -ENOMEM;
	}
	h->rec = rec;
	h->packets = v->packets;
	h->bytes = v->bytes;
	h->ip_bytes = v->ip_bytes;
	h->first_seen = v->first_seen;
	h->last_seen = v->last_seen;
	h->tcp_flags = v->tcp_flags;
	h->rate = v->rate > 1 ? v->rate : 1;
	h->est_packets = v->est_packets;
	h->est_bytes = v->est_bytes;
	if (v->state == REC_ENDED) {
		h->ended = 1;
		h->end_reason = v->end_reason;
	}
	if (full)
		h->gen = is->gen;
	return 0;
}

/* Every record; flows not seen any more ended unseen (not following). */
static int read_all(struct collector *c, struct iface_state *is)
{
	__u32 i;
	size_t j;
	int err = 0;

	is->gen++;
	for (i = 0; !err && i < is->st->hdr->n_records; i++)
		err = mirror_record(c, is, i, true);
	for (j = 0; !err && j < c->n_ents; j++) {
		struct flow_hist *h = &c->ents[j];

		if (h->uid == is->uid && h->gen != is->gen && !h->ended)
			h->dead = 1;
	}
	return err;
}

/* The records that changed since the previous read. */
static int read_changes(struct collector *c, struct iface_state *is,
			__u64 head)
{
	__u32 mask = is->st->hdr->change_size - 1;
	__u64 pos;
	int err = 0;

	for (pos = is->cursor; !err && pos < head; pos++)
		err = mirror_record(c, is, is->st->changes[pos & mask], false);
	return err;
}

static int read_store(struct collector *c, struct iface_state *is)
{
	const struct store_hver *hv = store_head(is->st);
	__u64 head = hv->changes, committed = is->st->hdr->committed;
	bool all = is->read_all || !is->inst ||
		   is->inst->reader_slot < 0 ||
		   head - is->cursor > is->st->hdr->change_size;
	int err = all ? read_all(c, is) : read_changes(c, is, head);

	if (err)
		return err;
	is->cursor = head;
	is->acked = committed;
	is->read_all = false;
	if (is->inst)
		fold_ack(is->inst, committed);
	return 0;
}

/* Store counts into the snapshot's, with deltas against the previous. */
static void read_counts(struct iface_state *is, struct iface_rec *ir,
			bool first)
{
	const struct store_hver *hv = store_head(is->st);
	int d;

	for (d = 0; d < FLOW_DIR_MAX; d++) {
		const struct store_counts *sc = &hv->dir[d];
		struct dir_counts *dc = &ir->dir[d];
		const struct dir_counts *last = &is->last[d];

		dc->packets = sc->packets;
		dc->bytes = sc->bytes;
		dc->untracked_packets = sc->untracked_packets;
		dc->untracked_bytes = sc->untracked_bytes;
		dc->sampled_out_packets = sc->sampled_out_packets;
		dc->sampled_out_bytes = sc->sampled_out_bytes;
		dc->unmatched_packets = sc->unmatched_packets;
		dc->unmatched_bytes = sc->unmatched_bytes;
		dc->retired_packets = sc->retired_packets;
		dc->retired_bytes = sc->retired_bytes;
		dc->ended_flows = sc->ended_flows;
		dc->fast_hits = sc->fast_hits;
		/* a fresh instance counted from zero since it was attached */
		if (!first && dc->packets >= last->packets)
			dc->delta_packets = dc->packets - last->packets;
		if (!first && dc->bytes >= last->bytes)
			dc->delta_bytes = dc->bytes - last->bytes;
		is->last[d] = *dc;
	}
	ir->flow_entries = (__u32)hv->live;
	ir->folds = hv->folds;
	ir->sig.births = hv->births;
	if (!first && hv->births >= is->last_births)
		ir->sig.new_records = hv->births - is->last_births;
	is->last_births = hv->births;
	ir->sample_rate = hv->sample_rate > 1 ? hv->sample_rate : 1;
}

/* ---- links ---- */

static void link_event(int ifindex, const struct iface_info *info, void *ctx)
{
	struct iface_state *is = ctx;

	if (ifindex != (int)is->meta.ifindex)
		return;
	if (!info) {
		is->present = 0;	/* deleted, or moved to another netns */
		is->up = 0;
		return;
	}
	is->present = 1;
	is->up = info->up;
	snprintf(is->ifname, sizeof(is->ifname), "%s", info->name);
}

static struct monitor *monitor_for(struct collector *c, __u64 netns_ino,
				   const char *hint)
{
	struct monitor *m;
	int i, saved = -1;

	for (i = 0; i < c->n_mons; i++)
		if (c->mons[i].netns_ino == netns_ino)
			return c->mons[i].mon ? &c->mons[i] : NULL;
	m = realloc(c->mons, (c->n_mons + 1) * sizeof(*m));
	if (!m)
		return NULL;
	c->mons = m;
	m = &c->mons[c->n_mons++];
	m->netns_ino = netns_ino;
	m->mon = NULL;
	if (netns_enter_ino(netns_ino, hint, &saved))
		return NULL;	/* out of reach: queried per scan instead */
	if (iface_monitor_open(&m->mon))
		m->mon = NULL;
	netns_return(saved);
	return m->mon ? m : NULL;
}

/*
 * The link's state: events first (a deleted interface whose index is
 * reused must not look present), then the counters, read by index in
 * the interface's own namespace.
 */
static void read_link(struct collector *c, struct iface_state *is)
{
	const struct flowstat_meta *m = &is->meta;
	struct monitor *mon = monitor_for(c, m->netns_ino, m->netns);
	struct iface_info info;
	__u64 ino = 0;
	int saved = -1, err;

	if (mon) {
		err = iface_monitor_poll(mon->mon, link_event, is);
		if (err == -ENOBUFS)
			is->present = 1;	/* events lost: ask below */
	}
	is->kernel_valid = 0;
	if (!is->present) {
		is->up = 0;
		return;
	}
	if (!netns_inode(NULL, &ino) && ino != m->netns_ino) {
		err = netns_enter_ino(m->netns_ino, m->netns, &saved);
		if (err == -ENOENT && m->netns[0]) {
			is->present = is->up = 0;	/* its netns is gone */
			return;
		}
		if (err)
			return;	/* unnamed, out of reach: assume present */
	}
	err = iface_get(NULL, (int)m->ifindex, &info);
	if (saved >= 0)
		netns_return(saved);
	/* without events, a new name at the index is another interface */
	if (err || (!mon && strcmp(info.name, is->ifname))) {
		is->present = is->up = 0;
		return;
	}
	snprintf(is->ifname, sizeof(is->ifname), "%s", info.name);
	is->up = info.up;
	is->kernel_valid = 1;
	is->kernel = info.kernel;
}

/* ---- building a snapshot ---- */

static double mono_to_unix(double mono_ns, __u64 now_ns, double real)
{
	if (mono_ns <= 0)
		return 0;
	return real - ((double)now_ns - mono_ns) / 1e9;
}

static int iface_index(const struct collector *c, __u64 uid)
{
	int i;

	for (i = 0; i < c->n_ifaces; i++)
		if (c->ifs[i].uid == uid)
			return i;
	return -1;
}

/* Counts, deltas and rates of every flow into the snapshot. */
static int build_flows(struct collector *c, struct snapshot *snap,
		       __u64 now_ns, const struct rate_base *rb,
		       unsigned int pushed)
{
	size_t i;

	snap->flows = malloc((c->n_ents ? c->n_ents : 1) *
			     sizeof(*snap->flows));
	if (!snap->flows)
		return -ENOMEM;
	for (i = 0; i < c->n_ents; i++) {
		struct flow_hist *h = &c->ents[i];
		struct flow_rec *r;
		int iface;

		if (h->dead)
			continue;
		iface = iface_index(c, h->uid);
		if (iface < 0) {
			h->dead = 1;
			continue;
		}
		/* every field is set below: no clearing (100,000 a scan) */
		r = &snap->flows[snap->n_flows++];
		r->key = h->key;
		r->iface = iface;
		r->birth = h->birth;
		r->ended = h->ended;
		r->end_reason = h->end_reason;
		r->packets = h->packets;
		r->bytes = h->bytes;
		r->ip_bytes = h->ip_bytes;
		r->tcp_flags = h->tcp_flags;
		r->sample_rate = h->rate;
		r->est_packets = h->est_packets;
		r->est_bytes = h->est_bytes;
		if (!c->scans) {
			/* the baseline: no deltas and no rates yet */
			hist_fill(&h->rh, h->packets, h->bytes);
			h->rep_packets = h->packets;
			h->rep_bytes = h->bytes;
			h->rep_ip_bytes = h->ip_bytes;
			h->rep_est_packets = h->est_packets;
			h->rep_est_bytes = h->est_bytes;
		}
		r->delta_est_packets = h->est_packets - h->rep_est_packets;
		r->delta_est_bytes = h->est_bytes - h->rep_est_bytes;
		h->rep_est_packets = h->est_packets;
		h->rep_est_bytes = h->est_bytes;
		r->delta_packets = h->packets - h->rep_packets;
		r->delta_bytes = h->bytes - h->rep_bytes;
		r->delta_ip_bytes = h->ip_bytes - h->rep_ip_bytes;
		rates(rb, &h->rh, h->packets, h->bytes, r->pps, r->bps);
		hist_record(&c->smp, pushed, &h->rh, h->packets, h->bytes);
		h->rep_packets = h->packets;
		h->rep_bytes = h->bytes;
		h->rep_ip_bytes = h->ip_bytes;
		r->first_seen = mono_to_unix((double)h->first_seen, now_ns,
					     snap->time);
		r->last_seen = mono_to_unix((double)h->last_seen, now_ns,
					    snap->time);
		if (h->ended)
			h->dead = 1;	/* reported for the last time */
	}
	return 0;
}

static void build_iface(struct collector *c, struct iface_state *is,
			struct iface_rec *ir, const struct rate_base *rb,
			unsigned int pushed, __u64 mono_ns)
{
	int d;

	ir->meta = is->meta;
	snprintf(ir->ifname, sizeof(ir->ifname), "%s",
		 is->ifname[0] ? is->ifname : is->meta.ifname);
	ir->present = is->present;
	ir->up = is->up;
	ir->kernel_valid = is->kernel_valid;
	ir->kernel_rx_packets = is->kernel.rx_packets;
	ir->kernel_rx_bytes = is->kernel.rx_bytes;
	ir->kernel_tx_packets = is->kernel.tx_packets;
	ir->kernel_tx_bytes = is->kernel.tx_bytes;
	ir->kernel_rx_dropped = is->kernel.rx_dropped;
	ir->kernel_tx_dropped = is->kernel.tx_dropped;
	ir->kernel_rx_errors = is->kernel.rx_errors;
	ir->kernel_tx_errors = is->kernel.tx_errors;
	/*
	 * The sketches are estimates: one that cannot be read is left out.
	 * A window is read once; scans within it reuse what was read.
	 */
	if (is->inst && is->inst->sig_fd >= 0 &&
	    (!is->sig.valid ||
	     is->sig.window != (mono_ns >> SIG_WINDOW_SHIFT) - 1))
		signals_read(is->inst->sig_fd, mono_ns, &is->sig);
	ir->sig = is->sig;
	read_counts(is, ir, !c->scans);
	ir->match[0] = '\0';
	if (is->inst && match_text(is->inst))
		snprintf(ir->match, sizeof(ir->match), "%s",
			 match_text(is->inst));
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		struct dir_counts *dc = &ir->dir[d];

		if (!c->scans || is->fresh)
			hist_fill(&is->rh[d], dc->packets - dc->delta_packets,
				  dc->bytes - dc->delta_bytes);
		rates(rb, &is->rh[d], dc->packets, dc->bytes, ir->pps[d],
		      ir->bps[d]);
		hist_record(&c->smp, pushed, &is->rh[d], dc->packets,
			    dc->bytes);
	}
	is->fresh = false;
}

/* Every store's changes into the mirror. */
static int read_stores(struct collector *c)
{
	int i, err = 0;

	for (i = 0; !err && i < c->n_ifaces; i++) {
		struct iface_state *is = &c->ifs[i];

		if (is->inst) {
			err = fold_lock(is->inst, false);
			if (err)
				break;
		}
		err = read_store(c, is);
		if (is->inst)
			fold_unlock(is->inst);
	}
	return err;
}

/* The mirror as a snapshot: deltas since the previous one, rates. */
static int build_snapshot(struct collector *c, __u64 mono_ns, double real,
			  struct snapshot **out)
{
	struct snapshot *snap = calloc(1, sizeof(*snap));
	double now = mono_ns / 1e9;
	struct rate_base rb;
	unsigned int pushed;
	int i, err = -ENOMEM;

	if (!snap)
		return -ENOMEM;
	snap->time = real;
	snap->interval = c->scans ? (mono_ns - c->prev_mono) / 1e9 : 0;
	snap->n_ifaces = c->n_ifaces;
	snap->ifaces = calloc(c->n_ifaces ? c->n_ifaces : 1,
			      sizeof(*snap->ifaces));
	if (!snap->ifaces)
		goto fail;
	pushed = sampler_advance(&c->smp, now);
	if (!c->scans)
		pushed = (1u << RATE_WINDOWS) - 1;
	rate_base_at(&c->smp, now, &rb);
	err = build_flows(c, snap, mono_ns, &rb, pushed);
	if (err)
		goto fail;
	for (i = 0; i < c->n_ifaces; i++) {
		struct iface_state *is = &c->ifs[i];

		build_iface(c, is, &snap->ifaces[i], &rb, pushed, mono_ns);
		if (is->present || !is->gone_ns)
			is->gone_ns = is->present ? 0 : mono_ns;
		snap->ifaces[i].gone_s = (mono_ns - is->gone_ns) / 1e9 *
					 !is->present;
	}
	err = hist_drop_done(c);
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

int collector_read(struct collector *c, __u64 mono_ns, double real,
		   struct snapshot **out)
{
	int err = read_stores(c);

	return err ? err : build_snapshot(c, mono_ns, real, out);
}

/* ---- following the instances ---- */

static void iface_close(struct iface_state *is)
{
	if (is->inst) {
		instance_close(is->inst);
		free(is->inst);
	}
	is->inst = NULL;
}

/* Add an opened instance (taken over) to the followed ones. */
static int iface_add(struct collector *c, struct instance *inst,
		     struct store *st, const struct flowstat_meta *meta)
{
	struct iface_state *is;

	if (c->n_ifaces == c->cap_ifaces) {
		int cap = c->cap_ifaces ? c->cap_ifaces * 2 : 8;

		is = realloc(c->ifs, cap * sizeof(*is));
		if (!is)
			return -ENOMEM;
		c->ifs = is;
		c->cap_ifaces = cap;
	}
	is = &c->ifs[c->n_ifaces++];
	memset(is, 0, sizeof(*is));
	is->uid = ++c->next_uid;
	is->inst = inst;
	is->st = inst ? &inst->st : st;
	is->meta = *meta;
	is->fresh = c->scans > 0;
	is->read_all = true;
	is->present = 1;
	is->up = 1;
	snprintf(is->ifname, sizeof(is->ifname), "%s", meta->ifname);
	/* a follower registers before its first fold: nothing ended
	 * after that is freed before it has read it */
	if (inst && c->opts.follow && fold_register(inst) == -ENOSPC)
		report_warn("%s: every reader slot is taken; flows others end "
			"may be missed", meta->ifname);
	/* flows that ended before we looked are in retired, not ours */
	is->acked = is->st->hdr->committed;
	return 0;
}

static int open_new(struct collector *c, const char *dir)
{
	struct instance *inst = calloc(1, sizeof(*inst));
	int err;

	if (!inst)
		return -ENOMEM;
	err = instance_open_path(dir, inst);
	if (err) {
		free(inst);
		return err == -ENOMEM ? err : 0;	/* half made: later */
	}
	err = iface_add(c, inst, NULL, &inst->meta);
	if (err) {
		instance_close(inst);
		free(inst);
	}
	return err;
}

static bool wanted(const struct collector *c, const struct instance *meta,
		   __u64 netns_ino)
{
	int i;

	if (!c->opts.n_ifnames)
		return !c->opts.netns || meta->meta.netns_ino == netns_ino;
	for (i = 0; i < c->opts.n_ifnames; i++)
		if (meta->meta.netns_ino == netns_ino &&
		    !strcmp(meta->meta.ifname, c->opts.ifnames[i]))
			return true;
	return false;
}

/*
 * Compare the pinned instances with the followed ones: open the new,
 * drop the gone and the replaced (a new attach is a new instance).
 */
static int follow(struct collector *c)
{
	struct instance *metas = NULL;
	__u64 ino = 0;
	int n, i, j, err = 0, kept;

	if (c->opts.netns || c->opts.n_ifnames) {
		err = netns_inode(c->opts.netns, &ino);
		if (err)
			return err;
	}
	attach_reap();	/* instances whose owner died are gone */
	n = instance_open_all_meta(&metas);
	if (n < 0)
		return n;
	for (i = 0; i < c->n_ifaces; i++) {
		struct iface_state *is = &c->ifs[i];

		for (j = 0; j < n; j++)
			if (metas[j].meta.instance_id == is->meta.instance_id)
				break;
		is->gone = j == n;
	}
	for (j = 0; !err && j < n; j++) {
		for (i = 0; i < c->n_ifaces; i++)
			if (c->ifs[i].meta.instance_id ==
			    metas[j].meta.instance_id)
				break;
		if (i == c->n_ifaces && wanted(c, &metas[j], ino))
			err = open_new(c, metas[j].dir);
	}
	instance_close_all(metas, n);
	/* the gone go now: their last counts were in the previous scan */
	for (i = 0, kept = 0; i < c->n_ifaces; i++) {
		if (c->ifs[i].gone) {
			iface_close(&c->ifs[i]);
			continue;
		}
		c->ifs[kept++] = c->ifs[i];
	}
	c->n_ifaces = kept;
	return err;
}

static void clock_now(__u64 *mono_ns, double *real)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	*mono_ns = (__u64)m.tv_sec * 1000000000ULL + m.tv_nsec;
	*real = r.tv_sec + r.tv_nsec / 1e9;
}

/*
 * Aging looks at every flow, so a follower ages only every idle/8 (at
 * most every 10 s): a flow then ends at most an eighth late, and most
 * folds touch only the flows that moved.
 */
static bool age_due(struct collector *c)
{
	__u64 every = c->opts.idle_ns / 8, now;
	struct timespec ts;

	if (!c->opts.age)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (every > 10000000000ULL)
		every = 10000000000ULL;
	if (c->last_age && now - c->last_age < every)
		return false;
	c->last_age = now;
	return true;
}

int collector_poll(struct collector *c)
{
	struct fold_opts fo = { .age = age_due(c),
				.idle_ns = c->opts.idle_ns,
				.fin_ns = c->opts.fin_ns };
	struct instance **insts;
	int i, n, err;

	if (c->stores_only)
		return read_stores(c);
	err = c->fixed ? 0 : follow(c);
	if (err)
		return err;
	insts = collector_instances(c, &n);
	if (!insts)
		return -ENOMEM;
	err = n ? fold_instances(insts, n, &fo, NULL) : 0;
	free(insts);
	if (err)
		return err;
	for (i = 0; c->opts.kernel_counters && i < c->n_ifaces; i++)
		read_link(c, &c->ifs[i]);
	return read_stores(c);
}

int collector_scan(struct collector *c, struct snapshot **out)
{
	__u64 mono_ns;
	double real;
	int err = collector_poll(c);

	if (err)
		return err;
	clock_now(&mono_ns, &real);
	return build_snapshot(c, mono_ns, real, out);
}

/* ---- setup ---- */

static int collector_alloc(const struct collect_opts *opts,
			   struct collector **out)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (opts)
		c->opts = *opts;
	*out = c;
	return 0;
}

int collector_new_stores(const struct flowstat_meta *metas,
			 struct store *const *stores, int n,
			 struct collector **out)
{
	int i, err = collector_alloc(NULL, out);

	if (err)
		return err;
	(*out)->stores_only = true;
	for (i = 0; !err && i < n; i++)
		err = iface_add(*out, NULL, stores[i], &metas[i]);
	if (err)
		collector_free(*out);
	return err;
}

int collector_new_instances(struct instance **insts, int n,
			    const struct collect_opts *opts,
			    struct collector **out)
{
	int i, err = collector_alloc(opts, out);

	if (err)
		return err;
	(*out)->fixed = true;
	for (i = 0; !err && i < n; i++)
		err = iface_add(*out, insts[i], NULL, &insts[i]->meta);
	if (err)
		collector_free(*out);
	return err;
}

/* Named interfaces must be attached when a collector starts. */
static int open_named(struct collector *c)
{
	int i, err;

	for (i = 0; i < c->opts.n_ifnames; i++) {
		struct instance *inst = calloc(1, sizeof(*inst));

		if (!inst)
			return -ENOMEM;
		err = instance_open(c->opts.ifnames[i], c->opts.netns, inst);
		if (!err)
			err = iface_add(c, inst, NULL, &inst->meta);
		if (err) {
			report_error("%s: %s", c->opts.ifnames[i],
				  err == -ENOENT ?
				  "flowstat is not attached here" :
				  strerror(-err));
			free(inst);
			return err;
		}
	}
	return 0;
}

int collector_new(const struct collect_opts *opts, struct collector **out)
{
	int err = collector_alloc(opts, out);

	if (err)
		return err;
	err = opts->n_ifnames ? open_named(*out) : follow(*out);
	if (err) {
		collector_free(*out);
		*out = NULL;
	}
	return err;
}

struct instance **collector_instances(struct collector *c, int *n)
{
	struct instance **list = calloc(c->n_ifaces ? c->n_ifaces : 1,
					sizeof(*list));
	int i;

	*n = 0;
	for (i = 0; list && i < c->n_ifaces; i++)
		if (c->ifs[i].inst)
			list[(*n)++] = c->ifs[i].inst;
	return list;
}

void collector_set_aging(struct collector *c, __u64 idle_ns, __u64 fin_ns)
{
	c->opts.idle_ns = idle_ns;
	c->opts.fin_ns = fin_ns;
}

void collector_free(struct collector *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->n_ifaces; i++)
		iface_close(&c->ifs[i]);
	for (i = 0; i < c->n_mons; i++)
		iface_monitor_close(c->mons[i].mon);
	free(c->mons);
	free(c->ifs);
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
		r = strcmp(s->ifaces[a->iface].ifname,
			   s->ifaces[b->iface].ifname);
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

		if (filter_match(f, s->ifaces[r->iface].ifname, &r->key))
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
