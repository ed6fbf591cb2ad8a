// SPDX-License-Identifier: GPL-2.0
/*
 * Attach and detach one instance (see attach.h). Attach order: XDP first
 * (libxdp loads its object), then the tc object reusing those maps, then
 * the pins and meta last, so that a failure at any step is undone in
 * reverse and leaves the interface as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "attach.h"
#include "dataplane.h"
#include "flowstat_xdp.skel.h"
#include "iface.h"
#include "report.h"
#include "netns.h"
#include "orphan.h"
#include "pin.h"

/* The 6.1 uapi headers predate tcx. */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

struct attach_state {
	const char *ifname;
	int ifindex;
	char dir[PATH_MAX];
	bool dir_made;
	bool owned;
	struct dataplane dp;
	struct xdp_program *xprog;	/* libxdp, persistent attach */
	int xdp_link;			/* owned attach */
	int tc_links[2];		/* owned tcx: ingress, egress */
	int owner_fd;
	int meta_fd;
	struct flowstat_meta meta;
};

static __u32 prog_id(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	return info.id;
}

static __u32 link_id(int link_fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return 0;
	return info.id;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- checks before anything changes ---- */

/* 1: a program other than held_id is attached at XDP; *desc says which. */
static int xdp_foreign(int ifindex, __u32 held_id, char *desc, size_t len)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p = NULL;
	long err = libxdp_get_error(mp);

	if (err == -ENOENT || (!err && !mp))
		return 0;
	if (err)
		return err;
	if (xdp_multiprog__is_legacy(mp))
		p = xdp_multiprog__main_prog(mp);
	else
		p = xdp_multiprog__next_prog(NULL, mp);
	for (; p; p = xdp_multiprog__is_legacy(mp) ? NULL :
		    xdp_multiprog__next_prog(p, mp)) {
		/* ours: held by the instance, or an orphan to replace */
		if (!strcmp(xdp_program__name(p), XDP_PROG_NAME) &&
		    (xdp_program__id(p) == held_id ||
		     orphan_prog_unpinned(xdp_program__id(p))))
			continue;
		snprintf(desc, len, "'%s' (id %u)", xdp_program__name(p),
			 xdp_program__id(p));
		xdp_multiprog__close(mp);
		return 1;
	}
	xdp_multiprog__close(mp);
	return 0;
}

static void report_missing_iface(const char *ifname)
{
	char ns[64];

	if (!iface_find_netns(ifname, ns, sizeof(ns)))
		report_error("attach %s: no such interface in this network "
			  "namespace; it is in netns '%s' (use --netns %s)",
			  ifname, ns, ns);
	else
		report_error("attach %s: no such interface", ifname);
}

/*
 * 1 if flowstat holds ifname (*held_id: its XDP program id), 0 if not or
 * if the pins there are stale (attach_prepare() replaces them).
 */
static int held_live(const char *ifname, const struct attach_opts *opts,
		     __u32 *held_id)
{
	struct instance inst;
	int live;

	if (instance_open_meta(ifname, opts->netns, &inst))
		return 0;
	live = attach_instance_live(&inst);
	if (live)
		*held_id = inst.meta.prog_id_xdp;
	else
		report_info("attach %s: stale pins in %s (its hooks are gone)",
			ifname, inst.dir);
	instance_close(&inst);
	return live;
}

int attach_check(const char *ifname, const struct attach_opts *opts,
		 bool force, int *ifindex)
{
	struct iface_info info;
	__u32 held_id = 0;
	char desc[64];
	int err;

	err = iface_get(ifname, 0, &info);
	if (err == -ENODEV) {
		report_missing_iface(ifname);
		return err;
	}
	if (err) {
		report_error("attach %s: %s", ifname, strerror(-err));
		return err;
	}
	*ifindex = info.ifindex;
	if (held_live(ifname, opts, &held_id) && !force) {
		report_error("attach %s: flowstat is already attached "
			  "(detach first, or use --force)", ifname);
		return -EEXIST;
	}
	if (opts->ingress != HOOK_XDP)
		return 0;	/* a foreign XDP program is no conflict */
	err = xdp_foreign(info.ifindex, held_id, desc, sizeof(desc));
	if (err > 0) {
		report_error("attach %s: another XDP program %s is attached; "
			  "flowstat will not replace it", ifname, desc);
		return -EBUSY;
	}
	if (err) {
		report_error("attach %s: cannot query XDP: %s", ifname,
			  strerror(-err));
		return err;
	}
	return 0;
}

/* ---- XDP ---- */

