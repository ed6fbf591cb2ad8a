// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the data plane: crafted frames run through the XDP
 * program and both tc programs with BPF_PROG_TEST_RUN; after each case
 * the flows (hash plus pending cache counts), the totals and the
 * invariant totals == flows + untracked (+ sampled_out, 0 here) are
 * checked exactly. Last, each
 * program takes 100,000 random and mutated frames (seeded: set
 * FLOWSTAT_FUZZ_SEED and FLOWSTAT_FUZZ_FRAMES to replay or lengthen),
 * with the invariant checked after every batch of 1,000.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>
#include <sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "fold.h"
#include "store.h"
#include "testlib.h"
#include "pktbuild.h"
#include "sweep.h"
#include "dptest.h"

#define MAX_GOT 256

/*
 * One instance, loaded and not attached: the data plane, and the view of
 * it that folds use. Counts are read the way flowstat reads them: a fold
 * hands the epoch over and adds it to the store. base: the store's
 * counts at the last reset, so that each case sees its own.
 */
struct inst {
	struct dataplane dp;
	struct instance fi;
	struct store_counts base[FLOW_DIR_MAX];
	__u32 slots;
	bool ran;		/* frames ran since the last fold */
	int held;		/* xdp_hold's ifindex */
};

/* The counts of one direction since the last reset. */
struct totals {
	__u64 packets, bytes, untracked_packets, untracked_bytes, fast_hits;
	__u64 sampled_out_packets, sampled_out_bytes;	/* 0: no --sample */
	__u64 unmatched_packets, unmatched_bytes;
};

struct got {
	struct flow_key key;
	__u64 packets, bytes, ip_bytes;
	__u8 tcp_flags;
};

enum prog_kind { P_XDP, P_TC_IN, P_TC_EG, P_KINDS };
static const char *const prog_names[] = { "xdp", "tc-ingress", "tc-egress" };
static int ncpus;

static void inst_close(struct inst *in)
{
	dptest_down(&in->dp, &in->fi, in->held);
}

static void set_base(struct inst *in)
{
	const struct store_hver *hv = store_head(&in->fi.st);

	memcpy(in->base, hv->dir, sizeof(in->base));
}

static int inst_open(struct inst *in, __u32 max_flows, __u32 slots)
{
	struct dptest_opts o = { .max_flows = max_flows, .slots = slots,
				 .fi = &in->fi, .held = &in->held };
	int err;

	memset(in, 0, sizeof(*in));
	in->slots = slots;
	err = dptest_up(&in->dp, &o);
	if (err) {
		errno = -err;
		return err;
	}
	set_base(in);
	return 0;
}

static int prog_fd(struct inst *in, enum prog_kind p)
{
	return dp_prog_fd(&in->dp, p == P_XDP ? 0 : p == P_TC_IN ? 1 : 2);
}

/*
 * The skb test run (tc) refuses, with EINVAL and before any program
 * runs, an untagged IPv4 frame without a whole 20-byte header and an
 * IPv6 one without its 40 bytes: the kernel pulls them to set the
 * socket's family. Such frames reach tc programs on a real interface
 * (the XDP case and the truncation sweep's tagged frames cover the
 * parser there), but cannot be fed to them here.
 */
static bool skb_run_refuses(const __u8 *f, int len)
{
	__u16 type = f[12] << 8 | f[13];

	return (type == 0x0800 && len < 14 + 20) ||
	       (type == 0x86dd && len < 14 + 40);
}

/* What each program returns for every frame: pass it on. */
static __u32 pass_verdict(enum prog_kind p)
{
	return p == P_XDP ? XDP_PASS : (__u32)-1;	/* TC_ACT_UNSPEC */
}

static __u8 prog_dir(enum prog_kind p)
{
	return p == P_TC_EG ? FLOW_DIR_EGRESS : FLOW_DIR_INGRESS;
}

/* Hand the epoch over (when frames ran since the last time). */
static int fold(struct inst *in, bool end_all)
{
	struct fold_opts o = { .end_all = end_all };
	int err;

	if (!in->ran && !end_all)
		return 0;
	err = fold_instance(&in->fi, &o, NULL);
	CHECK(!err, "fold: %s", strerror(-err));
	in->ran = false;
	return err;
}

/* A fresh start for a case: every flow ended, the counts as the base. */
static void inst_reset(struct inst *in)
{
	fold(in, true);
	set_base(in);
}

/* Run one frame through a program `repeat` times; returns the verdict. */
static int run(struct inst *in, enum prog_kind p, const void *frame, int len,
	       int repeat, int *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = repeat);
	int err = bpf_prog_test_run_opts(prog_fd(in, p), &opts);

	in->ran = true;
	if (err)	/* libbpf 1.x: a negative errno */
		return err < 0 ? err : -EIO;
	*verdict = (int)opts.retval;
	return 0;
}

static struct got *got_find(struct got *g, int n, const struct flow_key *k)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp(&g[i].key, k, sizeof(*k)))
			return &g[i];
	return NULL;
}

static struct got *got_add(struct got *g, int *n, const struct flow_key *k)
{
	struct got *e = got_find(g, *n, k);

	if (e || *n >= MAX_GOT)
		return e;
	e = &g[(*n)++];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	return e;
}

static __u64 current_gen(struct inst *in)
{
	return __atomic_load_n(&in->fi.ctl->gen, __ATOMIC_ACQUIRE);
}

/* The data plane's own rule: a cache slot holds only flows of the hash. */
static void check_slots_known(struct inst *in)
{
	__u64 gen = current_gen(in);
	int e = gen & 1, c;
	struct flow_slot *s = calloc(ncpus, sizeof(*s));
	struct flow_value *v = calloc(ncpus, sizeof(*v));
	__u32 i;

	for (i = 0; s && v && i < in->slots; i++) {
		if (bpf_map_lookup_elem(in->fi.cache_fd[e], &i, s))
			continue;
		for (c = 0; c < ncpus; c++)
			if (s[c].gen == gen &&
			    bpf_map_lookup_elem(in->fi.flows_fd[e], &s[c].key,
						v))
				CHECK(0, "cache slot %u holds a flow not in "
				      "the hash", i);
	}
	free(s);
	free(v);
}

/* Every flow with its true counts, as a fold puts them in the store. */
static int read_flows(struct inst *in, struct got *g)
{
	const struct store *st = &in->fi.st;
	int n = 0;
	__u32 i;

	check_slots_known(in);
	if (fold(in, false))
		return 0;
	for (i = 0; i < st->hdr->n_records; i++) {
		const struct store_rver *v = store_valid(st, i);

		if (v->state != REC_LIVE)
			continue;
		if (n == MAX_GOT) {	/* a case outgrew the buffer: say so */
			CHECK(0, "more than %d live flows", MAX_GOT);
			break;
		}
		g[n].key = st->recs[i].key;
		g[n].packets = v->packets;
		g[n].bytes = v->bytes;
		g[n].ip_bytes = v->ip_bytes;
		g[n].tcp_flags = v->tcp_flags;
		n++;
	}
	return n;
}

