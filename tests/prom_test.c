// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exposition, byte for byte: a fixed input against
 * tests/data/metrics.expected, label escaping, an empty interface list,
 * and the shape of the format (one HELP and TYPE per family, families
 * contiguous). "prom_test --print" writes the fixture's exposition.
 */
#include <stdlib.h>
#include <string.h>
#include "prom_fixture.h"
#include "testlib.h"

#define EXPECTED "tests/data/metrics.expected"

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = 0;
			*len = n;
		}
	}
	fclose(f);
	return buf;
}

/* Says where two texts part, as line numbers and both lines. */
static void show_difference(const char *got, size_t glen, const char *want,
			    size_t wlen)
{
	size_t i, line = 1, start = 0;

	for (i = 0; i < glen && i < wlen && got[i] == want[i]; i++) {
		if (got[i] == '\n') {
			line++;
			start = i + 1;
		}
	}
	printf("#   first difference on line %zu:\n#   got:  %.*s\n#   want: %.*s\n",
	       line, (int)strcspn(got + start, "\n"), got + start,
	       (int)strcspn(want + start, "\n"), want + start);
}

static void test_fixture(void)
{
	struct http_body b = { 0 };
	size_t wlen = 0;
	char *want = read_file(EXPECTED, &wlen);

	tl_begin("fixture renders exactly as " EXPECTED);
	CHECK(want, "cannot read " EXPECTED " (run from the repository)");
	CHECK_EQ(fixture_render(&b), 0);
	if (want) {
		CHECK(b.len == wlen && !memcmp(b.data, want, wlen),
		      "rendered %zu bytes, expected %zu", b.len, wlen);
		if (b.len != wlen || memcmp(b.data, want, wlen))
			show_difference(b.data, b.len, want, wlen);
	}
	free(want);
	http_body_free(&b);
	tl_end();
}

/* Has the text the line, whole? */
static int has_line(const struct http_body *b, const char *line)
{
	size_t n = strlen(line);
	const char *p = b->data, *end = b->data + b->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (nl && (size_t)(nl - p) == n && !memcmp(p, line, n))
			return 1;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static void test_escaping(void)
{
	struct prom_agent a = { .start_time_s = 1 };
	struct prom_iface full = { .max_flows = 6 };
	struct http_body b = { 0 };

	/* 16 bytes and no NUL: the name ends at the array's end */
	memcpy(full.ifname, "0123456789abcdef", 16);
	tl_begin("label values: quote, backslash, newline escaped; not UTF-8 replaced");
	CHECK_EQ(fixture_render_odd(&b), 0);
	CHECK(has_line(&b, "flowstat_flows_capacity{interface=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\","
			   "netns=\"ns-\xc3\xa9-\xf0\x9f\x98\x80-\xef\xbf\xbd\xef\xbf\xbd\"} 5"),
	      "escaped capacity line missing:\n%.*s", (int)b.len, b.data);
	CHECK(has_line(&b, "flowstat_export_messages_total{collector=\"c\\\"o\\\\l\"} 0"),
	      "escaped collector line missing");
	http_body_free(&b);
	tl_end();

	tl_begin("an interface name that fills its array is cut at its end");
	CHECK_EQ(prom_render(&b, &a, &full, 1, NULL, 0), 0);
	CHECK(has_line(&b, "flowstat_flows_capacity{interface=\"0123456789abcdef\"} 6"),
	      "line missing:\n%.*s", (int)b.len, b.data);
	http_body_free(&b);
	tl_end();
}

static void test_empty(void)
{
	static const char want[] =
		"# HELP flowstat_agent_start_time_seconds When the agent started, in seconds since the Unix epoch.\n"
		"# TYPE flowstat_agent_start_time_seconds gauge\n"
		"flowstat_agent_start_time_seconds 1700000000\n"
		"# HELP flowstat_agent_scrapes_total Scrapes of this endpoint, this one included.\n"
		"# TYPE flowstat_agent_scrapes_total counter\n"
		"flowstat_agent_scrapes_total 1\n";
	struct prom_agent a = { .start_time_s = 1700000000, .scrapes = 1 };
	struct http_body b = { 0 };

	tl_begin("no interfaces, no collectors: the agent's families only");
	CHECK_EQ(prom_render(&b, &a, NULL, 0, NULL, 0), 0);
	CHECK(b.len == strlen(want) && !memcmp(b.data, want, b.len),
	      "got:\n%.*s", (int)b.len, b.data);
	http_body_free(&b);
	tl_end();
}

/*
 * The format's rules over the fixture: a HELP then a TYPE once per
 * family, its samples right after them and named as it is, every line
 * ended; and two renders are the same bytes.
 */
static void test_shape(void)
{
	struct http_body b = { 0 }, again = { 0 };
	char family[128] = "", seen[64][128];
	int nseen = 0, i, samples = 0;
	const char *p, *end;

	tl_begin("one HELP and TYPE per family, families contiguous, deterministic");
	fixture_render(&b);
	fixture_render(&again);
	CHECK(b.len == again.len && !memcmp(b.data, again.data, b.len),
	      "two renders differ");
	CHECK(b.len && b.data[b.len - 1] == '\n', "last line not ended");
	for (p = b.data, end = b.data + b.len; p < end;) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		p += n + 1;
		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", family);
			for (i = 0; i < nseen; i++)
				CHECK(strcmp(seen[i], family),
				      "family %s twice", family);
			if (nseen < 64)
				strcpy(seen[nseen++], family);
			CHECK(p < end && !strncmp(p, "# TYPE ", 7) &&
			      !strncmp(p + 7, family, strlen(family)) &&
			      p[7 + strlen(family)] == ' ',
			      "HELP %s not followed by its TYPE", family);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7))
			continue;
		samples++;
		CHECK(!strncmp(line, family, strlen(family)) &&
		      (line[strlen(family)] == '{' ||
		       line[strlen(family)] == ' '),
		      "sample outside its family %s: %s", family, line);
	}
	CHECK(nseen == 31, "%d families", nseen);
	CHECK(samples == 87, "%d samples", samples);
	http_body_free(&b);
	http_body_free(&again);
	tl_end();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--print")) {
		struct http_body b = { 0 };

		if (fixture_render(&b))
			return 1;
		fwrite(b.data, 1, b.len, stdout);
		http_body_free(&b);
		return 0;
	}
	test_fixture();
	test_escaping();
	test_empty();
	test_shape();
	return tl_exit();
}
