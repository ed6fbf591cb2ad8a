// SPDX-License-Identifier: GPL-2.0
/*
 * The IPFIX exporter (export/ipfix.h): the template set and a message
 * against bytes written out by hand from RFC 7011 and the IANA registry;
 * then the exporter against a small collector in this file that learns
 * the templates from the wire and decodes with them: MTU packing,
 * sequence numbers across messages and domains, template timing, a
 * collector that is down, non-IP flows.
 *
 * With --send HOST:PORT it is the sender of tests/test_ipfix_peers.sh:
 * one exporter, driven by commands on stdin (see sender_main()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "ipfix.h"
#include "testlib.h"

#define T0 1700000000000ULL	/* 2023-11-14 22:13:20 UTC, in ms */

/* ---- hand-checked bytes ---- */

/* Set 2 (templates), 180 octets: 256 (IPv4) and 257 (IPv6), 21 fields
 * each, as (element id, length) pairs. */
static const __u8 templates_want[] = {
	0x00, 0x02, 0x00, 0xb4,		/* set id 2, length 180 */
	0x01, 0x00, 0x00, 0x15,		/* template 256, 21 fields */
	0x00, 0x08, 0x00, 0x04,		/* 8 sourceIPv4Address */
	0x00, 0x0c, 0x00, 0x04,		/* 12 destinationIPv4Address */
	0x00, 0x07, 0x00, 0x02,		/* 7 sourceTransportPort */
	0x00, 0x0b, 0x00, 0x02,		/* 11 destinationTransportPort */
	0x00, 0x20, 0x00, 0x02,		/* 32 icmpTypeCodeIPv4 */
	0x00, 0x04, 0x00, 0x01,		/* 4 protocolIdentifier */
	0x00, 0x06, 0x00, 0x01,		/* 6 tcpControlBits (reduced) */
	0x00, 0x3d, 0x00, 0x01,		/* 61 flowDirection */
	0x00, 0x88, 0x00, 0x01,		/* 136 flowEndReason */
	0x00, 0x3a, 0x00, 0x02,		/* 58 vlanId */
	0x00, 0xf5, 0x00, 0x02,		/* 245 dot1qCustomerVlanId */
	0x00, 0x0a, 0x00, 0x04,		/* 10 ingressInterface */
	0x00, 0x0e, 0x00, 0x04,		/* 14 egressInterface */
	0x00, 0x01, 0x00, 0x08,		/* 1 octetDeltaCount */
	0x01, 0x60, 0x00, 0x08,		/* 352 layer2OctetDeltaCount */
	0x00, 0x02, 0x00, 0x08,		/* 2 packetDeltaCount */
	0x00, 0x98, 0x00, 0x08,		/* 152 flowStartMilliseconds */
	0x00, 0x99, 0x00, 0x08,		/* 153 flowEndMilliseconds */
	0x01, 0x2e, 0x00, 0x04,		/* 302 selectorId (reduced) */
	0x00, 0x22, 0x00, 0x04,		/* 34 samplingInterval */
	0x00, 0x23, 0x00, 0x01,		/* 35 samplingAlgorithm */
	0x01, 0x01, 0x00, 0x15,		/* template 257, 21 fields */
	0x00, 0x1b, 0x00, 0x10,		/* 27 sourceIPv6Address */
	0x00, 0x1c, 0x00, 0x10,		/* 28 destinationIPv6Address */
	0x00, 0x07, 0x00, 0x02,
	0x00, 0x0b, 0x00, 0x02,
	0x00, 0x8b, 0x00, 0x02,		/* 139 icmpTypeCodeIPv6 */
	0x00, 0x04, 0x00, 0x01,
	0x00, 0x06, 0x00, 0x01,
	0x00, 0x3d, 0x00, 0x01,
	0x00, 0x88, 0x00, 0x01,
	0x00, 0x3a, 0x00, 0x02,
	0x00, 0xf5, 0x00, 0x02,
	0x00, 0x0a, 0x00, 0x04,
	0x00, 0x0e, 0x00, 0x04,
	0x00, 0x01, 0x00, 0x08,
	0x01, 0x60, 0x00, 0x08,
	0x00, 0x02, 0x00, 0x08,
	0x00, 0x98, 0x00, 0x08,
	0x00, 0x99, 0x00, 0x08,
	0x01, 0x2e, 0x00, 0x04,
	0x00, 0x22, 0x00, 0x04,
	0x00, 0x23, 0x00, 0x01,
};

/* Set 3 (options templates), 34 octets: 258, the sampling selector. */
static const __u8 options_want[] = {
	0x00, 0x03, 0x00, 0x22,		/* set id 3, length 34 */
	0x01, 0x02, 0x00, 0x06,		/* template 258, 6 fields */
	0x00, 0x01,			/* 1 scope field */
	0x00, 0x95, 0x00, 0x04,		/* 149 observationDomainId */
	0x01, 0x2e, 0x00, 0x04,		/* 302 selectorId */
	0x01, 0x30, 0x00, 0x02,		/* 304 selectorAlgorithm */
	0x00, 0x22, 0x00, 0x04,		/* 34 samplingInterval */
	0x01, 0x31, 0x00, 0x04,		/* 305 samplingPacketInterval */
	0x01, 0x32, 0x00, 0x04,		/* 306 samplingPacketSpace */
};

