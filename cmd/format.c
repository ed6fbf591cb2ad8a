// SPDX-License-Identifier: GPL-2.0
/*
 * Text, JSON and CSV over snapshots. JSON and CSV share one field list per
 * record (a record writer says each field once; the form decides how it
 * looks), so the two cannot drift apart. Plain text is a table for people.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include "filter.h"
#include "format.h"
#include "json.h"

/* ---- text helpers ---- */

const char *dir_text(int dir)
{
	return dir == FLOW_DIR_EGRESS ? "egress" : "ingress";
}

const char *proto_text(const struct flow_key *k, char *buf, size_t len)
{
	static const struct {
		int proto;
		const char *name;
	} names[] = {
		{ 1, "icmp" }, { 2, "igmp" }, { 6, "tcp" }, { 17, "udp" },
		{ 47, "gre" }, { 50, "esp" }, { 51, "ah" }, { 58, "icmp6" },
		{ 132, "sctp" },
	};
	size_t i;

	if (!(k->flags & FLOW_F_L4))
		return "-";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].proto == k->proto)
			return names[i].name;
	snprintf(buf, len, "%u", k->proto);
	return buf;
}

const char *ethertype_text(__u16 ethertype, char *buf, size_t len)
{
	switch (ethertype) {
	case 0x0800: return "ipv4";
	case 0x86dd: return "ipv6";
	case 0x0806: return "arp";
	case 0x88cc: return "lldp";
	case 0x8847: return "mpls";
	}
	snprintf(buf, len, "0x%04x", ethertype);
	return buf;
}

bool addr_text(const struct flow_key *k, bool dst, char *buf, size_t len)
{
	const __u8 *a = dst ? k->dst : k->src;

	if (!flow_has_addrs(k))
		return false;
	return inet_ntop(k->ethertype == 0x0800 ? AF_INET : AF_INET6, a, buf,
			 (socklen_t)len) != NULL;
}

const char *endpoint_text(const struct flow_key *k, bool dst, char *buf,
			  size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	bool v6 = k->ethertype == 0x86dd;

	if (!addr_text(k, dst, addr, sizeof(addr)))
		snprintf(buf, len, "-");
	else if (flow_has_ports(k))
		snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", addr,
			 dst ? k->dport : k->sport);
	else
		snprintf(buf, len, "%s", addr);
	return buf;
}

const char *tcp_flags_text(__u8 flags, char *buf)
{
	static const char letters[] = "FSRPAUEC";
	int i;

	if (!flags) {
		buf[0] = '\0';
		return buf;
	}
	for (i = 0; i < 8; i++)
		buf[i] = flags & (1u << i) ? letters[i] : '.';
	buf[8] = '\0';
	return buf;
}

