// SPDX-License-Identifier: GPL-2.0
/*
 * Opening instances: the pinned maps and meta of attached interfaces
 * (layout in pin.h), with the generation word and the store mapped.
 * Every reader and folder (status, dump, gc, top, watch) comes through
 * here.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "instance.h"
#include "netns.h"
#include "pin.h"

static void instance_reset(struct instance *inst)
{
	int e;

	memset(inst, 0, sizeof(*inst));
	for (e = 0; e < FLOWSTAT_EPOCHS; e++) {
		inst->flows_fd[e] = -1;
		inst->totals_fd[e] = -1;
		inst->cache_fd[e] = -1;
	}
	inst->ctl_fd = -1;
	inst->sig_fd = -1;
	inst->match_fd = -1;
	inst->store_fd = -1;
	inst->meta_fd = -1;
	inst->lock_fd = -1;
	inst->reader_fd = -1;
	inst->reader_slot = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void instance_close(struct instance *inst)
{
	int e;

	for (e = 0; e < FLOWSTAT_EPOCHS; e++) {
		close_fd(&inst->flows_fd[e]);
		close_fd(&inst->totals_fd[e]);
		close_fd(&inst->cache_fd[e]);
	}
	if (inst->ctl)
		munmap(inst->ctl, STORE_PAGE);
	if (inst->store_mem)
		munmap(inst->store_mem, inst->store_size);
	if (inst->match)
		munmap(inst->match, MATCH_MAP_BYTES);
	inst->ctl = NULL;
	inst->match = NULL;
	inst->store_mem = NULL;
	memset(&inst->st, 0, sizeof(inst->st));
	close_fd(&inst->ctl_fd);
	close_fd(&inst->sig_fd);
	close_fd(&inst->match_fd);
	close_fd(&inst->store_fd);
	close_fd(&inst->meta_fd);
	close_fd(&inst->reader_fd);	/* a registered reader's slot frees */
	inst->reader_slot = -1;
	close_fd(&inst->lock_fd);
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

static int read_meta(int fd, struct flowstat_meta *meta)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(fd, &key, meta))
		return -errno;
	if (meta->version != FLOWSTAT_META_VERSION)
		return -EPROTO;
	meta->ifname[sizeof(meta->ifname) - 1] = '\0';
	meta->netns[sizeof(meta->netns) - 1] = '\0';
	return 0;
}

/*
 * Readers size their buffers from common/flowstat.h: a map pinned by a
 * flowstat built with another ABI would be overrun, so it is refused.
 * max_entries 0 means "any".
 */
static int check_map(int fd, __u32 type, __u32 key_size, __u32 value_size,
		     __u32 max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != type || info.key_size != key_size ||
	    info.value_size != value_size ||
	    (max_entries && info.max_entries != max_entries))
		return -EPROTO;
	return 0;
}

static int open_checked(const char *dir, const char *name, int *fd,
			__u32 type, __u32 key_size, __u32 value_size,
			__u32 max_entries)
{
	int err = open_pin(dir, name, fd);

	return err ? err : check_map(*fd, type, key_size, value_size,
				     max_entries);
}

