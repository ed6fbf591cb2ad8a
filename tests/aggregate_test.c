// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for core/aggregate.c: the live view's rows. Synthetic
 * snapshots with known flows; every sum, group and order checked exactly.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "aggregate.h"
#include "collect.h"
#include "testlib.h"

#define NOW 1000.0

struct spec {
	int iface;
	int dir;
	__u8 proto;
	const char *src, *dst;
	__u16 sport, dport;
	__u64 packets, bytes;
	double pps2, first;
	__u8 tcp_flags;
};

/* Two interfaces; flows from specs (IPv4 or IPv6 by the address text). */
static struct snapshot *make_snapshot(const struct spec *sp, int n)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	int i, w;

	s->time = NOW;
	s->n_ifaces = 2;
	s->ifaces = calloc(2, sizeof(*s->ifaces));
	strcpy(s->ifaces[0].meta.ifname, "eth0");
	strcpy(s->ifaces[1].meta.ifname, "eth1");
	s->flows = calloc(n ? n : 1, sizeof(*s->flows));
	s->n_flows = n;
	for (i = 0; i < n; i++) {
		struct flow_rec *r = &s->flows[i];
		bool v6 = strchr(sp[i].src, ':');

		r->iface = sp[i].iface;
		r->key.dir = sp[i].dir;
		r->key.ethertype = v6 ? 0x86dd : 0x0800;
		r->key.proto = sp[i].proto;
		r->key.flags = FLOW_F_L4 | FLOW_F_PORTS;
		inet_pton(v6 ? AF_INET6 : AF_INET, sp[i].src, r->key.src);
		inet_pton(v6 ? AF_INET6 : AF_INET, sp[i].dst, r->key.dst);
		r->key.sport = sp[i].sport;
		r->key.dport = sp[i].dport;
		r->packets = sp[i].packets;
		r->bytes = sp[i].bytes;
		r->first_seen = sp[i].first;
		r->last_seen = sp[i].first + 1;
		r->tcp_flags = sp[i].tcp_flags;
		for (w = 0; w < RATE_WINDOWS; w++) {
			r->pps[w] = sp[i].pps2 / (w + 1);
			r->bps[w] = sp[i].pps2 * 8 * 100 / (w + 1);
		}
	}
	return s;
}

static const struct spec flows[] = {
	/* iface dir proto src dst sport dport pkts bytes pps first flags */
	{ 0, 0, 6, "192.0.2.1", "198.51.100.1", 40000, 80,
	  10, 1000, 5, 900, 0x02 },
	{ 0, 0, 6, "192.0.2.1", "198.51.100.1", 40001, 80,
	  20, 2000, 7, 950, 0x10 },
	{ 0, 1, 6, "198.51.100.1", "192.0.2.1", 80, 40000,
	  30, 3000, 1, 910, 0x12 },
	{ 0, 0, 17, "192.0.2.2", "198.51.100.1", 5000, 53,
	  4, 400, 2, 990, 0 },
	{ 1, 0, 17, "2001:db8::1", "2001:db8::2", 53, 6000,
	  50, 5000, 9, 980, 0 },
	{ 1, 0, 17, "192.0.2.1", "198.51.100.1", 1234, 80,
	  6, 600, 3, 970, 0 },
};
#define N_FLOWS ((int)(sizeof(flows) / sizeof(flows[0])))

static const struct agg_row *row_of(const struct agg_table *t, int iface,
				    const char *src, const char *dst)
{
	__u8 a[16] = {}, b[16] = {};
	size_t i;
	int af = src && strchr(src, ':') ? AF_INET6 : AF_INET;

	if (src)
		inet_pton(af, src, a);
	if (dst)
		inet_pton(af, dst, b);
	for (i = 0; i < t->n; i++)
		if (t->rows[i].iface == iface &&
		    (!src || !memcmp(t->rows[i].key.src, a, 16)) &&
		    (!dst || !memcmp(t->rows[i].key.dst, b, 16)))
			return &t->rows[i];
	return NULL;
}