static struct totals read_totals(struct inst *in, __u32 dir)
{
	const struct store_counts *c, *b = &in->base[dir];
	struct totals t = { 0 };

	if (fold(in, false))
		return t;
	c = &store_head(&in->fi.st)->dir[dir];
	t.packets = c->packets - b->packets;
	t.bytes = c->bytes - b->bytes;
	t.untracked_packets = c->untracked_packets - b->untracked_packets;
	t.untracked_bytes = c->untracked_bytes - b->untracked_bytes;
	t.unmatched_packets = c->unmatched_packets - b->unmatched_packets;
	t.unmatched_bytes = c->unmatched_bytes - b->unmatched_bytes;
	t.fast_hits = c->fast_hits - b->fast_hits;
	t.sampled_out_packets = c->sampled_out_packets - b->sampled_out_packets;
	t.sampled_out_bytes = c->sampled_out_bytes - b->sampled_out_bytes;
	return t;
}

static void print_key(const char *what, const struct flow_key *k)
{
	const __u8 *b = (const __u8 *)k;
	size_t i;

	printf("#     %s:", what);
	for (i = 0; i < sizeof(*k); i++)
		printf("%s%02x", i % 16 ? "" : " ", b[i]);
	printf("  (etype %#x vlan %u/%u proto %u ports %u/%u flags %#x)\n",
	       k->ethertype, k->vlan, k->inner_vlan, k->proto, k->sport,
	       k->dport, k->flags);
}

/* Check the totals invariant for both directions. */
static void check_invariant(struct inst *in, struct got *g, int n)
{
	__u32 dir;
	int i;

	for (dir = 0; dir < FLOW_DIR_MAX; dir++) {
		struct totals t = read_totals(in, dir);
		__u64 p = 0, b = 0;

		for (i = 0; i < n; i++)
			if (g[i].key.dir == dir) {
				p += g[i].packets;
				b += g[i].bytes;
			}
		CHECK(t.packets == p + t.untracked_packets +
				   t.unmatched_packets +
				   t.sampled_out_packets &&
		      t.bytes == b + t.untracked_bytes + t.unmatched_bytes +
				 t.sampled_out_bytes,
		      "dir %u: totals %llu/%llu != flows %llu/%llu + untracked %llu/%llu + unmatched %llu/%llu + sampled_out %llu/%llu",
		      dir, t.packets, t.bytes, p, b, t.untracked_packets,
		      t.untracked_bytes, t.unmatched_packets,
		      t.unmatched_bytes, t.sampled_out_packets,
		      t.sampled_out_bytes);
		CHECK(!t.sampled_out_packets, "sampled out without --sample");
	}
}

/* ---- the cases ---- */

typedef void (*fixup_fn)(struct flow_key *k, __u8 *tcp_flags);

struct pcase {
	const char *name;
	struct pkt_spec spec[2];
	int nspec;		/* frames in the case (default 1) */
	int repeat;		/* runs of each frame (default 3) */
	int cut;		/* cut the frames to this length (0: whole) */
	int mangle_off;		/* if non-zero, set this byte ... */
	__u8 mangle_val;	/* ... to this value after building */
	int pad_to;		/* zero-pad the frames to this length */
	fixup_fn fix;		/* adjust the whole-frame expectation */
};

/*
 * The IP bytes a frame of len bytes with key k must count, from the
 * frame's own IP length field (IANA's octetDeltaCount): Ethernet padding
 * left out, never more than the frame holds. Tags are in the frame.
 */
static __u64 frame_ip_bytes(const __u8 *f, int len, const struct flow_key *k)
{
	int l3 = 14 + 4 * (!!(k->flags & FLOW_F_VLAN) +
			   !!(k->flags & FLOW_F_INNER_VLAN));
	__u64 claim, room;

	if (!(k->flags & FLOW_F_L4) || len <= l3)
		return 0;
	room = len - l3;
	if (k->ethertype == 0x0800) {
		claim = (__u64)f[l3 + 2] << 8 | f[l3 + 3];
	} else {
		claim = (__u64)f[l3 + 4] << 8 | f[l3 + 5];
		claim = claim ? claim + 40 : 0;
	}
	return claim && claim < room ? claim : room;
}

/* Zero-pad a frame of *len bytes to pad_to, as a NIC pads short frames. */
static void pad_frame(__u8 *frame, int *len, int pad_to)
{
	if (pad_to > *len) {
		memset(frame + *len, 0, pad_to - *len);
		*len = pad_to;
	}
}

static void no_ports(struct flow_key *k, __u8 *tcp_flags)
{
	k->flags &= ~FLOW_F_PORTS;
	k->sport = k->dport = 0;
	*tcp_flags = 0;
}

static void fix_fragment(struct flow_key *k, __u8 *tcp_flags)
{
	(void)tcp_flags;
	k->flags |= FLOW_F_FRAGMENT;
}

static void fix_later_fragment(struct flow_key *k, __u8 *tcp_flags)
{
	no_ports(k, tcp_flags);
	k->flags |= FLOW_F_FRAGMENT;
}

static void fix_l4_cut(struct flow_key *k, __u8 *tcp_flags)
{
	no_ports(k, tcp_flags);
	k->flags |= FLOW_F_TRUNCATED;
}

/* Only the ethertype (and tags) survive: the IP header is unusable. */
static void fix_no_l3(struct flow_key *k, __u8 *tcp_flags)
{
	no_ports(k, tcp_flags);
	memset(k->src, 0, sizeof(k->src));
	memset(k->dst, 0, sizeof(k->dst));
	k->proto = 0;
	k->flags &= ~FLOW_F_L4;
	k->flags |= FLOW_F_TRUNCATED;
}

static void fix_long_chain(struct flow_key *k, __u8 *tcp_flags)
{
	no_ports(k, tcp_flags);
	k->proto = IPPROTO_DSTOPTS;	/* the header reached */
}

static void fix_ext_cut(struct flow_key *k, __u8 *tcp_flags)
{
	fix_l4_cut(k, tcp_flags);
	k->proto = IPPROTO_HOPOPTS;	/* the header being read */
}

static void fix_llc(struct flow_key *k, __u8 *tcp_flags)
{
	(void)tcp_flags;
	k->ethertype = 0;
}

#define V4 .ethertype = 0x0800, .src = "192.0.2.1", .dst = "198.51.100.2"
#define V6 .ethertype = 0x86dd, .src = "2001:db8::1", .dst = "2001:db8:1::2"
#define TCP(f) .proto = IPPROTO_TCP, .sport = 40001, .dport = 80, .tcp_flags = f
#define UDP .proto = IPPROTO_UDP, .sport = 5353, .dport = 53
#define DOT1Q(v) .ntags = 1, .tpid = { 0x8100 }, .vid = { v }
#define QINQ(o, i) .ntags = 2, .tpid = { 0x88a8, 0x8100 }, .vid = { o, i }

