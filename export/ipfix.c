// SPDX-License-Identifier: GPL-2.0
/*
 * The IPFIX exporter (RFC 7011 over UDP): the templates and records as
 * bytes, a message builder, per-domain buffers with their sequence
 * numbers and template timers, and the non-blocking socket. What goes on
 * the wire and why is told in ipfix.h.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "ipfix.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define PROTO_ICMP 1
#define PROTO_ICMPV6 58
#define SET_ID_TEMPLATE 2
#define SET_ID_OPTIONS_TEMPLATE 3
/* selectorAlgorithm (RFC 5477, IANA PSAMP parameters): each frame is
 * selected with probability 1/N on its own */
#define SELECTOR_UNIFORM_PROBABILISTIC 4
/* samplingAlgorithm (NetFlow v9 terms): random */
#define SAMPLING_RANDOM 2

/* What a field of the record holds; fields[] gives its element and size. */
enum field {
	F_SRC, F_DST, F_SPORT, F_DPORT, F_ICMP, F_PROTO, F_TCP_FLAGS,
	F_DIRECTION, F_END_REASON, F_VLAN, F_INNER_VLAN, F_IN_IF, F_OUT_IF,
	F_L3_BYTES, F_L2_BYTES, F_PACKETS, F_START, F_END, F_SELECTOR,
	F_SAMPLING_INTERVAL, F_SAMPLING_ALGORITHM,
};

/*
 * The one description of both templates: element id and length of each
 * field for IPv4 and IPv6 flows, in record order. Templates and records
 * are both written from it, so they cannot disagree.
 */
static const struct field_def {
	__u8 field;
	__u16 id4, id6;		/* IANA information element ids */
	__u8 len4, len6;	/* octets */
} fields[] = {
	{ F_SRC, 8, 27, 4, 16 },	/* sourceIPv4/IPv6Address */
	{ F_DST, 12, 28, 4, 16 },	/* destinationIPv4/IPv6Address */
	{ F_SPORT, 7, 7, 2, 2 },	/* sourceTransportPort */
	{ F_DPORT, 11, 11, 2, 2 },	/* destinationTransportPort */
	{ F_ICMP, 32, 139, 2, 2 },	/* icmpTypeCodeIPv4/IPv6 */
	{ F_PROTO, 4, 4, 1, 1 },	/* protocolIdentifier */
	{ F_TCP_FLAGS, 6, 6, 1, 1 },	/* tcpControlBits, reduced size */
	{ F_DIRECTION, 61, 61, 1, 1 },	/* flowDirection */
	{ F_END_REASON, 136, 136, 1, 1 },	/* flowEndReason */
	{ F_VLAN, 58, 58, 2, 2 },	/* vlanId */
	{ F_INNER_VLAN, 245, 245, 2, 2 },	/* dot1qCustomerVlanId */
	{ F_IN_IF, 10, 10, 4, 4 },	/* ingressInterface */
	{ F_OUT_IF, 14, 14, 4, 4 },	/* egressInterface */
	{ F_L3_BYTES, 1, 1, 8, 8 },	/* octetDeltaCount */
	{ F_L2_BYTES, 352, 352, 8, 8 },	/* layer2OctetDeltaCount */
	{ F_PACKETS, 2, 2, 8, 8 },	/* packetDeltaCount */
	{ F_START, 152, 152, 8, 8 },	/* flowStartMilliseconds */
	{ F_END, 153, 153, 8, 8 },	/* flowEndMilliseconds */
	/*
	 * The rate the counts were sampled at (1: not sampled), one per
	 * record: selectorId names the selector that the options records
	 * describe (the rate N is its id), and samplingInterval(34) with
	 * samplingAlgorithm(35) say it again for collectors that read them
	 * from flow records.
	 */
	{ F_SELECTOR, 302, 302, 4, 4 },	/* selectorId, reduced size */
	{ F_SAMPLING_INTERVAL, 34, 34, 4, 4 },	/* samplingInterval */
	{ F_SAMPLING_ALGORITHM, 35, 35, 1, 1 },	/* samplingAlgorithm */
};