/* The libbpf or libxdp line that says why, if there was one. */
static const char *lib_reason(char *buf, size_t len)
{
	const char *why = report_lib_reason();

	if (!why)
		return "";
	snprintf(buf, len, " (%s)", why);
	return buf;
}

static __u32 xdp_flags_of(enum xdp_attach_mode mode)
{
	return mode == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE :
					 XDP_FLAGS_SKB_MODE;
}

/* An owned attach: a link this process holds. */
static int xdp_link_try(struct attach_state *st, enum xdp_attach_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = xdp_flags_of(mode));
	int fd;

	fd = bpf_link_create(dp_prog_fd(&st->dp, 0), st->ifindex, BPF_XDP,
			     &opts);
	if (fd < 0)
		return -errno;
	st->xdp_link = fd;
	st->meta.xdp_link = 1;
	return 0;
}

/* A persistent attach: libxdp, which loads the object itself. */
static int xdp_libxdp_try(struct attach_state *st, enum xdp_attach_mode mode)
{
	long err;

	st->xprog = xdp_program__from_bpf_obj(st->dp.xdp->obj, "xdp");
	err = libxdp_get_error(st->xprog);
	if (err) {
		st->xprog = NULL;
		return err;
	}
	err = xdp_program__attach(st->xprog, st->ifindex, mode, 0);
	if (!err)
		err = dp_load_xdp(&st->dp, true);
	return err;
}

/* One XDP attach in one mode, from a freshly opened object. */
static int xdp_try(struct attach_state *st, enum xdp_attach_mode mode)
{
	int err;

	if (!st->dp.xdp) {
		err = dp_reopen_xdp(&st->dp);
		if (err)
			return err;
	}
	if (st->owned) {
		err = dp_load_xdp(&st->dp, false);
		if (err)
			return err;
		err = xdp_link_try(st, mode);
	} else {
		err = xdp_libxdp_try(st, mode);
	}
	if (err)
		return err;
	st->meta.prog_id_xdp = prog_id(dp_prog_fd(&st->dp, 0));
	st->meta.xdp_mode = mode == XDP_MODE_NATIVE ? XDP_KIND_NATIVE :
						      XDP_KIND_SKB;
	st->meta.ingress_hook = HOOK_XDP;
	return 0;
}

static void xdp_unload(struct attach_state *st)
{
	xdp_program__close(st->xprog);	/* before the object it uses */
	st->xprog = NULL;
	dp_close_xdp(&st->dp);
}

static int xdp_attach(struct attach_state *st, enum xdp_mode_req req)
{
	char why[256];
	int err;

	report_lib_reset();
	if (req != XDP_REQ_SKB) {
		err = xdp_try(st, XDP_MODE_NATIVE);
		if (!err || req == XDP_REQ_NATIVE)
			goto out;
		report_info("attach %s: native XDP failed (%s); trying skb mode",
			st->ifname, strerror(-err));
		xdp_unload(st);
		report_lib_reset();
	}
	err = xdp_try(st, XDP_MODE_SKB);
out:
	if (!err)
		return 0;
	if (err == -EOPNOTSUPP && req == XDP_REQ_NATIVE)
		report_error("attach %s: XDP native mode not supported by driver; "
			  "try --mode skb", st->ifname);
	else
		report_error("attach %s: XDP attach failed: %s%s", st->ifname,
			  strerror(-err), lib_reason(why, sizeof(why)));
	xdp_unload(st);
	return err;
}

/* ---- tc ---- */

static int tcx_attach(struct attach_state *st, int prog_fd, bool egress)
{
	char path[PATH_MAX];
	int fd, err;

	fd = bpf_link_create(prog_fd, st->ifindex,
			     egress ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, NULL);
	if (fd < 0)
		return -errno;
	if (st->owned) {
		st->tc_links[egress] = fd;
		if (egress)
			st->meta.link_id_tc_egress = link_id(fd);
		else
			st->meta.link_id_tc_ingress = link_id(fd);
		return 0;
	}
	err = pin_path(st->dir, egress ? PIN_TCX_EGRESS : PIN_TCX_INGRESS,
		       path, sizeof(path));
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	if (err)
		bpf_link_detach(fd);
	close(fd);	/* the pin keeps the link */
	return err;
}

