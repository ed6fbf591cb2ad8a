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

#define RESTORE_WORDS 16

/*
 * The first bytes of the frame as flowgen built it. Live frames reuse
 * their pages within a run without copying the frame in again, and the
 * receiving stack may change a frame in place (it moves the MAC header
 * over a VLAN tag it takes out), so every frame is written anew here.
 */
__u64 restore[RESTORE_WORDS];
__u32 restore_words;

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	__u64 *d = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 i;

	for (i = 0; i < RESTORE_WORDS; i++) {
		if (i >= restore_words || (void *)(d + i + 1) > end)
			break;
		d[i] = restore[i];
	}
	return XDP_TX;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