static void test_flow_mode(struct snapshot *s)
{
	struct agg_table t = {};
	size_t i;

	tl_begin("flow mode: one row per flow, counts as in the snapshot");
	CHECK(aggregate(s, AGG_FLOW, -1, NULL, &t) == 0, "aggregate");
	CHECK_EQ(t.n, N_FLOWS);
	for (i = 0; i < t.n && i < (size_t)N_FLOWS; i++) {
		CHECK(!memcmp(&t.rows[i].key, &s->flows[i].key,
			      sizeof(t.rows[i].key)), "key %zu", i);
		CHECK_EQ(t.rows[i].packets, flows[i].packets);
		CHECK_EQ(t.rows[i].bytes, flows[i].bytes);
		CHECK_EQ(t.rows[i].n_flows, 1);
	}
	tl_end();
	agg_free(&t);
}

static void test_host_pair(struct snapshot *s)
{
	struct agg_table t = {};
	const struct agg_row *r;

	tl_begin("host pair: sums packets, bytes, rates, flags; min/max times");
	CHECK(aggregate(s, AGG_HOST_PAIR, -1, NULL, &t) == 0, "aggregate");
	/* eth0: 1>100.1 (2 flows), 100.1>1, 2>100.1; eth1: v6, 1>100.1 */
	CHECK_EQ(t.n, 5);
	r = row_of(&t, 0, "192.0.2.1", "198.51.100.1");
	CHECK(r != NULL, "row 192.0.2.1 > 198.51.100.1 on eth0");
	if (r) {
		CHECK_EQ(r->n_flows, 2);
		CHECK_EQ(r->packets, 30);
		CHECK_EQ(r->bytes, 3000);
		CHECK(r->pps[RATE_2S] == 12, "pps %g", r->pps[RATE_2S]);
		CHECK(r->pps[RATE_10S] == 6, "pps10 %g", r->pps[RATE_10S]);
		CHECK(r->bps[RATE_2S] == 12 * 800, "bps %g", r->bps[RATE_2S]);
		CHECK(r->first_seen == 900, "first %g", r->first_seen);
		CHECK(r->last_seen == 951, "last %g", r->last_seen);
		CHECK_EQ(r->tcp_flags, 0x12);
		CHECK(!(r->fields & (AGG_F_DIR | AGG_F_PROTO | AGG_F_SPORT)),
		      "fields %#x", r->fields);
		CHECK_EQ(r->key.sport, 0);
		CHECK_EQ(r->key.proto, 0);
	}
	r = row_of(&t, 1, "192.0.2.1", "198.51.100.1");
	CHECK(r && r->packets == 6, "eth1's pair is its own row");
	tl_end();
	agg_free(&t);
}

static void test_hosts(struct snapshot *s)
{
	struct agg_table t = {};
	const struct agg_row *r;

	tl_begin("source host and destination host");
	CHECK(aggregate(s, AGG_SRC_HOST, 0, NULL, &t) == 0, "aggregate");
	CHECK_EQ(t.n, 3);	/* eth0: .1, 100.1, .2 */
	r = row_of(&t, 0, "192.0.2.1", NULL);
	CHECK(r && r->packets == 30 && r->n_flows == 2, "src 192.0.2.1");
	CHECK(aggregate(s, AGG_DST_HOST, 0, NULL, &t) == 0, "aggregate");
	CHECK_EQ(t.n, 2);	/* eth0: 100.1 (3 flows), .1 */
	r = row_of(&t, 0, NULL, "198.51.100.1");
	CHECK(r && r->packets == 34 && r->bytes == 3400 && r->n_flows == 3,
	      "dst 198.51.100.1");
	tl_end();
	agg_free(&t);
}

