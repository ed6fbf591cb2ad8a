// SPDX-License-Identifier: GPL-2.0
/* Finding and removing flowstat programs that no instance claims. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "instance.h"
#include "netns.h"
#include "orphan.h"
#include "pin.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

static bool ours_by_name(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours;

	if (fd < 0)
		return false;
	ours = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       (!strcmp(info.name, XDP_PROG_NAME) ||
		!strcmp(info.name, TC_IN_PROG_NAME) ||
		!strcmp(info.name, TC_EG_PROG_NAME));
	close(fd);
	return ours;
}

static bool claimed(__u32 id)
{
	struct instance *list;
	bool found = false;
	int n, i;

	/*
	 * Pins may live where this process cannot see them (a private
	 * mount namespace, ip netns exec): then it tells nothing.
	 */
	if (!pin_root_is_hosts() || pin_bpffs_mounted() != 1)
		return true;
	n = instance_open_all_meta(&list);
	for (i = 0; i < n && !found; i++) {
		const struct flowstat_meta *m = &list[i].meta;

		found = m->prog_id_xdp == id || m->prog_id_tc_ingress == id ||
			m->prog_id_tc_egress == id;
	}
	if (n >= 0)
		instance_close_all(list, n);
	/* pins that cannot be read: claim everything, remove nothing */
	return n < 0 || found;
}

bool orphan_prog_unpinned(__u32 prog_id)
{
	return prog_id && ours_by_name(prog_id) && !claimed(prog_id);
}

/* Does fdinfo file path describe the BPF link id? */
static bool fdinfo_is_link(const char *path, __u32 id)
{
	char line[128];
	bool match = false;
	FILE *f = fopen(path, "r");
	unsigned int v;

	if (!f)
		return false;
	while (!match && fgets(line, sizeof(line), f))
		match = sscanf(line, "link_id: %u", &v) == 1 && v == id;
	fclose(f);
	return match;
}

/*
 * Is the link held open by a live process? Then that process owns it
 * (a live view whose pins this mount namespace cannot see): no orphan.
 */
static bool link_held(__u32 id)
{
	char path[PATH_MAX], target[64];
	struct dirent *p, *f;
	bool held = false;
	DIR *procs, *fds;
	ssize_t n;

	procs = opendir("/proc");
	while (procs && !held && (p = readdir(procs))) {
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && !held && (f = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
				 p->d_name, f->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, "anon_inode:bpf_link"))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s",
				 p->d_name, f->d_name);
			held = fdinfo_is_link(path, id);
		}
		if (fds)
			closedir(fds);
	}
	if (procs)
		closedir(procs);
	return held;
}

/* The link (of any kind) that runs prog, or 0. */
static __u32 link_of_prog(__u32 prog)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);
		bool match;

		if (fd < 0)
			continue;
		match = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
			info.prog_id == prog;
		close(fd);
		if (match)
			return id;
	}
	return 0;
}

static bool listed(__u32 id, const __u32 *ids, int n)
{
	int i;

	for (i = 0; id && i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * What a scan takes: every flowstat program that no instance claims
 * (ids NULL), or exactly the programs ids names, which the caller knows
 * to be flowstat's and unclaimed (see orphan_remove_progs).
 */
struct scan_want {
	const __u32 *ids;
	int n;
};

static bool taken(__u32 id, const struct scan_want *w)
{
	if (w && w->ids)
		return id && listed(id, w->ids, w->n);
	return orphan_prog_unpinned(id);
}

static void scan_xdp(int ifindex, struct orphan *o, const struct scan_want *w)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return;
	if (q.drv_prog_id && taken(q.drv_prog_id, w)) {
		o->xdp_prog = q.drv_prog_id;
		o->xdp_mode = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id && taken(q.skb_prog_id, w)) {
		o->xdp_prog = q.skb_prog_id;
		o->xdp_mode = XDP_FLAGS_SKB_MODE;
	}
	if (o->xdp_prog)
		o->xdp_link = link_of_prog(o->xdp_prog);
	if (o->xdp_link && link_held(o->xdp_link))
		o->xdp_prog = o->xdp_link = 0;
}

static void scan_tcx(int ifindex, bool egress, struct orphan *o,
		     const struct scan_want *w)
{
	__u32 ids[64], n = 64, flags = 0, i;

	if (bpf_prog_query(ifindex, egress ? BPF_TCX_EGRESS : BPF_TCX_INGRESS,
			   0, &flags, ids, &n))
		return;
	for (i = 0; i < n; i++) {
		__u32 link;

		if (!taken(ids[i], w))
			continue;
		link = link_of_prog(ids[i]);
		if (link && link_held(link))
			continue;
		o->tcx_prog[egress] = ids[i];
		o->tcx_link[egress] = link;
		return;
	}
}

static void scan_clsact(int ifindex, bool egress, struct orphan *o,
			const struct scan_want *w)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS :
						     BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWSTAT_TC_HANDLE,
			    .priority = FLOWSTAT_TC_PRIO);

	if (!bpf_tc_query(&hook, &opts) && taken(opts.prog_id, w))
		o->clsact_prog[egress] = opts.prog_id;
}

static bool found_any(const struct orphan *o)
{
	return o->xdp_prog || o->tcx_prog[0] || o->tcx_prog[1] ||
	       o->clsact_prog[0] || o->clsact_prog[1] || o->pins[0];
}