const char *count_text(double v, char *buf, size_t len)
{
	static const char units[] = " kMGTPE";
	int u = 0;

	while (v >= 999.5 && u < 6) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, v < 9.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

/* ---- the record writer: one field list, JSON or CSV ---- */

struct rec_writer {
	enum out_format fmt;
	FILE *out;
	struct json_writer *jw;
	bool header;		/* CSV: write the names, not the values */
	int fields;		/* CSV: fields on the current line */
};

static void csv_sep(struct rec_writer *rw)
{
	if (rw->fields++)
		fputc(',', rw->out);
}

static void csv_string(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

/* CSV: true when the caller should write the value itself. */
static bool csv_field(struct rec_writer *rw, const char *name)
{
	csv_sep(rw);
	if (rw->header)
		csv_string(rw->out, name);
	return !rw->header;
}

static void rw_u64(struct rec_writer *rw, const char *name, __u64 v)
{
	if (rw->fmt == OUT_JSON)
		json_kv_u64(rw->jw, name, v);
	else if (csv_field(rw, name))
		fprintf(rw->out, "%llu", (unsigned long long)v);
}

static void rw_null(struct rec_writer *rw, const char *name)
{
	if (rw->fmt == OUT_JSON)
		json_kv_null(rw->jw, name);
	else
		csv_field(rw, name);
}

/* v, or null when valid is false. */
static void rw_opt(struct rec_writer *rw, const char *name, bool valid,
		   __u64 v)
{
	if (valid)
		rw_u64(rw, name, v);
	else
		rw_null(rw, name);
}

static void rw_string(struct rec_writer *rw, const char *name, const char *s)
{
	if (!s)
		rw_null(rw, name);
	else if (rw->fmt == OUT_JSON)
		json_kv_string(rw->jw, name, s);
	else if (csv_field(rw, name))
		csv_string(rw->out, s);
}

/*
 * Times and rates to three decimals: times to the millisecond (the
 * kernel's coarse clock is no finer), rates to a thousandth.
 */
static void rw_milli(struct rec_writer *rw, const char *name, double v)
{
	v = round(v * 1000) / 1000;
	if (rw->fmt == OUT_JSON)
		json_kv_double(rw->jw, name, v);
	else if (csv_field(rw, name))
		fprintf(rw->out, "%.3f", v);
}

static void rw_bool(struct rec_writer *rw, const char *name, bool v)
{
	if (rw->fmt == OUT_JSON)
		json_kv_bool(rw->jw, name, v);
	else if (csv_field(rw, name))
		fputs(v ? "true" : "false", rw->out);
}

static void rw_end_line(struct rec_writer *rw)
{
	if (rw->fmt == OUT_CSV) {
		fputc('\n', rw->out);
		rw->fields = 0;
	}
}

/* ---- the fields of each record ---- */

static const char *xdp_mode_text(const struct flowstat_meta *m)
{
	if (m->ingress_hook != HOOK_XDP)
		return NULL;
	return m->xdp_mode == XDP_KIND_SKB ? "skb" :
	       m->xdp_mode == XDP_KIND_NATIVE ? "native" : NULL;
}

static void iface_id_fields(struct rec_writer *rw, const struct iface_rec *ir)
{
	const struct flowstat_meta *m = &ir->meta;

	rw_string(rw, "ifname", iface_rec_name(ir));
	rw_u64(rw, "ifindex", m->ifindex);
	rw_string(rw, "netns", m->netns[0] ? m->netns : NULL);
}

static void iface_hook_fields(struct rec_writer *rw, const struct iface_rec *ir)
{
	const struct flowstat_meta *m = &ir->meta;

	rw_string(rw, "xdp_mode", xdp_mode_text(m));
	rw_string(rw, "ingress_hook",
		  m->ingress_hook == HOOK_XDP ? "xdp" : "tc");
	rw_string(rw, "egress_hook", m->egress_hook == HOOK_TC ? "tc" : NULL);
}

static void untracked_retired_fields(struct rec_writer *rw,
				     const struct dir_counts *d)
{
	rw_u64(rw, "untracked_packets", d->untracked_packets);
	rw_u64(rw, "untracked_bytes", d->untracked_bytes);
	rw_u64(rw, "retired_packets", d->retired_packets);
	rw_u64(rw, "retired_bytes", d->retired_bytes);
}

static void dir_count_fields(struct rec_writer *rw, const struct dir_counts *d)
{
	rw_u64(rw, "packets", d->packets);
	rw_u64(rw, "bytes", d->bytes);
	untracked_retired_fields(rw, d);
}

static void unmatched_fields(struct rec_writer *rw, const struct dir_counts *d)
{
	rw_u64(rw, "unmatched_packets", d->unmatched_packets);
	rw_u64(rw, "unmatched_bytes", d->unmatched_bytes);
}

/* The key's fields; null ones for a row without a key (iface == NULL). */
static void key_fields(struct rec_writer *rw, const struct flow_key *k)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	bool addrs = k && addr_text(k, false, src, sizeof(src)) &&
		     addr_text(k, true, dst, sizeof(dst));
	bool ports = k && flow_has_ports(k), icmp = k && flow_has_icmp(k);

	rw_opt(rw, "ethertype", k, k ? k->ethertype : 0);
	rw_opt(rw, "vlan", k && (k->flags & FLOW_F_VLAN), k ? k->vlan : 0);
	rw_opt(rw, "inner_vlan", k && (k->flags & FLOW_F_INNER_VLAN),
	       k ? k->inner_vlan : 0);
	rw_opt(rw, "proto", k && (k->flags & FLOW_F_L4), k ? k->proto : 0);
	rw_string(rw, "src", addrs ? src : NULL);
	rw_string(rw, "dst", addrs ? dst : NULL);
	rw_opt(rw, "sport", ports, ports ? k->sport : 0);
	rw_opt(rw, "dport", ports, ports ? k->dport : 0);
	rw_opt(rw, "icmp_type", icmp, icmp ? k->sport : 0);
	rw_opt(rw, "icmp_code", icmp, icmp ? k->dport : 0);
}

/*
 * Sampling: packets and bytes stay the raw counts of the frames that got
 * the flow entry; the estimates (raw times each epoch's rate) come
 * beside them, and equal them for a flow never sampled.
 */
static void sample_fields(struct rec_writer *rw, const struct flow_rec *r)
{
	rw_u64(rw, "sampling_rate", r->sample_rate > 1 ? r->sample_rate : 1);
	rw_u64(rw, "est_packets", flow_est_packets(r));
	rw_u64(rw, "est_bytes", flow_est_bytes(r));
}

static void sampled_out_fields(struct rec_writer *rw,
			       const struct iface_rec *ir, int d)
{
	rw_u64(rw, "sampled_out_packets", ir->dir[d].sampled_out_packets);
	rw_u64(rw, "sampled_out_bytes", ir->dir[d].sampled_out_bytes);
}

static void iface_sample_fields(struct rec_writer *rw,
				const struct iface_rec *ir)
{
	rw_string(rw, "sampling", sampling_name(ir->meta.sampling));
	rw_u64(rw, "sampling_rate", ir->sample_rate > 1 ? ir->sample_rate : 1);
}

static void flow_dump_fields(struct rec_writer *rw, const struct snapshot *s,
			     const struct flow_rec *r)
{
	rw_string(rw, "ifname", iface_rec_name(&s->ifaces[r->iface]));
	rw_string(rw, "direction", dir_text(r->key.dir));
	key_fields(rw, &r->key);
	rw_u64(rw, "packets", r->packets);
	rw_u64(rw, "bytes", r->bytes);
	rw_u64(rw, "tcp_flags", r->tcp_flags);
	rw_milli(rw, "first_seen", r->first_seen);
	rw_milli(rw, "last_seen", r->last_seen);
	rw_bool(rw, "fragment", r->key.flags & FLOW_F_FRAGMENT);
	rw_bool(rw, "truncated", r->key.flags & FLOW_F_TRUNCATED);
	/* last: CSV columns keep their places */
	rw_u64(rw, "ip_bytes", r->ip_bytes);
	sample_fields(rw, r);
}

static void iface_dir_row(struct rec_writer *rw, const struct iface_rec *ir,
			  int d)
{
	iface_id_fields(rw, ir);
	iface_hook_fields(rw, ir);
	rw_string(rw, "direction", dir_text(d));
	dir_count_fields(rw, &ir->dir[d]);
	rw_bool(rw, "present", ir->present);
	/* last, so that CSV columns keep their places: sampling, match */
	sampled_out_fields(rw, ir, d);
	iface_sample_fields(rw, ir);
	unmatched_fields(rw, &ir->dir[d]);
	rw_end_line(rw);
}

void format_kernel_json(struct json_writer *jw, const struct iface_rec *ir)
{
	if (!ir->kernel_valid) {
		json_null(jw);
		return;
	}
	json_object_start(jw);
	json_kv_u64(jw, "rx_packets", ir->kernel_rx_packets);
	json_kv_u64(jw, "rx_bytes", ir->kernel_rx_bytes);
	json_kv_u64(jw, "tx_packets", ir->kernel_tx_packets);
	json_kv_u64(jw, "tx_bytes", ir->kernel_tx_bytes);
	json_object_end(jw);
}

static void iface_dump_json(struct rec_writer *rw, const struct iface_rec *ir)
{
	int d;

	json_object_start(rw->jw);
	iface_id_fields(rw, ir);
	iface_hook_fields(rw, ir);
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		json_key(rw->jw, dir_text(d));
		json_object_start(rw->jw);
		dir_count_fields(rw, &ir->dir[d]);
		sampled_out_fields(rw, ir, d);
		unmatched_fields(rw, &ir->dir[d]);
		json_kv_u64(rw->jw, "ended_flows", ir->dir[d].ended_flows);
		json_kv_u64(rw->jw, "fast_hits", ir->dir[d].fast_hits);
		json_object_end(rw->jw);
	}
	json_kv_bool(rw->jw, "present", ir->present);
	if (ir->match[0])
		json_kv_string(rw->jw, "match", ir->match);
	else
		json_kv_null(rw->jw, "match");
	json_kv_bool(rw->jw, "up", ir->up);
	json_kv_u64(rw->jw, "flow_entries", ir->flow_entries);
	iface_sample_fields(rw, ir);
	json_key(rw->jw, "kernel");
	format_kernel_json(rw->jw, ir);
	json_object_end(rw->jw);
}

