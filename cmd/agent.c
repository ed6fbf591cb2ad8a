// SPDX-License-Identifier: GPL-2.0
/*
 * flowstat agent: the long-running form of flowstat. It attaches to the
 * interfaces it is given (and follows every instance in its network
 * namespace, those attached later too), ages flows, and exports them:
 * IPFIX over UDP to any number of collectors, and the Prometheus text
 * format over HTTP. One loop: wait (signals, the HTTP socket, the next
 * scan) -> scan -> records -> send; nothing blocks it, a collector that
 * is down included. Events go to stderr, one line each.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agent_config.h"
#include "collect.h"
#include "commands.h"
#include "flowexp.h"
#include "holdset.h"
#include "http.h"
#include "ipfix.h"
#include "log.h"
#include "match.h"
#include "netns.h"
#include "prom.h"

#define SCAN_MS 1000		/* a scan a second: records wait no longer */
#define FIN_MS 2000		/* a TCP flow after FIN or RST: ends when idle */
#define GONE_KEEP_MS 300000	/* a gone interface's series stay this long */
#define SEND_LOG_MS 60000	/* send errors: a log line a minute at most */

enum {
	OPT_IPFIX = 256, OPT_PROMETHEUS, OPT_ACTIVE, OPT_IDLE, OPT_DOMAIN,
	OPT_REFRESH, OPT_MTU, OPT_PERSIST, OPT_CONFIG, OPT_MATCH, OPT_SAMPLE,
};

/* A setting the command line gave: it wins over the file's. */
struct cli_setting {
	enum agent_key key;
	const char *value;	/* an argv string */
};

struct target {
	char *name;		/* HOST:PORT as given */
	struct ipfix_exporter *x;
	__u64 logged_ms;	/* last send error logged */
	__u64 logged_errors;	/* send errors when it was logged */
};

/* An interface that went away: its series stay a while. */
struct gone_iface {
	struct iface_rec rec;
	__u64 gone_ms;
};

struct agent {
	const char *config_path;
	struct cli_setting *cli;	/* the command line's settings */
	int n_cli;
	struct agent_config cfg;	/* in effect: file, then command line */
	struct holdset hs;
	struct collector *c;
	struct flow_export *fx;
	struct target *targets;
	int n_targets;
	struct http_server *http;
	char http_addr[128];
	struct snapshot *last;		/* the latest scan, for /metrics */
	struct gone_iface *gone;
	int n_gone;
	__u64 start_s, scans, scan_errors, scrapes;
	struct sig_events sig_events;	/* alerts as logged events */
};

static volatile sig_atomic_t stop_sig, reload_sig;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_sig = 1;
	else
		stop_sig = sig;
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define agent_log(...) log_msg(LOG_WARN, "agent: " __VA_ARGS__)

static const char agent_usage[] =
	"Usage: flowstat agent [IFACE...] [--ipfix HOST:PORT]...\n"
	"                      [--prometheus ADDR:PORT] [--active-timeout SEC]\n"
	"                      [--idle-timeout SEC] [--domain-id N]\n"
	"                      [--template-refresh SEC] [--mtu BYTES]\n"
	"                      [--persist] [--match EXPR] [--sample N|auto]\n"
	"                      [--config FILE]\n"
	"Attach to the interfaces (or use what is attached, and what is\n"
	"attached later), age flows and export them: IPFIX (RFC 7011) over UDP\n"
	"to each --ipfix collector, Prometheus metrics on GET /metrics.\n"
	"Security signals (scans, SYN floods, fan-in, new-flow spikes) are\n"
	"logged once per event and exported as flowstat_signal_*; their\n"
	"thresholds are the config's FLOWSTAT_SIGNAL_* keys.\n"
	"  --ipfix HOST:PORT      a collector ([ADDR]:PORT for IPv6); repeatable\n"
	"  --prometheus ADDR:PORT serve /metrics there (e.g. 127.0.0.1:9599)\n"
	"  --active-timeout SEC   a record of a live flow this often (60)\n"
	"  --idle-timeout SEC     a flow idle this long ends (15)\n"
	"  --domain-id N          one observation domain (default: one per\n"
	"                         interface, its ifindex)\n"
	"  --template-refresh SEC templates this often (60), 3 times at start\n"
	"  --mtu BYTES            largest IPFIX message (1400)\n"
	"  --persist              leave the interfaces attached on exit\n"
	"  --match EXPR           on interfaces it attaches: flow entries only\n"
	"                         for frames that match (attach --match)\n"
	"  --sample N|auto        on interfaces it attaches: flow entries for a\n"
	"                         random 1 in N frames (attach --sample); its\n"
	"                         IPFIX records carry the rate\n"
	"  --config FILE          settings (see flowstat(8)); SIGHUP re-reads\n"
	"                         it; the command line wins over it\n"
	"SIGTERM or SIGINT: every live flow gets a last record (forced end),\n"
	"then the agent detaches what it attached (unless --persist) and\n"
	"exits 0.\n";

