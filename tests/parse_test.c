// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF parser built natively: frames the kernel never delivers to a
 * test run (shorter than an Ethernet header) and the whole truncation
 * sweep from 0 bytes. The BPF runs of the same parser are in
 * bpf_packet_test.c.
 */
#include <stdlib.h>
#include "sweep.h"	/* before parse.bpf.h: netinet/in.h, then linux/in.h */
#include "parse.bpf.h"
#include "testlib.h"

static void parse_prefix(const __u8 *frame, int len, struct flow_key *k,
			 __u8 *tcp_flags)
{
	/* a copy of exactly len bytes, so a read past it is caught by ASan */
	__u8 *copy = malloc(len ? len : 1);

	struct parse_info pi = { 0 };

	memcpy(copy, frame, len);
	memset(k, 0, sizeof(*k));
	parse_frame(copy, copy + len, k, &pi);
	*tcp_flags = pi.tcp_flags;
	free(copy);
}

static void test_runts(void)
{
	__u8 frame[2048];
	struct flow_key k;
	__u8 tf;
	int len;

	pkt_build(&sweep_spec, frame);
	tl_begin("runt frames 0..13 bytes: truncated, nothing else");
	for (len = 0; len < 14; len++) {
		struct flow_key want = { .flags = FLOW_F_TRUNCATED };

		parse_prefix(frame, len, &k, &tf);
		CHECK(!memcmp(&k, &want, sizeof(k)) && !tf,
		      "len %d: flags %#x ethertype %#x", len, k.flags,
		      k.ethertype);
	}
	tl_end();
}

static void test_sweep(void)
{
	__u8 frame[2048], tf, want_tf;
	struct flow_key k, want;
	int full = pkt_build(&sweep_spec, frame), len;

	tl_begin("truncation sweep, every prefix 0..%d bytes", full);
	for (len = 0; len <= full; len++) {
		parse_prefix(frame, len, &k, &tf);
		sweep_expect(len, FLOW_DIR_INGRESS, &want, &want_tf);
		CHECK(!memcmp(&k, &want, sizeof(k)) && tf == want_tf,
		      "len %d: proto %u flags %#x ethertype %#x (want %u %#x %#x)",
		      len, k.proto, k.flags, k.ethertype, want.proto,
		      want.flags, want.ethertype);
	}
	tl_end();
}

int main(void)
{
	test_runts();
	test_sweep();
	return tl_exit();
}
