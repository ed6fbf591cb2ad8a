// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing of flow descriptions. Every field is checked here, so that the
 * frame builder and the sender can trust a flow_spec; the first bad field
 * is named in the error, which main reports as a usage error (exit 2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <linux/if_ether.h>

#include "spec.h"
#include "text.h"

#define ETH_P_FLOWGEN 0x88b5	/* IEEE local experimental: default raw */

struct spec_parser {
	struct flow_spec *spec;
	unsigned int seen;	/* bit per field in spec_fields */
	char *err;
	size_t err_len;
	const char *key;
};

typedef int (*field_fn)(struct spec_parser *p, const char *val);

struct spec_field {
	const char *key;
	field_fn parse;
};

static void say_why(struct spec_parser *p, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->err_len, "%s: %s", p->key, why);
	text_printable(p->err);
}

/*
 * -EINVAL in plain sight at each call: the static analyzer does not
 * follow variadic calls, so a function returning it looked like it
 * might return 0 and leave a parsed value unset.
 */
#define bad(p, ...) (say_why(p, __VA_ARGS__), -EINVAL)

static int parse_uint(struct spec_parser *p, const char *val, __u64 max,
		      __u64 *out)
{
	unsigned long long v;
	char *end;

	if (!*val || *val == '-')
		return bad(p, "'%s' is not a number", val);
	errno = 0;
	v = strtoull(val, &end, 0);
	if (errno || *end)
		return bad(p, "'%s' is not a number", val);
	if (v > max)
		return bad(p, "%s is out of range (at most %llu)", val,
			   (unsigned long long)max);
	*out = v;
	return 0;
}

#define PARSE_INTO(p, val, max, field)                                  \
	({                                                              \
		__u64 _v;                                               \
		int _err = parse_uint(p, val, max, &_v);                \
		if (!_err)                                              \
			field = _v;                                     \
		_err;                                                   \
	})

static int parse_addr(struct spec_parser *p, const char *val, __u8 *addr)
{
	int family = strchr(val, ':') ? 6 : 4;
	struct flow_spec *s = p->spec;

	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, val, addr) != 1)
		return bad(p, "'%s' is not an IPv4 or IPv6 address", val);
	if (s->family && s->family != family)
		return bad(p, "src and dst are not the same IP version");
	s->family = family;
	return 0;
}

static int field_src(struct spec_parser *p, const char *val)
{
	return parse_addr(p, val, p->spec->src);
}

static int field_dst(struct spec_parser *p, const char *val)
{
	return parse_addr(p, val, p->spec->dst);
}

static int parse_mac(struct spec_parser *p, const char *val, __u8 *mac)
{
	unsigned int b[6];
	char tail;
	int i;

	/* %x alone takes a sign and blanks: "-1:-1:-1:-1:-1:-1" was ff:... */
	if (strspn(val, "0123456789abcdefABCDEF:") != strlen(val) ||
	    sscanf(val, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &tail) != 6)
		return bad(p, "'%s' is not a MAC address", val);
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

static int field_smac(struct spec_parser *p, const char *val)
{
	p->spec->has_smac = true;
	return parse_mac(p, val, p->spec->smac);
}

static int field_dmac(struct spec_parser *p, const char *val)
{
	return parse_mac(p, val, p->spec->dmac);
}

static const struct {
	const char *name;
	enum spec_l4 l4;
	__u8 ipproto;
	int family;
} protos[] = {
	{ "tcp", SPEC_L4_TCP, IPPROTO_TCP, 0 },
	{ "udp", SPEC_L4_UDP, IPPROTO_UDP, 0 },
	{ "sctp", SPEC_L4_SCTP, IPPROTO_SCTP, 0 },
	{ "icmp", SPEC_L4_ICMP, IPPROTO_ICMP, 4 },
	{ "icmpv6", SPEC_L4_ICMP, IPPROTO_ICMPV6, 6 },
	{ "raw", SPEC_L4_NONE, 0, 0 },
};

static int field_proto(struct spec_parser *p, const char *val)
{
	struct flow_spec *s = p->spec;
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (strcasecmp(val, protos[i].name))
			continue;
		s->l4 = protos[i].l4;
		s->ipproto = protos[i].ipproto;
		return 0;
	}
	if (strspn(val, "0123456789x") != strlen(val))
		return bad(p, "'%s' is not tcp, udp, sctp, icmp, icmpv6, raw "
			   "or an IP protocol number", val);
	s->l4 = SPEC_L4_RAW;
	return PARSE_INTO(p, val, 255, s->ipproto);
}

