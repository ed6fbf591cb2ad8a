// SPDX-License-Identifier: GPL-2.0
/*
 * flowgen: sends exact numbers of frames of described flows into a veth,
 * and reports what arrived per flow, so that a test can compare
 * flowstat's counts with it. main reads as: parse, enter the namespace,
 * load, send (or attach/detach the receiver's pass program), report.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flowgen.skel.h"
#include "report.h"
#include "send.h"
#include "spec.h"

#define MAX_SPECS 1024

enum gen_action { GEN_SEND, GEN_ATTACH_PASS, GEN_DETACH_PASS };

struct gen_opts {
	const char *netns;
	const char *dev;
	bool json;
	bool verbose;
	__u64 rate;
	__u32 batch;
	enum gen_action action;
	struct flow_spec specs[MAX_SPECS];
	size_t nr_specs;
};

static bool verbose;
static bool quiet;	/* while trying what may not work on this kernel */

static const char usage_text[] =
"usage: flowgen [--netns NS] --dev DEV [--json] [--rate PPS] [--batch N]\n"
"               [-v] FLOWSPEC... | -f FILE\n"
"       flowgen [--netns NS] --dev DEV --attach-pass | --detach-pass\n"
"\n"
"Sends exact numbers of frames out of the veth DEV (in network namespace\n"
"NS) and prints what the peer received, per flow. The peer must run an\n"
"XDP program (any: flowstat's, or `flowgen --attach-pass` there) or have\n"
"GRO on (scripts/testbed up --gro), else no frame arrives.\n"
"\n"
"FLOWSPEC is key=value,... (a FILE holds one per line, # comments):\n"
"  proto=tcp|udp|sctp|icmp|icmpv6|raw|N   N = IP with a bare payload\n"
"  eth=0xNNNN       ethertype; not IP means a raw frame (proto=raw alone:\n"
"                   0x88b5)\n"
"  src=IP dst=IP    IPv4 or IPv6 (default 192.0.2.1 > 198.51.100.1, or\n"
"                   2001:db8::1 > 2001:db8::2)\n"
"  sport= dport=    tcp, udp, sctp ports (default 0)\n"
"  type= code=      icmp, icmpv6 (default echo request)\n"
"  flags=SA         tcp flags, letters of FSRPAUEC or a number (default S)\n"
"  vlan=ID inner_vlan=ID tpid=0xNNNN   802.1Q tag, QinQ (outer TPID\n"
"                   0x88a8 with two tags, 0x8100 with one)\n"
"  smac= dmac=      default: DEV's MAC > ff:ff:ff:ff:ff:ff\n"
"  size=N           frame length, Ethernet header, no FCS: >= 60, default\n"
"                   the smallest that holds the headers (or, with iplen=,\n"
"                   the IP packet: the larger of 60 and L2 header + N)\n"
"  iplen=N          IP packet length (IPv4 total length, IPv6 40 + payload\n"
"                   length), from the IP and L4 headers' length to size -\n"
"                   L2 header (the default: the IP packet fills the frame);\n"
"                   the rest of the frame is zero Ethernet padding\n"
"  count=N          frames over all its flows (default 1)\n"
"  flows=N          distinct flows: the field that vary= names counts up;\n"
"                   flow k gets count/N (+1 for k < count%N); frame i\n"
"                   goes to flow i % N\n"
"  vary=FIELD       sport (the default for tcp, udp, sctp), dport (a port\n"
"                   carries into its side's address past 65535), src (the\n"
"                   default for other IP) or dst: the low 32 bits of the\n"
"                   address; non-IP flows differ in the source MAC\n"
"  rate=PPS         this description's rate (default --rate, or no limit)\n"
"\n"
"Output: one line per flow and the total; --json prints\n"
"  {\"flows\":[{...,\"iplen\":N,\"size\":N,\"packets\":N,\"bytes\":N,\n"
"   \"ip_bytes\":N}],\"packets\":N,\"bytes\":N,\"ip_bytes\":N,\"seconds\":S,\n"
"   \"pps\":P,\"dropped\":N,\"exact\":true}\n"
"bytes count whole frames; ip_bytes the IP packets only (packets x iplen;\n"
"0 for non-IP frames, which have no iplen).\n"
"Frames the peer's ring dropped (dropped) are sent again, to their own\n"
"flows: per-flow counts are exact (exact is false only when flowgen could\n"
"not tell whose frames were dropped; the totals are exact either way).\n"
"Exit: 0 sent, 1 failure, 2 bad usage or description.\n";

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if ((level == LIBBPF_DEBUG || quiet) && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int add_spec(struct gen_opts *o, const char *text, const char *where)
{
	char err[SPEC_ERR_LEN];

	if (o->nr_specs == MAX_SPECS) {
		fprintf(stderr, "flowgen: more than %d flow descriptions\n",
			MAX_SPECS);
		return -E2BIG;
	}
	if (spec_parse(text, &o->specs[o->nr_specs], err, sizeof(err))) {
		fprintf(stderr, "flowgen: %s'%s': %s\n", where, text, err);
		return -EINVAL;
	}
	o->nr_specs++;
	return 0;
}

static int read_spec_file(struct gen_opts *o, const char *path)
{
	char line[1024], where[300];
	int lineno = 0, err = 0;
	FILE *f;

	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "flowgen: %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "#\r\n")] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		snprintf(where, sizeof(where), "%s:%d: ", path, lineno);
		err = add_spec(o, line, where);
	}
	if (f != stdin)
		fclose(f);
	return err;
}

