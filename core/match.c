// SPDX-License-Identifier: GPL-2.0
/*
 * The match expression of an instance: compiling it, putting it in force
 * on the data plane's two rule sets, and reading it back (match.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "fold.h"
#include "match.h"

/* Blank, or the word none: no expression. */
static bool match_is_none(const char *text)
{
	size_t n;

	while (isspace((unsigned char)*text))
		text++;
	n = strlen(text);
	while (n && isspace((unsigned char)text[n - 1]))
		n--;
	return !n || (n == 4 && !strncasecmp(text, "none", 4));
}

int match_compile(const char *text, struct match_set *set,
		  struct filter_error *err)
{
	struct filter *f = NULL;
	int ret;

	memset(set, 0, sizeof(*set));
	err->pos = 0;
	err->msg[0] = '\0';
	if (match_is_none(text))
		return 0;
	if (strlen(text) >= sizeof(set->text)) {
		snprintf(err->msg, sizeof(err->msg),
			 "longer than %d characters", MATCH_TEXT_MAX - 1);
		return -E2BIG;
	}
	ret = filter_parse(text, &f, err);
	if (!ret)
		ret = filter_compile(f, set, err);
	filter_free(f);
	if (!ret) {
		char *c;

		snprintf(set->text, sizeof(set->text), "%s", text);
		/* tabs and newlines are blanks to the parser: one line here */
		for (c = set->text; *c; c++)
			if (isspace((unsigned char)*c))
				*c = ' ';
	}
	return ret;
}

int match_apply(struct instance *inst, const struct match_set *set)
{
	struct match_sets *ms = inst->match;
	__u32 next;
	int err;

	/*
	 * One change at a time. The set written now was last in force
	 * before the previous change, which waited a grace period after
	 * switching away from it (a change that died before its wait left
	 * programs microseconds to finish, and a process takes longer to
	 * start).
	 */
	err = fold_lock(inst, true);
	if (err)
		return err;
	if (!set->n_rules) {
		__atomic_store_n(&inst->ctl->match, 0, __ATOMIC_RELEASE);
	} else {
		/* versions are never reused: a fast path may remember one */
		next = ms->last + 1 ? ms->last + 1 : 2;
		memcpy(&ms->set[next & 1], set, sizeof(*set));
		__atomic_store_n(&ms->last, next, __ATOMIC_RELEASE);
		__atomic_store_n(&inst->ctl->match, next, __ATOMIC_RELEASE);
	}
	err = fold_grace_period();
	fold_unlock(inst);
	return err;
}

const char *match_text(const struct instance *inst)
{
	__u32 m;

	if (!inst->ctl || !inst->match)
		return NULL;
	m = __atomic_load_n(&inst->ctl->match, __ATOMIC_ACQUIRE);
	return m ? inst->match->set[m & 1].text : NULL;
}
