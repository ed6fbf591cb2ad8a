/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interfaces a long-running process (top, the agent) was asked to
 * watch: it attaches those flowstat does not hold yet, and detaches on
 * its way out only what it attached itself, by identity, so that an
 * instance someone detached and attached again meanwhile stays theirs.
 * An owned attach (attach.h) dies with the process however it dies; a
 * persistent one (the agent's --persist) outlives it and is never
 * detached here.
 */
#ifndef FLOWSTAT_HOLDSET_H
#define FLOWSTAT_HOLDSET_H

#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include "attach.h"
#include "snapshot.h"

struct held_iface {
	char ifname[IF_NAMESIZE];
	bool mine;		/* this process attached it */
	struct attach_hold hold;	/* owned attaches: the links */
	struct flowstat_meta meta;
};

struct holdset {
	struct held_iface *list;
	int n;
	const char *cmd;	/* for messages: "top", "agent" */
	struct attach_opts opts;	/* how to attach (owned or not) */
};

/* opts->netns is where the interfaces are; opts->owned as wanted. */
void holdset_init(struct holdset *hs, const char *cmd,
		  const struct attach_opts *opts);
/*
 * Attach every named interface flowstat does not hold yet, all or none:
 * on an error, what this call attached is detached again. Names given
 * twice are an error (-EINVAL). Stops early when *stop becomes non-zero.
 * 0 or -errno (reported).
 */
int holdset_attach(struct holdset *hs, char *const *ifnames, int n,
		   volatile sig_atomic_t *stop);
/* Detach what this process attached (owned or not) and forget it. */
void holdset_release(struct holdset *hs, const char *ifname);
/* Detach what this process attached, owned attaches only; free. */
void holdset_free(struct holdset *hs);
/*
 * How long an instance is shown gone before it is removed: every reader
 * that scans at least this often gets to say that it went.
 */
#define HOLDSET_GONE_GRACE_S 3.0

/*
 * Once per snapshot, for the long-running readers: an instance that s
 * has shown gone for HOLDSET_GONE_GRACE_S (its interface deleted, or moved
 * to another namespace, where flowstat does not follow it) is stale, and
 * is removed, pins and
 * all, whoever attached it; what this process attached, it also lets go
 * of (its links would keep the hooks on a moved interface). And a held
 * instance that someone else removed or replaced meanwhile has its links
 * closed. Never blocks: while an attach or detach runs, it does nothing
 * (the next snapshot tries again). removed(r, err, ctx) for each gone
 * instance: err 0 when it removed it, -ENOENT when someone else had,
 * else -errno (reported).
 */
void holdset_tidy(struct holdset *hs, const struct snapshot *s,
		  void (*removed)(const struct iface_rec *r, int err,
				  void *ctx), void *ctx);
/* Whether ifname is in the set. */
bool holdset_has(const struct holdset *hs, const char *ifname);

#endif /* FLOWSTAT_HOLDSET_H */
