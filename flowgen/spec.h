/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow descriptions: what one `key=value,...` word (or one line of a flow
 * file) asks flowgen to send, parsed and checked before anything is sent.
 */
#ifndef FLOWGEN_SPEC_H
#define FLOWGEN_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define SPEC_MIN_SIZE 60	/* Ethernet minimum without FCS: no runts */
#define SPEC_MAX_SIZE 9216
#define SPEC_MAX_FLOWS (1U << 24)
#define SPEC_ERR_LEN 256

enum spec_l4 {
	SPEC_L4_NONE,		/* non-IP frame: eth= ethertype, zero payload */
	SPEC_L4_TCP,
	SPEC_L4_UDP,
	SPEC_L4_SCTP,
	SPEC_L4_ICMP,		/* ICMP or ICMPv6, by address family */
	SPEC_L4_RAW,		/* IP with a bare payload of protocol ipproto */
};

/* Which key field counts up across a description's flows (vary=). */
enum spec_vary {
	SPEC_VARY_SPORT,	/* tcp, udp, sctp: carries into the source */
	SPEC_VARY_DPORT,	/* tcp, udp, sctp: carries into the destination */
	SPEC_VARY_SRC,		/* IP: the source address's low 32 bits */
	SPEC_VARY_DST,		/* IP: the destination address's low 32 bits */
	SPEC_VARY_SMAC,		/* non-IP: the source MAC's low 24 bits */
};

struct flow_spec {
	__u16 eth_type;		/* innermost ethertype */
	__u16 tpid;		/* TPID of the outer tag */
	__u16 vlan;
	__u16 inner_vlan;
	int nr_tags;		/* 0, 1 or 2 */
	__u8 smac[6];
	__u8 dmac[6];
	bool has_smac;
	int family;		/* 0 (non-IP), 4 or 6 */
	__u8 src[16];
	__u8 dst[16];
	enum spec_l4 l4;
	__u8 ipproto;		/* IP protocol number */
	__u8 tcp_flags;
	__u16 sport;		/* ICMP type for ICMP */
	__u16 dport;		/* ICMP code for ICMP */
	__u32 size;		/* frame length, Ethernet header, no FCS */
	__u32 iplen;		/* IP packet length (IPv4 total length, IPv6
				 * 40 + payload length): size - L2 header
				 * but for Ethernet padding; 0 if not IP */
	__u64 count;		/* frames over all flows */
	__u64 rate;		/* frames per second, 0 = as fast as possible */
	__u32 flows;		/* distinct flows to spread count over */
	enum spec_vary vary;	/* what differs between them */
};

int spec_parse(const char *text, struct flow_spec *spec, char *err,
	       size_t err_len);
size_t spec_l2_len(const struct flow_spec *spec);
size_t spec_headers_len(const struct flow_spec *spec);
void spec_nth_flow(const struct flow_spec *spec, __u32 k,
		   struct flow_spec *flow);
__u64 spec_flow_count(const struct flow_spec *spec, __u32 k);
const char *spec_l4_name(const struct flow_spec *spec);
bool spec_vary_port(const struct flow_spec *spec);

#endif
