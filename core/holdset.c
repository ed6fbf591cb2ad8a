// SPDX-License-Identifier: GPL-2.0
/* The interfaces a long-running process holds: see holdset.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "holdset.h"
#include "report.h"
#include "pin.h"

void holdset_init(struct holdset *hs, const char *cmd,
		  const struct attach_opts *opts)
{
	memset(hs, 0, sizeof(*hs));
	hs->cmd = cmd;
	hs->opts = *opts;
}

bool holdset_has(const struct holdset *hs, const char *ifname)
{
	int i;

	for (i = 0; i < hs->n; i++)
		if (!strcmp(hs->list[i].ifname, ifname))
			return true;
	return false;
}

/* Held: attached, and its hooks are still there (not stale pins). */
static bool held(const char *ifname, const char *netns)
{
	struct instance inst;
	bool live;

	if (instance_open_meta(ifname, netns, &inst))
		return false;
	live = attach_instance_live(&inst) > 0;
	instance_close(&inst);
	return live;
}

static int release_one(struct holdset *hs, struct held_iface *h)
{
	int err;

	if (!h->mine)
		return 0;
	if (hs->opts.owned) {
		err = attach_release(&h->hold, &h->meta);
	} else {
		struct instance inst;

		/* a persistent attach: detach it only while it is ours */
		err = instance_open_meta(h->ifname, hs->opts.netns, &inst);
		if (err == -ENOENT)
			err = 0;
		else if (!err) {
			if (inst.meta.instance_id == h->meta.instance_id)
				err = iface_detach(&inst);
			instance_close(&inst);
		}
	}
	if (err)
		report_error("%s: detach %s: %s", hs->cmd, h->ifname,
			  strerror(-err));
	h->mine = false;
	return err;
}

static void drop_from(struct holdset *hs, int from)
{
	int i, lock = -1;

	for (i = from; i < hs->n; i++) {
		if (hs->list[i].mine && lock < 0)
			lock = pin_lock(true);
		release_one(hs, &hs->list[i]);
	}
	pin_unlock(lock);
	hs->n = from;
}

/* Names given once, not held already, and each free to attach. */
static int check_all(struct holdset *hs, char *const *ifnames, int n)
{
	int i, j, ifindex, err;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(ifnames[i], ifnames[j])) {
				report_error("%s: interface given twice '%s'",
					  hs->cmd, ifnames[i]);
				return -EINVAL;
			}
		if (strlen(ifnames[i]) >= IF_NAMESIZE) {
			report_error("%s: interface name too long '%s'", hs->cmd,
				  ifnames[i]);
			return -EINVAL;
		}
		if (holdset_has(hs, ifnames[i]) ||
		    held(ifnames[i], hs->opts.netns))
			continue;
		err = attach_check(ifnames[i], &hs->opts, false, &ifindex);
		if (err)
			return err;
	}
	return 0;
}

int holdset_attach(struct holdset *hs, char *const *ifnames, int n,
		   volatile sig_atomic_t *stop)
{
	struct held_iface *grown;
	int i, err, lock, first = hs->n;

	if (!n)
		return 0;
	grown = realloc(hs->list, (hs->n + n) * sizeof(*grown));
	if (!grown) {
		report_error("%s: out of memory", hs->cmd);
		return -ENOMEM;
	}
	hs->list = grown;
	attach_reap();
	lock = attach_lock(hs->cmd, hs->opts.owned);
	if (lock < 0)
		return lock;
	err = check_all(hs, ifnames, n);
	for (i = 0; i < n && !err && !(stop && *stop); i++) {
		struct held_iface *h = &hs->list[hs->n];

		if (holdset_has(hs, ifnames[i]))
			continue;
		memset(h, 0, sizeof(*h));
		snprintf(h->ifname, sizeof(h->ifname), "%s", ifnames[i]);
		hs->n++;
		if (held(ifnames[i], hs->opts.netns))
			continue;
		err = iface_attach(ifnames[i], &hs->opts, &h->meta,
				   hs->opts.owned ? &h->hold : NULL);
		if (err)
			hs->n--;
		else
			h->mine = true;
	}
	pin_unlock(lock);
	if (err)
		drop_from(hs, first);
	return err;
}

static void forget(struct holdset *hs, int i)
{
	memmove(&hs->list[i], &hs->list[i + 1],
		(hs->n - i - 1) * sizeof(*hs->list));
	hs->n--;
}

void holdset_release(struct holdset *hs, const char *ifname)
{
	int i, lock;

	for (i = 0; i < hs->n; i++) {
		if (strcmp(hs->list[i].ifname, ifname))
			continue;
		lock = hs->list[i].mine ? pin_lock(true) : -1;
		release_one(hs, &hs->list[i]);
		pin_unlock(lock);
		forget(hs, i);
		return;
	}
}

static int held_by_id(const struct holdset *hs, __u64 instance_id)
{
	int i;

	for (i = 0; i < hs->n; i++)
		if (hs->list[i].mine &&
		    hs->list[i].meta.instance_id == instance_id)
			return i;
	return -1;
}

/*
 * Remove the pinned instance with this id, whoever attached it; -ENOENT
 * when there is none (someone removed it first).
 */
static int detach_by_id(__u64 instance_id)
{
	struct instance *list;
	int n = instance_open_all_meta(&list), i, err = -ENOENT;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (list[i].meta.instance_id == instance_id) {
			err = iface_detach(&list[i]);
			break;
		}
	instance_close_all(list, n);
	return err;
}

static int remove_gone(struct holdset *hs, __u64 instance_id)
{
	int i = held_by_id(hs, instance_id), err;

	if (i >= 0 && hs->opts.owned)
		err = release_one(hs, &hs->list[i]);
	else
		err = detach_by_id(instance_id);
	if (i >= 0)
		forget(hs, i);
	return err;
}

/* Owned attaches whose pins are no longer theirs: close the links. */
static void drop_replaced(struct holdset *hs)
{
	struct instance inst;
	int i;

	if (!hs->opts.owned)
		return;
	for (i = hs->n - 1; i >= 0; i--) {
		const struct attach_hold *hold = &hs->list[i].hold;

		if (!hs->list[i].mine)
			continue;
		snprintf(inst.dir, sizeof(inst.dir), "%s", hold->dir);
		inst.meta.instance_id = hold->instance_id;
		if (instance_current(&inst))
			continue;
		release_one(hs, &hs->list[i]);
		forget(hs, i);
	}
}

void holdset_tidy(struct holdset *hs, const struct snapshot *s,
		  void (*removed)(const struct iface_rec *r, int err,
				  void *ctx), void *ctx)
{
	int i, lock = pin_lock_try(), err;

	if (lock < 0)
		return;
	for (i = 0; s && i < s->n_ifaces; i++) {
		if (s->ifaces[i].present ||
		    s->ifaces[i].gone_s < HOLDSET_GONE_GRACE_S)
			continue;
		err = remove_gone(hs, s->ifaces[i].meta.instance_id);
		if (removed)
			removed(&s->ifaces[i], err, ctx);
	}
	drop_replaced(hs);
	pin_unlock(lock);
}

void holdset_free(struct holdset *hs)
{
	int i;

	/* a persistent attach outlives us; owned ones end with us anyway */
	if (hs->opts.owned)
		drop_from(hs, 0);
	for (i = 0; i < hs->n; i++)
		hs->list[i].mine = false;
	free(hs->list);
	hs->list = NULL;
	hs->n = 0;
}
