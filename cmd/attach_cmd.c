// SPDX-License-Identifier: GPL-2.0
/*
 * The attach, detach and status subcommands: option parsing, checks that
 * run before anything changes, and the plain and JSON reports.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <sys/syscall.h>
#include "attach.h"
#include "collect.h"
#include "commands.h"
#include "format.h"
#include "json.h"
#include "log.h"
#include "orphan.h"
#include "pin.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

/* Name the missing capabilities, once, before anything is tried:
 * CAP_BPF (or CAP_SYS_ADMIN) always, CAP_NET_ADMIN when need_net. */
int require_caps(const char *cmd, bool need_net)
{
	bool bpf = has_cap(CAP_BPF) || has_cap(CAP_SYS_ADMIN);
	bool net = !need_net || has_cap(CAP_NET_ADMIN);

	if (bpf && net)
		return 0;
	log_error("%s: missing privileges: needs %s%s%s (run as root)", cmd,
		  bpf ? "" : "CAP_BPF", bpf || net ? "" : " and ",
		  net ? "" : "CAP_NET_ADMIN");
	return -EPERM;
}

static int usage_error(const char *cmd, const char *what, const char *arg)
{
	log_error("%s: %s '%s'; try 'flowstat %s --help'", cmd, what, arg,
		  cmd);
	return EXIT_USAGE;
}

/* getopt's failures, as one line (opterr is off). */
static int bad_option(const char *cmd, int c, char **argv)
{
	return usage_error(cmd, c == ':' ? "option needs an argument" :
				"unknown option", argv[optind - 1]);
}

/* ---- what an instance is, in words; shared by attach and status ---- */

static const char *xdp_mode_name(__u8 mode)
{
	return mode == XDP_KIND_NATIVE ? "native" :
	       mode == XDP_KIND_SKB ? "skb" : "none";
}

static const char *tc_kind_name(__u8 kind)
{
	return kind == TC_KIND_TCX ? "tcx" :
	       kind == TC_KIND_CLSACT ? "clsact" : "none";
}

static void hook_json(struct json_writer *w, const struct flowstat_meta *m,
		      bool egress)
{
	__u8 hook = egress ? m->egress_hook : m->ingress_hook;

	if (hook == HOOK_NONE) {
		json_null(w);
		return;
	}
	json_object_start(w);
	if (hook == HOOK_XDP) {
		json_kv_string(w, "hook", "xdp");
		json_kv_string(w, "xdp_mode", xdp_mode_name(m->xdp_mode));
		json_kv_u64(w, "prog_id", m->prog_id_xdp);
	} else {
		json_kv_string(w, "hook", "tc");
		json_kv_string(w, "tc", tc_kind_name(m->tc_kind));
		json_kv_u64(w, "prog_id", egress ? m->prog_id_tc_egress :
						   m->prog_id_tc_ingress);
	}
	json_object_end(w);
}

/* The fields of meta, inside an object the caller opened; name: the
 * interface's name now (NULL: as attached). */
static void meta_json(struct json_writer *w, const struct flowstat_meta *m,
		      const char *name)
{
	json_kv_string(w, "ifname", name ? name : m->ifname);
	json_kv_u64(w, "ifindex", m->ifindex);
	json_kv_string(w, "netns", m->netns);
	json_kv_u64(w, "netns_inode", m->netns_ino);
	json_key(w, "ingress");
	hook_json(w, m, false);
	json_key(w, "egress");
	hook_json(w, m, true);
	json_kv_bool(w, "created_clsact", m->created_clsact);
	json_kv_u64(w, "max_flows", m->max_flows);
	json_kv_u64(w, "cache_slots", m->cache_slots);
	json_kv_string(w, "sampling", sampling_name(m->sampling));
	json_kv_u64(w, "attached_at", m->attached_at);
	json_kv_string(w, "owner", m->owner == OWNER_PROCESS ? "process" :
							      "pins");
	if (m->owner == OWNER_PROCESS)
		json_kv_u64(w, "owner_pid", m->owner_pid);
	json_kv_u64(w, "hz", m->ns_per_jiffy ?
			     (1000000000ULL + m->ns_per_jiffy / 2) /
			     m->ns_per_jiffy : 0);
}

