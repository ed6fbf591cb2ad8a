/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reverse DNS for the live view, never blocking it: a lookup answers
 * from a cache at once, or queues the address for a worker thread and
 * answers "not yet" (the next draw shows the name). No curses here.
 */
#ifndef FLOWSTAT_UI_RDNS_H
#define FLOWSTAT_UI_RDNS_H

#include <stdbool.h>
#include <stddef.h>

/* Start the worker (once; later calls do nothing). 0 or -errno. */
int rdns_start(void);
/*
 * The name of addr (4 bytes for IPv4, 16 for IPv6) into name: true if
 * known. False while it is looked up, or when it has no name.
 */
bool rdns_name(const unsigned char *addr, bool v6, char *name, size_t len);

#endif /* FLOWSTAT_UI_RDNS_H */
