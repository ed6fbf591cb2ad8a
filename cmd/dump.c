// SPDX-License-Identifier: GPL-2.0
/*
 * The reporting subcommands: dump (one snapshot), watch (a record per
 * interval) and gc (age out idle flows). Each is: parse options, open a
 * collector, scan, filter, sort, format.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include "collect.h"
#include "commands.h"
#include "filter.h"
#include "format.h"
#include "fold.h"
#include "log.h"
#include "json.h"

#define MAX_TOP 100000000UL
#define MAX_COUNT 1000000000UL
#define MAX_INTERVAL 86400.0
#define MIN_INTERVAL 0.01
#define MAX_IDLE 31536000.0
#define DEFAULT_IDLE 300.0

struct report_opts {
	enum out_format fmt;
	int sort;		/* enum sort_field; -1: the default */
	size_t top;		/* 0: all */
	struct filter *filter;
	double interval;	/* watch */
	unsigned long count;	/* watch: 0 forever */
	double idle;		/* gc */
	struct collect_opts collect;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_ulong(const char *opt, const char *s, unsigned long min,
		       unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || *out < min ||
	    *out > max) {
		log_error("%s: '%s' is not a whole number from %lu to %lu", opt,
			  s, min, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_seconds(const char *opt, const char *s, double min,
			 double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out) || *out < min ||
	    *out > max) {
		log_error("%s: '%s' is not a number of seconds from %.10g to %.10g",
			  opt, s, min, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_filter(const char *text, struct filter **f)
{
	struct filter_error fe;
	int err = filter_parse(text, f, &fe);

	if (err == -EINVAL)
		log_error("--filter '%s': column %d: %s", text, fe.pos, fe.msg);
	else if (err)
		log_error("--filter: %s", strerror(-err));
	return err;
}

static int parse_sort(const char *s, int *out)
{
	char names[160] = "";
	int i;

	*out = sort_field_from_name(s);
	if (*out >= 0)
		return 0;
	for (i = 0; i < SORT_FIELDS; i++) {
		strcat(names, i ? ", " : "");
		strcat(names, sort_field_names[i]);
	}
	log_error("--sort: unknown field '%s' (%s)", s, names);
	return -EINVAL;
}

enum { OPT_CSV = 256, OPT_SORT, OPT_TOP, OPT_FILTER, OPT_INTERVAL,
       OPT_COUNT, OPT_IDLE };

static const struct option report_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One option into o; 0, or -EINVAL (reported). */
static int report_option(int c, struct report_opts *o)
{
	unsigned long v;
	int err = 0;

	switch (c) {
	case 'j': o->fmt = OUT_JSON; globals.json = true; break;
	case OPT_CSV: o->fmt = OUT_CSV; break;
	case OPT_SORT: err = parse_sort(optarg, &o->sort); break;
	case OPT_TOP:
		err = parse_ulong("--top", optarg, 1, MAX_TOP, &v);
		o->top = v;
		break;
	case OPT_FILTER:
		filter_free(o->filter);
		err = parse_filter(optarg, &o->filter);
		break;
	case OPT_INTERVAL:
		err = parse_seconds("--interval", optarg, MIN_INTERVAL,
				    MAX_INTERVAL, &o->interval);
		break;
	case OPT_COUNT:
		err = parse_ulong("--count", optarg, 1, MAX_COUNT, &o->count);
		break;
	case OPT_IDLE:
		err = parse_seconds("--idle", optarg, 0, MAX_IDLE, &o->idle);
		break;
	default:
		return -EINVAL;
	}
	return err ? -EINVAL : 0;
}

/*
 * Parse argv for a command that takes the options in allowed (getopt
 * letters/ids as a list ending in 0). Returns 0, 1 for --help (printed),
 * or -EINVAL (reported).
 */
static int parse_report_args(int argc, char **argv, const int *allowed,
			     const char *usage, struct report_opts *o)
{
	bool csv = false;
	int c, i;

	o->fmt = globals.json ? OUT_JSON : OUT_TEXT;
	o->sort = -1;
	o->interval = 1.0;
	o->idle = DEFAULT_IDLE;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", report_options,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		for (i = 0; allowed[i] && allowed[i] != c; i++)
			;
		if (c == ':' || c == '?' || !allowed[i]) {
			log_error("%s: %s '%s'; try 'flowstat %s --help'",
				  argv[0], c == ':' ?
				  "option needs an argument" : "unknown option",
				  argv[optind - 1], argv[0]);
			return -EINVAL;
		}
		if (report_option(c, o))
			return -EINVAL;
		csv |= c == OPT_CSV;
	}
	if (csv && globals.json) {
		log_error("%s: --json and --csv: choose one", argv[0]);
		return -EINVAL;
	}
	o->collect.ifnames = argv + optind;
	o->collect.n_ifnames = argc - optind;
	o->collect.netns = globals.netns;
	return 0;
}

static int scan_report(struct collector *c, const struct report_opts *o,
		       struct snapshot **snap)
{
	int err = collector_scan(c, snap);

	if (err) {
		log_error("reading the flow maps: %s", strerror(-err));
		return err;
	}
	snapshot_filter(*snap, o->filter);
	return 0;
}

static void order(struct snapshot *s, const struct report_opts *o,
		  enum sort_field dflt)
{
	snapshot_sort(s, o->sort >= 0 ? (enum sort_field)o->sort : dflt);
	if (o->top)
		snapshot_truncate(s, o->top);
}

static int open_collector(struct report_opts *o, struct collector **c)
{
	int err;

	o->collect.kernel_counters = true;
	err = collector_new(&o->collect, c);
	if (err && !o->collect.n_ifnames)
		log_error("opening the attached interfaces: %s",
			  strerror(-err));
	return err;
}

static const char dump_usage[] =
	"Usage: flowstat dump [IFACE...] [--json|--csv] [--sort FIELD]\n"
	"                     [--top N] [--filter EXPR]\n"
	"Print the cumulative per-flow counts of the attached interfaces\n"
	"(all of them, or those named) once.\n"
	"  --sort FIELD   packets (default), bytes, pps, bps, delta-packets,\n"
	"                 delta-bytes, first, last, iface\n"
	"  --top N        only the first N flows after sorting\n"
	"  --filter EXPR  host ADDR, net CIDR, port N, proto NAME,\n"
	"                 iface NAME, vlan N; and, or, not, ( )\n"
	"See flowstat(8) for the JSON and CSV fields.\n";

int do_dump(int argc, char **argv)
{
	static const int allowed[] = { 'j', OPT_CSV, OPT_SORT, OPT_TOP,
				       OPT_FILTER, 0 };
	struct report_opts o = { 0 };
	struct collector *c = NULL;
	struct snapshot *s = NULL;
	int err, rc = EXIT_FAIL;

	err = parse_report_args(argc, argv, allowed, dump_usage, &o);
	if (err) {
		filter_free(o.filter);
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (open_collector(&o, &c) || scan_report(c, &o, &s))
		goto out;
	order(s, &o, SORT_PACKETS);
	if (format_dump(stdout, s, o.fmt))
		log_error("writing the report: %s", strerror(EIO));
	else
		rc = EXIT_OK;
out:
	snapshot_free(s);
	collector_free(c);
	filter_free(o.filter);
	return rc;
}

#define POLL_SEC 1.0	/* long intervals read the stores this often */

static void ts_add(struct timespec *t, double sec)
{
	long ns = t->tv_nsec + (long)(fmod(sec, 1.0) * 1e9);

	t->tv_sec += (time_t)sec + ns / 1000000000L;
	t->tv_nsec = ns % 1000000000L;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Wait for the next record's time, reading the stores every POLL_SEC
 * meanwhile so that the flows other processes end are read in time.
 */
static int wait_record(struct collector *c, struct timespec *next,
		       double interval)
{
	struct timespec poll;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &poll);
	ts_add(next, interval);
	for (;;) {
		ts_add(&poll, POLL_SEC);
		if (!ts_before(&poll, next))
			poll = *next;
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&poll, NULL) == EINTR)
			;
		if (stop || !ts_before(&poll, next))
			return err;
		err = collector_poll(c);
		if (err) {
			log_error("reading the flow maps: %s", strerror(-err));
			return err;
		}
	}
}

/* Scan every interval (the first scan is the baseline) and print. */
static int watch_loop(struct collector *c, const struct report_opts *o)
{
	struct snapshot *s = NULL;
	struct timespec next;
	unsigned long n = 0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &next);
	err = scan_report(c, o, &s);
	while (!err && !stop && (!o->count || n < o->count)) {
		snapshot_free(s);
		s = NULL;
		err = wait_record(c, &next, o->interval);
		if (err || stop)
			break;
		err = scan_report(c, o, &s);
		if (err)
			break;
		snapshot_keep_moving(s);	/* all a record shows */
		order(s, o, SORT_DELTA_BYTES);
		err = format_watch(stdout, s, o->fmt, n == 0);
		if (err)
			break;	/* the reader went away */
		n++;
	}
	snapshot_free(s);
	return err;
}

