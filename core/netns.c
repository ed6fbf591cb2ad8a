// SPDX-License-Identifier: GPL-2.0
/* Entering and identifying network namespaces (see netns.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "netns.h"

static int netns_path(const char *name, char *path, size_t len)
{
	if (!name || !*name) {
		snprintf(path, len, "/proc/self/ns/net");
		return 0;
	}
	/* A name, not a path: keep it inside NETNS_RUN_DIR. */
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (snprintf(path, len, NETNS_RUN_DIR "/%s", name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int netns_enter(const char *name, int *saved_fd)
{
	char path[PATH_MAX];
	int fd, old, err;

	err = netns_path(name, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	old = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (old < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(fd);
		close(old);
		return err;
	}
	close(fd);
	*saved_fd = old;
	return 0;
}

int netns_return(int saved_fd)
{
	int err = 0;

	if (saved_fd < 0)
		return 0;
	if (setns(saved_fd, CLONE_NEWNET))
		err = -errno;
	close(saved_fd);
	return err;
}

int netns_inode(const char *name, __u64 *ino)
{
	char path[PATH_MAX];
	struct stat st;
	int err;

	/*
	 * Set on failure too: clang 14's analyzer does not know -errno is
	 * non-zero after a failed stat, and saw callers read *ino unset.
	 */
	*ino = 0;
	err = netns_path(name, path, sizeof(path));
	if (err)
		return err;
	if (stat(path, &st))
		return -errno;
	*ino = st.st_ino;
	return 0;
}

static int enter_if_ino(const char *name, __u64 ino, int *saved_fd)
{
	__u64 have;

	if (netns_inode(name, &have) || have != ino)
		return -ENOENT;
	return netns_enter(name, saved_fd);
}

int netns_enter_ino(__u64 ino, const char *hint, int *saved_fd)
{
	struct dirent *de;
	__u64 cur;
	int err = -ENOENT;
	DIR *d;

	*saved_fd = -1;
	if (!netns_inode(NULL, &cur) && cur == ino)
		return 0;
	if (hint && *hint) {
		err = enter_if_ino(hint, ino, saved_fd);
		if (err != -ENOENT)
			return err;
	}
	d = opendir(NETNS_RUN_DIR);
	if (!d)
		return -ENOENT;
	while (err == -ENOENT && (de = readdir(d)))
		if (de->d_name[0] != '.')
			err = enter_if_ino(de->d_name, ino, saved_fd);
	closedir(d);
	return err;
}
