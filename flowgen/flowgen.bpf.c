// SPDX-License-Identifier: GPL-2.0
/*
 * flowgen's BPF side. BPF_PROG_RUN with live frames runs xdp_tx on the
 * crafted frame, and XDP_TX sends it out of the veth given as the ingress
 * device, so it arrives at the peer. xdp_tx turns each copy into the frame
 * of one flow of the description, so that one run sends many flows.
 * track_xmit follows the frames to the veth's ring and notes the flow of
 * each frame the ring dropped, so that flowgen sends exactly those again.
 * xdp_pass exists for the receiving end: a veth only takes XDP frames
 * when its peer runs an XDP program (or has GRO on), and a test needs a
 * program that changes nothing.
 *
 * Everything here is global data that flowgen reads and writes through
 * the skeleton; field offsets of 0 mean "no such field" (none of them can
 * be at offset 0, which is the destination MAC).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define RESTORE_WORDS 16
#define RUN_MAX (1U << 18)	/* frames per run (send.c's CHUNK_MAX) */
#define INFLIGHT (1U << 10)	/* > frames between xdp_tx and the flush */
#define BULK_MAX 64		/* frames per ndo_xdp_xmit (16 in kernels) */
#define OFF_MASK 0x3ff		/* every rewritten field is in the head */

/*
 * The first bytes of flow 0's frame. Live frames reuse their pages within
 * a run without copying the frame in again, and the receiving stack may
 * change a frame in place (it moves the MAC header over a VLAN tag it
 * takes out), so every frame is written anew here.
 */
__u64 restore[RESTORE_WORDS];
__u32 restore_words;

/*
 * Which flow each frame belongs to: counting up from next_flow (wrapping
 * at flows), or, in a list run, flow_list[i] for the run's i-th frame.
 */
__u32 flows;
__u32 next_flow;
__u32 list_run;
__u32 flow_list[RUN_MAX];

/*
 * How flow k differs from flow 0 (as spec_nth_flow makes it): the source
 * port is base_port + k, carrying into the source address; or the source
 * address (its low 32 bits) is base_addr + k; or the source MAC's low 24
 * bits are base_addr + k. ip_sum and l4_sum are flow 0's one's complement
 * sums without the checksum and the varying words; crc_bits[i] is what
 * bit i of the source port changes in an SCTP CRC32c (a CRC is affine
 * in its input, so a changed port changes it by the XOR of these).
 */
__u32 port_off;
__u32 addr_off;
__u32 mac_off;
__u32 ip_csum_off;
__u32 l4_csum_off;
__u32 crc_off;
__u32 udp_csum;		/* a computed 0 goes out as 0xffff */
__u32 base_port;
__u32 base_addr;
__u32 ip_sum;
__u32 l4_sum;
__u32 base_crc;
__u32 crc_bits[16];

/*
 * One run's accounting. xdp_tx notes the flow of its i-th frame in
 * inflight[i % INFLIGHT]; the frames reach the veth in that order, in
 * bulks of which the veth takes a prefix (ndo_xdp_xmit's contract), so
 * track_xmit knows the flow of every frame that was dropped. A bulk it
 * cannot place sets run_untracked.
 */
__u32 track_tid;
__u32 track_ifindex;
__u32 run_frames;
__u32 run_flushed;
__u32 run_sent;
__u32 run_dropped;
__u32 run_untracked;
__u32 inflight[INFLIGHT];
__u32 dropped[RUN_MAX];

struct net_device {
	int ifindex;
} __attribute__((preserve_access_index));

static __always_inline void restore_head(__u64 *d, void *end)
{
	__u32 i;

	for (i = 0; i < RESTORE_WORDS; i++) {
		if (i >= restore_words || (void *)(d + i + 1) > end)
			break;
		d[i] = restore[i];
	}
}

