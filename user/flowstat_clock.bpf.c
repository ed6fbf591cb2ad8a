// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the kernel's two clocks for user/clock.c: jiffies and
 * CLOCK_MONOTONIC, side by side, each time userspace runs it
 * (BPF_PROG_RUN). Never attached anywhere.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 jiffies;
__u64 mono_ns;

SEC("syscall")
int flowstat_clock(void *ctx)
{
	jiffies = bpf_jiffies64();
	mono_ns = bpf_ktime_get_ns();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
