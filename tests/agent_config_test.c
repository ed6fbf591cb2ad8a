// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's configuration (cmd/agent_config.c): defaults, a file with
 * every key, quotes, comments and blanks, empty values, the shipped
 * /etc/default/flowstat, the setters the command line uses, loading
 * from a file, and every bad input with its exact message; a config is
 * left as it was whenever a call fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent_config.h"
#include "signals.h"
#include "testlib.h"

#define SHIPPED "systemd/flowstat.default"

static char err[512];

static int parse(struct agent_config *c, const char *text)
{
	err[0] = '\0';
	return agent_config_parse(c, text, strlen(text), err, sizeof(err));
}

#define CHECK_STR(a, b)                                                    \
	CHECK(!strcmp((a), (b)), "%s is '%s', expected '%s'", #a, (a), (b))

static void check_defaults(const struct agent_config *c)
{
	CHECK_EQ(c->n_ifnames, 0);
	CHECK_EQ(c->n_ipfix, 0);
	CHECK_STR(c->prometheus, "");
	CHECK_EQ(c->active_timeout_s, 60);
	CHECK_EQ(c->idle_timeout_s, 15);
	CHECK_EQ(c->template_refresh_s, 60);
	CHECK_EQ(c->mtu, 1400);
	CHECK(c->domain_id == -1, "domain_id %lld", c->domain_id);
	CHECK_EQ(c->persist, 0);
	CHECK_EQ(c->signal[SIG_NEW_FLOWS], 2000);
	CHECK_EQ(c->signal[SIG_HALF_OPEN], 200);
	CHECK_EQ(c->signal[SIG_SCAN_PORTS], 100);
	CHECK_EQ(c->signal[SIG_SCAN_HOSTS], 100);
	CHECK_EQ(c->signal[SIG_FAN_IN], 500);
}

static void test_defaults(void)
{
	struct agent_config c;

	tl_begin("config: defaults; an empty file and comments change nothing");
	agent_config_defaults(&c);
	check_defaults(&c);
	CHECK_EQ(parse(&c, ""), 0);
	CHECK_EQ(parse(&c, "\n\n# FLOWSTAT_MTU=9000\n   # x\n\t\n"), 0);
	check_defaults(&c);
	CHECK_STR(agent_config_key_name(AGENT_KEY_MTU), "FLOWSTAT_MTU");
	CHECK_STR(agent_config_key_name(AGENT_KEY_PERSIST), "FLOWSTAT_PERSIST");
	CHECK(agent_config_key_name(AGENT_KEY_COUNT) == NULL, "past the end");
	agent_config_free(&c);
	agent_config_free(&c);	/* twice is fine */
	tl_end();
}

static const char every_key[] =
	"# every key, every way of writing a value\n"
	"FLOWSTAT_INTERFACES='eth0 eth1'\n"
	"  FLOWSTAT_IPFIX=\"192.0.2.10:4739 [2001:db8::10]:4739 "
	"collector.example.org:2055 [fe80::1%eth0]:4739\"\n"
	"FLOWSTAT_PROMETHEUS=[::1]:9100\r\n"
	"FLOWSTAT_ACTIVE_TIMEOUT = 120\n"
	"FLOWSTAT_IDLE_TIMEOUT=\t'30'  \n"
	"FLOWSTAT_TEMPLATE_REFRESH=\"600\"\n"
	"\n"
	"\t# the largest a 16-bit length can say\n"
	"FLOWSTAT_MTU=65507\n"
	"FLOWSTAT_DOMAIN_ID=4294967295\n"
	"FLOWSTAT_SAMPLE=1048576\n"
	"FLOWSTAT_PERSIST=yes";	/* no final newline */

static void test_every_key(void)
{
	struct agent_config c;

	tl_begin("config: every key; quotes, blanks, CRLF, no final newline");
	agent_config_defaults(&c);
	CHECK(parse(&c, every_key) == 0, "%s", err);
	CHECK_EQ(c.n_ifnames, 2);
	if (c.n_ifnames == 2) {
		CHECK_STR(c.ifnames[0], "eth0");
		CHECK_STR(c.ifnames[1], "eth1");
	}
	CHECK_EQ(c.n_ipfix, 4);
	if (c.n_ipfix == 4) {
		CHECK_STR(c.ipfix[0], "192.0.2.10:4739");
		CHECK_STR(c.ipfix[1], "[2001:db8::10]:4739");
		CHECK_STR(c.ipfix[2], "collector.example.org:2055");
		CHECK_STR(c.ipfix[3], "[fe80::1%eth0]:4739");
	}
	CHECK_STR(c.prometheus, "[::1]:9100");
	CHECK_EQ(c.active_timeout_s, 120);
	CHECK_EQ(c.idle_timeout_s, 30);
	CHECK_EQ(c.template_refresh_s, 600);
	CHECK_EQ(c.mtu, 65507);
	CHECK(c.domain_id == 4294967295LL, "domain_id %lld", c.domain_id);
	CHECK_EQ(c.persist, 1);
	CHECK_EQ(c.sample, 1048576);
	CHECK_EQ(c.sample_auto, 0);
	CHECK(parse(&c, "FLOWSTAT_SAMPLE=auto\n") == 0, "%s", err);
	CHECK(c.sample == 0 && c.sample_auto == 1, "auto: %u %d", c.sample,
	      c.sample_auto);
	CHECK(parse(&c, "FLOWSTAT_SAMPLE=1\n") == 0, "%s", err);
	CHECK(c.sample == 0 && c.sample_auto == 0, "1: %u %d", c.sample,
	      c.sample_auto);
	CHECK(parse(&c, "FLOWSTAT_SAMPLE=10\nFLOWSTAT_SAMPLE=\n") == 0, "%s",
	      err);
	CHECK(c.sample == 0 && c.sample_auto == 0, "empty: %u %d", c.sample,
	      c.sample_auto);

	/* An empty value is the default; the later line of a key wins. */
	CHECK(parse(&c, "FLOWSTAT_INTERFACES=\nFLOWSTAT_IPFIX=''\n"
			"FLOWSTAT_PROMETHEUS=\"\"\nFLOWSTAT_ACTIVE_TIMEOUT=\n"
			"FLOWSTAT_IDLE_TIMEOUT=\nFLOWSTAT_TEMPLATE_REFRESH=\n"
			"FLOWSTAT_MTU=9000\nFLOWSTAT_MTU=\n"
			"FLOWSTAT_DOMAIN_ID=\nFLOWSTAT_PERSIST=\n") == 0,
	      "%s", err);
	check_defaults(&c);
	CHECK(parse(&c, "FLOWSTAT_MTU=512\nFLOWSTAT_DOMAIN_ID=0\n"
			"FLOWSTAT_PERSIST=no\nFLOWSTAT_INTERFACES=lo\n"
			"FLOWSTAT_INTERFACES=\"  veth0\tveth1  \"\n") == 0,
	      "%s", err);
	CHECK_EQ(c.mtu, 512);
	CHECK(c.domain_id == 0, "domain_id %lld", c.domain_id);
	CHECK_EQ(c.persist, 0);
	CHECK_EQ(c.n_ifnames, 2);
	if (c.n_ifnames == 2)
		CHECK_STR(c.ifnames[1], "veth1");
	agent_config_free(&c);
	tl_end();
}

/* Every bad input, with the whole message it must give. */
#define X16 "1212121212121212"
static const struct {
	const char *text, *message;
} bad[] = {
	/* lines */
	{ "eth0", "line 1: 'eth0' is not KEY=value" },
	{ "=1400", "line 1: '=1400' is not KEY=value" },
	{ "1FLOWSTAT=1", "line 1: '1FLOWSTAT=1' is not KEY=value" },
	{ "FLOWSTAT-MTU=1", "line 1: 'FLOWSTAT-MTU=1' is not KEY=value" },
	{ "\xef\xbb\xbf" "FLOWSTAT_MTU=1", "line 1: '???FLOWSTAT_MTU=1' is not "
					 "KEY=value" },
	{ "export FLOWSTAT_MTU=1400", "line 1: write KEY=value, without "
				      "export (systemd does not read it)" },
	{ "# ok\n\nFLOWSTAT_MTUU=1", "line 3: FLOWSTAT_MTUU: unknown key" },
	{ "flowstat_mtu=1400", "line 1: flowstat_mtu: unknown key" },
	{ "FLOWSTAT_MTU=1400\nFLOWSTAT_MTU=1400\0", "line 2: a NUL byte" },
	/* quotes */
	{ "FLOWSTAT_MTU='1400", "line 1: FLOWSTAT_MTU: no closing ' (a value "
				"ends on its line)" },
	{ "FLOWSTAT_IPFIX=\"192.0.2.1:4739\n192.0.2.2:4739\"",
	  "line 1: FLOWSTAT_IPFIX: no closing \" (a value ends on its line)" },
	{ "FLOWSTAT_MTU='1400' # bytes", "line 1: FLOWSTAT_MTU: text after "
	  "the closing ' (comments go on lines of their own)" },
	{ "FLOWSTAT_MTU=\"1400\"\"\"", "line 1: FLOWSTAT_MTU: text after the "
	  "closing \" (comments go on lines of their own)" },
	{ "FLOWSTAT_MTU=1400 # bytes", "line 1: FLOWSTAT_MTU: a value with "
	  "spaces must be quoted (comments go on lines of their own)" },
	{ "FLOWSTAT_INTERFACES=eth0 eth1", "line 1: FLOWSTAT_INTERFACES: a "
	  "value with spaces must be quoted (comments go on lines of their "
	  "own)" },
	{ "FLOWSTAT_MTU=\"$MTU\"", "line 1: FLOWSTAT_MTU: \\ $ and ` are "
	  "special to sh inside \"...\"; quote with '...'" },
	{ "FLOWSTAT_INTERFACES=\"eth\\0\"", "line 1: FLOWSTAT_INTERFACES: \\ $ "
	  "and ` are special to sh inside \"...\"; quote with '...'" },
	{ "FLOWSTAT_MTU=$MTU", "line 1: FLOWSTAT_MTU: $ is special to sh; "
	  "quote the value with '...'" },
	{ "FLOWSTAT_MTU=`echo 1`", "line 1: FLOWSTAT_MTU: a value with spaces "
	  "must be quoted (comments go on lines of their own)" },
	{ "FLOWSTAT_MTU=1400;", "line 1: FLOWSTAT_MTU: ; is special to sh; "
	  "quote the value with '...'" },
	{ "FLOWSTAT_MTU=14'00'", "line 1: FLOWSTAT_MTU: ' is special to sh; "
	  "quote the value with '...'" },
	{ "FLOWSTAT_INTERFACES=~eth0", "line 1: FLOWSTAT_INTERFACES: ~ is "
	  "special to sh; quote the value with '...'" },
	{ "FLOWSTAT_INTERFACES=eth0\\", "line 1: FLOWSTAT_INTERFACES: \\ is "
	  "special to sh; quote the value with '...'" },
	/* numbers */
	{ "FLOWSTAT_MTU=511", "line 1: FLOWSTAT_MTU: 511 is out of range "
			      "(512..65507)" },
	{ "FLOWSTAT_MTU=65508", "line 1: FLOWSTAT_MTU: 65508 is out of range "
				"(512..65507)" },
	{ "FLOWSTAT_MTU=99999999999999999999999", "line 1: FLOWSTAT_MTU: "
	  "99999999999999999999999 is out of range (512..65507)" },
	{ "FLOWSTAT_MTU=1k", "line 1: FLOWSTAT_MTU: '1k' is not a number" },
	{ "FLOWSTAT_MTU=-1", "line 1: FLOWSTAT_MTU: '-1' is not a number" },
	{ "FLOWSTAT_MTU=+1400", "line 1: FLOWSTAT_MTU: '+1400' is not a "
				"number" },
	{ "FLOWSTAT_MTU=' 1400'", "line 1: FLOWSTAT_MTU: ' 1400' is not a "
				  "number" },
	{ "FLOWSTAT_ACTIVE_TIMEOUT=0", "line 1: FLOWSTAT_ACTIVE_TIMEOUT: 0 is "
				       "out of range (1..86400)" },
	{ "FLOWSTAT_IDLE_TIMEOUT=86401", "line 1: FLOWSTAT_IDLE_TIMEOUT: "
	  "86401 is out of range (1..86400)" },
	{ "FLOWSTAT_TEMPLATE_REFRESH=1.5", "line 1: FLOWSTAT_TEMPLATE_REFRESH: "
	  "'1.5' is not a number" },
	{ "FLOWSTAT_DOMAIN_ID=4294967296", "line 1: FLOWSTAT_DOMAIN_ID: "
	  "4294967296 is out of range (0..4294967295)" },
	{ "FLOWSTAT_DOMAIN_ID=-1", "line 1: FLOWSTAT_DOMAIN_ID: '-1' is not "
				   "a number" },
	{ "FLOWSTAT_PERSIST=true", "line 1: FLOWSTAT_PERSIST: 'true' is not "
				   "yes or no" },
	{ "FLOWSTAT_PERSIST=YES", "line 1: FLOWSTAT_PERSIST: 'YES' is not yes "
				  "or no" },
	{ "FLOWSTAT_SAMPLE=0", "line 1: FLOWSTAT_SAMPLE: '0' is not auto or "
			       "1..1048576" },
	{ "FLOWSTAT_SAMPLE=1048577", "line 1: FLOWSTAT_SAMPLE: '1048577' is "
				     "not auto or 1..1048576" },
	{ "FLOWSTAT_SAMPLE=-10", "line 1: FLOWSTAT_SAMPLE: '-10' is not auto "
				 "or 1..1048576" },
	{ "FLOWSTAT_SAMPLE=Auto", "line 1: FLOWSTAT_SAMPLE: 'Auto' is not "
				  "auto or 1..1048576" },
	/* interfaces */
	{ "FLOWSTAT_INTERFACES='eth0 abcdefghijklmnop'", "line 1: "
	  "FLOWSTAT_INTERFACES: 'abcdefghijklmnop' is not an interface name "
	  "(1 to 15 bytes; no '/', ':' or spaces)" },
	{ "FLOWSTAT_INTERFACES=eth0/1", "line 1: FLOWSTAT_INTERFACES: "
	  "'eth0/1' is not an interface name (1 to 15 bytes; no '/', ':' or "
	  "spaces)" },
	{ "FLOWSTAT_INTERFACES=eth0:1", "line 1: FLOWSTAT_INTERFACES: "
	  "'eth0:1' is not an interface name (1 to 15 bytes; no '/', ':' or "
	  "spaces)" },
	{ "FLOWSTAT_INTERFACES=..", "line 1: FLOWSTAT_INTERFACES: '..' is not "
	  "an interface name (1 to 15 bytes; no '/', ':' or spaces)" },
	{ "FLOWSTAT_INTERFACES='a\x1b[2Jb'", "line 1: FLOWSTAT_INTERFACES: "
	  "'a?[2Jb' is not an interface name (1 to 15 bytes; no '/', ':' or "
	  "spaces)" },
	{ "FLOWSTAT_INTERFACES='a\x7f" "b'", "line 1: FLOWSTAT_INTERFACES: "
	  "'a?b' is not an interface name (1 to 15 bytes; no '/', ':' or "
	  "spaces)" },
	{ "FLOWSTAT_INTERFACES='eth0 eth1 eth0'", "line 1: "
	  "FLOWSTAT_INTERFACES: eth0 is listed twice" },
	/* collectors */
	{ "FLOWSTAT_IPFIX=192.0.2.1", "line 1: FLOWSTAT_IPFIX: '192.0.2.1' "
				      "has no port (HOST:PORT)" },
	{ "FLOWSTAT_IPFIX=192.0.2.1:", "line 1: FLOWSTAT_IPFIX: '192.0.2.1:' "
				       "has no port (HOST:PORT)" },
	{ "FLOWSTAT_IPFIX=192.0.2.1:0", "line 1: FLOWSTAT_IPFIX: "
	  "'192.0.2.1:0': port 0 is out of range (1..65535)" },
	{ "FLOWSTAT_IPFIX=192.0.2.1:65536", "line 1: FLOWSTAT_IPFIX: "
	  "'192.0.2.1:65536': port 65536 is out of range (1..65535)" },
	{ "FLOWSTAT_IPFIX=192.0.2.1:ipfix", "line 1: FLOWSTAT_IPFIX: "
	  "'192.0.2.1:ipfix': port 'ipfix' is not a number" },
	{ "FLOWSTAT_IPFIX=:4739", "line 1: FLOWSTAT_IPFIX: ':4739' has no "
				  "host before the port" },
	{ "FLOWSTAT_IPFIX=2001:db8::1:4739", "line 1: FLOWSTAT_IPFIX: "
	  "'2001:db8::1:4739': an IPv6 address goes in brackets "
	  "([ADDR]:PORT)" },
	{ "FLOWSTAT_IPFIX=[2001:db8::1]", "line 1: FLOWSTAT_IPFIX: "
	  "'[2001:db8::1]' has no port (HOST:PORT)" },
	{ "FLOWSTAT_IPFIX=[2001:db8::1]4739", "line 1: FLOWSTAT_IPFIX: "
	  "'[2001:db8::1]4739': ':' and a port must follow ']'" },
	{ "FLOWSTAT_IPFIX=[2001:db8::1:4739", "line 1: FLOWSTAT_IPFIX: "
	  "'[2001:db8::1:4739': no ']' after the IPv6 address" },
	{ "FLOWSTAT_IPFIX=[192.0.2.1]:4739", "line 1: FLOWSTAT_IPFIX: "
	  "'[192.0.2.1]:4739' is not an IPv6 address" },
	{ "FLOWSTAT_IPFIX=[fe80::1%eth/0]:4739", "line 1: FLOWSTAT_IPFIX: "
	  "'[fe80::1%eth/0]:4739' is not an IPv6 address" },
	{ "FLOWSTAT_IPFIX=192.0.2.256:4739", "line 1: FLOWSTAT_IPFIX: "
	  "'192.0.2.256:4739' is not a host name or an IPv4 address" },
	{ "FLOWSTAT_IPFIX=-collector.example:4739", "line 1: FLOWSTAT_IPFIX: "
	  "'-collector.example:4739' is not a host name or an IPv4 address" },
	{ "FLOWSTAT_IPFIX=a..example:4739", "line 1: FLOWSTAT_IPFIX: "
	  "'a..example:4739' is not a host name or an IPv4 address" },
	{ "FLOWSTAT_IPFIX=coll_ector:4739", "line 1: FLOWSTAT_IPFIX: "
	  "'coll_ector:4739' is not a host name or an IPv4 address" },
	{ "FLOWSTAT_IPFIX='192.0.2.1:4739 192.0.2.1:4739'", "line 1: "
	  "FLOWSTAT_IPFIX: 192.0.2.1:4739 is listed twice" },
	/* the listener */
	{ "FLOWSTAT_PROMETHEUS=localhost:9599", "line 1: FLOWSTAT_PROMETHEUS: "
	  "'localhost:9599' is not an IP address (a listener binds an "
	  "address, not a name)" },
	{ "FLOWSTAT_PROMETHEUS=[::1]:0", "line 1: FLOWSTAT_PROMETHEUS: "
	  "'[::1]:0': port 0 is out of range (1..65535)" },
	{ "FLOWSTAT_PROMETHEUS=9599", "line 1: FLOWSTAT_PROMETHEUS: '9599' has "
				      "no port (HOST:PORT)" },
	{ "FLOWSTAT_PROMETHEUS='127.0.0.1:9599 [::1]:9599'", "line 1: "
	  "FLOWSTAT_PROMETHEUS: '127.0.0.1:9599 [::1]:9599': one ADDR:PORT "
	  "only" },
	{ "FLOWSTAT_PROMETHEUS=" X16 X16 X16 X16 X16 X16 X16 X16, "line 1: "
	  "FLOWSTAT_PROMETHEUS: '" X16 X16 X16 "...' is too long" },
};

static void test_bad(void)
{
	struct agent_config c;
	size_t i, len;
	int ret;

	tl_begin("config: %zu bad inputs, each with its message",
		 sizeof(bad) / sizeof(bad[0]));
	agent_config_defaults(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* the NUL case: its length reaches past the embedded NUL */
		len = strlen(bad[i].text);
		if (strstr(bad[i].message, "NUL"))
			len++;
		err[0] = '\0';
		ret = agent_config_parse(&c, bad[i].text, len, err,
					 sizeof(err));
		CHECK(ret == -EINVAL, "[%zu] returned %d", i, ret);
		CHECK(!strcmp(err, bad[i].message),
		      "[%zu]\n#     got  %s\n#     want %s", i, err,
		      bad[i].message);
	}
	check_defaults(&c);	/* none of them changed anything */
	agent_config_free(&c);
	tl_end();
}

static void test_unchanged(void)
{
	struct agent_config c;
	char small[16];

	tl_begin("config: a failed parse leaves the config as it was; short "
		 "error buffers are cut, not overrun");
	agent_config_defaults(&c);
	CHECK(parse(&c, "FLOWSTAT_INTERFACES='eth0 eth1'\n"
			"FLOWSTAT_IPFIX=192.0.2.1:4739\nFLOWSTAT_MTU=9000\n")
		      == 0, "%s", err);
	CHECK(parse(&c, "FLOWSTAT_INTERFACES=veth9\nFLOWSTAT_IPFIX=\n"
			"FLOWSTAT_MTU=1500\nFLOWSTAT_PERSIST=maybe\n")
		      == -EINVAL, "accepted");
	CHECK_STR(err, "line 4: FLOWSTAT_PERSIST: 'maybe' is not yes or no");
	CHECK_EQ(c.n_ifnames, 2);
	CHECK_EQ(c.n_ipfix, 1);
	CHECK_EQ(c.mtu, 9000);
	if (c.n_ifnames == 2 && c.n_ipfix == 1) {
		CHECK_STR(c.ifnames[0], "eth0");
		CHECK_STR(c.ipfix[0], "192.0.2.1:4739");
	}
	memset(small, 'x', sizeof(small));
	CHECK(agent_config_parse(&c, "x", 1, small, 8) == -EINVAL, "accepted");
	CHECK_STR(small, "line 1:");
	CHECK(small[8] == 'x', "wrote past the buffer");
	CHECK(agent_config_parse(&c, "x", 1, NULL, 0) == -EINVAL, "accepted");
	CHECK(agent_config_parse(&c, "FLOWSTAT_MTU=1400", 17, NULL, 0) == 0,
	      "refused");
	CHECK_EQ(c.mtu, 1400);
	agent_config_free(&c);
	tl_end();
}

/* What the command line does: set a key, add to a list. */
static void test_setters(void)
{
	struct agent_config c;
	char why[256];

	tl_begin("config: setters for the command line; lists replace or "
		 "append; reasons without line or key");
	agent_config_defaults(&c);
	CHECK(agent_config_set(&c, AGENT_KEY_MTU, "9000", why, sizeof(why)) ==
		      0, "%s", why);
	CHECK_EQ(c.mtu, 9000);
	CHECK(agent_config_set(&c, AGENT_KEY_MTU, "100", why, sizeof(why)) ==
		      -EINVAL, "accepted");
	CHECK_STR(why, "100 is out of range (512..65507)");
	CHECK_EQ(c.mtu, 9000);
	CHECK(agent_config_set(&c, AGENT_KEY_PERSIST, "yes", why,
			       sizeof(why)) == 0, "%s", why);
	CHECK_EQ(c.persist, 1);
	CHECK(agent_config_set(&c, AGENT_KEY_PROMETHEUS, AGENT_PROMETHEUS_ADDR,
			       why, sizeof(why)) == 0, "%s", why);
	CHECK_STR(c.prometheus, "127.0.0.1:9599");
	CHECK(agent_config_set(&c, AGENT_KEY_PROMETHEUS, "::1:9599", why,
			       sizeof(why)) == -EINVAL, "accepted");
	CHECK_STR(c.prometheus, "127.0.0.1:9599");

	CHECK(agent_config_set(&c, AGENT_KEY_IPFIX, "192.0.2.1:4739 "
			       "192.0.2.2:4739", why, sizeof(why)) == 0,
	      "%s", why);
	CHECK_EQ(c.n_ipfix, 2);
	CHECK(agent_config_set(&c, AGENT_KEY_IPFIX, "[2001:db8::1]:4739",
			       why, sizeof(why)) == 0, "%s", why);
	CHECK_EQ(c.n_ipfix, 1);
	CHECK(agent_config_add(&c, AGENT_KEY_IPFIX, "198.51.100.7:4739", why,
			       sizeof(why)) == 0, "%s", why);
	CHECK(agent_config_add(&c, AGENT_KEY_IPFIX, "198.51.100.7:4739", why,
			       sizeof(why)) == -EINVAL, "accepted");
	CHECK_STR(why, "198.51.100.7:4739 is listed twice");
	CHECK(agent_config_add(&c, AGENT_KEY_IPFIX, "198.51.100.8", why,
			       sizeof(why)) == -EINVAL, "accepted");
	CHECK_STR(why, "'198.51.100.8' has no port (HOST:PORT)");
	CHECK_EQ(c.n_ipfix, 2);
	if (c.n_ipfix == 2) {
		CHECK_STR(c.ipfix[0], "[2001:db8::1]:4739");
		CHECK_STR(c.ipfix[1], "198.51.100.7:4739");
	}
	CHECK(agent_config_add(&c, AGENT_KEY_INTERFACES, "veth0", why,
			       sizeof(why)) == 0, "%s", why);
	CHECK(agent_config_add(&c, AGENT_KEY_INTERFACES, "veth 1", why,
			       sizeof(why)) == -EINVAL, "accepted");
	CHECK_EQ(c.n_ifnames, 1);
	CHECK(agent_config_add(&c, AGENT_KEY_MTU, "1400", why, sizeof(why)) ==
		      -EINVAL, "accepted");
	CHECK_STR(why, "not a list");
	CHECK(agent_config_set(&c, AGENT_KEY_COUNT, "1", why, sizeof(why)) ==
		      -EINVAL, "accepted");
	CHECK_STR(why, "no such key");
	agent_config_free(&c);
	tl_end();
}

static int write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(text, 1, len, f) == len;
	return fclose(f) || !ok ? -1 : 0;
}

