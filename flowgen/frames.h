/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The frame builder: turns one flow of a flow_spec into the exact bytes
 * that go on the wire (Ethernet header included, no FCS), and says how
 * flow 0's frame becomes flow k's, which is what xdp_tx does to each
 * frame it sends.
 */
#ifndef FLOWGEN_FRAMES_H
#define FLOWGEN_FRAMES_H

#include <linux/types.h>

#include "spec.h"

/* Writes flow->size bytes into frame (which holds SPEC_MAX_SIZE). */
void frame_build(const struct flow_spec *flow, __u8 *frame);

/*
 * Where flow k's frame differs from flow 0's, and the checksum sums of
 * flow 0's frame without the words that differ (flowgen.bpf.c has the
 * arithmetic). Offsets are from the frame's start; 0 means "not there".
 */
struct frame_plan {
	__u32 port_off;		/* the varied port: base + k (carry: addr) */
	__u32 addr_off;		/* low 32 bits of the varied side's address */
	__u32 mac_off;		/* low 24 bits of the source MAC */
	__u32 ip_csum_off;	/* IPv4 header checksum */
	__u32 l4_csum_off;	/* TCP, UDP, ICMPv6 checksum */
	__u32 crc_off;		/* SCTP CRC32c */
	__u32 udp_csum;		/* 0 goes out as 0xffff */
	__u32 base_port;
	__u32 base_addr;	/* host order */
	__u32 ip_sum;
	__u32 l4_sum;
	__u32 base_crc;
	__u32 crc_bits[16];	/* CRC change for each bit of the port */
};

/*
 * The plan of spec, given flow 0's frame as frame_build made it; all zero
 * when spec has one flow.
 */
void frame_plan(const struct flow_spec *spec, const __u8 *frame,
		struct frame_plan *plan);

#endif
