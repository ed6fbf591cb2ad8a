/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching and detaching one instance (flowstat on one interface): load
 * the BPF objects, attach XDP (libxdp) and/or tc (tcx, else clsact), pin
 * the maps, links and meta (layout in pin.h); and the reverse. These
 * functions report their own errors ("attach eth0: ...") and return 0 or
 * a negative errno. They work in the current network namespace.
 */
#ifndef FLOWSTAT_ATTACH_H
#define FLOWSTAT_ATTACH_H

#include <stdbool.h>
#include "instance.h"

enum xdp_mode_req { XDP_REQ_AUTO = 0, XDP_REQ_NATIVE, XDP_REQ_SKB };
enum tc_req { TC_REQ_AUTO = 0, TC_REQ_TCX, TC_REQ_CLSACT };

/* clsact filters flowstat adds; detach removes exactly this one. */
#define FLOWSTAT_TC_HANDLE 0xf105
#define FLOWSTAT_TC_PRIO 0xf105

struct attach_opts {
	const char *netns;	/* --netns name for meta; NULL: caller's */
	enum hook_kind ingress;	/* HOOK_XDP or HOOK_TC */
	bool egress;		/* tc egress too */
	enum xdp_mode_req mode;
	enum tc_req tc;		/* auto: tcx where the kernel has it */
	__u32 max_flows;
	__u32 cache_slots;	/* 0: attach_default_cache_slots() */
};

/* 4096 per CPU up to 8 possible CPUs, less beyond; power of two, >= 256. */
__u32 attach_default_cache_slots(void);

/*
 * Everything that can be checked before changing anything: the interface
 * exists here, flowstat does not hold it (unless force), no foreign XDP
 * program is on it. Sets *ifindex.
 */
int attach_check(const char *ifname, const struct attach_opts *opts,
		 bool force, int *ifindex);
/*
 * 1 if the instance's hooks are still on its interface (in the current
 * netns), 0 if the pins are stale: the interface (or its namespace) went
 * away, and its ifindex and namespace inode may have been reused since.
 */
int attach_instance_live(const struct instance *inst);
/* Attach to ifname; on success *meta says what was done. */
int iface_attach(const char *ifname, const struct attach_opts *opts,
		 struct flowstat_meta *meta);
/*
 * Remove everything the instance attached and its pins. Enters the
 * instance's network namespace when it is not the current one.
 */
int iface_detach(struct instance *inst);

#endif /* FLOWSTAT_ATTACH_H */
