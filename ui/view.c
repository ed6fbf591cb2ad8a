// SPDX-License-Identifier: GPL-2.0
/*
 * View state and key handling for the live view (see view.h). Keys follow
 * iftop, htop and bpftop; each handler says what needs redoing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>
#include "collect.h"
#include "rdns.h"
#include "view.h"

#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_ESC 27

void view_init(struct view *v, double interval)
{
	memset(v, 0, sizeof(*v));
	v->mode = AGG_FLOW;
	v->sort = AGG_SORT_RATE;
	v->window = RATE_2S;
	v->iface = -1;
	v->interval = interval;
	v->page = 1;
	sig_thresholds_default(&v->th);
}

void view_free(struct view *v)
{
	filter_free(v->filter);
	snapshot_free(v->snap);
	agg_free(&v->rows);
	free(v->hist);
	memset(v, 0, sizeof(*v));
}

/* ---- history for the header graphs ---- */

/*
 * One history per interface of s, in its order: interfaces come and go
 * while the view runs, so each keeps its own by instance.
 */
static int hist_match(struct view *v, const struct snapshot *s)
{
	struct iface_hist *h = calloc(s->n_ifaces ? s->n_ifaces : 1,
				      sizeof(*h));
	int i, j, b;

	if (!h)
		return -ENOMEM;
	for (i = 0; i < s->n_ifaces; i++) {
		__u64 id = s->ifaces[i].meta.instance_id;

		for (j = 0; j < v->n_hist && v->hist[j].id != id; j++)
			;
		if (j < v->n_hist) {
			h[i] = v->hist[j];
			continue;
		}
		h[i].id = id;
		for (b = 0; b < HIST_BUCKETS; b++)
			h[i].bucket[b] = -1;
	}
	free(v->hist);
	v->hist = h;
	v->n_hist = s->n_ifaces;
	return 0;
}

static void hist_record(struct view *v, const struct snapshot *s)
{
	long bucket = (long)(s->time / HIST_BUCKET_SEC);
	int i, slot = (int)(bucket % HIST_BUCKETS);

	if (hist_match(v, s))
		return;
	for (i = 0; i < s->n_ifaces; i++) {
		struct iface_hist *h = &v->hist[i];
		const struct iface_rec *r = &s->ifaces[i];
		double bps = r->bps[FLOW_DIR_INGRESS][RATE_2S] +
			     r->bps[FLOW_DIR_EGRESS][RATE_2S];

		if (h->bucket[slot] != bucket) {
			h->bucket[slot] = bucket;
			h->bps[slot] = 0;
		}
		if (bps > h->bps[slot])
			h->bps[slot] = bps;
	}
}

/* ---- rows and selection ---- */

/* Only the rows on screen are put in order (see agg_settle()). */
static void clamp_selection(struct view *v)
{
	size_t n = v->rows.n, page = v->page > 0 ? (size_t)v->page : 1;

	if (!n) {
		v->selected = v->top = 0;
		return;
	}
	if (v->selected >= n)
		v->selected = n - 1;
	if (v->selected < v->top)
		v->top = v->selected;
	if (v->selected >= v->top + page)
		v->top = v->selected - page + 1;
	if (v->top + page > n)
		v->top = n > page ? n - page : 0;
	agg_settle(&v->rows, v->top, v->top + page);
}

static void remember_selection(struct view *v)
{
	v->have_sel_key = v->selected < v->rows.n;
	if (v->have_sel_key)
		v->sel_key = *agg_at(&v->rows, v->selected);
}

void view_rebuild(struct view *v)
{
	long at;

	if (!v->snap)
		return;
	if (aggregate(v->snap, v->mode, v->iface, v->filter, &v->rows)) {
		snprintf(v->message, sizeof(v->message), "out of memory");
		return;
	}
	agg_order(&v->rows, v->sort, v->window, v->reverse, v->snap->time);
	/* htop keeps the cursor on the same process; we keep the row */
	if (v->have_sel_key) {
		at = agg_find(&v->rows, &v->sel_key);
		if (at >= 0) {
			/* keep its screen position when it moves */
			size_t off = v->selected - v->top;

			v->selected = (size_t)at;
			v->top = v->selected >= off ? v->selected - off : 0;
		}
	}
	clamp_selection(v);
	remember_selection(v);
}

/* The index in s of the interface shown alone in old (-1: all, or gone). */
static int iface_follow(const struct snapshot *old, int iface,
			const struct snapshot *s)
{
	int i;

	if (!old || iface < 0 || iface >= old->n_ifaces)
		return -1;
	for (i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].meta.instance_id ==
		    old->ifaces[iface].meta.instance_id)
			return i;
	return -1;
}