static void hook_text(char *buf, size_t len, const struct flowstat_meta *m,
		      bool egress)
{
	__u8 hook = egress ? m->egress_hook : m->ingress_hook;

	if (hook == HOOK_XDP)
		snprintf(buf, len, "xdp %s (prog %u)",
			 xdp_mode_name(m->xdp_mode), m->prog_id_xdp);
	else if (hook == HOOK_TC)
		snprintf(buf, len, "tc %s (prog %u)", tc_kind_name(m->tc_kind),
			 egress ? m->prog_id_tc_egress : m->prog_id_tc_ingress);
	else
		snprintf(buf, len, "none");
}

static void netns_suffix(char *buf, size_t len, const struct flowstat_meta *m)
{
	if (m->netns[0])
		snprintf(buf, len, " (netns %s)", m->netns);
	else
		buf[0] = '\0';
}

/* ---- attach ---- */

struct attach_args {
	struct attach_opts opts;
	struct match_set match;		/* --match, compiled */
	bool force;
	char **ifnames;
	int n;
};

static void attach_usage(void)
{
	printf("Usage: flowstat attach [OPTIONS] IFACE...\n"
	       "  --mode native|skb|auto  XDP mode (auto: native, else skb)\n"
	       "  --ingress xdp|tc        ingress hook (default xdp)\n"
	       "  --no-egress             no tc egress program\n"
	       "  --tc auto|tcx|clsact    tc attach kind (auto: tcx if the\n"
	       "                          kernel has it, else clsact)\n"
	       "  --max-flows N           flow table size (%d..%d,\n"
	       "                          default %d)\n"
	       "  --sample N|auto         flow entries for a random 1 in N\n"
	       "                          frames (1..%u; totals stay exact,\n"
	       "                          flows show estimates); auto:\n"
	       "                          only while the table is flooded\n"
	       "  --match EXPR            flow entries only for frames that\n"
	       "                          match EXPR (the dump --filter\n"
	       "                          language, no iface); the others\n"
	       "                          count as unmatched\n"
	       "  --force                 re-attach where flowstat already is\n"
	       "  -j, --json              JSON report\n"
	       "Examples:\n"
	       "  flowstat attach eth0\n"
	       "  flowstat attach --mode skb --max-flows 100000 eth0 eth1\n",
	       FLOWSTAT_MIN_MAX_FLOWS, FLOWSTAT_MAX_MAX_FLOWS,
	       FLOWSTAT_DEFAULT_MAX_FLOWS, FLOWSTAT_MAX_SAMPLE);
}

static int parse_word(const char *arg, const char *const *words, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(arg, words[i]))
			return i;
	return -1;
}

static int parse_max_flows(const char *arg, __u32 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' ||
	    v < FLOWSTAT_MIN_MAX_FLOWS || v > FLOWSTAT_MAX_MAX_FLOWS) {
		log_error("attach: --max-flows %s out of range (%u..%u)", arg,
			  FLOWSTAT_MIN_MAX_FLOWS, FLOWSTAT_MAX_MAX_FLOWS);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

/* --sample N|auto: N from 1 (every frame) to FLOWSTAT_MAX_SAMPLE. */
int parse_sample(const char *cmd, const char *arg, struct attach_opts *o)
{
	unsigned long long v;
	char *end;

	if (!strcmp(arg, "auto")) {
		o->sample_auto = true;
		o->sample = 0;
		return 0;
	}
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || arg[0] == '+' ||
	    v < 1 || v > FLOWSTAT_MAX_SAMPLE) {
		log_error("%s: --sample %s: want auto or 1..%u", cmd, arg,
			  FLOWSTAT_MAX_SAMPLE);
		return -ERANGE;
	}
	o->sample = v;
	o->sample_auto = false;
	return 0;
}

