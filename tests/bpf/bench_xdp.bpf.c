// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark programs (tests/bench.c): the baselines, the counting floor,
 * and the wrapper that gives every frame of one test run its own flow.
 *
 * bench_bare, bench_tc_bare: return the pass verdict, nothing else.
 * bench_counter: one add to a per-CPU array, then pass.
 * bench_seq: writes the next flow id of a sequence into the frame and
 * tail-calls targets[target] (bare, flowstat or naive), so that the
 * baseline behind it pays for the wrapper too and the added cost is the
 * target's alone.
 * bench_bare_drop: XDP_DROP and nothing else, the live benchmark's
 * baseline for its drop case.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

/*
 * Flow ids in the order the frames carry them; sized at load. 8-byte
 * values: an array keeps its values 8 bytes apart, and userspace fills
 * this one through mmap as a plain array.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1 << 22);
	__type(key, __u32);
	__type(value, __u64);
} seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

__u32 pos;		/* the next frame's place in the sequence */
__u32 seq_mask;		/* seq entries - 1 */
__u32 target;		/* index into targets */
__u32 count_base;	/* counting: id = count_base + pos */
__u32 counting;		/* ids count up instead of coming from seq */

SEC("xdp")
int bench_bare(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bench_tc_bare(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

SEC("xdp")
int bench_counter(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&counter, &zero);

	if (c)
		*c += 1;
	return XDP_PASS;
}

/* The baseline of the live benchmark's drop case. */
SEC("xdp")
int bench_bare_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/*
 * Put flow id (24 bits) into the IPv4 UDP frame: the low 16 bits as the
 * source port, the high 8 as the last byte of the source address. The
 * stores have the offsets and sizes of the parser's loads (source
 * address: 4 bytes at 26, source port: 2 at 34), so the parsing program
 * under test takes the bytes from the store buffer, not stalling on a
 * load that spans two stores; a NIC's frame would not stall it at all.
 * (flowstat's fast path, which loads 8-byte words, is rarely taken when
 * flows vary on every frame.)
 */
static __always_inline int set_flow(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__be32 *saddr = data + 26;
	__be16 *sport = data + 34;
	__u32 p = pos++, id;
	__u64 *v;

	if ((void *)(sport + 1) > end)
		return -1;
	if (counting) {
		id = count_base + p;
	} else {
		p &= seq_mask;
		v = bpf_map_lookup_elem(&seq, &p);
		if (!v)
			return -1;
		id = *v;
	}
	*saddr = (*saddr & bpf_htonl(0xffffff00)) | bpf_htonl(id >> 16 & 0xff);
	*sport = bpf_htons(id & 0xffff);
	return 0;
}

SEC("xdp")
int bench_seq(struct xdp_md *ctx)
{
	if (!set_flow(ctx))
		bpf_tail_call(ctx, &targets, target);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
