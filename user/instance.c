// SPDX-License-Identifier: GPL-2.0
/*
 * Opening instances: the pinned maps and meta of attached interfaces
 * (layout in pin.h). Read-only users (status, dump, top) come through here.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "instance.h"
#include "netns.h"
#include "pin.h"

static void instance_reset(struct instance *inst)
{
	memset(inst, 0, sizeof(*inst));
	inst->flows_fd = -1;
	inst->totals_fd = -1;
	inst->cache_fd = -1;
	inst->retired_fd = -1;
	inst->meta_fd = -1;
}

void instance_close(struct instance *inst)
{
	int *fds[] = { &inst->flows_fd, &inst->totals_fd, &inst->cache_fd,
		       &inst->retired_fd, &inst->meta_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

void instance_close_all(struct instance *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		instance_close(&list[i]);
	free(list);
}

static int open_pin(const char *dir, const char *name, int *fd)
{
	char path[PATH_MAX];
	int err = pin_path(dir, name, path, sizeof(path));

	if (err)
		return err;
	*fd = bpf_obj_get(path);
	return *fd < 0 ? -errno : 0;
}

static int read_meta(struct instance *inst)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(inst->meta_fd, &key, &inst->meta))
		return -errno;
	if (inst->meta.version != FLOWSTAT_META_VERSION)
		return -EPROTO;
	inst->meta.ifname[sizeof(inst->meta.ifname) - 1] = '\0';
	inst->meta.netns[sizeof(inst->meta.netns) - 1] = '\0';
	return 0;
}

/*
 * Readers size their buffers from common/flowstat.h: a map pinned by a
 * flowstat built with another ABI would be overrun, so it is refused.
 * max_entries 0 means "any".
 */
static int check_map(int fd, __u32 key_size, __u32 value_size,
		     __u32 max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size != key_size || info.value_size != value_size ||
	    (max_entries && info.max_entries != max_entries))
		return -EPROTO;
	return 0;
}

static int open_maps(struct instance *inst)
{
	const char *dir = inst->dir;
	int err;

	err = open_pin(dir, FLOWSTAT_MAP_FLOWS, &inst->flows_fd);
	if (!err)
		err = check_map(inst->flows_fd, sizeof(struct flow_key),
				sizeof(struct flow_value),
				inst->meta.max_flows);
	if (!err)
		err = open_pin(dir, FLOWSTAT_MAP_TOTALS, &inst->totals_fd);
	if (!err)
		err = check_map(inst->totals_fd, sizeof(__u32),
				sizeof(struct flow_totals), FLOW_DIR_MAX);
	if (!err)
		err = open_pin(dir, FLOWSTAT_MAP_CACHE, &inst->cache_fd);
	if (!err)
		err = check_map(inst->cache_fd, sizeof(__u32),
				sizeof(struct flow_slot),
				inst->meta.cache_slots);
	if (!err)
		err = open_pin(dir, FLOWSTAT_MAP_RETIRED, &inst->retired_fd);
	if (!err)
		err = check_map(inst->retired_fd, sizeof(__u32),
				sizeof(struct flow_retired), FLOW_DIR_MAX);
	return err;
}

/* Open the instance pinned in dir (a full path); meta only, or all. */
static int instance_open_dir(const char *dir, struct instance *inst,
			     bool meta_only)
{
	int err;

	instance_reset(inst);
	if (strlen(dir) >= sizeof(inst->dir))
		return -ENAMETOOLONG;
	strcpy(inst->dir, dir);
	err = open_pin(dir, FLOWSTAT_MAP_META, &inst->meta_fd);
	if (!err)
		err = check_map(inst->meta_fd, sizeof(__u32),
				sizeof(struct flowstat_meta), 1);
	if (!err)
		err = read_meta(inst);
	if (!err && !meta_only)
		err = open_maps(inst);
	if (err)
		instance_close(inst);
	return err;
}

static int instance_cmp(const void *a, const void *b)
{
	const struct flowstat_meta *x = &((const struct instance *)a)->meta;
	const struct flowstat_meta *y = &((const struct instance *)b)->meta;
	int c = strcmp(x->netns, y->netns);

	return c ? c : strcmp(x->ifname, y->ifname);
}

/* Calls fn for every instance folder; stops at fn's first non-zero. */
static int for_each_dir(int (*fn)(const char *dir, void *ctx), void *ctx)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir(FLOWSTAT_PIN_ROOT);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		if (pin_path(FLOWSTAT_PIN_ROOT, de->d_name, dir, sizeof(dir)))
			continue;
		ret = fn(dir, ctx);
	}
	closedir(d);
	return ret;
}

struct open_all_ctx {
	struct instance *list;
	int n, cap;
	bool meta_only;
};

static int open_all_one(const char *dir, void *ctx)
{
	struct open_all_ctx *c = ctx;
	struct instance *grown;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		grown = realloc(c->list, c->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		c->list = grown;
	}
	/* A half-made or foreign folder is skipped, not fatal. */
	if (!instance_open_dir(dir, &c->list[c->n], c->meta_only))
		c->n++;
	return 0;
}

static int open_all(struct instance **list, bool meta_only)
{
	struct open_all_ctx c = { .meta_only = meta_only };
	int err = for_each_dir(open_all_one, &c);

	if (err) {
		instance_close_all(c.list, c.n);
		return err;
	}
	if (c.n)
		qsort(c.list, c.n, sizeof(*c.list), instance_cmp);
	*list = c.list;
	return c.n;
}

int instance_open_all(struct instance **list)
{
	return open_all(list, false);
}

int instance_open_all_meta(struct instance **list)
{
	return open_all(list, true);
}

struct open_one_ctx {
	const char *ifname;
	__u64 netns_ino;
	struct instance *inst;
};

static int open_one(const char *dir, void *ctx)
{
	struct open_one_ctx *c = ctx;
	struct instance inst;

	if (instance_open_dir(dir, &inst, true))
		return 0;
	if (inst.meta.netns_ino == c->netns_ino &&
	    !strcmp(inst.meta.ifname, c->ifname)) {
		*c->inst = inst;
		return 1;
	}
	instance_close(&inst);
	return 0;
}

/* Find an interface's instance and open its meta. */
static int find_named(const char *ifname, const char *netns,
		      struct instance *inst)
{
	struct open_one_ctx c = { .ifname = ifname, .inst = inst };
	char dir[PATH_MAX];
	__u64 cur_ino;
	__u32 ifindex;
	int ret;

	ret = netns_inode(netns, &c.netns_ino);
	if (ret)
		return ret;
	/*
	 * In the interface's own namespace the folder name is known (and
	 * survives a rename); otherwise, or for an interface that has gone
	 * away, look for the name kept in meta.
	 */
	if (!netns_inode(NULL, &cur_ino) && cur_ino == c.netns_ino &&
	    (ifindex = if_nametoindex(ifname)) &&
	    !pin_dir(c.netns_ino, ifindex, dir, sizeof(dir)) &&
	    !instance_open_dir(dir, inst, true))
		return 0;
	ret = for_each_dir(open_one, &c);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ENOENT;
}

int instance_open(const char *ifname, const char *netns, struct instance *inst)
{
	int err = find_named(ifname, netns, inst);

	if (!err) {
		err = open_maps(inst);
		if (err)
			instance_close(inst);
	}
	return err;
}

int instance_open_meta(const char *ifname, const char *netns,
		       struct instance *inst)
{
	return find_named(ifname, netns, inst);
}
