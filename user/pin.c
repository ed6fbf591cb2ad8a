// SPDX-License-Identifier: GPL-2.0
/* bpffs mount check and the per-instance pin folders (see pin.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "flowstat.h"
#include "log.h"
#include "pin.h"

#define BPFFS_MOUNT "/sys/fs/bpf"

static int is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

int pin_bpffs_mounted(void)
{
	int ret = is_bpffs(FLOWSTAT_PIN_ROOT);

	if (ret == -ENOENT)	/* root not made yet: look at its parent */
		ret = is_bpffs(BPFFS_MOUNT);
	return ret == -ENOENT ? 0 : ret;
}

int pin_prepare(void)
{
	int ret = pin_bpffs_mounted();

	if (ret < 0)
		return ret;
	if (!ret) {
		pr_info("bpffs not mounted; mounting it on " BPFFS_MOUNT);
		if (mkdir(BPFFS_MOUNT, 0700) && errno != EEXIST)
			return -errno;
		if (mount("bpf", BPFFS_MOUNT, "bpf", 0, "mode=0700"))
			return -errno;
	}
	if (mkdir(FLOWSTAT_PIN_ROOT, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int pin_dir(__u64 netns_ino, __u32 ifindex, char *buf, size_t len)
{
	int n = snprintf(buf, len, FLOWSTAT_PIN_ROOT "/%llu_%u",
			 (unsigned long long)netns_ino, ifindex);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pin_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pin_remove_dir(const char *dir)
{
	char path[4096];
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (pin_path(dir, de->d_name, path, sizeof(path)))
			err = -ENAMETOOLONG;
		else if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT && !err)
		err = -errno;
	return err;
}