static int clsact_attach(struct attach_state *st, int prog_fd, bool egress)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = st->ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS :
						     BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWSTAT_TC_HANDLE,
			    .priority = FLOWSTAT_TC_PRIO, .prog_fd = prog_fd);
	int err = bpf_tc_hook_create(&hook);

	/* EEXIST: a clsact qdisc was there already; it is not ours. */
	if (!err)
		st->meta.created_clsact = 1;
	else if (err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

/* One direction: tcx where the kernel has it (EINVAL: it does not). */
static int tc_attach_dir(struct attach_state *st, enum tc_req req,
			 bool egress)
{
	int fd = dp_prog_fd(&st->dp, egress ? 2 : 1), err = -EINVAL;

	if (req != TC_REQ_CLSACT && st->meta.tc_kind != TC_KIND_CLSACT) {
		err = tcx_attach(st, fd, egress);
		if (!err)
			st->meta.tc_kind = TC_KIND_TCX;
		if (!err || req == TC_REQ_TCX || err != -EINVAL)
			goto out;
		report_info("attach %s: no tcx; using clsact", st->ifname);
	}
	err = clsact_attach(st, fd, egress);
	if (!err)
		st->meta.tc_kind = TC_KIND_CLSACT;
out:
	if (err)
		return err;
	if (egress) {
		st->meta.egress_hook = HOOK_TC;
		st->meta.prog_id_tc_egress = prog_id(fd);
	} else {
		st->meta.ingress_hook = HOOK_TC;
		st->meta.prog_id_tc_ingress = prog_id(fd);
	}
	return 0;
}

/* ---- teardown, shared by a failed attach and by detach ---- */

static int tcx_detach(const char *dir, bool egress)
{
	char path[PATH_MAX];
	int fd, err;

	err = pin_path(dir, egress ? PIN_TCX_EGRESS : PIN_TCX_INGRESS, path,
		       sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* Detach even if someone else holds the link open. */
	err = bpf_link_detach(fd) ? -errno : 0;
	close(fd);
	if (unlink(path) && !err)
		err = -errno;
	return err;
}

int attach_clsact_detach(int ifindex, __u32 id, bool egress)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS :
						     BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWSTAT_TC_HANDLE,
			    .priority = FLOWSTAT_TC_PRIO);
	int err = bpf_tc_query(&hook, &opts);

	if (err == -ENOENT || err == -EINVAL || opts.prog_id != id)
		return 0;	/* not there (or not ours): nothing to do */
	if (err)
		return err;
	opts.prog_id = 0;
	opts.prog_fd = 0;
	opts.flags = 0;
	return bpf_tc_detach(&hook, &opts);
}

/* Delete the clsact qdisc we made, unless others' filters are on it. */
static int clsact_remove_qdisc(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int in = iface_tc_filter_count(ifindex, false);
	int eg = iface_tc_filter_count(ifindex, true);

	if (in < 0 || eg < 0)
		return in < 0 ? in : eg;
	if (in || eg) {
		report_info("keeping the clsact qdisc: %d other filters on it",
			in + eg);
		return 0;
	}
	return bpf_tc_hook_destroy(&hook);
}

int attach_link_detach(__u32 id, __u32 prog)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd, err;

	if (!id)
		return 0;
	fd = bpf_link_get_fd_by_id(id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (!err && info.prog_id == prog && bpf_link_detach(fd))
		err = errno == ENOLINK ? 0 : -errno;
	close(fd);
	return err;
}

static int tc_teardown(int ifindex, const char *dir,
		       const struct flowstat_meta *m)
{
	int err = 0, e;

	if (m->tc_kind == TC_KIND_TCX) {
		if (m->owner == OWNER_PROCESS) {
			err = attach_link_detach(m->link_id_tc_egress,
					     m->prog_id_tc_egress);
			e = attach_link_detach(m->link_id_tc_ingress,
					   m->prog_id_tc_ingress);
			return err ? err : e;
		}
		err = tcx_detach(dir, true);
		e = tcx_detach(dir, false);
		return err ? err : e;
	}
	if (m->tc_kind != TC_KIND_CLSACT || !ifindex)
		return 0;
	if (m->egress_hook == HOOK_TC)
		err = attach_clsact_detach(ifindex, m->prog_id_tc_egress, true);
	if (m->ingress_hook == HOOK_TC) {
		e = attach_clsact_detach(ifindex, m->prog_id_tc_ingress, false);
		err = err ? err : e;
	}
	if (m->created_clsact && !err)
		err = clsact_remove_qdisc(ifindex);
	return err;
}

