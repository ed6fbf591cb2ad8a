// SPDX-License-Identifier: GPL-2.0
/*
 * Security signals (see signals.h): reading and merging the data plane's
 * sketches, the HyperLogLog estimator, thresholds and alerts.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "signals.h"
#include "snapshot.h"

const char *const sig_kind_names[SIG_KINDS] = {
	"new_flows", "half_open", "scan_ports", "scan_hosts", "fan_in",
};

const char *const sig_kind_units[SIG_KINDS] = {
	"new flows/s", "SYN senders", "ports", "hosts", "sources",
};

static const double sig_default[SIG_KINDS] = {
	[SIG_NEW_FLOWS] = SIG_DEFAULT_NEW_FLOWS,
	[SIG_HALF_OPEN] = SIG_DEFAULT_HALF_OPEN,
	[SIG_SCAN_PORTS] = SIG_DEFAULT_SCAN_PORTS,
	[SIG_SCAN_HOSTS] = SIG_DEFAULT_SCAN_HOSTS,
	[SIG_FAN_IN] = SIG_DEFAULT_FAN_IN,
};

void sig_thresholds_default(struct sig_thresholds *th)
{
	memcpy(th->value, sig_default, sizeof(th->value));
}

int sig_kind_from_name(const char *name)
{
	int k;

	for (k = 0; k < SIG_KINDS; k++)
		if (!strcmp(name, sig_kind_names[k]))
			return k;
	return -1;
}

int sig_threshold_parse(struct sig_thresholds *th, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[32], *end;
	double v;
	int k;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return -EINVAL;
	memcpy(name, arg, eq - arg);
	name[eq - arg] = '\0';
	k = sig_kind_from_name(name);
	errno = 0;
	v = strtod(eq + 1, &end);
	if (k < 0 || errno || end == eq + 1 || *end || !(v >= 0) || v > SIG_THRESHOLD_MAX)
		return -EINVAL;
	th->value[k] = v;
	return 0;
}

/* ---- HyperLogLog (Ertl, arXiv:1702.01284, algorithm 6) ---- */

static double hll_sigma(double x)
{
	double y = 1, z = x, old;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		old = z;
		z += x * y;
		y += y;
	} while (z != old);
	return z;
}

static double hll_tau(double x)
{
	double y = 1, z = 1 - x, old;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		old = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != old);
	return z / 3;
}

