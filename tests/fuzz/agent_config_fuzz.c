// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the agent's configuration parser (cmd/agent_config.c)
 * on any bytes. Besides what ASan and UBSan catch, every input must
 * either fail with one printable "line N: ..." message and leave the
 * config as it was, or parse to values in their ranges that, written
 * back as a file, parse to the same config again.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent_config.h"
#include "fuzz.h"

static int same_list(char **a, int na, char **b, int nb)
{
	int i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return 1;
}

static int same(const struct agent_config *a, const struct agent_config *b)
{
	return same_list(a->ifnames, a->n_ifnames, b->ifnames, b->n_ifnames) &&
	       same_list(a->ipfix, a->n_ipfix, b->ipfix, b->n_ipfix) &&
	       !strcmp(a->prometheus, b->prometheus) &&
	       a->active_timeout_s == b->active_timeout_s &&
	       a->idle_timeout_s == b->idle_timeout_s &&
	       a->template_refresh_s == b->template_refresh_s &&
	       a->mtu == b->mtu && a->domain_id == b->domain_id &&
	       a->persist == b->persist;
}

static void check_ranges(const struct agent_config *c)
{
	int i;

	MUST(c->active_timeout_s >= 1 && c->active_timeout_s <= 86400);
	MUST(c->idle_timeout_s >= 1 && c->idle_timeout_s <= 86400);
	MUST(c->template_refresh_s >= 1 && c->template_refresh_s <= 86400);
	MUST(c->mtu >= AGENT_MTU_MIN && c->mtu <= AGENT_MTU_MAX);
	MUST(c->domain_id >= -1 && c->domain_id <= 4294967295LL);
	MUST(c->persist == 0 || c->persist == 1);
	MUST(memchr(c->prometheus, '\0', sizeof(c->prometheus)));
	for (i = 0; i < c->n_ifnames; i++)
		MUST(c->ifnames[i][0] && strlen(c->ifnames[i]) < 16 &&
		     !strpbrk(c->ifnames[i], " \t/:"));
	for (i = 0; i < c->n_ipfix; i++)
		MUST(strchr(c->ipfix[i], ':') && !strpbrk(c->ipfix[i], " \t"));
}

/* A quote that no item contains, or 0 when there is none. */
static char quote_for(char **items, int n)
{
	int i, single = 1, dbl = 1;

	for (i = 0; i < n; i++) {
		single &= !strchr(items[i], '\'');
		dbl &= !strpbrk(items[i], "\"\\$`");
	}
	return single ? '\'' : dbl ? '"' : 0;
}

static void put_list(FILE *f, const char *key, char **items, int n, char q)
{
	int i;

	fprintf(f, "%s=%c", key, q);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", items[i]);
	fprintf(f, "%c\n", q);
}

/* Write c as a file and read it back. */
static void check_round_trip(const struct agent_config *c)
{
	char *listen[1] = { (char *)c->prometheus };
	char qi = quote_for(c->ifnames, c->n_ifnames);
	char qx = quote_for(c->ipfix, c->n_ipfix);
	char qp = quote_for(listen, 1);
	struct agent_config back;
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f;

	if (!qi || !qx || !qp)
		return;	/* both quotes in one value: no file can say it */
	f = open_memstream(&text, &len);
	MUST(f);
	put_list(f, "FLOWSTAT_INTERFACES", c->ifnames, c->n_ifnames, qi);
	put_list(f, "FLOWSTAT_IPFIX", c->ipfix, c->n_ipfix, qx);
	put_list(f, "FLOWSTAT_PROMETHEUS", listen, 1, qp);
	fprintf(f, "FLOWSTAT_ACTIVE_TIMEOUT=%u\n", c->active_timeout_s);
	fprintf(f, "FLOWSTAT_IDLE_TIMEOUT=%u\n", c->idle_timeout_s);
	fprintf(f, "FLOWSTAT_TEMPLATE_REFRESH=%u\n", c->template_refresh_s);
	fprintf(f, "FLOWSTAT_MTU=%u\n", c->mtu);
	if (c->domain_id >= 0)
		fprintf(f, "FLOWSTAT_DOMAIN_ID=%lld\n", c->domain_id);
	fprintf(f, "FLOWSTAT_PERSIST=%s\n", c->persist ? "yes" : "no");
	MUST(!fclose(f));
	agent_config_defaults(&back);
	if (agent_config_parse(&back, text, len, err, sizeof(err)))
		fprintf(stderr, "written back:\n%s\nerror: %s\n", text, err);
	MUST(same(c, &back));
	agent_config_free(&back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config c, before;
	char err[256], *tiny;
	int ret;

	agent_config_defaults(&c);
	agent_config_defaults(&before);
	MUST(!agent_config_add(&c, AGENT_KEY_INTERFACES, "sentinel0", err,
			       sizeof(err)));
	MUST(!agent_config_add(&before, AGENT_KEY_INTERFACES, "sentinel0",
			       err, sizeof(err)));
	err[0] = '\0';
	ret = agent_config_parse(&c, (const char *)data, size, err,
				 sizeof(err));
	if (ret) {
		MUST(ret == -EINVAL || ret == -ENOMEM);
		MUST(fuzz_printable(err));
		MUST(ret == -ENOMEM || !strncmp(err, "line ", 5));
		MUST(same(&c, &before));
	} else {
		check_ranges(&c);
		check_round_trip(&c);
	}
	/* A short error buffer is cut, never overrun (ASan watches). */
	tiny = malloc(3);
	MUST(tiny);
	MUST(agent_config_parse(&before, (const char *)data, size, tiny, 3) ==
	     ret);
	MUST(!ret || strlen(tiny) <= 2);
	free(tiny);
	agent_config_free(&c);
	agent_config_free(&before);
	return 0;
}
