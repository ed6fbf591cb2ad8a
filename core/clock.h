/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The length of a jiffy on the running kernel, asked of the kernel rather
 * than read from its config (which many hosts do not expose): the fast
 * path dates frames from jiffies, an inlined load, instead of a clock
 * call. See clock.c for how.
 */
#ifndef FLOWSTAT_CLOCK_H
#define FLOWSTAT_CLOCK_H

#include <linux/types.h>

/*
 * Nanoseconds per jiffy (1e9 / HZ, rounded as the kernel does). 0 or a
 * negative errno (-ERANGE: an answer no kernel gives).
 */
int clock_ns_per_jiffy(__u32 *ns);

#endif /* FLOWSTAT_CLOCK_H */