/* 0 to go on, else the exit code (-1 for a clean --help exit). */
static int attach_parse(int argc, char **argv, struct attach_args *a)
{
	static const char *const modes[] = { "auto", "native", "skb" };
	static const char *const ingress[] = { "xdp", "tc" };
	static const char *const tcs[] = { "auto", "tcx", "clsact" };
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "ingress", required_argument, NULL, 'i' },
		{ "no-egress", no_argument, NULL, 'E' },
		{ "tc", required_argument, NULL, 't' },
		{ "max-flows", required_argument, NULL, 'M' },
		{ "sample", required_argument, NULL, 'S' },
		{ "match", required_argument, NULL, 'x' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, v;

	a->opts = (struct attach_opts){ .ingress = HOOK_XDP, .egress = true,
		.max_flows = FLOWSTAT_DEFAULT_MAX_FLOWS,
		.netns = globals.netns };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:i:Et:M:S:x:fjh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			v = parse_word(optarg, modes, 3);
			if (v < 0)
				return usage_error("attach", "bad --mode",
						   optarg);
			a->opts.mode = v;
			break;
		case 'i':
			v = parse_word(optarg, ingress, 2);
			if (v < 0)
				return usage_error("attach", "bad --ingress",
						   optarg);
			a->opts.ingress = v ? HOOK_TC : HOOK_XDP;
			break;
		case 'E': a->opts.egress = false; break;
		case 't':
			v = parse_word(optarg, tcs, 3);
			if (v < 0)
				return usage_error("attach", "bad --tc",
						   optarg);
			a->opts.tc = v;
			break;
		case 'M':
			if (parse_max_flows(optarg, &a->opts.max_flows))
				return EXIT_USAGE;
			break;
		case 'S':
			if (parse_sample("attach", optarg, &a->opts))
				return EXIT_USAGE;
			break;
		case 'x':
			if (match_arg("attach", optarg, &a->match))
				return EXIT_USAGE;
			a->opts.match = &a->match;
			break;
		case 'f': a->force = true; break;
		case 'j': globals.json = true; break;
		case 'h': attach_usage(); return -1;
		default: return bad_option("attach", c, argv);
		}
	}
	a->ifnames = argv + optind;
	a->n = argc - optind;
	return 0;
}

/* Same interface twice on the command line: a usage error. */
static int check_duplicates(const char *cmd, char **names, int n)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (!strcmp(names[i], names[j]))
				return usage_error(cmd, "interface given twice",
						   names[i]);
	return 0;
}

/* match: the --match expression, or NULL */
static void attach_report(const struct flowstat_meta *metas, int n,
			  const struct match_set *match)
{
	char in[64], eg[64], ns[FLOWSTAT_NETNS_LEN + 16];
	struct json_writer w;
	int i;

	if (!globals.json) {
		for (i = 0; i < n; i++) {
			hook_text(in, sizeof(in), &metas[i], false);
			hook_text(eg, sizeof(eg), &metas[i], true);
			netns_suffix(ns, sizeof(ns), &metas[i]);
			printf("attached %s%s: ingress %s, egress %s, "
			       "max flows %u%s%s\n", metas[i].ifname, ns, in,
			       eg, metas[i].max_flows,
			       match ? ", match " : "",
			       match ? match->text : "");
		}
		return;
	}
	json_init(&w, stdout, false);
	json_array_start(&w);
	for (i = 0; i < n; i++) {
		json_object_start(&w);
		meta_json(&w, &metas[i], NULL);
		if (match)
			json_kv_string(&w, "match", match->text);
		else
			json_kv_null(&w, "match");
		json_object_end(&w);
	}
	json_array_end(&w);
	json_finish(&w);
}

/*
 * --force: set aside what flowstat holds on ifname (sh->stashed stays
 * false when it holds nothing there).
 */
static int stash_held(const char *ifname, struct attach_stash *sh)
{
	struct instance inst;
	int err;

	memset(sh, 0, sizeof(*sh));
	sh->xdp_fd = sh->tc_fd[0] = sh->tc_fd[1] = -1;
	if (instance_open_meta(ifname, globals.netns, &inst) ||
	    !attach_instance_live(&inst)) {
		instance_close(&inst);
		return 0;	/* nothing, or stale pins attach replaces */
	}
	err = attach_stash(&inst, sh);
	instance_close(&inst);
	if (err == -EBUSY)
		log_error("attach %s: held by a running flowstat (pid %u); it "
			  "lets go when that process ends", ifname,
			  sh->meta.owner_pid);
	else if (err)
		log_error("attach %s: --force: set the old instance aside: %s",
			  ifname, strerror(-err));
	return err;
}

/* A clsact qdisc the old instance made is now the new one's to remove. */
static void take_clsact(const char *ifname, struct attach_stash *sh,
			const struct flowstat_meta *m)
{
	struct instance inst;
	struct flowstat_meta nm;
	__u32 key = 0;

	if (!sh->stashed || !sh->meta.created_clsact ||
	    m->tc_kind != TC_KIND_CLSACT ||
	    instance_open_meta(ifname, globals.netns, &inst))
		return;
	nm = inst.meta;
	nm.created_clsact = 1;
	if (!bpf_map_update_elem(inst.meta_fd, &key, &nm, 0))
		sh->meta.created_clsact = 0;
	instance_close(&inst);
}