/*
 * Domain 7, sequence 42, export time 1700000000: a TCP flow
 * 192.0.2.1:40000 -> 198.51.100.2:443 in at ifindex 3 on VLAN 100 inside
 * 200, then an ICMPv6 echo request 2001:db8::1 -> 2001:db8::2 out at
 * ifindex 5.
 */
static const __u8 message_want[] = {
	0x00, 0x0a, 0x00, 0xce,		/* version 10, length 206 */
	0x65, 0x53, 0xf1, 0x00,		/* export time 1700000000 */
	0x00, 0x00, 0x00, 0x2a,		/* sequence 42 */
	0x00, 0x00, 0x00, 0x07,		/* observation domain 7 */
	0x01, 0x00, 0x00, 0x53,		/* set 256, length 83 */
	0xc0, 0x00, 0x02, 0x01,		/* 192.0.2.1 */
	0xc6, 0x33, 0x64, 0x02,		/* 198.51.100.2 */
	0x9c, 0x40, 0x01, 0xbb,		/* ports 40000, 443 */
	0x00, 0x00,			/* icmpTypeCode 0 */
	0x06, 0x1b, 0x00, 0x03,		/* TCP, FIN SYN PSH ACK, ingress,
					 * end of flow */
	0x00, 0x64, 0x00, 0xc8,		/* VLAN 100, inner 200 */
	0x00, 0x00, 0x00, 0x03,		/* ingressInterface 3 */
	0x00, 0x00, 0x00, 0x00,		/* egressInterface 0 */
	0, 0, 0, 0, 0, 0, 0x05, 0xdc,	/* octets 1500 */
	0, 0, 0, 0, 0, 0, 0x06, 0xb8,	/* layer 2 octets 1720 */
	0, 0, 0, 0, 0, 0, 0x00, 0x0a,	/* packets 10 */
	0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,	/* start T0 */
	0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x69, 0xf4,	/* end T0 + 500 */
	0x00, 0x00, 0x00, 0x01,		/* selectorId 1 */
	0x00, 0x00, 0x00, 0x01,		/* samplingInterval 1 */
	0x00,				/* samplingAlgorithm: none */
	0x01, 0x01, 0x00, 0x6b,		/* set 257, length 107 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x00, 0x00, 0x00, 0x00,		/* ports 0 for ICMP */
	0x80, 0x00,			/* type 128, code 0 */
	0x3a, 0x00, 0x01, 0x01,		/* ICMPv6, no flags, egress,
					 * idle */
	0x00, 0x00, 0x00, 0x00,		/* no VLAN */
	0x00, 0x00, 0x00, 0x00,		/* ingressInterface 0 */
	0x00, 0x00, 0x00, 0x05,		/* egressInterface 5 */
	0, 0, 0, 0, 0, 0, 0x01, 0x38,	/* octets 312 */
	0, 0, 0, 0, 0, 0, 0x01, 0x62,	/* layer 2 octets 354 */
	0, 0, 0, 0, 0, 0, 0x00, 0x03,	/* packets 3 */
	0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x6b, 0xe8,	/* start T0 + 1000 */
	0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x6f, 0xd0,	/* end T0 + 2000 */
	0x00, 0x00, 0x00, 0x01,		/* selectorId 1 */
	0x00, 0x00, 0x00, 0x01,		/* samplingInterval 1 */
	0x00,				/* samplingAlgorithm: none */
};

static struct ipfix_flow flow_af(int af, const char *src, const char *dst,
				 __u8 proto, __u16 sport, __u16 dport)
{
	struct ipfix_flow f = { 0 };

	inet_pton(af, src, f.key.src);
	inet_pton(af, dst, f.key.dst);
	f.key.ethertype = af == AF_INET6 ? 0x86DD : 0x0800;
	f.key.proto = proto;
	f.key.sport = sport;
	f.key.dport = dport;
	f.key.flags = FLOW_F_L4 | FLOW_F_PORTS;
	return f;
}

#define flow4(...) flow_af(AF_INET, __VA_ARGS__)
#define flow6(...) flow_af(AF_INET6, __VA_ARGS__)

static void the_two_flows(struct ipfix_flow f[2])
{
	f[0] = flow4("192.0.2.1", "198.51.100.2", 6, 40000, 443);
	f[0].key.flags |= FLOW_F_VLAN | FLOW_F_INNER_VLAN;
	f[0].key.vlan = 100;
	f[0].key.inner_vlan = 200;
	f[0].key.dir = FLOW_DIR_INGRESS;
	f[0].ifindex = 3;
	f[0].domain = 7;
	f[0].packets = 10;
	f[0].l3_bytes = 1500;
	f[0].l2_bytes = 1720;
	f[0].start_ms = T0;
	f[0].end_ms = T0 + 500;
	f[0].tcp_flags = 0x1b;
	f[0].end_reason = IPFIX_END_OF_FLOW;

	f[1] = flow6("2001:db8::1", "2001:db8::2", 58, 128, 0);
	f[1].key.dir = FLOW_DIR_EGRESS;
	f[1].ifindex = 5;
	f[1].domain = 7;
	f[1].packets = 3;
	f[1].l3_bytes = 312;
	f[1].l2_bytes = 354;
	f[1].start_ms = T0 + 1000;
	f[1].end_ms = T0 + 2000;
	f[1].end_reason = IPFIX_END_IDLE;
}