static const struct pcase cases[] = {
	{ .name = "ipv4 tcp syn", .spec = { { V4, TCP(0x02) } } },
	{ .name = "ipv4 tcp ack with payload", .spec = { { V4, TCP(0x10), .payload = 1000 } } },
	{ .name = "ipv4 udp", .spec = { { V4, UDP, .payload = 64 } } },
	{ .name = "ipv4 icmp echo", .spec = { { V4, .proto = IPPROTO_ICMP, .sport = 8, .payload = 56 } } },
	{ .name = "ipv4 icmp port unreachable", .spec = { { V4, .proto = IPPROTO_ICMP, .sport = 3, .dport = 3 } } },
	{ .name = "ipv4 options (ihl 6) udp", .spec = { { V4, UDP, .ip_opts = 4 } } },
	{ .name = "ipv4 options (ihl 15) tcp", .spec = { { V4, TCP(0x18), .ip_opts = 40 } } },
	{ .name = "ipv4 first fragment", .spec = { { V4, UDP, .frag = 0x2000, .payload = 100 } }, .fix = fix_fragment },
	{ .name = "ipv4 later fragment", .spec = { { V4, UDP, .frag = 0x2000 | 185, .payload = 100 } }, .fix = fix_later_fragment },
	{ .name = "ipv4 last fragment", .spec = { { V4, UDP, .frag = 370 } }, .fix = fix_later_fragment },
	{ .name = "ipv4 don't-fragment is no fragment", .spec = { { V4, TCP(0x10), .frag = 0x4000 } } },
	{ .name = "ipv4 sctp", .spec = { { V4, .proto = IPPROTO_SCTP, .sport = 3868, .dport = 3868 } } },
	{ .name = "ipv4 udp-lite", .spec = { { V4, .proto = IPPROTO_UDPLITE, .sport = 9, .dport = 10 } } },
	{ .name = "ipv4 gre (no ports)", .spec = { { V4, .proto = 47, .payload = 40 } } },
	{ .name = "ipv4 ihl below 5", .spec = { { V4, UDP } }, .mangle_off = 14, .mangle_val = 0x44, .fix = fix_no_l3 },
	{ .name = "ipv4 tcp header cut", .spec = { { V4, TCP(0x02) } }, .cut = 14 + 20 + 10, .fix = fix_l4_cut },
	{ .name = "ipv4 options cut short", .spec = { { V4, .proto = 47, .ip_opts = 40 } }, .cut = 14 + 30, .fix = fix_l4_cut },
	{ .name = "ipv4 header cut", .spec = { { V4, UDP } }, .cut = 14 + 10, .fix = fix_no_l3 },
	{ .name = "ethernet only, ipv4 ethertype", .spec = { { V4, UDP } }, .cut = 14, .fix = fix_no_l3 },
	{ .name = "ipv6 tcp", .spec = { { V6, TCP(0x12) } } },
	{ .name = "ipv6 udp", .spec = { { V6, UDP, .payload = 200 } } },
	{ .name = "ipv6 icmpv6 echo", .spec = { { V6, .proto = IPPROTO_ICMPV6, .sport = 128, .payload = 56 } } },
	{ .name = "ipv6 icmpv6 neighbour solicitation", .spec = { { V6, .proto = IPPROTO_ICMPV6, .sport = 135, .payload = 16 } } },
	{ .name = "ipv6 sctp", .spec = { { V6, .proto = IPPROTO_SCTP, .sport = 2905, .dport = 2905 } } },
	{ .name = "ipv6 udp-lite", .spec = { { V6, .proto = IPPROTO_UDPLITE, .sport = 7, .dport = 8 } } },
	{ .name = "ipv6 hop-by-hop udp", .spec = { { V6, UDP, .ext = { IPPROTO_HOPOPTS }, .next = 1 } } },
	{ .name = "ipv6 routing tcp", .spec = { { V6, TCP(0x02), .ext = { IPPROTO_ROUTING }, .next = 1 } } },
	{ .name = "ipv6 destination options udp", .spec = { { V6, UDP, .ext = { IPPROTO_DSTOPTS }, .next = 1 } } },
	{ .name = "ipv6 ah tcp", .spec = { { V6, TCP(0x10), .ext = { IPPROTO_AH }, .next = 1 } } },
	{ .name = "ipv6 first fragment", .spec = { { V6, UDP, .ext = { IPPROTO_FRAGMENT }, .next = 1, .ext_frag = 1 } }, .fix = fix_fragment },
	{ .name = "ipv6 later fragment", .spec = { { V6, UDP, .ext = { IPPROTO_FRAGMENT }, .next = 1, .ext_frag = 100 << 3 } }, .fix = fix_later_fragment },
	{ .name = "ipv6 chain hop, routing, dstopts, frag, ah", .spec = { { V6, TCP(0x02), .ext = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_AH }, .next = 5, .ext_frag = 1 } }, .fix = fix_fragment },
	{ .name = "ipv6 chain of 8, the most followed", .spec = { { V6, UDP, .ext = { 60, 60, 60, 60, 60, 60, 60, 60 }, .next = 8 } } },
	{ .name = "ipv6 chain longer than followed", .spec = { { V6, UDP, .ext = { 60, 60, 60, 60, 60, 60, 60, 60, 60 }, .next = 9 } }, .fix = fix_long_chain },
	{ .name = "ipv6 no next header", .spec = { { V6, .proto = 59, .payload = 8 } } },
	{ .name = "ipv6 extension header cut", .spec = { { V6, UDP, .ext = { IPPROTO_HOPOPTS }, .next = 1 } }, .cut = 14 + 40 + 1, .fix = fix_ext_cut },
	{ .name = "802.1Q ipv4 udp", .spec = { { DOT1Q(10), V4, UDP } } },
	{ .name = "802.1Q ipv6 tcp", .spec = { { DOT1Q(4094), V6, TCP(0x02) } } },
	{ .name = "802.1Q priority bits ignored", .spec = { { .ntags = 1, .tpid = { 0x8100 }, .vid = { 0xe00a }, V4, UDP } } },
	{ .name = "802.1ad+802.1Q ipv4 tcp", .spec = { { QINQ(100, 200), V4, TCP(0x02) } } },
	{ .name = "802.1ad+802.1Q ipv6 udp", .spec = { { QINQ(300, 400), V6, UDP } } },
	{ .name = "802.1Q+802.1Q ipv4 icmp", .spec = { { .ntags = 2, .tpid = { 0x8100, 0x8100 }, .vid = { 5, 6 }, V4, .proto = IPPROTO_ICMP, .sport = 0 } } },
	{ .name = "three tags count under the third tpid", .spec = { { QINQ(7, 8), .ethertype = 0x8100, .payload = 46 } } },
	{ .name = "arp", .spec = { { .ethertype = 0x0806, .payload = 28 } } },
	{ .name = "lldp", .spec = { { .ethertype = 0x88cc, .payload = 50 } } },
	{ .name = "unknown ethertype", .spec = { { .ethertype = 0x88b5, .payload = 46 } } },
	{ .name = "802.3 length frame (llc)", .spec = { { .ethertype = 0x0026, .payload = 38 } }, .fix = fix_llc },
	{ .name = "802.1Q arp", .spec = { { DOT1Q(42), .ethertype = 0x0806, .payload = 28 } } },
	{ .name = "tcp flags or across packets", .spec = { { V4, TCP(0x02) }, { V4, TCP(0x10) } }, .nspec = 2 },
	{ .name = "two flows, one each way", .spec = { { V4, UDP }, { .ethertype = 0x0800, .src = "198.51.100.2", .dst = "192.0.2.1", .proto = IPPROTO_UDP, .sport = 53, .dport = 5353 } }, .nspec = 2 },
	{ .name = "1000 packets of one flow", .spec = { { V6, UDP, .payload = 1400 } }, .repeat = 1000 },
	{ .name = "ipv4 tcp ack padded to 60 bytes: 40 ip bytes", .spec = { { V4, TCP(0x10) } }, .pad_to = 60, .repeat = 5 },
	{ .name = "ipv4 udp padded to 60 bytes: 28 ip bytes", .spec = { { V4, UDP } }, .pad_to = 60 },
	{ .name = "802.1Q ipv4 icmp padded to 64 bytes", .spec = { { DOT1Q(9), V4, .proto = IPPROTO_ICMP, .sport = 8 } }, .pad_to = 64, .repeat = 4 },
	{ .name = "ipv6 udp with trailing bytes", .spec = { { V6, UDP, .payload = 2 } }, .pad_to = 90 },
};

