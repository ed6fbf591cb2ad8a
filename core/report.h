/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core never prints. What it has to say (an error with its context,
 * "attach eth0: XDP native mode not supported by driver", or a note)
 * goes to the sink the program installs: the commands route it to their
 * log (plain or JSON, by their options), a test may keep it, and with no
 * sink it is dropped. Functions still return 0 or a negative errno; the
 * message only says more.
 *
 * Library messages: the program's libbpf/libxdp print callback hands
 * their warnings to report_lib_remember(), so that an error can quote
 * the library's reason (report_lib_reason()).
 */
#ifndef FLOWSTAT_REPORT_H
#define FLOWSTAT_REPORT_H

#include <stdarg.h>

enum report_level {
	REPORT_ERROR = 0,	/* an operation failed: why */
	REPORT_WARN = 1,	/* it goes on, but the user should know */
	REPORT_INFO = 2,	/* what it did on its own */
	REPORT_DEBUG = 3,
};

typedef void (*report_sink)(enum report_level level, const char *msg);

void report_set_sink(report_sink sink);
void report(enum report_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define report_error(...) report(REPORT_ERROR, __VA_ARGS__)
#define report_warn(...) report(REPORT_WARN, __VA_ARGS__)
#define report_info(...) report(REPORT_INFO, __VA_ARGS__)

/* The first library warning since report_lib_reset(); NULL if none. */
void report_lib_reset(void);
const char *report_lib_reason(void);
void report_lib_remember(const char *fmt, va_list ap);

#endif /* FLOWSTAT_REPORT_H */