static int field_flags(struct spec_parser *p, const char *val)
{
	static const char letters[] = "FSRPAUEC";	/* bit order */
	const char *c, *at;

	if (val[0] >= '0' && val[0] <= '9')
		return PARSE_INTO(p, val, 255, p->spec->tcp_flags);
	p->spec->tcp_flags = 0;
	for (c = val; *c; c++) {
		at = strchr(letters, *c >= 'a' ? *c - 'a' + 'A' : *c);
		if (!at)
			return bad(p, "'%c' is not one of FSRPAUEC", *c);
		p->spec->tcp_flags |= 1 << (at - letters);
	}
	return 0;
}

static int field_eth(struct spec_parser *p, const char *val)
{
	int err = PARSE_INTO(p, val, 0xffff, p->spec->eth_type);

	if (!err && p->spec->eth_type < ETH_P_802_3_MIN)
		return bad(p, "%s is a length, not an ethertype (>= 0x600)",
			   val);
	return err;
}

static int field_sport(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 0xffff, p->spec->sport);
}

static int field_dport(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 0xffff, p->spec->dport);
}

static int field_type(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 255, p->spec->sport);
}

static int field_code(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 255, p->spec->dport);
}

static int field_vlan(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 4095, p->spec->vlan);
}

static int field_inner_vlan(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 4095, p->spec->inner_vlan);
}

static int field_tpid(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 0xffff, p->spec->tpid);
}

static int field_size(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, SPEC_MAX_SIZE, p->spec->size);
}

static int field_iplen(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, SPEC_MAX_SIZE, p->spec->iplen);
}

static int field_count(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 1ULL << 48, p->spec->count);
}

static int field_rate(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, 1ULL << 32, p->spec->rate);
}

static int field_flows(struct spec_parser *p, const char *val)
{
	return PARSE_INTO(p, val, SPEC_MAX_FLOWS, p->spec->flows);
}

static int field_vary(struct spec_parser *p, const char *val)
{
	static const char *const names[] = {
		[SPEC_VARY_SPORT] = "sport", [SPEC_VARY_DPORT] = "dport",
		[SPEC_VARY_SRC] = "src", [SPEC_VARY_DST] = "dst",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(val, names[i])) {
			p->spec->vary = i;
			return 0;
		}
	}
	return bad(p, "'%s' is not sport, dport, src or dst", val);
}

/* The bit of each field in spec_parser.seen is its index here. */
static const struct spec_field spec_fields[] = {
	{ "proto", field_proto },	{ "eth", field_eth },
	{ "src", field_src },		{ "dst", field_dst },
	{ "smac", field_smac },		{ "dmac", field_dmac },
	{ "sport", field_sport },	{ "dport", field_dport },
	{ "type", field_type },		{ "code", field_code },
	{ "flags", field_flags },	{ "vlan", field_vlan },
	{ "inner_vlan", field_inner_vlan }, { "tpid", field_tpid },
	{ "size", field_size },		{ "count", field_count },
	{ "rate", field_rate },		{ "flows", field_flows },
	{ "iplen", field_iplen },	{ "vary", field_vary },
};