static const struct {
	int opt;
	enum agent_key key;
	const char *name;
} cli_keys[] = {
	{ OPT_IPFIX, AGENT_KEY_IPFIX, "--ipfix" },
	{ OPT_PROMETHEUS, AGENT_KEY_PROMETHEUS, "--prometheus" },
	{ OPT_ACTIVE, AGENT_KEY_ACTIVE_TIMEOUT, "--active-timeout" },
	{ OPT_IDLE, AGENT_KEY_IDLE_TIMEOUT, "--idle-timeout" },
	{ OPT_DOMAIN, AGENT_KEY_DOMAIN_ID, "--domain-id" },
	{ OPT_REFRESH, AGENT_KEY_TEMPLATE_REFRESH, "--template-refresh" },
	{ OPT_MTU, AGENT_KEY_MTU, "--mtu" },
	{ OPT_PERSIST, AGENT_KEY_PERSIST, "--persist" },
	{ OPT_MATCH, AGENT_KEY_MATCH, "--match" },
	{ OPT_SAMPLE, AGENT_KEY_SAMPLE, "--sample" },
	{ 0, AGENT_KEY_INTERFACES, "interface" },
};

static const char *cli_name(enum agent_key key)
{
	size_t i;

	for (i = 0; i < sizeof(cli_keys) / sizeof(cli_keys[0]); i++)
		if (cli_keys[i].key == key)
			return cli_keys[i].name;
	return "?";
}

static bool is_list(enum agent_key key)
{
	return key == AGENT_KEY_IPFIX || key == AGENT_KEY_INTERFACES;
}

/*
 * Apply the command line's settings over cfg, checked as the file's are.
 * A list given on the command line replaces the file's list.
 */
static int apply_cli(const struct agent *a, struct agent_config *cfg)
{
	bool cleared[AGENT_KEY_COUNT] = { false };
	char why[256];
	int i, err;

	for (i = 0; i < a->n_cli; i++) {
		const struct cli_setting *c = &a->cli[i];

		if (is_list(c->key) && !cleared[c->key]) {
			cleared[c->key] = true;
			agent_config_set(cfg, c->key, "", why, sizeof(why));
		}
		err = is_list(c->key) ?
		      agent_config_add(cfg, c->key, c->value, why,
				       sizeof(why)) :
		      agent_config_set(cfg, c->key, c->value, why,
				       sizeof(why));
		if (err) {
			log_error("agent: %s: %s", cli_name(c->key), why);
			return err;
		}
	}
	return 0;
}

static int cli_push(struct agent *a, enum agent_key key, const char *value)
{
	struct cli_setting *grown = realloc(a->cli,
					    (a->n_cli + 1) * sizeof(*grown));

	if (!grown) {
		log_error("agent: out of memory");
		return -ENOMEM;
	}
	a->cli = grown;
	grown[a->n_cli].key = key;
	grown[a->n_cli].value = value;
	a->n_cli++;
	return 0;
}

