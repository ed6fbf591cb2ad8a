/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Security signals: what the data plane's sketches (struct sig_bucket,
 * common/flowstat.h) say about the last complete window of about a
 * second, per interface, and the alerts they raise against thresholds.
 *
 * signals_read() is the collector's: it merges the per-CPU HyperLogLog
 * registers (max) of the window and keeps, per signal, the buckets with
 * the largest estimates and the address each names. signals_alerts() is
 * for every consumer: a snapshot in, alerts out. Nothing here prints.
 *
 * | signal     | value                                                 |
 * |------------|-------------------------------------------------------|
 * | new_flows  | new flows per second: store records made (exact) plus |
 * |            | flows the full table could not take (estimated)      |
 * | half_open  | (source, port) pairs that sent one destination a SYN  |
 * |            | without ACK in the window                             |
 * | scan_ports | distinct destination ports (with protocol) of one     |
 * |            | source in the window                                  |
 * | scan_hosts | distinct destinations of one source in the window     |
 * | fan_in     | distinct sources of one destination in the window     |
 */
#ifndef FLOWSTAT_SIGNALS_H
#define FLOWSTAT_SIGNALS_H

#include <stddef.h>
#include <linux/types.h>
#include "flowstat.h"

enum sig_kind {
	SIG_NEW_FLOWS = 0,
	SIG_HALF_OPEN = 1,
	SIG_SCAN_PORTS = 2,
	SIG_SCAN_HOSTS = 3,
	SIG_FAN_IN = 4,
	SIG_KINDS = 5,
};

#define SIG_TOP 8		/* suspects kept per signal */

/*
 * Default thresholds: far above what a busy client or the demo's mix
 * makes in a second, far below what a scanner or a flood makes.
 */
#define SIG_DEFAULT_NEW_FLOWS 2000	/* per second */
#define SIG_DEFAULT_HALF_OPEN 200
#define SIG_DEFAULT_SCAN_PORTS 100
#define SIG_DEFAULT_SCAN_HOSTS 100
#define SIG_DEFAULT_FAN_IN 500
#define SIG_THRESHOLD_MAX 1000000000

/* One suspect: a bucket's estimate and the host it names. */
struct sig_host {
	__u8 addr[16];
	__u16 ethertype;	/* 0x0800 or 0x86dd */
	double value;
};

/* Per interface, in every snapshot (struct iface_rec). */
struct iface_signals {
	int valid;		/* the sketches were read */
	double window_s;	/* the window's length */
	__u64 window;		/* which window (coarse monotonic ns >> shift) */
	double untracked_flows;	/* flows the table could not take (est.) */
	__u64 births;		/* store records made, ever */
	__u64 new_records;	/* records made since the previous snapshot */
	int n_top[SIG_KINDS];
	struct sig_host top[SIG_KINDS][SIG_TOP];	/* largest first */
};

struct sig_thresholds {
	double value[SIG_KINDS];	/* 0: that signal is off */
};

extern const char *const sig_kind_names[SIG_KINDS];
/* What each signal's value counts, for help and labels. */
extern const char *const sig_kind_units[SIG_KINDS];

void sig_thresholds_default(struct sig_thresholds *th);
/* -1 if name is not a signal. */
int sig_kind_from_name(const char *name);
/* "KIND=N" into th. 0 or -EINVAL. */
int sig_threshold_parse(struct sig_thresholds *th, const char *arg);

/*
 * HyperLogLog estimate of m = 2^p registers of ranks from 64-bit hashes
 * (Ertl's improved estimator: no bias correction tables, good from 0 to
 * far beyond 1e6 distinct).
 */
double hll_estimate(const __u8 *regs, int p);
/* Add a 64-bit hash to m = 2^p registers, as the data plane does. */
void hll_add(__u8 *regs, int p, __u64 hash);

/*
 * Read the sketches of instance map fd (struct sig_bucket array) for the
 * last window complete at CLOCK_MONOTONIC mono_ns. 0 or -errno; the
 * births fields are the caller's.
 */
int signals_read(int fd, __u64 mono_ns, struct iface_signals *out);

struct snapshot;

/* A signal over its threshold on one interface. */
struct sig_alert {
	int iface;		/* index into snapshot.ifaces */
	enum sig_kind kind;
	double value;
	double threshold;
	struct sig_host host;	/* new_flows: none (ethertype 0) */
};

/* The value of signal kind on interface ir (the largest suspect's). */
double signals_value(const struct snapshot *s, int iface,
		     enum sig_kind kind);
/*
 * The alerts of snapshot s: for each interface and signal, the suspects
 * over their threshold, largest first, at most max in all. Returns the
 * number written.
 */
int signals_alerts(const struct snapshot *s, const struct sig_thresholds *th,
		   struct sig_alert *out, int max);
/* The host an alert names, as text ("" for none). */
void sig_host_text(const struct sig_host *h, char *buf, size_t len);
/* One line: "port scan from 192.0.2.1: 1000 ports (threshold 100)". */
void sig_alert_text(const struct sig_alert *a, char *buf, size_t len);

/*
 * Alerts as events, for a log: an event starts with the first alert of a
 * (interface, signal, host) and ends when it has raised none for
 * SIG_EVENT_END_MS. Starts are reported at most SIG_EVENT_BURST per
 * minute (the rest counted, said with the next report); the table is
 * fixed (SIG_EVENTS), an event that finds it full is counted the same.
 */
#define SIG_EVENTS 64
#define SIG_EVENT_END_MS 10000
#define SIG_EVENT_BURST 10

struct sig_event {
	__u64 instance_id;	/* of the interface (meta.instance_id) */
	struct sig_alert alert;	/* the first; value: the peak */
	__u64 start_ms, seen_ms;
	int used;
	int reported;		/* its start was reported */
};

struct sig_events {
	struct sig_event ev[SIG_EVENTS];
	__u64 window_ms;	/* the start of the current minute */
	int started;		/* starts reported in it */
	__u64 suppressed;	/* starts not reported, since the last report */
};

enum sig_event_what { SIG_EVENT_START, SIG_EVENT_END };

/*
 * Called for each start and end: ifname of the interface, the alert (at
 * an end, value is the peak), how long it lasted (ends), and the starts
 * suppressed before this one (starts).
 */
typedef void (*sig_event_fn)(enum sig_event_what what, const char *ifname,
			     const struct sig_alert *a, double lasted_s,
			     __u64 suppressed, void *ctx);

/* Track the alerts of s at now_ms (CLOCK_MONOTONIC ms). */
void signals_track(struct sig_events *ev, const struct snapshot *s,
		   const struct sig_thresholds *th, __u64 now_ms,
		   sig_event_fn fn, void *ctx);

#endif /* FLOWSTAT_SIGNALS_H */