static int parse_number(const char *opt, const char *val, __u64 max,
			__u64 *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 0);
	if (errno || *end || !*val || *val == '-' || v > max) {
		fprintf(stderr, "flowgen: --%s: bad value '%s'\n", opt, val);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct gen_opts *o)
{
	static const struct option longopts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "dev", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "rate", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "file", required_argument, NULL, 'f' },
		{ "attach-pass", no_argument, NULL, 'A' },
		{ "detach-pass", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	__u64 v;
	int c, err = 0;

	while (!err && (c = getopt_long(argc, argv, "n:d:jr:b:f:vh", longopts,
					NULL)) != -1) {
		switch (c) {
		case 'n': o->netns = optarg; break;
		case 'd': o->dev = optarg; break;
		case 'j': o->json = true; break;
		case 'v': verbose = true; break;
		case 'A': o->action = GEN_ATTACH_PASS; break;
		case 'D': o->action = GEN_DETACH_PASS; break;
		case 'f': err = read_spec_file(o, optarg); break;
		case 'r':
			err = parse_number("rate", optarg, 1ULL << 32, &o->rate);
			break;
		case 'b':
			err = parse_number("batch", optarg, 256, &v);
			if (!err)
				o->batch = v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	for (; !err && optind < argc; optind++)
		err = add_spec(o, argv[optind], "");
	if (err)
		return err;
	if (!o->dev) {
		fprintf(stderr, "flowgen: --dev is missing (flowgen --help)\n");
		return -EINVAL;
	}
	if (o->action == GEN_SEND && !o->nr_specs) {
		fprintf(stderr, "flowgen: no flow description (flowgen --help)\n");
		return -EINVAL;
	}
	return 0;
}

/* Specs without rate= get --rate; specs without smac= get DEV's MAC. */
static int fill_defaults(struct gen_opts *o)
{
	__u8 mac[6];
	size_t i;
	int err;

	err = dev_mac(o->dev, mac);
	if (err) {
		fprintf(stderr, "flowgen: %s: %s\n", o->dev, strerror(-err));
		return err;
	}
	for (i = 0; i < o->nr_specs; i++) {
		if (!o->specs[i].rate)
			o->specs[i].rate = o->rate;
		if (!o->specs[i].has_smac)
			memcpy(o->specs[i].smac, mac, sizeof(mac));
	}
	return 0;
}

static int alloc_result(const struct gen_opts *o, struct gen_result *res)
{
	size_t i;

	res->specs = o->specs;
	res->nr_specs = o->nr_specs;
	res->sent = calloc(o->nr_specs, sizeof(*res->sent));
	if (!res->sent)
		return -ENOMEM;
	for (i = 0; i < o->nr_specs; i++) {
		res->sent[i] = calloc(o->specs[i].flows, sizeof(__u64));
		if (!res->sent[i])
			return -ENOMEM;
	}
	return 0;
}

static void free_result(struct gen_result *res)
{
	size_t i;

	for (i = 0; res->sent && i < res->nr_specs; i++)
		free(res->sent[i]);
	free(res->sent);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int send_all(struct gen_opts *o, struct flowgen *skel)
{
	struct gen_result res = {};
	struct sender s = { .sock = -1 };
	double start;
	size_t i;
	int err;

	err = fill_defaults(o);
	if (!err)
		err = alloc_result(o, &res);
	if (!err)
		err = sender_open(&s, o->dev, skel, o->batch);
	if (err) {
		sender_close(&s);
		free_result(&res);
		return err;
	}
	start = now();
	for (i = 0; !err && i < o->nr_specs; i++)
		err = sender_run(&s, &o->specs[i], res.sent[i], &res.stats);
	res.seconds = now() - start;
	sender_close(&s);
	if (!err && o->json)
		report_json(stdout, &res);
	else if (!err)
		report_plain(stdout, &res);
	free_result(&res);
	return err;
}

static int attach_pass(const char *dev, struct flowgen *skel)
{
	int ifindex = if_nametoindex(dev), err;

	if (!ifindex)
		err = -ENODEV;
	else
		err = bpf_xdp_attach(ifindex,
				     bpf_program__fd(skel->progs.xdp_pass),
				     XDP_FLAGS_DRV_MODE |
				     XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err)
		fprintf(stderr, "flowgen: attach pass program to %s: %s\n", dev,
			err == -EBUSY ? "it already has an XDP program" :
			strerror(-err));
	return err;
}

/* Detaches only our own pass program, never somebody else's. */
static int detach_pass(const char *dev)
{
	struct bpf_prog_info info = {};
	__u32 id = 0, len = sizeof(info);
	int ifindex = if_nametoindex(dev), fd, err;

	if (!ifindex)
		return fprintf(stderr, "flowgen: %s: no such device\n", dev),
		       -ENODEV;
	err = bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id);
	if (err || !id)
		return err;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (!err && strcmp(info.name, "xdp_pass")) {
		fprintf(stderr, "flowgen: %s runs XDP program %s, not "
			"flowgen's: left alone\n", dev, info.name);
		err = -EBUSY;
	} else if (!err) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = fd);
		err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE |
				     XDP_FLAGS_REPLACE, &opts);
	}
	close(fd);
	return err;
}