static void test_load(void)
{
	char dir[] = "/tmp/agent_config_test.XXXXXX", path[64], want[256];
	struct agent_config c;
	size_t big = AGENT_CONFIG_MAX_BYTES + 1;
	const char *text;
	char *huge;
	int ret;

	tl_begin("config: load a file; missing, a directory, too big, bad");
	agent_config_defaults(&c);
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		tl_end();
		return;
	}
	snprintf(path, sizeof(path), "%s/flowstat", dir);
	CHECK(write_file(path, every_key, strlen(every_key)) == 0, "write");
	ret = agent_config_load(&c, path, err, sizeof(err));
	CHECK(ret == 0, "%s", err);
	CHECK_EQ(c.mtu, 65507);
	CHECK_EQ(c.n_ipfix, 4);

	text = "FLOWSTAT_MTU=9000\nFLOWSTAT_MTU=x\n";
	CHECK(write_file(path, text, strlen(text)) == 0, "write");
	CHECK(agent_config_load(&c, path, err, sizeof(err)) == -EINVAL, "ok");
	snprintf(want, sizeof(want),
		 "%s: line 2: FLOWSTAT_MTU: 'x' is not a number", path);
	CHECK_STR(err, want);
	CHECK_EQ(c.mtu, 65507);

	/* A file of exactly the limit is read; one byte more is not. */
	huge = malloc(big);
	if (huge) {
		memset(huge, '\n', big);
		memcpy(huge + big - 18, "FLOWSTAT_MTU=1280", 17);
		CHECK(write_file(path, huge + 1, big - 1) == 0, "write");
		CHECK(agent_config_load(&c, path, err, sizeof(err)) == 0,
		      "%s", err);
		CHECK_EQ(c.mtu, 1280);
		CHECK(write_file(path, huge, big) == 0, "write");
		CHECK(agent_config_load(&c, path, err, sizeof(err)) == -EFBIG,
		      "%s", err);
		snprintf(want, sizeof(want), "%s: larger than 65536 bytes",
			 path);
		CHECK_STR(err, want);
		free(huge);
	}
	unlink(path);
	CHECK(agent_config_load(&c, path, err, sizeof(err)) == -ENOENT, "%s",
	      err);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	CHECK_STR(err, want);
	CHECK(agent_config_load(&c, dir, err, sizeof(err)) == -EISDIR, "%s",
	      err);
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	CHECK_STR(err, want);
	CHECK_EQ(c.mtu, 1280);
	rmdir(dir);
	agent_config_free(&c);
	tl_end();
}