double hll_estimate(const __u8 *regs, int p)
{
	int m = 1 << p, q = 64 - p, k, c[66] = { 0 };
	double z;

	for (k = 0; k < m; k++)
		c[regs[k] > q + 1 ? q + 1 : regs[k]]++;
	z = m * hll_tau(1 - (double)c[q + 1] / m);
	for (k = q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * hll_sigma((double)c[0] / m);
	return m * (double)m / (2 * log(2) * z);
}

void hll_add(__u8 *regs, int p, __u64 hash)
{
	__u64 idx = hash >> (64 - p);
	__u8 rank = __builtin_ctzll(hash | 1ULL << (64 - p)) + 1;

	if (regs[idx] < rank)
		regs[idx] = rank;
}

/* ---- reading the sketches ---- */

static void top_insert(struct iface_signals *out, enum sig_kind kind,
		       const struct sig_bucket *b, double value)
{
	struct sig_host *t = out->top[kind];
	int n = out->n_top[kind], i;

	if (value < 0.5)
		return;
	if (n == SIG_TOP && t[n - 1].value >= value)
		return;
	i = n < SIG_TOP ? n++ : n - 1;
	for (; i > 0 && t[i - 1].value < value; i--)
		t[i] = t[i - 1];
	memcpy(t[i].addr, b->addr, sizeof(t[i].addr));
	t[i].ethertype = b->ethertype;
	t[i].value = value;
	out->n_top[kind] = n;
}

/* Merge the CPUs' copies of one bucket that belong to window w. */
static int merge_cpus(const struct sig_bucket *vals, int cpus, __u64 w,
		      struct sig_bucket *m)
{
	int c, r, found = 0;

	memset(m, 0, sizeof(*m));
	for (c = 0; c < cpus; c++) {
		const struct sig_bucket *b = &vals[c];

		if (b->window != w)
			continue;
		if (!found++) {
			memcpy(m->addr, b->addr, sizeof(m->addr));
			m->ethertype = b->ethertype;
		}
		m->syns += b->syns;
		for (r = 0; r < SIG_HLL_REGS; r++) {
			if (b->hll_a[r] > m->hll_a[r])
				m->hll_a[r] = b->hll_a[r];
			if (b->hll_b[r] > m->hll_b[r])
				m->hll_b[r] = b->hll_b[r];
		}
	}
	return found;
}

static void bucket_signals(struct iface_signals *out, __u32 slot,
			   const struct sig_bucket *m)
{
	if (slot == 0) {
		out->untracked_flows = hll_estimate(m->hll_a, SIG_HLL_BITS);
	} else if (slot < SIG_DST_BASE) {
		top_insert(out, SIG_SCAN_PORTS, m,
			   hll_estimate(m->hll_a, SIG_HLL_BITS));
		top_insert(out, SIG_SCAN_HOSTS, m,
			   hll_estimate(m->hll_b, SIG_HLL_BITS));
	} else {
		top_insert(out, SIG_FAN_IN, m,
			   hll_estimate(m->hll_a, SIG_HLL_BITS));
		if (m->syns)
			top_insert(out, SIG_HALF_OPEN, m,
				   hll_estimate(m->hll_b, SIG_HLL_BITS));
	}
}

/* Slots read per batch: 9 calls for a window's 513, a bounded buffer. */
#define SIG_READ_CHUNK 64

/*
 * The window's slots [start, start + n) of the map, keys from first:
 * one BPF_MAP_LOOKUP_BATCH (an array batch starts after in_batch).
 */
static int read_slots(int fd, __u32 first, __u32 n, __u32 *keys,
		      struct sig_bucket *vals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 in = first - 1, out, count = n;
	int err;

	err = bpf_map_lookup_batch(fd, first ? &in : NULL, &out, keys, vals,
				   &count, &opts);
	if (err && errno != ENOENT)
		return -errno;
	return count == n ? 0 : -EIO;
}

int signals_read(int fd, __u64 mono_ns, struct iface_signals *out)
{
	int cpus = libbpf_num_possible_cpus(), err = 0;
	__u64 w = (mono_ns >> SIG_WINDOW_SHIFT) - 1;
	__u32 keys[SIG_READ_CHUNK], done, n, i;
	struct sig_bucket *vals, m;

	memset(out, 0, sizeof(*out));
	if (cpus <= 0)
		return cpus ? cpus : -EINVAL;
	vals = calloc((size_t)cpus * SIG_READ_CHUNK, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (done = 0; done < SIG_SLOTS && !err; done += n) {
		n = SIG_SLOTS - done < SIG_READ_CHUNK ?
		    SIG_SLOTS - done : SIG_READ_CHUNK;
		err = read_slots(fd, (w & 1) * SIG_SLOTS + done, n, keys, vals);
		for (i = 0; i < n && !err; i++)
			if (merge_cpus(&vals[(size_t)i * cpus], cpus, w, &m))
				bucket_signals(out, done + i, &m);
	}
	free(vals);
	if (err)
		return err;
	out->valid = 1;
	out->window = w;
	out->window_s = (double)(1ULL << SIG_WINDOW_SHIFT) / 1e9;
	return 0;
}

/* ---- alerts ---- */

static double new_flow_rate(const struct snapshot *s,
			    const struct iface_signals *g)
{
	double r = g->window_s > 0 ? g->untracked_flows / g->window_s : 0;

	if (s->interval > 0)
		r += g->new_records / s->interval;
	return r;
}

double signals_value(const struct snapshot *s, int iface,
		     enum sig_kind kind)
{
	const struct iface_signals *g = &s->ifaces[iface].sig;

	if (!g->valid)
		return 0;
	if (kind == SIG_NEW_FLOWS)
		return new_flow_rate(s, g);
	return g->n_top[kind] ? g->top[kind][0].value : 0;
}

int signals_alerts(const struct snapshot *s, const struct sig_thresholds *th,
		   struct sig_alert *out, int max)
{
	int i, k, j, n = 0;

	for (i = 0; i < s->n_ifaces; i++) {
		const struct iface_signals *g = &s->ifaces[i].sig;

		if (!g->valid)
			continue;
		for (k = 0; k < SIG_KINDS; k++) {
			double t = th->value[k], v;

			if (t <= 0)
				continue;
			if (k == SIG_NEW_FLOWS) {
				v = new_flow_rate(s, g);
				if (v >= t && n < max)
					out[n++] = (struct sig_alert){
						.iface = i, .kind = k,
						.value = v, .threshold = t };
				continue;
			}
			for (j = 0; j < g->n_top[k] && n < max; j++) {
				if (g->top[k][j].value < t)
					break;
				out[n++] = (struct sig_alert){
					.iface = i, .kind = k,
					.value = g->top[k][j].value,
					.threshold = t, .host = g->top[k][j] };
			}
		}
	}
	return n;
}

void sig_host_text(const struct sig_host *h, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";

	if (h->ethertype == 0x86dd)
		inet_ntop(AF_INET6, h->addr, a, sizeof(a));
	else if (h->ethertype)
		inet_ntop(AF_INET, h->addr, a, sizeof(a));
	snprintf(buf, len, "%s", a);
}

void sig_alert_text(const struct sig_alert *a, char *buf, size_t len)
{
	static const char *const what[SIG_KINDS] = {
		"new-flow spike", "half-open TCP (SYN flood) at",
		"port scan from", "host scan from", "fan-in (DDoS) at",
	};
	char host[INET6_ADDRSTRLEN];

	sig_host_text(&a->host, host, sizeof(host));
	snprintf(buf, len, "%s%s%s: %.0f %s (threshold %.0f)", what[a->kind],
		 host[0] ? " " : "", host, a->value, sig_kind_units[a->kind],
		 a->threshold);
}

/* ---- events ---- */

static int same_event(const struct sig_event *e, __u64 id,
		      const struct sig_alert *a)
{
	return e->used && e->instance_id == id && e->alert.kind == a->kind &&
	       e->alert.host.ethertype == a->host.ethertype &&
	       !memcmp(e->alert.host.addr, a->host.addr,
		       sizeof(a->host.addr));
}

static void event_start(struct sig_events *ev, const struct snapshot *s,
			const struct sig_alert *a, __u64 now_ms,
			sig_event_fn fn, void *ctx)
{
	const struct iface_rec *ir = &s->ifaces[a->iface];
	int i;

	for (i = 0; i < SIG_EVENTS && ev->ev[i].used; i++)
		;
	if (now_ms - ev->window_ms >= 60000) {
		ev->window_ms = now_ms;
		ev->started = 0;
	}
	if (i == SIG_EVENTS) {
		ev->suppressed++;
		return;
	}
	ev->ev[i] = (struct sig_event){ .instance_id = ir->meta.instance_id,
					.alert = *a, .start_ms = now_ms,
					.seen_ms = now_ms, .used = 1 };
	if (ev->started >= SIG_EVENT_BURST) {
		ev->suppressed++;
		return;
	}
	ev->started++;
	ev->ev[i].reported = 1;
	fn(SIG_EVENT_START, iface_rec_name(ir), a, 0, ev->suppressed, ctx);
	ev->suppressed = 0;
}

static void event_seen(struct sig_events *ev, const struct snapshot *s,
		       const struct sig_alert *a, __u64 now_ms,
		       sig_event_fn fn, void *ctx)
{
	__u64 id = s->ifaces[a->iface].meta.instance_id;
	int i;

	for (i = 0; i < SIG_EVENTS; i++) {
		struct sig_event *e = &ev->ev[i];

		if (!same_event(e, id, a))
			continue;
		e->seen_ms = now_ms;
		if (a->value > e->alert.value)
			e->alert.value = a->value;
		return;
	}
	event_start(ev, s, a, now_ms, fn, ctx);
}

void signals_track(struct sig_events *ev, const struct snapshot *s,
		   const struct sig_thresholds *th, __u64 now_ms,
		   sig_event_fn fn, void *ctx)
{
	struct sig_alert a[SIG_EVENTS];
	char name[IF_NAMESIZE];
	int n, i, j;

	n = signals_alerts(s, th, a, SIG_EVENTS);
	for (i = 0; i < n; i++)
		event_seen(ev, s, &a[i], now_ms, fn, ctx);
	for (i = 0; i < SIG_EVENTS; i++) {
		struct sig_event *e = &ev->ev[i];

		if (!e->used || now_ms - e->seen_ms < SIG_EVENT_END_MS)
			continue;
		snprintf(name, sizeof(name), "%s", e->alert.iface >= 0 &&
			 e->alert.iface < s->n_ifaces &&
			 s->ifaces[e->alert.iface].meta.instance_id ==
				 e->instance_id ?
			 iface_rec_name(&s->ifaces[e->alert.iface]) : "");
		for (j = 0; !name[0] && j < s->n_ifaces; j++)
			if (s->ifaces[j].meta.instance_id == e->instance_id)
				snprintf(name, sizeof(name), "%s",
					 iface_rec_name(&s->ifaces[j]));
		if (e->reported)
			fn(SIG_EVENT_END, name[0] ? name : "(gone)",
			   &e->alert, (e->seen_ms - e->start_ms) / 1000.0, 0,
			   ctx);
		e->used = 0;
	}
}