enum {
	SEEN_PROTO = 1 << 0, SEEN_ETH = 1 << 1, SEEN_SRC = 1 << 2,
	SEEN_DST = 1 << 3, SEEN_PORTS = 3 << 6, SEEN_ICMP = 3 << 8,
	SEEN_FLAGS = 1 << 10, SEEN_VLAN = 1 << 11, SEEN_INNER = 1 << 12,
	SEEN_TPID = 1 << 13, SEEN_SIZE = 1 << 14, SEEN_COUNT = 1 << 15,
	SEEN_FLOWS = 1 << 17, SEEN_IPLEN = 1 << 18, SEEN_VARY = 1 << 19,
};

static int parse_field(struct spec_parser *p, char *word)
{
	char *eq = strchr(word, '=');
	size_t i;

	p->key = word;
	if (!eq)
		return bad(p, "expected key=value");
	*eq = '\0';
	for (i = 0; i < sizeof(spec_fields) / sizeof(spec_fields[0]); i++) {
		if (strcmp(word, spec_fields[i].key))
			continue;
		if (p->seen & (1U << i))
			return bad(p, "given twice");
		p->seen |= 1U << i;
		return spec_fields[i].parse(p, eq + 1);
	}
	return bad(p, "unknown field (see flowgen --help)");
}

static void set_default_addrs(struct flow_spec *s)
{
	if (s->family == 4) {
		inet_pton(AF_INET, "192.0.2.1", s->src);
		inet_pton(AF_INET, "198.51.100.1", s->dst);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", s->src);
		inet_pton(AF_INET6, "2001:db8::2", s->dst);
	}
}

/* Ethertype, address family and protocol must agree; fill what is implied. */
static int check_layer3(struct spec_parser *p)
{
	struct flow_spec *s = p->spec;
	int want = 0;

	p->key = "proto";
	if (!(p->seen & (SEEN_PROTO | SEEN_ETH)))
		return bad(p, "missing: give proto= or eth=");
	if (s->l4 == SPEC_L4_ICMP)
		want = s->ipproto == IPPROTO_ICMP ? 4 : 6;
	if (s->eth_type == ETH_P_IP || s->eth_type == ETH_P_IPV6) {
		if (!(p->seen & SEEN_PROTO) || s->l4 == SPEC_L4_NONE)
			return bad(p, "an IP eth= needs an IP proto=");
		if (want && want != (s->eth_type == ETH_P_IP ? 4 : 6))
			return bad(p, "does not match eth=");
		want = s->eth_type == ETH_P_IP ? 4 : 6;
	} else if (p->seen & SEEN_ETH || s->l4 == SPEC_L4_NONE) {
		if (s->l4 != SPEC_L4_NONE || s->family)
			return bad(p, "eth=0x%04x is not IP: no proto, src, "
				   "dst", s->eth_type);
		if (!(p->seen & SEEN_ETH))
			s->eth_type = ETH_P_FLOWGEN;
		return 0;
	}
	if (want && s->family && want != s->family)
		return bad(p, "does not match the %s addresses",
			   s->family == 4 ? "IPv4" : "IPv6");
	if (!s->family)
		s->family = want ? want : 4;
	if (!(p->seen & (SEEN_SRC | SEEN_DST)))
		set_default_addrs(s);
	else if ((p->seen & (SEEN_SRC | SEEN_DST)) != (SEEN_SRC | SEEN_DST))
		return bad(p, "give both src= and dst=, or neither");
	s->eth_type = s->family == 4 ? ETH_P_IP : ETH_P_IPV6;
	return 0;
}

