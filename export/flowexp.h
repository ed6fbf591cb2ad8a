/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From snapshots to flow records: which flows get an IPFIX record, when,
 * and with which counts. Each record carries what its flow did since the
 * flow's previous record (delta counters), taken from the cumulative
 * counts the collector read from the store: exact, whatever happened in
 * between. A live flow gets a record once its previous one (or its
 * start) is active_ms old (flowEndReason active timeout); a flow that
 * ended gets its last record with the reason the store gave (idle, FIN
 * or RST, lack of resources, forced); at shutdown every live flow gets
 * one (forced end). Non-IP flows get none: they are in the metrics.
 */
#ifndef FLOWSTAT_FLOWEXP_H
#define FLOWSTAT_FLOWEXP_H

#include <stdbool.h>
#include "ipfix.h"
#include "snapshot.h"

struct flow_export;

struct flowexp_opts {
	__u64 active_ms;	/* active timeout */
	bool fixed_domain;	/* every record in domain_id ... */
	__u32 domain_id;	/* ... else one domain per interface (ifindex) */
};

/* The records it made, by end reason (index: enum end_reason). */
struct flowexp_stats {
	__u64 records[END_RESOURCES + 1];
	__u64 flows;		/* flows it keeps a mark for now */
};

typedef int (*flowexp_emit)(void *ctx, const struct ipfix_flow *f);

int flowexp_new(struct flow_export **out);
/*
 * Go through snapshot s and emit the records due; with shutdown, also a
 * last record of every live flow. Returns the number of records emitted
 * or the first negative errno that emit returned (the flows whose record
 * failed keep their counts for the next call).
 */
long flowexp_run(struct flow_export *x, const struct snapshot *s,
		 const struct flowexp_opts *o, bool shutdown,
		 flowexp_emit emit, void *ctx);
/* Build the record of flow r (counts since the mark) at time now_ms. */
void flowexp_record(const struct snapshot *s, const struct flow_rec *r,
		    const struct flowexp_opts *o, __u64 packets, __u64 bytes,
		    __u64 ip_bytes, __u8 reason, struct ipfix_flow *f);
const struct flowexp_stats *flowexp_stats(const struct flow_export *x);
void flowexp_free(struct flow_export *x);

#endif /* FLOWSTAT_FLOWEXP_H */