/* Map the generation word and the store. */
static int map_shared(struct instance *inst)
{
	void *p;
	int err;

	p = mmap(NULL, STORE_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 inst->ctl_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	inst->ctl = p;
	p = mmap(NULL, MATCH_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		 inst->match_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	inst->match = p;
	inst->store_size = store_bytes(inst->meta.max_flows);
	p = mmap(NULL, inst->store_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 inst->store_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	inst->store_mem = p;
	err = store_bind(&inst->st, p, inst->store_size);
	return err;
}

static int open_maps(struct instance *inst)
{
	const char *dir = inst->dir;
	const struct flowstat_meta *m = &inst->meta;
	char name[32];
	int e, err = 0;

	for (e = 0; !err && e < FLOWSTAT_EPOCHS; e++) {
		snprintf(name, sizeof(name), FLOWSTAT_MAP_FLOWS "%d", e);
		err = open_checked(dir, name, &inst->flows_fd[e],
				   BPF_MAP_TYPE_PERCPU_HASH,
				   sizeof(struct flow_key),
				   sizeof(struct flow_value), m->max_flows);
		snprintf(name, sizeof(name), FLOWSTAT_MAP_TOTALS "%d", e);
		if (!err)
			err = open_checked(dir, name, &inst->totals_fd[e],
					   BPF_MAP_TYPE_PERCPU_ARRAY,
					   sizeof(__u32),
					   sizeof(struct flow_totals),
					   FLOW_DIR_MAX);
		snprintf(name, sizeof(name), FLOWSTAT_MAP_CACHE "%d", e);
		if (!err)
			err = open_checked(dir, name, &inst->cache_fd[e],
					   BPF_MAP_TYPE_PERCPU_ARRAY,
					   sizeof(__u32),
					   sizeof(struct flow_slot),
					   m->cache_slots);
	}
	if (!err)
		err = open_checked(dir, FLOWSTAT_MAP_CTL, &inst->ctl_fd,
				   BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				   sizeof(struct flowstat_ctl), 1);
	/* An instance pinned before the signals existed has no sketches. */
	if (!err && open_checked(dir, FLOWSTAT_MAP_SIG, &inst->sig_fd,
				 BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
				 sizeof(struct sig_bucket), SIG_ENTRIES))
		close_fd(&inst->sig_fd);
	if (!err)
		err = open_checked(dir, FLOWSTAT_MAP_MATCH, &inst->match_fd,
				   BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				   sizeof(struct match_sets), 1);
	if (!err)
		err = open_checked(dir, FLOWSTAT_MAP_STORE, &inst->store_fd,
				   BPF_MAP_TYPE_ARRAY, sizeof(__u32),
				   STORE_PAGE,
				   store_bytes(m->max_flows) / STORE_PAGE);
	if (!err) {
		inst->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (inst->lock_fd < 0)
			err = -errno;
	}
	return err ? err : map_shared(inst);
}

bool instance_current(const struct instance *inst)
{
	struct flowstat_meta m;
	int fd, err;

	if (open_pin(inst->dir, FLOWSTAT_MAP_META, &fd))
		return false;
	err = read_meta(fd, &m);
	close(fd);
	return !err && m.instance_id == inst->meta.instance_id;
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
	err = open_checked(dir, FLOWSTAT_MAP_META, &inst->meta_fd,
			   BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			   sizeof(struct flowstat_meta), 1);
	if (!err)
		err = read_meta(inst->meta_fd, &inst->meta);
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

/* <netns inode>_<ifindex>, nothing else (pin.h). */
static bool instance_dir_name(const char *name)
{
	unsigned long long ino;
	unsigned int idx;
	int end = 0;

	return sscanf(name, "%llu_%u%n", &ino, &idx, &end) == 2 &&
	       name[end] == '\0' && name[0] >= '0' && name[0] <= '9';
}

/* An instance folder set aside by attach --force (attach_stash). */
static bool stash_dir_name(const char *name)
{
	char base[NAME_MAX + 1];
	size_t n = strlen(name);

	if (n <= 6 || n > NAME_MAX || strcmp(name + n - 6, "_force"))
		return false;
	memcpy(base, name, n - 6);
	base[n - 6] = '\0';
	return instance_dir_name(base);
}

/*
 * Calls fn for every instance folder, and with stashes also for the
 * folders that attach --force set aside; stops at fn's first non-zero.
 */
static int for_each_dir_in(int (*fn)(const char *dir, void *ctx), void *ctx,
			   bool stashes)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir(pin_root());
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		if (de->d_type != DT_DIR ||
		    !(instance_dir_name(de->d_name) ||
		      (stashes && stash_dir_name(de->d_name))))
			continue;
		if (pin_path(pin_root(), de->d_name, dir, sizeof(dir)))
			continue;
		ret = fn(dir, ctx);
	}
	closedir(d);
	return ret;
}

static int for_each_dir(int (*fn)(const char *dir, void *ctx), void *ctx)
{
	return for_each_dir_in(fn, ctx, false);
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

int instance_open_path(const char *dir, struct instance *inst)
{
	return instance_open_dir(dir, inst, false);
}

/*
 * A folder whose meta cannot be read: an attach killed half way. A
 * folder set aside by attach --force is one too, when the caller holds
 * the root lock: the attach that made it died before it put it back or
 * dropped it.
 */
static bool halfmade(const char *dir)
{
	const char *name = strrchr(dir, '/');
	struct instance inst;
	int err;

	if (name && stash_dir_name(name + 1))
		return true;
	err = instance_open_dir(dir, &inst, true);

	if (!err) {
		instance_close(&inst);
		return false;
	}
	return err != -ENOMEM && err != -EPROTO;
}

struct halfmade_ctx {
	char (*dirs)[PATH_MAX];
	int n, cap;
};

static int halfmade_one(const char *dir, void *ctx)
{
	struct halfmade_ctx *c = ctx;

	if (!halfmade(dir))
		return 0;
	if (c->n == c->cap) {
		void *g;

		c->cap = c->cap ? c->cap * 2 : 4;
		g = realloc(c->dirs, c->cap * sizeof(*c->dirs));
		if (!g)
			return -ENOMEM;
		c->dirs = g;
	}
	snprintf(c->dirs[c->n++], PATH_MAX, "%s", dir);
	return 0;
}

int instance_halfmade_all(char (**dirs)[PATH_MAX])
{
	struct halfmade_ctx c = { 0 };
	int err = for_each_dir_in(halfmade_one, &c, true);

	if (err) {
		free(c.dirs);
		return err;
	}
	*dirs = c.dirs;
	return c.n;
}

int instance_halfmade_path(__u64 netns_ino, __u32 ifindex, char *dir,
			   size_t len)
{
	struct stat st;
	int err = pin_dir(netns_ino, ifindex, dir, len);

	if (err)
		return err;
	if (stat(dir, &st))
		return errno == ENOENT ? 0 : -errno;
	return halfmade(dir);
}
