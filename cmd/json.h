/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer: objects, arrays, strings (escaped), u64,
 * s64, double, bool and null, written straight to a FILE as they come.
 * Commas and (with pretty) indentation are handled by the writer; callers
 * only say what comes next.
 *
 *	json_init(&w, stdout, false);
 *	json_object_start(&w);
 *	json_kv_string(&w, "ifname", "eth0");
 *	json_key(&w, "flows");
 *	json_array_start(&w);
 *	...
 *	json_array_end(&w);
 *	json_object_end(&w);
 *	json_finish(&w);	// newline, flush; 0 or -EIO
 */
#ifndef FLOWSTAT_JSON_H
#define FLOWSTAT_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *out;
	bool pretty;
	int depth;
	bool after_key;		/* a key was written, value next */
	bool has_items[JSON_MAX_DEPTH];	/* per level: comma needed */
};

void json_init(struct json_writer *w, FILE *out, bool pretty);
void json_object_start(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_start(struct json_writer *w);
void json_array_end(struct json_writer *w);
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);
void json_u64(struct json_writer *w, __u64 v);
void json_s64(struct json_writer *w, __s64 v);
void json_double(struct json_writer *w, double v);	/* NaN/inf: null */
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* key + value in one call */
void json_kv_string(struct json_writer *w, const char *k, const char *s);
void json_kv_u64(struct json_writer *w, const char *k, __u64 v);
void json_kv_s64(struct json_writer *w, const char *k, __s64 v);
void json_kv_double(struct json_writer *w, const char *k, double v);
void json_kv_bool(struct json_writer *w, const char *k, bool v);
void json_kv_null(struct json_writer *w, const char *k);

/* End the document: newline and flush. 0, or -EIO if writing failed. */
int json_finish(struct json_writer *w);

#endif /* FLOWSTAT_JSON_H */
