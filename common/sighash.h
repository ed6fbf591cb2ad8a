/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The security signals' hash mixer, one definition for the data plane
 * (common/signals.bpf.h) and for the tests that feed the userspace
 * estimator (core/signals.c) hashes as the data plane makes them.
 */
#ifndef FLOWSTAT_SIGHASH_H
#define FLOWSTAT_SIGHASH_H

#include <linux/types.h>

/* murmur3's finalizer: every input bit reaches every output bit. */
static inline __attribute__((always_inline)) __u64 sig_mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

#endif /* FLOWSTAT_SIGHASH_H */