/*
 * Undo this run after interface n failed: the new instances before it
 * go, and every instance set aside comes back as it was.
 */
static void attach_rollback(char **ifnames, int n, struct attach_stash *sh)
{
	struct instance inst;
	int i, err;

	for (i = 0; i <= n; i++) {
		if (i < n && !instance_open_meta(ifnames[i], globals.netns,
						 &inst))
			iface_detach(&inst);
		err = attach_unstash(&sh[i]);
		if (err)
			log_error("attach %s: putting the old instance back: "
				  "%s", ifnames[i], strerror(-err));
		attach_stash_drop(&sh[i]);
	}
}

static int attach_all(struct attach_args *a, struct flowstat_meta *metas)
{
	struct attach_stash *sh = calloc(a->n, sizeof(*sh));
	int i, ifindex, err = 0, lock;

	if (!sh)
		return -ENOMEM;
	attach_reap();
	lock = attach_lock("attach", false);
	if (lock < 0) {
		free(sh);
		return lock;
	}
	for (i = 0; i < a->n && !err; i++)
		err = attach_check(a->ifnames[i], &a->opts, a->force,
				   &ifindex);
	for (i = 0; i < a->n && !err; i++) {
		err = a->force ? stash_held(a->ifnames[i], &sh[i]) : 0;
		if (!err)
			err = iface_attach(a->ifnames[i], &a->opts, &metas[i],
					   NULL);
		if (err)
			attach_rollback(a->ifnames, i, sh);
	}
	for (i = 0; i < a->n && !err; i++) {
		take_clsact(a->ifnames[i], &sh[i], &metas[i]);
		attach_stash_drop(&sh[i]);
	}
	pin_unlock(lock);
	free(sh);
	return err;
}

int do_attach(int argc, char **argv)
{
	struct flowstat_meta *metas;
	static struct attach_args a;	/* its rule set is large */
	int rc;

	rc = attach_parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!a.n) {
		log_error("attach: no interface given; try "
			  "'flowstat attach --help'");
		return EXIT_USAGE;
	}
	if (check_duplicates("attach", a.ifnames, a.n))
		return EXIT_USAGE;
	if (require_caps("attach", true))
		return EXIT_FAIL;
	metas = calloc(a.n, sizeof(*metas));
	if (!metas) {
		log_error("attach: out of memory");
		return EXIT_FAIL;
	}
	rc = attach_all(&a, metas) ? EXIT_FAIL : EXIT_OK;
	if (rc == EXIT_OK)
		attach_report(metas, a.n, a.opts.match &&
					  a.opts.match->n_rules ?
					  a.opts.match : NULL);
	free(metas);
	return rc;
}

/* ---- detach ---- */

static void detach_usage(void)
{
	printf("Usage: flowstat detach IFACE... | --all\n"
	       "  --all       every interface flowstat holds\n"
	       "  -j, --json  JSON report\n"
	       "Removes exactly what flowstat attached: programs, links, tc\n"
	       "filters, a clsact qdisc only if flowstat created it, pins.\n");
}

/* 0 to go on, else the exit code (-1: --help). */
static int detach_parse(int argc, char **argv, bool *all)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ajh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': *all = true; break;
		case 'j': globals.json = true; break;
		case 'h': detach_usage(); return -1;
		default: return bad_option("detach", c, argv);
		}
	}
	if (*all == (optind < argc)) {
		log_error("detach: give interfaces or --all; try "
			  "'flowstat detach --help'");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * What detach removes: instances (by meta) and orphans (flowstat programs
 * no pins claim, found on the interfaces themselves).
 */
struct detach_set {
	struct instance *insts;
	int n_insts;
	struct orphan *orphans;
	int n_orphans;
};

static void detach_set_free(struct detach_set *ds)
{
	if (ds->insts)
		instance_close_all(ds->insts, ds->n_insts);
	free(ds->orphans);
}

/* Resolve every name first, so that a wrong name changes nothing. */
static int resolve_named(char **names, int n, struct detach_set *ds)
{
	struct orphan o;
	int i, err, idx;

	ds->insts = calloc(n, sizeof(*ds->insts));
	ds->orphans = calloc(n, sizeof(*ds->orphans));
	if (!ds->insts || !ds->orphans)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		err = instance_open_meta(names[i], globals.netns,
					 &ds->insts[ds->n_insts]);
		if (!err) {
			ds->n_insts++;
			continue;
		}
		idx = err == -ENOENT ? (int)if_nametoindex(names[i]) : 0;
		if (idx && orphan_scan_iface(idx, &o) > 0) {
			ds->orphans[ds->n_orphans++] = o;
			continue;
		}
		if (err == -ENOENT)
			log_error("detach %s: flowstat is not attached to it",
				  names[i]);
		else
			log_error("detach %s: %s", names[i], strerror(-err));
		return err;
	}
	return 0;
}

