// SPDX-License-Identifier: GPL-2.0
/*
 * The security signals' data plane (common/signals.bpf.h), with
 * BPF_PROG_TEST_RUN on crafted frames through the XDP and tc ingress
 * programs, read back by core/signals.c:
 *   - a SYN repeated (one flow, which the fast path would take) counts
 *     every SYN, and an ACK-only repeat counts none;
 *   - 200 destination ports from one source: scan_ports names it, with
 *     an estimate within the sketch's error;
 *   - a 16-flow table and 300 sources at one destination: fan_in and
 *     the flows the table could not take are still counted.
 * Each case starts with a window: it has a second to run in one.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "signals.h"
#include "testlib.h"
#include "pktbuild.h"
#include "dptest.h"

static __u64 window_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec) >>
	       SIG_WINDOW_SHIFT;
}

/* Wait for the next window to begin; returns it. */
static __u64 window_fresh(void)
{
	__u64 w = window_now(), n;
	struct timespec ms = { 0, 1000000 };

	while ((n = window_now()) == w)
		nanosleep(&ms, NULL);
	return n;
}

static int dp_up(struct dataplane *dp, __u32 max_flows)
{
	struct dptest_opts o = { .max_flows = max_flows };
	int err = dptest_up(dp, &o);

	if (err)
		errno = -err;
	return err;
}

static int run(int prog, const struct pkt_spec *s, int repeat)
{
	__u8 frame[2048];
	int len = pkt_build(s, frame);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = repeat);

	return bpf_prog_test_run_opts(prog, &opts);
}

/* SYNs of window w at every destination bucket, all CPUs. */
static __u64 syns_of(int fd, __u64 w)
{
	int cpus = libbpf_num_possible_cpus(), c;
	struct sig_bucket *v = calloc(cpus, sizeof(*v));
	__u64 n = 0;
	__u32 i, key;

	for (i = 0; v && i < SIG_DST_BUCKETS; i++) {
		key = (w & 1) * SIG_SLOTS + SIG_DST_BASE + i;
		if (bpf_map_lookup_elem(fd, &key, v))
			break;
		for (c = 0; c < cpus; c++)
			if (v[c].window == w)
				n += v[c].syns;
	}
	free(v);
	return n;
}

static void test_syn_repeats(const char *hook, int prog, int fd)
{
	struct pkt_spec syn = { .ethertype = 0x0800, .src = "192.0.2.1",
				.dst = "198.51.100.7", .proto = IPPROTO_TCP,
				.sport = 40000, .dport = 80,
				.tcp_flags = 0x02 };
	struct pkt_spec ack = syn;
	__u64 w, n;

	/* a flow of its own per hook: XDP and tc ingress share the fast
	 * path's state, and the ACKs of one would be remembered for the
	 * other (an interface has one ingress hook) */
	syn.sport += prog;
	ack = syn;
	ack.tcp_flags = 0x10;
	tl_begin("%s: a SYN repeated 50 times counts 50 SYNs (never on the "
		 "fast path), an ACK repeated counts none", hook);
	w = window_fresh();
	CHECK(!run(prog, &syn, 50), "run syn");
	CHECK(!run(prog, &ack, 50), "run ack");
	n = syns_of(fd, w);
	CHECK(window_now() == w, "took more than a window");
	CHECK(n == 50, "%llu SYNs", (unsigned long long)n);
	tl_end();
}

/* Read the window w (as if it had ended). */
static int read_window(int fd, __u64 w, struct iface_signals *g)
{
	return signals_read(fd, (w + 1) << SIG_WINDOW_SHIFT, g);
}

static void test_scan(int prog, int fd)
{
	struct pkt_spec s = { .ethertype = 0x0800, .src = "192.0.2.44",
			      .dst = "198.51.100.7", .proto = IPPROTO_TCP,
			      .sport = 50000, .tcp_flags = 0x02 };
	struct iface_signals g = { 0 };
	char host[64] = "";
	double v = 0;
	__u64 w;
	int i;

	tl_begin("xdp: 200 ports from one source: scan_ports names it, "
		 "within 30%%");
	w = window_fresh();
	for (i = 0; i < 200; i++) {
		s.dport = 1000 + i;
		CHECK(!run(prog, &s, 1), "run");
	}
	CHECK(window_now() == w, "took more than a window");
	CHECK(!read_window(fd, w, &g), "read");
	if (g.n_top[SIG_SCAN_PORTS]) {
		v = g.top[SIG_SCAN_PORTS][0].value;
		sig_host_text(&g.top[SIG_SCAN_PORTS][0], host, sizeof(host));
	}
	CHECK(fabs(v / 200 - 1) < 0.3, "scan_ports %.1f", v);
	CHECK(!strcmp(host, "192.0.2.44"), "names '%s'", host);
	CHECK(g.n_top[SIG_SCAN_HOSTS] &&
	      g.top[SIG_SCAN_HOSTS][0].value < 1.5, "scan_hosts %.1f",
	      g.n_top[SIG_SCAN_HOSTS] ? g.top[SIG_SCAN_HOSTS][0].value : 0);
	tl_end();
}

/*
 * signals_read in batches: buckets written by hand in either window's
 * half, at the edges of its 64-slot reads (slots 0, 63, 64, 127, 128 and
 * 512), each found with its own estimate, and a bucket of another
 * window at slot 65 never.
 */
