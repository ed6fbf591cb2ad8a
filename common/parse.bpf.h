/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one frame parser for the XDP and tc programs: Ethernet, up to two
 * VLAN tags, IPv4 (options, fragments), IPv6 (extension header chain,
 * fragments), TCP, UDP, UDP-Lite, SCTP, ICMP, ICMPv6. It fills a
 * struct flow_key with what it could parse; a frame that ends before a
 * header does gets FLOW_F_TRUNCATED and keeps everything parsed so far.
 */
#ifndef FLOWSTAT_PARSE_BPF_H
#define FLOWSTAT_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include "flowstat.h"

/*
 * No BPF helpers here, so tests can also build the parser natively and
 * feed it frames the kernel would not deliver (shorter than Ethernet).
 */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifdef __clang__
#define PARSE_UNROLL _Pragma("unroll")
#else
#define PARSE_UNROLL _Pragma("GCC unroll 16")
#endif

#define ETH_P_8021Q_BE bpf_htons(0x8100)
#define ETH_P_8021AD_BE bpf_htons(0x88a8)
#define IPV6_EXT_MAX 8		/* extension headers followed, at most */

struct vlan_tag {
	__be16 tci;
	__be16 encap_proto;
};

/* The part of every IPv6 extension header that says what comes next. */
struct ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

/*
 * Ports (or ICMP type and code) and TCP flags. A transport header counts
 * only when its fixed part is in the frame: TCP 20 bytes, UDP and
 * UDP-Lite 8, SCTP 12, ICMP and ICMPv6 4 (type, code, checksum).
 */
/*
 * What the parser learns besides the key: the TCP flags, and where the
 * IP header is and the length it claims, from which the IP bytes of the
 * frame follow (parse_ip_bytes).
 */
struct parse_info {
	__u32 ip_len;		/* IPv4 total length, IPv6 payload + 40 */
	__u16 l3_off;		/* offset of a whole IP header; 0: none */
	__u8 tcp_flags;
	__u8 pad;
};

/*
 * The IP bytes of a frame whose data is len bytes long (counted from
 * the same start as l3_off): the length the IP header claims, which
 * leaves out Ethernet padding, but never more than the frame holds.
 * A claim of 0 (IPv4 in a GSO super-packet over 64 KiB, an IPv6
 * jumbogram) takes the frame's rest. Not IP: 0.
 */
static __always_inline __u64 parse_ip_bytes(const struct parse_info *pi,
					    __u64 len)
{
	__u64 room;

	if (!pi->l3_off || len <= pi->l3_off)
		return 0;
	room = len - pi->l3_off;
	return pi->ip_len && pi->ip_len < room ? pi->ip_len : room;
}

static __always_inline void parse_l4(void *l4, void *end, struct flow_key *k,
				     __u8 *tcp_flags)
{
	__u8 *b = l4;

	if (l4 > end)		/* IP options or extension headers cut short */
		goto truncated;
	switch (k->proto) {
	case IPPROTO_TCP:
		if (l4 + 20 > end)
			goto truncated;
		*tcp_flags = b[13];
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		if (l4 + 8 > end)
			goto truncated;
		break;
	case IPPROTO_SCTP:
		if (l4 + 12 > end)
			goto truncated;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (l4 + 4 > end)
			goto truncated;
		k->sport = b[0];
		k->dport = b[1];
		k->flags |= FLOW_F_PORTS;
		return;
	default:
		return;
	}
	k->sport = bpf_ntohs(*(__be16 *)b);
	k->dport = bpf_ntohs(*(__be16 *)(b + 2));
	k->flags |= FLOW_F_PORTS;
	return;
truncated:
	k->flags |= FLOW_F_TRUNCATED;
}

static __always_inline void parse_ipv4(void *p, void *end, struct flow_key *k,
				       struct parse_info *pi)
{
	struct iphdr *ip = p;
	__u16 frag;

	if ((void *)(ip + 1) > end || ip->ihl < 5 || ip->version != 4) {
		/* cut short or not a header at all: nothing to trust */
		k->flags |= FLOW_F_TRUNCATED;
		return;
	}
	pi->ip_len = bpf_ntohs(ip->tot_len);
	__builtin_memcpy(k->src, &ip->saddr, 4);
	__builtin_memcpy(k->dst, &ip->daddr, 4);
	k->proto = ip->protocol;
	k->flags |= FLOW_F_L4;

	frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x3fff) {			/* MF or an offset */
		k->flags |= FLOW_F_FRAGMENT;
		if (frag & 0x1fff)		/* a later fragment: no ports */
			return;
	}
	parse_l4(p + ip->ihl * 4, end, k, &pi->tcp_flags);
}

static __always_inline void parse_ipv6(void *p, void *end, struct flow_key *k,
				       struct parse_info *pi)
{
	struct ipv6hdr *ip6 = p;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6 + 1) > end) {
		k->flags |= FLOW_F_TRUNCATED;
		return;
	}
	pi->ip_len = bpf_ntohs(ip6->payload_len);
	if (pi->ip_len)		/* 0: a jumbogram, as long as the frame */
		pi->ip_len += sizeof(*ip6);
	__builtin_memcpy(k->src, &ip6->saddr, 16);
	__builtin_memcpy(k->dst, &ip6->daddr, 16);
	k->flags |= FLOW_F_L4;
	nexthdr = ip6->nexthdr;
	p = ip6 + 1;

	/* One pass more than headers followed: the last finds the L4 one. */
PARSE_UNROLL
	for (i = 0; i <= IPV6_EXT_MAX; i++) {
		struct ipv6_ext *ext = p;
		struct ipv6_frag *fh = p;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
			if (i == IPV6_EXT_MAX)
				goto too_long;
			if ((void *)(ext + 1) > end)
				goto truncated;
			p += nexthdr == IPPROTO_AH ? (ext->hdrlen + 2) * 4 :
						     (ext->hdrlen + 1) * 8;
			nexthdr = ext->nexthdr;
			break;
		case IPPROTO_FRAGMENT:
			if (i == IPV6_EXT_MAX)
				goto too_long;
			if ((void *)(fh + 1) > end)
				goto truncated;
			k->flags |= FLOW_F_FRAGMENT;
			nexthdr = fh->nexthdr;
			p = fh + 1;
			if (fh->frag_off & bpf_htons(0xfff8)) {
				k->proto = nexthdr;	/* later fragment */
				return;
			}
			break;
		default:
			k->proto = nexthdr;
			parse_l4(p, end, k, &pi->tcp_flags);
			return;
		}
	}
too_long:
	/* a longer chain than we follow: count under the header reached */
	k->proto = nexthdr;
	return;
truncated:
	k->proto = nexthdr;
	k->flags |= FLOW_F_TRUNCATED;
}

/*
 * Parse a frame from its Ethernet header. k must be zeroed except for
 * dir and, at tc, an outer VLAN tag the stack took out of the frame
 * (FLOW_F_VLAN set): tags found in the frame then come after it. pi
 * must be zeroed.
 */
static __always_inline void parse_frame(void *data, void *end,
					struct flow_key *k,
					struct parse_info *pi)
{
	struct ethhdr *eth = data;
	__be16 proto;
	void *p;
	int i;

	if ((void *)(eth + 1) > end) {
		k->flags |= FLOW_F_TRUNCATED;
		return;
	}
	proto = eth->h_proto;
	p = eth + 1;

PARSE_UNROLL
	for (i = 0; i < 2; i++) {
		struct vlan_tag *tag = p;
		__u16 vid;

		if (proto != ETH_P_8021Q_BE && proto != ETH_P_8021AD_BE)
			break;
		if (k->flags & FLOW_F_INNER_VLAN)
			break;		/* a third tag: count under its TPID */
		if ((void *)(tag + 1) > end) {
			k->ethertype = bpf_ntohs(proto);
			k->flags |= FLOW_F_TRUNCATED;
			return;
		}
		vid = bpf_ntohs(tag->tci) & 0x0fff;
		if (k->flags & FLOW_F_VLAN) {
			k->inner_vlan = vid;
			k->flags |= FLOW_F_INNER_VLAN;
		} else {
			k->vlan = vid;
			k->flags |= FLOW_F_VLAN;
		}
		proto = tag->encap_proto;
		p = tag + 1;
	}

	k->ethertype = bpf_ntohs(proto);
	if (proto == bpf_htons(ETH_P_IP))
		parse_ipv4(p, end, k, pi);
	else if (proto == bpf_htons(ETH_P_IPV6))
		parse_ipv6(p, end, k, pi);
	if (k->flags & FLOW_F_L4)	/* a whole IP header */
		pi->l3_off = p - data;
	else if (k->ethertype < ETH_P_802_3_MIN)
		k->ethertype = 0;	/* 802.3 length field: LLC frames */
}

#endif /* FLOWSTAT_PARSE_BPF_H */
