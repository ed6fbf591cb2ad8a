// SPDX-License-Identifier: GPL-2.0
/*
 * Printers of a gen_result: a table for people, JSON for tests. Both show
 * every distinct flow (as spec_nth_flow made it), the totals, and how
 * many frames the peer's ring dropped and flowgen sent again.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "report.h"

struct totals {
	__u64 packets;
	__u64 bytes;
	__u64 ip_bytes;		/* IP packets': no L2 header, no padding */
	double pps;
};

static void sum_totals(const struct gen_result *res, struct totals *t)
{
	size_t i;
	__u32 k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < res->nr_specs; i++) {
		for (k = 0; k < res->specs[i].flows; k++) {
			t->packets += res->sent[i][k];
			t->bytes += res->sent[i][k] * res->specs[i].size;
			t->ip_bytes += res->sent[i][k] * res->specs[i].iplen;
		}
	}
	t->pps = res->seconds > 0 ? t->packets / res->seconds : 0;
}

static void fmt_addr(const struct flow_spec *f, const __u8 *addr, char *buf)
{
	inet_ntop(f->family == 4 ? AF_INET : AF_INET6, addr, buf,
		  INET6_ADDRSTRLEN);
}

static void fmt_mac(const __u8 *mac, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		mac[3], mac[4], mac[5]);
}

/* One line that says what a flow is, in tcpdump's terms. */
static void describe(const struct flow_spec *f, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], vlan[24] = "";

	if (f->nr_tags == 1)
		snprintf(vlan, sizeof(vlan), " vlan %u", f->vlan);
	else if (f->nr_tags == 2)
		snprintf(vlan, sizeof(vlan), " vlan %u.%u", f->vlan,
			 f->inner_vlan);
	if (!f->family) {
		fmt_mac(f->smac, src);
		fmt_mac(f->dmac, dst);
		snprintf(buf, len, "eth 0x%04x %s > %s%s", f->eth_type, src,
			 dst, vlan);
		return;
	}
	fmt_addr(f, f->src, src);
	fmt_addr(f, f->dst, dst);
	if (f->l4 == SPEC_L4_ICMP)
		snprintf(buf, len, "%s %s > %s type %u code %u%s",
			 spec_l4_name(f), src, dst, f->sport, f->dport, vlan);
	else if (f->l4 == SPEC_L4_RAW)
		snprintf(buf, len, "ip proto %u %s > %s%s", f->ipproto, src,
			 dst, vlan);
	else
		snprintf(buf, len, "%s %s.%u > %s.%u%s", spec_l4_name(f), src,
			 f->sport, dst, f->dport, vlan);
}

static void plain_flow(FILE *out, size_t spec, __u32 k,
		       const struct flow_spec *f, __u64 sent)
{
	char desc[160];

	describe(f, desc, sizeof(desc));
	fprintf(out, "%zu.%-3u %-60s %5u %12llu %14llu %14llu\n", spec, k,
		desc, f->size, (unsigned long long)sent,
		(unsigned long long)sent * f->size,
		(unsigned long long)sent * f->iplen);
}

void report_plain(FILE *out, const struct gen_result *res)
{
	struct flow_spec flow;
	struct totals t;
	size_t i;
	__u32 k;

	fprintf(out, "%-5s %-60s %5s %12s %14s %14s\n", "flow", "description",
		"size", "packets", "bytes", "ip_bytes");
	for (i = 0; i < res->nr_specs; i++) {
		for (k = 0; k < res->specs[i].flows; k++) {
			spec_nth_flow(&res->specs[i], k, &flow);
			plain_flow(out, i + 1, k + 1, &flow, res->sent[i][k]);
		}
	}
	sum_totals(res, &t);
	fprintf(out, "total: %llu packets, %llu bytes in %.3f s: %.0f pps\n",
		(unsigned long long)t.packets, (unsigned long long)t.bytes,
		res->seconds, t.pps);
	fprintf(out, "ip bytes: %llu (IP packets: no Ethernet header, tags "
		"or padding)\n", (unsigned long long)t.ip_bytes);
	if (res->stats.dropped)
		fprintf(out, "dropped: %llu frames the peer's ring dropped "
			"were sent again; per-flow counts %s\n",
			(unsigned long long)res->stats.dropped,
			res->stats.inexact ? "are NOT exact" : "are exact");
}

static void json_l3l4(FILE *out, const struct flow_spec *f)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	if (!f->family) {
		fmt_mac(f->smac, src);
		fmt_mac(f->dmac, dst);
		fprintf(out, "\"smac\":\"%s\",\"dmac\":\"%s\",", src, dst);
		return;
	}
	fmt_addr(f, f->src, src);
	fmt_addr(f, f->dst, dst);
	fprintf(out, "\"proto\":\"%s\",\"ipproto\":%u,\"src\":\"%s\","
		"\"dst\":\"%s\",", spec_l4_name(f), f->ipproto, src, dst);
	if (f->l4 == SPEC_L4_ICMP)
		fprintf(out, "\"type\":%u,\"code\":%u,", f->sport, f->dport);
	else if (f->l4 != SPEC_L4_RAW)
		fprintf(out, "\"sport\":%u,\"dport\":%u,", f->sport, f->dport);
	if (f->l4 == SPEC_L4_TCP)
		fprintf(out, "\"tcp_flags\":%u,", f->tcp_flags);
}

static void json_flow(FILE *out, size_t spec, __u32 k,
		      const struct flow_spec *f, __u64 sent)
{
	fprintf(out, "{\"spec\":%zu,\"flow\":%u,\"eth\":\"0x%04x\",", spec,
		k, f->eth_type);
	if (f->nr_tags)
		fprintf(out, "\"vlan\":%u,", f->vlan);
	if (f->nr_tags == 2)
		fprintf(out, "\"inner_vlan\":%u,", f->inner_vlan);
	json_l3l4(out, f);
	if (f->family)
		fprintf(out, "\"iplen\":%u,", f->iplen);
	fprintf(out, "\"size\":%u,\"packets\":%llu,\"bytes\":%llu,"
		"\"ip_bytes\":%llu}", f->size, (unsigned long long)sent,
		(unsigned long long)sent * f->size,
		(unsigned long long)sent * f->iplen);
}

void report_json(FILE *out, const struct gen_result *res)
{
	struct flow_spec flow;
	const char *sep = "";
	struct totals t;
	size_t i;
	__u32 k;

	fprintf(out, "{\"flows\":[");
	for (i = 0; i < res->nr_specs; i++) {
		for (k = 0; k < res->specs[i].flows; k++) {
			spec_nth_flow(&res->specs[i], k, &flow);
			fputs(sep, out);
			json_flow(out, i + 1, k + 1, &flow, res->sent[i][k]);
			sep = ",";
		}
	}
	sum_totals(res, &t);
	fprintf(out, "],\"packets\":%llu,\"bytes\":%llu,\"ip_bytes\":%llu,"
		"\"seconds\":%.6f,\"pps\":%.0f,\"dropped\":%llu,"
		"\"exact\":%s}\n",
		(unsigned long long)t.packets, (unsigned long long)t.bytes,
		(unsigned long long)t.ip_bytes, res->seconds, t.pps,
		(unsigned long long)res->stats.dropped,
		res->stats.inexact ? "false" : "true");
}
