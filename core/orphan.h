/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Orphans: flowstat programs on an interface that no pinned instance
 * claims, and the half-made pin folder an attach killed before it wrote
 * meta leaves. A process killed half way through a persistent attach, or
 * a clsact filter of a process that owned it (clsact has no links),
 * leaves them. status lists them, detach removes them, attach replaces
 * them.
 * A program is flowstat's by its name; it is an orphan when no instance's
 * meta names its id, nor a live process holds its link (a live view whose
 * pins are in a bpffs of its own). Only a process that sees the host's
 * bpffs can tell: elsewhere nothing is an orphan. Everything here works
 * in the current network namespace, and removes only what it found (by
 * program id).
 */
#ifndef FLOWSTAT_ORPHAN_H
#define FLOWSTAT_ORPHAN_H

#include <limits.h>
#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

struct orphan {
	char ifname[IF_NAMESIZE];
	int ifindex;
	__u64 netns_ino;
	char netns[64];		/* its /run/netns name; "" the current one */
	__u32 xdp_prog;		/* 0: none */
	__u32 xdp_mode;		/* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	__u32 xdp_link;		/* the link holding it, 0: netlink attach */
	__u32 tcx_prog[2];	/* ingress, egress */
	__u32 tcx_link[2];
	__u32 clsact_prog[2];
	char pins[PATH_MAX];	/* a half-made pin folder, "" none */
};

/* Is prog_id a flowstat program that no instance claims? */
bool orphan_prog_unpinned(__u32 prog_id);
/* The orphans on one interface; 1 found, 0 none, or -errno. */
int orphan_scan_iface(int ifindex, struct orphan *o);
/* Remove what o found (only while it is still there). 0 or -errno. */
int orphan_remove(const struct orphan *o);
/* Scan and remove on one interface. 0 or -errno. */
int orphan_remove_iface(int ifindex);
/*
 * Every orphan in the current network namespace, and with all_netns in
 * every namespace of /run/netns too. Returns the number (list allocated)
 * or -errno.
 */
int orphan_list(bool all_netns, struct orphan **list);
/* Enter o's namespace (if it is not the current one) and remove it. */
int orphan_remove_in_netns(const struct orphan *o);
/*
 * Find these programs wherever they are (this and every named
 * namespace: an interface moved to another namespace takes its XDP
 * program along) and remove them. The caller vouches that they are
 * flowstat's and that no pins claim them (a detach that removed their
 * instance's pins): they are found by id, not by the pins this process
 * sees, which in a mount namespace of its own (a container, a
 * pivot_root) may not be the host's, and then claim everything. 0 or
 * -errno.
 */
int orphan_remove_progs(const __u32 *ids, int n);

#endif /* FLOWSTAT_ORPHAN_H */
