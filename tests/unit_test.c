// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace units without a kernel: the filter language (every error with
 * its column), the formatters' exact bytes, the collector's merge of
 * per-CPU hash values and cache slots on synthetic data, monotonic counts,
 * deltas, rate windows, and the scan cost for 10,000 and 100,000 flows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "dataplane.h"
#include "filter.h"
#include "fold.h"
#include "format.h"
#include "testlib.h"

#define NCPUS 2

static struct flow_key key4(const char *src, const char *dst, __u8 proto,
			    __u16 sport, __u16 dport, __u8 dir)
{
	struct flow_key k = { 0 };

	inet_pton(AF_INET, src, k.src);
	inet_pton(AF_INET, dst, k.dst);
	k.ethertype = 0x0800;
	k.proto = proto;
	k.sport = sport;
	k.dport = dport;
	k.dir = dir;
	k.flags = FLOW_F_L4 | FLOW_F_PORTS;
	return k;
}

static struct flow_key key6(const char *src, const char *dst, __u8 proto,
			    __u16 sport, __u16 dport)
{
	struct flow_key k = { 0 };

	inet_pton(AF_INET6, src, k.src);
	inet_pton(AF_INET6, dst, k.dst);
	k.ethertype = 0x86dd;
	k.proto = proto;
	k.sport = sport;
	k.dport = dport;
	k.flags = FLOW_F_L4 | FLOW_F_PORTS;
	return k;
}

/* ---- filters ---- */

static bool match(const char *expr, const char *ifname,
		  const struct flow_key *k)
{
	struct filter_error fe;
	struct filter *f;
	bool m;

	if (filter_parse(expr, &f, &fe)) {
		CHECK(0, "'%s' did not parse: col %d %s", expr, fe.pos, fe.msg);
		return false;
	}
	m = filter_match(f, ifname, k);
	filter_free(f);
	return m;
}

static void test_filter_match(void)
{
	struct flow_key tcp = key4("192.0.2.1", "198.51.100.7", 6, 1234, 80, 0);
	struct flow_key icmp = key4("192.0.2.1", "203.0.113.9", 1, 8, 0, 0);
	struct flow_key v6 = key6("2001:db8::1", "2001:db8:1::2", 17, 5, 53);
	struct flow_key arp = { .ethertype = 0x0806 };
	struct flow_key tagged = tcp;
	static const struct {
		const char *expr;
		int tcp, icmp, v6, arp, tagged;
	} cases[] = {
		{ "", 1, 1, 1, 1, 1 },
		{ "   ", 1, 1, 1, 1, 1 },
		{ "host 192.0.2.1", 1, 1, 0, 0, 1 },
		{ "host 198.51.100.7", 1, 0, 0, 0, 1 },
		{ "host 2001:db8:1::2", 0, 0, 1, 0, 0 },
		{ "net 203.0.113.0/24", 0, 1, 0, 0, 0 },
		{ "net 203.0.113.77/24", 0, 1, 0, 0, 0 },
		{ "net 2001:db8::/32", 0, 0, 1, 0, 0 },
		{ "net 2001:db8:1::/48", 0, 0, 1, 0, 0 },
		{ "net 0.0.0.0/0", 1, 1, 0, 0, 1 },
		{ "net 192.0.2.1", 1, 1, 0, 0, 1 },
		{ "port 80", 1, 0, 0, 0, 1 },
		{ "port 8", 0, 0, 0, 0, 0 },	/* ICMP type is no port */
		{ "port 53", 0, 0, 1, 0, 0 },
		{ "proto tcp", 1, 0, 0, 0, 1 },
		{ "proto ICMP", 0, 1, 0, 0, 0 },
		{ "proto 17", 0, 0, 1, 0, 0 },
		{ "iface eth0", 1, 1, 1, 1, 0 },
		{ "vlan 10", 0, 0, 0, 0, 1 },
		{ "vlan 20", 0, 0, 0, 0, 1 },
		{ "vlan 30", 0, 0, 0, 0, 0 },
		{ "not proto tcp", 0, 1, 1, 1, 0 },
		{ "!port 80", 0, 1, 1, 1, 0 },
		{ "proto tcp and port 80", 1, 0, 0, 0, 1 },
		{ "proto tcp && port 81", 0, 0, 0, 0, 0 },
		{ "proto tcp port 80", 1, 0, 0, 0, 1 },
		{ "proto icmp or proto udp", 0, 1, 1, 0, 0 },
		{ "proto icmp || port 80 and iface eth1", 0, 1, 0, 0, 1 },
		{ "(proto icmp or port 80) and iface eth1", 0, 0, 0, 0, 1 },
		{ "not (host 192.0.2.1 or vlan 10)", 0, 0, 1, 1, 0 },
		{ "NOT not proto udp", 0, 0, 1, 0, 0 },
		{ "((port 80))", 1, 0, 0, 0, 1 },
	};
	size_t i;

	tagged.flags |= FLOW_F_VLAN | FLOW_F_INNER_VLAN;
	tagged.vlan = 10;
	tagged.inner_vlan = 20;
	tl_begin("filter: every term, and/or/not, precedence, parentheses");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *e = cases[i].expr;

		CHECK(match(e, "eth0", &tcp) == cases[i].tcp, "'%s' tcp", e);
		CHECK(match(e, "eth0", &icmp) == cases[i].icmp, "'%s' icmp", e);
		CHECK(match(e, "eth0", &v6) == cases[i].v6, "'%s' v6", e);
		CHECK(match(e, "eth0", &arp) == cases[i].arp, "'%s' arp", e);
		CHECK(match(e, "eth1", &tagged) == cases[i].tagged,
		      "'%s' tagged", e);
	}
	CHECK(filter_match(NULL, "x", &tcp), "a NULL filter matches");
	tl_end();
}

/* The bounds: 64 levels of not and parentheses, 1024 nodes; within
 * them a filter parses and matches as it should. */
static void limits_ok(void)
{
	struct flow_key k = key4("192.0.2.1", "198.51.100.7", 6, 1234, 80, 0);
	char text[16384] = "";
	struct filter_error fe;
	struct filter *f;
	int i, err;

	for (i = 0; i < 63; i++)
		strcat(text, "(");
	strcat(text, "port 80");
	for (i = 0; i < 63; i++)
		strcat(text, ")");
	err = filter_parse(text, &f, &fe);
	CHECK(!err && filter_match(f, "x", &k), "63 parentheses: %s", fe.msg);
	filter_free(f);
	memmove(text + 1, text, strlen(text) + 1);
	text[0] = '(';
	strcat(text, ")");
	err = filter_parse(text, &f, &fe);
	CHECK(err == -EINVAL && strstr(fe.msg, "nested more than 64 deep") &&
	      fe.pos == 65, "64 parentheses: %d, %d '%s'", err, fe.pos,
	      fe.msg);
	text[0] = '\0';
	for (i = 0; i < 64; i++)
		strcat(text, "not ");
	strcat(text, "port 81");
	err = filter_parse(text, &f, &fe);
	CHECK(err == -EINVAL && strstr(fe.msg, "nested more than 64"),
	      "64 nots: '%s'", fe.msg);
	/* 512 terms and 511 ands: 1023 nodes; one term more is too many */
	text[0] = '\0';
	for (i = 0; i < 512; i++)
		strcat(text, i ? " and port 80" : "port 80");
	err = filter_parse(text, &f, &fe);
	CHECK(!err && filter_match(f, "x", &k), "512 terms: %s", fe.msg);
	filter_free(f);
	strcat(text, " port 80");
	err = filter_parse(text, &f, &fe);
	CHECK(err == -EINVAL && strstr(fe.msg, "more than 1024 terms"),
	      "513 terms: '%s'", fe.msg);
}

