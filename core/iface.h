/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interfaces through libnl-3 (route): name <-> index, state, the kernel's
 * own rx/tx counters, and the tc filters on a clsact hook. Everything here
 * works in the caller's current network namespace (a netlink socket
 * belongs to the namespace it was made in, so each call makes its own).
 */
#ifndef FLOWSTAT_IFACE_H
#define FLOWSTAT_IFACE_H

#include <stdbool.h>
#include <net/if.h>
#include <linux/types.h>

struct iface_counters {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 rx_dropped, tx_dropped;
	__u64 rx_errors, tx_errors;
};

struct iface_info {
	int ifindex;
	char name[IF_NAMESIZE];
	bool up;		/* IFF_UP */
	bool running;		/* IFF_RUNNING (carrier) */
	struct iface_counters kernel;
};

/* By name or (name NULL or "") by index. 0, -ENODEV, or negative errno. */
int iface_get(const char *name, int ifindex, struct iface_info *info);
/* The kernel's rx/tx packet and byte counters of an interface. */
int iface_kernel_counters(int ifindex, struct iface_counters *out);
/* Number of tc filters on the clsact ingress or egress hook (>= 0). */
int iface_tc_filter_count(int ifindex, bool egress);
/*
 * For an interface that is not in the current namespace: the name of a
 * /run/netns namespace that has one by this name. 0 found, -ENOENT not.
 */
int iface_find_netns(const char *name, char *netns, size_t len);

/*
 * Link events of one network namespace (the one current when opened):
 * a netlink socket on the link group, read without blocking. Each poll
 * calls fn for every link that changed, with info NULL when it went away
 * (deleted, or moved to another namespace). -ENOBUFS from a poll: events
 * were lost, look at every link again.
 */
struct iface_monitor;
typedef void (*iface_event_fn)(int ifindex, const struct iface_info *info,
			       void *ctx);
int iface_monitor_open(struct iface_monitor **out);
int iface_monitor_poll(struct iface_monitor *m, iface_event_fn fn, void *ctx);
void iface_monitor_close(struct iface_monitor *m);

#endif /* FLOWSTAT_IFACE_H */
