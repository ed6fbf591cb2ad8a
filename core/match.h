/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The match expression of an instance (attach --match, flowstat match):
 * a filter expression (filter.h) compiled into the rule program that the
 * data plane runs on every frame it parses; frames that do not match get
 * no flow entry and count as unmatched.
 */
#ifndef FLOWSTAT_MATCH_H
#define FLOWSTAT_MATCH_H

#include "filter.h"
#include "instance.h"

/*
 * Compile text into set, the text kept in it. Blank or "none": a set of
 * no rules (no expression). 0, or -EINVAL (not an expression, or iface),
 * -E2BIG (too large for the data plane), -ENOMEM; err says why.
 */
int match_compile(const char *text, struct match_set *set,
		  struct filter_error *err);
/*
 * Put set in force on a running instance without losing a count: the set
 * not in force is written, then the version switched over, then a grace
 * period waited, so that no program reads a set being written, and the
 * fast path drops flows that matched the old expression. A set of no
 * rules clears the expression. 0 or -errno.
 */
int match_apply(struct instance *inst, const struct match_set *set);
/* The expression in force as typed, or NULL when there is none. */
const char *match_text(const struct instance *inst);

#endif /* FLOWSTAT_MATCH_H */
