// SPDX-License-Identifier: GPL-2.0
/*
 * The match expression in the data plane, with BPF_PROG_TEST_RUN: for
 * every operator (host, net v4 and v6, port, proto, vlan, and, or, not,
 * parentheses) and for expressions of 32 terms and more, each of a set
 * of frames is counted in a flow exactly when the expression matches it
 * (as written here, and as filter_match() says of the frame's key), and
 * as unmatched otherwise, in the XDP and tc programs; an expression
 * changed on the running instance (match_apply) takes effect at once,
 * also for a flow the fast path remembers; the totals invariant holds
 * with unmatched; too large and iface expressions are refused.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "fold.h"
#include "match.h"
#include "store.h"
#include "testlib.h"
#include "pktbuild.h"
#include "dptest.h"

#define V4 .ethertype = 0x0800, .src = "192.0.2.1", .dst = "198.51.100.2"
#define V6 .ethertype = 0x86dd, .src = "2001:db8::1", .dst = "2001:db8:1::2"
#define TCP .proto = IPPROTO_TCP, .sport = 40001, .dport = 80, .tcp_flags = 0x18, \
	.payload = 30
#define UDP .proto = IPPROTO_UDP, .sport = 5353, .dport = 53, .payload = 30

static const struct pkt_spec frames[] = {
	{ V4, UDP },						/* 0 */
	{ V4, TCP },						/* 1 */
	{ V6, UDP },						/* 2 */
	{ V6, TCP },						/* 3 */
	{ V4, .proto = IPPROTO_ICMP, .sport = 8 },		/* 4: echo */
	{ .ntags = 1, .tpid = { 0x8100 }, .vid = { 9 }, V4, UDP },	/* 5 */
	{ .ntags = 2, .tpid = { 0x88a8, 0x8100 }, .vid = { 100, 200 },
	  V4, TCP },						/* 6 */
	{ .ethertype = 0x0800, .src = "203.0.113.9", .dst = "198.51.100.2",
	  .proto = IPPROTO_UDP, .sport = 1000, .dport = 53, .payload = 30 },
								/* 7 */
	{ .ethertype = 0x88b5, .payload = 46 },			/* 8: not IP */
};
#define N_FRAMES (int)(sizeof(frames) / sizeof(frames[0]))
#define F(i) (1u << (i))
#define ALL ((1u << N_FRAMES) - 1)

struct match_case {
	const char *expr;	/* NULL: made in main() */
	unsigned int want;	/* frames that match (each case runs in XDP
				 * and tc ingress) */
};

static const struct match_case cases[] = {
	{ "host 192.0.2.1", F(0) | F(1) | F(4) | F(5) | F(6) },
	{ "host 198.51.100.2", F(0) | F(1) | F(4) | F(5) | F(6) | F(7) },
	{ "host 2001:db8:1::2", F(2) | F(3) },
	{ "host 2001:db8::2", 0 },
	{ "net 203.0.113.0/24", F(7) },
	{ "net 192.0.2.0/31", F(0) | F(1) | F(4) | F(5) | F(6) },
	{ "net 192.0.2.2/31", 0 },
	{ "net 0.0.0.0/0", F(0) | F(1) | F(4) | F(5) | F(6) | F(7) },
	{ "net 2001:db8::/32", F(2) | F(3) },
	{ "net 2001:db8:1::/48", F(2) | F(3) },
	{ "net 2001:db8:2::/48", 0 },
	{ "port 53", F(0) | F(2) | F(5) | F(7) },
	{ "port 80", F(1) | F(3) | F(6) },
	{ "port 8", 0 },	/* ICMP's type is no port */
	{ "proto udp", F(0) | F(2) | F(5) | F(7) },
	{ "proto icmp", F(4) },
	{ "proto 6", F(1) | F(3) | F(6) },
	{ "vlan 9", F(5) },
	{ "vlan 100", F(6) },
	{ "vlan 200", F(6) },
	{ "vlan 0", 0 },
	{ "proto udp and host 203.0.113.9", F(7) },
	{ "port 53 proto udp", F(0) | F(2) | F(5) | F(7) },
	{ "proto tcp or proto icmp", F(1) | F(3) | F(4) | F(6) },
	{ "not proto udp", F(1) | F(3) | F(4) | F(6) | F(8) },
	{ "not (port 53 or port 80)", F(4) | F(8) },
	{ "(host 192.0.2.1 or host 2001:db8::1) and not vlan 9 and port 53",
	  F(0) | F(2) },
	{ "! host 192.0.2.1 && ! vlan 100", F(2) | F(3) | F(7) | F(8) },
	{ "not not port 80 || vlan 9", F(1) | F(3) | F(5) | F(6) },
	{ NULL, F(0) | F(2) | F(5) | F(7) },	/* 32 ports */
	{ NULL, F(4) },			/* 40 terms: 39 hosts or icmp */
	{ "none", ALL },
};

