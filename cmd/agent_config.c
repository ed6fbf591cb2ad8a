// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's settings (agent_config.h).
 *
 * The file is read by sh, by systemd as an EnvironmentFile=, and by
 * flowstat, so flowstat accepts only what the first two read alike:
 * KEY=value lines, '#' comments, blank lines, a value in '...' (taken
 * verbatim) or "..." (without \ $ `, which sh would expand), or bare
 * without spaces and shell syntax. Anything else is an error that says
 * how to write it, never a guess.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include "agent_config.h"
#include "flowstat.h"
#include "signals.h"

_Static_assert(sizeof(((struct agent_config *)0)->signal) /
	       sizeof(unsigned int) == SIG_KINDS, "a threshold per signal");

#define BLANKS " \t"

enum key_kind { KIND_IFNAMES, KIND_TARGETS, KIND_LISTEN, KIND_UINT,
		KIND_DOMAIN, KIND_YESNO, KIND_TEXT, KIND_SAMPLE };

struct key_desc {
	const char *name;
	enum key_kind kind;
	size_t offset;			/* KIND_UINT: the field */
	unsigned int min, max, def;	/* KIND_UINT */
};

#define KEY(n, k) { .name = n, .kind = k }
#define UINT_KEY(n, field, lo, hi, d)                                       \
	{ .name = n, .kind = KIND_UINT,                                      \
	  .offset = offsetof(struct agent_config, field),                    \
	  .min = lo, .max = hi, .def = d }

static const struct key_desc keys[AGENT_KEY_COUNT] = {
	[AGENT_KEY_INTERFACES] = KEY("FLOWSTAT_INTERFACES", KIND_IFNAMES),
	[AGENT_KEY_IPFIX] = KEY("FLOWSTAT_IPFIX", KIND_TARGETS),
	[AGENT_KEY_PROMETHEUS] = KEY("FLOWSTAT_PROMETHEUS", KIND_LISTEN),
	[AGENT_KEY_ACTIVE_TIMEOUT] =
		UINT_KEY("FLOWSTAT_ACTIVE_TIMEOUT", active_timeout_s, 1,
			 AGENT_TIMEOUT_MAX, AGENT_ACTIVE_TIMEOUT),
	[AGENT_KEY_IDLE_TIMEOUT] =
		UINT_KEY("FLOWSTAT_IDLE_TIMEOUT", idle_timeout_s, 1,
			 AGENT_TIMEOUT_MAX, AGENT_IDLE_TIMEOUT),
	[AGENT_KEY_TEMPLATE_REFRESH] =
		UINT_KEY("FLOWSTAT_TEMPLATE_REFRESH", template_refresh_s, 1,
			 AGENT_TIMEOUT_MAX, AGENT_TEMPLATE_REFRESH),
	[AGENT_KEY_MTU] = UINT_KEY("FLOWSTAT_MTU", mtu, AGENT_MTU_MIN,
				   AGENT_MTU_MAX, AGENT_MTU),
	[AGENT_KEY_DOMAIN_ID] = KEY("FLOWSTAT_DOMAIN_ID", KIND_DOMAIN),
	[AGENT_KEY_PERSIST] = KEY("FLOWSTAT_PERSIST", KIND_YESNO),
	[AGENT_KEY_SIGNAL_NEW_FLOWS] =
		UINT_KEY("FLOWSTAT_SIGNAL_NEW_FLOWS", signal[SIG_NEW_FLOWS],
			 0, SIG_THRESHOLD_MAX, SIG_DEFAULT_NEW_FLOWS),
	[AGENT_KEY_SIGNAL_HALF_OPEN] =
		UINT_KEY("FLOWSTAT_SIGNAL_HALF_OPEN", signal[SIG_HALF_OPEN],
			 0, SIG_THRESHOLD_MAX, SIG_DEFAULT_HALF_OPEN),
	[AGENT_KEY_SIGNAL_SCAN_PORTS] =
		UINT_KEY("FLOWSTAT_SIGNAL_SCAN_PORTS", signal[SIG_SCAN_PORTS],
			 0, SIG_THRESHOLD_MAX, SIG_DEFAULT_SCAN_PORTS),
	[AGENT_KEY_SIGNAL_SCAN_HOSTS] =
		UINT_KEY("FLOWSTAT_SIGNAL_SCAN_HOSTS", signal[SIG_SCAN_HOSTS],
			 0, SIG_THRESHOLD_MAX, SIG_DEFAULT_SCAN_HOSTS),
	[AGENT_KEY_SIGNAL_FAN_IN] =
		UINT_KEY("FLOWSTAT_SIGNAL_FAN_IN", signal[SIG_FAN_IN],
			 0, SIG_THRESHOLD_MAX, SIG_DEFAULT_FAN_IN),
	[AGENT_KEY_MATCH] = KEY("FLOWSTAT_MATCH", KIND_TEXT),
	[AGENT_KEY_SAMPLE] = KEY("FLOWSTAT_SAMPLE", KIND_SAMPLE),
};

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * The user's text inside a message: printable ASCII, the rest as '?',
 * cut short with "...", so that a stray byte cannot garble a terminal
 * or a log line.
 */
#define QUOTE_MAX 48
struct quoted {
	char s[QUOTE_MAX + 4];
};

static struct quoted quote(const char *s)
{
	struct quoted q;
	size_t i;

	for (i = 0; i < QUOTE_MAX && s[i]; i++) {
		unsigned char ch = s[i];

		q.s[i] = ch >= 0x20 && ch < 0x7f ? ch : '?';
	}
	strcpy(q.s + i, s[i] ? "..." : "");
	return q;
}

/* ---- lists ---- */

static void list_free(char ***items, int *n)
{
	int i;

	for (i = 0; i < *n; i++)
		free((*items)[i]);
	free(*items);
	*items = NULL;
	*n = 0;
}

static bool list_has(char *const *items, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(items[i], s))
			return true;
	return false;
}

static int list_push(char ***items, int *n, const char *s)
{
	char **grown = realloc(*items, (*n + 1) * sizeof(**items));
	char *copy;

	if (!grown)
		return -ENOMEM;
	*items = grown;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	grown[(*n)++] = copy;
	return 0;
}

static int list_copy(char ***dst, int *n_dst, char *const *src, int n)
{
	int i, err = 0;

	*dst = NULL;
	*n_dst = 0;
	for (i = 0; i < n && !err; i++)
		err = list_push(dst, n_dst, src[i]);
	if (err)
		list_free(dst, n_dst);
	return err;
}

/* ---- values ---- */

/* Decimal digits only (no sign, no spaces); -ERANGE above max. */
static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

/* Linux's own rule (dev_valid_name), and no control characters. */
static bool valid_ifname(const char *s)
{
	size_t len = strlen(s), i;

	if (!len || len >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = s[i];

		if (ch == '/' || ch == ':' || ch <= ' ' || ch == 0x7f)
			return false;
	}
	return true;
}

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

/*
 * RFC 1123 host names: dot-separated labels of 1 to 63 letters, digits
 * and hyphens, not starting or ending with a hyphen, 253 bytes at most
 * (a final dot allowed); an all-digit last label would be a mistyped
 * IPv4 address.
 */
static bool valid_hostname(const char *s)
{
	size_t len = strlen(s), start = 0, i;

	if (len && s[len - 1] == '.')
		len--;
	if (!len || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		size_t label = i - start;

		if (i < len && s[i] != '.') {
			unsigned char ch = s[i];

			if (!(ch == '-' || (ch >= '0' && ch <= '9') ||
			      ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')))
				return false;
			continue;
		}
		if (!label || label > 63 || s[start] == '-' || s[i - 1] == '-')
			return false;
		if (i == len && all_digits(s + start, label))
			return false;
		start = i + 1;
	}
	return true;
}

/* An IPv6 address, optionally with a %zone (an interface name). */
static bool valid_ipv6(char *s)
{
	struct in6_addr a;
	char *zone = strchr(s, '%');
	bool ok;

	if (zone)
		*zone = '\0';
	ok = inet_pton(AF_INET6, s, &a) == 1 &&
	     (!zone || valid_ifname(zone + 1));
	if (zone)
		*zone = '%';
	return ok;
}

static int check_port(const char *port, const char *whole, char *why,
		      size_t len)
{
	unsigned long long v = 0;
	int err = parse_uint(port, 65535, &v);

	if (!*port)
		say(why, len, "'%s' has no port (HOST:PORT)", quote(whole).s);
	else if (err == -EINVAL)
		say(why, len, "'%s': port '%s' is not a number",
		    quote(whole).s, quote(port).s);
	else if (err || !v)
		say(why, len, "'%s': port %s is out of range (1..65535)",
		    quote(whole).s, quote(port).s);
	else
		return 0;
	return -EINVAL;
}

/* s's first n bytes into host; false when they do not fit. */
static bool take_host(char *host, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	return true;
}

/* [IPV6]:PORT */
static int check_bracketed(const char *s, char *why, size_t len)
{
	const char *end = strchr(s, ']');
	char host[256];

	if (!end) {
		say(why, len, "'%s': no ']' after the IPv6 address",
		    quote(s).s);
		return -EINVAL;
	}
	if (end[1] && end[1] != ':') {
		say(why, len, "'%s': ':' and a port must follow ']'",
		    quote(s).s);
		return -EINVAL;
	}
	if (!take_host(host, sizeof(host), s + 1, end - s - 1) ||
	    !valid_ipv6(host)) {
		say(why, len, "'%s' is not an IPv6 address", quote(s).s);
		return -EINVAL;
	}
	return check_port(end[1] ? end + 2 : "", s, why, len);
}

/*
 * HOST:PORT or [IPV6]:PORT. A collector may be a host name (the agent
 * resolves it); a listener binds, so it must be an address.
 */
static int check_endpoint(const char *s, bool names_ok, char *why,
			  size_t len)
{
	const char *end = strrchr(s, ':');
	struct in_addr a4;
	char host[256];
	bool fits;

	if (s[0] == '[')
		return check_bracketed(s, why, len);
	if (!end)
		return check_port("", s, why, len);
	if (memchr(s, ':', end - s)) {
		say(why, len,
		    "'%s': an IPv6 address goes in brackets ([ADDR]:PORT)",
		    quote(s).s);
		return -EINVAL;
	}
	if (end == s) {
		say(why, len, "'%s' has no host before the port", quote(s).s);
		return -EINVAL;
	}
	fits = take_host(host, sizeof(host), s, end - s);
	if (fits && inet_pton(AF_INET, host, &a4) == 1)
		return check_port(end + 1, s, why, len);
	if (!names_ok)
		say(why, len,
		    "'%s' is not an IP address (a listener binds an address, "
		    "not a name)", quote(s).s);
	else if (!fits || !valid_hostname(host))
		say(why, len, "'%s' is not a host name or an IPv4 address",
		    quote(s).s);
	else
		return check_port(end + 1, s, why, len);
	return -EINVAL;
}

static int check_item(enum key_kind kind, const char *item, char *why,
		      size_t len)
{
	if (kind == KIND_TARGETS)
		return check_endpoint(item, true, why, len);
	if (valid_ifname(item))
		return 0;
	say(why, len,
	    "'%s' is not an interface name (1 to %d bytes; no '/', ':' or "
	    "spaces)", quote(item).s, IFNAMSIZ - 1);
	return -EINVAL;
}

static void list_of(struct agent_config *c, enum key_kind kind,
		    char ****items, int **n)
{
	*items = kind == KIND_IFNAMES ? &c->ifnames : &c->ipfix;
	*n = kind == KIND_IFNAMES ? &c->n_ifnames : &c->n_ipfix;
}

static int add_item(char ***items, int *n, enum key_kind kind,
		    const char *item, char *why, size_t len)
{
	int err = check_item(kind, item, why, len);

	if (err)
		return err;
	if (list_has(*items, *n, item)) {
		say(why, len, "%s is listed twice", quote(item).s);
		return -EINVAL;
	}
	err = list_push(items, n, item);
	if (err)
		say(why, len, "out of memory");
	return err;
}

/* A whitespace-separated list, built aside and swapped in whole. */
static int set_list(struct agent_config *c, enum key_kind kind,
		    const char *value, char *why, size_t len)
{
	char **items = NULL, ***slot, *copy, *word, *save;
	int n = 0, err = 0, *slot_n;

	copy = strdup(value);
	if (!copy) {
		say(why, len, "out of memory");
		return -ENOMEM;
	}
	for (word = strtok_r(copy, BLANKS, &save); word && !err;
	     word = strtok_r(NULL, BLANKS, &save))
		err = add_item(&items, &n, kind, word, why, len);
	free(copy);
	if (err) {
		list_free(&items, &n);
		return err;
	}
	list_of(c, kind, &slot, &slot_n);
	list_free(slot, slot_n);
	*slot = items;
	*slot_n = n;
	return 0;
}

static int set_listen(struct agent_config *c, const char *value, char *why,
		      size_t len)
{
	int err;

	if (strlen(value) >= sizeof(c->prometheus)) {
		say(why, len, "'%s' is too long", quote(value).s);
		return -EINVAL;
	}
	if (strpbrk(value, BLANKS)) {
		say(why, len, "'%s': one ADDR:PORT only", quote(value).s);
		return -EINVAL;
	}
	err = *value ? check_endpoint(value, false, why, len) : 0;
	if (!err)
		strcpy(c->prometheus, value);
	return err;
}

static int set_uint(struct agent_config *c, const struct key_desc *k,
		    const char *value, char *why, size_t len)
{
	unsigned int *field = (unsigned int *)((char *)c + k->offset);
	unsigned long long v = k->def;
	int err = *value ? parse_uint(value, k->max, &v) : 0;

	if (err == -EINVAL) {
		say(why, len, "'%s' is not a number", quote(value).s);
		return err;
	}
	if (err || v < k->min) {
		say(why, len, "%s is out of range (%u..%u)", quote(value).s,
		    k->min, k->max);
		return -EINVAL;
	}
	*field = v;
	return 0;
}

static int set_domain(struct agent_config *c, const char *value, char *why,
		      size_t len)
{
	unsigned long long v;
	int err;

	if (!*value) {
		c->domain_id = -1;
		return 0;
	}
	err = parse_uint(value, UINT32_MAX, &v);
	if (err == -EINVAL)
		say(why, len, "'%s' is not a number", quote(value).s);
	else if (err)
		say(why, len, "%s is out of range (0..%u)", quote(value).s,
		    UINT32_MAX);
	else
		c->domain_id = v;
	return err ? -EINVAL : 0;
}

static int set_yesno(struct agent_config *c, const char *value, char *why,
		     size_t len)
{
	if (!*value || !strcmp(value, "no"))
		c->persist = 0;
	else if (!strcmp(value, "yes"))
		c->persist = 1;
	else {
		say(why, len, "'%s' is not yes or no", quote(value).s);
		return -EINVAL;
	}
	return 0;
}

/* The match expression, as text (the agent compiles it). */
static int set_text(struct agent_config *c, const char *value, char *why,
		    size_t len)
{
	if (strlen(value) >= sizeof(c->match)) {
		say(why, len, "longer than %zu characters",
		    sizeof(c->match) - 1);
		return -EINVAL;
	}
	strcpy(c->match, value);
	return 0;
}

/* The sampling rate: auto, or 1 (every frame) to FLOWSTAT_MAX_SAMPLE; empty:
 * none. */
static int set_sample(struct agent_config *c, const char *value, char *why,
		      size_t len)
{
	unsigned long long v;
	char *end;

	if (!*value || !strcmp(value, "auto")) {
		c->sample = 0;
		c->sample_auto = !!*value;
		return 0;
	}
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' ||
	    value[0] == '+' || v < 1 || v > FLOWSTAT_MAX_SAMPLE) {
		say(why, len, "'%s' is not auto or 1..%u", quote(value).s,
		    FLOWSTAT_MAX_SAMPLE);
		return -EINVAL;
	}
	c->sample = v > 1 ? (unsigned int)v : 0;
	c->sample_auto = 0;
	return 0;
}

int agent_config_set(struct agent_config *c, enum agent_key key,
		     const char *value, char *why, size_t whylen)
{
	const struct key_desc *k;

	if ((unsigned int)key >= AGENT_KEY_COUNT) {
		say(why, whylen, "no such key");
		return -EINVAL;
	}
	k = &keys[key];
	switch (k->kind) {
	case KIND_IFNAMES:
	case KIND_TARGETS:
		return set_list(c, k->kind, value, why, whylen);
	case KIND_LISTEN:
		return set_listen(c, value, why, whylen);
	case KIND_UINT:
		return set_uint(c, k, value, why, whylen);
	case KIND_DOMAIN:
		return set_domain(c, value, why, whylen);
	case KIND_YESNO:
		return set_yesno(c, value, why, whylen);
	case KIND_TEXT:
		return set_text(c, value, why, whylen);
	case KIND_SAMPLE:
		return set_sample(c, value, why, whylen);
	}
	return -EINVAL;
}

int agent_config_add(struct agent_config *c, enum agent_key key,
		     const char *item, char *why, size_t whylen)
{
	enum key_kind kind = (unsigned int)key < AGENT_KEY_COUNT ?
			     keys[key].kind : KIND_UINT;
	char ***items;
	int *n;

	if (kind != KIND_IFNAMES && kind != KIND_TARGETS) {
		say(why, whylen, "not a list");
		return -EINVAL;
	}
	list_of(c, kind, &items, &n);
	return add_item(items, n, kind, item, why, whylen);
}

const char *agent_config_key_name(enum agent_key key)
{
	return (unsigned int)key < AGENT_KEY_COUNT ? keys[key].name : NULL;
}

void agent_config_defaults(struct agent_config *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < AGENT_KEY_COUNT; i++)
		if (keys[i].kind == KIND_UINT)
			*(unsigned int *)((char *)c + keys[i].offset) =
				keys[i].def;
	c->domain_id = -1;
}

void agent_config_free(struct agent_config *c)
{
	list_free(&c->ifnames, &c->n_ifnames);
	list_free(&c->ipfix, &c->n_ipfix);
}

static int config_copy(struct agent_config *dst,
		       const struct agent_config *src)
{
	int err;

	*dst = *src;
	err = list_copy(&dst->ifnames, &dst->n_ifnames, src->ifnames,
			src->n_ifnames);
	if (!err)
		err = list_copy(&dst->ipfix, &dst->n_ipfix, src->ipfix,
				src->n_ipfix);
	if (err)
		agent_config_free(dst);
	return err;
}

/* ---- the file ---- */

/*
 * The value after '=' (leading blanks gone, trailing ones too): take
 * off one pair of quotes, in place. NULL and a reason when sh and
 * systemd would read it differently.
 */
static char *unquote(char *v, char *why, size_t len)
{
	char *close;

	if (*v == '\'' || *v == '"') {
		close = strchr(v + 1, *v);
		if (!close) {
			say(why, len,
			    "no closing %c (a value ends on its line)", *v);
			return NULL;
		}
		if (close[1]) {
			say(why, len, "text after the closing %c (comments go "
				      "on lines of their own)", *v);
			return NULL;
		}
		*close = '\0';
		if (*v == '"' && strpbrk(v + 1, "\\$`")) {
			say(why, len, "\\ $ and ` are special to sh inside "
				      "\"...\"; quote with '...'");
			return NULL;
		}
		return v + 1;
	}
	if (strpbrk(v, BLANKS)) {
		say(why, len, "a value with spaces must be quoted (comments go "
			      "on lines of their own)");
		return NULL;
	}
	close = strpbrk(v, "'\"\\$`;&|<>()~");
	if (close) {
		say(why, len, "%c is special to sh; quote the value with '...'",
		    *close);
		return NULL;
	}
	return v;
}