/* An agent that exports nowhere would only age flows away: refused. */
static bool exports(const struct agent_config *c)
{
	return c->n_ipfix || c->prometheus[0];
}

/*
 * FLOWSTAT_MATCH or --match, compiled: the interfaces the agent attaches
 * from then on start with it (a set of no rules: none); the next one, a
 * reload's, until it is known good.
 */
static struct match_set agent_match, next_match;

static int agent_parse(int argc, char **argv, struct agent *a)
{
	static const struct option opts[] = {
		{ "ipfix", required_argument, NULL, OPT_IPFIX },
		{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
		{ "active-timeout", required_argument, NULL, OPT_ACTIVE },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "domain-id", required_argument, NULL, OPT_DOMAIN },
		{ "template-refresh", required_argument, NULL, OPT_REFRESH },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "persist", no_argument, NULL, OPT_PERSIST },
		{ "match", required_argument, NULL, OPT_MATCH },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_config check;
	int c, i, err = 0;
	size_t k;

	opterr = 0;
	while (!err && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(agent_usage, stdout);
			return 1;
		case ':':
			log_error("agent: option '%s' needs an argument; try "
				  "'flowstat agent --help'", argv[optind - 1]);
			return -EINVAL;
		case '?':
			log_error("agent: unknown option '%s'; try "
				  "'flowstat agent --help'", argv[optind - 1]);
			return -EINVAL;
		case OPT_CONFIG:
			a->config_path = optarg;
			break;
		default:
			for (k = 0; k < sizeof(cli_keys) / sizeof(*cli_keys); k++)
				if (cli_keys[k].opt == c)
					err = cli_push(a, cli_keys[k].key,
						       c == OPT_PERSIST ? "yes" :
						       optarg);
		}
	}
	for (i = optind; i < argc && !err; i++)
		err = cli_push(a, AGENT_KEY_INTERFACES, argv[i]);
	if (err)
		return err;
	/* every value checked now: a usage error, before anything starts */
	agent_config_defaults(&check);
	err = apply_cli(a, &check);
	if (!err && match_arg("agent", check.match, &next_match))
		err = -EINVAL;
	if (!err && !a->config_path && !exports(&check)) {
		log_error("agent: nothing to export: give --ipfix HOST:PORT "
			  "or --prometheus ADDR:PORT; try 'flowstat agent "
			  "--help'");
		err = -EINVAL;
	}
	agent_config_free(&check);
	return err;
}

/* The settings in effect: the file's (if any), the command line's over them. */
static int agent_settings(const struct agent *a, struct agent_config *out)
{
	char msg[256];
	int err;

	agent_config_defaults(out);
	if (a->config_path) {
		err = agent_config_load(out, a->config_path, msg, sizeof(msg));
		if (err) {
			log_error("agent: %s: %s", a->config_path, msg);
			return err;
		}
	}
	err = apply_cli(a, out);
	if (!err && match_arg("agent", out->match, &next_match))
		err = -EINVAL;
	if (!err && !exports(out)) {
		log_error("agent: nothing to export: %s sets no "
			  "FLOWSTAT_IPFIX or FLOWSTAT_PROMETHEUS, and no "
			  "--ipfix or --prometheus was given", a->config_path);
		err = -EINVAL;
	}
	if (err)
		agent_config_free(out);
	else
		agent_match = next_match;
	return err;
}

/* ---- exporters ---- */

/*
 * The exporters' sockets live in the caller's network namespace: with
 * --netns the agent watches interfaces in another one, but collectors
 * and scrapers are where it was started. Enter it for the socket calls
 * (*back: where to return), then come back.
 */
static int origin_enter(int *back)
{
	*back = -1;
	if (globals.origin_netns < 0)
		return 0;
	*back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*back < 0)
		return -errno;
	if (setns(globals.origin_netns, CLONE_NEWNET)) {
		int err = -errno;

		close(*back);
		*back = -1;
		return err;
	}
	return 0;
}