static struct dataplane dp;
static struct instance inst;
static struct match_set set;

static int load(void)
{
	struct dptest_opts o = { .max_flows = 1024, .slots = 64,
				 .fi = &inst };

	return dptest_up(&dp, &o);
}

/* The direction's counts in the store, folded now. */
static struct store_counts counts(int dir)
{
	struct fold_opts o = { 0 };
	struct store_counts c = { 0 };
	int err = fold_instance(&inst, &o, NULL);

	CHECK(!err, "fold: %s", strerror(-err));
	if (!err)
		c = store_head(&inst.st)->dir[dir];
	return c;
}

/* Run frame i through program p (0 XDP, 1 tc ingress) n times. */
static int run(int p, int i, int n)
{
	__u8 buf[256];
	int len = pkt_build(&frames[i], buf);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = len, .repeat = n);

	return bpf_prog_test_run_opts(dp_prog_fd(&dp, p), &opts);
}

static int set_expr(const char *expr)
{
	struct filter_error fe;
	int err = match_compile(expr, &set, &fe);

	CHECK(!err, "compile '%s': %s", expr, fe.msg);
	if (!err)
		err = match_apply(&inst, &set);
	CHECK(!err, "apply '%s': %s", expr, strerror(-err));
	return err;
}

/* What filter_match() says of frame i's key. */
static bool filter_says(const char *expr, int i)
{
	struct filter_error fe;
	struct filter *f = NULL;
	struct flow_key k;
	bool m;

	if (match_compile(expr, &set, &fe) || !set.n_rules)
		return true;	/* none */
	pkt_expect(&frames[i], &k, FLOW_DIR_INGRESS);
	if (filter_parse(expr, &f, &fe))
		return false;
	m = filter_match(f, NULL, &k);
	filter_free(f);
	return m;
}

/*
 * Frame i runs 3 * 2^i times (three and more take the fast path where
 * it can), so that one fold tells which frames went unmatched: the
 * unmatched count over 3 is their bit mask.
 */
static struct store_counts last;	/* the counts after the last case */

static void run_case(const char *expr, unsigned int want, int p)
{
	struct store_counts a = last, b;
	__u64 runs = 0, un, ub, want_ub = 0;
	unsigned int says = 0;
	__u8 buf[256];
	int i;

	tl_begin("%s: '%.60s%s'", p ? "tc-ingress" : "xdp", expr,
		 strlen(expr) > 60 ? "..." : "");
	if (set_expr(expr)) {
		tl_end();
		return;
	}
	for (i = 0; i < N_FRAMES; i++) {
		says |= filter_says(expr, i) ? F(i) : 0;
		CHECK(!run(p, i, 3 << i), "frame %d: run: %s", i,
		      strerror(errno));
		runs += 3 << i;
		if (!(want & F(i)))
			want_ub += (3ULL << i) * (__u64)pkt_build(&frames[i],
								  buf);
	}
	b = last = counts(FLOW_DIR_INGRESS);
	un = b.unmatched_packets - a.unmatched_packets;
	ub = b.unmatched_bytes - a.unmatched_bytes;
	CHECK(says == want, "filter_match() matches frames %#x, the case %#x",
	      says, want);
	CHECK_EQ(b.packets - a.packets, runs);
	CHECK(un % 3 == 0 && un / 3 == (~want & ALL),
	      "unmatched frames %#llx (%llu), want %#x",
	      (unsigned long long)(un / 3), (unsigned long long)un,
	      ~want & ALL);
	CHECK_EQ(ub, want_ub);
	CHECK_EQ(b.untracked_packets - a.untracked_packets, 0);
	tl_end();
}

