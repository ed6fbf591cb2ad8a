// SPDX-License-Identifier: GPL-2.0
/* Interfaces through libnl-3 route (see iface.h). */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/classifier.h>
#include "iface.h"
#include "netns.h"

/* libnl errors are its own codes; the ones that matter here map back. */
static int nl_to_errno(int err)
{
	switch (-err) {
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int nl_route_socket(struct nl_sock **sk)
{
	int err;

	*sk = nl_socket_alloc();
	if (!*sk)
		return -ENOMEM;
	err = nl_connect(*sk, NETLINK_ROUTE);
	if (err) {
		nl_socket_free(*sk);
		return nl_to_errno(err);
	}
	return 0;
}

static void link_to_info(struct rtnl_link *link, struct iface_info *info)
{
	unsigned int flags = rtnl_link_get_flags(link);
	const char *name = rtnl_link_get_name(link);

	memset(info, 0, sizeof(*info));
	info->ifindex = rtnl_link_get_ifindex(link);
	if (name)
		snprintf(info->name, sizeof(info->name), "%s", name);
	info->up = flags & IFF_UP;
	info->running = flags & IFF_RUNNING;
	struct iface_counters *k = &info->kernel;

	k->rx_packets = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	k->rx_bytes = rtnl_link_get_stat(link, RTNL_LINK_RX_BYTES);
	k->tx_packets = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
	k->tx_bytes = rtnl_link_get_stat(link, RTNL_LINK_TX_BYTES);
}

int iface_get(const char *name, int ifindex, struct iface_info *info)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sk;
	int err;

	if (name && (!*name || strlen(name) >= IF_NAMESIZE))
		return -ENODEV;
	err = nl_route_socket(&sk);
	if (err)
		return err;
	err = rtnl_link_get_kernel(sk, name ? 0 : ifindex, name, &link);
	if (err)
		err = nl_to_errno(err);
	else
		link_to_info(link, info);
	rtnl_link_put(link);
	nl_socket_free(sk);
	return err;
}

int iface_kernel_counters(int ifindex, struct iface_counters *out)
{
	struct iface_info info;
	int err = iface_get(NULL, ifindex, &info);

	if (!err)
		*out = info.kernel;
	return err;
}

int iface_tc_filter_count(int ifindex, bool egress)
{
	__u32 parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS :
						       TC_H_MIN_INGRESS);
	struct nl_cache *cache;
	struct nl_sock *sk;
	int err, n;

	err = nl_route_socket(&sk);
	if (err)
		return err;
	err = rtnl_cls_alloc_cache(sk, ifindex, parent, &cache);
	nl_socket_free(sk);
	if (err)
		return nl_to_errno(err);
	n = nl_cache_nitems(cache);
	nl_cache_free(cache);
	return n;
}

static int has_iface_in(const char *netns, const char *name)
{
	int saved, found;

	if (netns_enter(netns, &saved))
		return 0;
	found = if_nametoindex(name) != 0;
	netns_return(saved);
	return found;
}

int iface_find_netns(const char *name, char *netns, size_t len)
{
	struct dirent *de;
	int ret = -ENOENT;
	DIR *d;

	d = opendir(NETNS_RUN_DIR);
	if (!d)
		return -ENOENT;
	while (ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !has_iface_in(de->d_name, name))
			continue;
		snprintf(netns, len, "%s", de->d_name);
		ret = 0;
	}
	closedir(d);
	return ret;
}
