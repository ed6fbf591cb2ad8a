/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An instance is flowstat attached to one interface: its pinned maps and
 * the metadata that says how it was attached. attach.c creates instances,
 * everything that reads counters opens them through this interface.
 */
#ifndef FLOWSTAT_INSTANCE_H
#define FLOWSTAT_INSTANCE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "flowstat.h"
#include "store.h"

#define FLOWSTAT_MAP_META "meta"
#define FLOWSTAT_MAP_STORE "store"
#define FLOWSTAT_META_VERSION 2
/* Bytes mapped of the match rule sets: whole pages. */
#define MATCH_MAP_BYTES ((sizeof(struct match_sets) + 4095) & ~(size_t)4095)
#define FLOWSTAT_NETNS_LEN 64

enum hook_kind { HOOK_NONE = 0, HOOK_XDP = 1, HOOK_TC = 2 };
enum xdp_kind { XDP_KIND_NONE = 0, XDP_KIND_NATIVE = 1, XDP_KIND_SKB = 2 };
enum tc_kind { TC_KIND_NONE = 0, TC_KIND_TCX = 1, TC_KIND_CLSACT = 2 };

/* attach --sample: none, N (fixed) or auto (the folds set the rate). */
enum sampling_kind { SAMPLING_OFF = 0, SAMPLING_FIXED = 1, SAMPLING_AUTO = 2 };

static inline const char *sampling_name(__u8 kind)
{
	return kind == SAMPLING_AUTO ? "auto" :
	       kind == SAMPLING_FIXED ? "fixed" : "off";
}

/*
 * Who keeps the hooks: a persistent attach leaves them to the kernel and
 * its pins; a process (the live view, the agent) holds them as links
 * that the kernel removes when the process dies, however it dies, and
 * holds the lock of the instance's "owner" folder while it lives.
 */
enum owner_kind { OWNER_PINS = 0, OWNER_PROCESS = 1 };

/* Stored in the pinned one-entry ARRAY map "meta" of each instance. */
struct flowstat_meta {
	__u32 version;		/* FLOWSTAT_META_VERSION */
	__u32 ifindex;
	__u64 netns_ino;	/* inode of the interface's network namespace */
	char ifname[16];
	char netns[FLOWSTAT_NETNS_LEN];	/* --netns name, "" for the caller's */
	__u8 ingress_hook;	/* enum hook_kind */
	__u8 egress_hook;	/* enum hook_kind: HOOK_TC or HOOK_NONE */
	__u8 xdp_mode;		/* enum xdp_kind */
	__u8 tc_kind;		/* enum tc_kind */
	__u8 created_clsact;	/* flowstat added the clsact qdisc */
	__u8 owner;		/* enum owner_kind */
	__u8 xdp_link;		/* XDP through a link (else netlink/libxdp) */
	__u8 sampling;		/* enum sampling_kind (rates: the ctl) */
	__u32 max_flows;
	__u32 cache_slots;
	__u32 prog_id_xdp;
	__u32 prog_id_tc_ingress;
	__u32 prog_id_tc_egress;
	__u32 ns_per_jiffy;	/* the fast path's clock; 0: fast path off */
	__u64 attached_at;	/* Unix time, seconds */
	__u64 instance_id;	/* random: tells one attach from the next */
	__u32 owner_pid;	/* OWNER_PROCESS: the process */
	__u32 link_id_xdp;	/* links held by the owning process */
	__u32 link_id_tc_ingress;
	__u32 link_id_tc_egress;
};

/*
 * An opened instance. The maps of both epochs, the generation word and
 * the store are mapped into memory; lock_fd is the instance folder, whose
 * flock serializes folds (exclusive) against reads (shared).
 */
struct instance {
	char dir[PATH_MAX];	/* the pin folder */
	struct flowstat_meta meta;
	int flows_fd[FLOWSTAT_EPOCHS];
	int totals_fd[FLOWSTAT_EPOCHS];
	int cache_fd[FLOWSTAT_EPOCHS];
	int ctl_fd;
	int sig_fd;		/* the signals' sketches; -1: none */
	int match_fd;
	int store_fd;
	int meta_fd;
	int lock_fd;
	struct flowstat_ctl *ctl;	/* mapped */
	struct match_sets *match;	/* mapped: the match expression */
	void *store_mem;	/* mapped */
	size_t store_size;
	struct store st;
	int reader_slot;	/* registered reader slot, -1 none */
	int reader_fd;		/* the lock that says the reader lives */
};

/*
 * Open every pinned instance (sorted by netns, then ifname). Returns the
 * number opened (>= 0) with *list allocated, or a negative errno.
 */
int instance_open_all(struct instance **list);
/* Open the instance pinned in dir (a pin folder path). */
int instance_open_path(const char *dir, struct instance *inst);
/* Open the instance of one interface (netns "" or NULL: the caller's). */
int instance_open(const char *ifname, const char *netns, struct instance *inst);
/*
 * For removal (detach): like instance_open / instance_open_all but only
 * dir and meta are opened (map fds stay -1), so that an instance whose
 * maps do not match this build's ABI (another flowstat version, a crash
 * half way) can still be found and removed. The two above refuse such an
 * instance with -EPROTO (instance_open_all skips it).
 */
int instance_open_meta(const char *ifname, const char *netns,
		       struct instance *inst);
int instance_open_all_meta(struct instance **list);
void instance_close(struct instance *inst);
void instance_close_all(struct instance *list, int n);
/*
 * Half-made folders: a pin folder whose meta cannot be read (an attach
 * killed before it wrote meta), or one that attach --force set aside and
 * never put back (call under the root lock). All of them (dirs
 * allocated; returns the
 * number or -errno), or whether the one of an interface is (1 yes, 0
 * no, -errno; its path in dir either way).
 */
int instance_halfmade_all(char (**dirs)[PATH_MAX]);
int instance_halfmade_path(__u64 netns_ino, __u32 ifindex, char *dir,
			   size_t len);
/* The pin folder names the same instance as when it was opened? */
bool instance_current(const struct instance *inst);

#endif /* FLOWSTAT_INSTANCE_H */
