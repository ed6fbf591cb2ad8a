// SPDX-License-Identifier: GPL-2.0
/*
 * The security signals' arithmetic (core/signals.c): the HyperLogLog
 * estimator's accuracy at 1k, 10k and 100k distinct (with the registers
 * the data plane uses and with a large sketch), duplicates not counted,
 * thresholds parsed, and alerts from a snapshot naming the right host.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "sighash.h"
#include "signals.h"
#include "snapshot.h"
#include "testlib.h"

/* Mean relative error of the estimate of n distinct over runs sketches. */
static double hll_error(int p, int n, int runs, int dups)
{
	__u8 *regs = calloc(1 << p, 1);
	double sum = 0;
	int r, i, d;

	for (r = 0; r < runs; r++) {
		memset(regs, 0, 1 << p);
		for (i = 0; i < n; i++)
			for (d = 0; d <= dups; d++)
				hll_add(regs, p, sig_mix((__u64)r << 40 | i));
		sum += hll_estimate(regs, p) / n - 1;
	}
	free(regs);
	return sum / runs;
}

static void test_hll(void)
{
	static const int ns[] = { 1000, 10000, 100000 };
	__u8 regs[64] = { 0 };
	unsigned int i;
	double e;

	tl_begin("hll: an empty sketch estimates 0, one element 1");
	CHECK(hll_estimate(regs, 6) == 0, "%f", hll_estimate(regs, 6));
	hll_add(regs, 6, sig_mix(7));
	hll_add(regs, 6, sig_mix(7));
	e = hll_estimate(regs, 6);
	CHECK(fabs(e - 1) < 0.05, "one element: %f", e);
	tl_end();

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		/* 1.6% standard error: 5 sketches' mean within 3% */
		tl_begin("hll: 4096 registers, %d distinct (each 3 times): "
			 "mean of 5 within 3%%", ns[i]);
		e = hll_error(12, ns[i], 5, 2);
		CHECK(fabs(e) < 0.03, "relative error %+.4f", e);
		tl_end();
		/* the data plane's 64 registers: 13% standard error; the
		 * mean of 50 sketches is within a few % */
		tl_begin("hll: 64 registers, %d distinct: mean of 50 within "
			 "5%%", ns[i]);
		e = hll_error(6, ns[i], 50, 0);
		CHECK(fabs(e) < 0.05, "relative error %+.4f", e);
		tl_end();
	}
	tl_begin("hll: 64 registers, 100 distinct: within 30%% each time");
	for (i = 0; i < 20; i++) {
		e = hll_error(6, 100, 1, 0);
		CHECK(fabs(e) < 0.3, "relative error %+.4f", e);
	}
	tl_end();
}

static void test_thresholds(void)
{
	struct sig_thresholds th;

	tl_begin("thresholds: defaults, KIND=N, bad input refused");
	sig_thresholds_default(&th);
	CHECK(th.value[SIG_SCAN_PORTS] == 100, "%f", th.value[SIG_SCAN_PORTS]);
	CHECK(!sig_threshold_parse(&th, "scan_ports=250"), "parse");
	CHECK(th.value[SIG_SCAN_PORTS] == 250, "%f", th.value[SIG_SCAN_PORTS]);
	CHECK(!sig_threshold_parse(&th, "fan_in=0"), "off");
	CHECK(th.value[SIG_FAN_IN] == 0, "%f", th.value[SIG_FAN_IN]);
	CHECK(sig_threshold_parse(&th, "scan=1") == -EINVAL, "bad name");
	CHECK(sig_threshold_parse(&th, "new_flows=") == -EINVAL, "empty");
	CHECK(sig_threshold_parse(&th, "new_flows=-1") == -EINVAL, "neg");
	CHECK(sig_threshold_parse(&th, "new_flows=1x") == -EINVAL, "junk");
	CHECK(sig_threshold_parse(&th, "half_open") == -EINVAL, "no =");
	tl_end();
}

static void test_alerts(void)
{
	struct iface_rec ir = { 0 };
	struct snapshot s = { .interval = 2, .ifaces = &ir, .n_ifaces = 1 };
	struct sig_thresholds th;
	struct sig_alert a[8];
	char text[128];
	int n;

	tl_begin("alerts: the suspects over threshold, named, largest first");
	sig_thresholds_default(&th);
	ir.sig.valid = 1;
	ir.sig.window_s = 1;
	ir.sig.new_records = 10;	/* 5/s: quiet */
	ir.sig.n_top[SIG_SCAN_PORTS] = 2;
	inet_pton(AF_INET, "192.0.2.7", ir.sig.top[SIG_SCAN_PORTS][0].addr);
	ir.sig.top[SIG_SCAN_PORTS][0].ethertype = 0x0800;
	ir.sig.top[SIG_SCAN_PORTS][0].value = 990;
	ir.sig.top[SIG_SCAN_PORTS][1].ethertype = 0x0800;
	ir.sig.top[SIG_SCAN_PORTS][1].value = 3;
	n = signals_alerts(&s, &th, a, 8);
	CHECK(n == 1, "%d alerts", n);
	if (n == 1) {
		sig_alert_text(&a[0], text, sizeof(text));
		CHECK(!strcmp(text, "port scan from 192.0.2.7: 990 ports "
			      "(threshold 100)"), "'%s'", text);
	}
	ir.sig.untracked_flows = 3000;	/* a full table's spike */
	n = signals_alerts(&s, &th, a, 8);
	CHECK(n == 2 && a[0].kind == SIG_NEW_FLOWS && a[0].value == 3005,
	      "%d alerts, value %f", n, n ? a[0].value : 0);
	th.value[SIG_NEW_FLOWS] = 0;
	n = signals_alerts(&s, &th, a, 8);
	CHECK(n == 1, "off: %d alerts", n);
	tl_end();
}

int main(void)
{
	test_hll();
	test_thresholds();
	test_alerts();
	return tl_exit();
}
