// SPDX-License-Identifier: GPL-2.0
/*
 * From snapshots to IPFIX records (export/flowexp.c): which flows get a
 * record and when, delta counts, end reasons, times, domains, and the
 * marks it keeps (bounded by the flows that are live).
 */
#include <stdlib.h>
#include <string.h>
#include "flowexp.h"
#include "store.h"
#include "testlib.h"

#define MAXREC 8192

static struct ipfix_flow recs[MAXREC];
static int nrec;

static int collect_rec(void *ctx, const struct ipfix_flow *f)
{
	(void)ctx;
	if (nrec < MAXREC)
		recs[nrec++] = *f;
	return 0;
}

/* A snapshot of one interface (ifindex 7) holding n flows. */
static struct snapshot *snap_new(double now, size_t n, __u64 instance_id)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	s->time = now;
	s->n_ifaces = 1;
	s->ifaces = calloc(1, sizeof(*s->ifaces));
	s->ifaces[0].meta.ifindex = 7;
	s->ifaces[0].meta.instance_id = instance_id;
	s->flows = calloc(n ? n : 1, sizeof(*s->flows));
	s->n_flows = n;
	return s;
}

static void snap_free(struct snapshot *s)
{
	free(s->ifaces);
	free(s->flows);
	free(s);
}

static void flow_set(struct flow_rec *r, __u64 birth, __u64 packets,
		     double first, double last)
{
	memset(r, 0, sizeof(*r));
	r->key.ethertype = 0x0800;
	r->key.flags = FLOW_F_L4 | FLOW_F_PORTS;
	r->key.proto = 17;
	r->key.src[0] = 192;
	r->key.sport = 1000 + birth;
	r->key.dport = 53;
	r->birth = birth;
	r->packets = packets;
	r->bytes = packets * 100;
	r->ip_bytes = packets * 86;
	r->first_seen = first;
	r->last_seen = last;
}

static long run(struct flow_export *x, struct snapshot *s,
		const struct flowexp_opts *o, bool shutdown)
{
	nrec = 0;
	return flowexp_run(x, s, o, shutdown, collect_rec, NULL);
}

static void test_active_and_deltas(void)
{
	struct flowexp_opts o = { .active_ms = 60000 };
	struct flow_export *x;
	struct snapshot *s;

	tl_begin("active timeout: a record each 60 s, counts since the last");
	CHECK(!flowexp_new(&x), "new");
	s = snap_new(1000.0, 1, 11);
	flow_set(&s->flows[0], 1, 10, 1000.0, 1000.0);
	CHECK_EQ(run(x, s, &o, false), 0);
	s->time = 1059.9;
	s->flows[0].packets = 20;
	CHECK_EQ(run(x, s, &o, false), 0);
	s->time = 1060.0;
	s->flows[0].packets = 25;
	s->flows[0].bytes = 2500;
	s->flows[0].ip_bytes = 2150;
	s->flows[0].last_seen = 1059.5;
	CHECK_EQ(run(x, s, &o, false), 1);
	CHECK_EQ(recs[0].packets, 25);
	CHECK_EQ(recs[0].l2_bytes, 2500);
	CHECK_EQ(recs[0].l3_bytes, 2150);
	CHECK_EQ(recs[0].end_reason, END_ACTIVE);
	CHECK_EQ(recs[0].start_ms, 1000000);
	CHECK_EQ(recs[0].end_ms, 1059500);
	CHECK_EQ(recs[0].domain, 7);
	CHECK_EQ(recs[0].ifindex, 7);
	s->time = 1100.0;
	s->flows[0].packets = 30;
	s->flows[0].bytes = 3000;
	s->flows[0].ip_bytes = 2580;
	CHECK_EQ(run(x, s, &o, false), 0);	/* 40 s since the record */
	s->time = 1120.0;
	CHECK_EQ(run(x, s, &o, false), 1);
	CHECK_EQ(recs[0].packets, 5);
	CHECK_EQ(recs[0].l2_bytes, 500);
	CHECK_EQ(recs[0].l3_bytes, 430);
	s->time = 1180.0;			/* no packets since: no record */
	CHECK_EQ(run(x, s, &o, false), 0);
	snap_free(s);
	flowexp_free(x);
	tl_end();
}

