/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aggregation of a snapshot's flows into rows: one row per flow, or flows
 * summed by host pair, source host, destination host, service port,
 * protocol or interface. Rows are plain data for the live view (and for
 * tests); the order is total (ties fall back to the key), so rows do not
 * jump between refreshes.
 *
 * Ordering is lazy: agg_order() notes the order and the sort value of
 * each row (O(n)); agg_settle() puts the rows of a range of ranks in
 * place by partial selection, so a view that shows 50 of 100,000 rows
 * pays for a selection, not a full sort.
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
	/* estimates when sampled (snapshot.h): raw counts times the rate */
	__u64 packets;
	__u64 bytes;
	double pps[RATE_WINDOWS];
	double bps[RATE_WINDOWS];	/* bits per second */
	double first_seen;	/* earliest of its flows, Unix time */
	double last_seen;	/* latest */
	__u8 tcp_flags;		/* OR over its flows */
	__u8 sampled;		/* some of its flows were sampled */
};

/*
 * What ordering moves: a row number with the row's sort value and the
 * start of its tie order, so that most comparisons touch no row (rows
 * are big and scattered; with 100,000 that is most of the cost).
 */
struct agg_sort_item {
	double value;		/* numeric columns, larger first */
	__u64 tie;		/* the first 64 bits of the tie order */
	__u32 row;
	__u32 numeric;
};

struct agg_order_by {
	int by;			/* enum agg_sort */
	int window;
	int sign;		/* -1: reversed */
	double now;
};

struct agg_table {
	struct agg_row *rows;	/* in aggregation order */
	size_t n;
	size_t cap;
	__u32 *index;		/* open addressing: row number + 1, 0 free */
	size_t index_cap;	/* power of two */
	struct agg_sort_item *order;	/* by rank once settled */
	struct agg_order_by ob;	/* the order of the latest agg_order() */
	size_t settled_lo, settled_hi;	/* ranks in place: [lo, hi) */
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
 * Order rows: names ascending, counts and rates largest first (reverse
 * flips that); window is RATE_2S..RATE_40S or AGG_CUMULATIVE; now is the
 * snapshot time (for lifetime averages). Ties: interface, then key.
 * No rank is in place yet (agg_settle()).
 */
void agg_order(struct agg_table *t, enum agg_sort by, int window,
	       bool reverse, double now);
/* Put ranks [lo, hi) in place (hi is cut to the rows there are). */
void agg_settle(struct agg_table *t, size_t lo, size_t hi);
/* agg_order() and every rank in place. */
void agg_sort(struct agg_table *t, enum agg_sort by, int window,
	      bool reverse, double now);
/* The row at rank i, which must be settled (i < t->n). */
static inline const struct agg_row *agg_at(const struct agg_table *t,
					   size_t i)
{
	return &t->rows[t->order[i].row];
}

/* A row's packet and bit rates in a window (AGG_CUMULATIVE: average
 * since its first packet). */
double agg_pps(const struct agg_row *r, int window, double now);
double agg_bps(const struct agg_row *r, int window, double now);

/* Rank of the row with the same group as like (iface, key, fields), or
 * -1; needs agg_order(), not agg_settle(). O(n): for keeping a
 * selection across refreshes. */
long agg_find(const struct agg_table *t, const struct agg_row *like);

#endif /* FLOWSTAT_AGGREGATE_H */