int view_take(struct view *v, struct snapshot *s)
{
	if (v->scan_failed) {	/* the error is over: drop its message */
		v->scan_failed = false;
		v->message[0] = '\0';
	}
	if (v->paused) {
		snapshot_free(s);
		v->held++;	/* the footer says how many: time passes */
		return ACT_REDRAW;
	}
	hist_record(v, s);
	v->iface = iface_follow(v->snap, v->iface, s);
	snapshot_free(v->snap);
	v->snap = s;
	return ACT_REBUILD | ACT_REDRAW;
}

/* ---- keys ---- */

static int move_selection(struct view *v, long delta, bool absolute)
{
	long n = (long)v->rows.n, to;

	if (!n)
		return ACT_NONE;
	to = absolute ? delta : (long)v->selected + delta;
	if (to < 0)
		to = 0;
	if (to >= n)
		to = n - 1;
	v->selected = (size_t)to;
	clamp_selection(v);
	remember_selection(v);
	return ACT_REDRAW;
}

/* Whether a sort column is on screen in the current mode. */
static bool sort_usable(const struct view *v, enum agg_sort s)
{
	unsigned int f = agg_mode_fields(v->mode);

	switch (s) {
	case AGG_SORT_IFACE:	/* the column shows with several only */
		return v->iface < 0 && v->snap && v->snap->n_ifaces > 1;
	case AGG_SORT_DIR: return f & AGG_F_DIR;
	case AGG_SORT_PROTO: return f & AGG_F_PROTO;
	case AGG_SORT_SRC: return f & (AGG_F_SRC | AGG_F_SPORT);
	case AGG_SORT_DST: return f & (AGG_F_DST | AGG_F_DPORT);
	case AGG_SORT_FLOWS: return v->mode != AGG_FLOW;
	default: return true;
	}
}

static int cycle_sort(struct view *v, int step)
{
	int s = v->sort, i;

	for (i = 0; i < AGG_SORTS; i++) {
		s = (s + step + AGG_SORTS) % AGG_SORTS;
		if (sort_usable(v, s))
			break;
	}
	v->sort = s;
	return ACT_REBUILD | ACT_REDRAW;
}

static int cycle_mode(struct view *v)
{
	v->mode = (v->mode + 1) % AGG_MODES;
	if (!sort_usable(v, v->sort))
		v->sort = AGG_SORT_RATE;
	v->have_sel_key = false;
	v->selected = v->top = 0;
	v->addr_width = 0;
	return ACT_REBUILD | ACT_REDRAW;
}

static int cycle_iface(struct view *v, int step)
{
	int n = v->snap ? v->snap->n_ifaces : 0;

	if (n < 1)
		return ACT_NONE;
	/* -1 (all), 0 .. n-1, then all again */
	v->iface = (v->iface + 1 + step + n + 1) % (n + 1) - 1;
	if (!sort_usable(v, v->sort))
		v->sort = AGG_SORT_RATE;
	v->have_sel_key = false;
	v->selected = v->top = 0;
	return ACT_REBUILD | ACT_REDRAW;
}

static int apply_filter(struct view *v)
{
	struct filter_error fe;
	struct filter *f = NULL;
	int err;

	v->edit[v->edit_len] = '\0';
	err = filter_parse(v->edit, &f, &fe);
	if (err == -EINVAL) {
		snprintf(v->message, sizeof(v->message),
			 "filter: column %d: %.100s", fe.pos, fe.msg);
		return ACT_REDRAW;	/* keep editing */
	}
	if (err) {
		snprintf(v->message, sizeof(v->message), "filter: %s",
			 strerror(-err));
		return ACT_REDRAW;
	}
	filter_free(v->filter);
	v->filter = f;
	snprintf(v->filter_text, sizeof(v->filter_text), "%s",
		 f ? v->edit : "");
	v->editing = false;
	v->message[0] = '\0';
	return ACT_REBUILD | ACT_REDRAW;
}

static int clear_filter(struct view *v)
{
	if (!v->filter)
		return ACT_NONE;
	filter_free(v->filter);
	v->filter = NULL;
	v->filter_text[0] = '\0';
	return ACT_REBUILD | ACT_REDRAW;
}

