/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Drawing the live view from its state: header (one line per interface),
 * the table (only the rows on screen), the footer, and the help and
 * detail overlays. Erase and redraw, never clear: curses sends only what
 * changed, so nothing flickers.
 */
#ifndef FLOWSTAT_UI_DRAW_H
#define FLOWSTAT_UI_DRAW_H

#include "view.h"

#define DRAW_MIN_COLS 60
#define DRAW_MIN_LINES 10

/* Draw everything; sets v->page (table rows on screen). */
void draw_screen(struct view *v);

#endif /* FLOWSTAT_UI_DRAW_H */