/* Expected flows: one entry per distinct expected key. */
static int expect_case(const struct pcase *c, __u8 dir, const int *len,
		       __u8 frames[][2048], struct got *exp)
{
	int nspec = c->nspec ? c->nspec : 1, repeat = c->repeat ? c->repeat : 3;
	int i, n = 0;

	for (i = 0; i < nspec; i++) {
		const struct pkt_spec *s = &c->spec[i];
		struct flow_key k;
		struct got *e;
		__u8 tf = s->proto == IPPROTO_TCP ? s->tcp_flags : 0;

		pkt_expect(s, &k, dir);
		if (c->fix)
			c->fix(&k, &tf);
		e = got_add(exp, &n, &k);
		e->packets += repeat;
		e->bytes += (__u64)repeat * len[i];
		e->ip_bytes += (__u64)repeat *
			       frame_ip_bytes(frames[i], len[i], &k);
		e->tcp_flags |= tf;
	}
	return n;
}

static void compare_flows(struct got *exp, int nexp, struct got *g, int n)
{
	int i;

	CHECK_EQ(n, nexp);
	for (i = 0; i < nexp; i++) {
		struct got *e = got_find(g, n, &exp[i].key);

		if (!e) {
			CHECK(0, "expected flow missing");
			print_key("expected", &exp[i].key);
			continue;
		}
		CHECK_EQ(e->packets, exp[i].packets);
		CHECK_EQ(e->bytes, exp[i].bytes);
		CHECK_EQ(e->ip_bytes, exp[i].ip_bytes);
		CHECK_EQ(e->tcp_flags, exp[i].tcp_flags);
	}
	for (i = 0; i < n; i++)
		if (!got_find(exp, nexp, &g[i].key))
			print_key("unexpected", &g[i].key);
}

static void run_case(struct inst *in, const struct pcase *c, enum prog_kind p)
{
	static __u8 frames[2][2048];
	int nspec = c->nspec ? c->nspec : 1, repeat = c->repeat ? c->repeat : 3;
	int len[2], i, verdict, nexp, n, err;
	struct got exp[4], g[MAX_GOT];
	__u64 packets = 0, bytes = 0;
	struct totals t;

	tl_begin("%s: %s", prog_names[p], c->name);
	inst_reset(in);
	for (i = 0; i < nspec; i++) {
		len[i] = pkt_build(&c->spec[i], frames[i]);
		if (c->cut)
			len[i] = c->cut;
		if (c->mangle_off)
			frames[i][c->mangle_off] = c->mangle_val;
		pad_frame(frames[i], &len[i], c->pad_to);
		err = run(in, p, frames[i], len[i], repeat, &verdict);
		if (err == -EINVAL && p != P_XDP &&
		    skb_run_refuses(frames[i], len[i])) {
			tl_skip("the kernel's skb test run refuses it");
			return;
		}
		if (err) {
			CHECK(0, "test run failed: %s", strerror(-err));
			tl_end();
			return;
		}
		CHECK_EQ((__u32)verdict, pass_verdict(p));
		packets += repeat;
		bytes += (__u64)repeat * len[i];
	}
	memset(exp, 0, sizeof(exp));
	nexp = expect_case(c, prog_dir(p), len, frames, exp);
	n = read_flows(in, g);
	compare_flows(exp, nexp, g, n);
	t = read_totals(in, prog_dir(p));
	CHECK_EQ(t.packets, packets);
	CHECK_EQ(t.bytes, bytes);
	CHECK_EQ(t.untracked_packets, 0);
	t = read_totals(in, !prog_dir(p));
	CHECK_EQ(t.packets, 0);
	check_invariant(in, g, n);
	tl_end();
}

/*
 * Sequences: frames of one flow and its near relatives in a row, so the
 * fast path (which counts a frame of the last flow without parsing it)
 * must tell them apart: bytes outside the key change, a key byte changes,
 * the frame is cut short, becomes a fragment, gains extension headers.
 */
struct seq_frame {
	struct pkt_spec spec;
	int repeat;
	int cut;
	int mangle_off;
	__u8 mangle_val;
	int pad_to;
	fixup_fn fix;
};

struct seq {
	const char *name;
	struct seq_frame f[8];
	int n;
};

/*
 * Each near relative comes right after three frames of the flow, when the
 * fast path holds that flow (a flow is remembered on its second frame in
 * a row through the slow path).
 */
