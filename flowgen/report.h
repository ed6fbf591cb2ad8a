/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What flowgen sent, per flow, and its plain and JSON printers: the
 * numbers a test compares flowstat's counts with.
 */
#ifndef FLOWGEN_REPORT_H
#define FLOWGEN_REPORT_H

#include <stdio.h>
#include <linux/types.h>

#include "send.h"
#include "spec.h"

struct gen_result {
	const struct flow_spec *specs;
	size_t nr_specs;
	__u64 **sent;		/* sent[spec][flow]: frames that arrived */
	double seconds;		/* from the first run to the end of the last */
	struct send_stats stats;	/* over all descriptions */
};

void report_plain(FILE *out, const struct gen_result *res);
void report_json(FILE *out, const struct gen_result *res);

#endif
