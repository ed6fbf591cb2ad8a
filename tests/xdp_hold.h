/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cheap XDP test runs. BPF_PROG_TEST_RUN of an XDP program puts the
 * program into the kernel's XDP dispatcher for the run and takes it out
 * again, and each change of the dispatcher waits for a grace period
 * (synchronize_rcu): two per run, 5-50 ms on a busy VM, where the run
 * itself takes microseconds. A program that is attached in native mode
 * somewhere is in the dispatcher already, so its test runs only count
 * a reference. xdp_hold() attaches the program to a veth of a network
 * namespace of the test process's own (made at the first call), which
 * goes away with the process, however it ends: nothing to clean up.
 *
 * It changes nothing a test observes (the veth is down: no frame reaches
 * the program there). If it fails, the runs are only slower.
 */
#ifndef FLOWSTAT_XDP_HOLD_H
#define FLOWSTAT_XDP_HOLD_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>

/*
 * The ifindex holding the program (for xdp_release), or a negative
 * errno (the caller may go on: slower runs).
 */
static inline int xdp_hold(int prog_fd)
{
	static int netns_made, pairs;
	char cmd[128], name[IFNAMSIZ];
	unsigned int ifindex;

	if (!netns_made) {
		if (unshare(CLONE_NEWNET))
			return -errno;
		netns_made = 1;
	}
	snprintf(name, sizeof(name), "xh%d", pairs);
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s type veth peer name xh%dp >/dev/null 2>&1",
		 name, pairs);
	pairs++;
	if (system(cmd) != 0)
		return -ENODEV;
	ifindex = if_nametoindex(name);
	if (!ifindex)
		return -ENODEV;
	if (bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL))
		return -errno;
	return (int)ifindex;
}

/* Let go of the program xdp_hold() gave ifindex (none if <= 0). */
static inline void xdp_release(int ifindex)
{
	if (ifindex > 0)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
}

#endif /* FLOWSTAT_XDP_HOLD_H */
