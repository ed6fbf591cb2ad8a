// SPDX-License-Identifier: GPL-2.0
/*
 * Drawing the live view (see draw.h). Only the rows on screen are
 * formatted, so a table of 100,000 rows scrolls as fast as one of ten.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <curses.h>
#include "draw.h"
#include "format.h"
#include "rdns.h"
#include "term.h"

#define ROW_TEXT 512
#define BOX_LINE 160
#define ENDPOINT_LEN 96		/* an address or a name, and a port */
#define ADDR_MAX_WIDTH 47	/* "[IPv6 address]:port"; names are cut */

static void set_role(enum term_role role)
{
	attrset((attr_t)term_attr(role));
}

/* Text at (y, x) cut at the right edge; returns the column after it. */
static int put(int y, int x, enum term_role role, const char *s)
{
	int room = COLS - x, n = (int)strlen(s);

	if (room <= 0 || y < 0 || y >= LINES)
		return x;
	if (n > room)
		n = room;
	set_role(role);
	mvaddnstr(y, x, s, n);
	set_role(ROLE_NORMAL);
	return x + n;
}

static int putf(int y, int x, enum term_role role, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int putf(int y, int x, enum term_role role, const char *fmt, ...)
{
	char buf[ROW_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(y, x, role, buf);
}

/* A whole line in one role (the heading and status bars). */
static void bar(int y, enum term_role role)
{
	set_role(role);
	mvhline(y, 0, ' ', COLS);
	set_role(ROLE_NORMAL);
}

static const char *rate_unit(const struct view *v)
{
	return v->bytes ? "B/s" : "b/s";
}

static double rate_value(const struct view *v, double bps)
{
	return v->bytes ? bps / 8 : bps;
}

/* An exact number when it fits in width, else 1.2M style. */
static const char *num_text(__u64 n, int width, char *buf, size_t len)
{
	snprintf(buf, len, "%llu", (unsigned long long)n);
	if ((int)strlen(buf) > width)
		count_text((double)n, buf, len);
	return buf;
}

/* ---- header: one line per interface ---- */

static void graph_text(const struct view *v, int i, int width, char *buf,
		       size_t len)
{
	static const char *const blocks[] = { " ", "\u2581", "\u2582",
		"\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#@";
	const struct iface_hist *h = &v->hist[i];
	long now = (long)(v->snap->time / HIST_BUCKET_SEC), b;
	double val[HIST_BUCKETS], max = 0;
	int k, lvl;
	size_t at = 0;

	buf[0] = '\0';
	if (i >= v->n_hist)	/* no history (out of memory) */
		return;

	for (k = 0; k < width; k++) {
		b = now - (width - 1 - k);
		val[k] = h->bucket[b % HIST_BUCKETS] == b ?
			 h->bps[b % HIST_BUCKETS] : 0;
		max = val[k] > max ? val[k] : max;
	}
	for (k = 0; k < width && at + 4 < len; k++) {
		lvl = max > 0 ? (int)(val[k] / max * 8 + 0.999) : 0;
		lvl = lvl > 8 ? 8 : lvl;
		if (term_utf8()) {
			strcpy(buf + at, blocks[lvl]);
			at += strlen(blocks[lvl]);
		} else {
			buf[at++] = ascii[lvl];
		}
	}
	buf[at] = '\0';
}

static void dir_rates(const struct view *v, const struct iface_rec *r,
		      int dir, char *buf, size_t len)
{
	char p[16], b[16];

	snprintf(buf, len, "%s %4s p/s %4s %s",
		 dir == FLOW_DIR_INGRESS ? "rx" : "tx",
		 count_text(r->pps[dir][RATE_2S], p, sizeof(p)),
		 count_text(rate_value(v, r->bps[dir][RATE_2S]), b, sizeof(b)),
		 rate_unit(v));
}

/* flowstat's totals beside the kernel's own counters. */
static void totals_text(const struct iface_rec *r, char *buf, size_t len)
{
	if (!r->kernel_valid) {
		snprintf(buf, len, "pkts rx %llu tx %llu (kernel: n/a)",
			 (unsigned long long)r->dir[FLOW_DIR_INGRESS].packets,
			 (unsigned long long)r->dir[FLOW_DIR_EGRESS].packets);
		return;
	}
	snprintf(buf, len, "pkts rx %llu tx %llu, kernel rx %llu tx %llu",
		 (unsigned long long)r->dir[FLOW_DIR_INGRESS].packets,
		 (unsigned long long)r->dir[FLOW_DIR_EGRESS].packets,
		 (unsigned long long)r->kernel_rx_packets,
		 (unsigned long long)r->kernel_tx_packets);
}

static int name_width(const struct snapshot *s)
{
	int i, w = 5, n;

	for (i = 0; i < s->n_ifaces; i++) {
		n = (int)strlen(iface_rec_name(&s->ifaces[i]));
		w = n > w ? n : w;
	}
	return w;
}

/* One interface's line(s); returns the lines used. */
static int header_iface(const struct view *v, int i, int y, bool two)
{
	const struct iface_rec *r = &v->snap->ifaces[i];
	char rx[48], tx[48], flows[64], unt[112], tot[160], g[HIST_BUCKETS * 4];
	char a[16], b[16];
	int x, fixed, gw;
	enum term_role name_role = v->iface < 0 || v->iface == i ?
				   ROLE_TITLE : ROLE_DIM;

	x = putf(y, 0, name_role, "%-*s ", name_width(v->snap),
		 iface_rec_name(r));
	if (!r->present) {
		put(y, x, ROLE_WARN, "gone: the interface was removed");
		return 1;
	}
	if (!r->up)
		x = put(y, x, ROLE_WARN, "down ");
	dir_rates(v, r, FLOW_DIR_INGRESS, rx, sizeof(rx));
	dir_rates(v, r, FLOW_DIR_EGRESS, tx, sizeof(tx));
	snprintf(flows, sizeof(flows), " flows %s/%s %u%%",
		 count_text(r->flow_entries, a, sizeof(a)),
		 count_text(r->meta.max_flows, b, sizeof(b)),
		 r->meta.max_flows ? (unsigned int)(100ULL * r->flow_entries /
						    r->meta.max_flows) : 0);
	unt[0] = '\0';
	if (r->dir[0].untracked_packets + r->dir[1].untracked_packets)
		snprintf(unt, sizeof(unt), " untracked %llu",
			 (unsigned long long)(r->dir[0].untracked_packets +
					      r->dir[1].untracked_packets));
	if (r->sample_rate > 1)
		snprintf(unt + strlen(unt), sizeof(unt) - strlen(unt),
			 " sampled 1:%u, ~ estimates", r->sample_rate);
	if (r->dir[0].unmatched_packets + r->dir[1].unmatched_packets)
		snprintf(unt + strlen(unt), sizeof(unt) - strlen(unt),
			 " unmatched %llu",
			 (unsigned long long)(r->dir[0].unmatched_packets +
					      r->dir[1].unmatched_packets));
	fixed = x + (int)strlen(rx) + 2 + (int)strlen(tx) + (int)strlen(flows) +
		(int)strlen(unt);
	gw = COLS - fixed - 2;
	gw = gw > HIST_BUCKETS ? HIST_BUCKETS : gw;
	x = put(y, x, ROLE_RX, rx);
	x = put(y, x + 2, ROLE_TX, tx);
	if (gw >= 5) {
		/*
		 * gw cells fit (see above); put() cuts by bytes, and a UTF-8
		 * block is three bytes in one cell, so write it whole.
		 */
		graph_text(v, i, gw, g, sizeof(g));
		set_role(ROLE_GRAPH);
		mvaddstr(y, x + 1, g);
		set_role(ROLE_NORMAL);
		getyx(stdscr, y, x);
	}
	x = put(y, x, ROLE_NORMAL, flows);
	x = put(y, x, ROLE_WARN, unt);
	totals_text(r, tot, sizeof(tot));
	if (x + 2 + (int)strlen(tot) <= COLS) {
		put(y, x + 2, ROLE_DIM, tot);
		return 1;
	}
	if (!two)
		return 1;
	putf(y + 1, name_width(v->snap) + 1, ROLE_DIM, "%s", tot);
	return 2;
}

/*
 * The security signals' alert line, when there are alerts: the first
 * (interface, what, the host it names) and how many more.
 */
static int header_alerts(const struct view *v, int y)
{
	struct sig_alert a[SIG_KINDS * SIG_TOP];
	char text[160];
	int n, x;

	n = signals_alerts(v->snap, &v->th, a, SIG_KINDS * SIG_TOP);
	if (!n)
		return 0;
	sig_alert_text(&a[0], text, sizeof(text));
	x = putf(y, 0, ROLE_WARN, "ALERT %s: %s",
		 iface_rec_name(&v->snap->ifaces[a[0].iface]), text);
	if (n > 1)
		x = putf(y, x, ROLE_DIM, " (+%d more)", n - 1);
	put(y, x, ROLE_DIM, "; a: signals");
	return 1;
}

/* Header lines; returns how many were used. */
static int draw_header(const struct view *v)
{
	int n = v->snap->n_ifaces, room = (LINES - 6) / 3, y = 0, i;
	bool two = 2 * n <= room;

	y += header_alerts(v, y);

	if (room < 1)
		room = 1;
	for (i = 0; i < n && y < room; i++) {
		if (i == room - 1 && i < n - 1) {
			putf(y++, 0, ROLE_DIM, "... and %d more interfaces "
			     "(Tab shows one at a time)", n - i);
			break;
		}
		y += header_iface(v, i, y, two);
	}
	return y;
}

/* ---- table ---- */

enum col_id {
	COL_IFACE, COL_DIR, COL_PROTO, COL_SRC, COL_DST, COL_FLOWS, COL_PKTS,
	COL_BYTES, COL_PPS, COL_R2, COL_R10, COL_R40, COL_RAVG, COL_N,
};

struct layout {
	bool on[COL_N];
	int width[COL_N];
};

static const char *const col_titles[COL_N] = {
	"IFACE", "DIR", "PROTO", "SOURCE", "DESTINATION", "FLOWS", "PKTS",
	"BYTES", "p/s", "2s", "10s", "40s", "avg",
};

static const bool col_right[COL_N] = {
	[COL_FLOWS] = true, [COL_PKTS] = true, [COL_BYTES] = true,
	[COL_PPS] = true, [COL_R2] = true, [COL_R10] = true, [COL_R40] = true,
	[COL_RAVG] = true,
};

static enum col_id rate_col(int window)
{
	return window == RATE_10S ? COL_R10 : window == RATE_40S ? COL_R40 :
	       window == RATE_2S ? COL_R2 : COL_RAVG;
}

/* The name of the address, when reverse DNS is on and knows it. */
static bool endpoint_name(const struct view *v, const struct agg_row *r,
			  bool dst, bool port, char *buf, size_t len)
{
	const struct flow_key *k = &r->key;
	char name[72];

	if (!v->rdns || !flow_has_addrs(k) ||
	    !rdns_name(dst ? k->dst : k->src, k->ethertype == 0x86dd, name,
		       sizeof(name)))
		return false;
	if (port && flow_has_ports(k))
		snprintf(buf, len, "%s:%u", name, dst ? k->dport : k->sport);
	else
		snprintf(buf, len, "%s", name);
	return true;
}

static void cell_endpoint(const struct view *v, const struct agg_row *r,
			  bool dst, char *buf, size_t len)
{
	unsigned int addr = dst ? AGG_F_DST : AGG_F_SRC;
	unsigned int port = dst ? AGG_F_DPORT : AGG_F_SPORT;

	if ((r->fields & addr) &&
	    endpoint_name(v, r, dst, r->fields & port, buf, len))
		return;
	if (r->fields & addr)
		endpoint_text(&r->key, dst, buf, len);
	else if ((r->fields & port) && flow_has_ports(&r->key))
		snprintf(buf, len, "*:%u", dst ? r->key.dport : r->key.sport);
	else
		snprintf(buf, len, "*");
}

/* The helpers return static names for known values: copy them. */
static void cell_proto(const struct agg_row *r, char *buf, size_t len)
{
	char tmp[24];
	const char *t = r->key.flags & FLOW_F_L4 ?
			proto_text(&r->key, tmp, sizeof(tmp)) :
			ethertype_text(r->key.ethertype, tmp, sizeof(tmp));

	snprintf(buf, len, "%s", t);
}

static double window_bps(const struct view *v, const struct agg_row *r,
			 int w)
{
	return rate_value(v, agg_bps(r, w, v->snap->time));
}

/* A count of a row with sampled flows is an estimate: marked ~. */
static void est_text(const struct agg_row *r, __u64 n, int width, char *buf,
		     size_t len)
{
	if (!r->sampled || width < 2 || len < 2) {
		num_text(n, width, buf, len);
		return;
	}
	buf[0] = '~';
	num_text(n, width - 1, buf + 1, len - 1);
}

static void cell_text(const struct view *v, const struct agg_row *r,
		      enum col_id c, int width, char *buf, size_t len)
{
	switch (c) {
	case COL_IFACE:
		snprintf(buf, len, "%s",
			 iface_rec_name(&v->snap->ifaces[r->iface]));
		break;
	case COL_DIR:
		snprintf(buf, len, "%s", !(r->fields & AGG_F_DIR) ? "*" :
			 r->key.dir == FLOW_DIR_EGRESS ? "out" : "in");
		break;
	case COL_PROTO: cell_proto(r, buf, len); break;
	case COL_SRC: cell_endpoint(v, r, false, buf, len); break;
	case COL_DST: cell_endpoint(v, r, true, buf, len); break;
	case COL_FLOWS: num_text(r->n_flows, width, buf, len); break;
	case COL_PKTS: est_text(r, r->packets, width, buf, len); break;
	case COL_BYTES: est_text(r, r->bytes, width, buf, len); break;
	case COL_PPS:
		count_text(agg_pps(r, v->window, v->snap->time), buf, len);
		break;
	case COL_R2: count_text(window_bps(v, r, RATE_2S), buf, len); break;
	case COL_R10: count_text(window_bps(v, r, RATE_10S), buf, len); break;
	case COL_R40: count_text(window_bps(v, r, RATE_40S), buf, len); break;
	case COL_RAVG:
		count_text(window_bps(v, r, AGG_CUMULATIVE), buf, len);
		break;
	case COL_N:
		buf[0] = '\0';
		break;
	}
}

/* The widest address on screen so far: widths grow, never jitter. */
static void measure_addresses(struct view *v, int page)
{
	char buf[ENDPOINT_LEN];
	size_t i, end = v->top + (size_t)page;
	int n, side;

	if (v->addr_width < 15)
		v->addr_width = 15;
	for (i = v->top; i < end && i < v->rows.n; i++) {
		for (side = 0; side < 2; side++) {
			cell_endpoint(v, agg_at(&v->rows, i), side, buf,
				      sizeof(buf));
			n = (int)strlen(buf);
			n = n > ADDR_MAX_WIDTH ? ADDR_MAX_WIDTH : n;
			if (n > v->addr_width)
				v->addr_width = n;
		}
	}
}

static int layout_width(const struct layout *l)
{
	int c, w = -1;

	for (c = 0; c < COL_N; c++)
		if (l->on[c])
			w += l->width[c] + 1;
	return w;
}

/* Drop columns in order until the table fits; false if it still does not. */
static bool drop_until_fits(struct layout *l, const enum col_id *drop,
			    int n, enum col_id keep)
{
	int i;

	for (i = 0; i < n && layout_width(l) > COLS; i++)
		if (drop[i] != keep)
			l->on[drop[i]] = false;
	return layout_width(l) <= COLS;
}

/* Narrow the address columns by up to the overflow, not below min. */
static void shrink_addresses(struct layout *l, int min)
{
	int cols = l->on[COL_SRC] + l->on[COL_DST];
	int over = layout_width(l) - COLS, w;

	if (over <= 0 || !cols)
		return;
	w = l->width[COL_SRC] - (over + cols - 1) / cols;
	w = w < min ? min : w;
	w = w > l->width[COL_SRC] ? l->width[COL_SRC] : w;
	l->width[COL_SRC] = l->width[COL_DST] = w;
}

/*
 * Columns for this mode and width. When the terminal is too narrow,
 * first the other rate windows, the flow count and p/s go; then long
 * (IPv6) addresses are cut to IPv4 width; then direction, packets,
 * interface and protocol go; then the addresses are cut further.
 */
static void plan_columns(const struct view *v, struct layout *l)
{
	static const enum col_id drop1[] = { COL_R40, COL_R10, COL_R2,
		COL_RAVG, COL_FLOWS, COL_PPS };
	static const enum col_id drop2[] = { COL_DIR, COL_PKTS, COL_IFACE,
		COL_PROTO };
	static const int widths[COL_N] = { 5, 3, 6, 0, 0, 6, 8, 8, 6, 7, 7,
					   7, 7 };
	unsigned int f = agg_mode_fields(v->mode);
	enum col_id keep = rate_col(v->window);
	int i;

	memcpy(l->width, widths, sizeof(widths));
	for (i = 0; i < COL_N; i++)
		l->on[i] = true;
	l->width[COL_IFACE] = name_width(v->snap);
	l->on[COL_DIR] = f & AGG_F_DIR;
	l->on[COL_PROTO] = f & AGG_F_PROTO;
	l->on[COL_SRC] = f & (AGG_F_SRC | AGG_F_SPORT);
	l->on[COL_DST] = f & (AGG_F_DST | AGG_F_DPORT);
	l->on[COL_FLOWS] = v->mode != AGG_FLOW;
	l->on[COL_RAVG] = v->window == AGG_CUMULATIVE;
	l->on[COL_IFACE] = v->iface < 0 && v->snap->n_ifaces > 1;
	l->width[COL_SRC] = l->width[COL_DST] = v->addr_width;
	if (drop_until_fits(l, drop1, 6, keep))
		return;
	shrink_addresses(l, 21);	/* "255.255.255.255:65535" */
	if (drop_until_fits(l, drop2, 4, keep))
		return;
	shrink_addresses(l, 8);
}

static bool sorted_col(const struct view *v, enum col_id c)
{
	switch (v->sort) {
	case AGG_SORT_IFACE: return c == COL_IFACE;
	case AGG_SORT_DIR: return c == COL_DIR;
	case AGG_SORT_PROTO: return c == COL_PROTO;
	case AGG_SORT_SRC: return c == COL_SRC;
	case AGG_SORT_DST: return c == COL_DST;
	case AGG_SORT_FLOWS: return c == COL_FLOWS;
	case AGG_SORT_PACKETS: return c == COL_PKTS;
	case AGG_SORT_BYTES: return c == COL_BYTES;
	case AGG_SORT_PPS: return c == COL_PPS;
	case AGG_SORT_RATE: return c == rate_col(v->window);
	default: return false;
	}
}

/*
 * Fit text into a cell. Too long: numbers and names are cut at the end,
 * addresses (mid true) in the middle so that the port stays, with '~'
 * where text went.
 */
static int cell_put(char *line, int at, const char *text, int width,
		    bool right, bool mid)
{
	int n = (int)strlen(text), head;

	if (n > width && mid && width > 4) {
		head = (width - 1) / 2;
		memcpy(line + at, text, head);
		line[at + head] = '~';
		memcpy(line + at + head + 1, text + n - (width - head - 1),
		       width - head - 1);
	} else if (n > width) {
		memcpy(line + at, text, width);
		if (width > 1)
			line[at + width - 1] = '~';
	} else if (right) {
		memset(line + at, ' ', width - n);
		memcpy(line + at + width - n, text, n);
	} else {
		memcpy(line + at, text, n);
		memset(line + at + n, ' ', width - n);
	}
	return at + width + 1;
}

static void draw_heading(const struct view *v, const struct layout *l, int y)
{
	char title[32];
	int c, x = 0;

	bar(y, ROLE_HEADING);
	for (c = 0; c < COL_N; c++) {
		char cell[64];

		if (!l->on[c] || l->width[c] <= 0)
			continue;
		if (c >= COL_R2 && c <= COL_RAVG)
			snprintf(title, sizeof(title), "%s %s", col_titles[c],
				 rate_unit(v));
		else	/* c < COL_N (the loop): cppcheck thinks it may not be */
			/* cppcheck-suppress arrayIndexOutOfBoundsCond */
			snprintf(title, sizeof(title), "%s", col_titles[c]);
		memset(cell, 0, sizeof(cell));
		/* cppcheck-suppress arrayIndexOutOfBoundsCond ; as above */
		cell_put(cell, 0, title, l->width[c] < 63 ? l->width[c] : 63,
			 col_right[c], false);
		cell[l->width[c] < 63 ? l->width[c] : 63] = '\0';
		put(y, x, sorted_col(v, c) ? ROLE_SORTED : ROLE_HEADING, cell);
		x += l->width[c] + 1;
	}
}

static void draw_row(const struct view *v, const struct layout *l,
		     const struct agg_row *r, int y, bool selected)
{
	char line[ROW_TEXT], cell[ENDPOINT_LEN];
	int c, at = 0;

	for (c = 0; c < COL_N && at < COLS; c++) {
		if (!l->on[c] || l->width[c] <= 0)
			continue;
		if (at + l->width[c] + 1 >= (int)sizeof(line))
			break;
		cell_text(v, r, c, l->width[c], cell, sizeof(cell));
		at = cell_put(line, at, cell, l->width[c], col_right[c],
			      c == COL_SRC || c == COL_DST);
		line[at - 1] = ' ';
	}
	line[at < COLS ? at : COLS] = '\0';
	if (selected)
		bar(y, ROLE_SELECTED);
	put(y, 0, selected ? ROLE_SELECTED : ROLE_NORMAL, line);
}

static void draw_table(struct view *v, int y0, int y1)
{
	struct layout l;
	size_t i;
	int y;

	v->page = y1 - y0 - 1 > 1 ? y1 - y0 - 1 : 1;
	/* after a resize the selection must still be on screen */
	if (v->selected >= v->top + (size_t)v->page)
		v->top = v->selected - v->page + 1;
	agg_settle(&v->rows, v->top, v->top + (size_t)v->page);
	measure_addresses(v, v->page);
	plan_columns(v, &l);
	draw_heading(v, &l, y0);
	if (!v->rows.n) {
		put(y0 + 2, 2, ROLE_DIM, v->filter ?
		    "no flows match the filter (Esc clears it)" :
		    "no flows yet: waiting for traffic");
		return;
	}
	for (i = v->top, y = y0 + 1; y < y1 && i < v->rows.n; i++, y++)
		draw_row(v, &l, agg_at(&v->rows, i), y, i == v->selected);
}

/* ---- footer ---- */

static const char *window_name(int window)
{
	static const char *const names[] = { "2s", "10s", "40s", "avg" };

	return names[window];
}

static void draw_footer(const struct view *v, int y)
{
	static const char hints[] =
		"q quit  ? help  / filter  s sort  r rev  v view  t window  "
		"b bits  Tab iface  Enter details";
	char info[FILTER_TEXT_LEN + 160];
	int x = 0;

	bar(y, ROLE_STATUS);
	if (v->editing) {
		x = putf(y, 0, ROLE_STATUS, "filter: %.*s", (int)v->edit_len,
			 v->edit);
		if (v->message[0])
			put(y, x + 2, ROLE_WARN, v->message);
		curs_set(1);
		move(y, x < COLS ? x : COLS - 1);
		return;
	}
	curs_set(0);
	if (v->paused)
		x = v->held ? putf(y, 0, ROLE_WARN, " PAUSED, %lu refresh%s held ",
				   v->held, v->held == 1 ? "" : "es") :
			      put(y, 0, ROLE_WARN, " PAUSED ");
	if (v->message[0]) {
		put(y, x + 1, ROLE_WARN, v->message);
		return;
	}
	snprintf(info, sizeof(info), " %zu rows | %s | sort %s%s%s%s | %s | "
		 "%s | %.1fs%s%s%s ", v->rows.n, agg_mode_names[v->mode],
		 agg_sort_names[v->sort],
		 v->sort == AGG_SORT_RATE || v->sort == AGG_SORT_PPS ? " " : "",
		 v->sort == AGG_SORT_RATE || v->sort == AGG_SORT_PPS ?
		 window_name(v->window) : "",
		 v->reverse ? " reversed" : "", rate_unit(v),
		 v->iface < 0 ? "all" :
		 iface_rec_name(&v->snap->ifaces[v->iface]),
		 v->interval, v->rdns ? " | dns" : "",
		 v->filter ? " | filter: " : "",
		 v->filter ? v->filter_text : "");
	x = put(y, x, ROLE_STATUS, info);
	if (COLS - x > 20)
		put(y, x + 1, ROLE_STATUS, hints);
}

/* ---- overlays ---- */

static void box_at(int y, int x, int h, int w)
{
	int i;

	/* line drawing is reliable in UTF-8; elsewhere plain ASCII */
	bool u = term_utf8();
	chtype hl = u ? ACS_HLINE : '-', vl = u ? ACS_VLINE : '|';

	set_role(ROLE_NORMAL);
	for (i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
	mvaddch(y, x, u ? ACS_ULCORNER : '+');
	mvaddch(y, x + w - 1, u ? ACS_URCORNER : '+');
	mvaddch(y + h - 1, x, u ? ACS_LLCORNER : '+');
	mvaddch(y + h - 1, x + w - 1, u ? ACS_LRCORNER : '+');
	mvhline(y, x + 1, hl, w - 2);
	mvhline(y + h - 1, x + 1, hl, w - 2);
	mvvline(y + 1, x, vl, h - 2);
	mvvline(y + 1, x + w - 1, vl, h - 2);
}

/* Lines in a centred box; the box shrinks to the screen. */
static void draw_box(const char *title, char lines[][BOX_LINE], int n)
{
	int w = (int)strlen(title) + 4, h, y, x, i, len;

	for (i = 0; i < n; i++) {
		len = (int)strlen(lines[i]) + 4;
		w = len > w ? len : w;
	}
	w = w > COLS ? COLS : w;
	h = n + 2 > LINES ? LINES : n + 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	box_at(y, x, h, w);
	putf(y, x + 2, ROLE_TITLE, " %.*s ", w - 6, title);
	for (i = 0; i < n && i < h - 2; i++) {
		set_role(ROLE_NORMAL);
		mvaddnstr(y + 1 + i, x + 2, lines[i], w - 4);
	}
}

static void draw_help(void)
{
	static const char *const text[] = {
		"q            quit (detaches what this view attached)",
		"? h          this help (any key closes it)",
		"space p      pause the display (counting goes on)",
		"s < >        sort column: next, previous;  r  reverse",
		"/            filter: host, net, port, proto, iface, vlan,",
		"             and, or, not, ( ); Enter applies, Esc clears",
		"v            view: flow, host pair, source host,",
		"             destination host, port, protocol, interface",
		"b            bits or bytes per second",
		"t            rate window: 2 s, 10 s, 40 s, avg (lifetime)",
		"Tab          interface: all, then each one",
		"arrows j k   move;  PgUp PgDn Home End  scroll",
		"Enter        details of the selected row",
		"a            security signals: scans, SYN floods, fan-in,",
		"             new flows, with the hosts they name",
		"n            names for addresses (reverse DNS), on/off",
		"Ctrl-L       repaint the screen",
	};
	char lines[20][BOX_LINE];
	int i, n = (int)(sizeof(text) / sizeof(text[0]));

	for (i = 0; i < n; i++)
		snprintf(lines[i], sizeof(lines[i]), "%s", text[i]);
	draw_box("flowstat top: keys", lines, n);
}

static void time_text(double t, double now, char *buf, size_t len)
{
	time_t sec = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&sec, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), " (%.0f s ago)",
		 now - t > 0 ? now - t : 0);
}

static void draw_detail(const struct view *v)
{
	const struct agg_row *r = agg_at(&v->rows, v->selected);
	const struct flow_key *k = &r->key;
	char lines[16][BOX_LINE], src[ADDR_TEXT_LEN], dst[ADDR_TEXT_LEN];
	char proto[24], eth[24], flags[FLAGS_TEXT_LEN], first[64], last[64];
	char p[3][16], b[3][16];
	struct view numeric = *v;
	int n = 0, w;

	numeric.rdns = false;	/* details show the addresses themselves */
	cell_endpoint(&numeric, r, false, src, sizeof(src));
	cell_endpoint(&numeric, r, true, dst, sizeof(dst));
	snprintf(eth, sizeof(eth), "%s",
		 ethertype_text(k->ethertype, proto, sizeof(proto)));
	cell_proto(r, proto, sizeof(proto));
	time_text(r->first_seen, v->snap->time, first, sizeof(first));
	time_text(r->last_seen, v->snap->time, last, sizeof(last));
	for (w = 0; w < RATE_WINDOWS; w++) {
		count_text(r->pps[w], p[w], sizeof(p[w]));
		count_text(rate_value(v, r->bps[w]), b[w], sizeof(b[w]));
	}
#define LINE(...) snprintf(lines[n++], sizeof(lines[0]), __VA_ARGS__)
	LINE("interface    %s (ifindex %u)",
	     iface_rec_name(&v->snap->ifaces[r->iface]),
	     v->snap->ifaces[r->iface].meta.ifindex);
	LINE("direction    %s", r->fields & AGG_F_DIR ? dir_text(k->dir) : "*");
	LINE("ethertype    %s   vlan %u   inner vlan %u", eth, k->vlan,
	     k->inner_vlan);
	LINE("protocol     %s (%u)", proto, k->proto);
	LINE("source       %s", src);
	LINE("destination  %s", dst);
	if (flow_has_icmp(k))
		LINE("icmp         type %u code %u", k->sport, k->dport);
	LINE("key flags    %s%s%s", k->flags & FLOW_F_FRAGMENT ? "fragment " :
	     "", k->flags & FLOW_F_TRUNCATED ? "truncated " : "",
	     k->flags & (FLOW_F_FRAGMENT | FLOW_F_TRUNCATED) ? "" : "-");
	LINE("flows        %zu", r->n_flows);
	LINE("packets      %llu", (unsigned long long)r->packets);
	LINE("bytes        %llu", (unsigned long long)r->bytes);
	LINE("p/s          %s / %s / %s  (2 s / 10 s / 40 s)", p[0], p[1],
	     p[2]);
	LINE("%s          %s / %s / %s", rate_unit(v), b[0], b[1], b[2]);
	LINE("first seen   %s", first);
	LINE("last seen    %s", last);
	LINE("tcp flags    %s", r->tcp_flags ?
	     tcp_flags_text(r->tcp_flags, flags) : "-");
#undef LINE
	draw_box("details (any key closes)", lines, n);
}

/* The security signals of each interface: values, thresholds, suspects. */
static void draw_signals(const struct view *v)
{
	char lines[40][BOX_LINE], host[ADDR_TEXT_LEN], thr[24];
	const int max = (int)(sizeof(lines) / sizeof(lines[0]));
	int i, k, j, n = 0;

#define LINE(...) snprintf(lines[n++], sizeof(lines[0]), __VA_ARGS__)
	for (i = 0; i < v->snap->n_ifaces && n < max - 7; i++) {
		const struct iface_rec *r = &v->snap->ifaces[i];
		const struct iface_signals *g = &r->sig;

		if (v->iface >= 0 && v->iface != i)
			continue;
		if (!g->valid) {
			LINE("%s: no sketches (attached by an older flowstat)",
			     iface_rec_name(r));
			continue;
		}
		LINE("%s (window %.2f s)", iface_rec_name(r), g->window_s);
		for (k = 0; k < SIG_KINDS; k++) {
			double val = signals_value(v->snap, i, k);
			char sus[3 * (ADDR_TEXT_LEN + 12)] = "";
			size_t at = 0;

			if (v->th.value[k] > 0)
				snprintf(thr, sizeof(thr), "%.0f",
					 v->th.value[k]);
			else
				snprintf(thr, sizeof(thr), "off");
			for (j = 0; k != SIG_NEW_FLOWS && j < g->n_top[k] &&
				    j < 3 && at < sizeof(sus); j++) {
				sig_host_text(&g->top[k][j], host,
					      sizeof(host));
				at += snprintf(sus + at, sizeof(sus) - at,
					       "%s%s %.0f", j ? ", " : "",
					       host, g->top[k][j].value);
			}
			LINE(" %s %-10.10s %8.0f / %-6.8s %.12s %.96s",
			     v->th.value[k] > 0 && val >= v->th.value[k] ?
			     "!" : " ", sig_kind_names[k], val, thr,
			     sig_kind_units[k], sus);
		}
	}
#undef LINE
	if (!n)
		snprintf(lines[n++], sizeof(lines[0]), "no interfaces");
	draw_box("security signals, last window (any key closes)", lines, n);
}

/* ---- the screen ---- */

static void draw_too_small(void)
{
	char msg[80];

	snprintf(msg, sizeof(msg), "terminal %dx%d is too small: need %dx%d",
		 COLS, LINES, DRAW_MIN_COLS, DRAW_MIN_LINES);
	put(LINES / 2, 0, ROLE_WARN, msg);
	put(LINES / 2 + 1, 0, ROLE_NORMAL, "q quits");
}

void draw_screen(struct view *v)
{
	int hdr;

	erase();
	if (COLS < DRAW_MIN_COLS || LINES < DRAW_MIN_LINES) {
		draw_too_small();
	} else if (!v->snap) {
		put(0, 0, ROLE_DIM, "reading the flow maps...");
	} else {
		hdr = draw_header(v);
		draw_table(v, hdr, LINES - 1);
		if (v->overlay == OVL_HELP)
			draw_help();
		else if (v->overlay == OVL_DETAIL && v->selected < v->rows.n)
			draw_detail(v);
		else if (v->overlay == OVL_SIGNALS)
			draw_signals(v);
		draw_footer(v, LINES - 1);
	}
	refresh();
}
