// SPDX-License-Identifier: GPL-2.0
/* Interfaces through libnl-3 route (see iface.h). */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/classifier.h>
#include <stdlib.h>
#include <linux/rtnetlink.h>
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
	k->rx_dropped = rtnl_link_get_stat(link, RTNL_LINK_RX_DROPPED);
	k->tx_dropped = rtnl_link_get_stat(link, RTNL_LINK_TX_DROPPED);
	k->rx_errors = rtnl_link_get_stat(link, RTNL_LINK_RX_ERRORS);
	k->tx_errors = rtnl_link_get_stat(link, RTNL_LINK_TX_ERRORS);
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

/* ---- link events ---- */

struct iface_monitor {
	struct nl_sock *sk;
	iface_event_fn fn;
	void *ctx;
	int type;		/* of the message being parsed */
};

static void monitor_object(struct nl_object *obj, void *arg)
{
	struct iface_monitor *m = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct iface_info info;

	link_to_info(link, &info);
	m->fn(info.ifindex, m->type == RTM_DELLINK ? NULL : &info, m->ctx);
}

static int monitor_msg(struct nl_msg *msg, void *arg)
{
	struct iface_monitor *m = arg;

	m->type = nlmsg_hdr(msg)->nlmsg_type;
	if (m->type == RTM_NEWLINK || m->type == RTM_DELLINK)
		nl_msg_parse(msg, monitor_object, m);
	return NL_OK;
}

int iface_monitor_open(struct iface_monitor **out)
{
	struct iface_monitor *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	m->sk = nl_socket_alloc();
	if (!m->sk) {
		free(m);
		return -ENOMEM;
	}
	nl_socket_disable_seq_check(m->sk);
	nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, monitor_msg, m);
	err = nl_connect(m->sk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_membership(m->sk, RTNLGRP_LINK);
	if (!err)
		err = nl_socket_set_nonblocking(m->sk);
	if (err) {
		iface_monitor_close(m);
		return nl_to_errno(err);
	}
	*out = m;
	return 0;
}

int iface_monitor_poll(struct iface_monitor *m, iface_event_fn fn, void *ctx)
{
	int err;

	m->fn = fn;
	m->ctx = ctx;
	for (;;) {
		err = nl_recvmsgs_default(m->sk);
		if (err >= 0)
			continue;
		if (err == -NLE_AGAIN)
			return 0;
		if (err == -NLE_NOMEM || err == -NLE_MSG_OVERFLOW)
			return -ENOBUFS;	/* the socket overran */
		return nl_to_errno(err);
	}
}

void iface_monitor_close(struct iface_monitor *m)
{
	if (!m)
		return;
	nl_socket_free(m->sk);
	free(m);
}
