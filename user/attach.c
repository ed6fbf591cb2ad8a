// SPDX-License-Identifier: GPL-2.0
/*
 * Attach and detach one instance (see attach.h). Attach order: XDP first
 * (libxdp loads its object), then the tc object reusing those maps, then
 * the pins and meta last, so that a failure at any step is undone in
 * reverse and leaves the interface as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "attach.h"
#include "flowstat_tc.skel.h"
#include "flowstat_xdp.skel.h"
#include "iface.h"
#include "log.h"
#include "netns.h"
#include "pin.h"

/* The 6.1 uapi headers predate tcx. */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

#define XDP_PROG_NAME "flowstat_xdp"

struct attach_state {
	const char *ifname;
	int ifindex;
	char dir[PATH_MAX];
	bool dir_made;
	struct flowstat_xdp *xskel;
	struct xdp_program *xprog;
	struct flowstat_tc *tskel;
	int map_fds[4];		/* flows, totals, flow_cache, retired */
	int meta_fd;
	struct flowstat_meta meta;
};

static const char *const map_names[4] = {
	FLOWSTAT_MAP_FLOWS, FLOWSTAT_MAP_TOTALS, FLOWSTAT_MAP_CACHE,
	FLOWSTAT_MAP_RETIRED,
};

__u32 attach_default_cache_slots(void)
{
	int cpus = libbpf_num_possible_cpus();
	__u32 slots = FLOWSTAT_CACHE_SLOTS;

	/* Keep the total near 4096 * 8 slots as the CPU count grows. */
	for (; cpus > 8 && slots > 256; cpus /= 2)
		slots /= 2;
	return slots;
}

static __u32 prog_id(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	return info.id;
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
		if (xdp_program__id(p) == held_id &&
		    !strcmp(xdp_program__name(p), XDP_PROG_NAME))
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
		log_error("attach %s: no such interface in this network "
			  "namespace; it is in netns '%s' (use --netns %s)",
			  ifname, ns, ns);
	else
		log_error("attach %s: no such interface", ifname);
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
		pr_info("attach %s: stale pins in %s (its hooks are gone)",
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
		log_error("attach %s: %s", ifname, strerror(-err));
		return err;
	}
	*ifindex = info.ifindex;
	if (held_live(ifname, opts, &held_id) && !force) {
		log_error("attach %s: flowstat is already attached "
			  "(detach first, or use --force)", ifname);
		return -EEXIST;
	}
	if (opts->ingress != HOOK_XDP)
		return 0;	/* a foreign XDP program is no conflict */
	err = xdp_foreign(info.ifindex, held_id, desc, sizeof(desc));
	if (err > 0) {
		log_error("attach %s: another XDP program %s is attached; "
			  "flowstat will not replace it", ifname, desc);
		return -EBUSY;
	}
	if (err) {
		log_error("attach %s: cannot query XDP: %s", ifname,
			  strerror(-err));
		return err;
	}
	return 0;
}

/* ---- loading ---- */

/* Sizes fixed at load: the same for both objects of an instance. */
static int set_sizes(struct bpf_map *flows, struct bpf_map *cache,
		     __u32 *cache_mask, const struct flowstat_meta *m)
{
	int err = bpf_map__set_max_entries(flows, m->max_flows);

	if (!err)
		err = bpf_map__set_max_entries(cache, m->cache_slots);
	*cache_mask = m->cache_slots - 1;
	return err;
}

static int reuse_maps(struct attach_state *st, struct flowstat_tc *t)
{
	struct bpf_map *maps[4] = { t->maps.flows, t->maps.totals,
				    t->maps.flow_cache, t->maps.retired };
	int i, err;

	for (i = 0; i < 4; i++) {
		err = bpf_map__reuse_fd(maps[i], st->map_fds[i]);
		if (err)
			return err;
	}
	return 0;
}

static void take_map_fds(struct attach_state *st, struct bpf_map *flows,
			 struct bpf_map *totals, struct bpf_map *cache,
			 struct bpf_map *retired)
{
	st->map_fds[0] = bpf_map__fd(flows);
	st->map_fds[1] = bpf_map__fd(totals);
	st->map_fds[2] = bpf_map__fd(cache);
	st->map_fds[3] = bpf_map__fd(retired);
}

static void xdp_unload(struct attach_state *st)
{
	xdp_program__close(st->xprog);	/* before the object it uses */
	st->xprog = NULL;
	flowstat_xdp__destroy(st->xskel);
	st->xskel = NULL;
}

