// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark programs: bench_bare is the baseline (XDP_PASS and nothing
 * else; bench_bare_drop is its XDP_DROP twin for the live benchmark);
 * bench_rotate gives every packet of a test run a different UDP source
 * port (round-robin over rotate_mask + 1 flows) and tail-calls the
 * program under test, so rotating flows can be measured per packet;
 * bench_rotate_bare does the same into bench_bare, as its baseline.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps"), target_bare SEC(".maps");

__u32 rotate_mask;	/* number of flows - 1, a power of two minus one */
__u32 counter;

SEC("xdp")
int bench_bare(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* The baseline of the live benchmark's drop case. */
SEC("xdp")
int bench_bare_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/*
 * Rewrite the source port with one 8-byte store of frame bytes 28..35
 * (end of the source address, destination address, source port): the
 * program under test then loads what was stored at the same place and
 * size, or a part of it, as it would load bytes a NIC wrote, instead of
 * stalling on a store of two bytes that its wider load cannot take from
 * the store buffer.
 */
static __always_inline int rotate(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 *w = data + 28, port;

	if ((void *)(w + 1) > end)
		return -1;
	port = bpf_htons(1024 + (counter++ & rotate_mask));
	*w = (*w & 0x0000ffffffffffffULL) | port << 48;
	return 0;
}

SEC("xdp")
int bench_rotate(struct xdp_md *ctx)
{
	if (!rotate(ctx))
		bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

SEC("xdp")
int bench_rotate_bare(struct xdp_md *ctx)
{
	if (!rotate(ctx))
		bpf_tail_call(ctx, &target_bare, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
