/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Crafted frames for the packet tests: Ethernet, up to two VLAN tags,
 * IPv4 with options and fragment fields, IPv6 with an extension header
 * chain, and a transport header. Also the key the parser must produce
 * for such a frame when nothing is cut short.
 */
#ifndef FLOWSTAT_PKTBUILD_H
#define FLOWSTAT_PKTBUILD_H

#include <string.h>
#include <arpa/inet.h>
#include <linux/types.h>
#include <linux/in.h>
#include "flowstat.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

struct pkt_spec {
	int ntags;
	__u16 tpid[2];
	__u16 vid[2];
	__u16 ethertype;	/* after the tags */
	const char *src, *dst;	/* address text, IPv4 or IPv6 */
	int ip_opts;		/* IPv4 option bytes, a multiple of 4 */
	__u16 frag;		/* IPv4 frag_off field, host order */
	__u8 ext[10];		/* IPv6 extension header types, in order */
	int next;
	__u16 ext_frag;		/* IPv6 fragment header offset field */
	__u8 proto;
	__u16 sport, dport;	/* or ICMP type and code */
	__u8 tcp_flags;
	int payload;		/* bytes after the transport header */
};

static inline int l4_hdr_len(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP: return 20;
	case IPPROTO_UDP: case IPPROTO_UDPLITE: return 8;
	case IPPROTO_SCTP: return 12;
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return 8;
	default: return 0;
	}
}

static inline void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline __u8 *build_l4(const struct pkt_spec *s, __u8 *p)
{
	int n = l4_hdr_len(s->proto);

	memset(p, 0, n);
	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) {
		p[0] = s->sport;
		p[1] = s->dport;
	} else if (n) {
		put16(p, s->sport);
		put16(p + 2, s->dport);
	}
	if (s->proto == IPPROTO_TCP) {
		p[12] = 5 << 4;
		p[13] = s->tcp_flags;
	}
	p += n;
	memset(p, 0xab, s->payload);
	return p + s->payload;
}

static inline __u8 *build_ipv6_exts(const struct pkt_spec *s, __u8 *p)
{
	int i;

	for (i = 0; i < s->next; i++) {
		__u8 nh = i + 1 < s->next ? s->ext[i + 1] : s->proto;

		memset(p, 0, 16);
		p[0] = nh;
		switch (s->ext[i]) {
		case IPPROTO_FRAGMENT:
			put16(p + 2, s->ext_frag);
			p += 8;
			break;
		case IPPROTO_AH:
			p[1] = 2;	/* (2 + 2) * 4 = 16 bytes */
			p += 16;
			break;
		default:
			p[1] = 1;	/* (1 + 1) * 8 = 16 bytes */
			p[2] = 1;	/* a PadN option filling the rest */
			p[3] = 12;
			p += 16;
		}
	}
	return p;
}

/* Build the frame into buf (large enough: 2048 bytes); returns its length. */
static inline int pkt_build(const struct pkt_spec *s, __u8 *buf)
{
	__u8 *p = buf, *ip;
	int i;

	memset(buf, 0, 14);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p += 12;
	for (i = 0; i < s->ntags; i++) {
		put16(p, s->tpid[i]);
		put16(p + 2, s->vid[i]);
		p += 4;
	}
	put16(p, s->ethertype);
	p += 2;
	ip = p;
	if (s->ethertype == 0x0800) {
		int hl = 20 + s->ip_opts;

		memset(ip, 0, hl);
		ip[0] = 0x40 | (hl / 4);
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		for (i = 20; i < hl; i++)
			ip[i] = 1;	/* NOP options */
		p = build_l4(s, ip + hl);
		put16(ip + 2, p - ip);
	} else if (s->ethertype == 0x86dd) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		ip[6] = s->next ? s->ext[0] : s->proto;
		ip[7] = 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		p = build_l4(s, build_ipv6_exts(s, ip + 40));
		put16(ip + 4, p - ip - 40);
	} else {
		memset(p, 0x5a, s->payload);
		p += s->payload;
	}
	return p - buf;
}

/* The key of a whole (not cut short) frame, before later-fragment rules. */
static inline void pkt_expect(const struct pkt_spec *s, struct flow_key *k,
			      __u8 dir)
{
	memset(k, 0, sizeof(*k));
	k->dir = dir;
	k->ethertype = s->ethertype;
	if (s->ntags > 0) {
		k->vlan = s->vid[0] & 0xfff;
		k->flags |= FLOW_F_VLAN;
	}
	if (s->ntags > 1) {
		k->inner_vlan = s->vid[1] & 0xfff;
		k->flags |= FLOW_F_INNER_VLAN;
	}
	if (s->ethertype == 0x0800) {
		inet_pton(AF_INET, s->src, k->src);
		inet_pton(AF_INET, s->dst, k->dst);
	} else if (s->ethertype == 0x86dd) {
		inet_pton(AF_INET6, s->src, k->src);
		inet_pton(AF_INET6, s->dst, k->dst);
	} else {
		return;
	}
	k->proto = s->proto;
	k->flags |= FLOW_F_L4;
	if (l4_hdr_len(s->proto)) {
		k->flags |= FLOW_F_PORTS;
		k->sport = s->sport;
		k->dport = s->dport;
	}
}

#endif /* FLOWSTAT_PKTBUILD_H */