/* One XDP attach in one mode, from a freshly opened object. */
static int xdp_try(struct attach_state *st, enum xdp_attach_mode mode)
{
	struct flowstat_xdp *x;
	long err;

	x = st->xskel = flowstat_xdp__open();
	if (!x)
		return -errno;
	err = set_sizes(x->maps.flows, x->maps.flow_cache,
			&x->rodata->cache_mask, &st->meta);
	if (err)
		return err;
	st->xprog = xdp_program__from_bpf_obj(x->obj, "xdp");
	err = libxdp_get_error(st->xprog);
	if (err) {
		st->xprog = NULL;
		return err;
	}
	/* libxdp loads the object (as a dispatcher component, or plain). */
	err = xdp_program__attach(st->xprog, st->ifindex, mode, 0);
	if (err)
		return err;
	take_map_fds(st, x->maps.flows, x->maps.totals, x->maps.flow_cache,
		     x->maps.retired);
	st->meta.prog_id_xdp = xdp_program__id(st->xprog);
	st->meta.xdp_mode = mode == XDP_MODE_NATIVE ? XDP_KIND_NATIVE :
						      XDP_KIND_SKB;
	st->meta.ingress_hook = HOOK_XDP;
	return 0;
}

static int xdp_attach(struct attach_state *st, enum xdp_mode_req req)
{
	int err;

	if (req != XDP_REQ_SKB) {
		err = xdp_try(st, XDP_MODE_NATIVE);
		if (!err || req == XDP_REQ_NATIVE)
			goto out;
		pr_info("attach %s: native XDP failed (%s); trying skb mode",
			st->ifname, strerror(-err));
		xdp_unload(st);
	}
	err = xdp_try(st, XDP_MODE_SKB);
out:
	if (!err)
		return 0;
	if (err == -EOPNOTSUPP && req == XDP_REQ_NATIVE)
		log_error("attach %s: XDP native mode not supported by driver; "
			  "try --mode skb", st->ifname);
	else
		log_error("attach %s: XDP attach failed: %s", st->ifname,
			  strerror(-err));
	xdp_unload(st);
	return err;
}

static int tc_load(struct attach_state *st)
{
	struct flowstat_tc *t;
	int err;

	t = st->tskel = flowstat_tc__open();
	if (!t)
		return -errno;
	err = set_sizes(t->maps.flows, t->maps.flow_cache,
			&t->rodata->cache_mask, &st->meta);
	if (!err && st->xskel)
		err = reuse_maps(st, t);
	if (!err)
		err = flowstat_tc__load(t);
	if (err)
		return err;
	if (!st->xskel)
		take_map_fds(st, t->maps.flows, t->maps.totals,
			     t->maps.flow_cache, t->maps.retired);
	return 0;
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
	struct flowstat_tc *t = st->tskel;
	struct bpf_program *prog = egress ? t->progs.flowstat_tc_egress :
					    t->progs.flowstat_tc_ingress;
	int fd = bpf_program__fd(prog), err = -EINVAL;

	if (req != TC_REQ_CLSACT && st->meta.tc_kind != TC_KIND_CLSACT) {
		err = tcx_attach(st, fd, egress);
		if (!err)
			st->meta.tc_kind = TC_KIND_TCX;
		if (!err || req == TC_REQ_TCX || err != -EINVAL)
			goto out;
		pr_info("attach %s: no tcx; using clsact", st->ifname);
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

/* Remove our clsact filter, and only if its program is ours. */
static int clsact_detach(int ifindex, __u32 id, bool egress)
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
		pr_info("keeping the clsact qdisc: %d other filters on it",
			in + eg);
		return 0;
	}
	return bpf_tc_hook_destroy(&hook);
}