static void test_port_proto_iface(struct snapshot *s)
{
	struct agg_table t = {};
	size_t i;
	__u64 p80 = 0, p53 = 0, tcp = 0, udp = 0, in0 = 0, out0 = 0;

	tl_begin("port (the lower of the two), protocol, interface");
	CHECK(aggregate(s, AGG_PORT, -1, NULL, &t) == 0, "aggregate");
	for (i = 0; i < t.n; i++) {
		if (t.rows[i].iface == 0 && t.rows[i].key.dport == 80)
			p80 += t.rows[i].packets;
		if (t.rows[i].iface == 0 && t.rows[i].key.dport == 53)
			p53 += t.rows[i].packets;
	}
	CHECK_EQ(p80, 60);	/* both directions of the tcp flows */
	CHECK_EQ(p53, 4);
	CHECK_EQ(t.n, 4);	/* eth0 tcp/80 udp/53, eth1 udp/53 udp/80 */
	CHECK(aggregate(s, AGG_PROTO, 0, NULL, &t) == 0, "aggregate");
	for (i = 0; i < t.n; i++) {
		tcp += t.rows[i].key.proto == 6 ? t.rows[i].packets : 0;
		udp += t.rows[i].key.proto == 17 ? t.rows[i].packets : 0;
	}
	CHECK_EQ(t.n, 2);
	CHECK_EQ(tcp, 60);
	CHECK_EQ(udp, 4);
	CHECK(aggregate(s, AGG_IFACE, 0, NULL, &t) == 0, "aggregate");
	for (i = 0; i < t.n; i++) {
		in0 += t.rows[i].key.dir == 0 ? t.rows[i].packets : 0;
		out0 += t.rows[i].key.dir == 1 ? t.rows[i].packets : 0;
	}
	CHECK_EQ(t.n, 2);
	CHECK_EQ(in0, 34);
	CHECK_EQ(out0, 30);
	tl_end();
	agg_free(&t);
}

static void test_filter(struct snapshot *s)
{
	struct agg_table t = {};
	struct filter_error fe;
	struct filter *f = NULL;

	tl_begin("a filter narrows the rows before grouping");
	CHECK(filter_parse("port 80 and iface eth0", &f, &fe) == 0, "parse");
	CHECK(aggregate(s, AGG_FLOW, -1, f, &t) == 0, "aggregate");
	CHECK_EQ(t.n, 3);
	CHECK(aggregate(s, AGG_HOST_PAIR, -1, f, &t) == 0, "aggregate");
	CHECK_EQ(t.n, 2);
	filter_free(f);
	CHECK(filter_parse("proto udp", &f, &fe) == 0, "parse");
	CHECK(aggregate(s, AGG_FLOW, 1, f, &t) == 0, "aggregate");
	CHECK_EQ(t.n, 2);
	filter_free(f);
	tl_end();
	agg_free(&t);
}

static void test_sort(struct snapshot *s)
{
	struct agg_table t = {};
	struct agg_row keep;
	size_t i;
	bool desc = true, asc = true;

	tl_begin("sort: counts largest first, reverse, stable ties, find");
	CHECK(aggregate(s, AGG_FLOW, -1, NULL, &t) == 0, "aggregate");
	agg_sort(&t, AGG_SORT_PACKETS, RATE_2S, false, NOW);
	for (i = 1; i < t.n; i++)
		desc &= agg_at(&t, i - 1)->packets >= agg_at(&t, i)->packets;
	CHECK(desc, "packets descending");
	CHECK_EQ(agg_at(&t, 0)->packets, 50);
	agg_sort(&t, AGG_SORT_PACKETS, RATE_2S, true, NOW);
	for (i = 1; i < t.n; i++)
		asc &= agg_at(&t, i - 1)->packets <= agg_at(&t, i)->packets;
	CHECK(asc, "reversed: ascending");
	CHECK_EQ(agg_at(&t, 0)->packets, 4);
	agg_sort(&t, AGG_SORT_RATE, RATE_2S, false, NOW);
	CHECK(agg_at(&t, 0)->pps[RATE_2S] == 9, "rate: the v6 flow first");
	agg_sort(&t, AGG_SORT_SRC, RATE_2S, false, NOW);
	CHECK_EQ(agg_at(&t, 0)->key.ethertype, 0x0800);
	CHECK_EQ(agg_at(&t, t.n - 1)->key.ethertype, 0x86dd);
	/* ties (iface sort: 4 rows on eth0): source address, then port */
	agg_sort(&t, AGG_SORT_IFACE, RATE_2S, false, NOW);
	for (i = 1; i < 4; i++) {
		int c = memcmp(agg_at(&t, i - 1)->key.src,
			       agg_at(&t, i)->key.src, 16);

		CHECK(c < 0 || (c == 0 && agg_at(&t, i - 1)->key.sport <
					  agg_at(&t, i)->key.sport),
		      "tie order %zu", i);
	}
	agg_sort(&t, AGG_SORT_IFACE, RATE_2S, true, NOW);
	CHECK_EQ(agg_at(&t, 0)->iface, 1);
	keep = *agg_at(&t, 3);
	agg_sort(&t, AGG_SORT_BYTES, RATE_2S, false, NOW);
	i = (size_t)agg_find(&t, &keep);
	CHECK(i < t.n && agg_at(&t, i)->packets == keep.packets, "find");
	tl_end();
	agg_free(&t);
}

