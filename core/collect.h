/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector: folds the instances it follows (fold.h), reads their
 * stores and the kernel's interface counters, and turns them into
 * snapshots with cumulative counts, exact deltas since the previous scan
 * and rates over 2 s / 10 s / 40 s windows.
 *
 * It follows changes: without interface names it picks up instances
 * attached after it started, and drops detached ones; a re-attach is a
 * new instance (new maps, counts from zero). Link events (libnl) tell it
 * at once that an interface was deleted, renamed, set down or moved away.
 *
 * A following collector (collect_opts.follow) registers as a reader of
 * each store, so that the flows other processes end stay there until it
 * has read their final counts: its deltas are exact whoever ages. It
 * reads only the records that changed since its last read (the store's
 * change ring), unless it fell a whole ring behind.
 *
 * A rate over window W is measured from the newest history sample at
 * least W old; samples are taken every W/2, so the span is W to 1.5 W
 * (shorter while the history is younger than W). Memory: a few hundred
 * bytes of history per flow.
 */
#ifndef FLOWSTAT_COLLECT_H
#define FLOWSTAT_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include "filter.h"
#include "snapshot.h"
#include "store.h"

struct collector;

struct collect_opts {
	char **ifnames;		/* instances to read; none: all */
	int n_ifnames;
	const char *netns;	/* with ifnames: their netns (NULL: caller's);
				 * without: only this netns's instances */
	bool kernel_counters;	/* also read the kernel's rx/tx counters */
	bool follow;		/* a long-running reader (see above) */
	bool age;		/* end flows idle for idle_ns at each scan */
	__u64 idle_ns;
	__u64 fin_ns;		/* TCP flows after FIN or RST (fold_opts) */
};

/* Open the instances and start with an empty history. 0 or -errno. */
int collector_new(const struct collect_opts *opts, struct collector **out);
/*
 * A collector over stores in memory, for tests: n interfaces described
 * by metas, read by collector_read() (nothing is folded).
 */
int collector_new_stores(const struct flowstat_meta *metas,
			 struct store *const *stores, int n,
			 struct collector **out);
/*
 * A collector over instances the caller opened (not found through pins,
 * not followed: for tests and benchmarks), taken over: collector_free()
 * closes and frees them. opts as for collector_new (ifnames unused).
 */
int collector_new_instances(struct instance **insts, int n,
			    const struct collect_opts *opts,
			    struct collector **out);
/*
 * Fold every instance now, read it, and return a new snapshot in *out,
 * which the caller owns and frees with snapshot_free(). 0 or -errno (the
 * collector reported nothing; the caller reports).
 */
int collector_scan(struct collector *c, struct snapshot **out);
/*
 * A scan without a snapshot: fold and read, so that the flows others end
 * are read (and freed) in time; their final counts wait for the next
 * snapshot. Long intervals poll every second or so.
 */
int collector_poll(struct collector *c);
/*
 * The reading half of a scan: the stores as they are, at CLOCK_MONOTONIC
 * mono_ns and Unix time real.
 */
int collector_read(struct collector *c, __u64 mono_ns, double real,
		   struct snapshot **out);
void collector_free(struct collector *c);
/* Change how idle flows must be to end (collect_opts.idle_ns, fin_ns). */
void collector_set_aging(struct collector *c, __u64 idle_ns, __u64 fin_ns);
/* The opened instances (for gc, which folds them itself). */
struct instance **collector_instances(struct collector *c, int *n);

enum sort_field {
	SORT_PACKETS, SORT_BYTES, SORT_PPS, SORT_BPS, SORT_DELTA_PACKETS,
	SORT_DELTA_BYTES, SORT_FIRST, SORT_LAST, SORT_IFACE, SORT_FIELDS,
};
extern const char *const sort_field_names[SORT_FIELDS];

/* -1 if name is not a sort field. */
int sort_field_from_name(const char *name);
/* Sort flows: counts and rates largest first, times and names ascending. */
void snapshot_sort(struct snapshot *s, enum sort_field field);
/* Keep only the flows the filter matches (NULL keeps all). */
void snapshot_filter(struct snapshot *s, const struct filter *f);
/* Keep only the flows that moved since the previous scan. */
void snapshot_keep_moving(struct snapshot *s);
/* Keep at most n flows. */
void snapshot_truncate(struct snapshot *s, size_t n);
void snapshot_free(struct snapshot *s);

#endif /* FLOWSTAT_COLLECT_H */