/*
 * The options template (IPFIX_TEMPLATE_SELECTOR): one record per
 * selector, scoped by the observation domain: selectorId (the rate N),
 * selectorAlgorithm(304) 4, uniform probabilistic (each frame on its
 * own with probability 1/N), samplingInterval(34) N, and RFC 5477's
 * samplingPacketInterval(305) 1 with samplingPacketSpace(306) N - 1.
 * What nfdump 1.7.1 needs to scale the records that name the selector
 * by N: it takes a sampling options template only with 34 and without
 * samplingAlgorithm(35), it reads no scope field, and it takes the
 * space from the last of 34 and 306 (so 306 comes after 34).
 */
static const struct option_def {
	__u16 id, len;
} selector_fields[] = {
	{ 149, 4 },	/* observationDomainId (the scope) */
	{ 302, 4 },	/* selectorId */
	{ 304, 2 },	/* selectorAlgorithm */
	{ 34, 4 },	/* samplingInterval */
	{ 305, 4 },	/* samplingPacketInterval */
	{ 306, 4 },	/* samplingPacketSpace */
};
#define NSELECTOR_FIELDS (sizeof(selector_fields) / sizeof(selector_fields[0]))
_Static_assert(IPFIX_SET_HEADER_LEN + 6 + 4 * NSELECTOR_FIELDS ==
	       IPFIX_OPTIONS_TEMPLATE_SET_LEN, "ipfix.h's options template");
_Static_assert(IPFIX_SET_HEADER_LEN + 22 == IPFIX_SELECTOR_SET_LEN,
	       "ipfix.h's selector set length");
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
_Static_assert(IPFIX_SET_HEADER_LEN + 2 * (4 + 4 * NFIELDS) ==
	       IPFIX_TEMPLATE_SET_LEN, "ipfix.h's template set length");

static __u8 *put_be(__u8 *p, __u64 v, unsigned int len)
{
	unsigned int i;

	for (i = len; i > 0; i--) {
		p[i - 1] = (__u8)v;
		v >>= 8;
	}
	return p + len;
}

static int flow_is_v6(const struct ipfix_flow *f)
{
	return f->key.ethertype == ETH_P_IPV6;
}

static __u32 flow_rate(const struct ipfix_flow *f)
{
	return f->sample_rate > 1 ? f->sample_rate : 1;
}

bool ipfix_exportable(const struct flow_key *k)
{
	return (k->flags & FLOW_F_L4) &&
	       (k->ethertype == ETH_P_IPV4 || k->ethertype == ETH_P_IPV6);
}

static size_t record_len(int v6)
{
	size_t i, len = 0;

	for (i = 0; i < NFIELDS; i++)
		len += v6 ? fields[i].len6 : fields[i].len4;
	return len;
}

/* A number field's value; addresses are copied by the caller. */
static __u64 field_value(enum field field, const struct ipfix_flow *f)
{
	const struct flow_key *k = &f->key;
	int v6 = flow_is_v6(f);
	int icmp = k->proto == (v6 ? PROTO_ICMPV6 : PROTO_ICMP);
	int egress = k->dir == FLOW_DIR_EGRESS;

	switch (field) {
	case F_SPORT:
		return icmp ? 0 : k->sport;
	case F_DPORT:
		return icmp ? 0 : k->dport;
	case F_ICMP:
		return icmp ? (__u64)(__u8)k->sport << 8 | (__u8)k->dport : 0;
	case F_PROTO:
		return k->proto;
	case F_TCP_FLAGS:
		return f->tcp_flags;
	case F_DIRECTION:
		return egress;
	case F_END_REASON:
		return f->end_reason;
	case F_VLAN:
		return k->flags & FLOW_F_VLAN ? k->vlan : 0;
	case F_INNER_VLAN:
		return k->flags & FLOW_F_INNER_VLAN ? k->inner_vlan : 0;
	case F_IN_IF:
		return egress ? 0 : f->ifindex;
	case F_OUT_IF:
		return egress ? f->ifindex : 0;
	case F_L3_BYTES:
		return f->l3_bytes;
	case F_L2_BYTES:
		return f->l2_bytes;
	case F_PACKETS:
		return f->packets;
	case F_START:
		return f->start_ms;
	case F_END:
		return f->end_ms;
	case F_SELECTOR:
	case F_SAMPLING_INTERVAL:
		return flow_rate(f);
	case F_SAMPLING_ALGORITHM:
		return flow_rate(f) > 1 ? SAMPLING_RANDOM : 0;
	default:
		return 0;
	}
}