static void check_bytes(const __u8 *got, size_t got_len, const __u8 *want,
			size_t want_len)
{
	size_t i;

	CHECK_EQ(got_len, want_len);
	for (i = 0; i < got_len && i < want_len; i++)
		if (got[i] != want[i]) {
			CHECK(0, "octet %zu is 0x%02x, expected 0x%02x", i,
			      got[i], want[i]);
			break;
		}
}

static __u64 get_be(const __u8 *p, unsigned int len);

static void test_encoders(void)
{
	struct ipfix_flow f[3];
	__u8 buf[512];
	size_t n;

	tl_begin("encode: template set, octet for octet");
	n = ipfix_encode_templates(buf, sizeof(buf));
	check_bytes(buf, n, templates_want, sizeof(templates_want));
	CHECK_EQ(ipfix_encode_templates(buf, sizeof(templates_want) - 1), 0);
	n = ipfix_encode_options_template(buf, sizeof(buf));
	check_bytes(buf, n, options_want, sizeof(options_want));
	tl_end();

	tl_begin("encode: a message with an IPv4 and an IPv6 record, octet "
		 "for octet");
	the_two_flows(f);
	n = ipfix_encode_message(buf, sizeof(buf), 7, 42, 1700000000, 0, f, 2);
	check_bytes(buf, n, message_want, sizeof(message_want));
	tl_end();

	tl_begin("encode: templates lead; non-IP left out; too small is 0");
	f[2] = f[0];
	f[2].key.ethertype = 0x0806;	/* ARP */
	n = ipfix_encode_message(buf, sizeof(buf), 7, 42, 1700000000, 1, f, 3);
	CHECK_EQ(n, sizeof(message_want) + sizeof(templates_want) +
		    sizeof(options_want));
	CHECK_EQ(buf[2] << 8 | buf[3], n);
	CHECK(!memcmp(buf + 16, templates_want, sizeof(templates_want)),
	      "templates after the header");
	CHECK(!memcmp(buf + 16 + sizeof(templates_want), options_want,
		      sizeof(options_want)), "then the options template");
	CHECK(!memcmp(buf + 16 + sizeof(templates_want) + sizeof(options_want),
		      message_want + 16, sizeof(message_want) - 16),
	      "then the records");
	CHECK_EQ(ipfix_encode_message(buf, sizeof(message_want) - 1, 7, 42,
				      1700000000, 0, f, 2), 0);
	tl_end();

	tl_begin("encode: a sampled record names its rate; its selector "
		 "comes before its first record, once a message; rate 1 has "
		 "none");
	the_two_flows(f);
	f[0].sample_rate = 10;
	f[2] = f[0];
	n = ipfix_encode_message(buf, sizeof(buf), 7, 42, 1700000000, 0, f, 3);
	/* selector 10, set 256 (f0), set 257 (f1), set 256 (f2) */
	CHECK_EQ(n, 16 + IPFIX_SELECTOR_SET_LEN +
		    3 * IPFIX_SET_HEADER_LEN + 2 * IPFIX_RECORD_V4_LEN +
		    IPFIX_RECORD_V6_LEN);
	CHECK_EQ(get_be(buf + 16, 2), IPFIX_TEMPLATE_SELECTOR);
	CHECK_EQ(get_be(buf + 16 + 8, 4), 10);		/* selectorId */
	CHECK_EQ(get_be(buf + 16 + 14, 4), 10);		/* samplingInterval */
	CHECK_EQ(get_be(buf + 16 + 18, 4), 1);		/* packet interval */
	CHECK_EQ(get_be(buf + 16 + 22, 4), 9);		/* packet space */
	/* the record's last 9 octets: selectorId, interval, random (2) */
	CHECK_EQ(get_be(buf + 16 + IPFIX_SELECTOR_SET_LEN + 4 +
			IPFIX_RECORD_V4_LEN - 9, 4), 10);
	CHECK_EQ(buf[16 + IPFIX_SELECTOR_SET_LEN + 4 + IPFIX_RECORD_V4_LEN - 1],
		 2);
	tl_end();
}

/* ---- a small collector: learns templates, decodes with them ---- */

#define MAX_IE 360
#define MAX_TMPL 8
#define MAX_MSGS 512
#define MAX_RECS 4096

struct rx_tmpl {
	__u32 domain;
	__u16 id, n;
	__u16 ie[32], len[32];
};

struct rx_msg {
	size_t len;
	__u32 domain, seq, export_s;
	int templates;		/* template sets in it */
	int template_first;	/* the first set is a template set */
	int records;
	int sets_of_data;
	__u16 last_tid;		/* the template of the last data set */
};

struct rx_rec {
	__u32 domain;
	__u16 tid;
	int msg;
	__u64 v[MAX_IE];	/* number elements by id */
	__u8 src[16], dst[16];
};

struct rx {
	int fd;
	struct rx_tmpl t[MAX_TMPL];
	int nt;
	struct rx_msg m[MAX_MSGS];
	int nm;
	struct rx_rec *r;
	int nr;
	int malformed;
	int unknown_template;
	int options_templates;	/* set 3 seen */
	int selectors;		/* selector records seen */
};

static __u64 get_be(const __u8 *p, unsigned int len)
{
	__u64 v = 0;

	while (len--)
		v = v << 8 | *p++;
	return v;
}

static struct rx_tmpl *rx_find(struct rx *c, __u32 domain, __u16 id)
{
	int i;

	for (i = 0; i < c->nt; i++)
		if (c->t[i].domain == domain && c->t[i].id == id)
			return &c->t[i];
	return NULL;
}