static void test_filter_errors(void)
{
	static const struct {
		const char *expr;
		int pos;
		const char *msg;
	} cases[] = {
		{ "hots 1.2.3.4", 1, "unknown term 'hots'" },
		{ "host", 5, "expected an address after 'host'" },
		{ "host 192.0.2.x", 6,
		  "'192.0.2.x' is not an IPv4 or IPv6 address" },
		{ "net 10.0.0.0/33", 14, "bad prefix length in '10.0.0.0/33'" },
		{ "net 10.0.0.0/", 14, "bad prefix length" },
		{ "net 2001:db8::/129", 16, "bad prefix length" },
		{ "net foo/8", 5, "'foo/8' is not an IPv4 or IPv6 network" },
		{ "port 65536", 6, "port '65536' is not a number 0-65535" },
		{ "port -1", 6, "port '-1' is not a number" },
		{ "port http", 6, "port 'http' is not a number" },
		{ "vlan 4096", 6, "vlan '4096' is not a number 0-4095" },
		{ "proto bogus", 7, "unknown protocol 'bogus'" },
		{ "proto 256", 7, "unknown protocol '256'" },
		{ "iface abcdefghijklmnop", 7,
		  "interface name 'abcdefghijklmnop' is too long" },
		{ "port 80 and", 12, "expression ends too early" },
		{ "port 80 or", 11, "expression ends too early" },
		{ "not", 4, "expression ends too early" },
		{ "(port 80", 9, "expected ')' to close the '(' at column 1" },
		{ "port 80)", 8, "unexpected ')'" },
		{ ")", 1, "unexpected ')'" },
		{ "port 80 & port 81", 9, "'&' must be doubled" },
		{ "port 80 | port 81", 9, "'|' must be doubled" },
		{ "and port 80", 1, "unexpected 'and'" },
		{ "port 80 or or port 1", 12, "unexpected 'or'" },
		{ "port (80)", 6, "expected a port number after 'port'" },
		{ "()", 2, "unexpected ')'" },
	};
	struct filter_error fe;
	struct filter *f;
	size_t i;
	int err;

	tl_begin("filter: malformed expressions name the column and the fault");
	limits_ok();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = filter_parse(cases[i].expr, &f, &fe);
		CHECK(err == -EINVAL && !f, "'%s' parsed", cases[i].expr);
		CHECK(fe.pos == cases[i].pos, "'%s': column %d, expected %d",
		      cases[i].expr, fe.pos, cases[i].pos);
		CHECK(strstr(fe.msg, cases[i].msg) != NULL,
		      "'%s': message '%s', expected '%s'", cases[i].expr,
		      fe.msg, cases[i].msg);
	}
	tl_end();
}

/* ---- formatters ---- */

static struct iface_rec test_ifaces[2];
static struct flow_rec test_flows[3];

static void build_snapshot(struct snapshot *s)
{
	struct iface_rec *a = &test_ifaces[0], *b = &test_ifaces[1];
	struct flow_key icmp = key4("192.0.2.1", "198.51.100.1", 1, 8, 0, 0);

	memset(test_ifaces, 0, sizeof(test_ifaces));
	memset(test_flows, 0, sizeof(test_flows));
	strcpy(a->meta.ifname, "veth0");
	a->meta.ifindex = 4;
	a->meta.ingress_hook = HOOK_XDP;
	a->meta.xdp_mode = XDP_KIND_NATIVE;
	a->meta.egress_hook = HOOK_TC;
	a->present = 1;
	a->up = 1;
	a->dir[0] = (struct dir_counts){ .packets = 20, .bytes = 2000,
		.untracked_packets = 1, .untracked_bytes = 60,
		.retired_packets = 2, .retired_bytes = 120 };
	a->dir[0].delta_packets = 10;
	a->dir[0].delta_bytes = 1000;
	a->dir[1] = (struct dir_counts){ .packets = 5, .bytes = 500 };
	strcpy(b->meta.ifname, "eth,1");
	strcpy(b->meta.netns, "blue");
	b->meta.ifindex = 7;
	b->meta.ingress_hook = HOOK_TC;
	b->present = 0;
	strcpy(b->match, "port 53 or vlan 7");
	/* the fields alone (watch's JSON has them, its CSV not) */
	b->dir[1].unmatched_packets = 4;
	b->dir[1].unmatched_bytes = 256;
	test_flows[0] = (struct flow_rec){
		.key = key4("192.0.2.1", "198.51.100.1", 6, 1000, 80, 0),
		.iface = 0, .packets = 12, .bytes = 1200, .delta_packets = 2,
		.delta_bytes = 200, .first_seen = 1700000000.25,
		.last_seen = 1700000001.5, .tcp_flags = 0x12,
		.ip_bytes = 1032, .delta_ip_bytes = 172,
	};
	test_flows[1] = (struct flow_rec){
		.key = key6("2001:db8::1", "2001:db8::2", 17, 5, 53),
		.iface = 0, .packets = 5, .bytes = 500,
		.first_seen = 1700000000, .last_seen = 1700000000,
	};
	test_flows[1].key.dir = 1;
	test_flows[1].key.flags |= FLOW_F_VLAN | FLOW_F_FRAGMENT;
	test_flows[1].key.vlan = 100;
	test_flows[2] = (struct flow_rec){
		.key = icmp, .iface = 0, .packets = 5, .bytes = 300,
		.delta_packets = 5, .delta_bytes = 300, .ip_bytes = 230,
		.delta_ip_bytes = 230,
		.first_seen = 1700000000.001, .last_seen = 1700000000.002,
	};
	memset(s, 0, sizeof(*s));
	s->time = 1700000002;
	s->interval = 2;
	s->ifaces = test_ifaces;
	s->n_ifaces = 2;
	s->flows = test_flows;
	s->n_flows = 3;
}

static char *capture(int (*fn)(FILE *, const struct snapshot *,
			       enum out_format, bool),
		     const struct snapshot *s, enum out_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(fn(f, s, fmt, true) == 0, "formatter failed");
	fclose(f);
	return buf;
}

