// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, userspace collection: what it costs to read an instance's
 * flows the way dump, watch, top and the agent do (a following
 * collector: fold the epoch into the store, read the store's changes
 * into the collector, build the snapshot), at 1,000,000 flows
 * (BENCH_QUICK=1: 50,000), against a plain bpf_map_lookup_batch of the
 * same per-CPU hash with the per-CPU sums (the floor a naive reader
 * pays). Taken in turn in the same run; costs are the thread's CPU time
 * (user and system: the map reads run in its system calls), so that the
 * grace period's wait and other processes on the machine count as
 * nothing. The fold's share (into the store, before the collector reads
 * it) is a figure of its own. And the memory: the kernel's (the maps' memlock) and the
 * reader's (anonymous RSS growth) per flow.
 *
 * The data plane is loaded, not attached: the flows are written into
 * the current epoch's hash with bpf_map_update_batch, on every CPU,
 * exactly as the programs leave them. Prints figures; asserts nothing
 * about speed, and exits 1 only when it could not run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_json.h"
#include "collect.h"
#include "dataplane.h"
#include "fold.h"

#define FILL_CHUNK 65536
#define FLOOR_CHUNK 8192
#define ROUNDS 3

static int ncpus;
static __u32 n_flows;
static struct flow_key *fill_keys;
static struct flow_value *fill_vals;

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Flow j: a UDP flow between two documentation addresses. */
static void flow_key_of(__u32 j, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->src[0] = 192, k->src[1] = 0, k->src[2] = 2, k->src[3] = 1;
	k->dst[0] = 198, k->dst[1] = 51, k->dst[2] = 100;
	k->dst[3] = (__u8)(j >> 24);
	k->ethertype = 0x0800;
	k->proto = 17;
	k->sport = (__u16)j;
	k->dport = (__u16)(j >> 16);
	k->flags = FLOW_F_L4 | FLOW_F_PORTS;
}

/*
 * Count one more round of traffic for the flows first, first + step, ...
 * (n of them) in the epoch the programs count in now: a frame on the
 * first CPU and round frames on the last, as the data plane would.
 */
static int fill(struct instance *in, __u32 first, __u32 step, __u32 n,
		__u64 round)
{
	int fd = in->flows_fd[in->ctl->gen & 1];
	__u64 now = mono_ns();
	__u32 done = 0, i, count;
	int cpu;

	while (done < n) {
		count = n - done < FILL_CHUNK ? n - done : FILL_CHUNK;
		for (i = 0; i < count; i++) {
			struct flow_value *v = &fill_vals[(size_t)i * ncpus];

			flow_key_of(first + (done + i) * step, &fill_keys[i]);
			memset(v, 0, ncpus * sizeof(*v));
			for (cpu = 0; cpu < ncpus; cpu++) {
				v[cpu].packets = cpu ? round : 1;
				v[cpu].bytes = v[cpu].packets * 64;
				v[cpu].ip_bytes = v[cpu].packets * 46;
				v[cpu].first_seen = now;
				v[cpu].last_seen = now;
			}
		}
		if (bpf_map_update_batch(fd, fill_keys, fill_vals, &count,
					 NULL))
			return -errno;
		done += count;
	}
	return 0;
}

/* The floor: every entry of the hash read in batches and summed. */
static int lookup_all(int fd, __u64 *packets, __u32 *flows)
{
	static struct flow_key keys[FLOOR_CHUNK];
	static struct flow_value *vals;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 batch[8];
	bool first = true;
	__u32 count, i;
	int err, cpu;

	if (!vals)
		vals = calloc((size_t)FLOOR_CHUNK * ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	*packets = 0;
	*flows = 0;
	do {
		count = FLOOR_CHUNK;
		err = bpf_map_lookup_batch(fd, first ? NULL : batch, batch,
					   keys, vals, &count, &opts);
		if (err && err != -ENOENT)
			return err;
		for (i = 0; i < count; i++)
			for (cpu = 0; cpu < ncpus; cpu++)
				*packets += vals[(size_t)i * ncpus + cpu].packets;
		*flows += count;
		first = false;
	} while (!err);
	return 0;
}

static long rss_anon_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static long long memlock_of(int fd)
{
	char path[64], line[256];
	long long bytes = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &bytes) == 1)
			break;
	if (f)
		fclose(f);
	return bytes;
}

/* Every map of the instance: both epochs, the control word, the store. */
static double kernel_bytes(const struct instance *in)
{
	int fds[] = { in->flows_fd[0], in->flows_fd[1], in->totals_fd[0],
		      in->totals_fd[1], in->cache_fd[0], in->cache_fd[1],
		      in->ctl_fd, in->store_fd };
	long long sum = 0, b;
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		b = memlock_of(fds[i]);
		if (b < 0)
			return NAN;
		sum += b;
	}
	return (double)sum;
}

/*
 * The fold alone (what core/fold.c and core/store.c cost), its CPU time
 * in *t; the scan after it folds an empty epoch and reads the store.
 */
static int timed_fold(struct instance *in, double *t)
{
	double t0 = cpu_ns();
	int err = fold_instance(in, NULL, NULL);

	*t = cpu_ns() - t0;
	return err;
}

/* One scan, its CPU time in ns; the snapshot's flow count in *n. */
static double scan(struct collector *c, size_t *n)
{
	struct snapshot *s = NULL;
	double t0 = cpu_ns(), t;
	int err = collector_scan(c, &s);

	*n = 0;
	t = cpu_ns() - t0;
	if (err) {
		fprintf(stderr, "bench_collect: scan: %s\n", strerror(-err));
		return NAN;
	}
	*n = s->n_flows;
	snapshot_free(s);
	return t;
}