/* Fields that only mean something for some protocols must not be lost. */
static int check_layer4(struct spec_parser *p)
{
	struct flow_spec *s = p->spec;
	bool ports = s->l4 == SPEC_L4_TCP || s->l4 == SPEC_L4_UDP ||
		     s->l4 == SPEC_L4_SCTP;

	p->key = "sport/dport";
	if ((p->seen & SEEN_PORTS) && !ports)
		return bad(p, "only for tcp, udp, sctp");
	p->key = "type/code";
	if ((p->seen & SEEN_ICMP) && s->l4 != SPEC_L4_ICMP)
		return bad(p, "only for icmp, icmpv6");
	p->key = "flags";
	if ((p->seen & SEEN_FLAGS) && s->l4 != SPEC_L4_TCP)
		return bad(p, "only for tcp");
	p->key = "iplen";
	if ((p->seen & SEEN_IPLEN) && !s->family)
		return bad(p, "only for IP (proto=)");
	p->key = "vary";
	if (!(p->seen & SEEN_VARY))
		s->vary = ports ? SPEC_VARY_SPORT :
			  s->family ? SPEC_VARY_SRC : SPEC_VARY_SMAC;
	else if (!s->family)
		return bad(p, "only for IP (proto=): non-IP flows differ in "
			   "the source MAC");
	else if (!ports && spec_vary_port(s))
		return bad(p, "%s only for tcp, udp, sctp",
			   s->vary == SPEC_VARY_SPORT ? "sport" : "dport");
	if (s->l4 == SPEC_L4_TCP && !(p->seen & SEEN_FLAGS))
		s->tcp_flags = 0x02;	/* SYN */
	if (s->l4 == SPEC_L4_ICMP && !(p->seen & SEEN_ICMP))
		s->sport = s->family == 4 ? 8 : 128;	/* echo request */
	return 0;
}

/*
 * Without size=: the smallest frame that holds the headers (min), or one
 * that holds the IP packet of iplen= (at most the largest frame:
 * check_iplen says what is wrong then).
 */
static __u32 default_size(struct spec_parser *p, size_t min)
{
	size_t ip_end = spec_l2_len(p->spec) + p->spec->iplen;

	if (!(p->seen & SEEN_IPLEN) || ip_end <= min)
		return min;
	return ip_end < SPEC_MAX_SIZE ? ip_end : SPEC_MAX_SIZE;
}

/* The IP packet holds its headers and fits the frame; the rest is padding. */
static int check_iplen(struct spec_parser *p)
{
	struct flow_spec *s = p->spec;
	size_t l2 = spec_l2_len(s), min = spec_headers_len(s) - l2;

	if (!s->family)
		return 0;
	p->key = "iplen";
	if (!(p->seen & SEEN_IPLEN))
		s->iplen = s->size - l2;
	if (s->iplen < min)
		return bad(p, "%u is too small: at least %zu for these headers",
			   s->iplen, min);
	if (s->iplen > s->size - l2)
		return bad(p, "%u is too large: at most %zu, size %u less %zu "
			   "bytes of Ethernet header%s", s->iplen,
			   s->size - l2, s->size, l2,
			   s->nr_tags ? " and tags" : "");
	return 0;
}

static int check_frame(struct spec_parser *p)
{
	struct flow_spec *s = p->spec;
	size_t min;
	int err;

	p->key = "inner_vlan";
	if ((p->seen & SEEN_INNER) && !(p->seen & SEEN_VLAN))
		return bad(p, "needs vlan=");
	s->nr_tags = !!(p->seen & SEEN_VLAN) + !!(p->seen & SEEN_INNER);
	p->key = "tpid";
	if ((p->seen & SEEN_TPID) && !s->nr_tags)
		return bad(p, "needs vlan=");
	if (!(p->seen & SEEN_TPID))
		s->tpid = s->nr_tags == 2 ? ETH_P_8021AD : ETH_P_8021Q;
	min = spec_headers_len(s);
	if (min < SPEC_MIN_SIZE)
		min = SPEC_MIN_SIZE;
	p->key = "size";
	if (!(p->seen & SEEN_SIZE))
		s->size = default_size(p, min);
	if (s->size < min)
		return bad(p, "%u is too small: at least %zu for these headers "
			   "(frames are never shorter than %d)", s->size, min,
			   SPEC_MIN_SIZE);
	err = check_iplen(p);
	if (err)
		return err;
	p->key = "count";
	if (!(p->seen & SEEN_COUNT))
		s->count = 1;
	p->key = "flows";
	if (!(p->seen & SEEN_FLOWS))
		s->flows = 1;
	if (!s->flows || s->flows > s->count)
		return bad(p, "must be 1 to count (%llu)",
			   (unsigned long long)s->count);
	return 0;
}

