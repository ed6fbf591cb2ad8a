/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Folding: the hand-over of an epoch from the data plane to userspace,
 * and the only way counts reach the store (store.h).
 *
 * Under the instance's lock (flock of its pin folder, exclusive), a fold
 * advances the generation word, waits for a kernel grace period (an
 * update of a map-in-map returns only when every BPF program that was
 * running has finished), and then owns the old epoch: it reads its flows
 * hash, cache and totals in fixed-size chunks, adds them to the store,
 * optionally ends idle flows, frees ended flows every registered reader
 * has seen, commits, and clears the old hash. Folds of several instances
 * share one grace period. Any number of processes may fold and read at
 * once; a fold that dies is finished or undone by the next one.
 *
 * Readers that follow the store over time register, so that the flows
 * ended by any process stay in the store until they have read them. A
 * registered reader holds the flock of readers/N in the pin folder while
 * it lives; a fold that can take that lock knows the reader died.
 */
#ifndef FLOWSTAT_FOLD_H
#define FLOWSTAT_FOLD_H

#include <stdbool.h>
#include <linux/types.h>
#include "instance.h"

/*
 * Chunk sizes of the map reads, which bound the memory a fold uses: as
 * many entries as fit these bytes (fewer reads on few CPUs), but never
 * fewer than the minimum (many CPUs).
 */
#define FOLD_FLOW_BYTES (1 << 20)	/* flows hash entries per read */
#define FOLD_FLOW_MIN 256
#define FOLD_CACHE_BYTES (256 << 10)	/* cache rows (all CPUs of a slot) */
#define FOLD_CACHE_MIN 32

struct fold_opts {
	bool age;		/* end the flows idle for idle_ns */
	__u64 idle_ns;
	/*
	 * With age: end TCP flows that saw FIN or RST once idle for fin_ns
	 * (reason END_FIN); 0 leaves them to idle_ns.
	 */
	__u64 fin_ns;
	bool end_all;		/* end every flow (reason END_FORCED) */
};

struct fold_result {
	__u64 seq;		/* the fold committed */
	__u64 ended;		/* flows this fold ended */
	__u64 packets[FLOW_DIR_MAX];	/* their counts, now retired */
	__u64 bytes[FLOW_DIR_MAX];
};

/*
 * Fold each of the n instances (res: n results, or NULL). The instances
 * must be opened with their maps. 0 or the first negative errno; an
 * instance that failed is left for the next fold to finish.
 */
int fold_instances(struct instance **insts, int n, const struct fold_opts *o,
		   struct fold_result *res);
int fold_instance(struct instance *inst, const struct fold_opts *o,
		  struct fold_result *res);

/*
 * Bytes of buffer a fold uses, whatever the table size: what README.md
 * states as the bound.
 */
size_t fold_buffer_bytes(int ncpus);

/* Register inst's process as a reader that follows it. 0 or -errno
 * (-ENOSPC: every slot is taken; the reader then cannot follow). */
int fold_register(struct instance *inst);
/* The latest fold this reader has read. */
void fold_ack(struct instance *inst, __u64 seq);

/* Test hook: at most this many rows per journal chunk (0: all that
 * fit STORE_JOURNAL_BYTES). */
extern unsigned int fold_journal_rows;

/*
 * --sample auto (instances loaded with it): each fold sets the rate the
 * epoch after the next one samples at, from the epoch it folded (see
 * fold.c); rates go 1, 8, 64, 512, 4096 and back. Only folds change
 * it: with no process folding, the rate stays where the last fold left
 * it.
 */
#define SAMPLE_AUTO_STEP 8
#define SAMPLE_AUTO_MAX 4096
__u32 fold_sample_auto(__u32 rate, __u64 flows, __u64 untracked,
		       __u32 max_flows);

/* Take the instance's lock: exclusive for a fold, shared for a read. */
int fold_lock(struct instance *inst, bool exclusive);
/*
 * Wait until every BPF program that was running has finished (a kernel
 * grace period). 0 or -errno.
 */
int fold_grace_period(void);
void fold_unlock(struct instance *inst);

#endif /* FLOWSTAT_FOLD_H */
