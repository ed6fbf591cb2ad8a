// SPDX-License-Identifier: GPL-2.0
/* The pin root, the bpffs mount and the per-instance folders (pin.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "flowstat.h"
#include "report.h"
#include "pin.h"

#define HOST_ROOT "/proc/1/root" FLOWSTAT_PIN_ROOT

static int is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

/*
 * The initial namespaces' fixed inodes: the PID namespace's for long,
 * the mount namespace's on recent kernels (6.18 here).
 */
#define PID_NS_INIT_INO 0xEFFFFFFCULL
#define MNT_NS_INIT_INO 0xEFFFFFF8ULL

static bool ns_is(const char *path, unsigned long long ino)
{
	struct stat st;

	return !stat(path, &st) && st.st_ino == ino;
}

/*
 * Is this the host's mount namespace? 1 yes, 0 no, -1 unknown. Its fixed
 * inode says yes; else PID 1's namespace tells, but only when PID 1 is
 * the host's (a PID namespace of its own gives an unshare or an ip netns
 * exec PID 1 of its own, whose namespace says nothing).
 */
static int init_mount_ns(void)
{
	struct stat a, b;

	if (ns_is("/proc/self/ns/mnt", MNT_NS_INIT_INO))
		return 1;
	if (!ns_is("/proc/self/ns/pid", PID_NS_INIT_INO) ||
	    stat("/proc/self/ns/mnt", &a) || stat("/proc/1/ns/mnt", &b))
		return -1;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

const char *pin_root(void)
{
	static const char *root;

	if (root)
		return root;
	root = FLOWSTAT_PIN_ROOT;
	if (is_bpffs(BPFFS_MOUNT) != 1 && init_mount_ns() != 1 &&
	    is_bpffs(BPFFS_HOST) == 1)
		root = HOST_ROOT;
	return root;
}

bool pin_root_is_hosts(void)
{
	return strcmp(pin_root(), FLOWSTAT_PIN_ROOT) ||
	       init_mount_ns() == 1;
}

int pin_bpffs_mounted(void)
{
	const char *root = pin_root();
	int ret = is_bpffs(root);

	if (ret == -ENOENT)	/* root not made yet: look at its parent */
		ret = is_bpffs(strcmp(root, FLOWSTAT_PIN_ROOT) ? BPFFS_HOST :
								 BPFFS_MOUNT);
	return ret == -ENOENT ? 0 : ret;
}

int pin_prepare(bool private_ok)
{
	const char *root = pin_root();
	int ret = pin_bpffs_mounted();

	if (ret < 0)
		return ret;
	if (!ret) {
		/* a mount here would die with this namespace */
		if (init_mount_ns() != 1 && !private_ok)
			return -EXDEV;
		report_info("bpffs not mounted; mounting it on " BPFFS_MOUNT);
		if (mkdir(BPFFS_MOUNT, 0700) && errno != EEXIST)
			return -errno;
		if (mount("bpf", BPFFS_MOUNT, "bpf", 0, "mode=0700"))
			return -errno;
	}
	if (mkdir(root, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int pin_dir(__u64 netns_ino, __u32 ifindex, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%llu_%u", pin_root(),
			 (unsigned long long)netns_ino, ifindex);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pin_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pin_lock(bool exclusive)
{
	int fd = open(pin_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH))
		if (errno != EINTR) {
			err = -errno;
			close(fd);
			return err;
		}
	return fd;
}

int pin_lock_try(void)
{
	int fd = open(pin_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

void pin_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

/* Folders nest two deep at most (readers/N); depth guards the rest. */
static int remove_tree(const char *dir, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	int err = 0, e;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pin_path(dir, de->d_name, path, sizeof(path))) {
			err = -ENAMETOOLONG;
			continue;
		}
		if (de->d_type == DT_DIR && depth < 3)
			e = remove_tree(path, depth + 1);
		else
			e = unlink(path) && errno != ENOENT ? -errno : 0;
		err = err ? err : e;
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT && !err)
		err = -errno;
	return err;
}

int pin_remove_dir(const char *dir)
{
	return remove_tree(dir, 0);
}