static __always_inline __u32 pick_flow(void)
{
	__u32 seq = run_frames, k;

	if (list_run) {
		k = flow_list[seq & (RUN_MAX - 1)];
	} else {
		k = next_flow;
		next_flow = k + 1 >= flows ? 0 : k + 1;
	}
	inflight[seq & (INFLIGHT - 1)] = k;
	run_frames = seq + 1;
	return k;
}

/* Writes the low n (2, 3 or 4) bytes of v, most significant first. */
static __always_inline int put_be(__u8 *data, void *end, __u32 off, __u32 v,
				  int n)
{
	__u8 *p = data + (off & OFF_MASK);

	if (n == 4) {
		if ((void *)(p + 4) > end)
			return -1;
		p[0] = v >> 24;
		p++;
	}
	if (n >= 3) {
		if ((void *)(p + 3) > end)
			return -1;
		p[0] = v >> 16;
		p++;
	}
	if ((void *)(p + 2) > end)
		return -1;
	p[0] = v >> 8;
	p[1] = v;
	return 0;
}

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static __always_inline __u32 sctp_crc(__u32 port)
{
	__u32 crc = base_crc, diff = port ^ base_port;
	int i;

#pragma unroll
	for (i = 0; i < 16; i++) {
		if (diff & (1U << i))
			crc ^= crc_bits[i];
	}
	return crc;
}

/* Flow 0's frame (as restored) becomes flow k's. */
static __always_inline int rewrite(__u8 *data, void *end, __u32 k)
{
	__u32 port = base_port + k, addr, crc;
	__u64 words;
	__u16 csum;
	__u8 *p;

	if (mac_off)
		return put_be(data, end, mac_off, base_addr + k, 3);
	if (!addr_off)
		return 0;
	addr = base_addr + (port_off ? port >> 16 : k);
	port &= 0xffff;
	words = (addr >> 16) + (addr & 0xffff);
	if (put_be(data, end, addr_off, addr, 4) ||
	    (port_off && put_be(data, end, port_off, port, 2)))
		return -1;
	if (ip_csum_off &&
	    put_be(data, end, ip_csum_off, csum_fold(ip_sum + words), 2))
		return -1;
	if (l4_csum_off) {
		csum = csum_fold(l4_sum + words + (port_off ? port : 0));
		if (!csum && udp_csum)
			csum = 0xffff;
		if (put_be(data, end, l4_csum_off, csum, 2))
			return -1;
	}
	if (crc_off) {
		p = data + (crc_off & OFF_MASK);
		if ((void *)(p + 4) > end)
			return -1;
		crc = sctp_crc(port);
		p[0] = crc;	/* little-endian, as SCTP has it */
		p[1] = crc >> 8;
		p[2] = crc >> 16;
		p[3] = crc >> 24;
	}
	return 0;
}

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	restore_head((__u64 *)data, end);
	if (rewrite(data, end, pick_flow()))
		return XDP_ABORTED;
	return XDP_TX;
}

/*
 * A bulk of our frames (from our thread, XDP_TX'd back out of our veth)
 * was handed to the veth: the first sent went into the peer's ring, the
 * next drops did not.
 */
SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(track_xmit, const struct net_device *from,
	     const struct net_device *to, int sent, int drops, int err)
{
	__u32 at, i, n;

	if (!track_tid || (__u32)bpf_get_current_pid_tgid() != track_tid)
		return 0;
	if (from->ifindex != (int)track_ifindex ||
	    to->ifindex != (int)track_ifindex)
		return 0;
	if (sent < 0 || drops < 0 || drops > BULK_MAX) {
		run_untracked = 1;
		return 0;
	}
	at = run_flushed + sent;
	for (i = 0; i < BULK_MAX && i < (__u32)drops; i++) {
		n = run_dropped;
		if (n >= RUN_MAX) {
			run_untracked = 1;
			break;
		}
		barrier_var(n);	/* keeps the mask the verifier needs */
		dropped[n & (RUN_MAX - 1)] =
			inflight[(at + i) & (INFLIGHT - 1)];
		run_dropped = n + 1;
	}
	run_flushed += sent + drops;
	run_sent += sent;
	return 0;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