static void rx_templates(struct rx *c, __u32 domain, const __u8 *p,
			 size_t len)
{
	while (len >= 4) {
		__u16 id = get_be(p, 2), n = get_be(p + 2, 2), i;
		struct rx_tmpl *t = rx_find(c, domain, id);

		if (len < 4 + 4u * n || n > 32 || (!t && c->nt == MAX_TMPL)) {
			c->malformed++;
			return;
		}
		if (!t)
			t = &c->t[c->nt++];
		t->domain = domain;
		t->id = id;
		t->n = n;
		for (i = 0; i < n; i++) {
			t->ie[i] = get_be(p + 4 + 4 * i, 2);
			t->len[i] = get_be(p + 6 + 4 * i, 2);
		}
		p += 4 + 4 * n;
		len -= 4 + 4 * n;
	}
	if (len)
		c->malformed++;
}

static void rx_data(struct rx *c, struct rx_msg *m, __u16 id, const __u8 *p,
		    size_t len)
{
	struct rx_tmpl *t = rx_find(c, m->domain, id);
	size_t rlen = 0;
	int i;

	if (!t) {
		c->unknown_template++;
		return;
	}
	for (i = 0; i < t->n; i++)
		rlen += t->len[i];
	if (!rlen || len % rlen) {
		c->malformed++;
		return;
	}
	for (; len; len -= rlen, p += rlen) {
		struct rx_rec *r;

		if (c->nr == MAX_RECS) {
			c->malformed++;
			return;
		}
		r = &c->r[c->nr++];
		memset(r, 0, sizeof(*r));
		r->domain = m->domain;
		r->tid = id;
		r->msg = c->nm;
		for (i = 0; i < t->n; i++) {
			const __u8 *f = p;
			int k;

			for (k = 0; k < i; k++)
				f += t->len[k];
			if (t->ie[i] == 8 || t->ie[i] == 27)
				memcpy(r->src, f, t->len[i]);
			else if (t->ie[i] == 12 || t->ie[i] == 28)
				memcpy(r->dst, f, t->len[i]);
			else if (t->ie[i] < MAX_IE && t->len[i] <= 8)
				r->v[t->ie[i]] = get_be(f, t->len[i]);
		}
		m->records++;
	}
}

static void rx_message(struct rx *c, const __u8 *p, size_t len)
{
	struct rx_msg *m;
	size_t off = 16;

	if (c->nm == MAX_MSGS || len < 16 || get_be(p, 2) != 10 ||
	    get_be(p + 2, 2) != len) {
		c->malformed++;
		return;
	}
	m = &c->m[c->nm];
	memset(m, 0, sizeof(*m));
	m->len = len;
	m->export_s = get_be(p + 4, 4);
	m->seq = get_be(p + 8, 4);
	m->domain = get_be(p + 12, 4);
	while (off < len) {
		__u16 id, slen;

		if (len - off < 4) {
			c->malformed++;
			break;
		}
		id = get_be(p + off, 2);
		slen = get_be(p + off + 2, 2);
		if (slen < 4 || slen > len - off) {
			c->malformed++;
			break;
		}
		if (id == 3) {
			c->options_templates++;
		} else if (id == IPFIX_TEMPLATE_SELECTOR) {
			/* as data of a template not yet seen, if so */
			if (!c->options_templates)
				c->unknown_template++;
			else if ((slen - 4) % (IPFIX_SELECTOR_SET_LEN - 4))
				c->malformed++;
			c->selectors += (slen - 4) /
					(IPFIX_SELECTOR_SET_LEN - 4);
		} else if (id == 2) {
			m->templates++;
			if (off == 16)
				m->template_first = 1;
			rx_templates(c, m->domain, p + off + 4, slen - 4);
		} else if (id >= 256) {
			m->sets_of_data++;
			m->last_tid = id;
			rx_data(c, m, id, p + off + 4, slen - 4);
		} else {
			c->malformed++;
		}
		off += slen;
	}
	c->nm++;
}

/* Twice is fine: rx_open closes what it opened when it fails. */
static void rx_close(struct rx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->r);
	c->r = NULL;
}

static int rx_open(struct rx *c, char *target, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int size = 4 << 20;

	memset(c, 0, sizeof(*c));
	c->r = calloc(MAX_RECS, sizeof(*c->r));
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd >= 0)	/* a bigger buffer where allowed */
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!c->r || c->fd < 0 ||
	    bind(c->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(c->fd, (struct sockaddr *)&a, &alen)) {
		rx_close(c);
		return -1;
	}
	snprintf(target, len, "127.0.0.1:%u", ntohs(a.sin_port));
	return 0;
}

