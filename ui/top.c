// SPDX-License-Identifier: GPL-2.0
/*
 * flowstat top: the live view. Attaches to the named interfaces that
 * flowstat does not hold yet, then loops scan -> rows -> draw -> keys
 * until q, Ctrl-C, SIGTERM or SIGHUP, and detaches exactly what it
 * attached. Collection (the collector) never touches the terminal; the
 * view only draws snapshots.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>
#include "attach.h"
#include "holdset.h"
#include "collect.h"
#include "commands.h"
#include "draw.h"
#include "log.h"
#include "pin.h"
#include "term.h"
#include "view.h"

#define MIN_DELAY 0.1
#define MAX_DELAY 3600.0
#define MAX_IDLE 31536000.0
#define DEFAULT_IDLE 300.0
#define POLL_SEC 1.0	/* long delays read the stores this often */
#define BENCH_COLS 160
#define BENCH_LINES 50
#define BENCH_PAGES 200
#define BENCH_WARM 5	/* refreshes before timing (see run_bench) */

struct top_opts {
	double delay;
	double idle;		/* end flows idle this long */
	unsigned long bench;	/* refreshes to time; 0: the live view */
	struct sig_thresholds th;	/* --threshold */
	struct attach_opts sample;	/* --sample: its sample fields */
	char **ifnames;
	int n;
	struct holdset hs;	/* what this run attached */
	const struct match_set *match;	/* --match for what it attaches */
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* No SA_RESTART: a signal wakes the key wait, and the loop ends. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };
	int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- options ---- */

static void top_usage(void)
{
	printf("Usage: flowstat top [-d SEC] [--idle SEC] [--match EXPR]\n"
	       "                    [--sample N|auto] [--threshold SIGNAL=N]...\n"
	       "                    [IFACE...]\n"
	       "       flowstat IFACE...\n"
	       "The live traffic view. Attaches to the named interfaces that\n"
	       "flowstat does not hold yet, for as long as it runs; with no\n"
	       "interface, shows every interface flowstat holds, and those\n"
	       "attached later.\n"
	       "  -d, --delay SEC  refresh interval (%g..%g, default 1)\n"
	       "  --idle SEC       end flows idle this long (default %g)\n"
	       "  --threshold SIGNAL=N  alert threshold of a security signal\n"
	       "                   (new_flows, half_open, scan_ports,\n"
	       "                   scan_hosts, fan_in; 0 turns it off)\n"
	       "  --match EXPR     on interfaces it attaches: flow entries\n"
	       "                   only for frames that match (attach --match)\n"
	       "  --sample N|auto  what it attaches: flow entries for a\n"
	       "                   random 1 in N frames (see attach)\n"
	       "Keys: q quit, ? help, a security signals. See flowstat(8).\n",
	       MIN_DELAY, MAX_DELAY, DEFAULT_IDLE);
}

static int parse_seconds(const char *opt, const char *s, double min,
			 double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out) ||
	    *out < min || *out > max) {
		log_error("top: %s '%s' is not a number of seconds from %.10g "
			  "to %.10g", opt, s, min, max);
		return -EINVAL;
	}
	return 0;
}