static int origin_leave(int back)
{
	int err = back < 0 ? 0 : netns_return(back);

	if (err) {
		log_error("agent: back to the watched namespace: %s",
			  strerror(-err));
		stop_sig = SIGTERM;	/* watching the wrong one: stop */
	}
	return err;
}

static void targets_close(struct agent *a)
{
	int i;

	for (i = 0; i < a->n_targets; i++) {
		ipfix_close(a->targets[i].x);
		free(a->targets[i].name);
	}
	free(a->targets);
	a->targets = NULL;
	a->n_targets = 0;
}

static int targets_open(const struct agent_config *cfg, struct target **out,
			int *n_out)
{
	struct ipfix_opts io = { .mtu = cfg->mtu,
				 .template_refresh_s = cfg->template_refresh_s };
	struct target *t = calloc(cfg->n_ipfix ? cfg->n_ipfix : 1, sizeof(*t));
	char msg[256] = "";
	int i, err = 0, back;

	if (!t)
		return -ENOMEM;
	err = origin_enter(&back);
	for (i = 0; i < cfg->n_ipfix && !err; i++) {
		t[i].name = strdup(cfg->ipfix[i]);
		t[i].x = ipfix_open(cfg->ipfix[i], &io, msg, sizeof(msg), &err);
		if (!t[i].name && !err)
			err = -ENOMEM;
		if (err)
			log_error("agent: ipfix %s: %s", cfg->ipfix[i],
				  msg[0] ? msg : strerror(-err));
	}
	/* cppcheck-suppress selfAssignment ; GNU ?: */
	err = origin_leave(back) ?: err;
	if (err) {
		for (i = 0; i < cfg->n_ipfix; i++) {
			ipfix_close(t[i].x);
			free(t[i].name);
		}
		free(t);
		return err;
	}
	*out = t;
	*n_out = cfg->n_ipfix;
	return 0;
}

static int http_open_cfg(const struct agent_config *cfg,
			 struct http_server **out)
{
	struct http_opts ho = { 0 };
	char msg[256] = "";
	int err = 0, back = -1;

	*out = NULL;
	if (!cfg->prometheus[0])
		return 0;
	err = origin_enter(&back);
	if (!err)
		err = http_open(out, cfg->prometheus, &ho, msg, sizeof(msg));
	/* cppcheck-suppress selfAssignment ; GNU ?: */
	err = origin_leave(back) ?: err;
	if (err)
		log_error("agent: prometheus %s: %s", cfg->prometheus,
			  msg[0] ? msg : strerror(-err));
	return err;
}

/* ---- records ---- */

static int emit_record(void *ctx, const struct ipfix_flow *f)
{
	struct agent *a = ctx;
	__u64 now = (__u64)time(NULL) * 1000;
	int i, err;

	for (i = 0; i < a->n_targets; i++) {
		err = ipfix_add(a->targets[i].x, f, now);
		if (err == -ENOMEM)
			return err;
	}
	return 0;
}

/* Send errors: counted always, logged once a minute at most. */
static void log_send_errors(struct agent *a, __u64 now)
{
	int i;

	for (i = 0; i < a->n_targets; i++) {
		struct target *t = &a->targets[i];
		const struct ipfix_stats *st = ipfix_stats(t->x);

		if (st->send_errors == t->logged_errors ||
		    (t->logged_ms && now - t->logged_ms < SEND_LOG_MS))
			continue;
		agent_log("ipfix %s: %llu send errors, the latest: %s", t->name,
			  (unsigned long long)(st->send_errors -
					       t->logged_errors),
			  strerror(abs(ipfix_last_error(t->x))));
		t->logged_ms = now;
		t->logged_errors = st->send_errors;
	}
}

static void flush_targets(struct agent *a)
{
	__u64 now = (__u64)time(NULL) * 1000;
	int i;

	for (i = 0; i < a->n_targets; i++) {
		ipfix_flush(a->targets[i].x, now);
		ipfix_tick(a->targets[i].x, now);
	}
}

/* ---- interfaces coming and going ---- */