static int xdp_teardown(int ifindex, const struct flowstat_meta *m)
{
	struct xdp_program *p;
	long err;

	if (m->ingress_hook != HOOK_XDP || !m->prog_id_xdp)
		return 0;
	if (m->xdp_link)	/* links need no namespace or ifindex */
		return attach_link_detach(m->link_id_xdp, m->prog_id_xdp);
	if (!ifindex)
		return 0;
	p = xdp_program__from_id(m->prog_id_xdp);
	err = libxdp_get_error(p);
	if (err)	/* the program is gone, and with it the attachment */
		return err == -ENOENT ? 0 : err;
	err = xdp_program__detach(p, ifindex, m->xdp_mode == XDP_KIND_NATIVE ?
				  XDP_MODE_NATIVE : XDP_MODE_SKB, 0);
	xdp_program__close(p);
	/* ENOENT: not attached there (any more); nothing of ours to undo. */
	return err == -ENOENT ? 0 : err;
}

/* Everything, in reverse attach order; the first error is returned. */
static int teardown(int ifindex, const char *dir,
		    const struct flowstat_meta *m)
{
	int err = tc_teardown(ifindex, dir, m);
	int e = xdp_teardown(ifindex, m);

	err = err ? err : e;
	e = pin_remove_dir(dir);
	return err ? err : e;
}

/* ---- pins and meta ---- */

static int meta_write(struct attach_state *st)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int err;

	st->meta_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "flowstat_meta",
				     sizeof(key), sizeof(st->meta), 1, NULL);
	if (st->meta_fd < 0)
		return -errno;
	if (bpf_map_update_elem(st->meta_fd, &key, &st->meta, 0))
		return -errno;
	err = pin_path(st->dir, FLOWSTAT_MAP_META, path, sizeof(path));
	if (!err && bpf_obj_pin(st->meta_fd, path))
		err = -errno;
	return err;
}

static __u64 new_instance_id(void)
{
	__u64 id = 0;

	while (!id)
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (__u64)time(NULL) << 20 ^ (__u64)getpid();
	return id;
}

static int meta_init(struct attach_state *st, const struct attach_opts *o)
{
	struct flowstat_meta *m = &st->meta;
	int err = netns_inode(NULL, &m->netns_ino);

	if (err)
		return err;
	m->version = FLOWSTAT_META_VERSION;
	m->ifindex = st->ifindex;
	snprintf(m->ifname, sizeof(m->ifname), "%s", st->ifname);
	snprintf(m->netns, sizeof(m->netns), "%s", o->netns ? o->netns : "");
	m->max_flows = o->max_flows;
	m->cache_slots = o->cache_slots ? o->cache_slots :
					  dp_default_cache_slots();
	m->sampling = o->sample_auto ? SAMPLING_AUTO :
		      o->sample > 1 ? SAMPLING_FIXED : SAMPLING_OFF;
	m->attached_at = time(NULL);
	m->instance_id = new_instance_id();
	if (o->owned) {
		m->owner = OWNER_PROCESS;
		m->owner_pid = (__u32)getpid();
	}
	return pin_dir(m->netns_ino, st->ifindex, st->dir, sizeof(st->dir));
}

static const char *perm_hint(int err)
{
	return err == -EPERM || err == -EACCES ?
	       " (needs CAP_BPF and CAP_NET_ADMIN)" : "";
}

/* An owned instance: its owner folder, locked while the process lives. */
static int owner_lock(struct attach_state *st)
{
	char path[PATH_MAX];
	int err = pin_path(st->dir, PIN_OWNER, path, sizeof(path));

	if (err)
		return err;
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	st->owner_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->owner_fd < 0)
		return -errno;
	return flock(st->owner_fd, LOCK_EX | LOCK_NB) ? -errno : 0;
}

/* The steps after XDP; each failure reported here, with its step. */
static int attach_rest(struct attach_state *st, const struct attach_opts *o)
{
	const char *step = "load tc programs";
	char why[256];
	int err = 0;

	report_lib_reset();
	if (o->ingress == HOOK_TC || o->egress)
		err = dp_want_tc(&st->dp, o->ingress == HOOK_TC, o->egress);
	if (!err && (o->ingress == HOOK_TC || o->egress))
		err = dp_load_tc(&st->dp);
	if (!err && o->ingress == HOOK_TC) {
		step = "tc ingress";
		err = tc_attach_dir(st, o->tc, false);
	}
	if (!err && o->egress) {
		step = "tc egress";
		err = tc_attach_dir(st, o->tc, true);
	}
	if (!err) {
		step = "make the store";
		err = dp_make_store(&st->dp);
	}
	if (!err) {
		step = "pin maps";
		err = dp_pin(&st->dp, st->dir);
	}
	if (!err && st->owned) {
		step = "lock the owner folder";
		err = owner_lock(st);
		st->meta.link_id_xdp = st->xdp_link >= 0 ?
				       link_id(st->xdp_link) : 0;
	}
	if (!err) {
		st->meta.ns_per_jiffy = st->dp.ns_per_jiffy;
		step = "write meta";
		err = meta_write(st);
	}
	if (err)
		report_error("attach %s: %s: %s%s%s", st->ifname, step,
			  strerror(-err), perm_hint(err),
			  lib_reason(why, sizeof(why)));
	return err;
}

