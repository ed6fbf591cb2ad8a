/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpffs pinning: the mount check, and where each instance keeps its state.
 *
 * Layout: FLOWSTAT_PIN_ROOT/<netns inode>_<ifindex>/
 *	flows, totals, flow_cache, retired	the maps (common/flowstat.h)
 *	meta					struct flowstat_meta
 *	tcx_ingress, tcx_egress			tcx links (tcx only)
 *
 * Why netns inode + ifindex: an ifindex is unique only inside one network
 * namespace (every namespace has its own lo at 1, and veth peers often get
 * the same index on both sides), and a name can be reused or renamed. The
 * nsfs inode names the namespace for as long as it lives, and bpffs is
 * shared by every namespace, so the pair is unique across the host. The
 * interface name and the --netns name are kept in meta for display.
 */
#ifndef FLOWSTAT_PIN_H
#define FLOWSTAT_PIN_H

#include <stddef.h>
#include <linux/types.h>

#define PIN_TCX_INGRESS "tcx_ingress"
#define PIN_TCX_EGRESS "tcx_egress"

/* Make sure bpffs is mounted under the root (mount it if not) and the
 * root folder exists. 0 or a negative errno. */
int pin_prepare(void);
/* Is bpffs mounted where the root lives? 1 yes, 0 no, negative errno. */
int pin_bpffs_mounted(void);
/* FLOWSTAT_PIN_ROOT/<netns_ino>_<ifindex> */
int pin_dir(__u64 netns_ino, __u32 ifindex, char *buf, size_t len);
/* dir/name */
int pin_path(const char *dir, const char *name, char *buf, size_t len);
/* Remove every pin in dir, then dir. Missing entries are fine. */
int pin_remove_dir(const char *dir);

#endif /* FLOWSTAT_PIN_H */
