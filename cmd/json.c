// SPDX-License-Identifier: GPL-2.0
/* The streaming JSON writer (see json.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include "json.h"

void json_init(struct json_writer *w, FILE *out, bool pretty)
{
	w->out = out;
	w->pretty = pretty;
	w->depth = 0;
	w->after_key = false;
	w->has_items[0] = false;
}

static void json_indent(struct json_writer *w)
{
	int i;

	if (!w->pretty)
		return;
	fputc('\n', w->out);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->out);
}

/* Called before every value or key: the comma and the indentation. */
static void json_sep(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->has_items[w->depth])
		fputc(',', w->out);
	w->has_items[w->depth] = true;
	if (w->depth > 0)
		json_indent(w);
}

static void json_open(struct json_writer *w, char c)
{
	json_sep(w);
	fputc(c, w->out);
	if (w->depth < JSON_MAX_DEPTH - 1)
		w->depth++;
	w->has_items[w->depth] = false;
}

static void json_close(struct json_writer *w, char c)
{
	bool had_items = w->has_items[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (had_items)
		json_indent(w);
	fputc(c, w->out);
}

void json_object_start(struct json_writer *w)
{
	json_open(w, '{');
}

void json_object_end(struct json_writer *w)
{
	json_close(w, '}');
}

void json_array_start(struct json_writer *w)
{
	json_open(w, '[');
}

void json_array_end(struct json_writer *w)
{
	json_close(w, ']');
}

static void json_escaped(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	json_sep(w);
	json_escaped(w->out, key);
	fputs(w->pretty ? ": " : ":", w->out);
	w->after_key = true;
}

void json_string(struct json_writer *w, const char *s)
{
	json_sep(w);
	if (s)
		json_escaped(w->out, s);
	else
		fputs("null", w->out);
}

void json_u64(struct json_writer *w, __u64 v)
{
	json_sep(w);
	fprintf(w->out, "%" PRIu64, (uint64_t)v);
}

void json_s64(struct json_writer *w, __s64 v)
{
	json_sep(w);
	fprintf(w->out, "%" PRId64, (int64_t)v);
}

/* The shortest of %.15g / %.17g that reads back as the same double. */
void json_double(struct json_writer *w, double v)
{
	char buf[40];

	json_sep(w);
	if (!isfinite(v)) {
		fputs("null", w->out);
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, w->out);
}

void json_bool(struct json_writer *w, bool v)
{
	json_sep(w);
	fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	json_sep(w);
	fputs("null", w->out);
}

void json_kv_string(struct json_writer *w, const char *k, const char *s)
{
	json_key(w, k);
	json_string(w, s);
}

void json_kv_u64(struct json_writer *w, const char *k, __u64 v)
{
	json_key(w, k);
	json_u64(w, v);
}

void json_kv_s64(struct json_writer *w, const char *k, __s64 v)
{
	json_key(w, k);
	json_s64(w, v);
}

void json_kv_double(struct json_writer *w, const char *k, double v)
{
	json_key(w, k);
	json_double(w, v);
}

void json_kv_bool(struct json_writer *w, const char *k, bool v)
{
	json_key(w, k);
	json_bool(w, v);
}

void json_kv_null(struct json_writer *w, const char *k)
{
	json_key(w, k);
	json_null(w);
}

int json_finish(struct json_writer *w)
{
	fputc('\n', w->out);
	if (fflush(w->out) || ferror(w->out))
		return -EIO;
	return 0;
}
