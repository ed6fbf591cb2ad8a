/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPFIX exporter (RFC 7011 over UDP): flow records in, messages out
 * to one collector. The caller feeds it plain records (struct
 * ipfix_flow) and the time; it never reads maps, never prints, and never
 * blocks: a collector that is down costs counted send errors, nothing
 * more.
 *
 * What goes on the wire
 *   Two templates of standard IANA elements, 256 for IPv4 flows and 257
 *   for IPv6 flows (IPFIX_TEMPLATE_V4/V6; the field lists are in
 *   ipfix.c). Counts are raw (under attach --sample, the frames that
 *   were sampled); each record names the rate they were sampled at in
 *   selectorId(302) and samplingInterval(34), with samplingAlgorithm(35)
 *   2 (random) when sampled, and the options template 258 describes
 *   each selector (selectorAlgorithm(304) 4, uniform probabilistic;
 *   samplingInterval(34) N; samplingPacketInterval(305) 1 and
 *   samplingPacketSpace(306) N - 1; the layout nfdump 1.7.1 scales by,
 *   see ipfix.c): a message carries the selector records of the rates
 *   its records name, before them. Rate 1 is selector 1: not sampled,
 *   and never described. tcpControlBits is sent with reduced-size encoding, 1
 *   octet (RFC 7011 6.2): the data plane keeps 8 flag bits, and pmacct
 *   1.7.7 reads the element only when it is 1 octet (nfdump reads both).
 *   vlanId(58) carries the outer tag, dot1qCustomerVlanId(245) the
 *   inner one, 0 when absent. For ICMP (IPv4) and ICMPv6 flows the ports
 *   are 0 and icmpTypeCode is type * 256 + code; for others it is 0.
 *   Only IPv4 and IPv6 flows with a whole IP header are exported
 *   (ipfix_exportable()): ipfix_add() takes any other flow, returns 0
 *   and counts it in stats.skipped, so a caller can pass every flow it
 *   has.
 *
 * Messages
 *   Each message carries one observation domain; each domain has its own
 *   buffer, filled up to opts.mtu octets (the UDP payload), and sent when
 *   the next record would not fit, or by ipfix_flush(). Its sequence
 *   number counts the data records of that domain before the message
 *   (RFC 7011 3.1): templates do not count; selector (options) records
 *   do, as RFC 7011 says, pmacct and Wireshark expect (nfdump 1.7.1
 *   counts flow records only, and reports a sequence failure for each
 *   selector record: only under sampling, as only sampled records have
 *   one).
 *
 * Templates
 *   A domain's templates go out at the start of its first message, then
 *   at the first two template checks at least a second apart (ipfix_tick,
 *   or a message started when they are due): three times in the first
 *   seconds, so a collector that starts a little late or loses one still
 *   learns them. After that, every opts.template_refresh_s seconds (at
 *   once if the caller's clock goes back: they are never due further away
 *   than a refresh). A message that carried them and failed to send
 *   leaves them due, so the next message of the domain carries them
 *   again. Over UDP templates are never withdrawn.
 *
 * Send errors
 *   The socket is a connected, non-blocking UDP socket; a failed send
 *   (ECONNREFUSED after an ICMP port unreachable, EAGAIN, ...) drops that
 *   message, counts in stats.send_errors and ipfix_last_error(), and the
 *   next message is tried as usual: sending resumes by itself when the
 *   collector is back. The records of a dropped message still advance
 *   the domain's sequence number: they were exported and lost, and the
 *   jump in the next message's sequence number is how a collector (nfcapd
 *   "sequence failures", pmacct "expecting flow") reports the loss. Not
 *   counting them would hide it.
 */
#ifndef FLOWSTAT_IPFIX_H
#define FLOWSTAT_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "flowstat.h"

#define IPFIX_VERSION 10
#define IPFIX_DEFAULT_PORT 4739
#define IPFIX_DEFAULT_MTU 1400
#define IPFIX_MAX_MTU 65507		/* largest UDP payload over IPv4 */
#define IPFIX_DEFAULT_REFRESH_S 60
#define IPFIX_MAX_DOMAINS 4096
#define IPFIX_TEMPLATE_V4 256
#define IPFIX_TEMPLATE_V6 257
#define IPFIX_TEMPLATE_SELECTOR 258	/* options: a sampling selector */

/* Octets on the wire: message header, set header, one template set
 * holding both templates, and one data record of each family. */
#define IPFIX_HEADER_LEN 16
#define IPFIX_SET_HEADER_LEN 4
#define IPFIX_TEMPLATE_SET_LEN 180
#define IPFIX_OPTIONS_TEMPLATE_SET_LEN 34
#define IPFIX_SELECTOR_SET_LEN 26	/* one selector's options record */
#define IPFIX_RECORD_V4_LEN 79
#define IPFIX_RECORD_V6_LEN 103
/* The smallest mtu: templates, a selector and one IPv6 record fit in
 * one message. */
#define IPFIX_MIN_MTU (IPFIX_HEADER_LEN + IPFIX_TEMPLATE_SET_LEN + \
		       IPFIX_OPTIONS_TEMPLATE_SET_LEN + IPFIX_SELECTOR_SET_LEN + \
		       IPFIX_SET_HEADER_LEN + IPFIX_RECORD_V6_LEN)