static int dump_json(FILE *out, const struct snapshot *s)
{
	struct json_writer jw;
	struct rec_writer rw = { .fmt = OUT_JSON, .out = out, .jw = &jw };
	size_t i;
	int n;

	json_init(&jw, out, false);
	json_object_start(&jw);
	rw_milli(&rw, "time", s->time);
	json_key(&jw, "interfaces");
	json_array_start(&jw);
	for (n = 0; n < s->n_ifaces; n++)
		iface_dump_json(&rw, &s->ifaces[n]);
	json_array_end(&jw);
	json_key(&jw, "flows");
	json_array_start(&jw);
	for (i = 0; i < s->n_flows; i++) {
		json_object_start(&jw);
		flow_dump_fields(&rw, s, &s->flows[i]);
		json_object_end(&jw);
	}
	json_array_end(&jw);
	json_object_end(&jw);
	return json_finish(&jw);
}

/* Two tables: interfaces (a row per direction), a blank line, flows. */
static void dump_csv(FILE *out, const struct snapshot *s)
{
	struct rec_writer rw = { .fmt = OUT_CSV, .out = out, .header = true };
	struct iface_rec none = { 0 };
	struct flow_rec nof = { 0 };
	size_t i;
	int n, d;

	iface_dir_row(&rw, &none, 0);
	rw.header = false;
	for (n = 0; n < s->n_ifaces; n++)
		for (d = 0; d < FLOW_DIR_MAX; d++)
			iface_dir_row(&rw, &s->ifaces[n], d);
	fputc('\n', out);
	rw.header = true;
	flow_dump_fields(&rw, &(struct snapshot){ .ifaces = &none }, &nof);
	rw_end_line(&rw);
	rw.header = false;
	for (i = 0; i < s->n_flows; i++) {
		flow_dump_fields(&rw, s, &s->flows[i]);
		rw_end_line(&rw);
	}
}