/* Half-made folders of interfaces that are gone: no scan finds them. */
static int add_halfmade(struct detach_set *ds)
{
	char (*dirs)[PATH_MAX];
	struct orphan *grown;
	int n = instance_halfmade_all(&dirs), i, j;

	if (n <= 0)
		return n;
	grown = realloc(ds->orphans, (ds->n_orphans + n) * sizeof(*grown));
	if (!grown) {
		free(dirs);
		return -ENOMEM;
	}
	ds->orphans = grown;
	for (i = 0; i < n; i++) {
		struct orphan *o = &ds->orphans[ds->n_orphans];

		for (j = 0; j < ds->n_orphans; j++)
			if (!strcmp(ds->orphans[j].pins, dirs[i]))
				break;
		if (j < ds->n_orphans)
			continue;
		memset(o, 0, sizeof(*o));
		snprintf(o->pins, sizeof(o->pins), "%s", dirs[i]);
		snprintf(o->ifname, sizeof(o->ifname), "%s",
			 strrchr(dirs[i], '/') + 1);
		ds->n_orphans++;
	}
	free(dirs);
	return 0;
}

static int resolve_all(struct detach_set *ds)
{
	int n = instance_open_all_meta(&ds->insts);

	if (n < 0)
		return n;
	ds->n_insts = n;
	n = orphan_list(true, &ds->orphans);
	if (n < 0)
		return n;
	ds->n_orphans = n;
	return pin_root_is_hosts() ? add_halfmade(ds) : 0;
}

static void detach_report(char names[][IF_NAMESIZE], int n)
{
	struct json_writer w;
	int i;

	if (!globals.json) {
		for (i = 0; i < n; i++)
			printf("detached %s\n", names[i]);
		return;
	}
	json_init(&w, stdout, false);
	json_object_start(&w);
	json_key(&w, "detached");
	json_array_start(&w);
	for (i = 0; i < n; i++)
		json_string(&w, names[i]);
	json_array_end(&w);
	json_object_end(&w);
	json_finish(&w);
}

static int detach_set_run(struct detach_set *ds, char names[][IF_NAMESIZE])
{
	int i, err, done = 0, rc = EXIT_OK;

	for (i = 0; i < ds->n_insts; i++) {
		snprintf(names[done], IF_NAMESIZE, "%s",
			 ds->insts[i].meta.ifname);
		if (iface_detach(&ds->insts[i]))
			rc = EXIT_FAIL;
		else
			done++;
	}
	for (i = 0; i < ds->n_orphans; i++) {
		const struct orphan *o = &ds->orphans[i];

		err = o->ifindex ? orphan_remove_in_netns(o) :
				   pin_remove_dir(o->pins);
		if (err) {
			log_error("detach %s: orphaned programs: %s",
				  o->ifname, strerror(-err));
			rc = EXIT_FAIL;
			continue;
		}
		snprintf(names[done++], IF_NAMESIZE, "%s", o->ifname);
	}
	detach_report(names, done);
	return rc;
}

int do_detach(int argc, char **argv)
{
	char (*names)[IF_NAMESIZE] = NULL;
	struct detach_set ds = { 0 };
	bool all = false;
	int rc, err, lock;

	rc = detach_parse(argc, argv, &all);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!all && check_duplicates("detach", argv + optind, argc - optind))
		return EXIT_USAGE;
	if (require_caps("detach", true))
		return EXIT_FAIL;
	lock = pin_lock(true);	/* no root: no pins, orphans still */
	err = all ? resolve_all(&ds) :
		    resolve_named(argv + optind, argc - optind, &ds);
	if (err && all)
		log_error("detach: %s", strerror(-err));
	if (!err) {
		names = calloc(ds.n_insts + ds.n_orphans + 1, sizeof(*names));
		err = names ? 0 : -ENOMEM;
	}
	rc = err ? EXIT_FAIL : detach_set_run(&ds, names);
	free(names);
	detach_set_free(&ds);
	pin_unlock(lock);
	return rc;
}

