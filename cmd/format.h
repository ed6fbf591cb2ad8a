/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Formatters over snapshots: the dump and watch reports as plain text,
 * JSON and CSV (one writer per form, the same fields in each), and the
 * small text helpers (addresses, protocols, TCP flags, counts) that the
 * live view shares.
 */
#ifndef FLOWSTAT_FORMAT_H
#define FLOWSTAT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "json.h"
#include "snapshot.h"

enum out_format { OUT_TEXT, OUT_JSON, OUT_CSV };

#define ADDR_TEXT_LEN 48	/* "[v6 address]:port" fits */
#define FLAGS_TEXT_LEN 9

/* "tcp", "udp", ... or the number; "-" when the key has no protocol. */
const char *proto_text(const struct flow_key *k, char *buf, size_t len);
/* "ipv4", "ipv6", "arp", ... or "0x88cc". */
const char *ethertype_text(__u16 ethertype, char *buf, size_t len);
/* The source (dst false) or destination address; false if the key has none. */
bool addr_text(const struct flow_key *k, bool dst, char *buf, size_t len);
/* Address with ":port" (IPv6 in brackets) when the key has ports. */
const char *endpoint_text(const struct flow_key *k, bool dst, char *buf,
			  size_t len);
/* TCP flags as letters FSRPAUEC ('.' for a clear bit); "" if none set. */
const char *tcp_flags_text(__u8 flags, char *buf);
const char *dir_text(int dir);		/* "ingress" / "egress" */
/* Short SI form for people: 999 -> "999", 1234 -> "1.2k", 45678901 -> "46M". */
const char *count_text(double v, char *buf, size_t len);

/* One dump report (interfaces then flows). 0 or -EIO. */
int format_dump(FILE *out, const struct snapshot *s, enum out_format fmt);
/* The kernel's own rx/tx counters of an interface as a JSON value (null
 * when they could not be read); dump and status print the same object. */
void format_kernel_json(struct json_writer *jw, const struct iface_rec *ir);
/*
 * One watch record: interfaces with their deltas since the previous
 * snapshot, and the flows whose counts moved (flows that ended say so).
 * header: the first record of a CSV stream prints the column names.
 * 0 or -EIO.
 */
int format_watch(FILE *out, const struct snapshot *s, enum out_format fmt,
		 bool header);

/*
 * An interface's security signals (core/signals.h) as a JSON value (null
 * when its sketches could not be read): the window, each signal's value
 * and top suspect, the thresholds and the alerts they raise.
 */
void format_signals_json(struct json_writer *jw, const struct snapshot *s,
			 int iface, const struct sig_thresholds *th);
/* The same as text lines, each starting with indent. */
void format_signals_text(FILE *out, const struct snapshot *s, int iface,
			 const struct sig_thresholds *th, const char *indent);

#endif /* FLOWSTAT_FORMAT_H */