static int dump_adapter(FILE *f, const struct snapshot *s,
			enum out_format fmt, bool header)
{
	(void)header;
	return format_dump(f, s, fmt);
}

static void check_text(const char *what, char *got, const char *want)
{
	CHECK(!strcmp(got, want), "%s:\n--- got\n%s--- want\n%s", what, got,
	      want);
	free(got);
}

static const char dump_json_want[] =
	"{\"time\":1700000002,\"interfaces\":[{\"ifname\":\"veth0\","
	"\"ifindex\":4,\"netns\":null,\"xdp_mode\":\"native\","
	"\"ingress_hook\":\"xdp\",\"egress_hook\":\"tc\","
	"\"ingress\":{\"packets\":20,\"bytes\":2000,\"untracked_packets\":1,"
	"\"untracked_bytes\":60,\"retired_packets\":2,"
	"\"retired_bytes\":120,\"sampled_out_packets\":0,"
	"\"sampled_out_bytes\":0,\"unmatched_packets\":0,\"unmatched_bytes\":0,\"ended_flows\":0,\"fast_hits\":0},"
	"\"egress\":{\"packets\":5,\"bytes\":500,\"untracked_packets\":0,"
	"\"untracked_bytes\":0,\"retired_packets\":0,\"retired_bytes\":0,"
	"\"sampled_out_packets\":0,\"sampled_out_bytes\":0,"
	"\"unmatched_packets\":0,\"unmatched_bytes\":0,"
	"\"ended_flows\":0,\"fast_hits\":0},\"present\":true,\"match\":null,\"up\":true,"
	"\"flow_entries\":0,\"sampling\":\"off\",\"sampling_rate\":1,"
	"\"kernel\":null},{\"ifname\":\"eth,1\",\"ifindex\":7,\"netns\":\"blue\","
	"\"xdp_mode\":null,\"ingress_hook\":\"tc\",\"egress_hook\":null,"
	"\"ingress\":{\"packets\":0,\"bytes\":0,\"untracked_packets\":0,"
	"\"untracked_bytes\":0,\"retired_packets\":0,\"retired_bytes\":0,"
	"\"sampled_out_packets\":0,\"sampled_out_bytes\":0,"
	"\"unmatched_packets\":0,\"unmatched_bytes\":0,"
	"\"ended_flows\":0,\"fast_hits\":0},\"egress\":{\"packets\":0,"
	"\"bytes\":0,\"untracked_packets\":0,\"untracked_bytes\":0,"
	"\"retired_packets\":0,\"retired_bytes\":0,"
	"\"sampled_out_packets\":0,\"sampled_out_bytes\":0,"
	"\"unmatched_packets\":4,\"unmatched_bytes\":256,"
	"\"ended_flows\":0,\"fast_hits\":0},\"present\":false,"
	"\"match\":\"port 53 or vlan 7\",\"up\":false,"
	"\"flow_entries\":0,\"sampling\":\"off\",\"sampling_rate\":1,"
	"\"kernel\":null}],\"flows\":[{\"ifname\":\"veth0\","
	"\"direction\":\"ingress\",\"ethertype\":2048,\"vlan\":null,"
	"\"inner_vlan\":null,\"proto\":6,\"src\":\"192.0.2.1\","
	"\"dst\":\"198.51.100.1\",\"sport\":1000,\"dport\":80,"
	"\"icmp_type\":null,\"icmp_code\":null,\"packets\":12,\"bytes\":1200,"
	"\"tcp_flags\":18,\"first_seen\":1700000000.25,"
	"\"last_seen\":1700000001.5,\"fragment\":false,\"truncated\":false,"
	"\"ip_bytes\":1032,\"sampling_rate\":1,\"est_packets\":12,"
	"\"est_bytes\":1200},{\"ifname\":\"veth0\",\"direction\":\"egress\","
	"\"ethertype\":34525,\"vlan\":100,\"inner_vlan\":null,\"proto\":17,"
	"\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\",\"sport\":5,"
	"\"dport\":53,\"icmp_type\":null,\"icmp_code\":null,\"packets\":5,"
	"\"bytes\":500,\"tcp_flags\":0,\"first_seen\":1700000000,"
	"\"last_seen\":1700000000,\"fragment\":true,\"truncated\":false,"
	"\"ip_bytes\":0,\"sampling_rate\":1,\"est_packets\":5,"
	"\"est_bytes\":500},{\"ifname\":\"veth0\",\"direction\":\"ingress\","
	"\"ethertype\":2048,\"vlan\":null,\"inner_vlan\":null,\"proto\":1,"
	"\"src\":\"192.0.2.1\",\"dst\":\"198.51.100.1\",\"sport\":null,"
	"\"dport\":null,\"icmp_type\":8,\"icmp_code\":0,\"packets\":5,"
	"\"bytes\":300,\"tcp_flags\":0,\"first_seen\":1700000000.001,"
	"\"last_seen\":1700000000.002,\"fragment\":false,"
	"\"truncated\":false,\"ip_bytes\":230,\"sampling_rate\":1,"
	"\"est_packets\":5,\"est_bytes\":300}]}\n";

static const char dump_csv_want[] =
	"ifname,ifindex,netns,xdp_mode,ingress_hook,egress_hook,"
	"direction,packets,bytes,untracked_packets,untracked_bytes,"
	"retired_packets,retired_bytes,present,sampled_out_packets,"
	"sampled_out_bytes,sampling,sampling_rate,unmatched_packets,"
	"unmatched_bytes\n"
	"veth0,4,,native,xdp,tc,ingress,20,2000,1,60,2,120,true,0,0,off,1,0,0\n"
	"veth0,4,,native,xdp,tc,egress,5,500,0,0,0,0,true,0,0,off,1,0,0\n"
	"\"eth,1\",7,blue,,tc,,ingress,0,0,0,0,0,0,false,0,0,off,1,0,0\n"
	"\"eth,1\",7,blue,,tc,,egress,0,0,0,0,0,0,false,0,0,off,1,4,256\n"
	"\n"
	"ifname,direction,ethertype,vlan,inner_vlan,proto,src,dst,"
	"sport,dport,icmp_type,icmp_code,packets,bytes,tcp_flags,"
	"first_seen,last_seen,fragment,truncated,ip_bytes,"
	"sampling_rate,est_packets,est_bytes\n"
	"veth0,ingress,2048,,,6,192.0.2.1,198.51.100.1,1000,80,,,12,"
	"1200,18,1700000000.250,1700000001.500,false,false,1032,1,12,1200\n"
	"veth0,egress,34525,100,,17,2001:db8::1,2001:db8::2,5,53,,,5,"
	"500,0,1700000000.000,1700000000.000,true,false,0,1,5,500\n"
	"veth0,ingress,2048,,,1,192.0.2.1,198.51.100.1,,,8,0,5,300,0,"
	"1700000000.001,1700000000.002,false,false,230,1,5,300\n";

