// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of sampling (attach --sample): frames run through the XDP
 * and tc programs of an instance loaded with a rate, with
 * BPF_PROG_TEST_RUN; a fold puts them in the store. Each flow's estimate
 * (raw sampled count times the rate) must lie within 5 standard
 * deviations of the truth (binomial: sd = N sqrt(n p (1 - p)), p = 1/N),
 * also for a flow that sends every N-th frame of a fixed cycle; the
 * totals stay exact on raw counts (totals == flows + untracked +
 * sampled_out); a rate change at an epoch flip keeps every estimate an
 * exact sum; and the auto policy's steps.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "fold.h"
#include "store.h"
#include "testlib.h"
#include "pktbuild.h"
#include "dptest.h"

#define RATE 10
#define FLOWS 100
#define MAX_Z 5.0

struct inst {
	struct dataplane dp;
	struct instance fi;
	int held;		/* xdp_hold's ifindex */
};

static int inst_open(struct inst *in, __u32 rate)
{
	struct dptest_opts o = { .max_flows = 4096, .slots = 256,
				 .sample = rate, .fi = &in->fi,
				 .held = &in->held };

	memset(in, 0, sizeof(*in));
	return dptest_up(&in->dp, &o);
}

static void inst_close(struct inst *in)
{
	dptest_down(&in->dp, &in->fi, in->held);
}

/* Flow i: UDP from 192.0.2.1 port 1000 + i, 60 + i % 50 bytes. */
static int flow_frame(int i, __u8 *buf, struct flow_key *k)
{
	struct pkt_spec s = { .ethertype = 0x0800, .src = "192.0.2.1",
		.dst = "198.51.100.1", .proto = IPPROTO_UDP,
		.sport = 1000 + i, .dport = 53, .payload = 18 + i % 50 };

	pkt_expect(&s, k, FLOW_DIR_INGRESS);
	return pkt_build(&s, buf);
}

static int run(int fd, const void *frame, int len, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = repeat);

	return bpf_prog_test_run_opts(fd, &opts);
}

static int fold(struct inst *in)
{
	struct fold_opts o = { 0 };
	int err = fold_instance(&in->fi, &o, NULL);

	CHECK(!err, "fold: %s", strerror(-err));
	return err;
}

/* The store's valid version of flow k, or NULL. */
static const struct store_rver *find_flow(struct inst *in,
					  const struct flow_key *k)
{
	const struct store *st = &in->fi.st;
	__u32 i;

	for (i = 0; i < st->hdr->n_records; i++) {
		const struct store_rver *v = store_valid(st, i);

		if (v->state == REC_LIVE &&
		    !memcmp(&st->recs[i].key, k, sizeof(*k)))
			return v;
	}
	return NULL;
}

/* Sum of every live flow's raw counts in direction dir. */
static void flow_sums(struct inst *in, __u8 dir, __u64 *p, __u64 *b)
{
	const struct store *st = &in->fi.st;
	__u32 i;

	*p = *b = 0;
	for (i = 0; i < st->hdr->n_records; i++) {
		const struct store_rver *v = store_valid(st, i);

		if (v->state == REC_LIVE && st->recs[i].key.dir == dir) {
			*p += v->packets;
			*b += v->bytes;
		}
	}
}

/* totals == flows + untracked + sampled_out (nothing retired here). */
static void check_totals(struct inst *in, __u8 dir, __u64 frames,
			 __u64 bytes)
{
	const struct store_counts *c = &store_head(&in->fi.st)->dir[dir];
	__u64 p, b;

	flow_sums(in, dir, &p, &b);
	CHECK_EQ(c->packets, frames);
	CHECK_EQ(c->bytes, bytes);
	CHECK(c->packets == p + c->untracked_packets + c->sampled_out_packets &&
	      c->bytes == b + c->untracked_bytes + c->sampled_out_bytes,
	      "totals %llu/%llu != flows %llu/%llu + untracked %llu/%llu + "
	      "sampled_out %llu/%llu", c->packets, c->bytes, p, b,
	      c->untracked_packets, c->untracked_bytes,
	      c->sampled_out_packets, c->sampled_out_bytes);
	CHECK(c->sampled_out_packets > 0, "nothing was sampled out");
}