int spec_parse(const char *text, struct flow_spec *spec, char *err,
	       size_t err_len)
{
	struct spec_parser p = { .spec = spec, .err = err, .err_len = err_len };
	char *copy, *word, *save = NULL;
	int ret = 0;

	memset(spec, 0, sizeof(*spec));
	memset(spec->dmac, 0xff, sizeof(spec->dmac));
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	for (word = strtok_r(copy, ", \t\n", &save); word && !ret;
	     word = strtok_r(NULL, ", \t\n", &save))
		ret = parse_field(&p, word);
	free(copy);
	if (!ret)
		ret = check_layer3(&p);
	if (!ret)
		ret = check_layer4(&p);
	if (!ret)
		ret = check_frame(&p);
	return ret;
}

size_t spec_l2_len(const struct flow_spec *spec)
{
	return ETH_HLEN + 4 * spec->nr_tags;
}

size_t spec_headers_len(const struct flow_spec *spec)
{
	size_t len = spec_l2_len(spec);

	if (!spec->family)
		return len;
	len += spec->family == 4 ? 20 : 40;
	switch (spec->l4) {
	case SPEC_L4_TCP:
		return len + 20;
	case SPEC_L4_UDP:
	case SPEC_L4_ICMP:
		return len + 8;
	case SPEC_L4_SCTP:
		return len + 12;
	default:
		return len;
	}
}

static void addr_add(__u8 *addr, int family, __u32 n)
{
	__u8 *low = addr + (family == 6 ? 12 : 0);
	__u32 v;

	memcpy(&v, low, 4);
	v = htonl(ntohl(v) + n);
	memcpy(low, &v, 4);
}

static void mac_add(__u8 *mac, __u32 n)
{
	__u32 v = (mac[3] << 16 | mac[4] << 8 | mac[5]) + n;

	mac[3] = v >> 16;
	mac[4] = v >> 8;
	mac[5] = v;
}

bool spec_vary_port(const struct flow_spec *spec)
{
	return spec->vary == SPEC_VARY_SPORT || spec->vary == SPEC_VARY_DPORT;
}

/*
 * Flow k of a description differs from flow 0 in one field (vary=),
 * counting up by k: a port (carrying into the address on its side past
 * 65535), an address, or, for non-IP frames, the source MAC.
 */
void spec_nth_flow(const struct flow_spec *spec, __u32 k,
		   struct flow_spec *flow)
{
	__u32 port;

	*flow = *spec;
	flow->flows = 1;
	flow->count = spec_flow_count(spec, k);
	switch (spec->vary) {
	case SPEC_VARY_SPORT:
		port = spec->sport + k;
		flow->sport = port & 0xffff;
		addr_add(flow->src, spec->family, port >> 16);
		break;
	case SPEC_VARY_DPORT:
		port = spec->dport + k;
		flow->dport = port & 0xffff;
		addr_add(flow->dst, spec->family, port >> 16);
		break;
	case SPEC_VARY_SRC:
		addr_add(flow->src, spec->family, k);
		break;
	case SPEC_VARY_DST:
		addr_add(flow->dst, spec->family, k);
		break;
	case SPEC_VARY_SMAC:
		mac_add(flow->smac, k);
		break;
	}
}

/* count spread over flows: the first count % flows get one more. */
__u64 spec_flow_count(const struct flow_spec *spec, __u32 k)
{
	return spec->count / spec->flows + (k < spec->count % spec->flows);
}

const char *spec_l4_name(const struct flow_spec *spec)
{
	switch (spec->l4) {
	case SPEC_L4_TCP:
		return "tcp";
	case SPEC_L4_UDP:
		return "udp";
	case SPEC_L4_SCTP:
		return "sctp";
	case SPEC_L4_ICMP:
		return spec->family == 4 ? "icmp" : "icmpv6";
	case SPEC_L4_RAW:
		return "ip";
	default:
		return "raw";
	}
}