/* flowEndReason values (RFC 7011's information model, IANA element 136) */
enum ipfix_end_reason {
	IPFIX_END_IDLE = 1,
	IPFIX_END_ACTIVE = 2,
	IPFIX_END_OF_FLOW = 3,
	IPFIX_END_FORCED = 4,
	IPFIX_END_RESOURCES = 5,
};

struct ipfix_flow {
	/* addresses network order; ports and vlans host order; IPv4 in
	 * the first 4 bytes; ethertype 0x0800 or 0x86DD (others are not
	 * exported); for ICMP and ICMPv6 sport is the type, dport the code */
	struct flow_key key;
	/* ingressInterface(10) when key.dir is FLOW_DIR_INGRESS, else
	 * egressInterface(14); the other element is 0 */
	__u32 ifindex;
	__u32 domain;		/* observation domain id of this record */
	__u64 packets;		/* packetDeltaCount(2) */
	__u64 l3_bytes;		/* octetDeltaCount(1): IP bytes */
	__u64 l2_bytes;		/* layer2OctetDeltaCount(352): frames */
	__u64 start_ms;		/* flowStartMilliseconds(152), Unix ms */
	__u64 end_ms;		/* flowEndMilliseconds(153) */
	__u8 tcp_flags;		/* tcpControlBits(6) */
	__u8 end_reason;	/* flowEndReason(136), enum ipfix_end_reason */
	/* the sampling rate the counts were taken at (0 or 1: none):
	 * selectorId(302) and samplingInterval(34) */
	__u32 sample_rate;
};

/* Zero fields take the defaults. */
struct ipfix_opts {
	unsigned int mtu;		/* max message octets; default 1400 */
	unsigned int template_refresh_s;	/* default 60 */
};

struct ipfix_stats {
	__u64 messages;		/* messages sent */
	__u64 records;		/* data records in messages sent */
	__u64 templates_sent;	/* template sets in messages sent */
	__u64 send_errors;	/* messages that failed to send (dropped) */
	__u64 bytes;		/* octets of messages sent */
	__u64 records_lost;	/* data records in messages that failed */
	__u64 skipped;		/* flows not exported: not IPv4 or IPv6 */
};

struct ipfix_exporter;

/*
 * target: "HOST:PORT", "[IPV6]:PORT", "HOST" or "IPV6" (port 4739).
 * HOST may be a name (resolved once, here). Returns NULL with *err a
 * negative errno and a message in errbuf.
 */
struct ipfix_exporter *ipfix_open(const char *target,
				  const struct ipfix_opts *o, char *errbuf,
				  size_t errlen, int *err);
/* The one rule for what IPFIX carries: an IPv4 or IPv6 flow whose IP
 * header was whole (FLOW_F_L4); a truncated one has no addresses. */
bool ipfix_exportable(const struct flow_key *k);
/*
 * Queue a record in its domain's buffer; a buffer that cannot take it is
 * sent first. Returns 0 when the record was taken or skipped (not IP),
 * a failed send included (see stats), -ENOSPC for a domain past
 * IPFIX_MAX_DOMAINS, -ENOMEM.
 */
int ipfix_add(struct ipfix_exporter *x, const struct ipfix_flow *f,
	      __u64 now_ms);
/* Send every domain's queued records. 0, or the negative errno of the
 * last send that failed (its message dropped). */
int ipfix_flush(struct ipfix_exporter *x, __u64 now_ms);
/* Send the templates of the domains where they are due (a domain's
 * queued records go first). Call about once a second. Returns as flush. */
int ipfix_tick(struct ipfix_exporter *x, __u64 now_ms);
const struct ipfix_stats *ipfix_stats(const struct ipfix_exporter *x);
/* The negative errno of the last send that failed, 0 if none has. */
int ipfix_last_error(const struct ipfix_exporter *x);
void ipfix_close(struct ipfix_exporter *x);

/*
 * Pure encoders (what the exporter sends, for tests and tools).
 * ipfix_encode_templates: the template set (both templates) into buf;
 * returns its length, or 0 when len is too small.
 * ipfix_encode_options_template: the options template set (the
 * sampling selector, IPFIX_TEMPLATE_SELECTOR) the same way.
 * ipfix_encode_message: one whole message of domain `domain` with
 * sequence number `seq` and export time `export_s`: both template sets
 * first when with_templates, then the records of flows[0..n) in order,
 * a new data set whenever the family changes, each rate's selector
 * record before the first record with that rate. Non-IP flows are left
 * out.
 * Returns the message length, or 0 when it does not fit in len.
 */
size_t ipfix_encode_templates(__u8 *buf, size_t len);
size_t ipfix_encode_options_template(__u8 *buf, size_t len);
size_t ipfix_encode_message(__u8 *buf, size_t len, __u32 domain, __u32 seq,
			    __u32 export_s, int with_templates,
			    const struct ipfix_flow *flows, size_t n);

#endif /* FLOWSTAT_IPFIX_H */
