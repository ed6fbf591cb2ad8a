/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpffs pinning: where the root is, the mount check, and where each
 * instance keeps its state.
 *
 * Layout: <root>/<netns inode>_<ifindex>/, root normally
 * FLOWSTAT_PIN_ROOT:
 *	flows0, flows1, totals0, totals1,	the maps of the two epochs
 *	cache0, cache1				(common/flowstat.h)
 *	ctl					the generation word
 *	store					the cumulative store (store.h)
 *	meta					struct flowstat_meta
 *	tcx_ingress, tcx_egress			pinned tcx links
 *	owner/					locked by an owning process
 *	readers/N/				locked by registered readers
 *
 * Why netns inode + ifindex: an ifindex is unique only inside one network
 * namespace (every namespace has its own lo at 1, and veth peers often get
 * the same index on both sides), and a name can be reused or renamed. The
 * nsfs inode names the namespace for as long as it lives, and bpffs is
 * shared by every namespace, so the pair is unique across the host. The
 * interface name and the --netns name are kept in meta for display.
 *
 * The root. `ip netns exec` gives its command a mount namespace of its
 * own with a fresh /sys and no bpffs on /sys/fs/bpf: pins made in a bpffs
 * mounted there would die with that namespace, leaving hooks nobody can
 * find. So where /sys/fs/bpf is not bpffs and this is not the host's
 * mount namespace, the root is the host's, reached through /proc/1/root;
 * where that cannot be reached either (PID 1 hidden), a persistent attach
 * is refused (-EXDEV) rather than pinned where it would be lost.
 */
#ifndef FLOWSTAT_PIN_H
#define FLOWSTAT_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PIN_TCX_INGRESS "tcx_ingress"
#define PIN_TCX_EGRESS "tcx_egress"
#define PIN_OWNER "owner"
#define PIN_READERS "readers"
#define BPFFS_MOUNT "/sys/fs/bpf"
#define BPFFS_HOST "/proc/1/root" BPFFS_MOUNT

/* The root folder of every instance's pins (see above); never NULL. */
const char *pin_root(void);
/*
 * Make sure the root exists, mounting bpffs on /sys/fs/bpf if it is not
 * and this is the host's mount namespace. Elsewhere a bpffs mounted here
 * dies with the namespace: that is refused (-EXDEV) unless private_ok
 * (what an owning process pins dies with it anyway, and so do its
 * links). 0 or a negative errno.
 */
int pin_prepare(bool private_ok);
/*
 * Is the root in the host's bpffs (not one of a private mount
 * namespace), so that every instance's pins can be seen from here?
 */
bool pin_root_is_hosts(void);
/* Is bpffs mounted where the root lives? 1 yes, 0 no, negative errno. */
int pin_bpffs_mounted(void);
/* <root>/<netns_ino>_<ifindex> */
int pin_dir(__u64 netns_ino, __u32 ifindex, char *buf, size_t len);
/* dir/name */
int pin_path(const char *dir, const char *name, char *buf, size_t len);
/*
 * The lock that serializes every change of attachments (attach, detach,
 * the live view's own attaches, reaping dead owners): flock of the root
 * folder, exclusive to change, shared to look (status). Returns the fd to
 * pass to pin_unlock(), or a negative errno; -ENOENT when there is no
 * root yet (nothing to look at).
 */
int pin_lock(bool exclusive);
/* Exclusive, if nobody holds it now (-EWOULDBLOCK otherwise). */
int pin_lock_try(void);
void pin_unlock(int fd);
/* Remove every pin in dir and its folders, then dir. Missing is fine. */
int pin_remove_dir(const char *dir);

#endif /* FLOWSTAT_PIN_H */