/* ---- status ---- */

static void status_usage(void)
{
	printf("Usage: flowstat status [-j|--json] [--threshold SIGNAL=N]... "
	       "[IFACE...]\n"
	       "Attached interfaces, hooks, XDP mode, program ids, flow table\n"
	       "use, untracked counts, the kernel's rx/tx counters beside\n"
	       "flowstat's totals, and the security signals of the last\n"
	       "second with the alerts they raise. SIGNAL: new_flows,\n"
	       "half_open, scan_ports, scan_hosts, fan_in (0 turns it off).\n");
}

static const char *const dir_names[FLOW_DIR_MAX] = { "ingress", "egress" };

static void counts_json(struct json_writer *w, const struct dir_counts *d)
{
	json_object_start(w);
	json_kv_u64(w, "packets", d->packets);
	json_kv_u64(w, "bytes", d->bytes);
	json_kv_u64(w, "untracked_packets", d->untracked_packets);
	json_kv_u64(w, "untracked_bytes", d->untracked_bytes);
	json_kv_u64(w, "sampled_out_packets", d->sampled_out_packets);
	json_kv_u64(w, "sampled_out_bytes", d->sampled_out_bytes);
	json_kv_u64(w, "unmatched_packets", d->unmatched_packets);
	json_kv_u64(w, "unmatched_bytes", d->unmatched_bytes);
	json_kv_u64(w, "retired_packets", d->retired_packets);
	json_kv_u64(w, "retired_bytes", d->retired_bytes);
	json_kv_u64(w, "ended_flows", d->ended_flows);
	json_kv_u64(w, "fast_hits", d->fast_hits);
	json_object_end(w);
}

/* Orphans: flowstat programs that no pins claim (orphan.h). */
struct orphans {
	struct orphan *list;
	int n;
};

static void orphan_hooks_text(const struct orphan *o, char *buf, size_t len)
{
	static const char *const dirs[2] = { "ingress", "egress" };
	size_t at = 0;
	int d;

	buf[0] = '\0';
	if (o->xdp_prog)
		at += snprintf(buf + at, len - at, ", xdp (prog %u)",
			       o->xdp_prog);
	for (d = 0; d < 2 && at < len; d++) {
		if (o->tcx_prog[d])
			at += snprintf(buf + at, len - at,
				       ", tc %s tcx (prog %u)", dirs[d],
				       o->tcx_prog[d]);
		if (o->clsact_prog[d] && at < len)
			at += snprintf(buf + at, len - at,
				       ", tc %s clsact (prog %u)", dirs[d],
				       o->clsact_prog[d]);
	}
	if (o->pins[0] && at < len)
		snprintf(buf + at, len - at, ", half-made pins %s", o->pins);
}

static void orphan_json(struct json_writer *w, const struct orphan *o)
{
	int d;

	json_object_start(w);
	json_kv_string(w, "ifname", o->ifname);
	json_kv_u64(w, "ifindex", o->ifindex);
	json_kv_string(w, "netns", o->netns);
	json_kv_u64(w, "netns_inode", o->netns_ino);
	json_kv_bool(w, "orphaned", true);
	json_key(w, "xdp_prog_id");
	if (o->xdp_prog)
		json_u64(w, o->xdp_prog);
	else
		json_null(w);
	json_key(w, "tc_prog_ids");
	json_array_start(w);
	for (d = 0; d < 2; d++) {
		if (o->tcx_prog[d])
			json_u64(w, o->tcx_prog[d]);
		if (o->clsact_prog[d])
			json_u64(w, o->clsact_prog[d]);
	}
	json_array_end(w);
	json_key(w, "pins");
	if (o->pins[0])
		json_string(w, o->pins);
	else
		json_null(w);
	json_object_end(w);
}

/* status --threshold */
static struct sig_thresholds status_thresholds;