static const char watch_usage[] =
	"Usage: flowstat watch [IFACE...] [--interval SEC] [--count N]\n"
	"                      [--json|--csv] [--sort FIELD] [--top N]\n"
	"                      [--filter EXPR] [--idle SEC]\n"
	"Every interval (default 1 s), print the interfaces' deltas and the\n"
	"flows that moved, with their deltas and rates over the interval.\n"
	"Interfaces attached later join in; flows that ended (aged out by\n"
	"watch, gc or anyone) show once more with their last delta.\n"
	"JSON: one object per line. --count N: stop after N records.\n"
	"--idle SEC: end flows idle this long (default 300).\n";

int do_watch(int argc, char **argv)
{
	static const int allowed[] = { 'j', OPT_CSV, OPT_SORT, OPT_TOP,
				       OPT_FILTER, OPT_INTERVAL, OPT_COUNT,
				       OPT_IDLE, 0 };
	struct report_opts o = { 0 };
	struct collector *c = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	err = parse_report_args(argc, argv, allowed, watch_usage, &o);
	if (err || require_caps("watch", false)) {
		filter_free(o.filter);
		return err > 0 ? EXIT_OK : err ? EXIT_USAGE : EXIT_FAIL;
	}
	o.collect.follow = true;
	o.collect.age = true;
	o.collect.idle_ns = (__u64)(o.idle * 1e9);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	err = open_collector(&o, &c);
	if (!err)
		err = watch_loop(c, &o);
	collector_free(c);
	filter_free(o.filter);
	return err ? EXIT_FAIL : EXIT_OK;
}

