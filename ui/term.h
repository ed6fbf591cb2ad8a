/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The terminal: curses setup and teardown, colours (none when NO_COLOR is
 * set or the terminal has none), the locale's character set, and key
 * reading with a timeout. The only place that starts or ends curses.
 */
#ifndef FLOWSTAT_UI_TERM_H
#define FLOWSTAT_UI_TERM_H

#include <stdbool.h>

/* Colour roles; term_attr() turns one into curses attributes. */
enum term_role {
	ROLE_NORMAL, ROLE_TITLE, ROLE_HEADING, ROLE_SELECTED, ROLE_STATUS,
	ROLE_KEY, ROLE_RX, ROLE_TX, ROLE_WARN, ROLE_GRAPH, ROLE_DIM,
	ROLE_SORTED, ROLE_ROLES,
};

/*
 * Start curses on the controlling terminal, or (bench true) on /dev/null
 * with a fixed cols x lines size, for measuring the draw path.
 * 0 or -errno.
 */
int term_init(bool bench, int cols, int lines);
void term_end(void);
bool term_utf8(void);
unsigned long term_attr(enum term_role role);
/* The next draw repaints every cell (Ctrl-L, resize). */
void term_repaint(void);
/* A key (curses code), ERR after timeout_ms without one. */
int term_read_key(int timeout_ms);

#endif /* FLOWSTAT_UI_TERM_H */