static bool is_key_char(char ch, bool first)
{
	return ch == '_' || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= 'a' && ch <= 'z') || (!first && ch >= '0' && ch <= '9');
}

/* One line, NUL-terminated, without its newline. */
static int parse_line(struct agent_config *c, char *line, int lineno,
		      char *err, size_t errlen)
{
	char *s = line + strspn(line, BLANKS), *end = s + strlen(s), *key, *v;
	char why[256];
	int i, ret;

	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		*--end = '\0';
	if (!*s || *s == '#')
		return 0;
	key = s;
	while (is_key_char(*s, s == key))
		s++;
	v = s + strspn(s, BLANKS);
	if (s == key || *v != '=') {
		if (s - key == 6 && !strncmp(key, "export", 6) && v > s)
			say(err, errlen, "line %d: write KEY=value, without "
			    "export (systemd does not read it)", lineno);
		else
			say(err, errlen, "line %d: '%s' is not KEY=value",
			    lineno, quote(key).s);
		return -EINVAL;
	}
	*s = '\0';
	for (i = 0; i < AGENT_KEY_COUNT && strcmp(keys[i].name, key); i++)
		;
	if (i == AGENT_KEY_COUNT) {
		say(err, errlen, "line %d: %s: unknown key", lineno,
		    quote(key).s);
		return -EINVAL;
	}
	v = unquote(v + 1 + strspn(v + 1, BLANKS), why, sizeof(why));
	ret = v ? agent_config_set(c, i, v, why, sizeof(why)) : -EINVAL;
	if (ret)
		say(err, errlen, "line %d: %s: %s", lineno, key, why);
	return ret;
}

