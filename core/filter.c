// SPDX-License-Identifier: GPL-2.0
/*
 * The filter expression language: a tokenizer, a recursive-descent parser
 * into a small tree kept in one array, and a matcher. Errors name the
 * column of the token at fault, so the CLI can point at it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "filter.h"
#include "text.h"

enum node_kind {
	N_AND, N_OR, N_NOT,
	N_HOST, N_NET, N_PORT, N_PROTO, N_IFACE, N_VLAN,
};

struct node {
	enum node_kind kind;
	int left, right;	/* child indexes (N_AND, N_OR, N_NOT left) */
	__u16 family;		/* ethertype for N_HOST / N_NET */
	__u8 addr[16];
	int prefix;		/* bits, N_NET */
	unsigned int num;	/* port, proto, vlan */
	char ifname[IF_NAMESIZE];
};

struct filter {
	struct node *nodes;
	int n, cap;
	int root;
};

enum tok_kind { T_END, T_WORD, T_LPAREN, T_RPAREN, T_AND, T_OR, T_NOT };

struct parser {
	const char *text;
	int pos;		/* 0-based offset of the next token */
	enum tok_kind tok;
	int tok_pos, tok_len;
	struct filter *f;
	struct filter_error *err;
	int depth;		/* nots and parentheses open around here */
};

/*
 * Bounds on what a filter may be, so that parsing and matching (both
 * recursive) stay shallow whatever is typed: nesting of not and
 * parentheses, and terms in all.
 */
#define FILTER_MAX_DEPTH 64
#define FILTER_MAX_NODES 1024

static const struct {
	const char *name;
	int proto;
} proto_names[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 }, { "tcp", 6 },
	{ "udp", 17 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 },
	{ "icmp6", 58 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 },
	{ "ospf", 89 }, { "sctp", 132 }, { "udplite", 136 },
};

int proto_from_name(const char *name)
{
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (!strcasecmp(name, proto_names[i].name))
			return proto_names[i].proto;
	if (!isdigit((unsigned char)name[0]))
		return -1;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (errno || *end || v > 255)
		return -1;
	return (int)v;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, int pos, const char *fmt, ...)
{
	va_list ap;

	p->err->pos = pos + 1;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	text_printable(p->err->msg);
	return -EINVAL;
}

static bool is_word_char(char c)
{
	return c && !isspace((unsigned char)c) && !strchr("()!&|", c);
}

/* Read the next token at p->pos into p->tok / tok_pos / tok_len. */
static int next_token(struct parser *p)
{
	const char *s = p->text;
	int i = p->pos;

	while (isspace((unsigned char)s[i]))
		i++;
	p->tok_pos = i;
	p->tok_len = 1;
	switch (s[i]) {
	case '\0':
		p->tok = T_END;
		p->tok_len = 0;
		break;
	case '(':
		p->tok = T_LPAREN;
		break;
	case ')':
		p->tok = T_RPAREN;
		break;
	case '!':
		p->tok = T_NOT;
		break;
	case '&':
	case '|':
		if (s[i + 1] != s[i])
			return fail(p, i, "'%c' must be doubled", s[i]);
		p->tok = s[i] == '&' ? T_AND : T_OR;
		p->tok_len = 2;
		break;
	default:
		while (is_word_char(s[i + p->tok_len]))
			p->tok_len++;
		p->tok = T_WORD;
		if (p->tok_len == 3 && !strncasecmp(s + i, "and", 3))
			p->tok = T_AND;
		else if (p->tok_len == 2 && !strncasecmp(s + i, "or", 2))
			p->tok = T_OR;
		else if (p->tok_len == 3 && !strncasecmp(s + i, "not", 3))
			p->tok = T_NOT;
	}
	p->pos = i + p->tok_len;
	return 0;
}