/* ---- plain text ---- */

static const char *hooks_text(const struct flowstat_meta *m, char *buf,
			      size_t len)
{
	const char *mode = xdp_mode_text(m);

	snprintf(buf, len, "in %s%s%s%s, out %s",
		 m->ingress_hook == HOOK_XDP ? "xdp" : "tc",
		 mode ? " (" : "", mode ? mode : "", mode ? ")" : "",
		 m->egress_hook == HOOK_TC ? "tc" : "-");
	return buf;
}

static void iface_text(FILE *out, const struct iface_rec *ir)
{
	char hooks[64];
	int d;

	fprintf(out, "%s  ifindex %u  netns %s  %s%s\n", iface_rec_name(ir),
		ir->meta.ifindex, ir->meta.netns[0] ? ir->meta.netns : "-",
		hooks_text(&ir->meta, hooks, sizeof(hooks)),
		ir->present ? "" : "  (gone)");
	if (ir->match[0])
		fprintf(out, "  match    %s\n", ir->match);
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		const struct dir_counts *c = &ir->dir[d];
		char unm[64] = "";

		/* only with an expression: the line stays as it was without */
		if (ir->match[0] || c->unmatched_packets)
			snprintf(unm, sizeof(unm), "  unmatched %llu/%llu",
				 (unsigned long long)c->unmatched_packets,
				 (unsigned long long)c->unmatched_bytes);
		fprintf(out, "  %-8s %llu packets %llu bytes  "
			"untracked %llu/%llu%s  retired %llu/%llu\n",
			dir_text(d), (unsigned long long)c->packets,
			(unsigned long long)c->bytes,
			(unsigned long long)c->untracked_packets,
			(unsigned long long)c->untracked_bytes, unm,
			(unsigned long long)c->retired_packets,
			(unsigned long long)c->retired_bytes);
		if (ir->meta.sampling)
			fprintf(out, "  %-8s sampled out %llu/%llu\n", "",
				(unsigned long long)c->sampled_out_packets,
				(unsigned long long)c->sampled_out_bytes);
	}
	if (ir->meta.sampling)
		fprintf(out, "  sampling %s, 1:%u now: flows marked ~ show "
			"estimates (sampled counts times the rate)\n",
			sampling_name(ir->meta.sampling),
			ir->sample_rate > 1 ? ir->sample_rate : 1);
}

static const char *vlan_text(const struct flow_key *k, char *buf, size_t len)
{
	if (!(k->flags & FLOW_F_VLAN))
		return "-";
	if (k->flags & FLOW_F_INNER_VLAN)
		snprintf(buf, len, "%u.%u", k->vlan, k->inner_vlan);
	else
		snprintf(buf, len, "%u", k->vlan);
	return buf;
}

/* Protocol, or the ethertype for non-IP frames; ICMP with type/code. */
static const char *what_text(const struct flow_key *k, char *buf, size_t len)
{
	char tmp[16];

	if (!(k->flags & FLOW_F_L4))
		return ethertype_text(k->ethertype, buf, len);
	if (flow_has_icmp(k)) {
		snprintf(buf, len, "%s %u/%u", proto_text(k, tmp, sizeof(tmp)),
			 k->sport, k->dport);
		return buf;
	}
	snprintf(buf, len, "%s", proto_text(k, tmp, sizeof(tmp)));
	return buf;
}