static const struct seq seqs[] = {
	{ .name = "sequence: padded tcp acks, then data, then padded again",
	  .n = 4, .f = {
		{ .spec = { V4, TCP(0x10) }, .repeat = 3, .pad_to = 60 },
		{ .spec = { V4, TCP(0x18), .payload = 300 }, .repeat = 3 },
		{ .spec = { V4, TCP(0x10) }, .repeat = 3, .pad_to = 60 },
		{ .spec = { V4, TCP(0x10), .payload = 4 }, .repeat = 3,
		  .pad_to = 60 },
	} },
	{ .name = "sequence: 802.1ad+802.1Q ipv6 udp, payload sizes vary",
	  .n = 3, .f = {
		{ .spec = { QINQ(11, 12), V6, UDP, .payload = 10 }, .repeat = 3 },
		{ .spec = { QINQ(11, 12), V6, UDP, .payload = 700 }, .repeat = 3 },
		{ .spec = { QINQ(11, 12), V6, UDP, .payload = 10 }, .repeat = 2,
		  .pad_to = 120 },
	} },
	{ .name = "sequence: ipv4 udp, ttl change, other port, cut, fragment",
	  .n = 8, .f = {
		{ .spec = { V4, UDP, .payload = 20 }, .repeat = 3 },
		{ .spec = { V4, UDP, .payload = 20 }, .repeat = 2,
		  .mangle_off = 14 + 8, .mangle_val = 7 },	/* TTL */
		{ .spec = { V4, .proto = IPPROTO_UDP, .sport = 5353,
			    .dport = 54, .payload = 20 }, .repeat = 1 },
		{ .spec = { V4, UDP, .payload = 20 }, .repeat = 3 },
		{ .spec = { V4, UDP, .payload = 20 }, .repeat = 1, .cut = 40,
		  .fix = fix_l4_cut },
		{ .spec = { V4, UDP, .payload = 20 }, .repeat = 3 },
		{ .spec = { V4, UDP, .frag = 0x2000, .payload = 20 },
		  .repeat = 1, .fix = fix_fragment },
		{ .spec = { V4, UDP, .payload = 20 }, .repeat = 1 },
	} },
	{ .name = "sequence: ipv6 udp, other destination, then hop-by-hop",
	  .n = 5, .f = {
		{ .spec = { V6, UDP }, .repeat = 3 },
		{ .spec = { .ethertype = 0x86dd, .src = "2001:db8::1",
			    .dst = "2001:db8:1::3", UDP }, .repeat = 1 },
		{ .spec = { V6, UDP }, .repeat = 3 },
		{ .spec = { V6, UDP, .ext = { IPPROTO_HOPOPTS }, .next = 1 },
		  .repeat = 1 },
		{ .spec = { V6, UDP }, .repeat = 1 },
	} },
	{ .name = "sequence: ipv6 tcp syn, acks, fin with hop-by-hop",
	  .n = 3, .f = {
		{ .spec = { V6, TCP(0x02) }, .repeat = 1 },
		{ .spec = { V6, TCP(0x10), .payload = 100 }, .repeat = 3 },
		{ .spec = { V6, TCP(0x01), .ext = { IPPROTO_HOPOPTS },
			    .next = 1 }, .repeat = 1 },
	} },
	{ .name = "sequence: qinq tcp, inner vlan change, priority bits",
	  .n = 4, .f = {
		{ .spec = { QINQ(100, 200), V4, TCP(0x10) }, .repeat = 3 },
		{ .spec = { QINQ(100, 201), V4, TCP(0x10) }, .repeat = 1 },
		{ .spec = { QINQ(100, 200), V4, TCP(0x10) }, .repeat = 3 },
		{ .spec = { .ntags = 2, .tpid = { 0x88a8, 0x8100 },
			    .vid = { 0xe064, 200 }, V4, TCP(0x08) },
		  .repeat = 2 },
	} },
	{ .name = "sequence: icmp echo, id change, other code",
	  .n = 3, .f = {
		{ .spec = { V4, .proto = IPPROTO_ICMP, .sport = 8, .payload = 8 },
		  .repeat = 3 },
		{ .spec = { V4, .proto = IPPROTO_ICMP, .sport = 8, .payload = 8 },
		  .repeat = 2, .mangle_off = 14 + 20 + 4, .mangle_val = 9 },
		{ .spec = { V4, .proto = IPPROTO_ICMP, .sport = 8, .dport = 1,
			    .payload = 8 }, .repeat = 1 },
	} },
};

static void run_seq(struct inst *in, const struct seq *q, enum prog_kind p)
{
	struct got exp[8], g[MAX_GOT];
	__u64 packets = 0, bytes = 0;
	struct totals t;
	int i, nexp = 0, n, verdict;

	tl_begin("%s: %s", prog_names[p], q->name);
	inst_reset(in);
	memset(exp, 0, sizeof(exp));
	for (i = 0; i < q->n; i++) {
		const struct seq_frame *f = &q->f[i];
		__u8 frame[2048], tf = f->spec.proto == IPPROTO_TCP ?
					f->spec.tcp_flags : 0;
		int len = pkt_build(&f->spec, frame);
		struct flow_key k;
		struct got *e;

		if (f->cut)
			len = f->cut;
		if (f->mangle_off)
			frame[f->mangle_off] = f->mangle_val;
		pad_frame(frame, &len, f->pad_to);
		if (run(in, p, frame, len, f->repeat, &verdict))
			CHECK(0, "frame %d: test run failed", i);
		packets += f->repeat;
		bytes += (__u64)f->repeat * len;
		pkt_expect(&f->spec, &k, prog_dir(p));
		if (f->fix)
			f->fix(&k, &tf);
		e = got_add(exp, &nexp, &k);
		e->packets += f->repeat;
		e->bytes += (__u64)f->repeat * len;
		e->ip_bytes += (__u64)f->repeat * frame_ip_bytes(frame, len, &k);
		e->tcp_flags |= tf;
	}
	n = read_flows(in, g);
	compare_flows(exp, nexp, g, n);
	t = read_totals(in, prog_dir(p));
	CHECK_EQ(t.packets, packets);
	CHECK_EQ(t.bytes, bytes);
	/* every sequence starts with a flow's frames in a row: fast path */
	CHECK(t.fast_hits > 0, "no frame took the fast path");
	check_invariant(in, g, n);
	tl_end();
}

/* Every prefix of the sweep frame, from 14 bytes (test runs refuse less). */
static void run_sweep(struct inst *in, enum prog_kind p)
{
	__u8 frame[2048];
	int full = pkt_build(&sweep_spec, frame), len, verdict;

	tl_begin("%s: truncation sweep, every prefix 14..%d bytes", prog_names[p],
		 full);
	CHECK_EQ(full, SW_END);
	for (len = 14; len <= full; len++) {
		struct got exp = {}, g[MAX_GOT];
		struct totals t;
		int n;

		inst_reset(in);
		if (run(in, p, frame, len, 1, &verdict)) {
			CHECK(0, "len %d: test run failed: %s", len, strerror(errno));
			continue;
		}
		sweep_expect(len, prog_dir(p), &exp.key, &exp.tcp_flags);
		exp.packets = 1;
		exp.bytes = len;
		exp.ip_bytes = frame_ip_bytes(frame, len, &exp.key);
		n = read_flows(in, g);
		if (n != 1 || memcmp(&g[0].key, &exp.key, sizeof(exp.key)) ||
		    g[0].packets != 1 || g[0].bytes != (__u64)len ||
		    g[0].ip_bytes != exp.ip_bytes ||
		    g[0].tcp_flags != exp.tcp_flags) {
			CHECK(0, "len %d: wrong flow (%d flows)", len, n);
			print_key("expected", &exp.key);
			if (n)
				print_key("got", &g[0].key);
		}
		t = read_totals(in, prog_dir(p));
		CHECK(t.packets == 1 && t.bytes == (__u64)len,
		      "len %d: totals %llu/%llu", len, t.packets, t.bytes);
	}
	tl_end();
}

