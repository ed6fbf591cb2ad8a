// SPDX-License-Identifier: GPL-2.0
/*
 * Loading an instance's data plane (see dataplane.h): sizes and settings
 * fixed at load, shared maps, the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "dataplane.h"
#include "flowstat_tc.skel.h"
#include "flowstat_xdp.skel.h"
#include "report.h"
#include "pin.h"
#include "store.h"

const char *const dp_map_names[DP_MAPS] = {
	FLOWSTAT_MAP_FLOWS "0", FLOWSTAT_MAP_FLOWS "1",
	FLOWSTAT_MAP_TOTALS "0", FLOWSTAT_MAP_TOTALS "1",
	FLOWSTAT_MAP_CACHE "0", FLOWSTAT_MAP_CACHE "1", FLOWSTAT_MAP_CTL,
	FLOWSTAT_MAP_MATCH, FLOWSTAT_MAP_SIG,
};

__u32 dp_default_cache_slots(void)
{
	int cpus = libbpf_num_possible_cpus();
	__u32 slots = FLOWSTAT_CACHE_SLOTS;

	/* Keep the total near 4096 * 8 slots as the CPU count grows. */
	for (; cpus > 8 && slots > 256; cpus /= 2)
		slots /= 2;
	return slots;
}

/* The maps of an object, in enum dp_map order. */
#define OBJ_MAPS(o)                                                     \
	{ (o)->maps.flows0, (o)->maps.flows1, (o)->maps.totals0,         \
	  (o)->maps.totals1, (o)->maps.cache0, (o)->maps.cache1,         \
	  (o)->maps.data_ctl, (o)->maps.data_match, (o)->maps.sig }

static int size_maps(struct bpf_map **maps, const struct dataplane *dp)
{
	int e, err = 0;

	for (e = 0; !err && e < FLOWSTAT_EPOCHS; e++) {
		err = bpf_map__set_max_entries(maps[DP_FLOWS0 + e],
					       dp->max_flows);
		if (!err)
			err = bpf_map__set_max_entries(maps[DP_CACHE0 + e],
						       dp->cache_slots);
	}
	return err;
}

/* The generation word's sampling rates as the maps start. */
static void set_ctl(const struct dataplane *dp, struct flowstat_ctl *ctl)
{
	__u32 rate = dp->sample_auto ? 1 : dp->sample;
	int e;

	for (e = 0; e < FLOWSTAT_EPOCHS; e++)
		ctl->sample[e] = rate;
	ctl->sample_next = rate;
	ctl->sample_auto = dp->sample_auto;
}

/* What is fixed at load, the same in both objects. */
static int set_xdp(struct dataplane *dp)
{
	struct flowstat_xdp *x = dp->xdp;
	struct bpf_map *maps[DP_MAPS] = OBJ_MAPS(x);

	x->rodata->cache_mask = dp->cache_slots - 1;
	x->rodata->ns_per_jiffy = dp->ns_per_jiffy;
	x->rodata->sampling = dp->sample || dp->sample_auto;
	set_ctl(dp, &x->data_ctl->ctl);
	return size_maps(maps, dp);
}

static int set_tc(struct dataplane *dp)
{
	struct flowstat_tc *t = dp->tc;
	struct bpf_map *maps[DP_MAPS] = OBJ_MAPS(t);

	t->rodata->cache_mask = dp->cache_slots - 1;
	t->rodata->ns_per_jiffy = dp->ns_per_jiffy;
	t->rodata->sampling = dp->sample || dp->sample_auto;
	set_ctl(dp, &t->data_ctl->ctl);
	return size_maps(maps, dp);
}

void dp_set_sample(struct dataplane *dp, __u32 rate, bool sample_auto)
{
	dp->sample = rate;
	dp->sample_auto = sample_auto;
	if (dp->xdp)
		set_xdp(dp);
	if (dp->tc)
		set_tc(dp);
}

