/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Filter expressions over flows, shared by dump, watch and the live view:
 *
 *   host ADDR | net CIDR | port N | proto NAME|N | iface NAME | vlan N
 *   combined with and, or, not (also &&, ||, !) and parentheses;
 *   "and" binds tighter than "or"; two terms side by side mean "and".
 *
 * A filter is parsed once and matched against (interface name, flow key).
 */
#ifndef FLOWSTAT_FILTER_H
#define FLOWSTAT_FILTER_H

#include <stdbool.h>
#include "flowstat.h"

struct filter;

/* What a key holds, by its flags (see common/flowstat.h). */
static inline bool flow_is_icmp(const struct flow_key *k)
{
	return (k->flags & FLOW_F_L4) && (k->proto == 1 || k->proto == 58);
}

static inline bool flow_has_addrs(const struct flow_key *k)
{
	return (k->flags & FLOW_F_L4) &&
	       (k->ethertype == 0x0800 || k->ethertype == 0x86dd);
}

static inline bool flow_has_ports(const struct flow_key *k)
{
	return (k->flags & FLOW_F_PORTS) && !flow_is_icmp(k);
}

static inline bool flow_has_icmp(const struct flow_key *k)
{
	return (k->flags & FLOW_F_PORTS) && flow_is_icmp(k);
}

struct filter_error {
	int pos;		/* 1-based column of the offending token */
	char msg[96];
};

/*
 * Parse text. Returns 0 with *out allocated (NULL for an empty or
 * all-blank expression, which matches everything), or -EINVAL with err
 * filled, or -ENOMEM.
 */
int filter_parse(const char *text, struct filter **out,
		 struct filter_error *err);
/* A NULL filter matches every flow. */
bool filter_match(const struct filter *f, const char *ifname,
		  const struct flow_key *key);
void filter_free(struct filter *f);
/*
 * Compile f into the data plane's rule program (struct match_set in
 * common/flowstat.h; its text is left alone), which matches a key
 * exactly when filter_match() does. -EINVAL for what the hook cannot
 * know (iface), -E2BIG when it takes more than MATCH_MAX_RULES rules;
 * err says which.
 */
int filter_compile(const struct filter *f, struct match_set *set,
		   struct filter_error *err);
/*
 * Run a rule program over key in userspace, as the data plane does
 * (common/account.bpf.h match_key): for tests. A set of no rules
 * matches everything.
 */
bool filter_rules_match(const struct match_set *set,
			const struct flow_key *key);

/* IP protocol number from a name or a decimal number; -1 if unknown. */
int proto_from_name(const char *name);

#endif /* FLOWSTAT_FILTER_H */
