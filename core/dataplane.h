/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data plane of one instance, loaded but not attached: the XDP and tc
 * objects sized alike and sharing one set of maps (both epochs' flows,
 * totals and cache, and the generation word), the fast path's clock set
 * from the running kernel, and the store. attach.c attaches and pins it;
 * the packet tests and the benchmark run it with BPF_PROG_RUN.
 */
#ifndef FLOWSTAT_DATAPLANE_H
#define FLOWSTAT_DATAPLANE_H

#include <stdbool.h>
#include <linux/types.h>
#include "instance.h"

struct flowstat_xdp;
struct flowstat_tc;

enum dp_map {
	DP_FLOWS0, DP_FLOWS1, DP_TOTALS0, DP_TOTALS1, DP_CACHE0, DP_CACHE1,
	DP_CTL, DP_MATCH, DP_SIG, DP_MAPS,
};
extern const char *const dp_map_names[DP_MAPS];

struct dataplane {
	struct flowstat_xdp *xdp;	/* NULL without XDP */
	struct flowstat_tc *tc;		/* NULL without tc */
	__u32 max_flows;
	__u32 cache_slots;
	__u32 ns_per_jiffy;		/* 0: no fast path */
	__u32 sample;			/* 0: no sampling; else the rate */
	bool sample_auto;		/* the rate follows table pressure */
	const struct match_set *match;	/* dp_set_match's, the caller's */
	int fds[DP_MAPS];		/* borrowed from the objects */
	int store_fd;			/* ours */
};

/* 4096 per CPU up to 8 possible CPUs, less beyond; power of two, >= 256. */
__u32 dp_default_cache_slots(void);

/*
 * Open the objects wanted (not loaded), sized for max_flows flows and
 * cache_slots slots (0: the default), with the clock measured. The
 * clock failing turns the fast path off with a warning, no more.
 */
int dp_open(struct dataplane *dp, bool xdp, bool tc, __u32 max_flows,
	    __u32 cache_slots);
/*
 * Sample (before load): 1 in rate frames get flow entries; with auto,
 * the rate starts at 1 and the folds set it (fold.h). rate 0 and no
 * auto: no sampling, and the programs skip the test.
 */
void dp_set_sample(struct dataplane *dp, __u32 rate, bool sample_auto);
/* Open the XDP object again (an attach in another mode needs a fresh
 * one), or close it. */
int dp_reopen_xdp(struct dataplane *dp);
void dp_close_xdp(struct dataplane *dp);
/*
 * Before load: the match expression the programs start with (a set of
 * no rules: none). Later changes go through core/match.h.
 */
void dp_set_match(struct dataplane *dp, const struct match_set *set);
/* Load the XDP object (unless libxdp did) and take its map fds. */
int dp_load_xdp(struct dataplane *dp, bool loaded);
/*
 * Load only the tc programs that will be attached (each one costs the
 * verifier a few hundred ms); by default both are. Before dp_load_tc().
 */
int dp_want_tc(struct dataplane *dp, bool ingress, bool egress);
/* Load the tc object on the XDP object's maps, if there is one. */
int dp_load_tc(struct dataplane *dp);
/* Make the instance's store, formatted for max_flows. */
int dp_make_store(struct dataplane *dp);
/* Pin the maps and the store into dir. */
int dp_pin(struct dataplane *dp, const char *dir);
/* Program fds: XDP, tc ingress, tc egress (-1 when not loaded). */
int dp_prog_fd(const struct dataplane *dp, int which);
void dp_close(struct dataplane *dp);

/*
 * An instance over a loaded data plane that is not pinned (tests, the
 * benchmark): fds duplicated, the store mapped, the folder lock on
 * lock_dir. Close it with instance_close().
 */
int dp_instance(const struct dataplane *dp, const char *lock_dir,
		struct instance *inst);

#endif /* FLOWSTAT_DATAPLANE_H */