static const struct iface_rec *find_iface(const struct snapshot *s,
					  __u64 instance_id)
{
	int i;

	for (i = 0; s && i < s->n_ifaces; i++)
		if (s->ifaces[i].meta.instance_id == instance_id)
			return &s->ifaces[i];
	return NULL;
}

/* Say what came and went; keep the gone ones' last counts a while. */
static void track_ifaces(struct agent *a, const struct snapshot *s,
			 __u64 now)
{
	const struct snapshot *p = a->last;
	int i, j;

	for (i = 0; i < s->n_ifaces; i++) {
		const struct iface_rec *r = &s->ifaces[i], *old;

		old = find_iface(p, r->meta.instance_id);
		if (!old)
			agent_log("following %s (ifindex %u%s%s)",
				  iface_rec_name(r), r->meta.ifindex,
				  r->meta.netns[0] ? ", netns " : "",
				  r->meta.netns);
		else if (old->present && !r->present)
			agent_log("%s has gone away (deleted, or moved to "
				  "another netns)", iface_rec_name(r));
		else if (strcmp(iface_rec_name(old), iface_rec_name(r)))
			agent_log("%s is now called %s", iface_rec_name(old),
				  iface_rec_name(r));
		if (old && r->present && old->up != r->up)
			agent_log("%s is %s", iface_rec_name(r),
				  r->up ? "up again" : "down");
	}
	for (i = 0; p && i < p->n_ifaces; i++) {
		const struct iface_rec *r = &p->ifaces[i];
		struct gone_iface *g;

		if (find_iface(s, r->meta.instance_id))
			continue;
		agent_log("%s: no longer attached", iface_rec_name(r));
		g = realloc(a->gone, (a->n_gone + 1) * sizeof(*g));
		if (!g)
			continue;
		a->gone = g;
		g[a->n_gone].rec = *r;
		g[a->n_gone].rec.present = 0;
		g[a->n_gone].gone_ms = now;
		a->n_gone++;
	}
	for (i = j = 0; i < a->n_gone; i++)
		if (now - a->gone[i].gone_ms < GONE_KEEP_MS &&
		    !find_iface(s, a->gone[i].rec.meta.instance_id))
			a->gone[j++] = a->gone[i];
	a->n_gone = j;
}

static void said_removed(const struct iface_rec *r, int err, void *ctx)
{
	(void)ctx;
	if (!err)
		agent_log("%s: removed its instance (the interface is gone; "
			  "its last counts were exported)", iface_rec_name(r));
}

/* The thresholds in effect (the config's, by enum sig_kind). */
static void agent_thresholds(const struct agent *a, struct sig_thresholds *th)
{
	int k;

	for (k = 0; k < SIG_KINDS; k++)
		th->value[k] = a->cfg.signal[k];
}

/* Security signals: one line when an event starts, one when it ends. */
static void log_signal(enum sig_event_what what, const char *ifname,
		       const struct sig_alert *al, double lasted_s,
		       __u64 suppressed, void *ctx)
{
	char text[160], host[64];

	(void)ctx;
	if (what == SIG_EVENT_START) {
		sig_alert_text(al, text, sizeof(text));
		agent_log("signal %s: %s: %s%s", sig_kind_names[al->kind],
			  ifname, text, suppressed ? " (and earlier alerts "
			  "not logged: more than 10 a minute)" : "");
		return;
	}
	sig_host_text(&al->host, host, sizeof(host));
	agent_log("signal %s: %s: %s%sended after %.0f s, peak %.0f %s",
		  sig_kind_names[al->kind], ifname, host, host[0] ? " " : "",
		  lasted_s, al->value, sig_kind_units[al->kind]);
}

