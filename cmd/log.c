// SPDX-License-Identifier: GPL-2.0
/*
 * The logging room: levels, library message routing, error reports.
 * It also owns the definition of `globals` (declared in commands.h) so that
 * every binary linked with the core (flowstat, flowgen, the C tests) has
 * them, whether or not it has main.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "text.h"
#include "commands.h"
#include "json.h"
#include "log.h"
#include "report.h"

struct globals globals = { .origin_netns = -1 };

static int log_threshold = LOG_WARN;

int log_enabled(enum log_level level)
{
	return (int)level <= log_threshold;
}

/* A message as one line of text: what the user typed is quoted in it. */
static void format_line(char *msg, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(msg, len, fmt, ap);
	text_printable(msg);
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (!log_enabled(level))
		return;
	format_line(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "flowstat: %s\n", msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/*
 * Library lines come with their own "libbpf: " / "libxdp: " prefix and
 * newline; print them as they are, after ours.
 */
static int lib_vprint(enum log_level level, const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return 0;
	fputs("flowstat: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* One level down: a libbpf warning is flowstat info, and so on. */
	enum log_level ours = level == LIBBPF_WARN ? LOG_INFO :
			      level == LIBBPF_INFO ? LOG_DEBUG : LOG_LIB_DEBUG;
	va_list copy;

	if (level == LIBBPF_WARN) {
		va_copy(copy, ap);
		report_lib_remember(fmt, copy);
		va_end(copy);
	}
	return lib_vprint(ours, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	enum log_level ours = level == LIBXDP_WARN ? LOG_INFO :
			      level == LIBXDP_INFO ? LOG_DEBUG : LOG_LIB_DEBUG;
	va_list copy;

	if (level == LIBXDP_WARN) {
		va_copy(copy, ap);
		report_lib_remember(fmt, copy);
		va_end(copy);
	}
	return lib_vprint(ours, fmt, ap);
}

/* The core's messages: errors as the commands report theirs, notes as logs. */
static void core_sink(enum report_level level, const char *msg)
{
	switch (level) {
	case REPORT_ERROR:
		log_error("%s", msg);
		break;
	case REPORT_WARN:
		log_msg(LOG_WARN, "%s", msg);
		break;
	case REPORT_INFO:
		log_msg(LOG_INFO, "%s", msg);
		break;
	default:
		log_msg(LOG_DEBUG, "%s", msg);
	}
}

void log_init(int verbose)
{
	log_threshold = LOG_WARN + verbose;
	report_set_sink(core_sink);
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void log_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	format_line(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (globals.json) {
		struct json_writer w;

		json_init(&w, stdout, false);
		json_object_start(&w);
		json_kv_string(&w, "error", msg);
		json_object_end(&w);
		json_finish(&w);
		return;
	}
	fprintf(stderr, "flowstat: %s\n", msg);
}
