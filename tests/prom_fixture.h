/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One fixed exposition input, shared by prom_test (rendered and compared
 * with tests/data/metrics.expected) and http_test --serve (scraped by a
 * real Prometheus in tests/test_prom.sh): the two check the same bytes.
 */
#ifndef FLOWSTAT_PROM_FIXTURE_H
#define FLOWSTAT_PROM_FIXTURE_H

#include "prom.h"

static const struct prom_agent fixture_agent = {
	.version = "0.1-test",
	.start_time_s = 1700000000,
	.scrapes = 42,
};

static const struct prom_iface fixture_ifs[] = {
	{
		.ifname = "veth0",
		.dir = {
			[PROM_INGRESS] = { 1000, 98000, 3, 294, 0, 0, 120, 11760, 7 },
			[PROM_EGRESS] = { 500, 49000, 0, 0, 40, 3920, 20, 1960, 2 },
		},
		.active_flows = 12,
		.max_flows = 65536,
		.folds = 9,
		.table_full = 3,
		.fast_hits = 700,
		.sampling_rate = 1,
		.has_kernel = 1,
		.kernel = { 1005, 98490, 1, 0, 502, 49196, 0, 4 },
		/* a port scan and a SYN flood alerting, by enum sig_kind */
		.has_signals = 1,
		.sig_value = { 12, 250, 1000, 1, 3 },
		.sig_threshold = { 2000, 200, 100, 100, 0 },
		.sig_alerts = { 0, 1, 1, 0, 0 },
		.sig_host = { "", "2001:db8::7", "192.0.2.44", "", "" },
	},
	{
		/* in a namespace, no kernel counters, counters at their top */
		.ifname = "eth1",
		.netns = "h1",
		.dir = {
			[PROM_INGRESS] = { 18446744073709551615ULL,
					   18446744073709551614ULL, 0, 0, 0, 0,
					   0, 0, 0 },
			[PROM_EGRESS] = { 1, 64, 1, 64, 0, 0, 0, 0, 0 },
		},
		.active_flows = 0,
		.max_flows = 1024,
		.sampling_rate = 8,
	},
};

static const struct prom_export fixture_ex[] = {
	{ .target = "192.0.2.10:4739", .messages = 10, .records = 200,
	  .send_errors = 1 },
};

/*
 * Label values that need escaping: quote, backslash, newline, a byte that
 * is not UTF-8; valid 2- and 4-byte UTF-8 and a 3-byte sequence cut
 * short. prom_test checks the text, test_prom.sh what Prometheus reads.
 */
static const struct prom_iface fixture_odd_iface = {
	.ifname = "a\"b\\c\nd\xff",
	.netns = "ns-\xc3\xa9-\xf0\x9f\x98\x80-\xe2\x82",
	.max_flows = 5,
};

static const struct prom_export fixture_odd_ex = { .target = "c\"o\\l" };

#define FIXTURE_NIFS (int)(sizeof(fixture_ifs) / sizeof(fixture_ifs[0]))
#define FIXTURE_NEX (int)(sizeof(fixture_ex) / sizeof(fixture_ex[0]))

static inline int fixture_render(struct http_body *out)
{
	return prom_render(out, &fixture_agent, fixture_ifs, FIXTURE_NIFS,
			   fixture_ex, FIXTURE_NEX);
}

static inline int fixture_render_odd(struct http_body *out)
{
	static const struct prom_agent agent = { .start_time_s = 1 };

	return prom_render(out, &agent, &fixture_odd_iface, 1, &fixture_odd_ex,
			   1);
}

#endif /* FLOWSTAT_PROM_FIXTURE_H */
