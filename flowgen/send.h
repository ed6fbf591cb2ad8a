/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sender: pushes frames into a veth with BPF_PROG_RUN in live-frames
 * mode, many flows per run, and counts how many the peer took (and of
 * which flows it dropped some), so that what flowgen reports is what
 * arrived.
 */
#ifndef FLOWGEN_SEND_H
#define FLOWGEN_SEND_H

#include <stdbool.h>
#include <linux/types.h>

#include "spec.h"

struct flowgen;

struct sender {
	const char *dev;
	int ifindex;
	struct flowgen *skel;
	int prog_fd;		/* xdp_tx: rewrites and returns XDP_TX */
	bool tracking;		/* track_xmit is attached */
	__u32 batch;		/* frames per kernel batch, 0 = default */
	int sock;		/* for ethtool ioctls */
	__u32 nr_stats;
	__u32 nr_xmit;
	__u32 *xmit_idx;	/* indexes of tx_queue_N_xdp_xmit */
	__u64 *stats;
	__u32 *owed;		/* flows of dropped frames, to send again */
	__u32 nr_owed;
};

/* What one description's sending came to, beyond the per-flow counts. */
struct send_stats {
	__u64 dropped;		/* frames the peer's ring dropped */
	bool inexact;		/* some of them of unknown flows */
};

int netns_enter(const char *name);
int dev_mac(const char *dev, __u8 *mac);
/* skel is loaded (and track_xmit attached, if it could be). */
int sender_open(struct sender *s, const char *dev, struct flowgen *skel,
		__u32 batch);
void sender_close(struct sender *s);
int sender_run(struct sender *s, const struct flow_spec *spec, __u64 *sent,
	       struct send_stats *st);

#endif