static int scan_once(struct agent *a, bool shutdown)
{
	struct sig_thresholds th;
	struct flowexp_opts fo = {
		.active_ms = (__u64)a->cfg.active_timeout_s * 1000,
		.fixed_domain = a->cfg.domain_id >= 0,
		.domain_id = a->cfg.domain_id >= 0 ? a->cfg.domain_id : 0,
	};
	struct snapshot *s;
	long n;
	int err;

	err = collector_scan(a->c, &s);
	if (err) {
		if (!a->scan_errors++)
			agent_log("reading the flow maps: %s (retrying)",
				  strerror(-err));
		return err;
	}
	a->scans++;
	track_ifaces(a, s, now_ms());
	agent_thresholds(a, &th);
	signals_track(&a->sig_events, s, &th, now_ms(), log_signal, NULL);
	n = flowexp_run(a->fx, s, &fo, shutdown, emit_record, a);
	if (n < 0)
		agent_log("making flow records: %s", strerror((int)-n));
	flush_targets(a);
	log_send_errors(a, now_ms());
	if (!shutdown)
		holdset_tidy(&a->hs, s, said_removed, NULL);
	snapshot_free(a->last);
	a->last = s;
	return 0;
}

/* ---- /metrics ---- */

static void prom_fill_signals(struct prom_iface *p, const struct agent *a,
			      const struct snapshot *s, int iface)
{
	struct sig_alert al[SIG_KINDS * SIG_TOP];
	struct sig_thresholds th;
	struct snapshot one = *s;
	int k, i, n;

	if (!s->ifaces[iface].sig.valid)
		return;
	agent_thresholds(a, &th);
	one.ifaces = &s->ifaces[iface];
	one.n_ifaces = 1;
	n = signals_alerts(&one, &th, al, SIG_KINDS * SIG_TOP);
	p->has_signals = 1;
	for (k = 0; k < SIG_KINDS; k++) {
		p->sig_value[k] = llround(signals_value(s, iface, k));
		p->sig_threshold[k] = llround(th.value[k]);
	}
	for (i = n - 1; i >= 0; i--) {	/* the first of a kind wins */
		k = al[i].kind;
		p->sig_alerts[k]++;
		sig_host_text(&al[i].host, p->sig_host[k],
			      sizeof(p->sig_host[k]));
	}
}

static void prom_fill_iface(struct prom_iface *p, const struct iface_rec *r)
{
	int d;

	memset(p, 0, sizeof(*p));
	snprintf(p->ifname, sizeof(p->ifname), "%s", iface_rec_name(r));
	snprintf(p->netns, sizeof(p->netns), "%s", r->meta.netns);
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		const struct dir_counts *c = &r->dir[d];

		p->dir[d].packets = c->packets;
		p->dir[d].bytes = c->bytes;
		p->dir[d].untracked_packets = c->untracked_packets;
		p->dir[d].untracked_bytes = c->untracked_bytes;
		p->dir[d].sampled_out_packets = c->sampled_out_packets;
		p->dir[d].sampled_out_bytes = c->sampled_out_bytes;
		p->dir[d].unmatched_packets = c->unmatched_packets;
		p->dir[d].unmatched_bytes = c->unmatched_bytes;
		p->dir[d].retired_packets = c->retired_packets;
		p->dir[d].retired_bytes = c->retired_bytes;
		p->dir[d].ended_flows = c->ended_flows;
		p->fast_hits += c->fast_hits;
		p->table_full += c->untracked_packets;
	}
	p->active_flows = r->flow_entries;
	p->max_flows = r->meta.max_flows;
	p->folds = r->folds;
	p->sampling_rate = r->sample_rate > 1 ? r->sample_rate : 1;
	p->has_kernel = r->kernel_valid;
	p->kernel.rx_packets = r->kernel_rx_packets;
	p->kernel.rx_bytes = r->kernel_rx_bytes;
	p->kernel.tx_packets = r->kernel_tx_packets;
	p->kernel.tx_bytes = r->kernel_tx_bytes;
	p->kernel.rx_dropped = r->kernel_rx_dropped;
	p->kernel.tx_dropped = r->kernel_tx_dropped;
	p->kernel.rx_errors = r->kernel_rx_errors;
	p->kernel.tx_errors = r->kernel_tx_errors;
}

