// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: flowgen's flow descriptions (flowgen/spec.c), the
 * key=value words of its command line and flow files. Besides what ASan
 * and UBSan catch: a description either fails with one printable
 * message, or gives a spec whose fields are in their ranges, whose
 * headers fit in its frame, and whose flows share out its count
 * exactly, each flow distinct from its neighbours.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "spec.h"
#include "fuzz.h"

/* Two flows of a spec differ in a field that vary= can change. */
static int flows_differ(const struct flow_spec *a, const struct flow_spec *b)
{
	return memcmp(a->src, b->src, sizeof(a->src)) ||
	       memcmp(a->dst, b->dst, sizeof(a->dst)) ||
	       memcmp(a->smac, b->smac, sizeof(a->smac)) ||
	       a->sport != b->sport || a->dport != b->dport;
}

static void check_spec(const struct flow_spec *s)
{
	struct flow_spec a, b;
	__u64 sum = 0;
	__u32 k;

	MUST(s->size >= SPEC_MIN_SIZE && s->size <= SPEC_MAX_SIZE);
	MUST(s->nr_tags >= 0 && s->nr_tags <= 2);
	MUST(s->family == 0 || s->family == 4 || s->family == 6);
	MUST(s->flows >= 1 && s->flows <= SPEC_MAX_FLOWS);
	MUST(s->l4 >= SPEC_L4_NONE && s->l4 <= SPEC_L4_RAW);
	MUST((s->family == 0) == (s->l4 == SPEC_L4_NONE));
	MUST(spec_headers_len(s) <= s->size);
	MUST(spec_l2_len(s) == 14 + 4 * (size_t)s->nr_tags);
	if (s->family)
		MUST(s->iplen >= (s->family == 4 ? 20 : 40) &&
		     s->iplen <= s->size - spec_l2_len(s));
	else
		MUST(s->iplen == 0);
	MUST(spec_l4_name(s) && *spec_l4_name(s));
	/* the count shared out: exact over all flows, when few enough */
	if (s->flows <= 4096) {
		for (k = 0; k < s->flows; k++)
			sum += spec_flow_count(s, k);
		MUST(sum == s->count);
	}
	/* neighbouring flows differ (the first and the last two) */
	for (k = 0; k + 1 < s->flows && k < 2; k++) {
		spec_nth_flow(s, k, &a);
		spec_nth_flow(s, k + 1, &b);
		MUST(a.flows == 1 && b.flows == 1);
		MUST(flows_differ(&a, &b));
	}
	if (s->flows > 1) {
		spec_nth_flow(s, s->flows - 2, &a);
		spec_nth_flow(s, s->flows - 1, &b);
		MUST(flows_differ(&a, &b));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_spec s;
	char err[SPEC_ERR_LEN];
	char *text;
	int ret;

	if (size > 4096)
		return 0;
	text = fuzz_cstring(data, size);
	err[0] = 0;
	ret = spec_parse(text, &s, err, sizeof(err));
	if (ret) {
		MUST(ret == -EINVAL || ret == -ENOMEM || ret == -ERANGE);
		MUST(err[0] && memchr(err, 0, sizeof(err)));
		MUST(fuzz_printable(err));
	} else {
		check_spec(&s);
	}
	free(text);
	return 0;
}
