/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attaching and detaching one instance (flowstat on one interface): load
 * the data plane (dataplane.h), attach XDP and/or tc (tcx, else clsact),
 * pin the maps, the store, links and meta (layout in pin.h); and the
 * reverse. These functions report their own errors ("attach eth0: ...")
 * and return 0 or a negative errno. They work in the current network
 * namespace.
 *
 * Two kinds of attach. A persistent one (flowstat attach) outlives the
 * process: XDP through libxdp, tcx links pinned. An owned one (the live
 * view, the agent) lives as long as the process: XDP and tcx through
 * links the process holds, so the kernel detaches them when it dies
 * however it dies; only clsact, which has no links (kernels before 6.6
 * have no tcx), can outlive it, and is then found as an orphan.
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

/* Program names: how an orphan (a program without pins) is known. */
#define XDP_PROG_NAME "flowstat_xdp"
#define TC_IN_PROG_NAME "flowstat_tc_ing"	/* names are cut at 15 */
#define TC_EG_PROG_NAME "flowstat_tc_egr"

struct attach_opts {
	const char *netns;	/* --netns name for meta; NULL: caller's */
	enum hook_kind ingress;	/* HOOK_XDP or HOOK_TC */
	bool egress;		/* tc egress too */
	enum xdp_mode_req mode;
	enum tc_req tc;		/* auto: tcx where the kernel has it */
	__u32 max_flows;
	__u32 cache_slots;	/* 0: dp_default_cache_slots() */
	bool owned;		/* hooks held by this process (see above) */
	__u32 sample;		/* 1 in N frames get flow entries; 0: all */
	bool sample_auto;	/* sample only under table pressure */
	/* the match expression the programs start with; NULL: none */
	const struct match_set *match;
};

/* What an owned attach leaves the process holding. */
struct attach_hold {
	int xdp_link;		/* -1 when none */
	int tc_links[2];	/* tcx ingress, egress */
	int owner_fd;		/* the owner folder's lock */
	char dir[PATH_MAX];
	__u64 instance_id;
};

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
 * away, its ifindex and namespace inode may have been reused since, or
 * the process that owned it died.
 */
int attach_instance_live(const struct instance *inst);
/*
 * Attach to ifname; on success *meta says what was done, and an owned
 * attach fills *hold (which may be NULL otherwise).
 */
int iface_attach(const char *ifname, const struct attach_opts *opts,
		 struct flowstat_meta *meta, struct attach_hold *hold);
/*
 * Undo an owned attach: close the links (the kernel detaches them) and
 * remove the pins, but only while they are still this attach's (someone
 * may have detached and attached again meanwhile). 0 or -errno.
 */
int attach_release(struct attach_hold *hold, const struct flowstat_meta *m);
/*
 * Remove everything the instance attached and its pins. Enters the
 * instance's network namespace when it is not the current one.
 */
int iface_detach(struct instance *inst);

/* An instance set aside by attach --force until the new one is in. */
struct attach_stash {
	char dir[PATH_MAX];	/* its pin folder */
	char stash[PATH_MAX];	/* where the folder waits meanwhile */
	struct flowstat_meta meta;
	int xdp_fd;		/* its programs, held loaded */
	int tc_fd[2];
	bool stashed;
};

/*
 * Take the instance's hooks off but keep its programs and maps, so that
 * a failed --force can put everything back (attach_unstash) and a
 * successful one drops it (attach_stash_drop). -EBUSY: a live process
 * owns it (its links cannot be restored by anyone else).
 */
int attach_stash(struct instance *inst, struct attach_stash *sh);
int attach_unstash(struct attach_stash *sh);
void attach_stash_drop(struct attach_stash *sh);

/*
 * Detach the link with this id if it still runs the program prog (ids
 * are reused only after a long cycle, but checked all the same).
 */
int attach_link_detach(__u32 id, __u32 prog);
/* Remove flowstat's clsact filter, and only if its program is prog. */
int attach_clsact_detach(int ifindex, __u32 prog, bool egress);

/*
 * Make sure the pin root exists and take the attach lock (pin_lock),
 * which every attach and detach holds from its checks to its end; owned:
 * for attaches a process holds (pin_prepare). Returns the lock's fd or a
 * negative errno (reported, as cmd).
 */
int attach_lock(const char *cmd, bool owned);
/*
 * Remove the instances whose owning process died (their pins, and clsact
 * filters, which have no links). Skipped while an attach or detach runs.
 * Returns how many were removed.
 */
int attach_reap(void);

#endif /* FLOWSTAT_ATTACH_H */
