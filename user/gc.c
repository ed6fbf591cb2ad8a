// SPDX-License-Identifier: GPL-2.0
/*
 * gc: remove idle flows and keep their counts in the retired map.
 *
 * For each idle flow: read its hash value, delete the entry, add the value
 * to retired. Then, for every cache slot index with an idle flow's key on
 * some CPU, re-read that index, move those CPUs' pending counts to retired
 * and write the slots back empty. Deleting the hash entry first means that
 * a packet which still hits a slot afterwards lands in pending and is
 * swept in the cache pass, and one that misses makes a new entry.
 *
 * The one race: the BPF side writes between our read and our write of the
 * same hash entry or cache index (a few microseconds); what it wrote there
 * is lost from the flows and the invariant is off by those packets. No
 * single-CPU write exists for per-CPU maps on the kernels we support.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "gc.h"

struct gc_ctx {
	struct instance *inst;
	int ncpus;
	struct flow_key *keys;	/* all flows, then the idle ones sorted */
	void *values;
	size_t cap, n, n_idle;
	void *slots;
	struct flow_retired add[FLOW_DIR_MAX];
	struct gc_result *res;
};

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct flow_key));
}

static bool is_idle(const struct gc_ctx *g, const struct flow_key *k)
{
	return bsearch(k, g->keys, g->n_idle, sizeof(*k), key_cmp) != NULL;
}

static const struct flow_slot *slot_at(const void *row, int cpu)
{
	return (const void *)((const char *)row +
			      cpu * PERCPU_STRIDE(struct flow_slot));
}

/* Candidates by their hash last_seen, then drop those a slot saw since. */
static int find_idle(struct gc_ctx *g, __u64 cutoff)
{
	const size_t vstride = PERCPU_STRIDE(struct flow_value) * g->ncpus;
	size_t i, kept = 0, n_cpu_slots;
	struct flow_value v;
	bool *active;

	for (i = 0; i < g->n; i++) {
		flow_value_sum((char *)g->values + i * vstride, g->ncpus, &v);
		if (v.last_seen <= cutoff)
			g->keys[kept++] = g->keys[i];
	}
	g->n_idle = kept;
	qsort(g->keys, g->n_idle, sizeof(*g->keys), key_cmp);
	active = calloc(g->n_idle ? g->n_idle : 1, sizeof(*active));
	if (!active)
		return -ENOMEM;
	n_cpu_slots = (size_t)g->inst->meta.cache_slots * g->ncpus;
	for (i = 0; i < n_cpu_slots; i++) {
		const struct flow_slot *s = slot_at(g->slots, (int)i);
		struct flow_key *k;

		if (!s->used || s->last_seen <= cutoff)
			continue;
		k = bsearch(&s->key, g->keys, g->n_idle, sizeof(*k), key_cmp);
		if (k)
			active[k - g->keys] = true;
	}
	for (i = 0, kept = 0; i < g->n_idle; i++)
		if (!active[i])
			g->keys[kept++] = g->keys[i];
	g->n_idle = kept;	/* still sorted */
	free(active);
	return 0;
}

static void retire(struct gc_ctx *g, int dir, __u64 packets, __u64 bytes)
{
	if (dir >= FLOW_DIR_MAX)
		return;
	g->add[dir].packets += packets;
	g->add[dir].bytes += bytes;
}

static int delete_idle(struct gc_ctx *g)
{
	struct flow_value v;
	size_t i;

	for (i = 0; i < g->n_idle; i++) {
		const struct flow_key *k = &g->keys[i];

		if (bpf_map_lookup_elem(g->inst->flows_fd, k, g->values)) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (bpf_map_delete_elem(g->inst->flows_fd, k)) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		flow_value_sum(g->values, g->ncpus, &v);
		retire(g, k->dir, v.packets, v.bytes);
		g->res->flows++;
	}
	return 0;
}

/* Empty the slots of idle flows on one index; 0 or -errno. */
static int sweep_index(struct gc_ctx *g, __u32 idx, void *row)
{
	bool changed = false;
	int cpu;

	if (bpf_map_lookup_elem(g->inst->cache_fd, &idx, row))
		return -errno;
	for (cpu = 0; cpu < g->ncpus; cpu++) {
		struct flow_slot *s = (struct flow_slot *)slot_at(row, cpu);

		if (!s->used || !is_idle(g, &s->key))
			continue;
		retire(g, s->key.dir, s->packets, s->bytes);
		memset(s, 0, sizeof(*s));
		changed = true;
	}
	if (changed && bpf_map_update_elem(g->inst->cache_fd, &idx, row, 0))
		return -errno;
	return 0;
}

static int sweep_cache(struct gc_ctx *g)
{
	const size_t stride = PERCPU_STRIDE(struct flow_slot) * g->ncpus;
	__u32 idx;
	void *row = malloc(stride);
	int cpu, err = 0;

	if (!row)
		return -ENOMEM;
	for (idx = 0; !err && idx < g->inst->meta.cache_slots; idx++) {
		const void *old = (char *)g->slots + idx * stride;

		for (cpu = 0; cpu < g->ncpus; cpu++) {
			const struct flow_slot *s = slot_at(old, cpu);

			if (s->used && is_idle(g, &s->key))
				break;
		}
		if (cpu < g->ncpus)
			err = sweep_index(g, idx, row);
	}
	free(row);
	return err;
}

static int add_retired(struct gc_ctx *g)
{
	struct flow_retired r;
	__u32 d;

	for (d = 0; d < FLOW_DIR_MAX; d++) {
		if (!g->add[d].packets && !g->add[d].bytes)
			continue;
		if (bpf_map_lookup_elem(g->inst->retired_fd, &d, &r))
			return -errno;
		r.packets += g->add[d].packets;
		r.bytes += g->add[d].bytes;
		if (bpf_map_update_elem(g->inst->retired_fd, &d, &r, 0))
			return -errno;
		g->res->packets[d] += g->add[d].packets;
		g->res->bytes[d] += g->add[d].bytes;
	}
	return 0;
}

static int gc_locked(struct gc_ctx *g, __u64 idle_ns)
{
	struct timespec ts;
	__u64 now, cutoff;
	int err;

	err = collect_read_flows(g->inst->flows_fd, g->ncpus, &g->keys,
				 &g->values, &g->cap, &g->n);
	if (!err)
		err = collect_read_cache(g->inst->cache_fd,
					 g->inst->meta.cache_slots, g->ncpus,
					 &g->slots);
	if (err)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	cutoff = now > idle_ns ? now - idle_ns : 0;
	err = find_idle(g, cutoff);
	if (err || !g->n_idle)
		return err;
	err = delete_idle(g);
	if (!err)
		err = sweep_cache(g);
	/* whatever was taken out goes into retired, error or not */
	return add_retired(g) ?: err;
}

int gc_instance(struct instance *inst, __u64 idle_ns, struct gc_result *res)
{
	struct gc_ctx g = { .inst = inst, .res = res };
	int lock_fd, err;

	memset(res, 0, sizeof(*res));
	g.ncpus = libbpf_num_possible_cpus();
	if (g.ncpus <= 0)
		return g.ncpus ? g.ncpus : -EINVAL;
	/* gc runs are serialized: retired is read, added to, written */
	lock_fd = open(inst->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0)
		return -errno;
	if (flock(lock_fd, LOCK_EX)) {
		err = -errno;
		close(lock_fd);
		return err;
	}
	err = gc_locked(&g, idle_ns);
	close(lock_fd);
	free(g.keys);
	free(g.values);
	free(g.slots);
	return err;
}