/* Everything that arrived: loopback delivers within send(). */
static void rx_drain(struct rx *c)
{
	__u8 buf[65536];
	ssize_t n;

	while ((n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
		rx_message(c, buf, (size_t)n);
}

static struct ipfix_exporter *open_to(const char *target, unsigned int mtu,
				      unsigned int refresh_s)
{
	struct ipfix_opts o = { .mtu = mtu, .template_refresh_s = refresh_s };
	struct ipfix_exporter *x;
	char err[256] = "";
	int rc;

	x = ipfix_open(target, &o, err, sizeof(err), &rc);
	CHECK(x && !rc, "ipfix_open %s: %d %s", target, rc, err);
	return x;
}

/* ---- the exporter ---- */

/* Flow i of the packing test: a family and domain by i, a unique count. */
static struct ipfix_flow packing_flow(int i)
{
	struct ipfix_flow f;

	if (i % 3 == 2)
		f = flow6("2001:db8::10", "2001:db8::20", 17, 1000 + i, 53);
	else
		f = flow4("192.0.2.10", "198.51.100.20", 17, 1000 + i, 53);
	f.domain = 100 + (i % 5 == 4 ? 2 : i % 2);
	f.packets = 1000 + i;
	f.l3_bytes = 100000 + i;
	f.l2_bytes = 200000 + i;
	f.start_ms = T0;
	f.end_ms = T0 + i;
	return f;
}

/* Octets the first record of message j would have needed in m. */
static size_t next_need(const struct rx *c, const struct rx_msg *m, int j)
{
	int k;

	for (k = 0; k < c->nr && c->r[k].msg != j; k++)
		;
	if (k == c->nr)
		return 0;
	return (c->r[k].tid == 257 ? IPFIX_RECORD_V6_LEN :
		IPFIX_RECORD_V4_LEN) +
	       (c->r[k].tid == m->last_tid ? 0 : IPFIX_SET_HEADER_LEN);
}

static void test_packing(void)
{
	const unsigned int mtu = 700;
	const int nflows = 300;
	struct ipfix_exporter *x;
	__u32 seen[3] = { 0 };
	char target[64];
	struct rx c;
	int i, j;

	tl_begin("exporter: messages up to the mtu, records in order, "
		 "sequence numbers per domain");
	if (rx_open(&c, target, sizeof(target))) {
		CHECK(0, "receiver: %s", strerror(errno));
		tl_end();
		return;
	}
	x = open_to(target, mtu, 60);
	if (!x) {
		rx_close(&c);
		tl_end();
		return;
	}
	for (i = 0; i < nflows; i++) {
		struct ipfix_flow f = packing_flow(i);

		CHECK_EQ(ipfix_add(x, &f, T0 + 10), 0);
	}
	CHECK_EQ(ipfix_flush(x, T0 + 10), 0);
	rx_drain(&c);
	CHECK_EQ(c.malformed, 0);
	CHECK_EQ(c.unknown_template, 0);
	CHECK_EQ(c.nr, nflows);
	CHECK_EQ(ipfix_stats(x)->records, nflows);
	CHECK_EQ(ipfix_stats(x)->messages, c.nm);
	CHECK_EQ(ipfix_stats(x)->templates_sent, 3);
	CHECK_EQ(ipfix_stats(x)->send_errors, 0);
	/* Records arrive in the order added within each domain, each with
	 * its own values. */
	for (j = 0, i = 0; i < nflows && j < c.nr; i++) {
		struct ipfix_flow f = packing_flow(i);
		int k;

		for (k = 0; k < c.nr; k++)
			if (c.r[k].v[2] == f.packets)
				break;
		CHECK(k < c.nr, "flow %d arrived", i);
		if (k == c.nr)
			continue;
		CHECK_EQ(c.r[k].domain, f.domain);
		CHECK_EQ(c.r[k].tid, i % 3 == 2 ? 257 : 256);
		CHECK_EQ(c.r[k].v[1], f.l3_bytes);
		CHECK_EQ(c.r[k].v[352], f.l2_bytes);
		CHECK_EQ(c.r[k].v[7], f.key.sport);
		CHECK_EQ(c.r[k].v[153], f.end_ms);
		CHECK(!memcmp(c.r[k].src, f.key.src, i % 3 == 2 ? 16 : 4),
		      "flow %d source", i);
		j++;
	}
	/* Every message: within the mtu; the sequence number counts the
	 * domain's records before it; the domain's first message leads with
	 * the templates; a message was sent only when the next record of
	 * its domain would not fit (all but the last of each domain are
	 * full). */
	for (i = 0; i < c.nm; i++) {
		struct rx_msg *m = &c.m[i];
		int d = m->domain - 100;

		CHECK(m->len <= mtu, "message %d is %zu octets", i, m->len);
		CHECK(d >= 0 && d < 3, "domain %u", m->domain);
		if (d < 0 || d >= 3)
			continue;
		CHECK(m->seq == seen[d], "message %d of domain %u: sequence "
		      "%u, expected %u", i, m->domain, m->seq, seen[d]);
		if (!seen[d])
			CHECK(m->template_first, "domain %u's first message "
			      "has no templates first", m->domain);
		else
			CHECK(!m->templates, "message %d repeats templates", i);
		seen[d] += m->records;
		for (j = i + 1; j < c.nm; j++)
			if (c.m[j].domain == m->domain)
				break;
		if (j < c.nm)
			CHECK(m->len + next_need(&c, m, j) > mtu,
			      "message %d sent at %zu octets", i, m->len);
	}
	CHECK_EQ(seen[0] + seen[1] + seen[2], nflows);
	CHECK(c.nm >= 3 * 2, "%d messages", c.nm);
	ipfix_close(x);
	rx_close(&c);
	tl_end();
}

/* Sends one record of domain d at t, flushes; returns the messages. */
static int add_flush(struct ipfix_exporter *x, struct rx *c, __u32 d,
		     __u64 t)
{
	struct ipfix_flow f = flow4("192.0.2.1", "192.0.2.2", 6, 1, 2);
	int before = c->nm;

	f.domain = d;
	f.packets = t;
	ipfix_add(x, &f, t);
	ipfix_flush(x, t);
	rx_drain(c);
	return c->nm - before;
}

static int tick_at(struct ipfix_exporter *x, struct rx *c, __u64 t)
{
	int before = c->nm;

	ipfix_tick(x, t);
	rx_drain(c);
	return c->nm - before;
}

static void test_template_timing(void)
{
	struct ipfix_exporter *x;
	struct rx_msg *m;
	char target[64];
	struct rx c;
	__u64 t;

	tl_begin("templates: with the first data, at +1 s and +2 s, then "
		 "every refresh; a new domain at once; the clock going back");
	if (rx_open(&c, target, sizeof(target)) ||
	    !(x = open_to(target, 0, 10))) {
		CHECK(0, "setup");
		rx_close(&c);
		tl_end();
		return;
	}
	CHECK_EQ(add_flush(x, &c, 1, T0), 1);
	CHECK(c.m[0].template_first && c.m[0].records == 1, "first message");
	CHECK_EQ(tick_at(x, &c, T0 + 999), 0);
	CHECK_EQ(tick_at(x, &c, T0 + 1000), 1);
	m = &c.m[c.nm - 1];
	CHECK(m->templates == 1 && m->records == 0 && m->seq == 1,
	      "second: templates %d records %d seq %u", m->templates,
	      m->records, m->seq);
	/* Due at +2 s: a message started then carries them, no extra one. */
	CHECK_EQ(add_flush(x, &c, 1, T0 + 2000), 1);
	m = &c.m[c.nm - 1];
	CHECK(m->template_first && m->records == 1 && m->seq == 1,
	      "third: templates %d records %d seq %u", m->templates,
	      m->records, m->seq);
	CHECK_EQ(tick_at(x, &c, T0 + 2000), 0);
	for (t = T0 + 3000; t < T0 + 12000; t += 1000)
		CHECK(tick_at(x, &c, t) == 0, "templates at +%llu ms",
		      (unsigned long long)(t - T0));
	/* A domain seen first now: templates lead its first message while
	 * domain 1's are not due. */
	CHECK_EQ(add_flush(x, &c, 2, T0 + 11000), 1);
	m = &c.m[c.nm - 1];
	CHECK(m->domain == 2 && m->template_first && m->seq == 0,
	      "new domain: %u templates %d seq %u", m->domain,
	      m->template_first, m->seq);
	CHECK_EQ(add_flush(x, &c, 1, T0 + 11500), 1);
	CHECK(!c.m[c.nm - 1].templates, "domain 1 not due");
	/* Refresh at +12 s (10 s after the third): queued records go
	 * first, then the templates alone (domain 2 is at its +1 s). */
	{
		struct ipfix_flow f = flow4("192.0.2.1", "192.0.2.2", 6, 1, 2);
		int i, found = 0;

		f.domain = 1;
		ipfix_add(x, &f, T0 + 11800);
		CHECK_EQ(tick_at(x, &c, T0 + 12000), 3);
		for (i = c.nm - 3; i < c.nm; i++) {
			m = &c.m[i];
			if (m->domain == 1 && m->records == 1)
				CHECK(!m->templates && m->seq == 3 && !found,
				      "queued record first");
			if (m->domain == 1 && !m->records) {
				CHECK(m->templates && m->seq == 4,
				      "refresh: seq %u", m->seq);
				found = 1;
			}
			if (m->domain == 2)
				CHECK(m->templates && !m->records &&
				      m->seq == 1, "domain 2 at +1 s");
		}
		CHECK(found, "domain 1 refresh");
	}
	CHECK_EQ(tick_at(x, &c, T0 + 12999), 0);
	CHECK_EQ(tick_at(x, &c, T0 + 21999), 1);	/* domain 2's third */
	CHECK_EQ(tick_at(x, &c, T0 + 22000), 1);	/* domain 1 again */
	/* The clock goes back an hour: due now, not in an hour. */
	CHECK_EQ(tick_at(x, &c, T0 - 3600000), 2);
	CHECK_EQ(tick_at(x, &c, T0 - 3600000 + 9999), 0);
	CHECK_EQ(c.malformed, 0);
	CHECK_EQ(c.unknown_template, 0);
	CHECK_EQ(ipfix_stats(x)->templates_sent, 10);
	ipfix_close(x);
	rx_close(&c);
	tl_end();
}

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_collector_down(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct ipfix_exporter *x;
	const struct ipfix_stats *s;
	__u64 t, slowest = 0;
	char target[64];
	struct rx c;
	int i, fd;

	tl_begin("collector down: sends never block, errors counted, "
		 "records lost still count in the sequence; resumes");
	if (rx_open(&c, target, sizeof(target))) {
		CHECK(0, "setup");
		tl_end();
		return;
	}
	/* The port is closed: every other send gets ECONNREFUSED back. */
	close(c.fd);
	c.fd = -1;
	x = open_to(target, 0, 60);
	if (!x) {
		rx_close(&c);
		tl_end();
		return;
	}
	for (i = 0; i < 40; i++) {
		struct ipfix_flow f = flow4("192.0.2.1", "192.0.2.2", 6, 1, 2);

		f.domain = 9;
		t = mono_ms();
		ipfix_add(x, &f, T0 + i);
		ipfix_flush(x, T0 + i);
		ipfix_tick(x, T0 + i);
		t = mono_ms() - t;
		if (t > slowest)
			slowest = t;
	}
	s = ipfix_stats(x);
	CHECK(slowest < 100, "a send took %llu ms",
	      (unsigned long long)slowest);
	CHECK(s->send_errors >= 10, "send_errors %llu",
	      (unsigned long long)s->send_errors);
	CHECK_EQ(s->records + s->records_lost, 40);
	CHECK_EQ(ipfix_last_error(x), -ECONNREFUSED);
	/* The collector is back on the same port. */
	c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(atoi(strchr(target, ':') + 1));
	fd = bind(c.fd, (struct sockaddr *)&a, sizeof(a));
	CHECK(fd == 0, "rebind: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		struct ipfix_flow f = flow4("192.0.2.1", "192.0.2.2", 6, 1, 2);

		f.domain = 9;
		ipfix_add(x, &f, T0 + 100);
		CHECK_EQ(ipfix_flush(x, T0 + 100), 0);
	}
	rx_drain(&c);
	CHECK_EQ(c.nm, 3);
	CHECK(c.nm == 3 && c.m[0].seq == 40 && c.m[2].seq == 42,
	      "sequence after the outage: %u", c.nm ? c.m[0].seq : 0);
	CHECK_EQ(c.malformed, 0);
	ipfix_close(x);
	rx_close(&c);
	tl_end();
}

static void test_non_ip(void)
{
	struct ipfix_exporter *x;
	struct ipfix_flow f;
	char target[64];
	struct rx c;

	tl_begin("non-IP flows are skipped, counted, never sent");
	if (rx_open(&c, target, sizeof(target)) ||
	    !(x = open_to(target, 0, 60))) {
		CHECK(0, "setup");
		rx_close(&c);
		tl_end();
		return;
	}
	f = flow4("192.0.2.1", "192.0.2.2", 0, 0, 0);
	f.key.ethertype = 0x0806;
	f.key.flags = 0;
	f.domain = 3;
	CHECK_EQ(ipfix_add(x, &f, T0), 0);
	f.key.ethertype = 0x88cc;	/* LLDP */
	CHECK_EQ(ipfix_add(x, &f, T0), 0);
	f.key.ethertype = 0x0800;	/* IPv4 cut short: no addresses */
	CHECK_EQ(ipfix_add(x, &f, T0), 0);
	CHECK_EQ(ipfix_flush(x, T0), 0);
	CHECK_EQ(ipfix_tick(x, T0 + 5000), 0);
	rx_drain(&c);
	CHECK_EQ(c.nm, 0);
	CHECK_EQ(ipfix_stats(x)->skipped, 3);
	CHECK_EQ(ipfix_stats(x)->records, 0);
	ipfix_close(x);
	rx_close(&c);
	tl_end();
}

static void test_open(void)
{
	static const char *const good[] = {
		"127.0.0.1:4739", "127.0.0.1", "[::1]:9995", "[::1]", "::1",
		"localhost:2055",
	};
	static const char *const bad[] = {
		"127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "[::1",
		"[::1]x", ":4739", "", "127.0.0.1:12ab",
	};
	struct ipfix_opts o = { 0 };
	struct ipfix_exporter *x;
	char err[256];
	size_t i;
	int rc;

	tl_begin("open: collector forms, bad ones and bad mtus refused with "
		 "a message");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		x = ipfix_open(good[i], NULL, err, sizeof(err), &rc);
		CHECK(x && !rc, "%s: %d %s", good[i], rc, err);
		ipfix_close(x);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		x = ipfix_open(bad[i], NULL, err, sizeof(err), &rc);
		CHECK(!x && rc == -EINVAL && strstr(err, "ipfix:"),
		      "'%s': %d '%s'", bad[i], rc, err);
		ipfix_close(x);
	}
	o.mtu = IPFIX_MIN_MTU - 1;
	x = ipfix_open("127.0.0.1", &o, err, sizeof(err), &rc);
	CHECK(!x && rc == -EINVAL && strstr(err, "mtu"), "mtu %u", o.mtu);
	o.mtu = IPFIX_MAX_MTU + 1;
	x = ipfix_open("127.0.0.1", &o, err, sizeof(err), &rc);
	CHECK(!x && rc == -EINVAL, "mtu %u", o.mtu);
	o.mtu = IPFIX_MIN_MTU;
	x = ipfix_open("127.0.0.1", &o, err, sizeof(err), &rc);
	CHECK(x && !rc, "mtu %u: %s", o.mtu, err);
	ipfix_close(x);
	tl_end();
}

/* ---- --send: the sender of the collector tests ---- */

static __u64 wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The number keys of an "add" line: where each goes in the flow. */
#define ADD_KEY(n, member, flag)                                           \
	{ n, offsetof(struct ipfix_flow, member),                          \
	  sizeof(((struct ipfix_flow *)0)->member), flag }
static const struct add_key {
	const char *name;
	size_t off, size;
	__u8 flag;		/* key flag the value sets */
} add_keys[] = {
	ADD_KEY("dom", domain, 0), ADD_KEY("if", ifindex, 0),
	ADD_KEY("proto", key.proto, 0), ADD_KEY("sport", key.sport, 0),
	ADD_KEY("dport", key.dport, 0),
	ADD_KEY("vlan", key.vlan, FLOW_F_VLAN),
	ADD_KEY("inner", key.inner_vlan, FLOW_F_INNER_VLAN),
	ADD_KEY("pkts", packets, 0), ADD_KEY("bytes", l3_bytes, 0),
	ADD_KEY("l2bytes", l2_bytes, 0), ADD_KEY("flags", tcp_flags, 0),
	ADD_KEY("reason", end_reason, 0), ADD_KEY("eth", key.ethertype, 0),
	ADD_KEY("start", start_ms, 0), ADD_KEY("end", end_ms, 0),
};

static int set_number(struct ipfix_flow *f, const char *name, const char *v)
{
	unsigned long long n = strtoull(v, NULL, 0);
	__u8 *p = (__u8 *)f;
	size_t i;

	for (i = 0; i < sizeof(add_keys) / sizeof(add_keys[0]); i++) {
		const struct add_key *k = &add_keys[i];

		if (strcmp(name, k->name))
			continue;
		if (k->size == 1)
			p[k->off] = (__u8)n;
		else if (k->size == 2)
			*(__u16 *)(p + k->off) = (__u16)n;
		else if (k->size == 4)
			*(__u32 *)(p + k->off) = (__u32)n;
		else
			*(__u64 *)(p + k->off) = n;
		f->key.flags |= k->flag;
		return 0;
	}
	return -1;
}

/*
 * One "add" line: key=value words, the numbers of add_keys[] and
 * src, dst (the family comes from them; eth=0x0806 then makes a non-IP
 * flow) and dir (in or out). Times default to now - 1 s .. now.
 */
static int parse_add(char *line, struct ipfix_flow *f, __u64 now)
{
	char *w, *v, *save = NULL;

	memset(f, 0, sizeof(*f));
	f->start_ms = now - 1000;
	f->end_ms = now;
	f->key.flags = FLOW_F_L4 | FLOW_F_PORTS;
	for (w = strtok_r(line, " \t\n", &save); w;
	     w = strtok_r(NULL, " \t\n", &save)) {
		v = strchr(w, '=');
		if (!v)
			return -1;
		*v++ = '\0';
		if (!strcmp(w, "src") || !strcmp(w, "dst")) {
			__u8 *a = w[0] == 's' ? f->key.src : f->key.dst;

			if (inet_pton(AF_INET, v, a) == 1)
				f->key.ethertype = 0x0800;
			else if (inet_pton(AF_INET6, v, a) == 1)
				f->key.ethertype = 0x86DD;
			else
				return -1;
		} else if (!strcmp(w, "dir")) {
			f->key.dir = !strcmp(v, "out") ? FLOW_DIR_EGRESS :
				     FLOW_DIR_INGRESS;
		} else if (set_number(f, w, v)) {
			return -1;
		}
	}
	return 0;
}

static void print_stats(const struct ipfix_exporter *x)
{
	const struct ipfix_stats *s = ipfix_stats(x);

	printf("ok messages=%llu records=%llu templates=%llu errors=%llu "
	       "bytes=%llu lost=%llu skipped=%llu\n",
	       (unsigned long long)s->messages, (unsigned long long)s->records,
	       (unsigned long long)s->templates_sent,
	       (unsigned long long)s->send_errors,
	       (unsigned long long)s->bytes,
	       (unsigned long long)s->records_lost,
	       (unsigned long long)s->skipped);
}

/* Ticks every 50 ms until a template set more has gone out. */
static int wait_templates(struct ipfix_exporter *x, unsigned int secs)
{
	__u64 before = ipfix_stats(x)->templates_sent;
	__u64 end = wall_ms() + secs * 1000ULL;
	struct timespec pause = { 0, 50 * 1000000 };

	while (wall_ms() < end) {
		ipfix_tick(x, wall_ms());
		if (ipfix_stats(x)->templates_sent > before)
			return 0;
		nanosleep(&pause, NULL);
	}
	return -ETIMEDOUT;
}

/*
 * Commands, one a line, each answered by one line ("ok ..." or
 * "err ..."): add KEY=VALUE..., flush, tick, wait-templates SECONDS,
 * stats, quit. The clock is the wall clock.
 */
static int sender_main(const char *target, unsigned int mtu,
		       unsigned int refresh_s)
{
	struct ipfix_opts o = { .mtu = mtu, .template_refresh_s = refresh_s };
	struct ipfix_exporter *x;
	char line[1024], err[256];
	struct ipfix_flow f;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	x = ipfix_open(target, &o, err, sizeof(err), &rc);
	if (!x) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "add ", 4)) {
			if (parse_add(line + 4, &f, wall_ms()))
				printf("err bad add\n");
			else
				printf("ok add %d\n",
				       ipfix_add(x, &f, wall_ms()));
		} else if (!strcmp(line, "flush\n")) {
			printf("ok flush %d\n", ipfix_flush(x, wall_ms()));
		} else if (!strcmp(line, "tick\n")) {
			printf("ok tick %d\n", ipfix_tick(x, wall_ms()));
		} else if (!strncmp(line, "wait-templates ", 15)) {
			rc = wait_templates(x, atoi(line + 15));
			printf(rc ? "err timeout\n" : "ok templates\n");
		} else if (!strcmp(line, "stats\n")) {
			print_stats(x);
		} else if (!strcmp(line, "quit\n")) {
			break;
		} else {
			printf("err unknown command\n");
		}
	}
	ipfix_close(x);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--send"))
		return sender_main(argv[2], argc > 3 ? atoi(argv[3]) : 0,
				   argc > 4 ? atoi(argv[4]) : 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_encoders();
	test_packing();
	test_template_timing();
	test_collector_down();
	test_non_ip();
	test_open();
	return tl_exit();
}