static const char *marks_text(const struct flow_rec *r, char *buf, size_t len)
{
	char flags[FLAGS_TEXT_LEN];

	snprintf(buf, len, "%s%s%s", tcp_flags_text(r->tcp_flags, flags),
		 r->key.flags & FLOW_F_FRAGMENT ? " frag" : "",
		 r->key.flags & FLOW_F_TRUNCATED ? " trunc" : "");
	return buf[0] == ' ' ? buf + 1 : buf;
}

struct text_widths {
	int ifname, src, dst;
};

static void text_widths(const struct snapshot *s, struct text_widths *w)
{
	char buf[ADDR_TEXT_LEN];
	size_t i;

	w->ifname = 5;
	w->src = 6;
	w->dst = 11;
	for (i = 0; i < s->n_flows; i++) {
		const struct flow_rec *r = &s->flows[i];
		int n = (int)strlen(iface_rec_name(&s->ifaces[r->iface]));

		w->ifname = n > w->ifname ? n : w->ifname;
		n = (int)strlen(endpoint_text(&r->key, false, buf,
					      sizeof(buf)));
		w->src = n > w->src ? n : w->src;
		n = (int)strlen(endpoint_text(&r->key, true, buf,
					      sizeof(buf)));
		w->dst = n > w->dst ? n : w->dst;
	}
}

/* The columns every flow line starts with (the key). */
static void flow_key_text(FILE *out, const struct snapshot *s,
			  const struct flow_rec *r, const struct text_widths *w)
{
	char src[ADDR_TEXT_LEN], dst[ADDR_TEXT_LEN], what[32], vlan[16];

	fprintf(out, "%-*s %-3s %-11s %-*s %-*s %-9s",
		w->ifname, iface_rec_name(&s->ifaces[r->iface]),
		r->key.dir == FLOW_DIR_EGRESS ? "out" : "in",
		what_text(&r->key, what, sizeof(what)),
		w->src, endpoint_text(&r->key, false, src, sizeof(src)),
		w->dst, endpoint_text(&r->key, true, dst, sizeof(dst)),
		vlan_text(&r->key, vlan, sizeof(vlan)));
}

/* A count, with ~ in front when it is an estimate. */
static const char *est_text(__u64 v, bool est, char *buf, size_t len)
{
	snprintf(buf, len, "%s%llu", est ? "~" : "", (unsigned long long)v);
	return buf;
}

static void dump_text(FILE *out, const struct snapshot *s)
{
	struct text_widths w;
	char marks[32], pk[24], by[24];
	const char *m;
	size_t i;
	int n;

	for (n = 0; n < s->n_ifaces; n++)
		iface_text(out, &s->ifaces[n]);
	if (!s->n_flows)
		return;
	text_widths(s, &w);
	fprintf(out, "\n%-*s %-3s %-11s %-*s %-*s %-9s %12s %15s %s\n",
		w.ifname, "IFACE", "DIR", "PROTO", w.src, "SOURCE", w.dst,
		"DESTINATION", "VLAN", "PACKETS", "BYTES", "FLAGS");
	for (i = 0; i < s->n_flows; i++) {
		const struct flow_rec *r = &s->flows[i];

		flow_key_text(out, s, r, &w);
		m = marks_text(r, marks, sizeof(marks));
		fprintf(out, " %12s %15s%s%s\n",
			est_text(flow_est_packets(r), flow_rec_sampled(r), pk,
				 sizeof(pk)),
			est_text(flow_est_bytes(r), flow_rec_sampled(r), by,
				 sizeof(by)), *m ? " " : "", m);
	}
}

static int out_status(FILE *out)
{
	return fflush(out) || ferror(out) ? -EIO : 0;
}

int format_dump(FILE *out, const struct snapshot *s, enum out_format fmt)
{
	switch (fmt) {
	case OUT_JSON:
		return dump_json(out, s) ? -EIO : out_status(out);
	case OUT_CSV:
		dump_csv(out, s);
		break;
	case OUT_TEXT:
		dump_text(out, s);
		break;
	}
	return out_status(out);
}

/* ---- watch: one record per interval ---- */

struct watch_counts {
	__u64 packets, bytes, delta_packets, delta_bytes;
	double pps, bps;
};

