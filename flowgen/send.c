// SPDX-License-Identifier: GPL-2.0
/*
 * Sending with BPF_PROG_RUN in live-frames mode. The kernel runs our
 * XDP_TX program on each copy of the frame as if it had arrived on the
 * veth, and XDP_TX hands it to the peer's receive ring. A full ring drops
 * frames silently, so every run is checked against the veth's
 * tx_queue_N_xdp_xmit counters and what was dropped is sent again: the
 * counts flowgen reports are the frames that reached the peer.
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
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>

#include "frames.h"
#include "send.h"

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

#define CHUNK_MAX (1U << 18)	/* frames per run: keeps ^C responsive */
#define MAX_IDLE_RUNS 3		/* runs in a row that deliver nothing */

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

int sender_open(struct sender *s, const char *dev, int prog_fd, __u32 batch)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->dev = dev;
	s->prog_fd = prog_fd;
	s->batch = batch;
	s->ifindex = if_nametoindex(dev);
	if (!s->ifindex) {
		fprintf(stderr, "flowgen: %s: %s\n", dev, strerror(errno));
		return -ENODEV;
	}
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

void sender_restore(struct sender *s, __u64 *words, __u32 *n, __u32 max)
{
	s->restore = words;
	s->restore_words = n;
	s->restore_max = max;
}

/* Give xdp_tx the head of frame, as many whole words as fit in it. */
static void set_restore(struct sender *s, const __u8 *frame, __u32 len)
{
	__u32 n = len / 8;

	if (!s->restore)
		return;
	if (n > s->restore_max)
		n = s->restore_max;
	memcpy(s->restore, frame, n * 8);
	*s->restore_words = n;
}

void sender_close(struct sender *s)
{
	if (s->sock > 0)
		close(s->sock);
	free(s->xmit_idx);
	free(s->stats);
	s->sock = -1;
	s->xmit_idx = NULL;
	s->stats = NULL;
}

/* One BPF_PROG_RUN of n copies of frame; *got is what the peer took. */
static int xmit_run(struct sender *s, __u8 *frame, __u32 len, __u32 n,
		    __u64 *got)
{
	struct xdp_md ctx = { .data_end = len,
			      .ingress_ifindex = s->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = s->batch);
	__u64 before, after;
	int err;

	set_restore(s, frame, len);
	err = read_xmit(s, &before);
	if (err)
		return err;
	err = bpf_prog_test_run_opts(s->prog_fd, &opts);
	if (err && err != -EINTR)
		return err;
	err = read_xmit(s, &after);
	if (err)
		return err;
	/* More than n means another sender uses this veth: do not count it. */
	*got = after - before > n ? n : after - before;
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

static int report_stuck(struct sender *s, const struct flow_spec *flow,
			int err)
{
	if (err)
		fprintf(stderr, "flowgen: %s: BPF_PROG_RUN: %s\n", s->dev,
			strerror(-err));
	else
		fprintf(stderr, "flowgen: %s: the peer takes no frames: it "
			"needs an XDP program (flowgen --attach-pass) or GRO "
			"on, and an MTU that fits %u-byte frames\n", s->dev,
			flow->size);
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
 * Sends every flow of spec its exact count, round-robin in chunks so
 * that the flows interleave, paced to spec->rate; sent[k] counts flow k.
 */
int sender_run(struct sender *s, const struct flow_spec *spec, __u64 *sent)
{
	__u32 chunk = CHUNK_MAX, k, idle = 0, n;
	static __u8 frame[SPEC_MAX_SIZE];
	struct flow_spec flow;
	double start = now();
	__u64 done = 0, got;
	bool busy = true;
	int err;

	if (spec->rate && spec->rate / 1000 < chunk)
		chunk = spec->rate / 1000 ? spec->rate / 1000 : 1;
	while (busy) {
		busy = false;
		for (k = 0; k < spec->flows; k++) {
			spec_nth_flow(spec, k, &flow);
			if (sent[k] >= flow.count)
				continue;
			busy = true;
			frame_build(&flow, frame);
			got = flow.count - sent[k];
			n = due_now(start, done, spec->rate, chunk);
			err = xmit_run(s, frame, flow.size, got < n ? got : n,
				       &got);
			idle = got ? 0 : idle + 1;
			if (err || idle >= MAX_IDLE_RUNS)
				return report_stuck(s, &flow, err);
			sent[k] += got;
			done += got;
			pace(start, done, spec->rate);
		}
	}
	return 0;
}
