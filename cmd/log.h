/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging: three levels (warn, info, debug), raised by -v. libbpf and
 * libxdp messages go through here one level down, so their warnings show
 * with -v and their debug chatter with -vvv. Errors are reported once, by
 * the code that knows the context, with log_error(): one line on stderr,
 * or a JSON error object on stdout when globals.json is set.
 */
#ifndef FLOWSTAT_LOG_H
#define FLOWSTAT_LOG_H

enum log_level {
	LOG_WARN = 0,	/* always shown */
	LOG_INFO = 1,	/* -v */
	LOG_DEBUG = 2,	/* -vv */
	LOG_LIB_DEBUG = 3,	/* -vvv: library debug output */
};

/* Set the level from the -v count and route libbpf/libxdp output. */
void log_init(int verbose);
int log_enabled(enum log_level level);

/* "flowstat: " + message + newline on stderr, if level is enabled. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Report an error, once, at the place that knows its context:
 *   plain: "flowstat: attach eth0: ...\n" on stderr
 *   JSON:  {"error":"attach eth0: ..."} on stdout
 * The message has no trailing newline and no "flowstat: " prefix.
 */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* FLOWSTAT_LOG_H */