static void watch_counts(struct watch_counts *wc, __u64 packets, __u64 bytes,
			 __u64 prev_packets, __u64 prev_bytes, double interval)
{
	wc->packets = packets;
	wc->bytes = bytes;
	wc->delta_packets = packets >= prev_packets ?
			    packets - prev_packets : 0;
	wc->delta_bytes = bytes >= prev_bytes ? bytes - prev_bytes : 0;
	wc->pps = interval > 0 ? wc->delta_packets / interval : 0;
	wc->bps = interval > 0 ? wc->delta_bytes * 8.0 / interval : 0;
}

static void iface_watch_counts(const struct snapshot *s, int i, int d,
			       struct watch_counts *wc)
{
	const struct dir_counts *c = &s->ifaces[i].dir[d];

	watch_counts(wc, c->packets, c->bytes, c->packets - c->delta_packets,
		     c->bytes - c->delta_bytes, s->interval);
}

static void flow_watch_counts(const struct snapshot *s,
			      const struct flow_rec *r, struct watch_counts *wc)
{
	watch_counts(wc, r->packets, r->bytes, r->packets - r->delta_packets,
		     r->bytes - r->delta_bytes, s->interval);
}

/* The same as estimates (text: marked ~ when sampled). */
static void flow_watch_est(const struct snapshot *s, const struct flow_rec *r,
			   struct watch_counts *wc)
{
	if (!flow_rec_sampled(r)) {
		flow_watch_counts(s, r, wc);
		return;
	}
	watch_counts(wc, r->est_packets, r->est_bytes,
		     r->est_packets - r->delta_est_packets,
		     r->est_bytes - r->delta_est_bytes, s->interval);
}

static void watch_count_fields(struct rec_writer *rw,
			       const struct watch_counts *wc)
{
	rw_u64(rw, "packets", wc->packets);
	rw_u64(rw, "bytes", wc->bytes);
	rw_u64(rw, "delta_packets", wc->delta_packets);
	rw_u64(rw, "delta_bytes", wc->delta_bytes);
	rw_milli(rw, "pps", wc->pps);
	rw_milli(rw, "bps", wc->bps);
}

/*
 * What a direction counted outside its flow entries, cumulative as in
 * dump: with them a record's totals add up to the flows a dump shows
 * (totals == flows + untracked + unmatched + sampled_out + retired).
 */
static void watch_outside_fields(struct rec_writer *rw,
				 const struct iface_rec *ir, int d)
{
	untracked_retired_fields(rw, &ir->dir[d]);
	sampled_out_fields(rw, ir, d);
	unmatched_fields(rw, &ir->dir[d]);
}

static void watch_iface_json(struct rec_writer *rw, const struct snapshot *s,
			     int i)
{
	struct watch_counts wc;
	int d;

	json_object_start(rw->jw);
	iface_id_fields(rw, &s->ifaces[i]);
	json_kv_bool(rw->jw, "present", s->ifaces[i].present);
	iface_sample_fields(rw, &s->ifaces[i]);
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		iface_watch_counts(s, i, d, &wc);
		json_key(rw->jw, dir_text(d));
		json_object_start(rw->jw);
		watch_count_fields(rw, &wc);
		watch_outside_fields(rw, &s->ifaces[i], d);
		json_object_end(rw->jw);
	}
	json_object_end(rw->jw);
}

static void watch_flow_fields(struct rec_writer *rw, const struct snapshot *s,
			      const struct flow_rec *r)
{
	struct watch_counts wc;

	flow_watch_counts(s, r, &wc);
	rw_string(rw, "ifname", iface_rec_name(&s->ifaces[r->iface]));
	rw_string(rw, "direction", dir_text(r->key.dir));
	key_fields(rw, &r->key);
	watch_count_fields(rw, &wc);
	rw_bool(rw, "ended", r->ended);
	rw_u64(rw, "ip_bytes", r->ip_bytes);
	rw_u64(rw, "delta_ip_bytes", r->delta_ip_bytes);
	sample_fields(rw, r);
	rw_u64(rw, "est_delta_packets", flow_rec_sampled(r) ?
		r->delta_est_packets : r->delta_packets);
	rw_u64(rw, "est_delta_bytes", flow_rec_sampled(r) ?
		r->delta_est_bytes : r->delta_bytes);
}

