// SPDX-License-Identifier: GPL-2.0
/*
 * Frame building. Every IP frame carries valid IPv4 header, TCP, UDP,
 * ICMP, ICMPv6 and SCTP checksums, so that a receiving stack or a capture
 * sees well-formed traffic. The IP packet is flow_spec.iplen long, and
 * every length and checksum covers it alone: the bytes after it, to the
 * frame's end, are Ethernet padding. Payload and padding are zeros.
 */
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "frames.h"

static __u32 sum16(const __u8 *data, size_t len, __u32 sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += data[i] << 8 | data[i + 1];
	if (len & 1)
		sum += data[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void put16(__u8 *at, __u16 v)
{
	at[0] = v >> 8;
	at[1] = v;
}

static void put32(__u8 *at, __u32 v)
{
	put16(at, v >> 16);
	put16(at + 2, v);
}

/* The pseudo-header sum that TCP, UDP and ICMPv6 checksums start from. */
static __u32 pseudo_sum(const struct flow_spec *f, size_t l4_len)
{
	size_t alen = f->family == 4 ? 4 : 16;
	__u32 sum = 0;

	sum = sum16(f->src, alen, sum);
	sum = sum16(f->dst, alen, sum);
	return sum + f->ipproto + (__u32)l4_len;
}

/* CRC32c (Castagnoli) from crc (~0 to start), bitwise: fast enough. */
static __u32 crc32c_update(__u32 crc, const __u8 *data, size_t len)
{
	size_t i;
	int bit;

	for (i = 0; i < len; i++) {
		crc ^= data[i];
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
	}
	return crc;
}

static __u32 crc32c(const __u8 *data, size_t len)
{
	return ~crc32c_update(~0U, data, len);
}

static size_t build_l2(const struct flow_spec *f, __u8 *p)
{
	size_t off = 12;

	memcpy(p, f->dmac, 6);
	memcpy(p + 6, f->smac, 6);
	if (f->nr_tags >= 1) {
		put16(p + off, f->tpid);
		put16(p + off + 2, f->vlan);
		off += 4;
	}
	if (f->nr_tags == 2) {
		put16(p + off, ETH_P_8021Q);
		put16(p + off + 2, f->inner_vlan);
		off += 4;
	}
	put16(p + off, f->eth_type);
	return off + 2;
}

static size_t build_ip(const struct flow_spec *f, __u8 *p, size_t len)
{
	if (f->family == 4) {
		p[0] = 0x45;
		put16(p + 2, len);
		put16(p + 6, 0x4000);	/* DF: never a fragment */
		p[8] = 64;
		p[9] = f->ipproto;
		memcpy(p + 12, f->src, 4);
		memcpy(p + 16, f->dst, 4);
		put16(p + 10, fold(sum16(p, 20, 0)));
		return 20;
	}
	put32(p, 0x60000000);
	put16(p + 4, len - 40);
	p[6] = f->ipproto;
	p[7] = 64;
	memcpy(p + 8, f->src, 16);
	memcpy(p + 24, f->dst, 16);
	return 40;
}

static void build_l4(const struct flow_spec *f, __u8 *p, size_t len)
{
	__u16 csum;
	__u32 crc;

	switch (f->l4) {
	case SPEC_L4_TCP:
		put16(p, f->sport);
		put16(p + 2, f->dport);
		put32(p + 4, 1);			/* seq */
		put32(p + 8, !!(f->tcp_flags & 0x10));	/* ack if ACK */
		p[12] = 5 << 4;
		p[13] = f->tcp_flags;
		put16(p + 14, 65535);
		put16(p + 16, fold(sum16(p, len, pseudo_sum(f, len))));
		break;
	case SPEC_L4_UDP:
		put16(p, f->sport);
		put16(p + 2, f->dport);
		put16(p + 4, len);
		csum = fold(sum16(p, len, pseudo_sum(f, len)));
		put16(p + 6, csum ? csum : 0xffff);
		break;
	case SPEC_L4_SCTP:
		put16(p, f->sport);
		put16(p + 2, f->dport);
		put32(p + 4, 1);			/* verification tag */
		if (len >= 16) {	/* a PAD chunk (RFC 4820) holds the rest */
			p[12] = 0x84;
			put16(p + 14, (len - 12) & ~3);
		}
		crc = crc32c(p, len);
		p[8] = crc;				/* little-endian */
		p[9] = crc >> 8;
		p[10] = crc >> 16;
		p[11] = crc >> 24;
		break;
	case SPEC_L4_ICMP:
		p[0] = f->sport;
		p[1] = f->dport;
		csum = f->family == 4 ? fold(sum16(p, len, 0)) :
			fold(sum16(p, len, pseudo_sum(f, len)));
		put16(p + 2, csum);
		break;
	default:
		break;
	}
}

void frame_build(const struct flow_spec *flow, __u8 *frame)
{
	size_t l2, l3;

	memset(frame, 0, flow->size);
	l2 = build_l2(flow, frame);
	if (!flow->family)
		return;
	l3 = build_ip(flow, frame + l2, flow->iplen);
	build_l4(flow, frame + l2 + l3, flow->iplen - l3);
}

static __u32 get16(const __u8 *at)
{
	return at[0] << 8 | at[1];
}

static __u32 get32(const __u8 *at)
{
	return (__u32)get16(at) << 16 | get16(at + 2);
}

/*
 * CRC32c of len zero bytes but for the 16-bit big-endian value at the
 * start: crc(p ^ d) == crc(p) ^ crc(d) ^ crc(zeros) for any p and d of
 * one length, so this, XORed with crc(zeros), is what d changes.
 */
static __u32 crc32c_port(__u32 port, size_t at, size_t len)
{
	__u8 head[4] = { 0, 0, port >> 8, port };
	static const __u8 zeros[256];
	__u32 crc = crc32c_update(~0U, head + 2 - at, at + 2);
	size_t left = len - at - 2, n;

	for (; left; left -= n) {
		n = left < sizeof(zeros) ? left : sizeof(zeros);
		crc = crc32c_update(crc, zeros, n);
	}
	return ~crc;
}

static void plan_sctp(struct frame_plan *plan, const __u8 *l4, size_t l4_off,
		      size_t len)
{
	size_t at = plan->port_off - l4_off;	/* 0 or 2 */
	__u32 zero = crc32c_port(0, at, len);
	int i;

	plan->crc_off = l4_off + 8;
	plan->base_crc = l4[8] | l4[9] << 8 | l4[10] << 16 |
			 (__u32)l4[11] << 24;
	for (i = 0; i < 16; i++)
		plan->crc_bits[i] = crc32c_port(1U << i, at, len) ^ zero;
}

/* Sums of flow 0's headers with the varying words and checksums zeroed. */
static void plan_sums(const struct flow_spec *f, struct frame_plan *plan,
		      __u8 *frame, size_t l3, size_t l4, size_t l4_len)
{
	size_t alen = f->family == 4 ? 4 : 16;
	__u32 pseudo;

	memset(frame + plan->addr_off, 0, 4);
	if (f->family == 4) {
		plan->ip_csum_off = l3 + 10;
		memset(frame + plan->ip_csum_off, 0, 2);
		plan->ip_sum = sum16(frame + l3, 20, 0);
	}
	pseudo = sum16(frame + l3 + (f->family == 4 ? 12 : 8), 2 * alen, 0) +
		 f->ipproto + (__u32)l4_len;
	switch (f->l4) {
	case SPEC_L4_TCP:
		plan->l4_csum_off = l4 + 16;
		break;
	case SPEC_L4_UDP:
		plan->l4_csum_off = l4 + 6;
		plan->udp_csum = 1;
		break;
	case SPEC_L4_ICMP:	/* ICMPv4 covers no address */
		if (f->family == 6)
			plan->l4_csum_off = l4 + 2;
		break;
	default:
		break;
	}
	if (!plan->l4_csum_off)
		return;
	if (plan->port_off)
		memset(frame + plan->port_off, 0, 2);
	memset(frame + plan->l4_csum_off, 0, 2);
	plan->l4_sum = sum16(frame + l4, l4_len, pseudo);
}

void frame_plan(const struct flow_spec *spec, const __u8 *built,
		struct frame_plan *plan)
{
	static __u8 frame[SPEC_MAX_SIZE];
	size_t l3 = spec_l2_len(spec), l4, l4_len;
	bool dst;

	memset(plan, 0, sizeof(*plan));
	if (spec->flows < 2)
		return;
	memcpy(frame, built, spec->size);	/* plan_sums zeroes fields */
	if (!spec->family) {
		plan->mac_off = 9;
		plan->base_addr = get32(frame + 8) & 0xffffff;
		return;
	}
	l4 = l3 + (spec->family == 4 ? 20 : 40);
	l4_len = spec->iplen - (l4 - l3);	/* not the padding */
	/* the low 32 bits of the source or destination address */
	dst = spec->vary == SPEC_VARY_DPORT || spec->vary == SPEC_VARY_DST;
	plan->addr_off = l3 + (spec->family == 4 ? 12 : 20) +
			 (dst ? (spec->family == 4 ? 4 : 16) : 0);
	plan->base_addr = get32(frame + plan->addr_off);
	if (spec_vary_port(spec)) {
		plan->port_off = l4 + (dst ? 2 : 0);
		plan->base_port = dst ? spec->dport : spec->sport;
		if (spec->l4 == SPEC_L4_SCTP)
			plan_sctp(plan, frame + l4, l4, l4_len);
	}
	plan_sums(spec, plan, frame, l3, l4, l4_len);
}