static int attach_prepare(struct attach_state *st,
			  const struct attach_opts *o)
{
	int err = pin_prepare(o->owned);

	if (err == -EXDEV) {
		report_error("attach %s: this mount namespace has no bpffs and "
			  "cannot reach the host's (ip netns exec?); use "
			  "'flowstat --netns NAME attach' instead", st->ifname);
		return err;
	}
	if (err) {
		report_error("attach %s: bpffs at %s: %s%s", st->ifname,
			  pin_root(), strerror(-err), err == -EPERM ?
			  " (mounting bpffs needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	err = meta_init(st, o);
	if (!err) {
		pin_remove_dir(st->dir);	/* a leftover of a crash */
		err = mkdir(st->dir, 0700) ? -errno : 0;
	}
	if (err)
		report_error("attach %s: %s: %s", st->ifname, st->dir,
			  strerror(-err));
	else
		st->dir_made = true;
	return err;
}

/* Close what the process holds; with kept, the caller takes it over. */
static void state_release(struct attach_state *st)
{
	if (st->meta_fd >= 0)
		close(st->meta_fd);
	xdp_unload(st);
	dp_close(&st->dp);
	close_fd(&st->xdp_link);
	close_fd(&st->tc_links[0]);
	close_fd(&st->tc_links[1]);
	close_fd(&st->owner_fd);
}

int iface_attach(const char *ifname, const struct attach_opts *opts,
		 struct flowstat_meta *meta, struct attach_hold *hold)
{
	struct attach_state st = { .ifname = ifname, .meta_fd = -1,
		.xdp_link = -1, .tc_links = { -1, -1 }, .owner_fd = -1,
		.owned = opts->owned };
	char why[256];
	int err;

	st.ifindex = if_nametoindex(ifname);
	if (!st.ifindex) {
		report_error("attach %s: no such interface", ifname);
		return -ENODEV;
	}
	/* before its folder is made: it would look half-made */
	err = orphan_remove_iface(st.ifindex);
	if (err)
		report_error("attach %s: remove orphaned flowstat programs: %s",
			  ifname, strerror(-err));
	else
		err = attach_prepare(&st, opts);
	if (!err) {
		report_lib_reset();
		err = dp_open(&st.dp, opts->ingress == HOOK_XDP,
			      opts->ingress == HOOK_TC || opts->egress,
			      opts->max_flows, st.meta.cache_slots);
		if (!err && st.meta.sampling)
			dp_set_sample(&st.dp, opts->sample, opts->sample_auto);
		if (err)
			report_error("attach %s: open the BPF objects: %s%s",
				  ifname, strerror(-err),
				  lib_reason(why, sizeof(why)));
	}
	if (!err)
		dp_set_match(&st.dp, opts->match);
	if (!err && opts->ingress == HOOK_XDP)
		err = xdp_attach(&st, opts->mode);
	if (!err)
		err = attach_rest(&st, opts);
	if (err) {
		close_fd(&st.xdp_link);	/* the kernel detaches links */
		close_fd(&st.tc_links[0]);
		close_fd(&st.tc_links[1]);
		if (st.dir_made)
			teardown(st.ifindex, st.dir, &st.meta);
	}
	if (!err)
		*meta = st.meta;
	if (!err && hold) {
		memset(hold, 0, sizeof(*hold));
		hold->xdp_link = st.xdp_link;
		hold->tc_links[0] = st.tc_links[0];
		hold->tc_links[1] = st.tc_links[1];
		hold->owner_fd = st.owner_fd;
		snprintf(hold->dir, sizeof(hold->dir), "%s", st.dir);
		hold->instance_id = st.meta.instance_id;
		st.xdp_link = st.tc_links[0] = st.tc_links[1] = -1;
		st.owner_fd = -1;
	}
	state_release(&st);
	return err;
}

int attach_release(struct attach_hold *hold, const struct flowstat_meta *m)
{
	struct instance inst;
	int err = 0;

	close_fd(&hold->xdp_link);	/* the kernel detaches the links */
	close_fd(&hold->tc_links[0]);
	close_fd(&hold->tc_links[1]);
	/* only if the pins are still ours: someone may have re-attached */
	snprintf(inst.dir, sizeof(inst.dir), "%s", hold->dir);
	inst.meta.instance_id = hold->instance_id;
	if (instance_current(&inst)) {
		int saved = -1;

		/* clsact has no links: remove the filters by program id */
		if (m->tc_kind == TC_KIND_CLSACT &&
		    !netns_enter_ino(m->netns_ino, m->netns, &saved)) {
			err = tc_teardown((int)m->ifindex, hold->dir, m);
			netns_return(saved);
		}
		/* cppcheck-suppress selfAssignment ; GNU ?: */
		err = pin_remove_dir(hold->dir) ?: err;
	}
	close_fd(&hold->owner_fd);
	return err;
}

/* ---- is an instance still what its pins say? ---- */

/*
 * nsfs inodes and ifindexes are both reused: a namespace that died with
 * flowstat still pinned leaves a folder that a new namespace's interface
 * may match by name. Such an instance is stale: none of its hooks is on
 * the interface any more. Checked per hook kind, in the current netns.
 */
static bool xdp_live(const struct flowstat_meta *m)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(m->ifindex);
	struct xdp_program *p;
	bool live = false;

	if (libxdp_get_error(mp) || !mp)
		return false;
	if (xdp_multiprog__is_legacy(mp))
		live = xdp_program__id(xdp_multiprog__main_prog(mp)) ==
		       m->prog_id_xdp;
	for (p = NULL; !live && !xdp_multiprog__is_legacy(mp) &&
		       (p = xdp_multiprog__next_prog(p, mp));)
		live = xdp_program__id(p) == m->prog_id_xdp;
	xdp_multiprog__close(mp);
	return live;
}

static bool clsact_live(const struct flowstat_meta *m, bool egress)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = m->ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS :
						     BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWSTAT_TC_HANDLE,
			    .priority = FLOWSTAT_TC_PRIO);

	return !bpf_tc_query(&hook, &opts) &&
	       opts.prog_id == (egress ? m->prog_id_tc_egress :
					 m->prog_id_tc_ingress);
}