static int watch_json(FILE *out, const struct snapshot *s)
{
	struct json_writer jw;
	struct rec_writer rw = { .fmt = OUT_JSON, .out = out, .jw = &jw };
	size_t i;
	int n;

	json_init(&jw, out, false);
	json_object_start(&jw);
	rw_milli(&rw, "time", s->time);
	rw_milli(&rw, "interval", s->interval);
	json_key(&jw, "interfaces");
	json_array_start(&jw);
	for (n = 0; n < s->n_ifaces; n++)
		watch_iface_json(&rw, s, n);
	json_array_end(&jw);
	json_key(&jw, "flows");
	json_array_start(&jw);
	for (i = 0; i < s->n_flows; i++) {
		if (!s->flows[i].delta_packets)
			continue;
		json_object_start(&jw);
		watch_flow_fields(&rw, s, &s->flows[i]);
		json_object_end(&jw);
	}
	json_array_end(&jw);
	json_object_end(&jw);
	return json_finish(&jw);
}

/* One table: a row per interface direction and per moving flow. */
static void watch_csv_row(struct rec_writer *rw, const struct snapshot *s,
			  int iface, int d, const struct flow_rec *r)
{
	struct watch_counts wc;

	rw_milli(rw, "time", s->time);
	rw_string(rw, "record", r ? "flow" : "interface");
	if (r) {
		watch_flow_fields(rw, s, r);
	} else {
		rw_string(rw, "ifname", iface_rec_name(&s->ifaces[iface]));
		rw_string(rw, "direction", dir_text(d));
		key_fields(rw, NULL);
		iface_watch_counts(s, iface, d, &wc);
		watch_count_fields(rw, &wc);
		rw_bool(rw, "ended", false);
		rw_opt(rw, "ip_bytes", false, 0);	/* flows only */
		rw_opt(rw, "delta_ip_bytes", false, 0);
		rw_u64(rw, "sampling_rate",
		       s->ifaces[iface].sample_rate > 1 ?
		       s->ifaces[iface].sample_rate : 1);
		rw_opt(rw, "est_packets", false, 0);
		rw_opt(rw, "est_bytes", false, 0);
		rw_opt(rw, "est_delta_packets", false, 0);
		rw_opt(rw, "est_delta_bytes", false, 0);
	}
	rw_end_line(rw);
}

static void watch_csv(FILE *out, const struct snapshot *s, bool header)
{
	struct rec_writer rw = { .fmt = OUT_CSV, .out = out, .header = true };
	struct iface_rec none = { 0 };
	struct snapshot empty = { .ifaces = &none, .n_ifaces = 1 };
	size_t i;
	int n, d;

	if (header)
		watch_csv_row(&rw, &empty, 0, 0, NULL);
	rw.header = false;
	for (n = 0; n < s->n_ifaces; n++)
		for (d = 0; d < FLOW_DIR_MAX; d++)
			watch_csv_row(&rw, s, n, d, NULL);
	for (i = 0; i < s->n_flows; i++)
		if (s->flows[i].delta_packets)
			watch_csv_row(&rw, s, 0, 0, &s->flows[i]);
}

static void watch_text(FILE *out, const struct snapshot *s)
{
	struct watch_counts wc;
	struct text_widths w;
	char when[32], pps[16], bps[16], pk[24], by[24];
	time_t t = (time_t)s->time;
	struct tm tm;
	size_t i;
	int n, d;

	strftime(when, sizeof(when), "%F %T", localtime_r(&t, &tm));
	fprintf(out, "%s  interval %.3f s\n", when, s->interval);
	for (n = 0; n < s->n_ifaces; n++)
		for (d = 0; d < FLOW_DIR_MAX; d++) {
			iface_watch_counts(s, n, d, &wc);
			fprintf(out, "%s %-7s +%llu packets +%llu bytes  "
				"%s pps %sbit/s%s\n",
				iface_rec_name(&s->ifaces[n]),
				dir_text(d),
				(unsigned long long)wc.delta_packets,
				(unsigned long long)wc.delta_bytes,
				count_text(wc.pps, pps, sizeof(pps)),
				count_text(wc.bps, bps, sizeof(bps)),
				s->ifaces[n].present ? "" : "  (gone)");
		}
	for (n = 0; n < s->n_ifaces; n++)
		if (s->ifaces[n].sample_rate > 1)
			fprintf(out, "%s sampled 1:%u: flows marked ~ show "
				"estimates\n", iface_rec_name(&s->ifaces[n]),
				s->ifaces[n].sample_rate);
	text_widths(s, &w);
	for (i = 0; i < s->n_flows; i++) {
		const struct flow_rec *r = &s->flows[i];

		if (!r->delta_packets)
			continue;
		flow_watch_est(s, r, &wc);
		fputs("  ", out);
		flow_key_text(out, s, r, &w);
		fprintf(out, " +%s packets +%s bytes  %s pps %sbit/s%s\n",
			est_text(wc.delta_packets, flow_rec_sampled(r), pk,
				 sizeof(pk)),
			est_text(wc.delta_bytes, flow_rec_sampled(r), by,
				 sizeof(by)),
			count_text(wc.pps, pps, sizeof(pps)),
			count_text(wc.bps, bps, sizeof(bps)),
			r->ended ? "  (ended)" : "");
	}
}

