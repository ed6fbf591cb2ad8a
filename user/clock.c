// SPDX-License-Identifier: GPL-2.0
/*
 * HZ at run time. A tiny BPF program (flowstat_clock.bpf.c) returns
 * jiffies and CLOCK_MONOTONIC read together; run repeatedly, it shows
 * when jiffies tick. Two ticks at least 4 ms apart, each seen within a
 * few microseconds, give the jiffy length to better than 0.5%, and HZ is
 * that rounded to a whole number of ticks per second. About two jiffies
 * of work (8 ms at HZ 250), once per process.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "flowstat_clock.skel.h"

#define EDGE_MAX_NS 50000ULL	/* a tick seen within 50 us */
#define SPAN_MIN_NS 4000000ULL	/* ticks at least 4 ms apart */
#define GIVE_UP_NS 500000000ULL	/* stop after 0.5 s */

struct sample {
	__u64 jiffies, ns;
};

static int sample(struct flowstat_clock *sk, int fd, struct sample *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	s->jiffies = sk->bss->jiffies;
	s->ns = sk->bss->mono_ns;
	return 0;
}

/*
 * The next tick after *from: its time (the middle of the two samples
 * around it) and the jiffies after it. A tick seen only loosely (the
 * task was preempted between the samples) is skipped.
 */
static int next_edge(struct flowstat_clock *sk, int fd, __u64 start,
		     struct sample *edge)
{
	struct sample prev = { 0 }, cur = { 0 };
	int err = sample(sk, fd, &prev);

	while (!err) {
		err = sample(sk, fd, &cur);
		if (err)
			break;
		if (cur.ns - start > GIVE_UP_NS)
			return -ERANGE;
		if (cur.jiffies != prev.jiffies &&
		    cur.ns - prev.ns <= EDGE_MAX_NS) {
			edge->jiffies = cur.jiffies;
			edge->ns = prev.ns + (cur.ns - prev.ns) / 2;
			return 0;
		}
		prev = cur;
	}
	return err;
}

static int measure(struct flowstat_clock *sk, __u32 *out)
{
	int fd = bpf_program__fd(sk->progs.flowstat_clock), err;
	struct sample first = { 0 }, last = { 0 }, now = { 0 };
	double per_jiffy, hz;

	err = sample(sk, fd, &now);
	if (!err)
		err = next_edge(sk, fd, now.ns, &first);
	do {
		if (!err)
			err = next_edge(sk, fd, now.ns, &last);
	} while (!err && last.ns - first.ns < SPAN_MIN_NS);
	if (err)
		return err;
	if (last.jiffies <= first.jiffies)
		return -ERANGE;
	per_jiffy = (double)(last.ns - first.ns) /
		    (double)(last.jiffies - first.jiffies);
	hz = 1e9 / per_jiffy;
	if (hz < 10 || hz > 10000)
		return -ERANGE;
	hz = (double)(long)(hz + 0.5);
	/* the whole-number HZ must explain what was seen */
	if (per_jiffy * hz < 0.995e9 || per_jiffy * hz > 1.005e9)
		return -ERANGE;
	*out = (__u32)(1e9 / hz + 0.5);
	return 0;
}

int clock_ns_per_jiffy(__u32 *ns)
{
	static __u32 cached;
	struct flowstat_clock *sk;
	int err, tries;

	if (cached) {
		*ns = cached;
		return 0;
	}
	sk = flowstat_clock__open_and_load();
	if (!sk)
		return errno ? -errno : -ENOENT;
	err = -ERANGE;
	for (tries = 0; tries < 3 && err == -ERANGE; tries++)
		err = measure(sk, &cached);
	flowstat_clock__destroy(sk);
	if (err) {
		cached = 0;
		return err;
	}
	*ns = cached;
	return 0;
}
