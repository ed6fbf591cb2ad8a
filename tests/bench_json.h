/* SPDX-License-Identifier: GPL-2.0 */
/*
 * make bench, C side: one figure per call, appended as a JSON line to
 * $BENCH_RESULTS (build/bench/results.jsonl by default) and printed, in
 * the format of tests/bench_lib.sh. A NaN value or baseline_value is
 * written as null (a figure that could not be taken).
 */
#ifndef FLOWSTAT_BENCH_JSON_H
#define FLOWSTAT_BENCH_JSON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static inline void bench_num(FILE *f, double v)
{
	if (isnan(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static inline void bench_record(const char *name, double value,
				const char *unit, const char *baseline,
				double baseline_value)
{
	const char *path = getenv("BENCH_RESULTS");
	FILE *f = fopen(path && *path ? path : "build/bench/results.jsonl",
			"a");

	if (f) {
		fprintf(f, "{\"name\":\"%s\",\"value\":", name);
		bench_num(f, value);
		fprintf(f, ",\"unit\":\"%s\",\"baseline\":", unit);
		if (baseline)
			fprintf(f, "\"%s\",\"baseline_value\":", baseline);
		else
			fputs("null,\"baseline_value\":", f);
		bench_num(f, baseline ? baseline_value : NAN);
		fputs("}\n", f);
		fclose(f);
	} else {
		perror("bench: results");
	}
	printf("  %-36s %14.6g %-10s", name, value, unit);
	if (baseline)
		printf(" (baseline %s: %.6g)", baseline, baseline_value);
	putchar('\n');
	fflush(stdout);
}

#endif