int format_watch(FILE *out, const struct snapshot *s, enum out_format fmt,
		 bool header)
{
	switch (fmt) {
	case OUT_JSON:
		return watch_json(out, s) ? -EIO : out_status(out);
	case OUT_CSV:
		watch_csv(out, s, header);
		break;
	case OUT_TEXT:
		watch_text(out, s);
		break;
	}
	return out_status(out);
}

/* ---- security signals ---- */

#define SIG_ALERTS_MAX (SIG_KINDS * SIG_TOP)

/* The alerts of one interface of s. */
static int iface_alerts(const struct snapshot *s, int iface,
			const struct sig_thresholds *th, struct sig_alert *a)
{
	struct snapshot one = *s;

	one.ifaces = &s->ifaces[iface];
	one.n_ifaces = 1;
	return signals_alerts(&one, th, a, SIG_ALERTS_MAX);
}

void format_signals_json(struct json_writer *jw, const struct snapshot *s,
			 int iface, const struct sig_thresholds *th)
{
	const struct iface_signals *g = &s->ifaces[iface].sig;
	struct sig_alert a[SIG_ALERTS_MAX];
	char host[ADDR_TEXT_LEN], text[160];
	int k, i, n;

	if (!g->valid) {
		json_null(jw);
		return;
	}
	json_object_start(jw);
	json_kv_double(jw, "window_s", g->window_s);
	json_kv_double(jw, "untracked_flows", g->untracked_flows);
	json_key(jw, "values");
	json_object_start(jw);
	for (k = 0; k < SIG_KINDS; k++)
		json_kv_double(jw, sig_kind_names[k],
			       signals_value(s, iface, k));
	json_object_end(jw);
	json_key(jw, "suspects");
	json_object_start(jw);
	for (k = SIG_NEW_FLOWS + 1; k < SIG_KINDS; k++) {
		json_key(jw, sig_kind_names[k]);
		json_array_start(jw);
		for (i = 0; i < g->n_top[k]; i++) {
			sig_host_text(&g->top[k][i], host, sizeof(host));
			json_object_start(jw);
			json_kv_string(jw, "host", host);
			json_kv_double(jw, "value", g->top[k][i].value);
			json_object_end(jw);
		}
		json_array_end(jw);
	}
	json_object_end(jw);
	json_key(jw, "thresholds");
	json_object_start(jw);
	for (k = 0; k < SIG_KINDS; k++)
		json_kv_double(jw, sig_kind_names[k], th->value[k]);
	json_object_end(jw);
	json_key(jw, "alerts");
	json_array_start(jw);
	n = iface_alerts(s, iface, th, a);
	for (i = 0; i < n; i++) {
		sig_host_text(&a[i].host, host, sizeof(host));
		sig_alert_text(&a[i], text, sizeof(text));
		json_object_start(jw);
		json_kv_string(jw, "signal", sig_kind_names[a[i].kind]);
		if (host[0])
			json_kv_string(jw, "host", host);
		else
			json_kv_null(jw, "host");
		json_kv_double(jw, "value", a[i].value);
		json_kv_double(jw, "threshold", a[i].threshold);
		json_kv_string(jw, "text", text);
		json_object_end(jw);
	}
	json_array_end(jw);
	json_object_end(jw);
}

void format_signals_text(FILE *out, const struct snapshot *s, int iface,
			 const struct sig_thresholds *th, const char *indent)
{
	const struct iface_signals *g = &s->ifaces[iface].sig;
	struct sig_alert a[SIG_ALERTS_MAX];
	char text[160];
	int k, i, n;

	if (!g->valid) {
		fprintf(out, "%ssignals  not available\n", indent);
		return;
	}
	fprintf(out, "%ssignals ", indent);
	for (k = 0; k < SIG_KINDS; k++)
		fprintf(out, " %s %.0f", sig_kind_names[k],
			signals_value(s, iface, k));
	fprintf(out, "\n");
	n = iface_alerts(s, iface, th, a);
	for (i = 0; i < n; i++) {
		sig_alert_text(&a[i], text, sizeof(text));
		fprintf(out, "%salert    %s\n", indent, text);
	}
}