static void gc_report(const struct instance *inst,
		      const struct fold_result *r, struct json_writer *jw)
{
	int d;

	if (!jw) {
		printf("%s: removed %llu idle flows (ingress %llu packets %llu "
		       "bytes, egress %llu packets %llu bytes) into retired\n",
		       inst->meta.ifname, (unsigned long long)r->ended,
		       (unsigned long long)r->packets[0],
		       (unsigned long long)r->bytes[0],
		       (unsigned long long)r->packets[1],
		       (unsigned long long)r->bytes[1]);
		return;
	}
	json_object_start(jw);
	json_kv_string(jw, "ifname", inst->meta.ifname);
	if (inst->meta.netns[0])
		json_kv_string(jw, "netns", inst->meta.netns);
	else
		json_kv_null(jw, "netns");
	json_kv_u64(jw, "removed_flows", r->ended);
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		json_key(jw, d ? "egress" : "ingress");
		json_object_start(jw);
		json_kv_u64(jw, "retired_packets", r->packets[d]);
		json_kv_u64(jw, "retired_bytes", r->bytes[d]);
		json_object_end(jw);
	}
	json_object_end(jw);
}

static const char gc_usage[] =
	"Usage: flowstat gc [IFACE...] [--idle SEC] [--json]\n"
	"Remove the flows not seen for SEC seconds (default 300) from the\n"
	"attached interfaces (all, or those named). Their counts move into\n"
	"the per-direction retired totals, so interface totals stay exact.\n";

/* gc every instance at once, then report: an error leaves no report. */
static int gc_all(struct instance **insts, int n, const struct report_opts *o)
{
	struct fold_result *res = calloc(n ? n : 1, sizeof(*res));
	struct fold_opts fo = { .age = true,
				.idle_ns = (__u64)(o->idle * 1e9) };
	struct json_writer jw;
	int i, err;

	if (!res)
		return -ENOMEM;
	err = fold_instances(insts, n, &fo, res);
	if (err)
		log_error("gc: %s", strerror(-err));
	if (!err && o->fmt == OUT_JSON) {
		json_init(&jw, stdout, false);
		json_object_start(&jw);
		json_key(&jw, "interfaces");
		json_array_start(&jw);
	}
	for (i = 0; i < n && !err; i++)
		gc_report(insts[i], &res[i], o->fmt == OUT_JSON ? &jw : NULL);
	if (!err && o->fmt == OUT_JSON) {
		json_array_end(&jw);
		json_object_end(&jw);
		err = json_finish(&jw);
	}
	free(res);
	return err;
}

int do_gc(int argc, char **argv)
{
	static const int allowed[] = { 'j', OPT_IDLE, 0 };
	struct report_opts o = { 0 };
	struct collector *c = NULL;
	struct instance **insts;
	int n, err;

	err = parse_report_args(argc, argv, allowed, gc_usage, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	/* a fold waits a grace period through a BPF map of its own */
	if (require_caps("gc", false))
		return EXIT_FAIL;
	err = collector_new(&o.collect, &c);
	if (err) {
		if (!o.collect.n_ifnames)
			log_error("opening the attached interfaces: %s",
				  strerror(-err));
		return EXIT_FAIL;
	}
	insts = collector_instances(c, &n);
	err = insts ? gc_all(insts, n, &o) : -ENOMEM;
	free(insts);
	collector_free(c);
	return err ? EXIT_FAIL : EXIT_OK;
}
