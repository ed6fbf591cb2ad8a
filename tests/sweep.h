/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The truncation sweep frame: 802.1ad tag 100, 802.1Q tag 200, IPv6,
 * hop-by-hop, routing and destination options headers (16 bytes each),
 * TCP SYN, 10 bytes of payload. Every prefix of it must count once,
 * under what the prefix holds, flagged truncated unless it is whole.
 */
#ifndef FLOWSTAT_SWEEP_H
#define FLOWSTAT_SWEEP_H

#include "pktbuild.h"

static const struct pkt_spec sweep_spec = {
	.ntags = 2, .tpid = { 0x88a8, 0x8100 }, .vid = { 100, 200 },
	.ethertype = 0x86dd, .src = "2001:db8::1", .dst = "2001:db8::2",
	.ext = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS }, .next = 3,
	.proto = IPPROTO_TCP, .sport = 40000, .dport = 443, .tcp_flags = 0x02,
	.payload = 10,
};

/* Where each header starts in the sweep frame. */
enum {
	SW_TAG1 = 12, SW_TAG2 = 16, SW_IP6 = 22, SW_HOP = 62, SW_RT = 78,
	SW_DST = 94, SW_TCP = 110, SW_END = 140,
};

/* The key a prefix of len bytes must give; *tcp_flags likewise. */
static inline void sweep_expect(int len, __u8 dir, struct flow_key *k,
				__u8 *tcp_flags)
{
	pkt_expect(&sweep_spec, k, dir);
	*tcp_flags = 0;
	if (len >= SW_TCP + 20) {
		*tcp_flags = sweep_spec.tcp_flags;
		return;
	}
	k->flags |= FLOW_F_TRUNCATED;
	k->flags &= ~FLOW_F_PORTS;
	k->sport = k->dport = 0;
	if (len >= SW_DST + 2) {
		k->proto = IPPROTO_TCP;
	} else if (len >= SW_RT + 2) {
		k->proto = IPPROTO_DSTOPTS;
	} else if (len >= SW_HOP + 2) {
		k->proto = IPPROTO_ROUTING;
	} else if (len >= SW_HOP) {
		k->proto = IPPROTO_HOPOPTS;
	} else {
		/* no IPv6 header: no addresses, no protocol */
		memset(k->src, 0, sizeof(k->src));
		memset(k->dst, 0, sizeof(k->dst));
		k->proto = 0;
		k->flags &= ~FLOW_F_L4;
		if (len < SW_IP6) {
			k->flags &= ~FLOW_F_INNER_VLAN;
			k->inner_vlan = 0;
			k->ethertype = 0x8100;
		}
		if (len < SW_TAG2 + 2) {
			k->flags &= ~FLOW_F_VLAN;
			k->vlan = 0;
			k->ethertype = 0x88a8;
		}
		if (len < 14) {
			k->ethertype = 0;
		}
	}
}

#endif /* FLOWSTAT_SWEEP_H */