/* 0 to go on, else the exit code (-1: --help printed). */
static int top_parse(int argc, char **argv, struct top_opts *o)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "idle", required_argument, NULL, 'I' },
		{ "sample", required_argument, NULL, 'S' },
		{ "bench", required_argument, NULL, 'B' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "match", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	o->delay = 1.0;
	o->idle = DEFAULT_IDLE;
	sig_thresholds_default(&o->th);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_seconds("-d", optarg, MIN_DELAY, MAX_DELAY,
					  &o->delay))
				return EXIT_USAGE;
			break;
		case 'I':
			if (parse_seconds("--idle", optarg, 0, MAX_IDLE,
					  &o->idle))
				return EXIT_USAGE;
			break;
		case 'S':
			if (parse_sample("top", optarg, &o->sample))
				return EXIT_USAGE;
			break;
		case 'B':	/* make bench: time the draw path, no tty */
			errno = 0;
			o->bench = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '1' ||
			    optarg[0] > '9' || o->bench > 1000000) {
				log_error("top: --bench needs a count from 1 "
					  "to 1000000");
				return EXIT_USAGE;
			}
			break;
		case 'T':
			if (sig_threshold_parse(&o->th, optarg)) {
				log_error("top: --threshold %s: expected "
					  "SIGNAL=N, SIGNAL one of new_flows, "
					  "half_open, scan_ports, scan_hosts, "
					  "fan_in", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'x': {
			static struct match_set set;	/* large */

			if (match_arg("top", optarg, &set))
				return EXIT_USAGE;
			o->match = &set;
			break;
		}
		case 'h':
			top_usage();
			return -1;
		default:
			log_error("top: %s '%s'; try 'flowstat top --help'",
				  c == ':' ? "option needs an argument" :
				  "unknown option", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	o->ifnames = argv + optind;
	o->n = argc - optind;
	return 0;
}

/* ---- attach what is not held ---- */

static int attach_missing(struct top_opts *o)
{
	struct attach_opts ao = { .netns = globals.netns,
		.ingress = HOOK_XDP, .egress = true,
		.max_flows = FLOWSTAT_DEFAULT_MAX_FLOWS, .owned = true,
		.match = o->match,
		.sample = o->sample.sample,
		.sample_auto = o->sample.sample_auto };

	holdset_init(&o->hs, "top", &ao);
	return holdset_attach(&o->hs, o->ifnames, o->n, &stop_signal);
}

/* ---- the loop ---- */

/* A gone interface's instance was removed: the footer says so. */
static void said_removed(const struct iface_rec *r, int err, void *ctx)
{
	struct view *v = ctx;

	if (err != -ENOENT)
		snprintf(v->message, sizeof(v->message),
			 "%s is gone (deleted, or moved to another netns): "
			 "%s", iface_rec_name(r),
			 err ? "removing its instance failed" :
			       "removed its instance");
}

/* hs: what this run holds, tidied after each scan (NULL: not) */
static int scan_into(struct view *v, struct collector *c,
		     struct holdset *hs)
{
	struct snapshot *s;
	int err = collector_scan(c, &s);

	if (err) {
		snprintf(v->message, sizeof(v->message),
			 "reading the flow maps: %s (retrying)",
			 strerror(-err));
		v->scan_failed = true;
		return ACT_REDRAW;
	}
	if (hs)
		holdset_tidy(hs, s, said_removed, v);
	return view_take(v, s);
}

static void apply(struct view *v, int act)
{
	if (act & ACT_REBUILD)
		view_rebuild(v);
	if (act & ACT_REPAINT)
		term_repaint();
	if (act & (ACT_REDRAW | ACT_REBUILD | ACT_REPAINT))
		draw_screen(v);
}

/*
 * Scan every interval; between scans of a long interval, read the
 * stores every POLL_SEC so that flows others end are read in time.
 */
static void run_view(struct view *v, struct collector *c,
		     struct holdset *hs)
{
	double next = 0, poll = 0, now, until;
	int act = ACT_REDRAW, key, wait_ms;

	while (!stop_signal && !(act & ACT_QUIT)) {
		now = mono_now();
		if (now >= next) {
			act |= scan_into(v, c, hs);
			/* keep the beat; after a stall, start again from now */
			next = next + v->interval > now ? next + v->interval :
							  now + v->interval;
			poll = now + POLL_SEC;
		} else if (now >= poll) {
			collector_poll(c);
			poll = now + POLL_SEC;
		}
		apply(v, act);
		until = poll < next ? poll : next;
		wait_ms = (int)((until - mono_now()) * 1000) + 1;
		key = term_read_key(wait_ms > 0 ? wait_ms : 0);
		act = key == ERR ? ACT_NONE : view_key(v, key);
	}
}

/*
 * make bench: BENCH refreshes (scan, rows, draw into a terminal on
 * /dev/null), then BENCH_PAGES page-downs (draw only); CPU time of each.
 * The first BENCH_WARM refreshes are not timed: the first read of every
 * flow, and the page faults of the first few snapshots (about 18 MB each
 * at 100,000 flows, until malloc reuses freed ones), happen once per run
 * of the view; the figure is what each refresh after them costs.
 */
static int run_bench(struct view *v, struct collector *c, unsigned long n)
{
	double t0, t1, t2, t_scan = 0, t;
	unsigned long i;
	size_t flows;
	int err;

	err = term_init(true, BENCH_COLS, BENCH_LINES);
	if (err)
		return err;
	for (i = 0; i < BENCH_WARM; i++)	/* rates need a previous scan */
		apply(v, scan_into(v, c, NULL));
	t0 = cpu_now();
	for (i = 0; i < n; i++) {
		t = cpu_now();
		err = scan_into(v, c, NULL);
		t_scan += cpu_now() - t;
		apply(v, err);
	}
	t1 = cpu_now();
	for (i = 0; i < BENCH_PAGES; i++)
		apply(v, view_key(v, KEY_NPAGE));
	t2 = cpu_now();
	flows = v->snap ? v->snap->n_flows : 0;
	term_end();
	printf("top: %zu flows, %dx%d terminal: %.2f ms CPU per refresh "
	       "(scan %.2f ms, rows and draw %.2f ms) = %.2f%% of one core "
	       "at a 1 s refresh; page down %.3f ms\n", flows, BENCH_COLS,
	       BENCH_LINES, (t1 - t0) * 1e3 / n, t_scan * 1e3 / n,
	       (t1 - t0 - t_scan) * 1e3 / n, (t1 - t0) * 100 / n,
	       (t2 - t1) * 1e3 / BENCH_PAGES);
	return 0;
}

/* With no interface named and none held: say so, and how to attach. */
static int none_held(void)
{
	log_error("top: flowstat is not attached to any interface%s%s; "
		  "name one ('flowstat top eth0') or attach first "
		  "('flowstat attach eth0')", globals.netns ? " in netns " : "",
		  globals.netns ? globals.netns : "");
	return EXIT_FAIL;
}

static int open_collector(const struct top_opts *o, struct collector **c)
{
	struct collect_opts co = { .ifnames = o->ifnames, .n_ifnames = o->n,
		.netns = globals.netns, .kernel_counters = true,
		.follow = true, .age = true,
		.idle_ns = (__u64)(o->idle * 1e9) };
	struct instance **list;
	int err = collector_new(&co, c), n;

	if (err) {
		if (!o->n)
			log_error("top: opening the attached interfaces: %s",
				  strerror(-err));
		return err;
	}
	list = collector_instances(*c, &n);
	free(list);
	return n ? 0 : -ENOENT;
}

static int top_run(struct top_opts *o)
{
	struct collector *c = NULL;
	struct view v;
	int err;

	err = open_collector(o, &c);
	if (err) {
		collector_free(c);
		return err == -ENOENT ? none_held() : EXIT_FAIL;
	}
	view_init(&v, o->delay);
	v.th = o->th;
	if (o->bench) {
		err = run_bench(&v, c, o->bench);
	} else {
		err = term_init(false, 0, 0);
		if (!err) {
			run_view(&v, c, &o->hs);
			term_end();
		}
	}
	if (err)
		log_error("top: starting the terminal: %s", strerror(-err));
	view_free(&v);
	collector_free(c);
	return err ? EXIT_FAIL : EXIT_OK;
}

int do_top(int argc, char **argv)
{
	struct top_opts o = { 0 };
	int rc;

	rc = top_parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!o.bench && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		log_error("top: needs a terminal; for scripts use "
			  "'flowstat dump' or 'flowstat watch'");
		return EXIT_USAGE;
	}
	if (require_caps("top", o.n > 0))	/* CAP_NET_ADMIN to attach */
		return EXIT_FAIL;
	/* signals first: Ctrl-C during the attach still detaches */
	catch_signals();
	if (attach_missing(&o))
		rc = EXIT_FAIL;
	else
		rc = stop_signal ? EXIT_OK : top_run(&o);
	holdset_free(&o.hs);
	return rc;
}
