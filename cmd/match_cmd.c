// SPDX-License-Identifier: GPL-2.0
/*
 * flowstat match IFACE EXPR: change the match expression of a running
 * instance (core/match.h), and the --match argument shared by attach.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "json.h"
#include "log.h"
#include "match.h"
#include "pin.h"

int match_arg(const char *cmd, const char *text, struct match_set *set)
{
	struct filter_error fe;
	int err = match_compile(text, set, &fe);

	const char *what = strcmp(cmd, "match") ? "--match " : "";

	if (!err)
		return 0;
	if (err == -ENOMEM)
		log_error("%s: --match: out of memory", cmd);
	else if (fe.pos)
		log_error("%s: %s'%s': column %d: %s", cmd, what, text,
			  fe.pos, fe.msg);
	else
		log_error("%s: %s'%s': %s", cmd, what, text, fe.msg);
	return EXIT_USAGE;
}

static void match_usage(void)
{
	printf("Usage: flowstat [--netns NAME] match [-j|--json] IFACE EXPR\n"
	       "Change the match expression of an attached interface without\n"
	       "losing a count: from now on only frames that match EXPR get\n"
	       "flow entries; the others count as unmatched. EXPR is the\n"
	       "dump --filter language without iface (host, net, port, proto,\n"
	       "vlan, and, or, not, parentheses); several words are joined.\n"
	       "EXPR none (or \"\") clears it: every frame gets an entry.\n"
	       "Examples:\n"
	       "  flowstat match eth0 'proto udp and port 53'\n"
	       "  flowstat match eth0 none\n");
}

/* The words after IFACE, joined by spaces (NULL: out of memory). */
static char *join_words(char **words, int n)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	s = calloc(1, len);
	for (i = 0; s && i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, words[i]);
	}
	return s;
}

static void match_report(const char *ifname, const struct match_set *set)
{
	struct json_writer w;

	if (!globals.json) {
		printf("%s: match %s\n", ifname,
		       set->n_rules ? set->text : "none");
		return;
	}
	json_init(&w, stdout, false);
	json_object_start(&w);
	json_kv_string(&w, "ifname", ifname);
	if (set->n_rules)
		json_kv_string(&w, "match", set->text);
	else
		json_kv_null(&w, "match");
	json_kv_u64(&w, "rules", set->n_rules);
	json_object_end(&w);
	json_finish(&w);
}

/* Put set in force on ifname; reported here. 0 or EXIT_FAIL. */
static int match_set_iface(const char *ifname, const struct match_set *set)
{
	struct instance inst;
	int lock, err;

	lock = pin_lock(false);	/* no detach half done meanwhile */
	err = instance_open(ifname, globals.netns, &inst);
	if (err == -ENOENT)
		log_error("match %s: flowstat is not attached to it", ifname);
	else if (err == -EPROTO)
		log_error("match %s: pinned by a flowstat with other map "
			  "layouts; detach and attach again", ifname);
	else if (err)
		log_error("match %s: %s", ifname, strerror(-err));
	if (!err) {
		err = match_apply(&inst, set);
		if (err)
			log_error("match %s: %s", ifname, strerror(-err));
		instance_close(&inst);
	}
	pin_unlock(lock);
	return err ? EXIT_FAIL : EXIT_OK;
}

int do_match(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct match_set set;	/* large */
	char *text;
	int c, rc;

	opterr = 0;
	/* "+": an expression may start with "!" or hold "-" */
	while ((c = getopt_long(argc, argv, "+:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': globals.json = true; break;
		case 'h': match_usage(); return EXIT_OK;
		default:
			log_error("match: %s '%s'; try 'flowstat match --help'",
				  c == ':' ? "option needs an argument" :
					     "unknown option", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		log_error("match: give an interface and an expression (or "
			  "none); try 'flowstat match --help'");
		return EXIT_USAGE;
	}
	text = join_words(argv + optind + 1, argc - optind - 1);
	if (!text) {
		log_error("match: out of memory");
		return EXIT_FAIL;
	}
	rc = match_arg("match", text, &set);
	free(text);
	if (rc)
		return rc;
	if (require_caps("match", false))
		return EXIT_FAIL;
	rc = match_set_iface(argv[optind], &set);
	if (rc == EXIT_OK)
		match_report(argv[optind], &set);
	return rc;
}