/* A tiny flows map: flows past its size count as untracked, exactly. */
static void run_map_full(enum prog_kind p)
{
	struct pkt_spec s = { V4, UDP, .payload = 18 };
	const int max = 16, nflows = 40, repeat = 3;
	struct got g[MAX_GOT];
	struct totals t;
	__u8 frame[2048];
	struct inst in;
	int i, n, len = 0, verdict;
	__u64 tracked = 0;

	tl_begin("%s: flows map full (%d entries, %d flows)", prog_names[p],
		 max, nflows);
	if (inst_open(&in, max, 64)) {
		CHECK(0, "load with max_flows %d: %s", max, strerror(errno));
		tl_end();
		return;
	}
	for (i = 0; i < nflows; i++) {
		s.sport = 1000 + i;
		len = pkt_build(&s, frame);
		if (run(&in, p, frame, len, repeat, &verdict))
			CHECK(0, "flow %d: test run failed", i);
	}
	n = read_flows(&in, g);
	CHECK_EQ(n, max);
	for (i = 0; i < n; i++) {
		CHECK(g[i].key.sport < 1000 + max,
		      "flow with sport %u entered, not one of the first %d",
		      g[i].key.sport, max);
		CHECK_EQ(g[i].packets, repeat);
		tracked += g[i].packets;
	}
	t = read_totals(&in, prog_dir(p));
	CHECK_EQ(t.packets, (__u64)nflows * repeat);
	CHECK_EQ(tracked, (__u64)max * repeat);
	CHECK_EQ(t.untracked_packets, (__u64)(nflows - max) * repeat);
	CHECK_EQ(t.untracked_bytes, (__u64)(nflows - max) * repeat * len);
	check_invariant(&in, g, n);
	inst_close(&in);
	tl_end();
}