int dp_open(struct dataplane *dp, bool xdp, bool tc, __u32 max_flows,
	    __u32 cache_slots)
{
	int i, err;

	memset(dp, 0, sizeof(*dp));
	for (i = 0; i < DP_MAPS; i++)
		dp->fds[i] = -1;
	dp->store_fd = -1;
	dp->max_flows = max_flows;
	dp->cache_slots = cache_slots ? cache_slots : dp_default_cache_slots();
	err = clock_ns_per_jiffy(&dp->ns_per_jiffy);
	if (err)
		report_warn("the fast path is off: the kernel's jiffy length "
			"could not be found (%s)", strerror(-err));
	err = 0;
	if (xdp) {
		dp->xdp = flowstat_xdp__open();
		if (!dp->xdp)
			return -errno;
		err = set_xdp(dp);
		if (err)
			return err;
	}
	if (tc) {
		dp->tc = flowstat_tc__open();
		if (!dp->tc)
			return -errno;
		err = set_tc(dp);
	}
	return err;
}

/* Set 1 in force, version 1 (the next change takes set 0). */
static void set_match(struct flowstat_ctl *ctl, struct match_sets *ms,
		      const struct match_set *set)
{
	if (!set || !set->n_rules)
		return;
	ms->last = 1;
	ms->set[1] = *set;
	ctl->match = 1;
}

void dp_set_match(struct dataplane *dp, const struct match_set *set)
{
	if (dp->xdp)
		set_match(&dp->xdp->data_ctl->ctl,
			  &dp->xdp->data_match->match_sets, set);
	if (dp->tc)
		set_match(&dp->tc->data_ctl->ctl,
			  &dp->tc->data_match->match_sets, set);
	dp->match = set;
}

int dp_reopen_xdp(struct dataplane *dp)
{
	dp_close_xdp(dp);
	dp->xdp = flowstat_xdp__open();
	if (!dp->xdp)
		return -errno;
	set_match(&dp->xdp->data_ctl->ctl, &dp->xdp->data_match->match_sets,
		  dp->match);
	return set_xdp(dp);
}

void dp_close_xdp(struct dataplane *dp)
{
	int i;

	if (!dp->xdp)
		return;
	flowstat_xdp__destroy(dp->xdp);
	dp->xdp = NULL;
	for (i = 0; i < DP_MAPS; i++)
		dp->fds[i] = -1;
}

static void take_fds(struct dataplane *dp, struct bpf_map **maps)
{
	int i;

	for (i = 0; i < DP_MAPS; i++)
		dp->fds[i] = bpf_map__fd(maps[i]);
}

int dp_load_xdp(struct dataplane *dp, bool loaded)
{
	struct bpf_map *maps[DP_MAPS] = OBJ_MAPS(dp->xdp);
	int err = loaded ? 0 : flowstat_xdp__load(dp->xdp);

	if (!err)
		take_fds(dp, maps);
	return err;
}

int dp_want_tc(struct dataplane *dp, bool ingress, bool egress)
{
	int err;

	if (!dp->tc)
		return -EINVAL;
	err = bpf_program__set_autoload(dp->tc->progs.flowstat_tc_ingress,
					ingress);
	return err ? err : bpf_program__set_autoload(
				   dp->tc->progs.flowstat_tc_egress, egress);
}

int dp_load_tc(struct dataplane *dp)
{
	struct bpf_map *maps[DP_MAPS] = OBJ_MAPS(dp->tc);
	int i, err;

	for (i = 0; dp->xdp && i < DP_MAPS; i++) {
		err = bpf_map__reuse_fd(maps[i], dp->fds[i]);
		if (err)
			return err;
	}
	err = flowstat_tc__load(dp->tc);
	if (!err && !dp->xdp)
		take_fds(dp, maps);
	return err;
}

int dp_make_store(struct dataplane *dp)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	size_t size = store_bytes(dp->max_flows);
	void *mem;
	int err;

	dp->store_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "flowstat_store",
				      sizeof(__u32), STORE_PAGE,
				      size / STORE_PAGE, &opts);
	if (dp->store_fd < 0)
		return -errno;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dp->store_fd, 0);
	if (mem == MAP_FAILED)
		return -errno;
	err = store_format(mem, size, dp->max_flows);
	munmap(mem, size);
	return err;
}

static int pin_one(int fd, const char *dir, const char *name)
{
	char path[PATH_MAX];
	int err = pin_path(dir, name, path, sizeof(path));

	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	return err;
}

