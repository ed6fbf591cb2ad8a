/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the libFuzzer targets: a rule every input must keep. */
#ifndef FLOWSTAT_FUZZ_H
#define FLOWSTAT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUST(cond)                                                         \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                    \
			abort();                                           \
		}                                                          \
	} while (0)

/* Every byte of s printable ASCII (messages are one line of text). */
static inline int fuzz_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* data as a C string (malloc'd; it ends at its first NUL, if any). */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	MUST(s);
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

#endif