static void test_tie_order(void)
{
	static const struct spec ties[] = {
		{ 0, 0, 17, "2001:db8::1", "2001:db8::2", 1, 1, 5, 5, 1, 1, 0 },
		{ 0, 0, 17, "192.0.2.9", "192.0.2.1", 256, 1, 5, 5, 1, 1, 0 },
		{ 0, 0, 17, "192.0.2.9", "192.0.2.1", 1, 1, 5, 5, 1, 1, 0 },
		{ 0, 0, 17, "192.0.2.10", "192.0.2.1", 1, 1, 5, 5, 1, 1, 0 },
		{ 0, 0, 17, "2001:db8::1:0:0:0:1", "2001:db8::2", 1, 1, 5, 5,
		  1, 1, 0 },
		{ 0, 0, 17, "192.0.2.9", "192.0.2.0", 256, 1, 5, 5, 1, 1, 0 },
	};
	/* IPv4 by address and port (numeric), then IPv6 */
	static const int want[] = { 2, 5, 1, 3, 0, 4 };
	struct snapshot *s = make_snapshot(ties, 6);
	struct agg_table t = {};
	int i, r;

	tl_begin("ties: IPv4 before IPv6, source address, port as a number");
	CHECK(aggregate(s, AGG_FLOW, -1, NULL, &t) == 0, "aggregate");
	for (r = 0; r < 2; r++) {
		agg_sort(&t, AGG_SORT_PACKETS, RATE_2S, r, NOW);
		for (i = 0; i < 6; i++)
			CHECK(!memcmp(&agg_at(&t, i)->key, &s->flows[want[i]].key,
				      sizeof(agg_at(&t, i)->key)),
			      "%s: row %d is not flow %d",
			      r ? "reversed" : "sorted", i, want[i]);
	}
	tl_end();
	agg_free(&t);
	snapshot_free(s);
}

static void test_cumulative(struct snapshot *s)
{
	struct agg_table t = {};

	tl_begin("cumulative window: average since the first packet");
	CHECK(aggregate(s, AGG_FLOW, -1, NULL, &t) == 0, "aggregate");
	/* flow 0: 10 packets, 1000 bytes, first seen 100 s ago */
	CHECK(agg_pps(&t.rows[0], AGG_CUMULATIVE, NOW) == 0.1, "pps %g",
	      agg_pps(&t.rows[0], AGG_CUMULATIVE, NOW));
	CHECK(agg_bps(&t.rows[0], AGG_CUMULATIVE, NOW) == 80, "bps %g",
	      agg_bps(&t.rows[0], AGG_CUMULATIVE, NOW));
	CHECK(agg_bps(&t.rows[0], RATE_10S, NOW) == t.rows[0].bps[RATE_10S],
	      "windowed");
	/* a flow seen just now: at least one second of lifetime */
	CHECK(agg_pps(&t.rows[0], AGG_CUMULATIVE, 900.2) == 10, "young");
	agg_sort(&t, AGG_SORT_RATE, AGG_CUMULATIVE, false, NOW);
	CHECK_EQ(agg_at(&t, 0)->bytes, 5000);	/* 5000 B in 20 s */
	tl_end();
	agg_free(&t);
}

static void test_empty(void)
{
	struct snapshot *s = make_snapshot(NULL, 0);
	struct agg_table t = {};
	int m;

	tl_begin("an empty snapshot gives no rows in every mode");
	for (m = 0; m < AGG_MODES; m++) {
		CHECK(aggregate(s, m, -1, NULL, &t) == 0, "mode %d", m);
		CHECK_EQ(t.n, 0);
	}
	agg_sort(&t, AGG_SORT_RATE, RATE_2S, false, NOW);
	tl_end();
	agg_free(&t);
	snapshot_free(s);
}