int dp_pin(struct dataplane *dp, const char *dir)
{
	int i, err = 0;

	for (i = 0; !err && i < DP_MAPS; i++)
		err = pin_one(dp->fds[i], dir, dp_map_names[i]);
	if (!err)
		err = pin_one(dp->store_fd, dir, FLOWSTAT_MAP_STORE);
	return err;
}

int dp_prog_fd(const struct dataplane *dp, int which)
{
	int fd;

	if (which == 0)
		return dp->xdp ? bpf_program__fd(dp->xdp->progs.flowstat_xdp) :
				 -1;
	if (!dp->tc)
		return -1;
	fd = bpf_program__fd(which == 1 ? dp->tc->progs.flowstat_tc_ingress :
					  dp->tc->progs.flowstat_tc_egress);
	return fd < 0 ? -1 : fd;
}

void dp_close(struct dataplane *dp)
{
	flowstat_tc__destroy(dp->tc);
	flowstat_xdp__destroy(dp->xdp);
	dp->tc = NULL;
	dp->xdp = NULL;
	if (dp->store_fd >= 0)
		close(dp->store_fd);
	dp->store_fd = -1;
}

static int dup_fd(int fd, int *out)
{
	*out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return *out < 0 ? -errno : 0;
}

int dp_instance(const struct dataplane *dp, const char *lock_dir,
		struct instance *inst)
{
	void *p;
	int e, err = 0;

	memset(inst, 0, sizeof(*inst));
	for (e = 0; e < FLOWSTAT_EPOCHS; e++)
		inst->flows_fd[e] = inst->totals_fd[e] = inst->cache_fd[e] = -1;
	inst->ctl_fd = inst->match_fd = inst->store_fd = inst->meta_fd = -1;
	inst->sig_fd = -1;
	inst->lock_fd = inst->reader_fd = inst->reader_slot = -1;
	inst->meta.version = FLOWSTAT_META_VERSION;
	inst->meta.max_flows = dp->max_flows;
	inst->meta.cache_slots = dp->cache_slots;
	inst->meta.ns_per_jiffy = dp->ns_per_jiffy;
	inst->meta.sampling = dp->sample_auto ? SAMPLING_AUTO :
			      dp->sample ? SAMPLING_FIXED : SAMPLING_OFF;
	snprintf(inst->dir, sizeof(inst->dir), "%s", lock_dir);
	for (e = 0; !err && e < FLOWSTAT_EPOCHS; e++) {
		err = dup_fd(dp->fds[DP_FLOWS0 + e], &inst->flows_fd[e]);
		if (!err)
			err = dup_fd(dp->fds[DP_TOTALS0 + e],
				     &inst->totals_fd[e]);
		if (!err)
			err = dup_fd(dp->fds[DP_CACHE0 + e],
				     &inst->cache_fd[e]);
	}
	if (!err)
		err = dup_fd(dp->fds[DP_CTL], &inst->ctl_fd);
	if (!err)
		err = dup_fd(dp->fds[DP_MATCH], &inst->match_fd);
	if (!err)
		err = dup_fd(dp->fds[DP_SIG], &inst->sig_fd);
	if (!err)
		err = dup_fd(dp->store_fd, &inst->store_fd);
	if (!err) {
		inst->lock_fd = open(lock_dir, O_RDONLY | O_DIRECTORY |
					       O_CLOEXEC);
		if (inst->lock_fd < 0)
			err = -errno;
	}
	if (!err) {
		p = mmap(NULL, STORE_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 inst->ctl_fd, 0);
		if (p == MAP_FAILED)
			err = -errno;
		else
			inst->ctl = p;
	}
	if (!err) {
		p = mmap(NULL, MATCH_MAP_BYTES, PROT_READ | PROT_WRITE,
			 MAP_SHARED, inst->match_fd, 0);
		if (p == MAP_FAILED)
			err = -errno;
		else
			inst->match = p;
	}
	if (!err) {
		inst->store_size = store_bytes(dp->max_flows);
		p = mmap(NULL, inst->store_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, inst->store_fd, 0);
		if (p == MAP_FAILED)
			err = -errno;
		else
			inst->store_mem = p;
	}
	if (!err)
		err = store_bind(&inst->st, inst->store_mem, inst->store_size);
	if (err)
		instance_close(inst);
	return err;
}
