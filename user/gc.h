/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aging out idle flows: their counts move into the instance's retired
 * map, so that totals == flows + untracked + retired stays exact.
 */
#ifndef FLOWSTAT_GC_H
#define FLOWSTAT_GC_H

#include <linux/types.h>
#include "instance.h"

struct gc_result {
	__u64 flows;		/* flows removed */
	__u64 packets[FLOW_DIR_MAX];	/* moved into retired */
	__u64 bytes[FLOW_DIR_MAX];
};

/*
 * Remove the flows of inst not seen for idle_ns nanoseconds. Holds an
 * exclusive flock on the instance folder while it works. 0 or -errno.
 */
int gc_instance(struct instance *inst, __u64 idle_ns, struct gc_result *res);

#endif /* FLOWSTAT_GC_H */