/* Busy, not asleep: an idle CPU may let the coarse clock lag behind. */
static void spin_ms(int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000 +
	       (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

/*
 * A flow's packets in the current epoch's hash alone, and pending in
 * cache slot 0 alone (before a fold hands them over).
 */
static __u64 hash_packets(struct inst *in, const struct flow_key *k)
{
	struct flow_value *v = calloc(ncpus, sizeof(*v));
	int e = current_gen(in) & 1, c;
	__u64 sum = 0;

	if (!bpf_map_lookup_elem(in->fi.flows_fd[e], k, v))
		for (c = 0; c < ncpus; c++)
			sum += v[c].packets;
	free(v);
	return sum;
}

static __u64 slot_packets(struct inst *in, const struct flow_key *k)
{
	struct flow_slot *s = calloc(ncpus, sizeof(*s));
	__u64 gen = current_gen(in), sum = 0;
	__u32 zero = 0;
	int c;

	if (!bpf_map_lookup_elem(in->fi.cache_fd[gen & 1], &zero, s))
		for (c = 0; c < ncpus; c++)
			if (s[c].gen == gen &&
			    !memcmp(&s[c].key, k, sizeof(*k)))
				sum += s[c].packets;
	free(s);
	return sum;
}

/*
 * One cache slot for every flow: a quiet flow gives its slot up and its
 * pending counts move to the hash; a busy slot makes other flows count
 * in the hash directly. Counts stay exact through both.
 */
static void run_eviction(void)
{
	struct pkt_spec a = { V4, UDP }, b = { V6, TCP(0x02) };
	__u8 fa[2048], fb[2048];
	struct flow_key ka, kb;
	struct got g[MAX_GOT], *ga, *gb;
	struct inst in;
	int la = pkt_build(&a, fa), lb = pkt_build(&b, fb), verdict, n;
	unsigned long long hashed;

	tl_begin("xdp: one-slot cache, eviction and busy slot keep counts exact");
	if (inst_open(&in, 1024, 1)) {
		CHECK(0, "load with one cache slot failed");
		tl_end();
		return;
	}
	pkt_expect(&a, &ka, FLOW_DIR_INGRESS);
	pkt_expect(&b, &kb, FLOW_DIR_INGRESS);
	run(&in, P_XDP, fa, la, 5, &verdict);
	spin_ms(20);		/* longer than a coarse clock tick */
	run(&in, P_XDP, fb, lb, 3, &verdict);	/* takes A's slot */
	run(&in, P_XDP, fa, la, 2, &verdict);	/* slot busy: hash */

	/*
	 * A's four pending packets moved to the hash when B took the slot.
	 * A coarse clock tick between the last two runs may let A take the
	 * slot back (then A has one pending and B none): both are exact.
	 */
	hashed = hash_packets(&in, &ka);
	CHECK(hashed == 7 || hashed == 6, "flow A: %llu in the hash", hashed);
	CHECK_EQ(hashed + slot_packets(&in, &ka), 7);
	CHECK_EQ(hash_packets(&in, &kb) + slot_packets(&in, &kb), 3);
	CHECK(slot_packets(&in, &ka) + slot_packets(&in, &kb) ==
	      (hashed == 7 ? 2 : 1), "pending in the slot");
	n = read_flows(&in, g);
	ga = got_find(g, n, &ka);
	gb = got_find(g, n, &kb);
	CHECK_EQ(n, 2);
	CHECK(ga && ga->packets == 7 && ga->bytes == 7ULL * la,
	      "flow A: %llu packets", ga ? ga->packets : 0ULL);
	CHECK(gb && gb->packets == 3 && gb->bytes == 3ULL * lb,
	      "flow B: %llu packets", gb ? gb->packets : 0ULL);
	check_invariant(&in, g, n);
	inst_close(&in);
	tl_end();
}


/* CPUs whose own totals (current epoch) counted frames in dir. */
static int busy_cpus(struct inst *in, __u32 dir)
{
	struct flow_totals *t = calloc(ncpus, sizeof(*t));
	int c, n = 0;

	if (t && !bpf_map_lookup_elem(in->fi.totals_fd[current_gen(in) & 1],
				      &dir, t))
		for (c = 0; c < ncpus; c++)
			n += t[c].packets > 0;
	free(t);
	return n;
}

/* Run the calling thread on one CPU; 0, or -errno. */
static int on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * One flow's frames spread over every online CPU in turn (per-CPU hash
 * values, per-CPU cache slots and per-CPU totals), in each program: the
 * fold's per-CPU merge gives the exact sum, and the fast path counted
 * on each CPU.
 */
static void run_cpus(struct inst *in, enum prog_kind p)
{
	struct pkt_spec a = { V4, TCP(0x18), .payload = 100 };
	struct pkt_spec b = { V6, UDP, .payload = 30 };
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	__u8 fa[2048], fb[2048];
	int la = pkt_build(&a, fa), lb = pkt_build(&b, fb), verdict, n, cpu;
	int round, used = 0, busy;
	struct got exp[2], g[MAX_GOT];
	struct totals t;
	__u64 packets = 0;

	tl_begin("%s: one flow's frames on each of %ld CPUs: the per-CPU "
		 "merge is exact", prog_names[p], online);
	if (online < 2) {
		tl_skip("one CPU online");
		return;
	}
	inst_reset(in);
	memset(exp, 0, sizeof(exp));
	pkt_expect(&a, &exp[0].key, prog_dir(p));
	pkt_expect(&b, &exp[1].key, prog_dir(p));
	for (round = 0; round < 3; round++)
		for (cpu = 0; cpu < online && cpu < 64; cpu++) {
			int ra = 3 + cpu + round, rb = 1 + round;

			if (on_cpu(cpu))
				continue;	/* offline or not ours */
			used += !round;
			run(in, p, fa, la, ra, &verdict);
			run(in, p, fb, lb, rb, &verdict);
			exp[0].packets += ra;
			exp[0].bytes += (__u64)ra * la;
			exp[0].ip_bytes += (__u64)ra * frame_ip_bytes(fa, la,
								      &exp[0].key);
			exp[1].packets += rb;
			exp[1].bytes += (__u64)rb * lb;
			exp[1].ip_bytes += (__u64)rb * frame_ip_bytes(fb, lb,
								      &exp[1].key);
			packets += ra + rb;
		}
	on_cpu(0);
	busy = busy_cpus(in, prog_dir(p));
	exp[0].tcp_flags = 0x18;
	n = read_flows(in, g);
	compare_flows(exp, 2, g, n);
	t = read_totals(in, prog_dir(p));
	CHECK(used >= 2 && busy == used, "ran on %d CPUs, %d counted",
	      used, busy);
	CHECK_EQ(t.packets, packets);
	/* flow A repeats on every CPU: each CPU's cache takes it there */
	CHECK(t.fast_hits >= (__u64)used, "%llu fast-path hits on %d CPUs",
	      t.fast_hits, used);
	check_invariant(in, g, n);
	tl_end();
}

/* ---- the fast path's shapes, bit by bit ---- */

/*
 * The key of one frame run alone from a fresh start, on the slow path
 * (a frame once cannot take the fast path). 0, or -1 when it made no
 * flow (untracked or none).
 */
static int slow_key(struct inst *in, const __u8 *f, int len,
		    struct flow_key *k, struct got *one)
{
	struct got g[MAX_GOT];
	int verdict, n;

	inst_reset(in);
	if (run(in, P_XDP, f, len, 1, &verdict))
		return -1;
	n = read_flows(in, g);
	if (n != 1)
		return -1;
	*k = g[0].key;
	*one = g[0];
	return 0;
}

/*
 * Each of the 24 shapes the fast path takes (IPv4, IPv6; 0, 1, 2 tags;
 * TCP, UDP, SCTP, ICMP): a frame of it run three times takes the fast
 * path on the third, then a copy with one bit flipped follows. For every
 * bit of the frame up to the end of its transport header: when the
 * flipped frame's key (from the slow path, alone) differs, the fast path
 * must not count it, and it lands in its own flow; when the key is the
 * same, the fast path must count it, with the same counts the slow path
 * gives (bytes, IP bytes, TCP flags).
 */
static void run_fast_shapes(struct inst *in)
{
	static const __u8 protos[2][4] = {
		{ IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP },
		{ IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMPV6 },
	};
	static const char *const kinds[] = { "tcp", "udp", "sctp", "icmp" };
	int v6, tags, kind, flips = 0, keyed = 0;

	tl_begin("xdp: fast path, 24 shapes, every header bit flipped: a key "
		 "bit misses it, any other bit takes it with exact counts");
	for (v6 = 0; v6 < 2; v6++)
	for (tags = 0; tags < 3; tags++)
	for (kind = 0; kind < 4; kind++) {
		struct pkt_spec sp = { .ethertype = v6 ? 0x86dd : 0x0800,
			.src = v6 ? "2001:db8::1" : "192.0.2.1",
			.dst = v6 ? "2001:db8:1::2" : "198.51.100.2",
			.proto = protos[v6][kind], .sport = 40001,
			.dport = 443, .tcp_flags = 0x10, .payload = 12 };
		__u8 f[256], x[256];
		struct flow_key k, kx;
		struct got base, one, g[MAX_GOT], *e;
		struct totals t;
		int len, hdr, bit, verdict, n, bad = 0;

		if (kind == 3) {
			sp.sport = 8;
			sp.dport = 0;
		}
		sp.ntags = tags;
		sp.tpid[0] = 0x88a8;
		sp.tpid[1] = 0x8100;
		sp.vid[0] = 100;
		sp.vid[1] = 200;
		len = pkt_build(&sp, f);
		hdr = 14 + 4 * tags + (v6 ? 40 : 20) + l4_hdr_len(sp.proto);
		if (slow_key(in, f, len, &k, &base)) {
			CHECK(0, "v%d %d tags %s: no flow", v6 ? 6 : 4, tags,
			      kinds[kind]);
			continue;
		}
		for (bit = 0; bit < hdr * 8 && bad < 3; bit++) {
			memcpy(x, f, len);
			x[bit / 8] ^= 1 << (bit % 8);
			if (slow_key(in, x, len, &kx, &one)) {
				memset(&kx, 0xff, sizeof(kx));	/* none */
				memset(&one, 0, sizeof(one));
			}
			inst_reset(in);
			run(in, P_XDP, f, len, 3, &verdict);
			run(in, P_XDP, x, len, 1, &verdict);
			t = read_totals(in, FLOW_DIR_INGRESS);
			n = read_flows(in, g);
			flips++;
			if (memcmp(&kx, &k, sizeof(k))) {
				keyed++;
				e = got_find(g, n, &k);
				if (t.fast_hits != 1 || !e || e->packets != 3) {
					CHECK(0, "v%d %d tags %s, byte %d bit %d "
					      "(in the key): fast hits %llu, "
					      "flow %llu packets", v6 ? 6 : 4,
					      tags, kinds[kind], bit / 8,
					      bit % 8, t.fast_hits,
					      e ? e->packets : 0ULL);
					bad++;
				}
				continue;
			}
			e = got_find(g, n, &k);
			if (t.fast_hits != 2 || n != 1 || !e ||
			    e->packets != 4 ||
			    e->bytes != 3 * base.bytes + one.bytes ||
			    e->ip_bytes != 3 * base.ip_bytes + one.ip_bytes ||
			    e->tcp_flags != (base.tcp_flags | one.tcp_flags)) {
				CHECK(0, "v%d %d tags %s, byte %d bit %d (not "
				      "in the key): fast hits %llu, %d flows, "
				      "%llu packets", v6 ? 6 : 4, tags,
				      kinds[kind], bit / 8, bit % 8,
				      t.fast_hits, n, e ? e->packets : 0ULL);
				bad++;
			}
		}
	}
	printf("# %d bits flipped, %d of them in a key\n", flips, keyed);
	tl_end();
}

/* ---- fuzz: random and mutated frames, the invariant after each batch ---- */

#define FUZZ_BATCH 1000

/* xorshift64*: seeded, the same frames on every machine */
static __u64 fuzz_state;

static __u64 fuzz_rand(void)
{
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return fuzz_state * 2685821657736338717ULL;
}

static int fuzz_below(int n)
{
	return (int)(fuzz_rand() % (__u64)n);
}

/*
 * One frame: a case's frame with random tags, ports and length, then
 * mutated (bytes flipped, cut short, grown with junk), or random bytes
 * altogether. Between 14 and 1514 bytes (test runs refuse less).
 */
static int fuzz_frame(__u8 *f)
{
	struct pkt_spec s;
	int len, i, n;

	if (fuzz_below(10) == 0) {
		len = 14 + fuzz_below(1501);
		for (i = 0; i < len; i++)
			f[i] = fuzz_rand();
		return len;
	}
	s = cases[fuzz_below(sizeof(cases) / sizeof(cases[0]))].spec[0];
	s.ntags = fuzz_below(3);
	for (i = 0; i < s.ntags; i++) {
		s.tpid[i] = fuzz_below(2) ? 0x8100 : 0x88a8;
		s.vid[i] = fuzz_below(4096);
	}
	s.sport = fuzz_rand();
	s.dport = fuzz_below(4) ? s.dport : (__u16)fuzz_rand();
	s.payload = fuzz_below(4) ? s.payload : fuzz_below(1200);
	len = pkt_build(&s, f);
	n = fuzz_below(4);	/* bytes flipped */
	for (i = 0; i < n; i++)
		f[fuzz_below(len)] ^= 1 << fuzz_below(8);
	if (fuzz_below(4) == 0)
		len = 14 + fuzz_below(len - 13);
	else if (fuzz_below(8) == 0)
		while (len < 1514 && fuzz_below(64))
			f[len++] = fuzz_rand();
	if (len > 1514)
		len = 1514;
	return len;
}

/* Packets and bytes of the live flows of one direction, from the store. */
static void live_sums(struct inst *in, __u8 dir, __u64 *packets,
		      __u64 *bytes)
{
	const struct store *st = &in->fi.st;
	__u32 i;

	*packets = *bytes = 0;
	for (i = 0; i < st->hdr->n_records; i++) {
		const struct store_rver *v = store_valid(st, i);

		if (v->state == REC_LIVE && st->recs[i].key.dir == dir) {
			*packets += v->packets;
			*bytes += v->bytes;
		}
	}
}

/*
 * Frames through one program in batches of FUZZ_BATCH runs (each frame
 * run 1 to 3 times in a row, so repeats take the fast path), into a
 * table smaller than a batch so that some are untracked. After every
 * batch: the hook counted every frame once, with its length; live flows
 * plus untracked make the totals; the other direction saw nothing; the
 * verdict never changed.
 */
static void run_fuzz(enum prog_kind p, __u64 seed, long frames)
{
	static __u8 f[2048];
	struct inst in;
	long done = 0, bad = 0, refused = 0;
	__u64 hits = 0;

	fuzz_state = seed ? seed : 1;
	tl_begin("%s: fuzz, %ld random and mutated frames (seed %llu), "
		 "every one counted once", prog_names[p], frames,
		 (unsigned long long)seed);
	if (inst_open(&in, 512, 64)) {
		CHECK(0, "load: %s", strerror(errno));
		tl_end();
		return;
	}
	while (done < frames && bad < 5) {
		__u64 packets = 0, bytes = 0, lp, lb;
		struct totals t, o;
		int k;

		inst_reset(&in);
		for (k = 0; k < FUZZ_BATCH && done < frames; k++) {
			int len = fuzz_frame(f), repeat = 1 + fuzz_below(3);
			int verdict;

			if (p != P_XDP && skb_run_refuses(f, len)) {
				refused++;
				continue;
			}
			if (run(&in, p, f, len, repeat, &verdict)) {
				CHECK(0, "frame %ld (%d bytes, type %02x%02x): "
				      "test run: %s", done, len, f[12], f[13],
				      strerror(errno));
				bad++;
				break;
			}
			if ((__u32)verdict != pass_verdict(p)) {
				CHECK(0, "frame %ld: verdict %d", done,
				      verdict);
				bad++;
			}
			packets += repeat;
			bytes += (__u64)repeat * len;
			done += repeat;
		}
		t = read_totals(&in, prog_dir(p));
		o = read_totals(&in, !prog_dir(p));
		live_sums(&in, prog_dir(p), &lp, &lb);
		hits += t.fast_hits;
		if (t.packets != packets || t.bytes != bytes ||
		    lp + t.untracked_packets != packets ||
		    lb + t.untracked_bytes != bytes || o.packets) {
			CHECK(0, "batch ending at frame %ld: sent %llu/%llu, "
			      "totals %llu/%llu, flows %llu/%llu + untracked "
			      "%llu/%llu, other direction %llu", done,
			      packets, bytes, t.packets, t.bytes, lp, lb,
			      t.untracked_packets, t.untracked_bytes,
			      o.packets);
			bad++;
		}
	}
	CHECK(done >= frames, "only %ld frames ran", done);
	/* a repeat of a tracked frame is a fast-path hit: some must be */
	CHECK(hits > 0, "no frame took the fast path");
	printf("# %s: %ld frames, %llu fast-path hits; %ld frames the skb "
	       "test run refuses not sent\n", prog_names[p], done,
	       (unsigned long long)hits, refused);
	inst_close(&in);
	tl_end();
}

int main(void)
{
	const char *seed_env = getenv("FLOWSTAT_FUZZ_SEED");
	const char *frames_env = getenv("FLOWSTAT_FUZZ_FRAMES");
	/* FLOWSTAT_FUZZ_SEED and _FRAMES replay or lengthen the fuzz cases */
	__u64 fuzz_seed = seed_env ? strtoull(seed_env, NULL, 0) : 20261201;
	long fuzz_frames = frames_env ? strtol(frames_env, NULL, 0) : 100000;
	struct inst in;
	size_t i;
	int p;

	/* Per-CPU maps: keep every test run on one CPU, so the cache
	 * behaves as the cases expect (run_cpus moves on and comes back).
	 */
	on_cpu(0);

	if (dptest_init(true))
		return 1;
	ncpus = libbpf_num_possible_cpus();
	tl_begin("load the XDP and tc objects into one instance");
	CHECK(!inst_open(&in, 4096, 64), "load failed: %s", strerror(errno));
	tl_end();
	if (tl_failed)
		return tl_exit();

	for (p = 0; p < P_KINDS; p++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(&in, &cases[i], p);
	for (p = 0; p < P_KINDS; p++)
		for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
			run_seq(&in, &seqs[i], p);
	for (p = 0; p < P_KINDS; p++)
		run_sweep(&in, p);
	for (p = 0; p < P_KINDS; p++)
		run_cpus(&in, p);
	run_fast_shapes(&in);
	inst_close(&in);
	run_map_full(P_XDP);
	run_map_full(P_TC_EG);
	run_eviction();
	for (p = 0; p < P_KINDS; p++)
		run_fuzz(p, fuzz_seed + p, fuzz_frames);
	dptest_fini();
	return tl_exit();
}
