// SPDX-License-Identifier: GPL-2.0
/*
 * Another tool's tc program, for the attach test: loaded by tc itself
 * (cls_bpf, direct action) beside flowstat, it counts the frames it sees
 * in 'seen' and lets them pass.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 seen = 0;

SEC("tc")
int foreign_tc(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&seen, 1);
	return 0;	/* TC_ACT_OK */
}

char LICENSE[] SEC("license") = "GPL";
