// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus text exposition (see prom.h). The families are a table:
 * each names the struct field it reads and the labels its series have,
 * so adding a counter is one line.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "prom.h"

enum family_scope {
	PER_DIR,	/* struct prom_dir, labels interface + direction */
	PER_IFACE,	/* struct prom_iface, label interface */
	PER_KERNEL,	/* struct prom_kernel rx/tx pair, + direction */
	PER_EXPORT,	/* struct prom_export, label collector */
	PER_SIGNAL,	/* struct prom_iface sig_*[kind], + signal */
	PER_SUSPECT,	/* the same, + host, only while it alerts */
};

struct family {
	const char *name, *type, *help;
	enum family_scope scope;
	size_t off, off_tx;	/* of the __u64 (tx: PER_KERNEL egress) */
};

#define DIR_F(n, f, h) \
	{ n, "counter", h, PER_DIR, offsetof(struct prom_dir, f), 0 }
#define IF_F(n, t, f, h) \
	{ n, t, h, PER_IFACE, offsetof(struct prom_iface, f), 0 }
#define KERN_F(n, f, h)                                                    \
	{ n, "counter", h, PER_KERNEL, offsetof(struct prom_kernel, rx_##f), \
	  offsetof(struct prom_kernel, tx_##f) }
#define SIG_F(n, scope, f, h) \
	{ n, "gauge", h, scope, offsetof(struct prom_iface, f), 0 }
#define EXP_F(n, f, h) \
	{ n, "counter", h, PER_EXPORT, offsetof(struct prom_export, f), 0 }

static const struct family families[] = {
	DIR_F("flowstat_interface_packets_total", packets,
	      "Frames the flowstat hook saw on the interface."),
	DIR_F("flowstat_interface_bytes_total", bytes,
	      "Bytes of the frames the flowstat hook saw: L2 frame bytes as the hook sees them (the frame length tcpdump reports on the interface)."),
	DIR_F("flowstat_interface_untracked_packets_total", untracked_packets,
	      "Frames counted without a flow entry (the flow table was full)."),
	DIR_F("flowstat_interface_untracked_bytes_total", untracked_bytes,
	      "L2 frame bytes, as the hook sees them, of the frames counted without a flow entry."),
	DIR_F("flowstat_interface_sampled_out_packets_total",
	      sampled_out_packets,
	      "Frames that sampling (attach --sample) left without a flow entry."),
	DIR_F("flowstat_interface_sampled_out_bytes_total", sampled_out_bytes,
	      "L2 frame bytes, as the hook sees them, of the frames sampling left without a flow entry."),
	DIR_F("flowstat_interface_unmatched_packets_total", unmatched_packets,
	      "Frames counted without a flow entry because the match expression left them out."),
	DIR_F("flowstat_interface_unmatched_bytes_total", unmatched_bytes,
	      "L2 frame bytes, as the hook sees them, of the frames the match expression left out."),
	DIR_F("flowstat_interface_retired_packets_total", retired_packets,
	      "Frames of flows that aged out of the flow table."),
	DIR_F("flowstat_interface_retired_bytes_total", retired_bytes,
	      "L2 frame bytes, as the hook sees them, of flows that aged out of the flow table."),
	DIR_F("flowstat_flows_ended_total", ended_flows,
	      "Flows that aged out of the flow table."),
	IF_F("flowstat_flows_active", "gauge", active_flows,
	     "Flows in the interface's flow table."),
	IF_F("flowstat_flows_capacity", "gauge", max_flows,
	     "Flows the interface's flow table holds at most."),
	IF_F("flowstat_aging_runs_total", "counter", folds,
	     "Aging runs over the interface's flow table."),
	IF_F("flowstat_table_full_packets_total", "counter", table_full,
	     "Frames that found the interface's flow table full."),
	IF_F("flowstat_fast_path_packets_total", "counter", fast_hits,
	     "Frames counted on the fast path (the flow of the frame before)."),
	IF_F("flowstat_sampling_rate", "gauge", sampling_rate,
	     "1 in this many frames get flow entries (the latest interval; 1: no sampling)."),
	KERN_F("flowstat_kernel_interface_packets_total", packets,
	       "Packets the kernel counted on the interface (its own link statistics: receive is ingress, transmit egress)."),
	KERN_F("flowstat_kernel_interface_bytes_total", bytes,
	       "Bytes the kernel counted on the interface (its own link statistics, as the driver counts them)."),
	KERN_F("flowstat_kernel_interface_dropped_total", dropped,
	       "Packets the kernel dropped on the interface (its own link statistics)."),
	KERN_F("flowstat_kernel_interface_errors_total", errors,
	       "Receive or transmit errors the kernel counted on the interface (its own link statistics)."),
	SIG_F("flowstat_signal_value", PER_SIGNAL, sig_value,
	      "Security signal of the last complete window (about 1 s): new_flows per second; half_open, scan_ports, scan_hosts, fan_in distinct counts of the top suspect (HyperLogLog estimates)."),
	SIG_F("flowstat_signal_threshold", PER_SIGNAL, sig_threshold,
	      "The threshold that raises the signal's alert (0: off)."),
	SIG_F("flowstat_signal_alerts", PER_SIGNAL, sig_alerts,
	      "Suspects over the signal's threshold now (new_flows: 1 when over)."),
	SIG_F("flowstat_signal_suspect", PER_SUSPECT, sig_value,
	      "The signal's value of the host it names, only while it is over the threshold."),
	EXP_F("flowstat_export_messages_total", messages,
	      "IPFIX messages sent to the collector."),
	EXP_F("flowstat_export_records_total", records,
	      "IPFIX data records sent to the collector."),
	EXP_F("flowstat_export_send_errors_total", send_errors,
	      "IPFIX messages that could not be sent to the collector."),
};

static const char *const dir_names[PROM_DIRS] = { "ingress", "egress" };

struct label {
	const char *name, *value;
	size_t len;
};

/*
 * The length of the valid UTF-8 sequence at p (at most n bytes), 0 if
 * there is none: Prometheus refuses a scrape with invalid UTF-8 in it,
 * and interface names are bytes.
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;	/* past U+10FFFF */
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Writes s[0..len) escaped as the format wants: backslash and newline
 * always, the double quote in label values; bytes that are not UTF-8
 * become U+FFFD.
 */
static void put_escaped(struct http_body *out, const char *s, size_t len,
			int quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, n;

	while (i + run < len) {
		const char *esc = NULL;

		n = utf8_len(p + i + run, len - i - run);
		if (n == 1 && p[i + run] == '\\')
			esc = "\\\\";
		else if (n == 1 && p[i + run] == '\n')
			esc = "\\n";
		else if (n == 1 && p[i + run] == '"' && quote)
			esc = "\\\"";
		else if (!n)
			esc = "\xef\xbf\xbd";
		if (!esc) {
			run += n;
			continue;
		}
		http_body_append(out, s + i, run);
		http_body_puts(out, esc);
		i += run + (n ? n : 1);
		run = 0;
	}
	http_body_append(out, s + i, run);
}

static void put_header(struct http_body *out, const struct family *f)
{
	http_body_printf(out, "# HELP %s ", f->name);
	put_escaped(out, f->help, strlen(f->help), 0);
	http_body_printf(out, "\n# TYPE %s %s\n", f->name, f->type);
}

static void put_sample(struct http_body *out, const char *name,
		       const struct label *l, int nl, __u64 value)
{
	int i, first = 1;

	http_body_puts(out, name);
	for (i = 0; i < nl; i++) {
		if (!l[i].len)	/* an empty value is no label at all */
			continue;
		http_body_printf(out, "%c%s=\"", first ? '{' : ',', l[i].name);
		put_escaped(out, l[i].value, l[i].len, 1);
		http_body_puts(out, "\"");
		first = 0;
	}
	http_body_printf(out, "%s %llu\n", first ? "" : "}",
			 (unsigned long long)value);
}

static __u64 field(const void *base, size_t off)
{
	__u64 v;

	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

/* The labels of an interface; the caller adds direction as l[2]. */
static void iface_labels(const struct prom_iface *ifc, struct label *l)
{
	l[0] = (struct label){ "interface", ifc->ifname,
			       strnlen(ifc->ifname, sizeof(ifc->ifname)) };
	l[1] = (struct label){ "netns", ifc->netns,
			       strnlen(ifc->netns, sizeof(ifc->netns)) };
}

/* One series per signal; PER_SUSPECT: per signal alerting, with host. */
static void put_signal_family(struct http_body *out, const struct family *f,
			      const struct prom_iface *ifc, struct label *l)
{
	const __u64 *v = (const void *)((const char *)ifc + f->off);
	int k;

	for (k = 0; k < SIG_KINDS; k++) {
		const char *host = ifc->sig_host[k];

		l[2] = (struct label){ "signal", sig_kind_names[k],
				       strlen(sig_kind_names[k]) };
		if (f->scope == PER_SIGNAL) {
			put_sample(out, f->name, l, 3, v[k]);
			continue;
		}
		if (!ifc->sig_alerts[k] || !host[0])
			continue;
		l[3] = (struct label){ "host", host,
				       strnlen(host, sizeof(ifc->sig_host[k])) };
		put_sample(out, f->name, l, 4, v[k]);
	}
}

static void put_iface_family(struct http_body *out, const struct family *f,
			     const struct prom_iface *ifc)
{
	struct label l[4];
	int d;

	iface_labels(ifc, l);
	if (f->scope == PER_SIGNAL || f->scope == PER_SUSPECT) {
		put_signal_family(out, f, ifc, l);
		return;
	}
	if (f->scope == PER_IFACE) {
		put_sample(out, f->name, l, 2, field(ifc, f->off));
		return;
	}
	for (d = 0; d < PROM_DIRS; d++) {
		l[2] = (struct label){ "direction", dir_names[d],
				       strlen(dir_names[d]) };
		if (f->scope == PER_DIR)
			put_sample(out, f->name, l, 3,
				   field(&ifc->dir[d], f->off));
		else
			put_sample(out, f->name, l, 3,
				   field(&ifc->kernel, d == PROM_INGRESS ?
							f->off : f->off_tx));
	}
}

static int suspects(const struct prom_iface *ifc)
{
	int k;

	for (k = 0; k < SIG_KINDS; k++)
		if (ifc->sig_alerts[k] && ifc->sig_host[k][0])
			return 1;
	return 0;
}

static void put_family(struct http_body *out, const struct family *f,
		       const struct prom_iface *ifs, int n,
		       const struct prom_export *ex, int nex)
{
	int i, header = 0;

	for (i = 0; i < (f->scope == PER_EXPORT ? nex : n); i++) {
		if (f->scope == PER_KERNEL && !ifs[i].has_kernel)
			continue;
		if ((f->scope == PER_SIGNAL || f->scope == PER_SUSPECT) &&
		    !ifs[i].has_signals)
			continue;
		if (f->scope == PER_SUSPECT && !suspects(&ifs[i]))
			continue;
		if (!header++)
			put_header(out, f);
		if (f->scope == PER_EXPORT) {
			struct label l = { "collector", ex[i].target,
					   strnlen(ex[i].target,
						   sizeof(ex[i].target)) };

			put_sample(out, f->name, &l, 1,
				   field(&ex[i], f->off));
		} else {
			put_iface_family(out, f, &ifs[i]);
		}
	}
}

static void put_agent(struct http_body *out, const struct prom_agent *a)
{
	static const struct family build = {
		.name = "flowstat_build_info", .type = "gauge",
		.help = "A constant 1, labelled with the version of flowstat.",
	};
	static const struct family start = {
		.name = "flowstat_agent_start_time_seconds", .type = "gauge",
		.help = "When the agent started, in seconds since the Unix epoch.",
	};
	static const struct family scrapes = {
		.name = "flowstat_agent_scrapes_total", .type = "counter",
		.help = "Scrapes of this endpoint, this one included.",
	};
	struct label l = { "version", a->version,
			   strnlen(a->version, sizeof(a->version)) };

	if (l.len) {
		put_header(out, &build);
		put_sample(out, build.name, &l, 1, 1);
	}
	put_header(out, &start);
	put_sample(out, start.name, NULL, 0, a->start_time_s);
	put_header(out, &scrapes);
	put_sample(out, scrapes.name, NULL, 0, a->scrapes);
}

int prom_render(struct http_body *out, const struct prom_agent *a,
		const struct prom_iface *ifs, int n,
		const struct prom_export *ex, int nex)
{
	size_t i;

	put_agent(out, a);
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		put_family(out, &families[i], ifs, n, ex, nex);
	return out->err;
}