static void test_read_batches(int fd)
{
	static const __u32 src_slots[] = { 63, 64, 127, 128 };
	int cpus = libbpf_num_possible_cpus(), c, half;
	struct sig_bucket *v = calloc(cpus, sizeof(*v));
	struct iface_signals g;
	char want[64], host[64];
	__u32 i, key, slot;
	__u64 w;
	int r;

	for (half = 0; half < 2; half++) {
		tl_begin("read: window half %d, buckets at the batch edges "
			 "found, another window's not", half);
		w = 1000 + half;
		for (slot = 0; v && slot < SIG_SLOTS; slot++) {
			bool mine = slot == 0 || slot == SIG_SLOTS - 1 ||
				    slot == 65;
			for (i = 0; i < 4; i++)
				mine |= slot == src_slots[i];
			memset(v, 0, cpus * sizeof(*v));
			for (c = 0; c < cpus && mine; c++) {
				v[c].window = slot == 65 ? w - 2 : w;
				v[c].ethertype = 0x0800;
				v[c].addr[0] = 192;
				v[c].addr[1] = 0;
				v[c].addr[2] = 2;
				v[c].addr[3] = slot & 0xff;
				/* slot / 32 + 1 registers at rank 1 */
				for (r = 0; r <= (int)slot / 32; r++)
					v[c].hll_a[r] = 1;
			}
			key = half * SIG_SLOTS + slot;
			CHECK(!bpf_map_update_elem(fd, &key, v, 0),
			      "update %u", key);
		}
		CHECK(!read_window(fd, w, &g), "read");
		CHECK(g.valid && g.window == w, "window %llu",
		      (unsigned long long)g.window);
		CHECK(g.untracked_flows > 0.5, "slot 0: %.2f",
		      g.untracked_flows);
		CHECK(g.n_top[SIG_SCAN_PORTS] == 4, "%d sources",
		      g.n_top[SIG_SCAN_PORTS]);
		/* more registers, more ports: largest (slot 128) first */
		for (i = 0; i < 4 && i < (__u32)g.n_top[SIG_SCAN_PORTS];
		     i++) {
			snprintf(want, sizeof(want), "192.0.2.%u",
				 src_slots[3 - i]);
			sig_host_text(&g.top[SIG_SCAN_PORTS][i], host,
				      sizeof(host));
			CHECK(!strcmp(host, want), "source %u: %s, not %s",
			      i, host, want);
		}
		CHECK(g.n_top[SIG_FAN_IN] == 1, "%d destinations",
		      g.n_top[SIG_FAN_IN]);
		tl_end();
	}
	free(v);
}

static void test_full_table(int prog, int fd)
{
	struct pkt_spec s = { .ethertype = 0x86dd, .dst = "2001:db8::7",
			      .proto = IPPROTO_TCP, .sport = 1024,
			      .dport = 443, .tcp_flags = 0x02 };
	struct iface_signals g = { 0 };
	char src[64], host[64] = "";
	double fan = 0, half = 0;
	__u64 w;
	int i;

	tl_begin("xdp, 16-flow table: 300 sources at one destination: "
		 "fan_in, half_open and the flows the table could not take, "
		 "within 30%%");
	s.src = src;
	w = window_fresh();
	for (i = 0; i < 300; i++) {
		snprintf(src, sizeof(src), "2001:db8:66::%x", i + 1);
		CHECK(!run(prog, &s, 1), "run");
	}
	CHECK(window_now() == w, "took more than a window");
	CHECK(!read_window(fd, w, &g), "read");
	if (g.n_top[SIG_FAN_IN]) {
		fan = g.top[SIG_FAN_IN][0].value;
		sig_host_text(&g.top[SIG_FAN_IN][0], host, sizeof(host));
	}
	if (g.n_top[SIG_HALF_OPEN])
		half = g.top[SIG_HALF_OPEN][0].value;
	CHECK(fabs(fan / 300 - 1) < 0.3, "fan_in %.1f", fan);
	CHECK(fabs(half / 300 - 1) < 0.3, "half_open %.1f", half);
	CHECK(!strcmp(host, "2001:db8::7"), "names '%s'", host);
	CHECK(fabs(g.untracked_flows / 284 - 1) < 0.3, "untracked %.1f",
	      g.untracked_flows);
	tl_end();
}

int main(void)
{
	struct dataplane dp;

	dptest_init(false);
	tl_begin("load the XDP and tc objects");
	CHECK(!dp_up(&dp, FLOWSTAT_DEFAULT_MAX_FLOWS), "load: %s",
	      strerror(errno));
	tl_end();
	if (tl_failed)
		return tl_exit();
	test_syn_repeats("xdp", dp_prog_fd(&dp, 0), dp.fds[DP_SIG]);
	test_syn_repeats("tc ingress", dp_prog_fd(&dp, 1), dp.fds[DP_SIG]);
	dp_close(&dp);
	if (!dp_up(&dp, FLOWSTAT_DEFAULT_MAX_FLOWS)) {
		test_scan(dp_prog_fd(&dp, 0), dp.fds[DP_SIG]);
		dp_close(&dp);
	}
	if (!dp_up(&dp, 16)) {
		test_read_batches(dp.fds[DP_SIG]);
		test_full_table(dp_prog_fd(&dp, 0), dp.fds[DP_SIG]);
		dp_close(&dp);
	}
	return tl_exit();
}