int agent_config_parse(struct agent_config *c, const char *text, size_t len,
		       char *errbuf, size_t errlen)
{
	const char *p = text, *end = text + len, *eol;
	struct agent_config next;
	int lineno = 0, err;
	char *line;

	if (config_copy(&next, c)) {
		say(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	for (err = 0; p < end && !err; p = eol + 1) {
		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		lineno++;
		if (memchr(p, '\0', eol - p)) {
			say(errbuf, errlen, "line %d: a NUL byte", lineno);
			err = -EINVAL;
			break;
		}
		line = strndup(p, eol - p);
		if (!line) {
			say(errbuf, errlen, "out of memory");
			err = -ENOMEM;
			break;
		}
		err = parse_line(&next, line, lineno, errbuf, errlen);
		free(line);
	}
	if (err) {
		agent_config_free(&next);
		return err;
	}
	agent_config_free(c);
	*c = next;
	return 0;
}

int agent_config_load(struct agent_config *c, const char *path, char *errbuf,
		      size_t errlen)
{
	char *buf, msg[512];
	size_t n = 0;
	ssize_t got;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		say(errbuf, errlen, "%s: %s", path, strerror(-err));
		return err;
	}
	buf = malloc(AGENT_CONFIG_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		say(errbuf, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	/* One byte more than allowed tells a file that is too big. */
	while (n <= AGENT_CONFIG_MAX_BYTES &&
	       (got = read(fd, buf + n, AGENT_CONFIG_MAX_BYTES + 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = -errno;
			say(errbuf, errlen, "%s: %s", path, strerror(-err));
			goto out;
		}
		n += got;
	}
	if (n > AGENT_CONFIG_MAX_BYTES) {
		say(errbuf, errlen, "%s: larger than %d bytes", path,
		    AGENT_CONFIG_MAX_BYTES);
		err = -EFBIG;
		goto out;
	}
	err = agent_config_parse(c, buf, n, msg, sizeof(msg));
	if (err)
		say(errbuf, errlen, "%s: %s", path, msg);
out:
	free(buf);
	close(fd);
	return err;
}