static int metrics(void *ctx, const char *path, struct http_body *out)
{
	struct agent *a = ctx;
	const struct snapshot *s = a->last;
	int n = (s ? s->n_ifaces : 0) + a->n_gone, i, err;
	struct prom_iface *ifs = calloc(n ? n : 1, sizeof(*ifs));
	struct prom_export *ex = calloc(a->n_targets ? a->n_targets : 1,
					sizeof(*ex));
	struct prom_agent pa = { .version = FLOWSTAT_VERSION,
				 .start_time_s = a->start_s,
				 .scrapes = ++a->scrapes };

	if (strcmp(path, "/metrics")) {
		free(ifs);
		free(ex);
		return 404;
	}
	if (!ifs || !ex) {
		free(ifs);
		free(ex);
		return 500;
	}
	for (i = 0; s && i < s->n_ifaces; i++) {
		prom_fill_iface(&ifs[i], &s->ifaces[i]);
		prom_fill_signals(&ifs[i], a, s, i);
	}
	for (i = 0; i < a->n_gone; i++)
		prom_fill_iface(&ifs[n - a->n_gone + i], &a->gone[i].rec);
	for (i = 0; i < a->n_targets; i++) {
		const struct ipfix_stats *st = ipfix_stats(a->targets[i].x);

		snprintf(ex[i].target, sizeof(ex[i].target), "%s",
			 a->targets[i].name);
		ex[i].messages = st->messages;
		ex[i].records = st->records;
		ex[i].send_errors = st->send_errors;
	}
	out->content_type = PROM_CONTENT_TYPE;
	err = prom_render(out, &pa, ifs, n, ex, a->n_targets);
	free(ifs);
	free(ex);
	return err ? 500 : 200;
}

/* ---- start, reload, stop ---- */

static int collector_open(struct agent *a)
{
	struct collect_opts co = {
		.netns = globals.netns, .kernel_counters = true,
		.follow = true, .age = true,
		.idle_ns = (__u64)a->cfg.idle_timeout_s * 1000000000ULL,
		.fin_ns = (__u64)FIN_MS * 1000000,
	};
	int err = collector_new(&co, &a->c);

	if (err)
		log_error("agent: opening the attached interfaces: %s",
			  strerror(-err));
	return err;
}

static void agent_describe(const struct agent *a)
{
	int i;

	agent_log("active timeout %us, idle timeout %us, templates every %us, "
		  "mtu %u, %s", a->cfg.active_timeout_s,
		  a->cfg.idle_timeout_s, a->cfg.template_refresh_s,
		  a->cfg.mtu, a->cfg.persist ? "attaches persist" :
		  "detaches on exit what it attached");
	for (i = 0; i < a->n_targets; i++)
		agent_log("exporting IPFIX to %s", a->targets[i].name);
	if (a->http)
		agent_log("serving metrics on http://%s/metrics",
			  a->cfg.prometheus);
}

static int agent_start(struct agent *a)
{
	struct attach_opts ao = { .netns = globals.netns,
		.ingress = HOOK_XDP, .egress = true,
		.max_flows = FLOWSTAT_DEFAULT_MAX_FLOWS };
	int err;

	err = agent_settings(a, &a->cfg);
	if (err)
		return err;
	ao.owned = !a->cfg.persist;
	ao.match = &agent_match;
	ao.sample = a->cfg.sample;
	ao.sample_auto = a->cfg.sample_auto;
	holdset_init(&a->hs, "agent", &ao);
	err = holdset_attach(&a->hs, a->cfg.ifnames, a->cfg.n_ifnames,
			     &stop_sig);
	if (!err)
		err = flowexp_new(&a->fx);
	if (!err)
		err = collector_open(a);
	if (!err)
		err = targets_open(&a->cfg, &a->targets, &a->n_targets);
	if (!err)
		err = http_open_cfg(&a->cfg, &a->http);
	if (!err)
		agent_describe(a);
	return err;
}

/*
 * SIGHUP: read the settings again and apply them. A bad file changes
 * nothing. New interfaces are attached; new collectors and a new
 * metrics address replace the old (a collector kept keeps its sequence).
 */
