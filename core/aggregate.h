/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aggregation of a snapshot's flows into rows: one row per flow, or flows
 * summed by host pair, source host, destination host, service port,
 * protocol or interface. Rows are plain data for the live view (and for
 * tests); sorting is stable (ties fall back to the key), so rows do not
 * jump between refreshes.
 */
#ifndef FLOWSTAT_AGGREGATE_H
#define FLOWSTAT_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include "filter.h"
#include "snapshot.h"

enum agg_mode {
	AGG_FLOW, AGG_HOST_PAIR, AGG_SRC_HOST, AGG_DST_HOST, AGG_PORT,
	AGG_PROTO, AGG_IFACE, AGG_MODES,
};
extern const char *const agg_mode_names[AGG_MODES];

/* The key fields a row keeps; the others are summed over (shown "*"). */
enum agg_field {
	AGG_F_DIR = 1 << 0,
	AGG_F_PROTO = 1 << 1,	/* ethertype and L4 protocol */
	AGG_F_SRC = 1 << 2,
	AGG_F_SPORT = 1 << 3,
	AGG_F_DST = 1 << 4,
	AGG_F_DPORT = 1 << 5,
	AGG_F_VLAN = 1 << 6,
	AGG_F_FLAGS = 1 << 7,	/* fragment / truncated marks */
	AGG_F_ETHERTYPE = 1 << 8,
};

/* Rate window of a row: the snapshot's three, or the lifetime average. */
#define AGG_CUMULATIVE RATE_WINDOWS

struct agg_row {
	struct flow_key key;	/* fields outside .fields are zero */
	int iface;		/* index into snapshot.ifaces */
	unsigned int fields;	/* enum agg_field */
	size_t n_flows;		/* flows summed into this row */
	__u64 packets;
	__u64 bytes;
	double pps[RATE_WINDOWS];
	double bps[RATE_WINDOWS];	/* bits per second */
	double first_seen;	/* earliest of its flows, Unix time */
	double last_seen;	/* latest */
	__u8 tcp_flags;		/* OR over its flows */
};

struct agg_sort_item;

struct agg_table {
	struct agg_row *rows;
	size_t n;
	size_t cap;
	__u32 *index;		/* open addressing: row number + 1, 0 free */
	size_t index_cap;	/* power of two */
	struct agg_row *spare;	/* sorting: rows are permuted into it */
	struct agg_sort_item *order;	/* sorting: row numbers and keys */
};

/*
 * Rebuild t from the flows of s that are on interface iface (-1: all)
 * and match f (NULL: all), grouped by mode. 0 or -ENOMEM (t keeps its
 * previous rows then).
 */
int aggregate(const struct snapshot *s, enum agg_mode mode, int iface,
	      const struct filter *f, struct agg_table *t);
void agg_free(struct agg_table *t);

/* The fields a mode keeps. */
unsigned int agg_mode_fields(enum agg_mode mode);

enum agg_sort {
	AGG_SORT_IFACE, AGG_SORT_DIR, AGG_SORT_PROTO, AGG_SORT_SRC,
	AGG_SORT_DST, AGG_SORT_FLOWS, AGG_SORT_PACKETS, AGG_SORT_BYTES,
	AGG_SORT_PPS, AGG_SORT_RATE, AGG_SORTS,
};
extern const char *const agg_sort_names[AGG_SORTS];

/*
 * Sort rows: names ascending, counts and rates largest first (reverse
 * flips that); window is RATE_2S..RATE_40S or AGG_CUMULATIVE; now is the
 * snapshot time (for lifetime averages). Ties: interface, then key.
 */
void agg_sort(struct agg_table *t, enum agg_sort by, int window,
	      bool reverse, double now);

/* A row's packet and bit rates in a window (AGG_CUMULATIVE: average
 * since its first packet). */
double agg_pps(const struct agg_row *r, int window, double now);
double agg_bps(const struct agg_row *r, int window, double now);

/* Index of the row with the same group as key (iface, key, fields), or
 * -1. Linear; for keeping a selection across refreshes. */
long agg_find(const struct agg_table *t, const struct agg_row *like);

#endif /* FLOWSTAT_AGGREGATE_H */
