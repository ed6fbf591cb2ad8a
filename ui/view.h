/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live view's state (what is shown, how, where the selection is) and
 * its key handling. A key handler returns what needs redoing (htop
 * style): nothing, a redraw, a rebuild of the rows from the shown
 * snapshot, a full repaint, or quit. No curses drawing here.
 */
#ifndef FLOWSTAT_UI_VIEW_H
#define FLOWSTAT_UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include "aggregate.h"
#include "filter.h"
#include "signals.h"
#include "snapshot.h"

enum view_action {
	ACT_NONE = 0,
	ACT_REDRAW = 1 << 0,	/* draw the screen again */
	ACT_REBUILD = 1 << 1,	/* aggregate and sort the rows again */
	ACT_REPAINT = 1 << 2,	/* clear the terminal, then draw (Ctrl-L) */
	ACT_QUIT = 1 << 3,
};

enum view_overlay { OVL_NONE, OVL_HELP, OVL_DETAIL, OVL_SIGNALS };

/* Per-interface minute of history for the header graph. */
#define HIST_BUCKETS 15		/* of HIST_BUCKET_SEC each: one minute */
#define HIST_BUCKET_SEC 4
struct iface_hist {
	__u64 id;			/* the instance (it follows it) */
	long bucket[HIST_BUCKETS];	/* time / HIST_BUCKET_SEC, -1 unused */
	double bps[HIST_BUCKETS];	/* rx + tx, the peak in the bucket */
};

#define FILTER_TEXT_LEN 256

struct view {
	/* what and how */
	enum agg_mode mode;
	enum agg_sort sort;
	bool reverse;
	int window;		/* RATE_2S..RATE_40S or AGG_CUMULATIVE */
	bool bytes;		/* rates in bytes/s, not bits/s */
	int iface;		/* -1: all interfaces */
	bool paused;
	unsigned long held;	/* snapshots dropped while paused */
	bool rdns;		/* names for addresses */
	double interval;	/* seconds between scans */
	enum view_overlay overlay;
	struct sig_thresholds th;	/* the security signals' alerts */

	/* filter: the applied one, and the line being edited */
	struct filter *filter;
	char filter_text[FILTER_TEXT_LEN];
	bool editing;
	char edit[FILTER_TEXT_LEN];
	size_t edit_len;
	char message[160];	/* one-shot status (errors, notes) */
	bool scan_failed;	/* message is a scan error */

	/* data shown */
	struct snapshot *snap;	/* owned */
	struct agg_table rows;
	struct iface_hist *hist;	/* snap->n_ifaces */
	int n_hist;

	/* selection and scrolling */
	size_t selected;
	size_t top;		/* first row on screen */
	int page;		/* rows on screen (set by draw) */
	bool have_sel_key;	/* sel_key follows the selected row */
	struct agg_row sel_key;
	int addr_width;		/* widest address text seen; sticky */
};

void view_init(struct view *v, double interval);
void view_free(struct view *v);
/* Show snapshot s (the view takes ownership) unless paused, in which
 * case s is freed and counted as held. Returns the actions to do. */
int view_take(struct view *v, struct snapshot *s);
/* Aggregate, sort, and keep the selection on the same row. */
void view_rebuild(struct view *v);
/* One key; returns enum view_action flags. */
int view_key(struct view *v, int key);

#endif /* FLOWSTAT_UI_VIEW_H */