/* A tcx link whose device went away reports ifindex 0. */
static bool tcx_live(const char *dir, const struct flowstat_meta *m,
		     bool egress)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	__u32 id = egress ? m->link_id_tc_egress : m->link_id_tc_ingress;
	char path[PATH_MAX];
	int fd, err;

	if (m->owner == OWNER_PROCESS) {
		fd = id ? bpf_link_get_fd_by_id(id) : -1;
	} else {
		if (pin_path(dir, egress ? PIN_TCX_EGRESS : PIN_TCX_INGRESS,
			     path, sizeof(path)))
			return false;
		fd = bpf_obj_get(path);
	}
	if (fd < 0)
		return false;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	/*
	 * The 6.1 uapi has no tcx member; its ifindex sits where xdp's
	 * does, first in the union.
	 */
	return !err && info.xdp.ifindex == m->ifindex &&
	       info.prog_id == (egress ? m->prog_id_tc_egress :
					 m->prog_id_tc_ingress);
}

/* An owned instance lives while its owner holds the owner lock. */
static bool owner_alive(const struct instance *inst)
{
	char path[PATH_MAX];
	bool alive = false;
	int fd;

	if (inst->meta.owner != OWNER_PROCESS)
		return true;
	if (pin_path(inst->dir, PIN_OWNER, path, sizeof(path)))
		return false;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB))
		alive = errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

int attach_instance_live(const struct instance *inst)
{
	const struct flowstat_meta *m = &inst->meta;
	bool egress = m->egress_hook == HOOK_TC;

	if (!owner_alive(inst))
		return 0;
	if (m->ingress_hook == HOOK_XDP)
		return xdp_live(m);
	if (m->ingress_hook == HOOK_TC || egress) {
		if (m->tc_kind == TC_KIND_TCX)
			return tcx_live(inst->dir, m, egress);
		if (m->tc_kind == TC_KIND_CLSACT)
			return clsact_live(m, egress);
	}
	return 0;
}

/* ---- detach ---- */

/* Is a program of this instance still loaded (so still attached)? */
static bool prog_alive(__u32 id)
{
	int fd;

	if (!id)
		return false;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * The instance's namespace cannot be entered (not named in /run/netns,
 * or gone). If it is gone, its interface went with it and only pins and
 * tcx links remain, which need no namespace.
 */