/* The filter line: printable text, Backspace, Enter applies, Esc quits. */
static int edit_key(struct view *v, int key)
{
	v->message[0] = '\0';
	switch (key) {
	case KEY_ESC:
		v->editing = false;
		return ACT_REDRAW;
	case '\r': case '\n': case KEY_ENTER:
		return apply_filter(v);
	case KEY_BACKSPACE: case 127: case 8:
		if (v->edit_len)
			v->edit_len--;
		return ACT_REDRAW;
	case KEY_CTRL('u'):
		v->edit_len = 0;
		return ACT_REDRAW;
	case KEY_RESIZE:
		return ACT_REDRAW;
	}
	if (key >= 0x20 && key < 0x7f && v->edit_len + 1 < sizeof(v->edit))
		v->edit[v->edit_len++] = (char)key;
	return ACT_REDRAW;
}

static int start_edit(struct view *v)
{
	v->editing = true;
	v->edit_len = strlen(v->filter_text);
	memcpy(v->edit, v->filter_text, v->edit_len + 1);
	return ACT_REDRAW;
}

static int overlay_key(struct view *v, int key)
{
	if (key == 'q' || key == 'Q')
		return ACT_QUIT;
	if (key == KEY_RESIZE || key == KEY_CTRL('l'))
		return ACT_REPAINT | ACT_REDRAW;
	/* any other key closes the overlay (Esc, Enter, ?, h, ...) */
	v->overlay = OVL_NONE;
	return ACT_REDRAW;
}

static int toggle(bool *b)
{
	*b = !*b;
	return ACT_REBUILD | ACT_REDRAW;
}

/* Names come from a worker thread; the screen never waits for them. */
static int toggle_rdns(struct view *v)
{
	int err = v->rdns ? 0 : rdns_start();

	if (err) {
		snprintf(v->message, sizeof(v->message),
			 "reverse DNS: %s", strerror(-err));
		return ACT_REDRAW;
	}
	v->rdns = !v->rdns;
	v->addr_width = 0;	/* names are wider; numbers narrower */
	return ACT_REDRAW;
}

static int motion_key(struct view *v, int key)
{
	long page = v->page > 1 ? v->page - 1 : 1;

	switch (key) {
	case KEY_UP: case 'k': return move_selection(v, -1, false);
	case KEY_DOWN: case 'j': return move_selection(v, 1, false);
	case KEY_PPAGE: return move_selection(v, -page, false);
	case KEY_NPAGE: return move_selection(v, page, false);
	case KEY_HOME: case 'g': return move_selection(v, 0, true);
	case KEY_END: case 'G':
		return move_selection(v, (long)v->rows.n - 1, true);
	}
	return -1;
}

static int view_key_main(struct view *v, int key)
{
	switch (key) {
	case 'q': case 'Q': return ACT_QUIT;
	case '?': case 'h': v->overlay = OVL_HELP; return ACT_REDRAW;
	case 'a': v->overlay = OVL_SIGNALS; return ACT_REDRAW;
	case ' ': case 'p': case 'P':
		v->paused = !v->paused;
		v->held = 0;
		return ACT_REDRAW;
	case 's': case '>': return cycle_sort(v, 1);
	case '<': return cycle_sort(v, -1);
	case 'r': return toggle(&v->reverse);
	case '/': return start_edit(v);
	case KEY_ESC: return clear_filter(v);
	case 'v': return cycle_mode(v);
	case 'b': v->bytes = !v->bytes; return ACT_REDRAW;
	case 't':
		v->window = (v->window + 1) % (AGG_CUMULATIVE + 1);
		return ACT_REBUILD | ACT_REDRAW;
	case '\t': return cycle_iface(v, 1);
	case KEY_BTAB: return cycle_iface(v, -1);
	case '\r': case '\n': case KEY_ENTER:
		if (v->selected < v->rows.n)
			v->overlay = OVL_DETAIL;
		return ACT_REDRAW;
	case 'n': return toggle_rdns(v);
	case KEY_CTRL('l'): case KEY_RESIZE:
		return ACT_REPAINT | ACT_REDRAW;
	}
	return -1;
}

int view_key(struct view *v, int key)
{
	int act, r;

	if (v->editing)
		return edit_key(v, key);
	if (v->overlay != OVL_NONE)
		return overlay_key(v, key);
	if (v->message[0] && key != KEY_RESIZE) {
		v->message[0] = '\0';
		act = ACT_REDRAW;
	} else {
		act = ACT_NONE;
	}
	if (key == ERR)
		return act;
	r = view_key_main(v, key);
	if (r < 0)
		r = motion_key(v, key);
	return r < 0 ? act : r | act;
}