static int new_node(struct parser *p, enum node_kind kind, int left,
		    int right)
{
	struct filter *f = p->f;

	if (f->n >= FILTER_MAX_NODES)
		return fail(p, p->tok_pos, "more than %d terms and operators",
			    FILTER_MAX_NODES);
	if (f->n == f->cap) {
		int cap = f->cap ? f->cap * 2 : 8;
		struct node *nodes = realloc(f->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return -ENOMEM;
		f->nodes = nodes;
		f->cap = cap;
	}
	memset(&f->nodes[f->n], 0, sizeof(f->nodes[0]));
	f->nodes[f->n].kind = kind;
	f->nodes[f->n].left = left;
	f->nodes[f->n].right = right;
	return f->n++;
}

/* The current word token as a C string (copied into buf). */
static const char *word(struct parser *p, char *buf, size_t len)
{
	size_t n = (size_t)p->tok_len < len - 1 ? (size_t)p->tok_len : len - 1;

	memcpy(buf, p->text + p->tok_pos, n);
	buf[n] = '\0';
	return buf;
}

static int parse_number(const char *s, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_addr(const char *s, struct node *n)
{
	memset(n->addr, 0, sizeof(n->addr));
	if (inet_pton(AF_INET, s, n->addr) == 1) {
		n->family = 0x0800;
		return 32;
	}
	if (inet_pton(AF_INET6, s, n->addr) == 1) {
		n->family = 0x86dd;
		return 128;
	}
	return -EINVAL;
}

static void mask_addr(struct node *n)
{
	int i;

	for (i = 0; i < 16; i++) {
		int bits = n->prefix - i * 8;

		if (bits <= 0)
			n->addr[i] = 0;
		else if (bits < 8)
			n->addr[i] &= (__u8)(0xff << (8 - bits));
	}
}

static int parse_cidr(struct parser *p, const char *arg, struct node *n)
{
	char buf[64];
	char *slash;
	unsigned int len;
	int max;

	snprintf(buf, sizeof(buf), "%s", arg);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	max = parse_addr(buf, n);
	if (max < 0)
		return fail(p, p->tok_pos,
			    "'%s' is not an IPv4 or IPv6 network", arg);
	n->prefix = max;
	if (slash) {
		if (parse_number(slash + 1, (unsigned int)max, &len))
			return fail(p, p->tok_pos + (int)(slash - buf) + 1,
				    "bad prefix length in '%s'", arg);
		n->prefix = (int)len;
	}
	mask_addr(n);
	return 0;
}

/* Fill node n from the argument word of a primary of the given kind. */
static int parse_arg(struct parser *p, struct node *n, const char *arg)
{
	switch (n->kind) {
	case N_HOST:
		if (parse_addr(arg, n) < 0)
			return fail(p, p->tok_pos,
				    "'%s' is not an IPv4 or IPv6 address", arg);
		n->prefix = n->family == 0x0800 ? 32 : 128;
		return 0;
	case N_NET:
		return parse_cidr(p, arg, n);
	case N_PORT:
		if (parse_number(arg, 65535, &n->num))
			return fail(p, p->tok_pos,
				    "port '%s' is not a number 0-65535", arg);
		return 0;
	case N_VLAN:
		if (parse_number(arg, 4095, &n->num))
			return fail(p, p->tok_pos,
				    "vlan '%s' is not a number 0-4095", arg);
		return 0;
	case N_PROTO:
		if (proto_from_name(arg) < 0)
			return fail(p, p->tok_pos, "unknown protocol '%s'",
				    arg);
		n->num = (unsigned int)proto_from_name(arg);
		return 0;
	case N_IFACE:
		if (strlen(arg) >= IF_NAMESIZE)
			return fail(p, p->tok_pos,
				    "interface name '%s' is too long", arg);
		strcpy(n->ifname, arg);
		return 0;
	default:
		return -EINVAL;
	}
}

static const struct {
	const char *word;
	enum node_kind kind;
	const char *what;
} primaries[] = {
	{ "host", N_HOST, "an address" },
	{ "net", N_NET, "a network (ADDR/LEN)" },
	{ "port", N_PORT, "a port number" },
	{ "proto", N_PROTO, "a protocol" },
	{ "iface", N_IFACE, "an interface name" },
	{ "vlan", N_VLAN, "a VLAN id" },
};

static int parse_primary(struct parser *p)
{
	char kw[32], arg[64];
	size_t i;
	int idx, err;

	word(p, kw, sizeof(kw));
	for (i = 0; i < sizeof(primaries) / sizeof(primaries[0]); i++)
		if (!strcasecmp(kw, primaries[i].word))
			break;
	if (i == sizeof(primaries) / sizeof(primaries[0]))
		return fail(p, p->tok_pos,
			    "unknown term '%s' (host, net, port, proto, "
			    "iface, vlan)", kw);
	err = next_token(p);
	if (err)
		return err;
	if (p->tok != T_WORD) {
		char msg[64];

		snprintf(msg, sizeof(msg), "expected %s after '%s'",
			 primaries[i].what, primaries[i].word);
		return fail(p, p->tok_pos, "%s", msg);
	}
	if ((size_t)p->tok_len >= sizeof(arg))
		return fail(p, p->tok_pos, "%s", "argument is too long");
	idx = new_node(p, primaries[i].kind, -1, -1);
	if (idx < 0)
		return idx;
	err = parse_arg(p, &p->f->nodes[idx], word(p, arg, sizeof(arg)));
	if (err)
		return err;
	err = next_token(p);
	return err ? err : idx;
}

static int parse_or(struct parser *p);
static int parse_unary_in(struct parser *p);

static int parse_unary(struct parser *p)
{
	int idx;

	if (p->depth >= FILTER_MAX_DEPTH)
		return fail(p, p->tok_pos, "nested more than %d deep",
			    FILTER_MAX_DEPTH);
	p->depth++;
	idx = parse_unary_in(p);
	p->depth--;
	return idx;
}

static int parse_unary_in(struct parser *p)
{
	int idx, err;

	switch (p->tok) {
	case T_NOT:
		err = next_token(p);
		if (err)
			return err;
		idx = parse_unary(p);
		return idx < 0 ? idx : new_node(p, N_NOT, idx, -1);
	case T_LPAREN: {
		int open = p->tok_pos;

		err = next_token(p);
		if (err)
			return err;
		idx = parse_or(p);
		if (idx < 0)
			return idx;
		if (p->tok != T_RPAREN)
			return fail(p, p->tok_pos,
				    "expected ')' to close the '(' at "
				    "column %d", open + 1);
		err = next_token(p);
		return err ? err : idx;
	}
	case T_WORD:
		return parse_primary(p);
	case T_END:
		return fail(p, p->tok_pos, "%s", "expression ends too early");
	default:
		return fail(p, p->tok_pos, "unexpected '%.*s'", p->tok_len,
			    p->text + p->tok_pos);
	}
}

/* and: explicit, or implicit between two terms ("port 53 proto udp"). */
static int parse_and(struct parser *p)
{
	int left, right, err;

	left = parse_unary(p);
	while (left >= 0 && (p->tok == T_AND || p->tok == T_WORD ||
			     p->tok == T_NOT || p->tok == T_LPAREN)) {
		if (p->tok == T_AND) {
			err = next_token(p);
			if (err)
				return err;
		}
		right = parse_unary(p);
		if (right < 0)
			return right;
		left = new_node(p, N_AND, left, right);
	}
	return left;
}

static int parse_or(struct parser *p)
{
	int left, right, err;

	left = parse_and(p);
	while (left >= 0 && p->tok == T_OR) {
		err = next_token(p);
		if (err)
			return err;
		right = parse_and(p);
		if (right < 0)
			return right;
		left = new_node(p, N_OR, left, right);
	}
	return left;
}

int filter_parse(const char *text, struct filter **out,
		 struct filter_error *err)
{
	struct parser p = { .text = text, .err = err };
	int ret;

	*out = NULL;
	err->pos = 0;
	err->msg[0] = '\0';
	ret = next_token(&p);
	if (ret || p.tok == T_END)
		return ret;
	p.f = calloc(1, sizeof(*p.f));
	if (!p.f)
		return -ENOMEM;
	ret = parse_or(&p);
	if (ret >= 0 && p.tok != T_END)
		ret = fail(&p, p.tok_pos, "unexpected '%.*s'", p.tok_len,
			   p.text + p.tok_pos);
	if (ret < 0) {
		filter_free(p.f);
		return ret;
	}
	p.f->root = ret;
	*out = p.f;
	return 0;
}

void filter_free(struct filter *f)
{
	if (!f)
		return;
	free(f->nodes);
	free(f);
}

static bool addr_in(const struct node *n, const __u8 *addr)
{
	int full = n->prefix / 8, bits = n->prefix % 8;

	if (memcmp(addr, n->addr, full))
		return false;
	if (!bits)
		return true;
	return (addr[full] & (__u8)(0xff << (8 - bits))) == n->addr[full];
}

static bool match_addr(const struct node *n, const struct flow_key *k)
{
	if (!flow_has_addrs(k) || k->ethertype != n->family)
		return false;
	return addr_in(n, k->src) || addr_in(n, k->dst);
}

static bool match_node(const struct filter *f, int i, const char *ifname,
		       const struct flow_key *k)
{
	const struct node *n = &f->nodes[i];

	switch (n->kind) {
	case N_AND:
		return match_node(f, n->left, ifname, k) &&
		       match_node(f, n->right, ifname, k);
	case N_OR:
		return match_node(f, n->left, ifname, k) ||
		       match_node(f, n->right, ifname, k);
	case N_NOT:
		return !match_node(f, n->left, ifname, k);
	case N_HOST:
	case N_NET:
		return match_addr(n, k);
	case N_PORT:
		return flow_has_ports(k) &&
		       (k->sport == n->num || k->dport == n->num);
	case N_PROTO:
		return (k->flags & FLOW_F_L4) && k->proto == n->num;
	case N_IFACE:
		return ifname && !strcmp(ifname, n->ifname);
	case N_VLAN:
		return ((k->flags & FLOW_F_VLAN) && k->vlan == n->num) ||
		       ((k->flags & FLOW_F_INNER_VLAN) &&
			k->inner_vlan == n->num);
	}
	return false;
}

bool filter_match(const struct filter *f, const char *ifname,
		  const struct flow_key *key)
{
	return !f || match_node(f, f->root, ifname, key);
}

/* ---- the data plane's rule program (common/flowstat.h) ---- */

/*
 * Rules are made back to front, each one's targets made before it, so
 * that every jump goes forward once the order is turned around at the
 * end: a target is the number of the rule as made (or MATCH_YES/NO).
 */
struct compiler {
	struct match_set *set;
	struct filter_error *err;
	int n;			/* rules made */
	bool full;
};

/* A rule over one pair of the key's words, from a mask and a value key. */
static int emit(struct compiler *c, int pair, const struct flow_key *mask,
		const struct flow_key *value, int yes, int no)
{
	struct match_rule *r;
	__u64 m[6], v[6];

	if (c->n >= MATCH_MAX_RULES) {
		c->full = true;
		return -E2BIG;
	}
	memcpy(m, mask, sizeof(m));
	memcpy(v, value, sizeof(v));
	r = &c->set->rules[c->n];
	memset(r, 0, sizeof(*r));
	r->pair = (__u8)pair;
	r->mask[0] = m[2 * pair];
	r->mask[1] = m[2 * pair + 1];
	r->value[0] = v[2 * pair] & m[2 * pair];
	r->value[1] = v[2 * pair + 1] & m[2 * pair + 1];
	r->yes = (__u16)yes;
	r->no = (__u16)no;
	return c->n++;
}

/*
 * A rule on words 4, 5: the key's field at off (1 or 2 bytes, host
 * order) equals value, and every one of flags is set.
 */
static int emit_field(struct compiler *c, size_t off, size_t size,
		      unsigned int value, __u8 flags, int yes, int no)
{
	struct flow_key mk = { .flags = flags }, vk = { .flags = flags };
	__u16 v16 = (__u16)value;
	__u8 v8 = (__u8)value;

	memset((__u8 *)&mk + off, 0xff, size);
	memcpy((__u8 *)&vk + off, size == 1 ? (void *)&v8 : (void *)&v16,
	       size);
	return emit(c, 2, &mk, &vk, yes, no);
}

#define KEY_FIELD(f) \
	offsetof(struct flow_key, f), sizeof(((struct flow_key *)0)->f)

static int emit_addr(struct compiler *c, const struct node *n, int yes,
		     int no)
{
	struct flow_key mk = { 0 }, vk = { 0 };
	int i, dst, src;

	for (i = 0; i < 16; i++) {
		int bits = n->prefix - i * 8;

		mk.src[i] = mk.dst[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 :
					(__u8)(0xff << (8 - bits));
	}
	memcpy(vk.src, n->addr, 16);
	memcpy(vk.dst, n->addr, 16);
	dst = emit(c, 1, &mk, &vk, yes, no);
	src = dst < 0 ? dst : emit(c, 0, &mk, &vk, yes, dst);
	/* flow_has_addrs() and the family */
	return src < 0 ? src : emit_field(c, KEY_FIELD(ethertype), n->family,
					  FLOW_F_L4, src, no);
}

static int emit_port(struct compiler *c, unsigned int port, int yes, int no)
{
	int r = emit_field(c, KEY_FIELD(dport), port, FLOW_F_PORTS, yes, no);

	r = r < 0 ? r : emit_field(c, KEY_FIELD(sport), port, FLOW_F_PORTS,
				   yes, r);
	/* ICMP and ICMPv6 keep type and code there: no ports (filter.h) */
	r = r < 0 ? r : emit_field(c, KEY_FIELD(proto), 58,
				   FLOW_F_PORTS | FLOW_F_L4, no, r);
	return r < 0 ? r : emit_field(c, KEY_FIELD(proto), 1,
				      FLOW_F_PORTS | FLOW_F_L4, no, r);
}

static int emit_vlan(struct compiler *c, unsigned int vlan, int yes, int no)
{
	int r = emit_field(c, KEY_FIELD(inner_vlan), vlan, FLOW_F_INNER_VLAN,
			   yes, no);

	return r < 0 ? r : emit_field(c, KEY_FIELD(vlan), vlan, FLOW_F_VLAN,
				      yes, r);
}

/* The rules of node i, going on to yes or no; returns its first rule. */
static int compile_node(struct compiler *c, const struct filter *f, int i,
			int yes, int no)
{
	const struct node *n = &f->nodes[i];
	int r;

	switch (n->kind) {
	case N_AND:
		r = compile_node(c, f, n->right, yes, no);
		return r < 0 ? r : compile_node(c, f, n->left, r, no);
	case N_OR:
		r = compile_node(c, f, n->right, yes, no);
		return r < 0 ? r : compile_node(c, f, n->left, yes, r);
	case N_NOT:
		return compile_node(c, f, n->left, no, yes);
	case N_HOST:
	case N_NET:
		return emit_addr(c, n, yes, no);
	case N_PORT:
		return emit_port(c, n->num, yes, no);
	case N_PROTO:
		return emit_field(c, KEY_FIELD(proto), n->num, FLOW_F_L4, yes,
				  no);
	case N_VLAN:
		return emit_vlan(c, n->num, yes, no);
	case N_IFACE:
		c->err->pos = 0;
		snprintf(c->err->msg, sizeof(c->err->msg), "%s",
			 "'iface' cannot be matched at the hook: an "
			 "instance sees one interface");
		return -EINVAL;
	}
	return -EINVAL;
}

static __u16 final_target(int made, int n)
{
	return made >= MATCH_MAX_RULES ? (__u16)made : (__u16)(n - 1 - made);
}

int filter_compile(const struct filter *f, struct match_set *set,
		   struct filter_error *err)
{
	struct compiler c = { .set = set, .err = err };
	int i, entry;

	err->pos = 0;
	err->msg[0] = '\0';
	set->n_rules = 0;
	if (!f)
		return 0;
	entry = compile_node(&c, f, f->root, MATCH_YES, MATCH_NO);
	if (entry < 0 && c.full) {
		snprintf(err->msg, sizeof(err->msg),
			 "too large for the data plane: over %d rules "
			 "(host/net 3, port 4, vlan 2, proto 1)",
			 MATCH_MAX_RULES);
		return -E2BIG;
	}
	if (entry < 0)
		return entry;
	/* turn the order around: the entry, made last, comes first */
	for (i = 0; i < c.n / 2; i++) {
		struct match_rule t = set->rules[i];

		set->rules[i] = set->rules[c.n - 1 - i];
		set->rules[c.n - 1 - i] = t;
	}
	for (i = 0; i < c.n; i++) {
		set->rules[i].yes = final_target(set->rules[i].yes, c.n);
		set->rules[i].no = final_target(set->rules[i].no, c.n);
	}
	set->n_rules = (__u32)c.n;
	return 0;
}

bool filter_rules_match(const struct match_set *set,
			const struct flow_key *key)
{
	__u64 w[6];
	__u32 pc = 0, i;

	if (!set->n_rules)
		return true;
	memcpy(w, key, sizeof(w));
	for (i = 0; i < MATCH_MAX_RULES && pc < MATCH_MAX_RULES; i++) {
		const struct match_rule *r = &set->rules[pc];
		const __u64 *p = &w[2 * (r->pair > 2 ? 2 : r->pair)];

		pc = ((p[0] & r->mask[0]) ^ r->value[0]) |
		     ((p[1] & r->mask[1]) ^ r->value[1]) ? r->no : r->yes;
	}
	return pc == MATCH_YES;
}
