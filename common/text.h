/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace only. Messages quote what the user typed; a control or
 * non-ASCII byte in it must not reach a terminal as it is (escape
 * sequences) nor break a one-line message: each becomes '?'.
 */
#ifndef FLOWSTAT_TEXT_H
#define FLOWSTAT_TEXT_H

static inline void text_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

#endif