static void test_many(void)
{
	struct snapshot *s = make_snapshot(flows, 1);
	struct agg_table t = {};
	__u64 total = 0;
	size_t i, n = 100000;

	tl_begin("100000 flows into 256 source hosts: every packet counted");
	s->flows = realloc(s->flows, n * sizeof(*s->flows));
	for (i = 0; i < n; i++) {
		s->flows[i] = s->flows[0];
		s->flows[i].key.src[3] = (__u8)(i % 256);
		s->flows[i].key.sport = (__u16)(i / 256);
		s->flows[i].packets = i + 1;
	}
	s->n_flows = n;
	CHECK(aggregate(s, AGG_FLOW, -1, NULL, &t) == 0, "flows");
	CHECK_EQ(t.n, n);
	CHECK(aggregate(s, AGG_SRC_HOST, -1, NULL, &t) == 0, "hosts");
	CHECK_EQ(t.n, 256);
	for (i = 0; i < t.n; i++)
		total += t.rows[i].packets;
	CHECK_EQ(total, (__u64)n * (n + 1) / 2);
	tl_end();
	agg_free(&t);
	snapshot_free(s);
}

/* Flows with few distinct counts (ties everywhere), in a random order. */
static struct snapshot *tie_heavy(size_t n)
{
	struct snapshot *s = make_snapshot(flows, 1);
	__u32 seed = 12345;
	size_t i;

	s->flows = realloc(s->flows, n * sizeof(*s->flows));
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		s->flows[i] = s->flows[0];
		s->flows[i].iface = (seed >> 8) & 1;
		s->flows[i].key.src[2] = (__u8)(seed >> 16);
		s->flows[i].key.src[3] = (__u8)(i % 251);
		s->flows[i].key.sport = (__u16)(i / 251);
		s->flows[i].packets = (seed >> 20) % 7;
		s->flows[i].bps[RATE_2S] = (seed >> 12) % 3 ? 0 : i % 5;
	}
	s->n_flows = n;
	return s;
}

/*
 * Settling ranges of ranks (a screen, page down, up, End, a jump) gives
 * exactly the rows a full sort puts there, for every order.
 */
static void test_settle(void)
{
	static const size_t ranges[][2] = {
		{ 0, 45 }, { 44, 89 }, { 88, 133 }, { 60, 105 }, { 0, 1 },
		{ 4955, 5000 }, { 4900, 4960 }, { 2000, 2045 }, { 1990, 2100 },
		{ 0, 5000 }, { 30, 75 }, { 4999, 5040 },
	};
	struct snapshot *s = tie_heavy(5000);
	struct agg_table full = {}, t = {};
	int by, rev, failed = 0;
	size_t r, i;
	long at;

	tl_begin("partial ordering: any range of ranks as a full sort has it");
	CHECK(aggregate(s, AGG_FLOW, -1, NULL, &full) == 0, "aggregate");
	CHECK(aggregate(s, AGG_FLOW, -1, NULL, &t) == 0, "aggregate");
	for (by = 0; by < AGG_SORTS; by++)
		for (rev = 0; rev < 2; rev++) {
			agg_sort(&full, by, RATE_2S, rev, NOW);
			agg_order(&t, by, RATE_2S, rev, NOW);
			for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]);
			     r++) {
				agg_settle(&t, ranges[r][0], ranges[r][1]);
				for (i = ranges[r][0];
				     i < ranges[r][1] && i < t.n; i++)
					failed += agg_at(&t, i) !=
						  &t.rows[agg_at(&full, i) -
							  full.rows];
			}
			at = agg_find(&t, agg_at(&full, 1234));
			CHECK(at == 1234, "sort %d%s: find gives rank %ld",
			      by, rev ? " reversed" : "", at);
		}
	CHECK_EQ(failed, 0);
	tl_end();
	agg_free(&full);
	agg_free(&t);
	snapshot_free(s);
}

int main(void)
{
	struct snapshot *s = make_snapshot(flows, N_FLOWS);

	test_flow_mode(s);
	test_host_pair(s);
	test_hosts(s);
	test_port_proto_iface(s);
	test_filter(s);
	test_sort(s);
	test_tie_order();
	test_cumulative(s);
	test_empty();
	test_many();
	test_settle();
	snapshot_free(s);
	return tl_exit();
}
