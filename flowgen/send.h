/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sender: pushes frames into a veth with BPF_PROG_RUN in live-frames
 * mode and counts, from the veth's own XDP transmit counter, how many the
 * peer took, so that what flowgen reports is what arrived.
 */
#ifndef FLOWGEN_SEND_H
#define FLOWGEN_SEND_H

#include <linux/types.h>

#include "spec.h"

struct sender {
	const char *dev;
	int ifindex;
	int prog_fd;		/* returns XDP_TX */
	__u64 *restore;		/* the program's copy of the frame head */
	__u32 *restore_words;	/* and its length, in 8-byte words */
	__u32 restore_max;
	__u32 batch;		/* frames per kernel batch, 0 = default */
	int sock;		/* for ethtool ioctls */
	__u32 nr_stats;
	__u32 nr_xmit;
	__u32 *xmit_idx;	/* indexes of tx_queue_N_xdp_xmit */
	__u64 *stats;
};

int netns_enter(const char *name);
int dev_mac(const char *dev, __u8 *mac);
int sender_open(struct sender *s, const char *dev, int prog_fd, __u32 batch);
/* Where xdp_tx finds the frame head it writes into every frame. */
void sender_restore(struct sender *s, __u64 *words, __u32 *n, __u32 max);
void sender_close(struct sender *s);
int sender_run(struct sender *s, const struct flow_spec *spec, __u64 *sent);

#endif