static const char dump_text_want[] =
	"veth0  ifindex 4  netns -  in xdp (native), out tc\n"
	"  ingress  20 packets 2000 bytes  untracked 1/60  retired 2/120\n"
	"  egress   5 packets 500 bytes  untracked 0/0  retired 0/0\n"
	"eth,1  ifindex 7  netns blue  in tc, out -  (gone)\n"
	"  match    port 53 or vlan 7\n"
	"  ingress  0 packets 0 bytes  untracked 0/0  unmatched 0/0  "
	"retired 0/0\n"
	"  egress   0 packets 0 bytes  untracked 0/0  unmatched 4/256  "
	"retired 0/0\n"
	"\n"
	"IFACE DIR PROTO       SOURCE          DESTINATION      VLAN      "
	"     PACKETS           BYTES FLAGS\n"
	"veth0 in  tcp         192.0.2.1:1000  198.51.100.1:80  -         "
	"          12            1200 .S..A...\n"
	"veth0 out udp         [2001:db8::1]:5 [2001:db8::2]:53 100       "
	"           5             500 frag\n"
	"veth0 in  icmp 8/0    192.0.2.1       198.51.100.1     -         "
	"           5             300\n";

static void test_format_dump(void)
{
	struct snapshot s;

	build_snapshot(&s);
	tl_begin("format: dump JSON, CSV and text, exact bytes");
	check_text("json", capture(dump_adapter, &s, OUT_JSON),
		   dump_json_want);
	check_text("csv", capture(dump_adapter, &s, OUT_CSV),
		   dump_csv_want);
	check_text("text", capture(dump_adapter, &s, OUT_TEXT),
		   dump_text_want);
	tl_end();
}

static const char watch_json_want[] =
	"{\"time\":1700000002,\"interval\":2,"
	"\"interfaces\":[{\"ifname\":\"veth0\",\"ifindex\":4,\"netns\":null,"
	"\"present\":true,\"sampling\":\"off\",\"sampling_rate\":1,"
	"\"ingress\":{\"packets\":20,\"bytes\":2000,\"delta_packets\":10,"
	"\"delta_bytes\":1000,\"pps\":5,\"bps\":4000,"
	"\"untracked_packets\":1,\"untracked_bytes\":60,"
	"\"retired_packets\":2,\"retired_bytes\":120,"
	"\"sampled_out_packets\":0,\"sampled_out_bytes\":0,"
	"\"unmatched_packets\":0,\"unmatched_bytes\":0},"
	"\"egress\":{\"packets\":5,\"bytes\":500,\"delta_packets\":0,"
	"\"delta_bytes\":0,\"pps\":0,\"bps\":0,"
	"\"untracked_packets\":0,\"untracked_bytes\":0,"
	"\"retired_packets\":0,\"retired_bytes\":0,"
	"\"sampled_out_packets\":0,\"sampled_out_bytes\":0,"
	"\"unmatched_packets\":0,\"unmatched_bytes\":0}},"
	"{\"ifname\":\"eth,1\","
	"\"ifindex\":7,\"netns\":\"blue\",\"present\":false,\"sampling\":\"off\","
	"\"sampling_rate\":1,\"ingress\":{\"packets\":0,\"bytes\":0,"
	"\"delta_packets\":0,\"delta_bytes\":0,\"pps\":0,\"bps\":0,"
	"\"untracked_packets\":0,\"untracked_bytes\":0,"
	"\"retired_packets\":0,\"retired_bytes\":0,"
	"\"sampled_out_packets\":0,\"sampled_out_bytes\":0,"
	"\"unmatched_packets\":0,\"unmatched_bytes\":0},"
	"\"egress\":{\"packets\":0,\"bytes\":0,\"delta_packets\":0,"
	"\"delta_bytes\":0,\"pps\":0,\"bps\":0,"
	"\"untracked_packets\":0,\"untracked_bytes\":0,"
	"\"retired_packets\":0,\"retired_bytes\":0,"
	"\"sampled_out_packets\":0,\"sampled_out_bytes\":0,"
	"\"unmatched_packets\":4,\"unmatched_bytes\":256}}],"
	"\"flows\":[{\"ifname\":\"veth0\",\"direction\":\"ingress\","
	"\"ethertype\":2048,\"vlan\":null,\"inner_vlan\":null,\"proto\":6,"
	"\"src\":\"192.0.2.1\",\"dst\":\"198.51.100.1\",\"sport\":1000,"
	"\"dport\":80,\"icmp_type\":null,\"icmp_code\":null,\"packets\":12,"
	"\"bytes\":1200,\"delta_packets\":2,\"delta_bytes\":200,\"pps\":1,"
	"\"bps\":800,\"ended\":false,\"ip_bytes\":1032,"
	"\"delta_ip_bytes\":172,\"sampling_rate\":1,\"est_packets\":12,"
	"\"est_bytes\":1200,\"est_delta_packets\":2,"
	"\"est_delta_bytes\":200},{\"ifname\":\"veth0\","
	"\"direction\":\"ingress\",\"ethertype\":2048,\"vlan\":null,"
	"\"inner_vlan\":null,\"proto\":1,\"src\":\"192.0.2.1\","
	"\"dst\":\"198.51.100.1\",\"sport\":null,\"dport\":null,"
	"\"icmp_type\":8,\"icmp_code\":0,\"packets\":5,\"bytes\":300,"
	"\"delta_packets\":5,\"delta_bytes\":300,\"pps\":2.5,\"bps\":1200,"
	"\"ended\":true,\"ip_bytes\":230,\"delta_ip_bytes\":230,"
	"\"sampling_rate\":1,\"est_packets\":5,\"est_bytes\":300,"
	"\"est_delta_packets\":5,\"est_delta_bytes\":300}]}\n";

static const char watch_csv_want[] =
	"time,record,ifname,direction,ethertype,vlan,inner_vlan,"
	"proto,src,dst,sport,dport,icmp_type,icmp_code,packets,bytes,"
	"delta_packets,delta_bytes,pps,bps,ended,ip_bytes,"
	"delta_ip_bytes,sampling_rate,est_packets,est_bytes,"
	"est_delta_packets,est_delta_bytes\n"
	"1700000002.000,interface,veth0,ingress,,,,,,,,,,,20,2000,10,"
	"1000,5.000,4000.000,false,,,1,,,,\n"
	"1700000002.000,interface,veth0,egress,,,,,,,,,,,5,500,0,0,"
	"0.000,0.000,false,,,1,,,,\n"
	"1700000002.000,interface,\"eth,1\",ingress,,,,,,,,,,,0,0,0,0,"
	"0.000,0.000,false,,,1,,,,\n"
	"1700000002.000,interface,\"eth,1\",egress,,,,,,,,,,,0,0,0,0,"
	"0.000,0.000,false,,,1,,,,\n"
	"1700000002.000,flow,veth0,ingress,2048,,,6,192.0.2.1,"
	"198.51.100.1,1000,80,,,12,1200,2,200,1.000,800.000,false,"
	"1032,172,1,12,1200,2,200\n"
	"1700000002.000,flow,veth0,ingress,2048,,,1,192.0.2.1,"
	"198.51.100.1,,,8,0,5,300,5,300,2.500,1200.000,true,230,230,"
	"1,5,300,5,300\n";

