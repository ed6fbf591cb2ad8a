// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, live part: holds one XDP program on a testbed veth while
 * tests/bench_live.sh sends through it, so that flowstat's program and a
 * bare one are attached the same way (a native XDP link owned by this
 * process) and differ only in what they run.
 *
 *   bench_live_xdp NETNS DEV flowstat|bare pass|drop
 *
 * flowstat is the product's XDP object, loaded as flowstat loads it
 * (default table size), with its read-only verdict set to XDP_DROP for
 * "drop" (the product always passes). bare returns XDP_PASS or XDP_DROP and does nothing
 * else. Prints "attached" when the link is up and holds it until stdin
 * closes or a signal comes; the kernel removes the link when we exit.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "netns.h"
#include "flowstat_xdp.skel.h"
#include "bench_xdp.skel.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_live_xdp NETNS DEV flowstat|bare "
		"pass|drop\n");
	return 2;
}

static struct bpf_link *attach(struct bpf_program *prog, int ifindex)
{
	struct bpf_link *link = bpf_program__attach_xdp(prog, ifindex);

	if (!link)
		fprintf(stderr, "bench_live_xdp: attach: %s\n",
			strerror(errno));
	return link;
}

/* Blocks until stdin closes (or a signal ends us). */
static void hold(void)
{
	char buf[64];

	printf("attached\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

static int run_flowstat(int ifindex, bool drop)
{
	struct bpf_link *link = NULL;
	struct dataplane dp;
	int err;

	err = dp_open(&dp, true, false, FLOWSTAT_DEFAULT_MAX_FLOWS, 0);
	if (err)
		return err;
	dp.xdp->rodata->xdp_verdict = drop ? XDP_DROP : XDP_PASS;
	err = dp_load_xdp(&dp, false);
	if (!err) {
		link = attach(dp.xdp->progs.flowstat_xdp, ifindex);
		err = link ? 0 : -errno;
	}
	if (!err)
		hold();
	bpf_link__destroy(link);
	dp_close(&dp);
	return err;
}

static int run_bare(int ifindex, bool drop)
{
	struct bench_xdp *bx = bench_xdp__open_and_load();
	struct bpf_link *link = NULL;
	int err;

	if (!bx)
		return -errno;
	link = attach(drop ? bx->progs.bench_bare_drop : bx->progs.bench_bare,
		      ifindex);
	err = link ? 0 : -errno;
	if (!err)
		hold();
	bpf_link__destroy(link);
	bench_xdp__destroy(bx);
	return err;
}

int main(int argc, char **argv)
{
	int saved, ifindex, err;
	bool drop;

	if (argc != 5 || (strcmp(argv[3], "flowstat") &&
			  strcmp(argv[3], "bare")) ||
	    (strcmp(argv[4], "pass") && strcmp(argv[4], "drop")))
		return usage();
	libbpf_set_print(quiet);
	drop = !strcmp(argv[4], "drop");
	err = netns_enter(argv[1], &saved);
	if (err) {
		fprintf(stderr, "bench_live_xdp: netns %s: %s\n", argv[1],
			strerror(-err));
		return 1;
	}
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex) {
		fprintf(stderr, "bench_live_xdp: %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	if (!strcmp(argv[3], "flowstat"))
		err = run_flowstat(ifindex, drop);
	else
		err = run_bare(ifindex, drop);
	if (err)
		fprintf(stderr, "bench_live_xdp: %s: %s\n", argv[3],
			strerror(-err));
	return err ? 1 : 0;
}
