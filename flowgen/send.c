// SPDX-License-Identifier: GPL-2.0
/*
 * Sending with BPF_PROG_RUN in live-frames mode. The kernel runs our
 * XDP_TX program on each copy of the frame as if it had arrived on the
 * veth, and XDP_TX hands it to the peer's receive ring. The program makes
 * each copy the frame of the next flow, counting up, so that one run
 * sends many flows, interleaved frame by frame.
 *
 * A full ring drops frames silently. track_xmit, on the tracepoint where
 * the frames reach the veth, notes the flow of every frame the ring
 * dropped, and those flows are sent again: the counts flowgen reports,
 * per flow, are the frames that reached the peer. Without the tracker
 * (or when a run's frames do not add up), the veth's tx_queue_N_xdp_xmit
 * counters say how many were dropped, and as many are sent again,
 * counting on: the totals stay exact, and the report says that the
 * per-flow counts are not.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flowgen.skel.h"
#include "frames.h"
#include "send.h"

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

#define CHUNK_MAX (1U << 18)	/* frames per run: keeps ^C responsive */
#define MAX_IDLE_RUNS 3		/* runs in a row that deliver nothing */

/* A run's flow list and dropped list hold a whole run. */
_Static_assert(sizeof(((struct flowgen__bss *)0)->flow_list) ==
	       CHUNK_MAX * sizeof(__u32), "flow_list is not CHUNK_MAX long");
_Static_assert(sizeof(((struct flowgen__bss *)0)->dropped) ==
	       CHUNK_MAX * sizeof(__u32), "dropped is not CHUNK_MAX long");

int netns_enter(const char *name)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "flowgen: netns %s: %s\n", name, strerror(errno));
		return err;
	}
	/* Only the network namespace: bpffs and /sys stay the caller's. */
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		fprintf(stderr, "flowgen: enter netns %s: %s\n", name,
			strerror(errno));
	}
	close(fd);
	return err;
}

int dev_mac(const char *dev, __u8 *mac)
{
	struct ifreq ifr = {};
	int sock, err = 0;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(sock, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(sock);
	return err;
}

static int ethtool_ioctl(struct sender *s, void *cmd)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", s->dev);
	ifr.ifr_data = cmd;
	return ioctl(s->sock, SIOCETHTOOL, &ifr) ? -errno : 0;
}

static int stats_count(struct sender *s)
{
	struct {
		struct ethtool_sset_info info;
		__u32 count;
	} sset = { .info = { .cmd = ETHTOOL_GSSET_INFO,
			     .sset_mask = 1ULL << ETH_SS_STATS } };
	int err = ethtool_ioctl(s, &sset);

	if (err)
		return err;
	s->nr_stats = sset.info.sset_mask ? sset.count : 0;
	return 0;
}

/* Finds the per-queue XDP transmit counters that veth keeps. */
static int find_xmit_stats(struct sender *s)
{
	struct ethtool_gstrings *names;
	unsigned int i, q;
	int err;

	names = calloc(1, sizeof(*names) + s->nr_stats * ETH_GSTRING_LEN);
	s->xmit_idx = calloc(s->nr_stats + 1, sizeof(*s->xmit_idx));
	s->stats = calloc(1, sizeof(struct ethtool_stats) +
			  s->nr_stats * sizeof(__u64));
	if (!names || !s->xmit_idx || !s->stats) {
		free(names);
		return -ENOMEM;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = s->nr_stats;
	err = ethtool_ioctl(s, names);
	for (i = 0; !err && i < s->nr_stats; i++) {
		char *name = (char *)names->data + i * ETH_GSTRING_LEN;
		char want[ETH_GSTRING_LEN];

		name[ETH_GSTRING_LEN - 1] = '\0';
		if (sscanf(name, "tx_queue_%u_", &q) != 1)
			continue;
		snprintf(want, sizeof(want), "tx_queue_%u_xdp_xmit", q);
		if (!strcmp(name, want))
			s->xmit_idx[s->nr_xmit++] = i;
	}
	free(names);
	return err;
}

static int read_xmit(struct sender *s, __u64 *xmit)
{
	struct ethtool_stats *st = (struct ethtool_stats *)s->stats;
	__u32 i;
	int err;

	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = s->nr_stats;
	err = ethtool_ioctl(s, st);
	if (err)
		return err;
	*xmit = 0;
	for (i = 0; i < s->nr_xmit; i++)
		*xmit += st->data[s->xmit_idx[i]];
	return 0;
}

int sender_open(struct sender *s, const char *dev, struct flowgen *skel,
		__u32 batch)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->dev = dev;
	s->skel = skel;
	s->prog_fd = bpf_program__fd(skel->progs.xdp_tx);
	s->tracking = skel->links.track_xmit != NULL;
	s->batch = batch;
	s->ifindex = if_nametoindex(dev);
	if (!s->ifindex) {
		fprintf(stderr, "flowgen: %s: %s\n", dev, strerror(errno));
		return -ENODEV;
	}
	skel->bss->track_tid = gettid();
	skel->bss->track_ifindex = s->ifindex;
	s->owed = calloc(CHUNK_MAX, sizeof(*s->owed));
	if (!s->owed)
		return -ENOMEM;
	s->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->sock < 0)
		return -errno;
	err = stats_count(s);
	if (!err)
		err = find_xmit_stats(s);
	if (!err && !s->nr_xmit)
		err = -EOPNOTSUPP;
	if (err)
		fprintf(stderr, "flowgen: %s: %s\n", dev, err == -EOPNOTSUPP ?
			"not a veth (no tx_queue_N_xdp_xmit counters)" :
			strerror(-err));
	return err;
}