/*
 * Opens and loads the programs; track_xmit (a tp_btf program) only when
 * sending, and if this kernel cannot load or attach it, flowgen sends
 * without it (see send.c).
 */
static struct flowgen *load_programs(bool track)
{
	struct flowgen *skel = flowgen__open();
	int err;

	if (!skel)
		return NULL;
	if (!track)
		bpf_program__set_autoload(skel->progs.track_xmit, false);
	err = flowgen__load(skel);
	if (!err && track) {
		skel->links.track_xmit =
			bpf_program__attach(skel->progs.track_xmit);
		err = libbpf_get_error(skel->links.track_xmit);
		if (err)
			skel->links.track_xmit = NULL;
	}
	if (err) {
		flowgen__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

static int run(struct gen_opts *o)
{
	struct flowgen *skel = NULL;
	int err;

	if (o->netns) {
		err = netns_enter(o->netns);
		if (err)
			return err;
	}
	if (o->action == GEN_DETACH_PASS)
		return detach_pass(o->dev);
	if (o->action == GEN_SEND) {
		quiet = true;
		skel = load_programs(true);
		quiet = false;
		if (!skel && verbose)
			fprintf(stderr, "flowgen: no track_xmit (%s): "
				"per-flow counts are exact only if no frame "
				"is dropped\n", strerror(errno));
	}
	if (!skel)
		skel = load_programs(false);
	if (!skel) {
		fprintf(stderr, "flowgen: load BPF programs: %s\n",
			strerror(errno));
		return -errno;
	}
	if (o->action == GEN_ATTACH_PASS)
		err = attach_pass(o->dev, skel);
	else
		err = send_all(o, skel);
	flowgen__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	static struct gen_opts opts;

	if (parse_options(argc, argv, &opts))
		return 2;
	libbpf_set_print(libbpf_print);
	return run(&opts) ? 1 : 0;
}
