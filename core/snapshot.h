/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Snapshots: what the collector produces and every consumer (the text,
 * JSON and CSV formatters, the exporters, the live view) reads. Plain
 * data; nothing here touches a map or a terminal.
 */
#ifndef FLOWSTAT_SNAPSHOT_H
#define FLOWSTAT_SNAPSHOT_H

#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>
#include "flowstat.h"
#include "instance.h"
#include "signals.h"

/* Rate windows, like iftop: 2 s, 10 s, 40 s. */
enum rate_window { RATE_2S = 0, RATE_10S = 1, RATE_40S = 2, RATE_WINDOWS = 3 };

struct dir_counts {
	__u64 packets;		/* everything the hook saw */
	__u64 bytes;
	__u64 untracked_packets;
	__u64 untracked_bytes;
	__u64 sampled_out_packets;	/* left out by sampling */
	__u64 sampled_out_bytes;
	__u64 unmatched_packets;	/* left out by the match expression */
	__u64 unmatched_bytes;
	__u64 retired_packets;	/* in flows that ended */
	__u64 retired_bytes;
	__u64 delta_packets;	/* since the previous snapshot */
	__u64 delta_bytes;
	__u64 ended_flows;	/* flows that ended, ever */
	__u64 fast_hits;	/* frames the fast path counted */
};

struct iface_rec {
	struct flowstat_meta meta;	/* ifname, netns, hooks, modes, ids */
	char ifname[IF_NAMESIZE];	/* its name now (renamed: not meta's) */
	struct dir_counts dir[FLOW_DIR_MAX];
	__u32 flow_entries;	/* distinct flows now tracked */
	int present;		/* 0: the interface has gone away */
	double gone_s;		/* !present: since a scan first found it gone */
	int up;			/* administratively up */
	int kernel_valid;	/* the kernel counters below were read */
	__u64 kernel_rx_packets, kernel_rx_bytes;
	__u64 kernel_tx_packets, kernel_tx_bytes;
	__u64 kernel_rx_dropped, kernel_tx_dropped;
	__u64 kernel_rx_errors, kernel_tx_errors;
	double pps[FLOW_DIR_MAX][RATE_WINDOWS];	/* from totals */
	double bps[FLOW_DIR_MAX][RATE_WINDOWS];	/* bits per second */
	__u64 folds;		/* folds of its store so far */
	struct iface_signals sig;	/* the security signals' sketches */
	__u32 sample_rate;	/* the latest folded epoch's rate; 1: none */
	char match[MATCH_TEXT_MAX];	/* the match expression; "": none */
};

/* The interface's name now, or as attached when not known. */
static inline const char *iface_rec_name(const struct iface_rec *ir)
{
	return ir->ifname[0] ? ir->ifname : ir->meta.ifname;
}

struct flow_rec {
	struct flow_key key;
	int iface;		/* index into snapshot.ifaces */
	__u64 birth;		/* which incarnation of the flow (per iface) */
	__u8 ended;		/* it ended since the previous snapshot */
	__u8 end_reason;	/* enum end_reason, when ended */
	__u64 packets;		/* cumulative, exact as of the latest fold */
	__u64 bytes;		/* frame bytes (L2) */
	__u64 ip_bytes;		/* IP bytes (L3): what IPFIX calls octets */
	__u64 delta_packets;	/* since the previous snapshot */
	__u64 delta_bytes;
	__u64 delta_ip_bytes;
	double first_seen;	/* Unix time, seconds */
	double last_seen;
	__u8 tcp_flags;
	double pps[RATE_WINDOWS];
	double bps[RATE_WINDOWS];
	/*
	 * Sampling: packets and bytes above are the frames sampled (raw);
	 * the estimates are each epoch's raw counts times its rate. A flow
	 * never sampled has sample_rate 1 and estimates equal to its counts.
	 */
	__u32 sample_rate;	/* the rate it was last counted at */
	__u64 est_packets;
	__u64 est_bytes;
	__u64 delta_est_packets;	/* since the previous snapshot */
	__u64 delta_est_bytes;
};

/*
 * The flow's counts are estimates: it was sampled in some epoch. (A
 * flow_rec made without estimates, est 0, counts as not sampled.)
 */
static inline int flow_rec_sampled(const struct flow_rec *r)
{
	return r->sample_rate > 1 || r->est_packets > r->packets;
}

/* Estimates, or the counts themselves when not sampled. */
static inline __u64 flow_est_packets(const struct flow_rec *r)
{
	return flow_rec_sampled(r) ? r->est_packets : r->packets;
}

static inline __u64 flow_est_bytes(const struct flow_rec *r)
{
	return flow_rec_sampled(r) ? r->est_bytes : r->bytes;
}

/* Estimate over raw counts (1 unless sampled): to scale rates. */
static inline double flow_rec_scale(const struct flow_rec *r)
{
	return flow_rec_sampled(r) && r->packets ?
	       (double)r->est_packets / (double)r->packets : 1.0;
}

struct snapshot {
	double time;		/* Unix time of the scan, seconds */
	double interval;	/* seconds since the previous snapshot, 0 first */
	struct iface_rec *ifaces;
	int n_ifaces;
	struct flow_rec *flows;
	size_t n_flows;
};

#endif /* FLOWSTAT_SNAPSHOT_H */
