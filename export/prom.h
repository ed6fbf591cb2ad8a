/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus text exposition (format 0.0.4) of the agent's counters.
 * The agent fills the plain structs below from its snapshots; prom_render
 * only formats them. Series are bounded: one per interface (and
 * direction), one per IPFIX collector, never one per flow.
 */
#ifndef FLOWSTAT_PROM_H
#define FLOWSTAT_PROM_H

#include <linux/types.h>
#include "http.h"
#include "signals.h"

/* The Content-Type of the exposition. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum { PROM_INGRESS, PROM_EGRESS, PROM_DIRS };

/* What the hook counted in one direction (bytes: L2 frame lengths). */
struct prom_dir {
	__u64 packets, bytes;		/* every frame the hook saw */
	__u64 untracked_packets, untracked_bytes; /* no flow entry to be had */
	__u64 sampled_out_packets, sampled_out_bytes; /* left out by sampling */
	__u64 retired_packets, retired_bytes;	/* of flows aged out */
	__u64 ended_flows;			/* flows aged out */
	__u64 unmatched_packets, unmatched_bytes; /* left out by --match */
};

/* The kernel's own counters of the interface (rtnl link stats). */
struct prom_kernel {
	__u64 rx_packets, rx_bytes, rx_dropped, rx_errors;
	__u64 tx_packets, tx_bytes, tx_dropped, tx_errors;
};

struct prom_iface {
	char ifname[16];
	char netns[64];		/* "": the host's; else a "netns" label */
	struct prom_dir dir[PROM_DIRS];
	__u64 active_flows, max_flows;
	__u64 folds;		/* aging runs */
	__u64 table_full;	/* frames that found the flow table full */
	__u64 fast_hits;	/* frames counted on the fast path */
	__u64 sampling_rate;	/* 1 in N frames get flow entries now */
	int has_kernel;		/* 0: no kernel series for it */
	struct prom_kernel kernel;
	/* security signals (core/signals.h), by enum sig_kind */
	int has_signals;	/* 0: no signal series for it */
	__u64 sig_value[SIG_KINDS];	/* the largest suspect's, rounded */
	__u64 sig_threshold[SIG_KINDS];	/* 0: off */
	__u64 sig_alerts[SIG_KINDS];	/* suspects over the threshold */
	char sig_host[SIG_KINDS][48];	/* the top one alerting; "" none */
};

/* One IPFIX collector. */
struct prom_export {
	char target[64];	/* "192.0.2.1:4739" */
	__u64 messages, records, send_errors;
};

struct prom_agent {
	char version[32];	/* "": no flowstat_build_info */
	__u64 start_time_s;	/* Unix time the agent started */
	__u64 scrapes;		/* this one included */
};

/*
 * Appends the exposition to out: the agent, then each family over ifs
 * (in their order), then over ex. Families with no series are left out.
 * 0 or -ENOMEM.
 */
int prom_render(struct http_body *out, const struct prom_agent *a,
		const struct prom_iface *ifs, int n,
		const struct prom_export *ex, int nex);

#endif /* FLOWSTAT_PROM_H */