static void encode_record(__u8 *p, const struct ipfix_flow *f)
{
	int v6 = flow_is_v6(f);
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		unsigned int len = v6 ? fields[i].len6 : fields[i].len4;

		if (fields[i].field == F_SRC || fields[i].field == F_DST) {
			memcpy(p, fields[i].field == F_SRC ? f->key.src :
			       f->key.dst, len);
			p += len;
		} else {
			p = put_be(p, field_value(fields[i].field, f), len);
		}
	}
}

size_t ipfix_encode_templates(__u8 *buf, size_t len)
{
	size_t need = IPFIX_SET_HEADER_LEN + 2 * (4 + 4 * NFIELDS);
	__u8 *p = buf;
	int v6;
	size_t i;

	if (len < need)
		return 0;
	p = put_be(p, SET_ID_TEMPLATE, 2);
	p = put_be(p, need, 2);
	for (v6 = 0; v6 <= 1; v6++) {
		p = put_be(p, v6 ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4, 2);
		p = put_be(p, NFIELDS, 2);
		for (i = 0; i < NFIELDS; i++) {
			p = put_be(p, v6 ? fields[i].id6 : fields[i].id4, 2);
			p = put_be(p, v6 ? fields[i].len6 : fields[i].len4, 2);
		}
	}
	return need;
}

size_t ipfix_encode_options_template(__u8 *buf, size_t len)
{
	__u8 *p = buf;
	size_t i;

	if (len < IPFIX_OPTIONS_TEMPLATE_SET_LEN)
		return 0;
	p = put_be(p, SET_ID_OPTIONS_TEMPLATE, 2);
	p = put_be(p, IPFIX_OPTIONS_TEMPLATE_SET_LEN, 2);
	p = put_be(p, IPFIX_TEMPLATE_SELECTOR, 2);
	p = put_be(p, NSELECTOR_FIELDS, 2);
	p = put_be(p, 1, 2);	/* scope fields: observationDomainId */
	for (i = 0; i < NSELECTOR_FIELDS; i++) {
		p = put_be(p, selector_fields[i].id, 2);
		p = put_be(p, selector_fields[i].len, 2);
	}
	return IPFIX_OPTIONS_TEMPLATE_SET_LEN;
}

/* A data set of the options template: the selector of rate N. */
static void encode_selector(__u8 *p, __u32 domain, __u32 rate)
{
	p = put_be(p, IPFIX_TEMPLATE_SELECTOR, 2);
	p = put_be(p, IPFIX_SELECTOR_SET_LEN, 2);
	p = put_be(p, domain, 4);
	p = put_be(p, rate, 4);
	p = put_be(p, SELECTOR_UNIFORM_PROBABILISTIC, 2);
	p = put_be(p, rate, 4);
	p = put_be(p, 1, 4);
	put_be(p, rate - 1, 4);
}

#define MSG_SELECTORS 8	/* selectors described per message, at most */

/*
 * A message being built in a buffer of cap octets: the header's room
 * first (written by msg_finish), then sets. len 0: not started. Each
 * message describes the selectors (rates) its records name, before the
 * first record that names one.
 */
struct msg {
	__u8 *buf;
	size_t cap;
	size_t len;
	size_t set_off;		/* the open data set's header; 0: none */
	__u16 set_id;
	__u32 records;
	__u32 options_records;	/* selector records: data records too */
	int has_templates;
	__u32 selectors[MSG_SELECTORS];
	int n_selectors;
};

static void msg_start(struct msg *m)
{
	m->len = IPFIX_HEADER_LEN;
	m->set_off = 0;
	m->records = 0;
	m->options_records = 0;
	m->has_templates = 0;
	m->n_selectors = 0;
}

static void msg_close_set(struct msg *m)
{
	if (m->set_off)
		put_be(m->buf + m->set_off + 2, m->len - m->set_off, 2);
	m->set_off = 0;
}

static int msg_add_templates(struct msg *m)
{
	size_t n;

	msg_close_set(m);
	n = ipfix_encode_templates(m->buf + m->len, m->cap - m->len);
	if (!n)
		return -ENOSPC;
	m->len += n;
	n = ipfix_encode_options_template(m->buf + m->len, m->cap - m->len);
	if (!n)
		return -ENOSPC;
	m->len += n;
	m->has_templates = 1;
	return 0;
}