/* The file `make install` puts in /etc/default: every key, defaults. */
static void test_shipped(void)
{
	struct agent_config c;
	char *text = NULL, commented[64], set[64];
	size_t len = 0;
	FILE *f;
	int i;

	tl_begin("config: the shipped " SHIPPED " names every key and "
		 "holds the defaults, with the listener on");
	agent_config_defaults(&c);
	CHECK(agent_config_load(&c, SHIPPED, err, sizeof(err)) == 0, "%s",
	      err);
	CHECK_STR(c.prometheus, AGENT_PROMETHEUS_ADDR);
	c.prometheus[0] = '\0';
	check_defaults(&c);
	f = fopen(SHIPPED, "r");
	if (f && getdelim(&text, &len, '\0', f) > 0)
		for (i = 0; i < AGENT_KEY_COUNT; i++) {
			snprintf(commented, sizeof(commented), "\n#%s=",
				 agent_config_key_name(i));
			snprintf(set, sizeof(set), "\n%s=",
				 agent_config_key_name(i));
			CHECK(strstr(text, commented) || strstr(text, set),
			      "no line %s= in the file", set + 1);
		}
	CHECK(f != NULL, "open " SHIPPED);
	if (f)
		fclose(f);
	free(text);
	agent_config_free(&c);
	tl_end();
}

int main(void)
{
	test_defaults();
	test_every_key();
	test_bad();
	test_unchanged();
	test_setters();
	test_load();
	test_shipped();
	return tl_exit();
}