static void test_format_watch(void)
{
	struct snapshot s;

	build_snapshot(&s);
	test_flows[2].ended = 1;
	tl_begin("format: watch JSON and CSV, exact bytes; moving flows only");
	check_text("json", capture(format_watch, &s, OUT_JSON),
		   watch_json_want);
	check_text("csv", capture(format_watch, &s, OUT_CSV),
		   watch_csv_want);
	tl_end();
}

/* A sampled flow: raw counts stay, estimates beside them, marked ~. */
static void test_format_sampled(void)
{
	struct snapshot s;
	char *text, *json;

	build_snapshot(&s);
	test_flows[0].sample_rate = 10;
	test_flows[0].est_packets = 120;
	test_flows[0].est_bytes = 12000;
	s.ifaces[0].meta.sampling = SAMPLING_FIXED;
	s.ifaces[0].sample_rate = 10;
	s.ifaces[0].dir[0].sampled_out_packets = 7;
	tl_begin("format: a sampled flow: raw packets and bytes, estimates "
		 "beside them in JSON, ~ in text; the rate said");
	text = capture(dump_adapter, &s, OUT_TEXT);
	json = capture(dump_adapter, &s, OUT_JSON);
	CHECK(strstr(text, " ~120 ") && strstr(text, " ~12000 "),
	      "text:\n%s", text);
	CHECK(strstr(text, "sampled out 7/0") &&
	      strstr(text, "sampling fixed, 1:10 now"), "text:\n%s", text);
	CHECK(strstr(json, "\"packets\":12,\"bytes\":1200,") &&
	      strstr(json, "\"sampling_rate\":10,\"est_packets\":120,"
			   "\"est_bytes\":12000}") &&
	      strstr(json, "\"sampled_out_packets\":7,") &&
	      strstr(json, "\"sampling\":\"fixed\",\"sampling_rate\":10"),
	      "json:\n%s", json);
	free(text);
	free(json);
	test_flows[0].sample_rate = 0;
	test_flows[0].est_packets = test_flows[0].est_bytes = 0;
	tl_end();
}

static void test_text_helpers(void)
{
	struct flow_key k = key6("2001:db8::1", "2001:db8::2", 6, 443, 1);
	struct flow_key nonip = { .ethertype = 0x88b5 };
	char buf[64];

	tl_begin("format: helpers (endpoints, flags, counts, protocols)");
	CHECK(!strcmp(endpoint_text(&k, false, buf, sizeof(buf)),
		      "[2001:db8::1]:443"), "%s", buf);
	CHECK(!strcmp(endpoint_text(&nonip, true, buf, sizeof(buf)), "-"),
	      "%s", buf);
	CHECK(!addr_text(&nonip, false, buf, sizeof(buf)), "non-IP address");
	CHECK(!strcmp(tcp_flags_text(0xff, buf), "FSRPAUEC"), "%s", buf);
	CHECK(!strcmp(tcp_flags_text(0x11, buf), "F...A..."), "%s", buf);
	CHECK(!strcmp(tcp_flags_text(0, buf), ""), "%s", buf);
	CHECK(!strcmp(count_text(999, buf, sizeof(buf)), "999"), "%s", buf);
	CHECK(!strcmp(count_text(1234, buf, sizeof(buf)), "1.2k"), "%s", buf);
	CHECK(!strcmp(count_text(45678901, buf, sizeof(buf)), "46M"), "%s",
	      buf);
	CHECK(!strcmp(ethertype_text(0x88b5, buf, sizeof(buf)), "0x88b5"),
	      "%s", buf);
	CHECK(!strcmp(proto_text(&k, buf, sizeof(buf)), "tcp"), "%s", buf);
	k.proto = 200;
	CHECK(!strcmp(proto_text(&k, buf, sizeof(buf)), "200"), "%s", buf);
	CHECK(!strcmp(proto_text(&nonip, buf, sizeof(buf)), "-"), "%s", buf);
	CHECK(proto_from_name("udp") == 17 && proto_from_name("x") == -1,
	      "proto_from_name");
	tl_end();
}

/* ---- the collector over stores in memory ---- */

struct mstore {
	void *mem;
	size_t size;
	struct store st;
};

static int mstore_open(struct mstore *m, __u32 max_flows)
{
	m->size = store_bytes(max_flows);
	m->mem = calloc(1, m->size);
	if (!m->mem || store_format(m->mem, m->size, max_flows) ||
	    store_bind(&m->st, m->mem, m->size))
		return -1;
	return 0;
}

/* One fold's worth of counts for a store. */
struct mfold {
	int n;
	struct flow_key keys[8];
	struct store_flow flows[8];
	__u64 untracked_packets, untracked_bytes;	/* direction 0 */
	__u64 cutoff;		/* end flows seen at or before; 0 none */
};

static void mfold_add(struct mfold *f, const struct flow_key *k,
		      __u64 packets, __u64 bytes, __u64 first, __u64 last,
		      __u8 flags)
{
	f->keys[f->n] = *k;
	f->flows[f->n] = (struct store_flow){ .packets = packets,
		.bytes = bytes, .first_seen = first, .last_seen = last,
		.tcp_flags = flags };
	f->n++;
}

/* Fold f into the store as a folder would: flows and totals together. */
static void mfold_apply(struct mstore *m, struct mfold *f)
{
	/* a reader that reads after every fold: ended flows free one later */
	__u64 s = store_begin(&m->st, m->st.hdr->committed);
	struct store_hver *hw = store_hwrite(&m->st, s);
	int i;

	for (i = 0; i < f->n; i++) {
		hw->dir[f->keys[i].dir].packets += f->flows[i].packets;
		hw->dir[f->keys[i].dir].bytes += f->flows[i].bytes;
		store_add(&m->st, s, &f->keys[i], &f->flows[i]);
	}
	hw->dir[0].packets += f->untracked_packets;
	hw->dir[0].bytes += f->untracked_bytes;
	hw->dir[0].untracked_packets += f->untracked_packets;
	hw->dir[0].untracked_bytes += f->untracked_bytes;
	if (f->cutoff)
		store_end(&m->st, s, f->cutoff, END_IDLE, NULL, NULL);
	store_reclaim(&m->st, s);
	store_commit(&m->st, s);
	memset(f, 0, sizeof(*f));
}