void sender_close(struct sender *s)
{
	if (s->sock > 0)
		close(s->sock);
	free(s->xmit_idx);
	free(s->stats);
	free(s->owed);
	s->sock = -1;
	s->xmit_idx = NULL;
	s->stats = NULL;
	s->owed = NULL;
}

/* xdp_tx's copy of flow 0's frame head and how to make flow k of it. */
static void load_spec(struct sender *s, const struct flow_spec *spec,
		      const __u8 *frame)
{
	struct flowgen__bss *bss = s->skel->bss;
	__u32 words = spec->size / 8;
	struct frame_plan plan;

	if (words > sizeof(bss->restore) / 8)
		words = sizeof(bss->restore) / 8;
	memcpy(bss->restore, frame, words * 8);
	bss->restore_words = words;
	frame_plan(spec, frame, &plan);
	bss->port_off = plan.port_off;
	bss->addr_off = plan.addr_off;
	bss->mac_off = plan.mac_off;
	bss->ip_csum_off = plan.ip_csum_off;
	bss->l4_csum_off = plan.l4_csum_off;
	bss->crc_off = plan.crc_off;
	bss->udp_csum = plan.udp_csum;
	bss->base_port = plan.base_port;
	bss->base_addr = plan.base_addr;
	bss->ip_sum = plan.ip_sum;
	bss->l4_sum = plan.l4_sum;
	bss->base_crc = plan.base_crc;
	memcpy(bss->crc_bits, plan.crc_bits, sizeof(bss->crc_bits));
	bss->flows = spec->flows;
	bss->next_flow = 0;
	bss->list_run = 0;
}

/*
 * Runs xdp_tx once on flow 0's frame, without sending, as flow k; its
 * frame must be the frame builder's flow k, byte for byte.
 */
static int check_flow(struct sender *s, const struct flow_spec *spec,
		      const __u8 *frame, __u32 k)
{
	static __u8 want[SPEC_MAX_SIZE], got[SPEC_MAX_SIZE];
	struct flowgen__bss *bss = s->skel->bss;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = spec->size, .data_out = got,
		    .data_size_out = sizeof(got), .repeat = 1);
	struct flow_spec flow;
	int err;

	bss->list_run = 1;
	bss->flow_list[0] = k;
	bss->run_frames = 0;
	err = bpf_prog_test_run_opts(s->prog_fd, &opts);
	bss->list_run = 0;
	if (err)	/* no test run of such a frame: the live run says why */
		return 0;
	spec_nth_flow(spec, k, &flow);
	frame_build(&flow, want);
	if (opts.retval == XDP_TX && opts.data_size_out == spec->size &&
	    !memcmp(got, want, spec->size))
		return 0;
	fprintf(stderr, "flowgen: internal error: xdp_tx made flow %u of %u "
		"unlike the frame builder\n", k + 1, spec->flows);
	return -EPROTO;
}

/* Flows 0, 1 and the last, and the first whose varied port wrapped. */
static int check_rewrite(struct sender *s, const struct flow_spec *spec,
			 const __u8 *frame)
{
	__u32 port = spec->vary == SPEC_VARY_DPORT ? spec->dport : spec->sport;
	__u32 k[4] = { 0, 1, spec->flows - 1, 0x10000 - port }, i;
	int err = 0;

	for (i = 0; !err && i < 4; i++) {
		if (k[i] < spec->flows)
			err = check_flow(s, spec, frame, k[i]);
	}
	return err;
}

struct run_result {
	__u32 ran;		/* frames xdp_tx ran */
	__u32 arrived;		/* of them, frames the peer's ring took */
	bool tracked;		/* bss->dropped: the others' flows */
};

/*
 * One BPF_PROG_RUN of n frames: counting on from next_flow, or, with
 * list, of the flows in flow_list.
 */
