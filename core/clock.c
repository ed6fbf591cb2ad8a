// SPDX-License-Identifier: GPL-2.0
/*
 * HZ at run time, without the kernel's config: the coarse clocks tick
 * with jiffies, and clock_getres() reports their resolution as the tick
 * length (TICK_NSEC, 1e9 / HZ rounded). One call, no BPF program.
 */
#include <errno.h>
#include <time.h>
#include "clock.h"

/* HZ from 10 to 10000 are the ones the fast path believes. */
#define MIN_NS 100000U		/* HZ 10000 */
#define MAX_NS 100000000U	/* HZ 10 */

int clock_ns_per_jiffy(__u32 *ns)
{
	struct timespec res;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res))
		return -errno;
	if (res.tv_sec || res.tv_nsec < MIN_NS || res.tv_nsec > MAX_NS)
		return -ERANGE;
	*ns = (__u32)res.tv_nsec;
	return 0;
}
