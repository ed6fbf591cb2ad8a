// SPDX-License-Identifier: GPL-2.0
/*
 * flowgen's BPF side. BPF_PROG_RUN with live frames runs xdp_tx on the
 * crafted frame, and XDP_TX sends it out of the veth given as the ingress
 * device, so it arrives at the peer. xdp_pass exists for the receiving
 * end: a veth only takes XDP frames when its peer runs an XDP program (or
 * has GRO on), and a test needs a program that changes nothing.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