/* |z| of an estimate of n frames at rate r. */
static double z_of(__u64 est, __u64 n, __u32 r)
{
	double p = 1.0 / r, sd = r * sqrt((double)n * p * (1 - p));

	return fabs(((double)est - (double)n) / sd);
}

/* Check flow k's estimate of n frames of len bytes; returns its |z|. */
static double check_estimate(struct inst *in, const struct flow_key *k,
			     __u64 n, int len, __u32 rate)
{
	const struct store_rver *v = find_flow(in, k);
	double z;

	CHECK(v, "flow with port %u has no record", k->sport);
	if (!v)
		return 1e9;
	CHECK_EQ(v->rate, rate);
	CHECK_EQ(v->est_packets, v->packets * rate);
	CHECK_EQ(v->est_bytes, v->bytes * rate);
	CHECK_EQ(v->bytes, v->packets * len);
	z = z_of(v->est_packets, n, rate);
	CHECK(z <= MAX_Z, "port %u: estimate %llu of %llu frames: |z| %.2f",
	      k->sport, (unsigned long long)v->est_packets,
	      (unsigned long long)n, z);
	return z;
}

/* 1,000,000 frames of 100 flows, 10,000 each, through prog fd. */
static void case_many(struct inst *in, int fd, const char *prog, __u8 dir)
{
	__u8 frame[256];
	struct flow_key k;
	__u64 bytes = 0;
	double z, max_z = 0, sum_z2 = 0;
	int i, len, n = 1000000 / FLOWS;

	tl_begin("%s: --sample %d over 1,000,000 frames of %d flows: "
		 "estimates within %.0f sd, totals exact", prog, RATE, FLOWS,
		 MAX_Z);
	for (i = 0; i < FLOWS; i++) {
		len = flow_frame(i, frame, &k);
		CHECK(!run(fd, frame, len, n), "test run: %s", strerror(errno));
		bytes += (__u64)len * n;
	}
	if (fold(in))
		goto out;
	for (i = 0; i < FLOWS; i++) {
		len = flow_frame(i, frame, &k);
		k.dir = dir;
		z = check_estimate(in, &k, n, len, RATE);
		sum_z2 += z * z;
		max_z = z > max_z ? z : max_z;
	}
	check_totals(in, dir, 1000000, bytes);
	printf("# %s: max |z| %.2f, rms z %.2f over %d flows\n", prog, max_z,
	       sqrt(sum_z2 / FLOWS), FLOWS);
out:
	tl_end();
}

/*
 * Ten flows in a fixed cycle: flow 0 is every 10th frame. Sampling every
 * 10th frame would give it all or nothing; random sampling gets it
 * right.
 */
static void case_periodic(struct inst *in, int fd)
{
	__u8 frames[10][256];
	int lens[10], i, c, cycles = 10000;
	struct flow_key keys[10];
	double z, max_z = 0;
	__u64 bytes = 0;

	tl_begin("tc-ingress: a flow sending every 10th frame of a fixed "
		 "cycle of 10 flows at --sample %d: its estimate within %.0f "
		 "sd", RATE, MAX_Z);
	for (i = 0; i < 10; i++)
		lens[i] = flow_frame(200 + i, frames[i], &keys[i]);
	for (c = 0; c < cycles; c++)
		for (i = 0; i < 10; i++) {
			if (run(fd, frames[i], lens[i], 1)) {
				CHECK(0, "test run: %s", strerror(errno));
				goto out;
			}
			bytes += lens[i];
		}
	if (fold(in))
		goto out;
	for (i = 0; i < 10; i++) {
		z = check_estimate(in, &keys[i], cycles, lens[i], RATE);
		max_z = z > max_z ? z : max_z;
	}
	printf("# periodic: flow 0 |z| %.2f, max |z| %.2f over 10 flows\n",
	       z_of(find_flow(in, &keys[0]) ?
		    find_flow(in, &keys[0])->est_packets : 0, cycles, RATE),
	       max_z);
out:
	tl_end();
}