/* The lock folder and the reader folders the collector made in it. */
static void remove_dir(const char *dir)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < STORE_READERS; i++) {
		snprintf(path, sizeof(path), "%s/readers/%d", dir, i);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/readers", dir);
	rmdir(path);
	rmdir(dir);
}

static double min_of(double a, double b)
{
	return isnan(a) || b < a ? b : a;
}

int main(void)
{
	const char *quick = getenv("BENCH_QUICK");
	char lock_dir[] = "/tmp/flowstat-bench-XXXXXX";
	struct collect_opts co = { .follow = true };
	double floor_ns = NAN, read_ns = NAN, idle_ns = NAN, delta_ns = NAN;
	double fold_ns = NAN, dfold_ns = NAN;
	double user_b = NAN, kern_b;
	struct instance *in = calloc(1, sizeof(*in));
	struct collector *c = NULL;
	struct dataplane dp;
	__u32 moved, floor_flows;
	__u64 floor_packets;
	long rss0, rss1;
	size_t got;
	int r, err;

	libbpf_set_print(quiet);
	n_flows = quick && *quick && strcmp(quick, "0") ? 50000 : 1000000;
	moved = n_flows / 100;
	ncpus = libbpf_num_possible_cpus();
	fill_keys = calloc(FILL_CHUNK, sizeof(*fill_keys));
	fill_vals = calloc((size_t)FILL_CHUNK * ncpus, sizeof(*fill_vals));
	if (!in || !fill_keys || !fill_vals || !mkdtemp(lock_dir)) {
		free(in);
		free(fill_keys);
		free(fill_vals);
		return 1;
	}
	err = dp_open(&dp, true, false, n_flows, 0);
	if (!err)
		err = dp_load_xdp(&dp, false);
	if (!err)
		err = dp_make_store(&dp);
	if (!err)
		err = dp_instance(&dp, lock_dir, in);
	if (err) {
		fprintf(stderr, "bench_collect: cannot load the data plane: "
			"%s\n", strerror(-err));
		remove_dir(lock_dir);
		free(in);
		return 1;
	}
	printf("collection of %u flows, %d CPUs (thread CPU time)\n",
	       n_flows, ncpus);
	rss0 = rss_anon_kb();
	err = collector_new_instances(&in, 1, &co, &c);
	if (err) {
		fprintf(stderr, "bench_collect: collector: %s\n",
			strerror(-err));
		goto out;
	}
	/* every flow moved: the floor, then our read, in turn */
	for (r = 0; r < ROUNDS && !err; r++) {
		double t0, t, fold_t;

		err = fill(in, 0, 1, n_flows, r + 1);
		if (err)
			break;
		t0 = cpu_ns();
		err = lookup_all(in->flows_fd[in->ctl->gen & 1],
				 &floor_packets, &floor_flows);
		t = cpu_ns() - t0;
		if (!err && floor_flows == n_flows)
			floor_ns = min_of(floor_ns, t / n_flows);
		/* the fold alone, then the rest of the scan */
		err = timed_fold(in, &fold_t);
		if (err)
			break;
		t = scan(c, &got);
		printf("  round %d: fold %.0f ns/flow, scan after it %.0f "
		       "ns/flow\n", r, fold_t / n_flows, t / n_flows);
		fold_ns = min_of(fold_ns, fold_t / n_flows);
		t += fold_t;
		if (got != n_flows)
			fprintf(stderr, "bench_collect: read %zu flows of "
				"%u\n", got, n_flows);
		else
			read_ns = min_of(read_ns, t / n_flows);
		printf("  round %d: lookup_batch %.0f ns/flow, read %.0f "
		       "ns/flow\n", r, floor_ns, t / n_flows);
	}
	rss1 = rss_anon_kb();
	if (rss0 >= 0 && rss1 >= 0)
		user_b = (rss1 - rss0) * 1024.0 / n_flows;
	/* nothing moved */
	for (r = 0; r < ROUNDS && !err; r++)
		idle_ns = min_of(idle_ns, scan(c, &got) / n_flows);
	/* one flow in a hundred moved */
	for (r = 0; r < ROUNDS && !err; r++) {
		double t;

		err = fill(in, r, 100, moved, ROUNDS + r + 1);
		if (!err)
			err = timed_fold(in, &t);
		if (!err)
			dfold_ns = min_of(dfold_ns, t / moved);
		if (!err)
			delta_ns = min_of(delta_ns,
					  (t + scan(c, &got)) / moved);
	}
	if (err)
		fprintf(stderr, "bench_collect: %s\n", strerror(-err));
out:
	kern_b = kernel_bytes(in) / n_flows;
	bench_record("collect.read1m.ns_per_flow", read_ns, "ns",
		     "collect.lookup_batch.ns_per_flow", floor_ns);
	bench_record("collect.read1m_idle.ns_per_flow", idle_ns, "ns",
		     "collect.lookup_batch.ns_per_flow", floor_ns);
	bench_record("collect.delta.ns_per_moved_flow", delta_ns, "ns",
		     "collect.read1m.ns_per_flow", read_ns);
	bench_record("collect.fold1m.ns_per_flow", fold_ns, "ns",
		     "collect.lookup_batch.ns_per_flow", floor_ns);
	bench_record("collect.delta_fold.ns_per_moved_flow", dfold_ns, "ns",
		     "collect.fold1m.ns_per_flow", fold_ns);
	bench_record("mem.kernel.bytes_per_flow", kern_b, "bytes", NULL, 0);
	bench_record("mem.user.bytes_per_flow", user_b, "bytes", NULL, 0);
	if (c)
		collector_free(c);	/* closes the instance */
	else
		instance_close(in);
	dp_close(&dp);
	remove_dir(lock_dir);
	return 0;
}
