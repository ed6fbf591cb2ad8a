// SPDX-License-Identifier: GPL-2.0
/* The core's messages, handed to the program's sink: see report.h. */
#include <stdio.h>
#include <string.h>
#include "report.h"

static report_sink sink;
static char lib_reason[256];

void report_set_sink(report_sink s)
{
	sink = s;
}

void report(enum report_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!sink)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sink(level, msg);
}

void report_lib_reset(void)
{
	lib_reason[0] = '\0';
}

const char *report_lib_reason(void)
{
	return lib_reason[0] ? lib_reason : NULL;
}

/* The first warning only (the root cause comes before the fallout). */
void report_lib_remember(const char *fmt, va_list ap)
{
	size_t n;

	if (lib_reason[0])
		return;
	vsnprintf(lib_reason, sizeof(lib_reason), fmt, ap);
	n = strlen(lib_reason);
	while (n && (lib_reason[n - 1] == '\n' || lib_reason[n - 1] == ' '))
		lib_reason[--n] = '\0';
}
