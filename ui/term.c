// SPDX-License-Identifier: GPL-2.0
/*
 * Terminal setup and key reading for the live view (see term.h).
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>
#include "term.h"

static struct {
	SCREEN *screen;
	FILE *null_out, *null_in;
	bool utf8;
	bool colour;
	unsigned long attr[ROLE_ROLES];
} term;

/* Roles without colour: attributes alone keep them apart. */
static void mono_attrs(void)
{
	term.attr[ROLE_TITLE] = A_BOLD;
	term.attr[ROLE_HEADING] = A_REVERSE;
	term.attr[ROLE_SELECTED] = A_REVERSE | A_BOLD;
	term.attr[ROLE_STATUS] = A_REVERSE;
	term.attr[ROLE_KEY] = A_BOLD;
	term.attr[ROLE_WARN] = A_BOLD;
	term.attr[ROLE_SORTED] = A_UNDERLINE | A_BOLD;
	term.attr[ROLE_DIM] = A_DIM;
}

static void colour_attrs(void)
{
	static const short pairs[][3] = {
		{ ROLE_HEADING, COLOR_BLACK, COLOR_CYAN },
		{ ROLE_SELECTED, COLOR_BLACK, COLOR_YELLOW },
		{ ROLE_STATUS, COLOR_BLACK, COLOR_CYAN },
		{ ROLE_KEY, COLOR_CYAN, -1 },
		{ ROLE_RX, COLOR_GREEN, -1 },
		{ ROLE_TX, COLOR_BLUE, -1 },
		{ ROLE_WARN, COLOR_RED, -1 },
		{ ROLE_GRAPH, COLOR_GREEN, -1 },
		{ ROLE_SORTED, COLOR_BLACK, COLOR_WHITE },
	};
	size_t i;

	start_color();
	use_default_colors();
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		init_pair((short)(i + 1), pairs[i][1], pairs[i][2]);
		term.attr[pairs[i][0]] = COLOR_PAIR(i + 1);
	}
	term.attr[ROLE_TITLE] = A_BOLD;
	term.attr[ROLE_SELECTED] |= A_BOLD;
	term.attr[ROLE_KEY] |= A_BOLD;
	term.attr[ROLE_WARN] |= A_BOLD;
	term.attr[ROLE_DIM] = A_DIM;
}

/* NO_COLOR (no-color.org): present and not empty means no colour. */
static bool want_colour(void)
{
	const char *nc = getenv("NO_COLOR");

	return !(nc && nc[0]) && has_colors();
}

static int open_screen(bool bench, int cols, int lines)
{
	char num[16];

	if (!bench) {
		term.screen = newterm(NULL, stdout, stdin);
		return term.screen ? 0 : -ENOTTY;
	}
	snprintf(num, sizeof(num), "%d", cols);
	setenv("COLUMNS", num, 1);
	snprintf(num, sizeof(num), "%d", lines);
	setenv("LINES", num, 1);
	term.null_out = fopen("/dev/null", "w");
	/* cppcheck-suppress incompatibleFileOpen ; newterm's input: read */
	term.null_in = fopen("/dev/null", "r");
	if (!term.null_out || !term.null_in)
		return -errno;
	term.screen = newterm(getenv("TERM") ? NULL : "xterm-256color",
			      term.null_out, term.null_in);
	return term.screen ? 0 : -ENOTTY;
}

int term_init(bool bench, int cols, int lines)
{
	int err;

	setlocale(LC_ALL, "");
	term.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	err = open_screen(bench, cols, lines);
	if (err) {
		term_end();
		return err;
	}
	set_escdelay(25);	/* Esc clears the filter: no long wait */
	cbreak();		/* Ctrl-C stays a signal: one exit path */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	memset(term.attr, 0, sizeof(term.attr));
	term.colour = want_colour();
	if (term.colour)
		colour_attrs();
	else
		mono_attrs();
	return 0;
}

void term_end(void)
{
	if (term.screen) {
		curs_set(1);
		endwin();
		delscreen(term.screen);
		term.screen = NULL;
	}
	if (term.null_out)
		fclose(term.null_out);
	if (term.null_in)
		fclose(term.null_in);
	term.null_out = term.null_in = NULL;
}

bool term_utf8(void)
{
	return term.utf8;
}

unsigned long term_attr(enum term_role role)
{
	return term.attr[role];
}

void term_repaint(void)
{
	clearok(curscr, TRUE);
}

int term_read_key(int timeout_ms)
{
	timeout(timeout_ms < 0 ? 0 : timeout_ms);
	return getch();
}
