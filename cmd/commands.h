/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flowstat subcommands, dispatched by main.c from its command table.
 * Each gets argv with argv[0] = the subcommand name (getopt_long style),
 * parses its own options, and returns the exit code: 0 ok, 1 failure,
 * 2 usage.
 */
#ifndef FLOWSTAT_COMMANDS_H
#define FLOWSTAT_COMMANDS_H

#include <stdbool.h>

#ifndef FLOWSTAT_VERSION
#define FLOWSTAT_VERSION "0.1.0"
#endif

/* Options given before the subcommand (main.c parses them). */
struct globals {
	int verbose;		/* -v count */
	bool json;		/* --json given globally (also per command) */
	const char *netns;	/* --netns NAME or NULL */
	int origin_netns;	/* with --netns: the caller's (an fd), else -1 */
};
extern struct globals globals;

enum exit_code { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int do_attach(int argc, char **argv);	/* cmd/attach_cmd.c */
struct attach_opts;
/* --sample N|auto into o (attach, top); 0, or -ERANGE reported as cmd's. */
int parse_sample(const char *cmd, const char *arg, struct attach_opts *o);
/* 0, or names the missing capabilities (CAP_BPF; CAP_NET_ADMIN too when
 * need_net) as cmd's error and returns -EPERM (cmd/attach_cmd.c). */
int require_caps(const char *cmd, bool need_net);
int do_detach(int argc, char **argv);
int do_status(int argc, char **argv);
int do_dump(int argc, char **argv);	/* cmd/dump.c */
int do_watch(int argc, char **argv);
int do_gc(int argc, char **argv);
int do_top(int argc, char **argv);	/* ui/top.c */
int do_agent(int argc, char **argv);	/* cmd/agent.c */
int do_match(int argc, char **argv);	/* cmd/match_cmd.c */

struct match_set;
/*
 * A --match argument compiled into set (cmd/match_cmd.c); a bad one is
 * said as cmd's error. 0, or EXIT_USAGE.
 */
int match_arg(const char *cmd, const char *text, struct match_set *set);

#endif /* FLOWSTAT_COMMANDS_H */