static const struct flow_rec *find_rec(const struct snapshot *s, int iface,
				       const struct flow_key *k)
{
	size_t i;

	for (i = 0; i < s->n_flows; i++)
		if (s->flows[i].iface == iface &&
		    !memcmp(&s->flows[i].key, k, sizeof(*k)))
			return &s->flows[i];
	return NULL;
}

static struct collector *store_collector(struct mstore *m, int n)
{
	struct flowstat_meta metas[2] = { 0 };
	struct store *stores[2] = { &m[0].st, n > 1 ? &m[1].st : NULL };
	struct collector *c = NULL;

	strcpy(metas[0].ifname, "a0");
	strcpy(metas[1].ifname, "a1");
	CHECK(collector_new_stores(metas, stores, n, &c) == 0, "collector");
	return c;
}

#define S(x) ((__u64)((x) * 1000000000.0))

/*
 * The invariant, from the snapshot's flows. The counts come from the
 * data plane, the flows from the store: a fixture cannot make them
 * agree by construction.
 */
/*
 * The totals invariant, against what the test itself sent (not against
 * the fixture's sums): interface 0's ingress hook total reads as
 * packets/bytes, and its live flows plus untracked plus retired come to
 * the same; every other interface and direction is empty.
 */
static void check_invariant(const struct snapshot *s, __u64 packets,
			    __u64 bytes)
{
	int i, d;
	size_t f;

	for (i = 0; i < s->n_ifaces; i++)
		for (d = 0; d < FLOW_DIR_MAX; d++) {
			const struct dir_counts *dc = &s->ifaces[i].dir[d];
			__u64 pk = dc->untracked_packets +
				    dc->unmatched_packets +
				    dc->sampled_out_packets + dc->retired_packets;
			__u64 by = dc->untracked_bytes + dc->unmatched_bytes +
				    dc->sampled_out_bytes + dc->retired_bytes;
			__u64 want_pk = !i && !d ? packets : 0;
			__u64 want_by = !i && !d ? bytes : 0;

			for (f = 0; f < s->n_flows; f++)
				if (s->flows[f].iface == i &&
				    s->flows[f].key.dir == d &&
				    !s->flows[f].ended) {
					pk += s->flows[f].packets;
					by += s->flows[f].bytes;
				}
			CHECK_EQ(dc->packets, want_pk);
			CHECK_EQ(dc->bytes, want_by);
			CHECK_EQ(pk, want_pk);
			CHECK_EQ(by, want_by);
		}
}

static struct snapshot *read_at(struct collector *c, double t)
{
	struct snapshot *s = NULL;

	CHECK(collector_read(c, S(t), 1000 + t, &s) == 0, "read");
	return s;
}

static void test_collect_store(void)
{
	struct flow_key a = key4("192.0.2.1", "192.0.2.2", 6, 1, 2, 0);
	struct flow_key b = key4("192.0.2.3", "192.0.2.4", 17, 3, 4, 0);
	struct mstore m[2] = { 0 };
	struct mfold f = { 0 };
	struct collector *c;
	struct snapshot *s;
	const struct flow_rec *r;

	tl_begin("collector: flows and counts of two stores, times, flags");
	if (mstore_open(&m[0], 64) || mstore_open(&m[1], 64)) {
		CHECK(0, "stores");
		tl_end();
		return;
	}
	/* A in two parts (hash and a cache slot), B once */
	mfold_add(&f, &a, 5, 500, S(1), S(2.5), 0x02);
	mfold_add(&f, &a, 4, 400, 0, S(4), 0x11);
	mfold_add(&f, &b, 2, 150, S(3), S(5), 0);
	f.untracked_packets = 3;
	f.untracked_bytes = 180;
	mfold_apply(&m[0], &f);
	c = store_collector(m, 2);
	s = read_at(c, 10);
	CHECK_EQ(s->n_flows, 2);
	r = find_rec(s, 0, &a);
	CHECK(r != NULL, "flow A");
	if (r) {
		CHECK_EQ(r->packets, 9);
		CHECK_EQ(r->bytes, 900);
		CHECK_EQ(r->tcp_flags, 0x13);
		CHECK(fabs(r->first_seen - 1001) < 1e-6, "first %f",
		      r->first_seen);
		CHECK(fabs(r->last_seen - 1004) < 1e-6, "last %f",
		      r->last_seen);
		CHECK_EQ(r->delta_packets, 0);
	}
	r = find_rec(s, 0, &b);
	CHECK(r && r->packets == 2 && r->bytes == 150, "flow B");
	CHECK_EQ(s->ifaces[0].flow_entries, 2);
	CHECK_EQ(s->ifaces[0].dir[0].untracked_packets, 3);
	CHECK_EQ(s->ifaces[0].dir[0].packets, 14);
	CHECK(!strcmp(iface_rec_name(&s->ifaces[1]), "a1"), "iface meta");
	check_invariant(s, 9 + 2 + 3, 900 + 150 + 180);
	snapshot_free(s);
	collector_free(c);
	free(m[0].mem);
	free(m[1].mem);
	tl_end();
}

static void test_collect_deltas(void)
{
	struct flow_key a = key4("192.0.2.1", "192.0.2.2", 6, 1, 2, 0);
	struct flow_key b = key4("192.0.2.3", "192.0.2.4", 17, 3, 4, 0);
	struct mstore m = { 0 };
	struct mfold f = { 0 };
	struct collector *c;
	struct snapshot *s;
	const struct flow_rec *r;

	tl_begin("collector: exact deltas; an ended flow shows once with its "
		 "last delta; a flow that comes back is new");
	if (mstore_open(&m, 64)) {
		CHECK(0, "store");
		tl_end();
		return;
	}
	mfold_add(&f, &a, 9, 900, S(1), S(1), 0);
	mfold_add(&f, &b, 2, 200, S(1), S(1), 0);
	mfold_apply(&m, &f);
	c = store_collector(&m, 1);
	snapshot_free(read_at(c, 10));
	mfold_add(&f, &a, 3, 300, S(10.5), S(10.5), 0);
	mfold_apply(&m, &f);
	s = read_at(c, 11);
	r = find_rec(s, 0, &a);
	CHECK(r && r->packets == 12 && r->delta_packets == 3 &&
	      r->delta_bytes == 300, "A 12 (+3)");
	CHECK(s->interval == 1, "interval %f", s->interval);
	CHECK_EQ(s->ifaces[0].dir[0].delta_packets, 3);
	snapshot_free(s);
	/* B gets 1 more, then ends (aged) in the same fold */
	mfold_add(&f, &b, 1, 100, S(2), S(2), 0);
	f.cutoff = S(5);
	mfold_apply(&m, &f);
	s = read_at(c, 12);
	r = find_rec(s, 0, &b);
	CHECK(r && r->ended && r->end_reason == END_IDLE &&
	      r->packets == 3 && r->delta_packets == 1,
	      "B ended with its last delta");
	CHECK_EQ(s->ifaces[0].dir[0].retired_packets, 3);
	CHECK_EQ(s->ifaces[0].flow_entries, 1);
	check_invariant(s, 9 + 2 + 3 + 1, 900 + 200 + 300 + 100);
	snapshot_free(s);
	s = read_at(c, 13);
	CHECK(s->n_flows == 1 && !find_rec(s, 0, &b), "B gone");
	snapshot_free(s);
	/* B back: a new flow, its whole count is the delta */
	mfold_add(&f, &b, 1, 60, S(13.5), S(13.5), 0);
	mfold_apply(&m, &f);
	s = read_at(c, 14);
	r = find_rec(s, 0, &b);
	CHECK(r && r->packets == 1 && r->bytes == 60 && r->delta_packets == 1 &&
	      !r->ended, "B back");
	check_invariant(s, 9 + 2 + 3 + 1 + 1, 900 + 200 + 300 + 100 + 60);
	snapshot_free(s);
	collector_free(c);
	free(m.mem);
	tl_end();
}

