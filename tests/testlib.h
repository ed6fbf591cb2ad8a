/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small test harness for the C suites: checks report every failure
 * and keep going; each case prints "ok - NAME" or "not ok - NAME" (the
 * convention tests/run.sh counts).
 */
#ifndef FLOWSTAT_TESTLIB_H
#define FLOWSTAT_TESTLIB_H

#include <stdio.h>
#include <stdarg.h>

static int tl_case_failed, tl_passed, tl_failed;
static char tl_case_name[256];

static inline void tl_begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tl_case_name, sizeof(tl_case_name), fmt, ap);
	va_end(ap);
	tl_case_failed = 0;
}

static inline void tl_end(void)
{
	if (tl_case_failed) {
		tl_failed++;
		printf("not ok - %s\n", tl_case_name);
	} else {
		tl_passed++;
		printf("ok - %s\n", tl_case_name);
	}
	fflush(stdout);
}

static inline void tl_skip(const char *why)
{
	printf("ok - %s # SKIP %s\n", tl_case_name, why);
	fflush(stdout);
}

/* Exit status for main(): non-zero when any case failed. */
static inline int tl_exit(void)
{
	printf("# %d passed, %d failed\n", tl_passed, tl_failed);
	return tl_failed ? 1 : 0;
}

#define CHECK(cond, fmt, ...)                                              \
	do {                                                               \
		if (!(cond)) {                                             \
			printf("#   %s:%d: %s: " fmt "\n", __FILE__,         \
			       __LINE__, tl_case_name, ##__VA_ARGS__);     \
			tl_case_failed = 1;                                \
		}                                                          \
	} while (0)

#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		unsigned long long _a = (a), _b = (b);                     \
		CHECK(_a == _b, "%s == %llu, expected %s == %llu", #a, _a, \
		      #b, _b);                                             \
	} while (0)

#endif /* FLOWSTAT_TESTLIB_H */