static int scan_iface(int ifindex, struct orphan *o,
		      const struct scan_want *w)
{
	int d;

	memset(o, 0, sizeof(*o));
	o->ifindex = ifindex;
	if (!if_indextoname(ifindex, o->ifname))
		return -ENODEV;
	netns_inode(NULL, &o->netns_ino);
	scan_xdp(ifindex, o, w);
	for (d = 0; d < 2; d++) {
		scan_tcx(ifindex, d, o, w);
		scan_clsact(ifindex, d, o, w);
	}
	if (pin_root_is_hosts() &&
	    instance_halfmade_path(o->netns_ino, (__u32)ifindex, o->pins,
				   sizeof(o->pins)) <= 0)
		o->pins[0] = '\0';
	else if (!pin_root_is_hosts())
		o->pins[0] = '\0';
	return found_any(o);
}

int orphan_scan_iface(int ifindex, struct orphan *o)
{
	return scan_iface(ifindex, o, NULL);
}

/* Detach a netlink XDP attach only while it is still that program. */
static int detach_xdp(const struct orphan *o)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int fd, err = 0;

	if (o->xdp_link)
		return attach_link_detach(o->xdp_link, o->xdp_prog);
	fd = bpf_prog_get_fd_by_id(o->xdp_prog);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	opts.old_prog_fd = fd;
	if (bpf_xdp_detach(o->ifindex, o->xdp_mode | XDP_FLAGS_REPLACE,
			   &opts))
		err = -errno;
	close(fd);
	return err == -EEXIST ? 0 : err;	/* replaced meanwhile */
}

int orphan_remove(const struct orphan *o)
{
	int err = 0, e, d;

	for (d = 0; d < 2; d++) {
		if (o->tcx_link[d]) {
			e = attach_link_detach(o->tcx_link[d], o->tcx_prog[d]);
			err = err ? err : e;
		}
		if (o->clsact_prog[d]) {
			e = attach_clsact_detach(o->ifindex,
						 o->clsact_prog[d], d);
			err = err ? err : e;
		}
	}
	if (o->xdp_prog) {
		e = detach_xdp(o);
		err = err ? err : e;
	}
	if (o->pins[0]) {	/* its pinned tcx links go with their pins */
		e = pin_remove_dir(o->pins);
		err = err ? err : e;
	}
	return err;
}

int orphan_remove_iface(int ifindex)
{
	struct orphan o;
	int found = orphan_scan_iface(ifindex, &o);

	return found > 0 ? orphan_remove(&o) : 0;
}

struct orphans {
	struct orphan *list;
	int n, cap;
};

static int scan_here(struct orphans *acc, const char *netns,
		     const struct scan_want *w)
{
	struct if_nameindex *ifs = if_nameindex(), *p;
	struct orphan o;
	int err = 0;

	if (!ifs)
		return -errno;
	for (p = ifs; p->if_index && !err; p++) {
		if (scan_iface((int)p->if_index, &o, w) <= 0)
			continue;
		snprintf(o.netns, sizeof(o.netns), "%s", netns);
		if (acc->n == acc->cap) {
			struct orphan *g;

			acc->cap = acc->cap ? acc->cap * 2 : 8;
			g = realloc(acc->list, acc->cap * sizeof(*g));
			if (!g) {
				err = -ENOMEM;
				break;
			}
			acc->list = g;
		}
		acc->list[acc->n++] = o;
	}
	if_freenameindex(ifs);
	return err;
}

static int list_all(bool all_netns, struct orphan **list,
		    const struct scan_want *w)
{
	struct orphans acc = { 0 };
	__u64 here, ino;
	struct dirent *de;
	int err, saved;
	DIR *d;

	err = netns_inode(NULL, &here);
	if (!err)
		err = scan_here(&acc, "", w);
	d = all_netns && !err ? opendir(NETNS_RUN_DIR) : NULL;
	while (d && !err && (de = readdir(d))) {
		if (de->d_name[0] == '.' || netns_inode(de->d_name, &ino) ||
		    ino == here || netns_enter(de->d_name, &saved))
			continue;
		err = scan_here(&acc, de->d_name, w);
		netns_return(saved);
	}
	if (d)
		closedir(d);
	if (err < 0) {	/* "< 0": the analyzer took a positive -errno */
		free(acc.list);
		return err;
	}
	*list = acc.list;
	return acc.n;
}

int orphan_list(bool all_netns, struct orphan **list)
{
	return list_all(all_netns, list, NULL);
}

int orphan_remove_in_netns(const struct orphan *o)
{
	int saved = -1, err;

	err = netns_enter_ino(o->netns_ino, o->netns, &saved);
	if (err)
		return err;
	err = orphan_remove(o);
	netns_return(saved);
	return err;
}

int orphan_remove_progs(const __u32 *ids, int n)
{
	struct scan_want want = { .ids = ids, .n = n };
	struct orphan *list;
	int found, i, d, err = 0, e;

	found = list_all(true, &list, &want);
	if (found < 0)
		return found;
	for (i = 0; i < found; i++) {
		struct orphan o = list[i];
		bool any = listed(o.xdp_prog, ids, n);

		/* only the programs asked for */
		if (!any)
			o.xdp_prog = 0;
		for (d = 0; d < 2; d++) {
			if (!listed(o.clsact_prog[d], ids, n))
				o.clsact_prog[d] = 0;
			if (!listed(o.tcx_prog[d], ids, n))
				o.tcx_prog[d] = o.tcx_link[d] = 0;
			any = any || o.clsact_prog[d] || o.tcx_prog[d];
		}
		if (!any)
			continue;
		e = orphan_remove_in_netns(&o);
		err = err ? err : e;
	}
	free(list);
	return err;
}