static void test_collect_rates(void)
{
	struct flow_key a = key4("192.0.2.1", "192.0.2.2", 6, 1, 2, 0);
	struct collector *c = NULL;
	struct snapshot *s = NULL;
	struct mstore m = { 0 };
	struct mfold f = { 0 };
	const struct flow_rec *r;
	int t;

	tl_begin("collector: rates over the 2 s, 10 s and 40 s windows");
	if (mstore_open(&m, 64)) {
		CHECK(0, "store");
		tl_end();
		return;
	}
	mfold_add(&f, &a, 1, 60, S(1), S(1), 0);
	mfold_apply(&m, &f);
	c = store_collector(&m, 1);
	/* 100 packets / 10,000 bytes a second for 60 s, then silence */
	for (t = 0; t <= 70; t++) {
		if (t > 0 && t <= 60) {
			mfold_add(&f, &a, 100, 10000, S(1), S(1 + t), 0);
			mfold_apply(&m, &f);
		}
		snapshot_free(s);
		CHECK(collector_read(c, S(100 + t), 2000 + t, &s) == 0,
		      "read");
		r = &s->flows[0];
		if (t == 0)
			CHECK(r->pps[0] == 0 && r->pps[2] == 0, "no rate yet");
		if (t == 3 || t == 50 || t == 60)
			CHECK(fabs(r->pps[RATE_2S] - 100) < 1e-9 &&
			      fabs(r->pps[RATE_10S] - 100) < 1e-9 &&
			      fabs(r->pps[RATE_40S] - 100) < 1e-9 &&
			      fabs(r->bps[RATE_2S] - 80000) < 1e-6 &&
			      fabs(s->ifaces[0].pps[0][RATE_40S] - 100) < 1e-9,
			      "t=%d pps %f %f %f bps %f", t, r->pps[0],
			      r->pps[1], r->pps[2], r->bps[0]);
		if (t == 62)
			CHECK(r->pps[RATE_2S] == 0 && r->pps[RATE_10S] > 0 &&
			      r->pps[RATE_10S] < 100 && r->pps[RATE_40S] > 80,
			      "t=62 pps %f %f %f", r->pps[0], r->pps[1],
			      r->pps[2]);
		if (t == 70)
			CHECK(r->pps[RATE_10S] == 0 && r->pps[RATE_40S] > 0,
			      "t=70 pps %f %f %f", r->pps[0], r->pps[1],
			      r->pps[2]);
	}
	snapshot_free(s);
	collector_free(c);
	free(m.mem);
	tl_end();
}

