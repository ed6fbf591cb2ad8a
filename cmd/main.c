// SPDX-License-Identifier: GPL-2.0
/*
 * flowstat's entry point: global options, then a subcommand from the
 * command table. `flowstat IFACE` is shorthand for `flowstat top IFACE`.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "log.h"
#include "netns.h"


struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "attach", do_attach, "attach to interfaces and pin the state" },
	{ "detach", do_detach, "remove everything flowstat attached" },
	{ "status", do_status,
	  "attached interfaces, hooks, table use, security signals" },
	{ "dump", do_dump, "print the flows once (text, JSON, CSV)" },
	{ "watch", do_watch, "print flows and rates periodically" },
	{ "gc", do_gc, "age out idle flows (counts kept in totals)" },
	{ "top", do_top, "the live view" },
	{ "agent", do_agent, "export flows (IPFIX) and metrics (Prometheus)" },
	{ "match", do_match, "change the match expression of an interface" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	const struct command *c;

	fprintf(out,
		"Usage: flowstat [GLOBAL OPTIONS] COMMAND [ARGS]\n"
		"       flowstat [GLOBAL OPTIONS] IFACE   (same as top IFACE)\n"
		"\nCommands:\n");
	for (c = commands; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fprintf(out,
		"\nGlobal options:\n"
		"  --netns NAME  work in network namespace NAME (/run/netns)\n"
		"  -j, --json    JSON output (errors as JSON objects too)\n"
		"  -v            more output (repeat for more)\n"
		"  -h, --help    this help;  COMMAND --help: the command's\n"
		"  -V, --version print the version\n"
		"\nExamples:\n"
		"  flowstat attach eth0                  XDP in, tc out\n"
		"  flowstat attach --mode skb --max-flows 100000 eth0 eth1\n"
		"  flowstat attach --ingress tc --no-egress eth0\n"
		"  flowstat attach --sample auto eth0   sample under floods\n"
		"  flowstat status --json\n"
		"  flowstat dump --json eth0\n"
		"  flowstat eth0                         live view\n"
		"  flowstat --netns blue attach veth0\n"
		"  flowstat detach --all\n"
		"  flowstat agent --ipfix 192.0.2.10:4739 eth0\n"
		"\nExit status: 0 ok, 1 failure, 2 usage error.\n"
		"See flowstat(8).\n");
}

/* Options before the command; returns optind or -1 (exit code in *rc). */
static int parse_globals(int argc, char **argv, int *rc)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* "+": stop at the command word; its options are its own. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:n:jvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'n': globals.netns = optarg; break;
		case 'j': globals.json = true; break;
		case 'v': globals.verbose++; break;
		case 'h': usage(stdout); *rc = EXIT_OK; return -1;
		case 'V':
			printf("flowstat %s\n", FLOWSTAT_VERSION);
			*rc = EXIT_OK;
			return -1;
		case ':':
			log_error("option '%s' needs an argument",
				  argv[optind - 1]);
			*rc = EXIT_USAGE;
			return -1;
		default:
			log_error("unknown option '%s'; try 'flowstat --help'",
				  argv[optind - 1]);
			*rc = EXIT_USAGE;
			return -1;
		}
	}
	return optind;
}

static const struct command *find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Run the command named argv[0], or top for an interface name. */
static int dispatch(int argc, char **argv)
{
	const struct command *c = find_command(argv[0]);
	char **top_argv;
	int i, rc;

	if (c) {
		optind = 0;	/* the command runs its own getopt */
		return c->fn(argc, argv);
	}
	if (!if_nametoindex(argv[0])) {
		log_error("unknown command or interface '%s'", argv[0]);
		return EXIT_USAGE;
	}
	top_argv = calloc(argc + 2, sizeof(*top_argv));
	if (!top_argv) {
		log_error("out of memory");
		return EXIT_FAIL;
	}
	top_argv[0] = "top";
	for (i = 0; i < argc; i++)
		top_argv[i + 1] = argv[i];
	optind = 0;
	rc = do_top(argc + 1, top_argv);
	free(top_argv);
	return rc;
}

int main(int argc, char **argv)
{
	int saved_ns = -1, rc = EXIT_OK, first, err;

	first = parse_globals(argc, argv, &rc);
	if (first < 0)
		return rc;
	log_init(globals.verbose);
	if (first >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (globals.netns) {
		err = netns_enter(globals.netns, &saved_ns);
		if (err) {
			log_error("netns %s: %s%s", globals.netns,
				  err == -ENOENT ? "no such network namespace "
				  "(" NETNS_RUN_DIR ")" : strerror(-err),
				  err == -EPERM ?
				  " (needs CAP_SYS_ADMIN)" : "");
			return EXIT_FAIL;
		}
	}
	globals.origin_netns = saved_ns;
	rc = dispatch(argc - first, argv + first);
	netns_return(saved_ns);
	return rc;
}