static void agent_reload(struct agent *a)
{
	struct agent_config cfg;
	struct target *t = NULL;
	struct http_server *h = a->http;
	int n = 0, i, j;

	agent_log("reloading %s", a->config_path ? a->config_path :
		  "(no --config: command line only)");
	if (agent_settings(a, &cfg))
		return;
	if (holdset_attach(&a->hs, cfg.ifnames, cfg.n_ifnames, &stop_sig) ||
	    targets_open(&cfg, &t, &n)) {
		agent_log("reload failed; the settings stay as they were");
		agent_config_free(&cfg);
		return;
	}
	/* a collector in both keeps its exporter (and sequence numbers) */
	for (i = 0; i < n; i++)
		for (j = 0; j < a->n_targets; j++)
			if (a->targets[j].x && !strcmp(t[i].name,
						       a->targets[j].name) &&
			    cfg.mtu == a->cfg.mtu &&
			    cfg.template_refresh_s ==
				    a->cfg.template_refresh_s) {
				ipfix_close(t[i].x);
				t[i] = a->targets[j];
				a->targets[j].x = NULL;
				a->targets[j].name = NULL;
			}
	if (strcmp(cfg.prometheus, a->cfg.prometheus)) {
		if (http_open_cfg(&cfg, &h))
			h = a->http;	/* keep serving where we were */
		else
			http_close(a->http);
	}
	targets_close(a);
	a->targets = t;
	a->n_targets = n;
	a->http = h;
	collector_set_aging(a->c, (__u64)cfg.idle_timeout_s * 1000000000ULL,
			    (__u64)FIN_MS * 1000000);
	agent_config_free(&a->cfg);
	a->cfg = cfg;
	agent_describe(a);
}

static void agent_stop(struct agent *a)
{
	int i;

	if (a->c) {
		/* every live flow's last record, then everything sent */
		scan_once(a, true);
		for (i = 0; i < a->n_targets; i++)
			ipfix_flush(a->targets[i].x,
				    (__u64)time(NULL) * 1000);
		log_send_errors(a, now_ms() + SEND_LOG_MS);
	}
	targets_close(a);
	http_close(a->http);
	collector_free(a->c);
	flowexp_free(a->fx);
	snapshot_free(a->last);
	free(a->gone);
	holdset_free(&a->hs);
	agent_config_free(&a->cfg);
	free(a->cli);
}

static int agent_loop(struct agent *a)
{
	sigset_t none;
	__u64 next = now_ms();

	sigemptyset(&none);
	while (!stop_sig) {
		struct pollfd pfd = { .fd = a->http ? http_fd(a->http) : -1,
				      .events = POLLIN };
		__u64 now = now_ms();
		struct timespec ts;
		__u64 wait = next > now ? next - now : 0;

		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (wait % 1000) * 1000000;
		/* signals are blocked but here: none is missed */
		if (ppoll(&pfd, 1, &ts, &none) < 0 && errno != EINTR)
			return -errno;
		if (stop_sig)
			break;
		if (reload_sig) {
			reload_sig = 0;
			agent_reload(a);
		}
		if (a->http)
			http_service(a->http, now_ms(), metrics, a);
		if (now_ms() >= next) {
			scan_once(a, false);
			next = now_ms() + SCAN_MS;
		}
	}
	agent_log("%s: exporting the live flows and stopping",
		  strsignal(stop_sig));
	return 0;
}

int do_agent(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct agent a = { 0 };
	sigset_t block;
	int err;

	err = agent_parse(argc, argv, &a);
	if (err) {
		free(a.cli);
		return err > 0 ? EXIT_OK : EXIT_USAGE;
	}
	/* CAP_BPF to read; attaching says if it needs CAP_NET_ADMIN too */
	if (require_caps("agent", false)) {
		free(a.cli);
		return EXIT_FAIL;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	a.start_s = time(NULL);
	err = agent_start(&a);
	if (!err)
		err = agent_loop(&a);
	agent_stop(&a);
	return err ? EXIT_FAIL : EXIT_OK;
}