static int tc_teardown(int ifindex, const char *dir,
		       const struct flowstat_meta *m)
{
	int err = 0, e;

	if (m->tc_kind == TC_KIND_TCX) {
		err = tcx_detach(dir, true);
		e = tcx_detach(dir, false);
		return err ? err : e;
	}
	if (m->tc_kind != TC_KIND_CLSACT || !ifindex)
		return 0;
	if (m->egress_hook == HOOK_TC)
		err = clsact_detach(ifindex, m->prog_id_tc_egress, true);
	if (m->ingress_hook == HOOK_TC) {
		e = clsact_detach(ifindex, m->prog_id_tc_ingress, false);
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

	if (m->ingress_hook != HOOK_XDP || !m->prog_id_xdp || !ifindex)
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

static int pin_maps(struct attach_state *st)
{
	char path[PATH_MAX];
	int i, err;

	for (i = 0; i < 4; i++) {
		err = pin_path(st->dir, map_names[i], path, sizeof(path));
		if (err)
			return err;
		if (bpf_obj_pin(st->map_fds[i], path))
			return -errno;
	}
	return 0;
}

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
					  attach_default_cache_slots();
	m->attached_at = time(NULL);
	return pin_dir(m->netns_ino, st->ifindex, st->dir, sizeof(st->dir));
}

static const char *perm_hint(int err)
{
	return err == -EPERM || err == -EACCES ?
	       " (needs CAP_BPF and CAP_NET_ADMIN)" : "";
}

/* The steps after XDP; each failure reported here, with its step. */
static int attach_rest(struct attach_state *st, const struct attach_opts *o)
{
	const char *step = "load tc programs";
	int err = 0;

	if (o->ingress == HOOK_TC || o->egress)
		err = tc_load(st);
	if (!err && o->ingress == HOOK_TC) {
		step = "tc ingress";
		err = tc_attach_dir(st, o->tc, false);
	}
	if (!err && o->egress) {
		step = "tc egress";
		err = tc_attach_dir(st, o->tc, true);
	}
	if (!err) {
		step = "pin maps";
		err = pin_maps(st);
	}
	if (!err) {
		step = "write meta";
		err = meta_write(st);
	}
	if (err)
		log_error("attach %s: %s: %s%s", st->ifname, step,
			  strerror(-err), perm_hint(err));
	return err;
}

static int attach_prepare(struct attach_state *st,
			  const struct attach_opts *o)
{
	int err = pin_prepare();

	if (err) {
		log_error("attach %s: bpffs at " FLOWSTAT_PIN_ROOT ": %s%s",
			  st->ifname, strerror(-err), err == -EPERM ?
			  " (mounting bpffs needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	err = meta_init(st, o);
	if (!err) {
		pin_remove_dir(st->dir);	/* a leftover of a crash */
		err = mkdir(st->dir, 0700) ? -errno : 0;
	}
	if (err)
		log_error("attach %s: %s: %s", st->ifname, st->dir,
			  strerror(-err));
	else
		st->dir_made = true;
	return err;
}

int iface_attach(const char *ifname, const struct attach_opts *opts,
		 struct flowstat_meta *meta)
{
	struct attach_state st = { .ifname = ifname, .meta_fd = -1 };
	int err;

	st.ifindex = if_nametoindex(ifname);
	if (!st.ifindex) {
		log_error("attach %s: no such interface", ifname);
		return -ENODEV;
	}
	err = attach_prepare(&st, opts);
	if (!err && opts->ingress == HOOK_XDP)
		err = xdp_attach(&st, opts->mode);
	if (!err)
		err = attach_rest(&st, opts);
	if (err && st.dir_made)
		teardown(st.ifindex, st.dir, &st.meta);
	if (!err)
		*meta = st.meta;
	if (st.meta_fd >= 0)
		close(st.meta_fd);
	flowstat_tc__destroy(st.tskel);
	xdp_unload(&st);
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
	char path[PATH_MAX];
	int fd, err;

	if (pin_path(dir, egress ? PIN_TCX_EGRESS : PIN_TCX_INGRESS, path,
		     sizeof(path)))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	/*
	 * The 6.1 uapi has no tcx member; its ifindex sits where xdp's
	 * does, first in the union.
	 */
	return !err && info.xdp.ifindex == m->ifindex;
}

int attach_instance_live(const struct instance *inst)
{
	const struct flowstat_meta *m = &inst->meta;
	bool egress = m->egress_hook == HOOK_TC;

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

	if (prog_alive(m->prog_id_xdp) ||
	    (m->tc_kind == TC_KIND_CLSACT &&
	     (prog_alive(m->prog_id_tc_ingress) ||
	      prog_alive(m->prog_id_tc_egress)))) {
		log_error("detach %s: its network namespace is not reachable "
			  "from here (use --netns NAME)", m->ifname);
		return -ENOENT;
	}
	return teardown(0, inst->dir, m);
}

int iface_detach(struct instance *inst)
{
	const struct flowstat_meta *m = &inst->meta;
	int saved = -1, err;

	err = netns_enter_ino(m->netns_ino, m->netns, &saved);
	if (err == -ENOENT) {
		instance_close(inst);
		return detach_unreachable(inst);
	}
	if (err) {
		log_error("detach %s: enter its network namespace: %s",
			  m->ifname, strerror(-err));
		return err;
	}
	instance_close(inst);	/* our fds would keep the maps alive */
	err = teardown(if_indextoname(m->ifindex, (char[IF_NAMESIZE]){0}) ?
		       (int)m->ifindex : 0, inst->dir, m);
	netns_return(saved);
	if (err)
		log_error("detach %s: %s%s", m->ifname, strerror(-err),
			  perm_hint(err));
	return err;
}