static int detach_unreachable(struct instance *inst)
{
	const struct flowstat_meta *m = &inst->meta;

	if ((!m->xdp_link && prog_alive(m->prog_id_xdp)) ||
	    (m->tc_kind == TC_KIND_CLSACT &&
	     (prog_alive(m->prog_id_tc_ingress) ||
	      prog_alive(m->prog_id_tc_egress)))) {
		report_error("detach %s: its network namespace is not reachable "
			  "from here (use --netns NAME)", m->ifname);
		return -ENOENT;
	}
	return teardown(0, inst->dir, m);
}

/*
 * The interface left its namespace. Moved to another one, it took its
 * XDP program and clsact filters along (tcx links went with the pins):
 * find them there by program id, now that no pins claim them.
 */
static int detach_moved(const struct flowstat_meta *m)
{
	__u32 ids[3] = { 0 };
	int n = 0;

	if (m->ingress_hook == HOOK_XDP && !m->xdp_link &&
	    prog_alive(m->prog_id_xdp))
		ids[n++] = m->prog_id_xdp;
	if (m->tc_kind == TC_KIND_CLSACT) {
		if (prog_alive(m->prog_id_tc_ingress))
			ids[n++] = m->prog_id_tc_ingress;
		if (prog_alive(m->prog_id_tc_egress))
			ids[n++] = m->prog_id_tc_egress;
	}
	return n ? orphan_remove_progs(ids, n) : 0;
}

int iface_detach(struct instance *inst)
{
	const struct flowstat_meta *m = &inst->meta;
	int saved = -1, err, ifindex;

	err = netns_enter_ino(m->netns_ino, m->netns, &saved);
	if (err == -ENOENT) {
		instance_close(inst);
		return detach_unreachable(inst);
	}
	if (err) {
		report_error("detach %s: enter its network namespace: %s",
			  m->ifname, strerror(-err));
		return err;
	}
	instance_close(inst);	/* our fds would keep the maps alive */
	ifindex = if_indextoname(m->ifindex, (char[IF_NAMESIZE]){0}) ?
		  (int)m->ifindex : 0;
	err = teardown(ifindex, inst->dir, m);
	netns_return(saved);
	if (!err && !ifindex)
		err = detach_moved(m);
	if (err)
		report_error("detach %s: %s%s", m->ifname, strerror(-err),
			  perm_hint(err));
	return err;
}

/* ---- the attach lock, dead owners ---- */