static void test_end_reasons(void)
{
	static const __u8 reasons[] = { END_IDLE, END_FIN, END_RESOURCES,
					END_FORCED };
	struct flowexp_opts o = { .active_ms = 60000, .fixed_domain = true,
				  .domain_id = 42 };
	struct flow_export *x;
	struct snapshot *s;
	size_t i;

	tl_begin("ended flows: the last record, with the store's reason");
	CHECK(!flowexp_new(&x), "new");
	s = snap_new(500.0, 4, 12);
	for (i = 0; i < 4; i++)
		flow_set(&s->flows[i], i + 1, 3, 490.0, 495.0);
	CHECK_EQ(run(x, s, &o, false), 0);
	CHECK_EQ(flowexp_stats(x)->flows, 4);
	for (i = 0; i < 4; i++) {
		s->flows[i].packets = 5 + i;
		s->flows[i].ended = 1;
		s->flows[i].end_reason = reasons[i];
	}
	s->time = 510.0;
	CHECK_EQ(run(x, s, &o, false), 4);
	for (i = 0; i < 4 && nrec == 4; i++) {
		CHECK_EQ(recs[i].end_reason, reasons[i]);
		CHECK_EQ(recs[i].packets, 5 + i);
		CHECK_EQ(recs[i].domain, 42);
	}
	CHECK_EQ(flowexp_stats(x)->flows, 0);	/* marks go with the flows */
	CHECK_EQ(flowexp_stats(x)->records[END_FIN], 1);
	snap_free(s);
	flowexp_free(x);
	tl_end();
}

static void test_shutdown_and_non_ip(void)
{
	struct flowexp_opts o = { .active_ms = 60000 };
	struct flow_export *x;
	struct snapshot *s;

	tl_begin("shutdown: every live IP flow with news gets a forced end");
	CHECK(!flowexp_new(&x), "new");
	s = snap_new(100.0, 3, 13);
	flow_set(&s->flows[0], 1, 4, 99.0, 99.5);
	flow_set(&s->flows[1], 2, 6, 99.0, 99.5);
	flow_set(&s->flows[2], 3, 9, 99.0, 99.5);
	s->flows[2].key.ethertype = 0x0806;	/* ARP: no L4 */
	s->flows[2].key.flags = 0;
	CHECK_EQ(run(x, s, &o, false), 0);
	s->time = 161.0;			/* flow 1 and 2: active */
	CHECK_EQ(run(x, s, &o, false), 2);
	s->flows[1].packets = 7;
	s->time = 162.0;
	CHECK_EQ(run(x, s, &o, true), 1);	/* only flow 2 has news */
	CHECK_EQ(recs[0].packets, 1);
	CHECK_EQ(recs[0].end_reason, END_FORCED);
	snap_free(s);
	flowexp_free(x);
	tl_end();
}

static void test_times(void)
{
	struct flowexp_opts o = { .active_ms = 1000 };
	struct flow_export *x;
	struct snapshot *s;

	tl_begin("times: never ahead of now, never 1970, start <= end");
	CHECK(!flowexp_new(&x), "new");
	s = snap_new(2000.0, 2, 14);
	flow_set(&s->flows[0], 1, 4, 2005.0, 2006.0);	/* clock skew */
	flow_set(&s->flows[1], 2, 4, 0, 0);		/* not known */
	s->flows[0].ended = s->flows[1].ended = 1;
	s->flows[0].end_reason = s->flows[1].end_reason = END_IDLE;
	CHECK_EQ(run(x, s, &o, false), 2);
	CHECK_EQ(recs[0].end_ms, 2000000);
	CHECK_EQ(recs[0].start_ms, 2000000);
	CHECK_EQ(recs[1].start_ms, 2000000);
	CHECK_EQ(recs[1].end_ms, 2000000);
	snap_free(s);
	flowexp_free(x);
	tl_end();
}

static void test_many_and_gone(void)
{
	struct flowexp_opts o = { .active_ms = 10000 };
	struct flow_export *x;
	struct snapshot *s, *empty;
	__u64 sum = 0;
	size_t i, n = 5000;

	tl_begin("5000 flows: each one record; a gone interface's marks go");
	CHECK(!flowexp_new(&x), "new");
	s = snap_new(20.0, n, 15);
	for (i = 0; i < n; i++)
		flow_set(&s->flows[i], i + 1, i + 1, 1.0, 9.0);
	CHECK_EQ(run(x, s, &o, false), n);
	for (i = 0; i < (size_t)nrec; i++)
		sum += recs[i].packets;
	CHECK_EQ(sum, n * (n + 1) / 2);
	CHECK_EQ(flowexp_stats(x)->flows, n);
	CHECK_EQ(run(x, s, &o, false), 0);	/* nothing new */
	empty = snap_new(22.0, 0, 15);
	CHECK_EQ(run(x, empty, &o, false), 0);
	CHECK_EQ(flowexp_stats(x)->flows, 0);
	snap_free(empty);
	snap_free(s);
	flowexp_free(x);
	tl_end();
}

int main(void)
{
	test_active_and_deltas();
	test_end_reasons();
	test_shutdown_and_non_ip();
	test_times();
	test_many_and_gone();
	return tl_exit();
}