/* Octets the message needs to describe the selector of rate before a
 * record: 0 when it did already, or for rate 1 (not sampled: no
 * selector record, so an export without sampling sends none). */
static size_t selector_need(const struct msg *m, __u32 rate)
{
	int i;

	if (rate <= 1)
		return 0;
	for (i = 0; i < m->n_selectors; i++)
		if (m->selectors[i] == rate)
			return 0;
	return IPFIX_SELECTOR_SET_LEN;
}

static void msg_add_selector(struct msg *m, __u32 domain, __u32 rate)
{
	msg_close_set(m);
	encode_selector(m->buf + m->len, domain, rate);
	m->len += IPFIX_SELECTOR_SET_LEN;
	m->options_records++;
	if (m->n_selectors < MSG_SELECTORS)
		m->selectors[m->n_selectors++] = rate;
	else	/* more rates than that in one message: rare, forget one */
		m->selectors[m->n_selectors - 1] = rate;
}

static int msg_add_record(struct msg *m, const struct ipfix_flow *f)
{
	__u16 id = flow_is_v6(f) ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4;
	size_t sel = selector_need(m, flow_rate(f));
	int new_set = !m->set_off || m->set_id != id || sel;
	size_t need = record_len(flow_is_v6(f)) + sel;

	if (new_set)
		need += IPFIX_SET_HEADER_LEN;
	if (m->len + need > m->cap)
		return -ENOSPC;
	if (sel)
		msg_add_selector(m, f->domain, flow_rate(f));
	if (new_set) {
		msg_close_set(m);
		m->set_off = m->len;
		m->set_id = id;
		put_be(m->buf + m->len, id, 2);
		m->len += IPFIX_SET_HEADER_LEN;
	}
	encode_record(m->buf + m->len, f);
	m->len += record_len(flow_is_v6(f));
	m->records++;
	return 0;
}

static size_t msg_finish(struct msg *m, __u32 domain, __u32 seq,
			 __u32 export_s)
{
	__u8 *p = m->buf;

	msg_close_set(m);
	p = put_be(p, IPFIX_VERSION, 2);
	p = put_be(p, m->len, 2);
	p = put_be(p, export_s, 4);
	p = put_be(p, seq, 4);
	put_be(p, domain, 4);
	return m->len;
}

size_t ipfix_encode_message(__u8 *buf, size_t len, __u32 domain, __u32 seq,
			    __u32 export_s, int with_templates,
			    const struct ipfix_flow *flows, size_t n)
{
	struct msg m = { .buf = buf, .cap = len };
	size_t i;

	if (len < IPFIX_HEADER_LEN)
		return 0;
	msg_start(&m);
	if (with_templates && msg_add_templates(&m))
		return 0;
	for (i = 0; i < n; i++)
		if (ipfix_exportable(&flows[i].key) &&
		    msg_add_record(&m, &flows[i]))
			return 0;
	return msg_finish(&m, domain, seq, export_s);
}

/* ---- the exporter ---- */

/* Template sends after the first that come a second apart. */
#define EARLY_TEMPLATE_SENDS 2

struct domain {
	__u32 id;
	__u32 seq;		/* data records of the domain before msg */
	__u64 tmpl_due_ms;	/* the templates go out from this time on */
	unsigned int tmpl_early;	/* early sends still to come */
	struct msg msg;
};

