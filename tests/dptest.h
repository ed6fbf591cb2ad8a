/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data plane as the packet suites load it: the XDP and tc objects
 * of one instance, loaded and not attached, fed frames with
 * BPF_PROG_TEST_RUN. dptest_up() loads them the way attach does (the
 * same dp_* calls, in its order), holds the XDP program for cheap test
 * runs (tests/xdp_hold.h) and, for suites that fold, makes the store
 * and opens the instance folds work on. dptest_init() sets up the
 * process once: libbpf's messages and, for suites that fold, one CPU,
 * quick grace periods (tests/rcu_fast.h) and a folder for the
 * instances' locks, which dptest_fini() removes.
 */
#ifndef FLOWSTAT_DPTEST_H
#define FLOWSTAT_DPTEST_H

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "instance.h"
#include "rcu_fast.h"
#include "xdp_hold.h"

static char dptest_lock_dir[] = "/tmp/flowstat-dptest-XXXXXX";
static bool dptest_lock_made;

/* libbpf's warnings; everything with FLOWSTAT_TEST_VERBOSE set */
static int dptest_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN || getenv("FLOWSTAT_TEST_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/*
 * Once, before the first dptest_up. folds: the suite folds (per-CPU
 * counts and the fast path want every run on one CPU, each fold waits
 * for a grace period, instances take a lock). 0, or a negative errno
 * after printing a "not ok" line.
 */
static inline int dptest_init(bool folds)
{
	cpu_set_t cpus;

	libbpf_set_print(dptest_print);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!folds)
		return 0;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	rcu_expedite();
	if (!mkdtemp(dptest_lock_dir)) {
		int err = -errno;

		printf("not ok - a lock folder in /tmp: %s\n", strerror(errno));
		return err;
	}
	dptest_lock_made = true;
	return 0;
}

static inline void dptest_fini(void)
{
	if (dptest_lock_made)
		rmdir(dptest_lock_dir);
	dptest_lock_made = false;
}

struct dptest_opts {
	__u32 max_flows;
	__u32 slots;		/* fast-path slots; 0: the default */
	__u32 sample;		/* --sample N; 0: none */
	struct instance *fi;	/* NULL: no store, no instance */
	int *held;		/* NULL: hold until the process ends */
};

/* 0, or a negative errno with nothing left open. */
static inline int dptest_up(struct dataplane *dp, const struct dptest_opts *o)
{
	int err, held;

	err = dp_open(dp, true, true, o->max_flows, o->slots);
	if (err)
		return err;
	if (o->sample)
		dp_set_sample(dp, o->sample, false);
	err = dp_load_xdp(dp, false);
	if (!err)
		err = dp_load_tc(dp);
	if (!err && o->fi)
		err = dp_make_store(dp);
	if (!err && o->fi)
		err = dp_instance(dp, dptest_lock_dir, o->fi);
	if (err) {
		dp_close(dp);
		return err;
	}
	held = xdp_hold(dp_prog_fd(dp, 0));	/* if it fails: slower */
	if (o->held)
		*o->held = held;
	return 0;
}

/* What dptest_up opened; held: its xdp_hold ifindex, or 0. */
static inline void dptest_down(struct dataplane *dp, struct instance *fi,
			       int held)
{
	xdp_release(held);
	if (fi)
		instance_close(fi);
	dp_close(dp);
}

#endif /* FLOWSTAT_DPTEST_H */