static void status_json(const struct snapshot *s, const struct orphans *o)
{
	struct json_writer w;
	int i, d;

	json_init(&w, stdout, false);
	json_array_start(&w);
	for (i = 0; i < s->n_ifaces; i++) {
		const struct iface_rec *r = &s->ifaces[i];

		json_object_start(&w);
		meta_json(&w, &r->meta, iface_rec_name(r));
		json_kv_bool(&w, "orphaned", false);
		json_kv_bool(&w, "present", r->present);
		json_kv_bool(&w, "up", r->up);
		json_kv_u64(&w, "folds", r->folds);
		json_kv_u64(&w, "flow_entries", r->flow_entries);
		json_kv_u64(&w, "sampling_rate",
			    r->sample_rate > 1 ? r->sample_rate : 1);
		if (r->match[0])
			json_kv_string(&w, "match", r->match);
		else
			json_kv_null(&w, "match");
		json_key(&w, "counters");
		json_object_start(&w);
		for (d = 0; d < FLOW_DIR_MAX; d++) {
			json_key(&w, dir_names[d]);
			counts_json(&w, &r->dir[d]);
		}
		json_object_end(&w);
		json_key(&w, "kernel");
		format_kernel_json(&w, r);
		json_key(&w, "signals");
		format_signals_json(&w, s, i, &status_thresholds);
		json_object_end(&w);
	}
	for (i = 0; i < o->n; i++)
		orphan_json(&w, &o->list[i]);
	json_array_end(&w);
	json_finish(&w);
}

static void status_text_one(const struct snapshot *s, int iface)
{
	const struct iface_rec *r = &s->ifaces[iface];
	const struct flowstat_meta *m = &r->meta;
	char hook[64], ns[FLOWSTAT_NETNS_LEN + 16];
	const struct dir_counts *d;
	int i;

	netns_suffix(ns, sizeof(ns), m);
	printf("%s%s: ifindex %u%s%s\n", iface_rec_name(r), ns, m->ifindex,
	       r->present ? "" : " (gone)",
	       r->present && !r->up ? " (down)" : "");
	for (i = 0; i < FLOW_DIR_MAX; i++) {
		hook_text(hook, sizeof(hook), m, i == FLOW_DIR_EGRESS);
		printf("  %-8s %s\n", dir_names[i], hook);
	}
	printf("  flows    %u / %u entries (cache %u slots per CPU)\n",
	       r->flow_entries, m->max_flows, m->cache_slots);
	printf("  match    %s\n", r->match[0] ? r->match : "none (every frame)");
	for (i = 0; i < FLOW_DIR_MAX; i++) {
		char unm[80] = "";

		d = &r->dir[i];
		if (r->match[0] || d->unmatched_packets)
			snprintf(unm, sizeof(unm), ", unmatched %llu packets "
				 "%llu bytes",
				 (unsigned long long)d->unmatched_packets,
				 (unsigned long long)d->unmatched_bytes);
		printf("  %-8s %llu packets %llu bytes, untracked %llu packets "
		       "%llu bytes%s\n", dir_names[i],
		       (unsigned long long)d->packets,
		       (unsigned long long)d->bytes,
		       (unsigned long long)d->untracked_packets,
		       (unsigned long long)d->untracked_bytes, unm);
		if (m->sampling)
			printf("  %-8s sampled out %llu packets %llu bytes\n",
			       "", (unsigned long long)d->sampled_out_packets,
			       (unsigned long long)d->sampled_out_bytes);
	}
	if (m->sampling)
		printf("  sampling %s, 1 in %u frames now\n",
		       sampling_name(m->sampling),
		       r->sample_rate > 1 ? r->sample_rate : 1);
	printf("  aged     %llu flows ended (%llu packets), %llu folds; "
	       "fast path %s\n",
	       (unsigned long long)(r->dir[0].ended_flows +
				    r->dir[1].ended_flows),
	       (unsigned long long)(r->dir[0].retired_packets +
				    r->dir[1].retired_packets),
	       (unsigned long long)r->folds,
	       m->ns_per_jiffy ? "on" : "off (the jiffy could not be "
				     "found)");
	if (r->kernel_valid)
		printf("  kernel   rx %llu packets %llu bytes, tx %llu packets "
		       "%llu bytes\n",
		       (unsigned long long)r->kernel_rx_packets,
		       (unsigned long long)r->kernel_rx_bytes,
		       (unsigned long long)r->kernel_tx_packets,
		       (unsigned long long)r->kernel_tx_bytes);
	format_signals_text(stdout, s, iface, &status_thresholds, "  ");
}