int attach_lock(const char *cmd, bool owned)
{
	int err = pin_prepare(owned), fd;

	if (err == -EXDEV) {
		report_error("%s: this mount namespace has no bpffs and cannot "
			  "reach the host's (ip netns exec?); use 'flowstat "
			  "--netns NAME %s' instead", cmd, cmd);
		return err;
	}
	if (err) {
		report_error("%s: bpffs at %s: %s%s", cmd, pin_root(),
			  strerror(-err), err == -EPERM ?
			  " (mounting bpffs needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	fd = pin_lock(true);
	if (fd < 0)
		report_error("%s: lock %s: %s", cmd, pin_root(), strerror(-fd));
	return fd;
}

/*
 * Folders an attach killed half way left (no meta, or set aside by
 * --force): with the root lock held no attach is under way, so nobody
 * will finish them. Their pinned links go with them.
 */
static int reap_halfmade(void)
{
	char (*dirs)[PATH_MAX];
	int n = instance_halfmade_all(&dirs), i, reaped = 0;

	for (i = 0; i < n; i++) {
		report_info("%s: left half made by a killed attach; removing it",
			dirs[i]);
		if (!pin_remove_dir(dirs[i]))
			reaped++;
	}
	if (n > 0)
		free(dirs);
	return reaped;
}

/*
 * Instances whose owning process died: their links went with it, but
 * their pins (and clsact filters, which have no links) are still there.
 * Remove them, if no attach or detach is running (then: next time).
 */
int attach_reap(void)
{
	struct instance *list;
	int lock, n, i, reaped = 0;

	lock = pin_lock_try();
	if (lock < 0)
		return 0;
	n = instance_open_all_meta(&list);
	for (i = 0; i < n; i++) {
		if (list[i].meta.owner != OWNER_PROCESS ||
		    owner_alive(&list[i]))
			continue;
		report_info("%s: its owner (pid %u) died; removing what it left",
			list[i].meta.ifname, list[i].meta.owner_pid);
		if (!iface_detach(&list[i]))
			reaped++;
	}
	if (n >= 0)
		instance_close_all(list, n);
	reaped += reap_halfmade();
	pin_unlock(lock);
	return reaped;
}

/* ---- --force: set an instance aside, and back ---- */

/*
 * Set the instance on ifname aside for a --force attach: its hooks come
 * off, but its programs stay loaded (we hold them) and its maps stay
 * pinned, in the pin folder renamed with a "_force" suffix. It can be put
 * back exactly (attach_unstash), or dropped once the new one is in.
 * Readers skip the renamed folder: it is no instance's name.
 */
int attach_stash(struct instance *inst, struct attach_stash *sh)
{
	const struct flowstat_meta *m = &inst->meta;
	int err = 0, d;

	memset(sh, 0, sizeof(*sh));
	sh->xdp_fd = sh->tc_fd[0] = sh->tc_fd[1] = -1;
	sh->meta = *m;
	snprintf(sh->dir, sizeof(sh->dir), "%s", inst->dir);
	/* bpffs allows no dots in names */
	if (snprintf(sh->stash, sizeof(sh->stash), "%s_force", inst->dir) >=
	    (int)sizeof(sh->stash))
		return -ENAMETOOLONG;
	if (m->owner == OWNER_PROCESS && owner_alive(inst))
		return -EBUSY;	/* its owner holds links we cannot restore */
	sh->xdp_fd = m->ingress_hook == HOOK_XDP ?
		     bpf_prog_get_fd_by_id(m->prog_id_xdp) : -1;
	for (d = 0; d < 2; d++) {
		__u32 id = d ? m->prog_id_tc_egress : m->prog_id_tc_ingress;

		sh->tc_fd[d] = id ? bpf_prog_get_fd_by_id(id) : -1;
	}
	pin_remove_dir(sh->stash);	/* a leftover of a crash */
	if (rename(sh->dir, sh->stash))
		return -errno;
	sh->stashed = true;
	/* the hooks off; a clsact qdisc stays until the stash is dropped */
	if (m->tc_kind == TC_KIND_TCX) {
		err = tcx_detach(sh->stash, true);
		/* cppcheck-suppress selfAssignment ; GNU ?: */
		err = tcx_detach(sh->stash, false) ?: err;
	} else if (m->tc_kind == TC_KIND_CLSACT) {
		for (d = 0; d < 2; d++)
			if (sh->tc_fd[d] >= 0)
				/* cppcheck-suppress selfAssignment ; GNU ?: */
				err = attach_clsact_detach((int)m->ifindex,
						    d ? m->prog_id_tc_egress :
							m->prog_id_tc_ingress,
						    d) ?: err;
	}
	/* cppcheck-suppress selfAssignment ; GNU ?: */
	err = xdp_teardown((int)m->ifindex, m) ?: err;
	return err;
}

/* Put the old hooks back, the same programs in the same places. */
int attach_unstash(struct attach_stash *sh)
{
	const struct flowstat_meta *m = &sh->meta;
	struct attach_state st = { .ifindex = (int)m->ifindex,
				   .xdp_link = -1, .tc_links = { -1, -1 },
				   .owner_fd = -1, .meta = *m };
	int err = 0, d;

	if (!sh->stashed)
		return 0;
	if (rename(sh->stash, sh->dir))
		return -errno;
	sh->stashed = false;
	snprintf(st.dir, sizeof(st.dir), "%s", sh->dir);
	st.meta.created_clsact = 0;	/* the qdisc never went away */
	for (d = 0; d < 2; d++) {
		if (sh->tc_fd[d] < 0)
			continue;
		if (m->tc_kind == TC_KIND_TCX)
			/* cppcheck-suppress selfAssignment ; GNU ?: */
			err = tcx_attach(&st, sh->tc_fd[d], d) ?: err;
		else
			/* cppcheck-suppress selfAssignment ; GNU ?: */
			err = clsact_attach(&st, sh->tc_fd[d], d) ?: err;
	}
	if (sh->xdp_fd >= 0 &&
	    bpf_xdp_attach((int)m->ifindex, sh->xdp_fd,
			   m->xdp_mode == XDP_KIND_NATIVE ? XDP_FLAGS_DRV_MODE :
							    XDP_FLAGS_SKB_MODE,
			   NULL))
		err = err ?: -errno;
	return err;
}

/*
 * The new instance is in: drop the old one's pins and programs, and its
 * clsact qdisc if it made one and nobody else uses it.
 */
void attach_stash_drop(struct attach_stash *sh)
{
	int d;

	if (sh->stashed) {
		pin_remove_dir(sh->stash);
		if (sh->meta.created_clsact &&
		    if_indextoname(sh->meta.ifindex, (char[IF_NAMESIZE]){0}))
			clsact_remove_qdisc((int)sh->meta.ifindex);
		sh->stashed = false;
	}
	close_fd(&sh->xdp_fd);
	for (d = 0; d < 2; d++)
		close_fd(&sh->tc_fd[d]);
}
