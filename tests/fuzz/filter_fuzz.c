// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: filter expressions (core/filter.c), as typed after
 * --filter or / in the live view. Besides what ASan and UBSan catch:
 * an expression either fails with a column inside it (or just past it)
 * and one printable message, or parses; then it matches a set of keys
 * of every kind the same way twice, and "not ( E )" matches exactly the
 * keys E does not; and the rule program it compiles to (what the data
 * plane runs, filter_rules_match) matches the keys filter_match() does,
 * or iface or its size refuses it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include "filter.h"
#include "fuzz.h"

static struct flow_key keys[8];
static const char *const ifnames[] = { "veth0", "eth1", NULL };

static void key(struct flow_key *k, int v6, const char *s, const char *d,
		__u8 proto, __u16 sp, __u16 dp, __u16 vlan)
{
	memset(k, 0, sizeof(*k));
	k->ethertype = v6 ? 0x86dd : 0x0800;
	inet_pton(v6 ? AF_INET6 : AF_INET, s, k->src);
	inet_pton(v6 ? AF_INET6 : AF_INET, d, k->dst);
	k->proto = proto;
	k->sport = sp;
	k->dport = dp;
	k->flags = FLOW_F_L4 | FLOW_F_PORTS;
	if (vlan) {
		k->vlan = vlan;
		k->flags |= FLOW_F_VLAN;
	}
}

static void keys_init(void)
{
	key(&keys[0], 0, "192.0.2.1", "198.51.100.2", 6, 40000, 80, 0);
	key(&keys[1], 0, "10.0.0.1", "203.0.113.9", 17, 53, 5353, 10);
	key(&keys[2], 1, "2001:db8::1", "2001:db8:1::2", 17, 443, 1, 0);
	key(&keys[3], 0, "192.0.2.1", "192.0.2.2", 1, 8, 0, 0);
	key(&keys[4], 1, "::1", "ff02::1", 58, 135, 0, 4095);
	memset(&keys[5], 0, sizeof(keys[5]));	/* ARP: no addresses */
	keys[5].ethertype = 0x0806;
	key(&keys[6], 0, "0.0.0.0", "255.255.255.255", 47, 0, 0, 0);
	keys[6].flags = FLOW_F_L4;		/* GRE: no ports */
	key(&keys[7], 0, "192.0.2.200", "192.0.2.1", 6, 0, 65535, 0);
	keys[7].flags |= FLOW_F_INNER_VLAN;
	keys[7].inner_vlan = 7;
}

/* The compiled rules agree with filter_match() on every key. */
static void check_rules(const struct filter *f)
{
	static struct match_set set;
	struct filter_error fe;
	size_t i;
	int err = filter_compile(f, &set, &fe);

	MUST(err == 0 || err == -E2BIG || err == -EINVAL);
	if (err) {
		MUST(fe.msg[0] && fuzz_printable(fe.msg));
		MUST(err != -EINVAL || strstr(fe.msg, "iface"));
		return;
	}
	MUST(set.n_rules <= MATCH_MAX_RULES && (f ? set.n_rules > 0 : 1));
	for (i = 0; i < set.n_rules; i++) {
		/* forward only, so the data plane's loop always ends */
		MUST(set.rules[i].yes > i && set.rules[i].no > i);
		MUST(set.rules[i].yes < set.n_rules ||
		     set.rules[i].yes >= MATCH_YES);
		MUST(set.rules[i].no < set.n_rules ||
		     set.rules[i].no >= MATCH_YES);
	}
	for (i = 0; i < 8; i++)
		MUST(filter_rules_match(&set, &keys[i]) ==
		     filter_match(f, NULL, &keys[i]));
}

/* Bit i*3+j: key i on interface j matches. */
static __u32 matches(const struct filter *f)
{
	__u32 m = 0;
	size_t i, j;

	for (i = 0; i < 8; i++)
		for (j = 0; j < 3; j++)
			if (filter_match(f, ifnames[j], &keys[i]))
				m |= 1u << (i * 3 + j);
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct filter_error fe;
	struct filter *f, *g;
	char *text, *neg;
	size_t len;
	__u32 m;
	int err;

	if (!ready) {
		keys_init();
		ready = 1;
	}
	if (size > 4096)
		return 0;
	text = fuzz_cstring(data, size);
	len = strlen(text);	/* a C string ends at its first NUL */
	err = filter_parse(text, &f, &fe);
	MUST(err == 0 || err == -EINVAL);
	if (err) {
		MUST(!f);
		MUST(fe.pos >= 1 && (size_t)fe.pos <= len + 1);
		MUST(fe.msg[0] && memchr(fe.msg, 0, sizeof(fe.msg)));
		MUST(fuzz_printable(fe.msg));
		free(text);
		return 0;
	}
	m = matches(f);
	MUST(m == matches(f));
	check_rules(f);
	if (f) {	/* NULL: blank, matches everything */
		neg = malloc(len + 16);
		MUST(neg);
		snprintf(neg, len + 16, "not ( %s )", text);
		/* the one wrapper more may cross a bound: nesting, nodes */
		err = filter_parse(neg, &g, &fe);
		MUST(err == 0 || (err == -EINVAL && (strstr(fe.msg, "nested") ||
						     strstr(fe.msg, "terms"))));
		if (!err)
			MUST(matches(g) == (~m & ((1u << 24) - 1)));
		filter_free(g);
		free(neg);
	} else {
		MUST(m == (1u << 24) - 1);
	}
	filter_free(f);
	free(text);
	return 0;
}
