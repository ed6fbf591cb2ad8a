/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cumulative store of one instance: every flow's exact counts since
 * it began, the interface's folded totals, and the flows that ended,
 * kept where every flowstat process sees the same numbers. It lives in
 * one pinned BPF array map that userspace maps into memory (the data
 * plane never touches it), and only a folder holding the instance's lock
 * writes it (core/fold.h). Everything here is plain memory work, so that
 * tests can run it on a buffer.
 *
 * Exact under any crash. A fold is a transaction with one commit word:
 * each record (and the header's counters) has two versions, and a fold
 * with sequence number S writes only the version that is not the valid
 * one, marked S. The valid version of a record is the newest one whose
 * mark is at most `committed`; storing S into `committed` makes every
 * change of the fold valid at once. A fold that dies before that leaves
 * its changes invalid; the next fold finds `dirty` set, forgets them and
 * rebuilds the derived tables (key index, free list, ended queue) from
 * the valid records.
 *
 * A record is FREE, LIVE (a flow being counted) or ENDED (aged out or
 * evicted: its final counts are in the version, and the header has moved
 * them to retired). An ENDED record becomes FREE only when every
 * registered reader has acknowledged a fold at or after its end, so a
 * reader that follows the store (the agent, watch, top) sees the final
 * counts of every flow, whoever ended it. Readers find what changed
 * through a ring of record numbers that each fold appends to; a reader
 * that fell more than a ring behind reads every record instead.
 */
#ifndef FLOWSTAT_STORE_H
#define FLOWSTAT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "flowstat.h"

#define STORE_MAGIC 0x31726f7473776c66ULL	/* "flwstor1" */
#define STORE_VERSION 4
#define STORE_READERS 32
#define STORE_PAGE 4096
#define STORE_JOURNAL_BYTES (1 << 20)	/* see journal_seq */

enum rec_state { REC_FREE = 0, REC_LIVE = 1, REC_ENDED = 2 };

/* Why a flow ended: the IPFIX flowEndReason values (RFC 5102). */
enum end_reason {
	END_NONE = 0,
	END_IDLE = 1,		/* idle timeout */
	END_ACTIVE = 2,		/* active timeout */
	END_FIN = 3,		/* end of flow detected (TCP FIN or RST) */
	END_FORCED = 4,		/* forced end (shutdown) */
	END_RESOURCES = 5,	/* lack of resources: the table was full */
};

/* Cumulative counts of one direction. */
struct store_counts {
	__u64 packets;		/* every frame the hook saw (folded) */
	__u64 bytes;
	__u64 untracked_packets;	/* in no flow: tables full */
	__u64 untracked_bytes;
	__u64 sampled_out_packets;	/* left out by sampling */
	__u64 sampled_out_bytes;
	__u64 unmatched_packets;	/* left out by the match expression */
	__u64 unmatched_bytes;
	__u64 retired_packets;	/* in flows that ended */
	__u64 retired_bytes;
	__u64 ended_flows;	/* flows that ended */
	__u64 fast_hits;	/* frames the fast path counted */
};

/* A version of the header's counters. */
struct store_hver {
	__u64 seq;
	struct store_counts dir[FLOW_DIR_MAX];
	__u64 births;		/* records ever made LIVE: birth ids */
	__u64 changes;		/* change ring entries ever written */
	__u64 live;		/* LIVE records */
	__u64 folds;		/* folds committed */
	__u64 last_fold_ns;	/* CLOCK_MONOTONIC of the latest hand-over */
	__u64 evicted;		/* flows ended for lack of room */
	__u64 recoveries;	/* folds that found a dead folder's leftovers */
	__u64 sample_rate;	/* the sampling rate of the latest fold's epoch */
};

/* A version of a record. Times are CLOCK_MONOTONIC nanoseconds. */
struct store_rver {
	__u64 seq;
	__u64 packets;
	__u64 bytes;		/* frame bytes (L2) */
	__u64 ip_bytes;		/* IP bytes (L3) */
	__u64 first_seen;
	__u64 last_seen;
	__u64 birth;		/* unique per incarnation of the flow */
	__u64 end_seq;		/* ENDED: the fold that ended it */
	/*
	 * Estimates under sampling: each epoch's counts times that epoch's
	 * rate (every epoch has one), so exact sums of estimates.
	 */
	__u64 est_packets;
	__u64 est_bytes;
	__u8 state;		/* enum rec_state */
	__u8 tcp_flags;
	__u8 end_reason;	/* enum end_reason */
	__u8 pad;
	__u32 rate;		/* the sampling rate it was last counted at */
};

struct store_rec {
	struct flow_key key;	/* written only while the record is FREE */
	struct store_rver v[2];
};

/* A reader that follows the store (see fold.h for registration). */
struct store_reader {
	__u64 acked;		/* the latest fold it has read */
	__u32 used;
	__u32 pid;
};

struct store_header {
	__u64 magic;
	__u32 version;
	__u32 max_flows;	/* LIVE records at most */
	__u32 n_records;	/* max_flows + room for ENDED ones */
	__u32 index_size;	/* key index buckets, a power of two */
	__u32 change_size;	/* change ring entries, a power of two */
	__u32 pad0;
	__u64 size;		/* bytes of the whole store */
	__u64 off_records, off_index, off_free, off_fifo, off_changes;
	__u64 off_journal;

	/* the commit word and the hand-over of the data plane's epochs */
	__u64 committed;	/* the latest committed fold */
	__u64 dirty;		/* records may hold uncommitted versions */
	__u64 gen;		/* the data plane's generation */
	__u64 pending_gen;	/* handed over, its maps not yet cleared */
	__u64 pending_seq;	/* the fold that folds pending_gen */
	/*
	 * The journal: a chunk of the handed-over hash, read and deleted
	 * from it in one system call straight into this memory, so that a
	 * folder's death cannot lose it. It belongs to fold journal_seq:
	 * once that fold is committed the chunk is in the records, before
	 * that the next folder adds it again (core/fold.c).
	 */
	__u64 journal_seq;
	struct store_hver v[2];

	/* derived from the records: rebuilt after a dead folder */
	__u32 free_top;		/* entries on the free stack */
	__u32 reclaim_n;	/* queue entries the current fold freed */
	__u64 fifo_head, fifo_tail;	/* ENDED records, oldest end first */

	struct store_reader readers[STORE_READERS];
};

struct store {
	__u64 min_ack;		/* this fold: the oldest fold readers read */
	struct store_header *hdr;
	struct store_rec *recs;
	__u32 *index;		/* record + 1 per bucket, 0 empty */
	__u32 *free;		/* stack of FREE records */
	__u32 *fifo;		/* ENDED records in end order */
	__u32 *changes;		/* record numbers, ring */
};

/* Bytes a store for max_flows flows takes (a multiple of STORE_PAGE). */
size_t store_bytes(__u32 max_flows);
/* Lay out an empty store in zeroed memory. 0 or -EINVAL. */
int store_format(void *mem, size_t size, __u32 max_flows);
/* Point st into a formatted store; -EPROTO if it is not one. */
int store_bind(struct store *st, void *mem, size_t size);

/* ---- reading: with the lock held shared, or by the folder ---- */

const struct store_hver *store_head(const struct store *st);
const struct store_rver *store_valid(const struct store *st, __u32 rec);

/* ---- folding: with the lock held exclusive ---- */

/*
 * Start a fold: recover from a dead folder if needed and return the new
 * fold's sequence number S. min_ack: the oldest fold every registered
 * reader has read (~0 with none); flows ended at or before it can be
 * freed, the others keep their records until the readers catch up.
 */
__u64 store_begin(struct store *st, __u64 min_ack);
/* The header counters fold S writes (a copy of the valid ones at first). */
struct store_hver *store_hwrite(struct store *st, __u64 s);

struct store_flow {
	__u64 packets, bytes, ip_bytes;
	__u64 first_seen;	/* 0: not known (a cache slot) */
	__u64 last_seen;
	__u8 tcp_flags;
	__u32 rate;		/* the epoch's sampling rate; 0 or 1: none */
};

/*
 * Add one flow's counts to its LIVE record, making one if the flow has
 * none. A full table first ends the longest-idle flows (reason
 * END_RESOURCES); with no record to be had, the counts go to untracked.
 * Returns 0, or 1 when the counts went to untracked.
 */
int store_add(struct store *st, __u64 s, const struct flow_key *k,
	      const struct store_flow *f);
/*
 * A hint before store_add of k, a few flows ahead: stage 0 brings in
 * k's index bucket, stage 1 (later, once the bucket is in) its record,
 * so that adding a chunk of flows waits for memory once, not per flow.
 */
void store_prefetch(const struct store *st, const struct flow_key *k,
		    int stage);
/*
 * End every LIVE flow last seen at or before cutoff (all of them with
 * cutoff ~0), for reason. Returns the number ended; per direction, their
 * packets and bytes are added to packets[] and bytes[] when given.
 * Ended flows that readers have not read yet keep their records; when
 * those fill the room set aside for them, the rest stay LIVE (counted,
 * exact) until a later fold: aging waits for slow readers rather than
 * leave new flows without a record.
 */
__u64 store_end(struct store *st, __u64 s, __u64 cutoff, __u8 reason,
		__u64 *packets, __u64 *bytes);
/* The same, only for flows that saw one of the TCP flags in tcp_mask. */
__u64 store_end_if(struct store *st, __u64 s, __u64 cutoff, __u8 tcp_mask,
		   __u8 reason, __u64 *packets, __u64 *bytes);
/* Free the ENDED records that every reader has seen (end <= min_ack). */
void store_reclaim(struct store *st, __u64 s);
/* Commit fold s, then tidy the derived tables. */
void store_commit(struct store *st, __u64 s);
/*
 * Commit part of a fold: s is committed, but not counted in folds; the
 * fold goes on as store_begin's next sequence number.
 */
void store_commit_part(struct store *st, __u64 s);
/* The journal (STORE_JOURNAL_BYTES, page aligned). */
void *store_journal(const struct store *st);

/* Rebuild the derived tables from the valid records (after a crash). */
void store_rebuild(struct store *st);

/* Test hook: when non-zero, count down at every write a fold makes and
 * stop the process (_exit) when it reaches zero. */
extern unsigned long store_crash_countdown;

#endif /* FLOWSTAT_STORE_H */
