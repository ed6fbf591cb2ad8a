// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, data plane: the per-packet cost of flowstat's XDP program
 * against a bare XDP_PASS program in the same run (BPF_PROG_TEST_RUN,
 * 64-byte IPv4 UDP), for one existing flow and for flows rotating on
 * every packet. Prints figures; it asserts nothing about speed.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "flowstat_xdp.skel.h"
#include "bench_xdp.skel.h"
#include "pktbuild.h"

#define TRIALS 15

static __u32 repeat = 1000000;

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Nanoseconds per run of prog on frame, for one test run. */
static double ns_once(int prog_fd, const void *frame, int len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = repeat);
	double t0 = now_ns();

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		fprintf(stderr, "bench: test run: %s\n", strerror(errno));
		exit(1);
	}
	return (now_ns() - t0) / repeat;
}

/*
 * The baseline and the program under test, each the best of TRIALS test
 * runs, taken in turn so that a busy moment of the machine hits both.
 * Timed around the whole run: the kernel's own figure is whole ns.
 */
static void ns_pair(int base_fd, int prog_fd, const void *frame, int len,
		    double *base, double *prog)
{
	int i;

	*base = *prog = 1e9;
	for (i = 0; i < TRIALS; i++) {
		double b = ns_once(base_fd, frame, len);
		double p = ns_once(prog_fd, frame, len);

		if (b < *base)
			*base = b;
		if (p < *prog)
			*prog = p;
	}
}

/* A figure, and against its baseline: the ratio and the work added. */
static void row(const char *what, double ns, double base)
{
	if (base > 0)
		printf("  %-34s %6.2f ns  %5.2fx  (+%.2f ns)\n", what, ns,
		       ns / base, ns - base);
	else
		printf("  %-34s %6.2f ns\n", what, ns);
}

/*
 * New flows into a full table: a table of FULL_MAX flows filled, then
 * 65536 flows taking turns, almost all of them new. Each such frame may
 * cost one lookup and one failed update, and is counted as untracked.
 */
#define FULL_MAX 1024

static void bench_full_table(struct bench_xdp *bx, int rot_fd,
			     int rot_bare_fd, const void *frame, int len)
{
	struct dataplane full;
	double base, ns;
	__u32 zero = 0;
	int fd;

	if (dp_open(&full, true, false, FULL_MAX, 0) ||
	    dp_load_xdp(&full, false)) {
		fprintf(stderr, "bench: load failed\n");
		exit(1);
	}
	fd = dp_prog_fd(&full, 0);
	if (bpf_map_update_elem(bpf_map__fd(bx->maps.target), &zero, &fd,
				0)) {
		fprintf(stderr, "bench: prog array: %s\n", strerror(errno));
		exit(1);
	}
	bx->bss->rotate_mask = 65536 - 1;
	ns_once(rot_fd, frame, len);	/* fill the table */
	ns_pair(rot_bare_fd, rot_fd, frame, len, &base, &ns);
	row("rotate 65536 flows, full table + bare", base, 0);
	row("rotate 65536 flows, full table", ns, base);
	dp_close(&full);
}

int main(int argc, char **argv)
{
	static const __u32 rotations[] = { 256, 4096, 65536 };
	struct pkt_spec spec = { .ethertype = 0x0800, .src = "192.0.2.1",
				 .dst = "198.51.100.2", .proto = IPPROTO_UDP,
				 .sport = 1024, .dport = 53, .payload = 22 };
	struct dataplane dp;
	struct flowstat_xdp *fs;
	struct bench_xdp *bx;
	__u8 frame[2048];
	int len = pkt_build(&spec, frame), fs_fd, bare_fd, rot_fd, map_fd;
	int rot_bare_fd;
	double bare, hot, rot_base;
	__u32 zero = 0;
	cpu_set_t cpu0;
	size_t i;

	if (argc > 1)
		repeat = strtoul(argv[1], NULL, 0);
	libbpf_set_print(quiet);
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);

	/* flowstat's XDP program as attach loads it (sizes, clock) */
	if (dp_open(&dp, true, false, FLOWSTAT_DEFAULT_MAX_FLOWS, 0) ||
	    dp_load_xdp(&dp, false)) {
		fprintf(stderr, "bench: load failed (root needed)\n");
		return 1;
	}
	fs = dp.xdp;
	bx = bench_xdp__open_and_load();
	if (!fs || !bx) {
		fprintf(stderr, "bench: load failed (root needed)\n");
		return 1;
	}
	fs_fd = bpf_program__fd(fs->progs.flowstat_xdp);
	bare_fd = bpf_program__fd(bx->progs.bench_bare);
	rot_fd = bpf_program__fd(bx->progs.bench_rotate);
	rot_bare_fd = bpf_program__fd(bx->progs.bench_rotate_bare);
	map_fd = bpf_map__fd(bx->maps.target);
	if (bpf_map_update_elem(map_fd, &zero, &fs_fd, 0) ||
	    bpf_map_update_elem(bpf_map__fd(bx->maps.target_bare), &zero,
				&bare_fd, 0)) {
		fprintf(stderr, "bench: prog array: %s\n", strerror(errno));
		return 1;
	}

	printf("data plane: BPF_PROG_TEST_RUN, %d-byte IPv4 UDP, best of %d x %u runs, CPU 0\n",
	       len, TRIALS, repeat);
	printf("  (flows map %u entries, flow cache %u slots per CPU, "
	       "fast path %s)\n", bpf_map__max_entries(fs->maps.flows0),
	       bpf_map__max_entries(fs->maps.cache0),
	       dp.ns_per_jiffy ? "on" : "off");
	ns_once(fs_fd, frame, len);	/* the flow exists from here */
	ns_pair(bare_fd, fs_fd, frame, len, &bare, &hot);
	row("bare XDP_PASS", bare, 0);
	row("flowstat, one existing flow", hot, bare);

	for (i = 0; i < sizeof(rotations) / sizeof(rotations[0]); i++) {
		char what[64];
		double ns;

		bx->bss->rotate_mask = rotations[i] - 1;
		ns_once(rot_fd, frame, len);	/* enter the flows */
		ns_pair(rot_bare_fd, rot_fd, frame, len, &rot_base, &ns);
		snprintf(what, sizeof(what), "rotate %u flows + bare", rotations[i]);
		row(what, rot_base, 0);
		snprintf(what, sizeof(what), "rotate %u flows + flowstat", rotations[i]);
		row(what, ns, rot_base);
	}
	bench_full_table(bx, rot_fd, rot_bare_fd, frame, len);
	printf("  goal: an existing IPv4 flow at most 2.00x bare\n");
	bench_xdp__destroy(bx);
	dp_close(&dp);
	return 0;
}