static int xmit_run(struct sender *s, const __u8 *frame, __u32 len, __u32 n,
		    bool list, struct run_result *r)
{
	struct flowgen__bss *bss = s->skel->bss;
	struct xdp_md ctx = { .data_end = len,
			      .ingress_ifindex = s->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = s->batch);
	__u64 before, after, moved;
	int err;

	bss->list_run = list;
	bss->run_frames = bss->run_flushed = bss->run_sent = 0;
	bss->run_dropped = bss->run_untracked = 0;
	err = read_xmit(s, &before);
	if (err)
		return err;
	err = bpf_prog_test_run_opts(s->prog_fd, &opts);
	if (err && err != -EINTR)
		return err;
	err = read_xmit(s, &after);
	if (err)
		return err;
	r->ran = bss->run_frames < n ? bss->run_frames : n;
	/* The counters may also count another sender on this veth. */
	moved = after - before;
	r->tracked = s->tracking && !bss->run_untracked &&
		     bss->run_flushed == bss->run_frames &&
		     bss->run_sent <= moved;
	if (r->tracked)
		r->arrived = bss->run_sent;
	else
		r->arrived = moved > r->ran ? r->ran : moved;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps until done frames are due at rate frames per second. */
static void pace(double start, __u64 done, __u64 rate)
{
	double ahead;
	struct timespec ts;

	if (!rate)
		return;
	ahead = start + (double)done / rate - now();
	if (ahead <= 0)
		return;
	ts.tv_sec = (time_t)ahead;
	ts.tv_nsec = (long)((ahead - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static int report_stuck(struct sender *s, const struct flow_spec *spec,
			int err)
{
	if (err)
		fprintf(stderr, "flowgen: %s: BPF_PROG_RUN: %s\n", s->dev,
			strerror(-err));
	else
		fprintf(stderr, "flowgen: %s: the peer takes no frames: it "
			"needs an XDP program (flowgen --attach-pass) or GRO "
			"on, and an MTU that fits %u-byte frames\n", s->dev,
			spec->size);
	return err ? err : -EIO;
}

/*
 * Frames to send now: a millisecond's worth at the rate, or what is due
 * when runs take longer than that (each BPF_PROG_RUN may wait for the
 * kernel), so that the rate holds on a busy machine too.
 */
static __u32 due_now(double start, __u64 done, __u64 rate, __u32 chunk)
{
	double due = (now() - start) * rate - (double)done;

	if (!rate || due <= chunk)
		return chunk;
	return due >= CHUNK_MAX ? CHUNK_MAX : (__u32)due;
}

/*
 * After a run: what it took off the frames to send, and what it adds
 * back. A tracked run owes its dropped frames to their flows; another
 * owes as many frames to the count, whichever flows they go to.
 */
static void settle_run(struct sender *s, const struct run_result *r,
		       bool list, __u64 *seq_left, struct send_stats *st)
{
	struct flowgen__bss *bss = s->skel->bss;
	__u32 lost = r->ran - r->arrived;

	if (list) {
		s->nr_owed -= r->ran;
		memmove(s->owed, s->owed + r->ran,
			s->nr_owed * sizeof(*s->owed));
	} else {
		*seq_left -= r->ran;
	}
	st->dropped += lost;
	if (!lost)
		return;
	if (r->tracked && s->nr_owed + lost <= CHUNK_MAX) {
		memcpy(s->owed + s->nr_owed, bss->dropped,
		       lost * sizeof(*s->owed));
		s->nr_owed += lost;
	} else {
		st->inexact = true;
		*seq_left += lost;
	}
}

/*
 * Sends every flow of spec its exact count: frame i of the description
 * goes to flow i % flows, then the frames the ring dropped go again to
 * their flows; paced to spec->rate. sent[k] counts flow k.
 */
int sender_run(struct sender *s, const struct flow_spec *spec, __u64 *sent,
	       struct send_stats *st)
{
	__u32 chunk = CHUNK_MAX, idle = 0, n, k;
	static __u8 frame[SPEC_MAX_SIZE];
	__u64 seq_left = spec->count, done = 0;
	struct run_result r;
	double start = now();
	bool list;
	int err;

	frame_build(spec, frame);
	load_spec(s, spec, frame);
	err = check_rewrite(s, spec, frame);
	if (err)
		return err;
	if (spec->rate && spec->rate / 1000 < chunk)
		chunk = spec->rate / 1000 ? spec->rate / 1000 : 1;
	s->nr_owed = 0;
	while (seq_left || s->nr_owed) {
		n = due_now(start, done, spec->rate, chunk);
		list = s->nr_owed > 0;
		if (list && s->nr_owed < n)
			n = s->nr_owed;
		else if (!list && seq_left < n)
			n = seq_left;
		if (list)
			memcpy(s->skel->bss->flow_list, s->owed,
			       n * sizeof(*s->owed));
		err = xmit_run(s, frame, spec->size, n, list, &r);
		if (err)
			return report_stuck(s, spec, err);
		idle = r.arrived ? 0 : idle + 1;
		if (idle >= MAX_IDLE_RUNS)
			return report_stuck(s, spec, 0);
		settle_run(s, &r, list, &seq_left, st);
		done += r.arrived;
		pace(start, done, spec->rate);
	}
	for (k = 0; k < spec->flows; k++)
		sent[k] = spec_flow_count(spec, k);
	return 0;
}