/*
 * The rate changes only at an epoch flip (what --sample auto does): an
 * epoch at rate 1 counts every frame, and the estimate is the exact sum
 * of each epoch's raw counts times its rate.
 */
static void case_rate_change(struct inst *in, int fd)
{
	const struct store_rver *v;
	__u64 raw0, est0;
	struct flow_key k;
	__u8 frame[256];
	int len = flow_frame(300, frame, &k);

	tl_begin("xdp: a rate change at an epoch flip: estimates stay exact "
		 "sums of raw counts times each epoch's rate");
	CHECK(!run(fd, frame, len, 10000), "test run: %s", strerror(errno));
	in->fi.ctl->sample_next = 1;	/* as the auto policy would */
	if (fold(in))	/* folds rate 10; the new epoch gets rate 1 */
		goto out;
	v = find_flow(in, &k);
	CHECK(v, "no record");
	if (!v)
		goto out;
	raw0 = v->packets;
	est0 = v->est_packets;
	CHECK_EQ(est0, raw0 * RATE);
	CHECK_EQ(store_head(&in->fi.st)->sample_rate, RATE);
	CHECK(!run(fd, frame, len, 1000), "test run: %s", strerror(errno));
	if (fold(in))
		goto out;
	v = find_flow(in, &k);
	CHECK_EQ(v->packets, raw0 + 1000);
	CHECK_EQ(v->est_packets, est0 + 1000);
	CHECK_EQ(v->rate, 1);
	CHECK_EQ(store_head(&in->fi.st)->sample_rate, 1);
out:
	in->fi.ctl->sample_next = RATE;
	fold(in);
	tl_end();
}

static void case_auto_policy(void)
{
	tl_begin("auto policy: up a step under pressure, down only when the "
		 "scaled load would fill less than a quarter");
	CHECK_EQ(fold_sample_auto(1, 10, 0, 1000), 1);
	CHECK_EQ(fold_sample_auto(1, 500, 0, 1000), SAMPLE_AUTO_STEP);
	CHECK_EQ(fold_sample_auto(1, 10, 5, 1000), SAMPLE_AUTO_STEP);
	CHECK_EQ(fold_sample_auto(8, 100, 0, 1000), 8);	/* 800: keep */
	CHECK_EQ(fold_sample_auto(8, 20, 0, 1000), 1);	/* 160: off */
	CHECK_EQ(fold_sample_auto(64, 3, 0, 1000), 8);
	CHECK_EQ(fold_sample_auto(SAMPLE_AUTO_MAX, 900, 1, 1000),
		 SAMPLE_AUTO_MAX);
	tl_end();
}

int main(void)
{
	struct inst in;
	int err;

	if (dptest_init(true))
		return 1;
	case_auto_policy();
	tl_begin("load the XDP and tc objects with --sample %d", RATE);
	err = inst_open(&in, RATE);
	CHECK(!err, "load: %s", strerror(-err));
	tl_end();
	if (err) {
		dptest_fini();
		return tl_exit();
	}
	case_many(&in, dp_prog_fd(&in.dp, 0), "xdp", FLOW_DIR_INGRESS);
	fold_instance(&in.fi, &(struct fold_opts){ .end_all = true }, NULL);
	inst_close(&in);
	/* a fresh instance per program: totals from zero */
	if (!inst_open(&in, RATE)) {
		case_many(&in, dp_prog_fd(&in.dp, 2), "tc-egress",
			  FLOW_DIR_EGRESS);
		inst_close(&in);
	}
	/*
	 * One frame per run here: tc, whose test runs, unlike XDP's, do
	 * not switch the kernel's XDP dispatcher (a grace period each time
	 * another process's XDP test runs come in between).
	 */
	if (!inst_open(&in, RATE)) {
		case_periodic(&in, dp_prog_fd(&in.dp, 1));
		case_rate_change(&in, dp_prog_fd(&in.dp, 0));
		inst_close(&in);
	}
	dptest_fini();
	return tl_exit();
}
