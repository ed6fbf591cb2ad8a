/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named network namespaces (/run/netns/NAME, as made by `ip netns add`).
 * Only the network namespace changes: the mount namespace, and with it the
 * caller's bpffs, stays, which is why flowstat does not use `ip netns exec`
 * (it remounts /sys and hides bpffs).
 */
#ifndef FLOWSTAT_NETNS_H
#define FLOWSTAT_NETNS_H

#include <linux/types.h>

#define NETNS_RUN_DIR "/run/netns"

/*
 * Enter the named namespace; *saved_fd gets an fd of the current one for
 * netns_return(). 0 or a negative errno (-ENOENT: no such namespace,
 * -EPERM: no CAP_SYS_ADMIN).
 */
int netns_enter(const char *name, int *saved_fd);
/* Go back to the namespace saved by netns_enter() and close the fd. */
int netns_return(int saved_fd);
/*
 * Enter the namespace with this nsfs inode: the current one (*saved_fd
 * = -1, nothing to return to), the one named hint, or any in /run/netns.
 * -ENOENT when none matches (unnamed, or gone).
 */
int netns_enter_ino(__u64 ino, const char *hint, int *saved_fd);
/* Inode of the named namespace, or of the current one for NULL or "". */
int netns_inode(const char *name, __u64 *ino);

#endif /* FLOWSTAT_NETNS_H */
