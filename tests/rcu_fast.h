/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Quick grace periods for the packet suites. Every fold waits for a
 * grace period (core/fold.c, fold_grace_period) and the packet suites
 * fold thousands of times (bpf_packet_test's fast-path shapes: two
 * folds for each of ~12,000 flipped bits). A normal synchronize_rcu
 * takes 5-30 ms on a VM: a quarter of an hour for that case alone,
 * against 9 s for the whole suite with expedited grace periods, which
 * keep the same guarantee (every program that could see the old map
 * has finished) and only cost the kernel more IPIs. rcu_expedite()
 * turns them on (/sys/kernel/rcu_expedited) for as long as the process
 * runs and puts the old value back at exit or on a fatal signal
 * (tests/run.sh puts it back too, after a SIGKILL). Nothing a test
 * checks depends on it: without it (no permission) runs are slower.
 */
#ifndef FLOWSTAT_RCU_FAST_H
#define FLOWSTAT_RCU_FAST_H

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define RCU_EXPEDITED "/sys/kernel/rcu_expedited"

static int rcu_fast_set;

static void rcu_fast_restore(void)
{
	int fd;

	if (!rcu_fast_set)
		return;
	rcu_fast_set = 0;
	fd = open(RCU_EXPEDITED, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1) {
			/* nothing more to do: runs elsewhere are slower */
		}
		close(fd);
	}
}

static void rcu_fast_signal(int sig)
{
	rcu_fast_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static inline void rcu_expedite(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
				    SIGSEGV, SIGABRT, SIGBUS };
	char old = 0;
	size_t i;
	int fd = open(RCU_EXPEDITED, O_RDWR);

	if (fd < 0)
		return;
	if (read(fd, &old, 1) == 1 && old == '0' &&
	    pwrite(fd, "1", 1, 0) == 1) {
		rcu_fast_set = 1;
		atexit(rcu_fast_restore);
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], rcu_fast_signal);
	}
	close(fd);
}

#endif /* FLOWSTAT_RCU_FAST_H */