static char *terms(char *buf, size_t len, int n, const char *fmt,
		   const char *last)
{
	size_t at = 0;
	int i;

	buf[0] = '\0';
	for (i = 1; i < n && at < len; i++)
		at += snprintf(buf + at, len - at, fmt, i);
	snprintf(buf + at, len - at, "%s", last);
	return buf;
}

/* The flow the fast path remembers stops getting counts at a change. */
static void run_fast_path_change(void)
{
	struct store_counts a, b;
	__u64 flows;

	tl_begin("xdp: a change leaves out a flow the fast path remembers");
	if (!set_expr("port 53")) {
		a = counts(FLOW_DIR_INGRESS);
		run(0, 0, 20);
		b = counts(FLOW_DIR_INGRESS);
		CHECK(b.fast_hits > a.fast_hits, "no fast-path hits");
		set_expr("port 80");
		a = counts(FLOW_DIR_INGRESS);
		run(0, 0, 20);
		b = counts(FLOW_DIR_INGRESS);
		flows = b.packets - a.packets -
			(b.unmatched_packets - a.unmatched_packets);
		CHECK_EQ(b.unmatched_packets - a.unmatched_packets, 20);
		CHECK_EQ(flows, 0);
		CHECK_EQ(b.fast_hits - a.fast_hits, 0);
	}
	tl_end();
}

/* totals == flows + untracked + unmatched + retired, over everything. */
static void run_invariant(void)
{
	const struct store *st = &inst.st;
	struct store_counts c;
	__u64 p = 0, b = 0;
	__u32 i;

	tl_begin("totals == flows + untracked + unmatched + retired");
	c = counts(FLOW_DIR_INGRESS);
	for (i = 0; i < st->hdr->n_records; i++) {
		const struct store_rver *v = store_valid(st, i);

		if (v->state == REC_LIVE && st->recs[i].key.dir == 0) {
			p += v->packets;
			b += v->bytes;
		}
	}
	CHECK(c.unmatched_packets > 0, "nothing unmatched");
	CHECK_EQ(c.packets, p + c.untracked_packets + c.unmatched_packets +
			    c.retired_packets);
	CHECK_EQ(c.bytes, b + c.untracked_bytes + c.unmatched_bytes +
			  c.retired_bytes);
	tl_end();
}

static void run_refused(void)
{
	char big[2048];
	struct filter_error fe;

	tl_begin("64 ports fit, 65 are too large; iface is refused");
	CHECK_EQ(match_compile(terms(big, sizeof(big), 64, "port %d or ",
				     "port 64"), &set, &fe), 0);
	CHECK_EQ(set.n_rules, 256);
	CHECK_EQ(match_compile(terms(big, sizeof(big), 65, "port %d or ",
				     "port 65"), &set, &fe), -E2BIG);
	CHECK(strstr(fe.msg, "too large") != NULL, "%s", fe.msg);
	CHECK_EQ(match_compile("port 1 and iface eth0", &set, &fe), -EINVAL);
	CHECK(strstr(fe.msg, "iface") != NULL, "%s", fe.msg);
	CHECK_EQ(match_compile("port", &set, &fe), -EINVAL);
	tl_end();
}

int main(void)
{
	char e32[1024], e40[2048];
	size_t i;
	int p;

	if (dptest_init(true))
		return 1;
	tl_begin("load the XDP and tc objects into one instance");
	CHECK(!load(), "load failed");
	tl_end();
	if (tl_failed)
		return tl_exit();
	last = counts(FLOW_DIR_INGRESS);
	terms(e32, sizeof(e32), 32, "port %d or ", "port 53");
	/* hosts of no frame (198.18.0.0/15 is for benchmarks) */
	terms(e40, sizeof(e40), 40, "host 198.18.0.%d or ", "proto icmp");
	for (p = 0; p < 2; p++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(cases[i].expr ? cases[i].expr :
					 cases[i].want == F(4) ? e40 : e32,
					 cases[i].want, p);
	run_fast_path_change();
	run_invariant();
	run_refused();
	dptest_down(&dp, &inst, 0);
	dptest_fini();
	return tl_exit();
}