static void status_text(const struct snapshot *s, const struct orphans *o)
{
	char hooks[PATH_MAX + 160];
	int i;

	if (!s->n_ifaces && !o->n)
		printf("flowstat is not attached to any interface\n");
	for (i = 0; i < s->n_ifaces; i++)
		status_text_one(s, i);
	for (i = 0; i < o->n; i++) {
		const struct orphan *p = &o->list[i];

		orphan_hooks_text(p, hooks, sizeof(hooks));
		printf("%s%s%s: orphaned flowstat programs or pins%s; "
		       "'flowstat %s%sdetach %s' removes them\n", p->ifname,
		       p->netns[0] ? " (netns " : "",
		       p->netns[0] ? p->netns : "",
		       hooks, p->netns[0] ? "--netns " : "", p->netns,
		       p->ifname);
	}
}

/* 0 to go on, else the exit code (-1: --help). */
static int status_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "threshold", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	sig_thresholds_default(&status_thresholds);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': globals.json = true; break;
		case 't':
			if (sig_threshold_parse(&status_thresholds, optarg)) {
				log_error("status: --threshold %s: expected "
					  "SIGNAL=N, SIGNAL one of new_flows, "
					  "half_open, scan_ports, scan_hosts, "
					  "fan_in", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': status_usage(); return -1;
		default: return bad_option("status", c, argv);
		}
	}
	return 0;
}

/*
 * Named interfaces must be held, or have orphans; said here, in the words
 * detach uses. Orphans found are added to o; *held says how many names
 * have instances.
 */
static int status_check_named(char **names, int n, struct orphans *o,
			      int *held)
{
	struct instance inst;
	int i, err, idx;

	*held = 0;
	o->list = calloc(n ? n : 1, sizeof(*o->list));
	if (!o->list)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		err = instance_open(names[i], globals.netns, &inst);
		if (!err) {
			instance_close(&inst);
			(*held)++;
			continue;
		}
		idx = err == -ENOENT ? (int)if_nametoindex(names[i]) : 0;
		if (idx && orphan_scan_iface(idx, &o->list[o->n]) > 0) {
			o->n++;
			continue;
		}
		if (err == -ENOENT)
			log_error("status %s: flowstat is not attached to it",
				  names[i]);
		else if (err == -EPROTO)
			log_error("status %s: pinned by a flowstat with other "
				  "map layouts; detach and attach again",
				  names[i]);
		else
			log_error("status %s: %s", names[i], strerror(-err));
		return err;
	}
	return 0;
}

/* The named interfaces that have instances (orphans are shown apart). */
static int held_names(char **names, int n, char ***out)
{
	struct instance inst;
	int i, k = 0;

	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!instance_open_meta(names[i], globals.netns, &inst)) {
			instance_close(&inst);
			(*out)[k++] = names[i];
		}
	return k;
}

int do_status(int argc, char **argv)
{
	struct collect_opts opts = { .kernel_counters = true };
	struct orphans o = { 0 };
	struct collector *c = NULL;
	struct snapshot *s = NULL;
	char **names = NULL;
	int rc, err, held = 0, lock;

	rc = status_parse(argc, argv);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (require_caps("status", false))	/* else: "not attached" */
		return EXIT_FAIL;
	attach_reap();
	lock = pin_lock(false);	/* no attach or detach half done */
	opts.netns = globals.netns;
	if (optind < argc) {
		err = status_check_named(argv + optind, argc - optind, &o,
					 &held);
		if (err) {	/* reported */
			pin_unlock(lock);
			free(o.list);
			return EXIT_FAIL;
		}
		err = held_names(argv + optind, argc - optind, &names);
		if (err >= 0) {
			opts.ifnames = names;
			opts.n_ifnames = err;
			err = 0;
		}
	} else {
		err = orphan_list(!globals.netns, &o.list);
		o.n = err > 0 ? err : 0;
		err = err < 0 ? err : 0;
	}
	if (!err && (!names || held))
		err = collector_new(&opts, &c);
	if (!err && c)
		err = collector_scan(c, &s);
	pin_unlock(lock);
	if (err) {
		log_error("status: %s%s", strerror(-err),
			  err == -EPERM ? " (needs CAP_BPF)" : "");
	} else if (globals.json) {
		status_json(s ? s : &(struct snapshot){ 0 }, &o);
	} else {
		status_text(s ? s : &(struct snapshot){ 0 }, &o);
	}
	snapshot_free(s);
	collector_free(c);
	free(names);
	free(o.list);
	return err ? EXIT_FAIL : EXIT_OK;
}
