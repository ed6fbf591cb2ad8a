/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector: reads every opened instance's maps (flows hash, flow
 * cache, totals, retired) and the kernel's interface counters, and turns
 * them into snapshots with cumulative counts, deltas since the previous
 * scan and rates over 2 s / 10 s / 40 s windows.
 *
 * A rate over window W is measured from the newest history sample at
 * least W old; samples are taken every W/2, so the span is W to 1.5 W
 * (shorter while the history is younger than W). Memory: a few hundred
 * bytes of history per flow.
 *
 * collector_scan() is map reading (collect_read_*) followed by
 * collector_feed(), which is pure arithmetic over plain arrays so that
 * tests can feed it synthetic per-CPU data.
 */
#ifndef FLOWSTAT_COLLECT_H
#define FLOWSTAT_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include "filter.h"
#include "snapshot.h"

struct collector;

struct collect_opts {
	char **ifnames;		/* instances to read; none: all */
	int n_ifnames;
	const char *netns;	/* with ifnames: their netns (NULL: caller's);
				 * without: only this netns's instances */
	bool kernel_counters;	/* also read the kernel's rx/tx counters */
};

/* Per-CPU values are this many bytes apart in a lookup buffer. */
#define PERCPU_STRIDE(type) ((sizeof(type) + 7) & ~(size_t)7)

/*
 * One instance's raw map contents, as read, for collector_feed().
 * values: n_flows * ncpus entries of struct flow_value, PERCPU_STRIDE apart
 * (key i, CPU c at (i * ncpus + c)); slots likewise: slot i, CPU c at
 * (i * ncpus + c). totals are already summed over CPUs.
 */
struct scan_input {
	int ncpus;
	const struct flow_key *keys;
	const void *values;
	size_t n_flows;
	const void *slots;
	size_t n_slots;
	struct flow_totals totals[FLOW_DIR_MAX];
	struct flow_retired retired[FLOW_DIR_MAX];
	int present;
	int kernel_valid;
	__u64 kernel_rx_packets, kernel_rx_bytes;
	__u64 kernel_tx_packets, kernel_tx_bytes;
};

/* Open the instances and start with an empty history. 0 or -errno. */
int collector_new(const struct collect_opts *opts, struct collector **out);
/*
 * A collector over no maps, for tests: n_ifaces interfaces described by
 * metas, to be fed with collector_feed().
 */
int collector_new_synthetic(const struct flowstat_meta *metas, int n_ifaces,
			    struct collector **out);
/*
 * Read every instance now and return a new snapshot in *out, which the
 * caller owns and frees with snapshot_free(). 0 or -errno (the collector
 * reported nothing; the caller reports).
 */
int collector_scan(struct collector *c, struct snapshot **out);
/*
 * The arithmetic behind collector_scan(): in[i] is interface i's raw data,
 * mono_ns the CLOCK_MONOTONIC time of the read, real the Unix time then.
 */
int collector_feed(struct collector *c, const struct scan_input *in,
		   __u64 mono_ns, double real, struct snapshot **out);
void collector_free(struct collector *c);
/* The opened instances (for gc, which writes to their maps). */
struct instance *collector_instances(struct collector *c, int *n);

/*
 * Map readers shared with gc. Buffers grow as needed (*cap in entries).
 * 0 or -errno.
 */
int collect_read_flows(int fd, int ncpus, struct flow_key **keys,
		       void **values, size_t *cap, size_t *n);
int collect_read_cache(int fd, __u32 n_slots, int ncpus, void **slots);

/* Sum one flow's per-CPU values (stride PERCPU_STRIDE(flow_value)). */
void flow_value_sum(const void *percpu, int ncpus, struct flow_value *sum);

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