struct ipfix_exporter {
	int fd;
	unsigned int mtu;
	unsigned int refresh_s;
	int last_error;
	struct ipfix_stats stats;
	struct domain **domains;
	size_t ndomains, cap;
	struct domain *last;	/* the domain of the last record */
};

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* Splits target into host and port (ipfix.h tells the forms). */
static int parse_target(const char *target, char *host, size_t hostlen,
			char *port, size_t portlen)
{
	const char *h = target, *p = NULL, *end;
	size_t n;
	char *stop;
	unsigned long v;

	if (target[0] == '[') {
		h = target + 1;
		end = strchr(h, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		if (end[1] == ':')
			p = end + 2;
	} else {
		end = strrchr(target, ':');
		if (end && strchr(target, ':') == end)
			p = end + 1;	/* one colon: HOST:PORT */
		else
			end = target + strlen(target);	/* HOST or IPV6 */
	}
	n = (size_t)(end - h);
	if (!n || n >= hostlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	if (!p) {
		snprintf(port, portlen, "%d", IPFIX_DEFAULT_PORT);
		return 0;
	}
	errno = 0;
	v = strtoul(p, &stop, 10);
	if (!*p || *stop || errno || !v || v > 65535)
		return -EINVAL;
	snprintf(port, portlen, "%lu", v);
	return 0;
}

static int open_socket(const char *target, char *errbuf, size_t errlen)
{
	struct addrinfo hints = { 0 }, *ai;
	char host[256], port[8];
	int fd, rc;

	if (parse_target(target, host, sizeof(host), port, sizeof(port))) {
		set_err(errbuf, errlen,
			"ipfix: bad collector '%s' (HOST:PORT or [IPV6]:PORT)",
			target);
		return -EINVAL;
	}
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		set_err(errbuf, errlen, "ipfix: collector '%s': %s", target,
			gai_strerror(rc));
		return rc == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		rc = -errno;
		set_err(errbuf, errlen, "ipfix: collector '%s': %s", target,
			strerror(-rc));
		if (fd >= 0)
			close(fd);
		fd = rc;
	}
	freeaddrinfo(ai);
	return fd;
}

struct ipfix_exporter *ipfix_open(const char *target,
				  const struct ipfix_opts *o, char *errbuf,
				  size_t errlen, int *err)
{
	unsigned int mtu = o && o->mtu ? o->mtu : IPFIX_DEFAULT_MTU;
	unsigned int refresh = o && o->template_refresh_s ?
			       o->template_refresh_s : IPFIX_DEFAULT_REFRESH_S;
	struct ipfix_exporter *x;
	int fd, dummy;

	if (!err)
		err = &dummy;
	if (!target) {
		set_err(errbuf, errlen, "ipfix: no collector");
		*err = -EINVAL;
		return NULL;
	}
	if (mtu < IPFIX_MIN_MTU || mtu > IPFIX_MAX_MTU) {
		set_err(errbuf, errlen, "ipfix: mtu %u is not in %u..%u", mtu,
			IPFIX_MIN_MTU, IPFIX_MAX_MTU);
		*err = -EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		set_err(errbuf, errlen, "ipfix: out of memory");
		*err = -ENOMEM;
		return NULL;
	}
	fd = open_socket(target, errbuf, errlen);
	if (fd < 0) {
		free(x);
		*err = fd;
		return NULL;
	}
	x->fd = fd;
	x->mtu = mtu;
	x->refresh_s = refresh;
	*err = 0;
	return x;
}

static struct domain *domain_new(struct ipfix_exporter *x, __u32 id,
				 __u64 now_ms)
{
	struct domain *d, **grown;

	if (x->ndomains == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 4;

		grown = realloc(x->domains, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		x->domains = grown;
		x->cap = cap;
	}
	d = calloc(1, sizeof(*d) + x->mtu);
	if (!d)
		return NULL;
	d->id = id;
	d->tmpl_due_ms = now_ms;
	d->tmpl_early = EARLY_TEMPLATE_SENDS;
	d->msg.buf = (__u8 *)(d + 1);
	d->msg.cap = x->mtu;
	x->domains[x->ndomains++] = d;
	return d;
}

static int domain_get(struct ipfix_exporter *x, __u32 id, __u64 now_ms,
		      struct domain **out)
{
	size_t i;

	if (x->last && x->last->id == id) {
		*out = x->last;
		return 0;
	}
	for (i = 0; i < x->ndomains; i++)
		if (x->domains[i]->id == id)
			break;
	if (i < x->ndomains) {
		*out = x->domains[i];
	} else {
		if (x->ndomains >= IPFIX_MAX_DOMAINS)
			return -ENOSPC;
		*out = domain_new(x, id, now_ms);
		if (!*out)
			return -ENOMEM;
	}
	x->last = *out;
	return 0;
}

/* Due, or due further away than a refresh: the clock went back. */
static int templates_due(const struct ipfix_exporter *x,
			 const struct domain *d, __u64 now_ms)
{
	return now_ms >= d->tmpl_due_ms ||
	       d->tmpl_due_ms - now_ms > (__u64)x->refresh_s * 1000;
}

/* A new message of the domain, led by the templates when they are due. */
static void domain_begin(const struct ipfix_exporter *x, struct domain *d,
			 __u64 now_ms)
{
	msg_start(&d->msg);
	if (templates_due(x, d, now_ms))
		msg_add_templates(&d->msg);	/* fits: mtu >= MIN_MTU */
}

static void templates_sent(struct ipfix_exporter *x, struct domain *d,
			   __u64 now_ms)
{
	x->stats.templates_sent++;
	if (d->tmpl_early) {
		d->tmpl_early--;
		d->tmpl_due_ms = now_ms + 1000;
	} else {
		d->tmpl_due_ms = now_ms + (__u64)x->refresh_s * 1000;
	}
}

/*
 * Sends the domain's message, if one is started. A failed send drops it;
 * its records advance the sequence number all the same (ipfix.h).
 */
static int domain_send(struct ipfix_exporter *x, struct domain *d,
		       __u64 now_ms)
{
	struct msg *m = &d->msg;
	size_t len;
	ssize_t n;
	int rc = 0;

	if (!m->len)
		return 0;
	len = msg_finish(m, d->id, d->seq, (__u32)(now_ms / 1000));
	n = send(x->fd, m->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len) {
		x->stats.messages++;
		x->stats.records += m->records;
		x->stats.bytes += len;
		if (m->has_templates)
			templates_sent(x, d, now_ms);
	} else {
		rc = n < 0 ? -errno : -EMSGSIZE;
		x->stats.send_errors++;
		x->stats.records_lost += m->records;
		x->last_error = rc;
	}
	/*
	 * RFC 7011 3.1 counts every data record, options records too (as
	 * pmacct and Wireshark do); nfdump 1.7.1 counts flow records only,
	 * so under sampling it reports a sequence failure per selector
	 * record. Without sampling no selector record is sent.
	 */
	d->seq += m->records + m->options_records;
	m->len = 0;
	return rc;
}

int ipfix_add(struct ipfix_exporter *x, const struct ipfix_flow *f,
	      __u64 now_ms)
{
	struct domain *d;
	int rc;

	if (!x || !f)
		return -EINVAL;
	if (!ipfix_exportable(&f->key)) {
		x->stats.skipped++;
		return 0;
	}
	rc = domain_get(x, f->domain, now_ms, &d);
	if (rc)
		return rc;
	if (!d->msg.len)
		domain_begin(x, d, now_ms);
	if (msg_add_record(&d->msg, f)) {
		domain_send(x, d, now_ms);	/* failures are in stats */
		domain_begin(x, d, now_ms);
		msg_add_record(&d->msg, f);	/* fits: mtu >= MIN_MTU */
	}
	return 0;
}

int ipfix_flush(struct ipfix_exporter *x, __u64 now_ms)
{
	size_t i;
	int rc = 0, r;

	if (!x)
		return -EINVAL;
	for (i = 0; i < x->ndomains; i++) {
		r = domain_send(x, x->domains[i], now_ms);
		if (r)
			rc = r;
	}
	return rc;
}

int ipfix_tick(struct ipfix_exporter *x, __u64 now_ms)
{
	struct domain *d;
	size_t i;
	int rc = 0, r;

	if (!x)
		return -EINVAL;
	for (i = 0; i < x->ndomains; i++) {
		d = x->domains[i];
		if (!templates_due(x, d, now_ms))
			continue;
		/* Queued records first: their message may carry the
		 * templates already. */
		r = domain_send(x, d, now_ms);
		if (!r && templates_due(x, d, now_ms)) {
			domain_begin(x, d, now_ms);
			r = domain_send(x, d, now_ms);
		}
		if (r)
			rc = r;
	}
	return rc;
}

const struct ipfix_stats *ipfix_stats(const struct ipfix_exporter *x)
{
	return &x->stats;
}

int ipfix_last_error(const struct ipfix_exporter *x)
{
	return x->last_error;
}

void ipfix_close(struct ipfix_exporter *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->ndomains; i++)
		free(x->domains[i]);
	free(x->domains);
	close(x->fd);
	free(x);
}