static void test_snapshot_helpers(void)
{
	struct snapshot s;
	struct filter_error fe;
	struct filter *f;

	build_snapshot(&s);
	tl_begin("snapshot: sort, filter, top");
	snapshot_sort(&s, SORT_BYTES);
	CHECK(s.flows[0].bytes == 1200 && s.flows[1].bytes == 500 &&
	      s.flows[2].bytes == 300, "by bytes");
	snapshot_sort(&s, SORT_DELTA_PACKETS);
	CHECK(s.flows[0].delta_packets == 5, "by delta packets");
	snapshot_sort(&s, SORT_FIRST);
	CHECK(s.flows[0].first_seen == 1700000000 &&
	      s.flows[2].first_seen == 1700000000.25, "by first seen");
	CHECK(sort_field_from_name("bytes") == SORT_BYTES &&
	      sort_field_from_name("nope") == -1, "names");
	CHECK(filter_parse("proto tcp or proto icmp", &f, &fe) == 0, "parse");
	snapshot_filter(&s, f);
	filter_free(f);
	CHECK_EQ(s.n_flows, 2);
	snapshot_sort(&s, SORT_PACKETS);
	snapshot_truncate(&s, 1);
	CHECK(s.n_flows == 1 && s.flows[0].packets == 12, "top 1");
	tl_end();
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A read of a store of n flows: every one exact; the time printed. */
static void test_collect_cost(__u32 n)
{
	struct collector *c = NULL;
	struct snapshot *s = NULL;
	struct mstore m = { 0 };
	__u64 seq, sum;
	double t0, best = 1e9;
	__u32 i;
	size_t j;
	int scan;

	tl_begin("collector: a store of %u flows, read and summed", n);
	if (mstore_open(&m, n)) {
		CHECK(0, "store");
		tl_end();
		return;
	}
	seq = store_begin(&m.st, ~0ULL);
	for (i = 0; i < n; i++) {
		struct flow_key k = key4("192.0.2.1", "198.51.100.1", 6,
					 i & 0xffff, 80 + (i >> 16), 0);
		struct store_flow fl = { .packets = i + 1, .bytes = 100,
					 .first_seen = S(1),
					 .last_seen = S(1) };

		store_add(&m.st, seq, &k, &fl);
	}
	store_commit(&m.st, seq);
	c = store_collector(&m, 1);
	for (scan = 0; scan < 5; scan++) {
		t0 = now_sec();
		CHECK(collector_read(c, S(10 + scan), 10 + scan, &s) == 0,
		      "read");
		t0 = now_sec() - t0;
		best = t0 < best ? t0 : best;
		CHECK_EQ(s->n_flows, n);
		for (j = 0, sum = 0; j < s->n_flows; j++)
			sum += s->flows[j].packets;
		CHECK_EQ(sum, (__u64)n * (n + 1) / 2);
		snapshot_free(s);
	}
	printf("# %u flows: %.2f ms per read (%.0f ns per flow)\n", n,
	       best * 1e3, best * 1e9 / n);
	collector_free(c);
	free(m.mem);
	tl_end();
}

/* The packets of every LIVE record. */
static __u64 live_packets(const struct store *st)
{
	__u64 sum = 0;
	__u32 r;

	for (r = 0; r < st->hdr->n_records; r++)
		if (store_valid(st, r)->state == REC_LIVE)
			sum += store_valid(st, r)->packets;
	return sum;
}

/*
 * A real epoch handed over: n flows in the current epoch's hash, some
 * with pending counts in cache slots and on two CPUs, totals of the
 * current generation beside older ones; one fold puts exactly that in
 * the store, reading in chunks whatever the size.
 */
static void test_fold_real(__u32 n)
{
	int ncpus = libbpf_num_possible_cpus(), e, cpu;
	struct flow_value *v = calloc(ncpus, sizeof(*v));
	struct flow_totals *t = calloc(ncpus, sizeof(*t));
	struct flow_slot *sl = calloc(ncpus, sizeof(*sl));
	char lock_dir[] = "/tmp/flowstat-ut-XXXXXX";
	struct dataplane dp;
	struct instance in;
	__u64 gen, want = 0, got = 0;
	double t0;
	__u32 j, d;

	tl_begin("fold: %u flows of a real epoch, hash, cache and totals, "
		 "exact", n);
	if (!v || !t || !sl || !mkdtemp(lock_dir) ||
	    dp_open(&dp, true, false, n, 64) || dp_load_xdp(&dp, false) ||
	    dp_make_store(&dp) || dp_instance(&dp, lock_dir, &in)) {
		tl_skip("cannot load the data plane (root?)");
		goto out;
	}
	gen = in.ctl->gen;
	e = gen & 1;
	for (j = 0; j < n; j++) {
		struct flow_key k = key4("192.0.2.1", "198.51.100.1", 17,
					 j & 0xffff, j >> 16, 0);

		memset(v, 0, ncpus * sizeof(*v));
		v[0].packets = 1;
		v[ncpus - 1].packets += j;
		v[0].last_seen = S(1);
		want += j + 1;
		CHECK(!bpf_map_update_elem(in.flows_fd[e], &k, v, 0),
		      "update %u", j);
		if (j < 64) {	/* pending in slot j, on the last CPU */
			memset(sl, 0, ncpus * sizeof(*sl));
			sl[ncpus - 1] = (struct flow_slot){ .key = k,
				.tag = 1, .packets = 2, .gen = gen };
			sl[0] = (struct flow_slot){ .key = k, .tag = 1,
				.packets = 5, .gen = gen - 2 };	/* folded */
			want += 2;
			CHECK(!bpf_map_update_elem(in.cache_fd[e], &j, sl, 0),
			      "slot %u", j);
		}
	}
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		memset(t, 0, ncpus * sizeof(*t));
		for (cpu = 0; cpu < ncpus; cpu++) {
			t[cpu].gen = cpu ? gen : gen - 2;
			t[cpu].packets = d ? 0 : want + 7;
		}
		CHECK(!bpf_map_update_elem(in.totals_fd[e], &d, t, 0),
		      "totals");
	}
	t0 = now_sec();
	CHECK(!fold_instance(&in, NULL, NULL), "fold");
	t0 = now_sec() - t0;
	got = live_packets(&in.st);
	CHECK_EQ(got, want);
	CHECK_EQ(store_head(&in.st)->live, n);
	/* one CPU of totals was of an older generation */
	CHECK_EQ(store_head(&in.st)->dir[0].packets,
		 ncpus > 1 ? want + 7 : 0);
	CHECK(bpf_map_get_next_key(in.flows_fd[e], NULL, &(struct flow_key){})
	      && errno == ENOENT, "the handed-over hash is empty again");
	printf("# %u flows, %d CPUs: fold %.1f ms, buffers %zu bytes\n", n,
	       ncpus, t0 * 1e3, fold_buffer_bytes(ncpus));
	instance_close(&in);
	dp_close(&dp);
	tl_end();
out:
	rmdir(lock_dir);
	free(v);
	free(t);
	free(sl);
}

/*
 * The journal under crashes: a folder reading a real epoch in chunks of
 * 64 flows (read and deleted in one system call, committed chunk by
 * chunk) is killed at one of its store writes, over and over at points
 * spread through the fold; the next fold must finish it with every
 * packet counted exactly once and the handed-over hash empty.
 */
static void test_fold_crash(void)
{
	const __u32 n = 1000;
	int ncpus = libbpf_num_possible_cpus(), status, crashes = 0;
	struct flow_value *v = calloc(ncpus, sizeof(*v));
	char lock_dir[] = "/tmp/flowstat-ut-XXXXXX";
	__u64 want = 0, got, gen;
	unsigned long point;
	struct dataplane dp;
	struct instance in;
	__u32 j;
	pid_t pid;

	tl_begin("fold: a folder killed at points of a chunked read; the "
		 "next fold is exact");
	if (!v || !mkdtemp(lock_dir) ||
	    dp_open(&dp, true, false, n, 64) || dp_load_xdp(&dp, false) ||
	    dp_make_store(&dp) || dp_instance(&dp, lock_dir, &in)) {
		tl_skip("cannot load the data plane (root?)");
		goto out;
	}
	fold_journal_rows = 64;
	for (point = 1; point < 2400; point += 37) {
		gen = in.ctl->gen;
		for (j = 0; j < n; j++) {
			struct flow_key k = key4("192.0.2.1", "198.51.100.1",
						 17, (__u16)j, 7, 0);

			memset(v, 0, ncpus * sizeof(*v));
			v[0].packets = 1;
			v[ncpus - 1].packets += j % 3;
			v[0].last_seen = S(1);
			want += 1 + j % 3;
			CHECK(!bpf_map_update_elem(in.flows_fd[gen & 1], &k, v,
						   0), "update %u", j);
		}
		fflush(NULL);
		pid = fork();
		if (!pid) {
			store_crash_countdown = point;
			_exit(fold_instance(&in, NULL, NULL) ? 1 : 0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			CHECK(0, "fork");
			break;
		}
		crashes += WIFEXITED(status) && WEXITSTATUS(status) == 99;
		CHECK(!fold_instance(&in, NULL, NULL), "recovery fold");
		got = live_packets(&in.st);
		CHECK(got == want, "killed at write %lu: %llu packets, want "
		      "%llu", point, (unsigned long long)got,
		      (unsigned long long)want);
		CHECK(bpf_map_get_next_key(in.flows_fd[gen & 1], NULL,
					   &(struct flow_key){}) &&
		      errno == ENOENT, "killed at write %lu: hash not empty",
		      point);
	}
	printf("# %d folders killed\n", crashes);
	CHECK(crashes > 40, "only %d folders killed", crashes);
	fold_journal_rows = 0;
	instance_close(&in);
	dp_close(&dp);
	tl_end();
out:
	rmdir(lock_dir);
	free(v);
}

int main(void)
{
	test_filter_match();
	test_filter_errors();
	test_format_dump();
	test_format_watch();
	test_format_sampled();
	test_text_helpers();
	test_collect_store();
	test_collect_deltas();
	test_collect_rates();
	test_snapshot_helpers();
	test_collect_cost(10000);
	test_collect_cost(100000);
	test_fold_real(10000);
	test_fold_real(100000);
	test_fold_crash();
	return tl_exit();
}
