/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exporters' HTTP listener: a small, single-threaded, non-blocking
 * HTTP/1.x server that answers GET and HEAD with what a handler writes
 * (the Prometheus endpoint), inside the caller's poll loop. It never
 * prints and never blocks: errors are returned, the caller reports them.
 *
 *	struct http_server *s;
 *	if (http_open(&s, "127.0.0.1:9599", NULL, err, sizeof(err)) < 0) ...
 *	for (;;) {
 *		struct pollfd p = { .fd = http_fd(s), .events = POLLIN };
 *		poll(&p, 1, http_next_timeout_ms(s, now_ms()));
 *		http_service(s, now_ms(), serve_metrics, ctx);
 *	}
 *	http_close(s);
 *
 * One request per connection: every answer has Content-Length and
 * "Connection: close". The bounds (struct http_opts):
 *   - a request line and headers larger than max_request get 431;
 *   - a request that has not arrived whole timeout_ms after the accept is
 *     dropped (slow clients), and so is an answer that the client has not
 *     read whole timeout_ms after it was ready (a client that never
 *     reads holds a slot, not the server);
 *   - at most max_conns connections are open. When all are taken, a new
 *     connection takes the place of the oldest one that has not sent a
 *     whole request (or has been answered and is being closed): a flood
 *     of idle connections only pushes itself out, and a scraper, which
 *     sends its request as it connects, is read in the same call that
 *     accepts it. Only when every slot is sending an answer is the new
 *     connection closed at once.
 */
#ifndef FLOWSTAT_HTTP_H
#define FLOWSTAT_HTTP_H

#include <stddef.h>
#include <linux/types.h>

/* A growable text buffer: the handler writes the response body here. */
struct http_body {
	char *data;
	size_t len, cap;
	int err;		/* -ENOMEM once an append failed (sticky) */
	/* Content-Type of a 200 answer; NULL: text/plain; charset=utf-8 */
	const char *content_type;
};

void http_body_append(struct http_body *b, const char *s, size_t n);
void http_body_puts(struct http_body *b, const char *s);
void http_body_printf(struct http_body *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void http_body_free(struct http_body *b);

/*
 * Writes the body of GET/HEAD path into out and returns the status: 200,
 * or 404 (the server then writes its own body). A negative errno is
 * answered with 500. HEAD calls it too (for Content-Length).
 */
typedef int (*http_handler)(void *ctx, const char *path,
			    struct http_body *out);

struct http_opts {
	int max_conns;		/* open connections; 0: 16, at most 4096 */
	unsigned int timeout_ms;/* for the request, then the answer; 0: 5000 */
	size_t max_request;	/* request line + headers; 0: 8192, <= 1 MiB */
};

/* What happened so far, for the caller's own metrics or tests. */
struct http_stats {
	__u64 accepted;		/* connections taken */
	__u64 answered;		/* answers sent whole (any status) */
	__u64 timed_out;	/* dropped at their deadline */
	__u64 evicted;		/* pushed out by a newer connection */
	__u64 refused;		/* closed at once: all slots answering */
	int open;		/* connections open now */
};

struct http_server;

/*
 * Listens on addr: a numeric "IPv4:PORT" or "[IPv6]:PORT" (port 0: any
 * free port, see http_port). opts may be NULL. 0 or a negative errno;
 * errbuf then says which step failed ("bind: ...", "bad address ...").
 */
int http_open(struct http_server **out, const char *addr,
	      const struct http_opts *opts, char *errbuf, size_t errlen);

/* The one descriptor to poll for POLLIN (an epoll instance). */
int http_fd(const struct http_server *s);

/* The port it listens on (useful after port 0). */
int http_port(const struct http_server *s);

/*
 * Accepts, reads, answers, writes and drops what is due, without
 * blocking. now_ms is any monotonic clock in milliseconds, the same for
 * every call. 0, or a negative errno that the caller may log (the server
 * goes on; after running out of descriptors it stops accepting for
 * 100 ms rather than spin).
 */
int http_service(struct http_server *s, __u64 now_ms, http_handler h,
		 void *ctx);

/* Milliseconds until the next deadline, for poll(); -1: none. */
int http_next_timeout_ms(const struct http_server *s, __u64 now_ms);

void http_get_stats(const struct http_server *s, struct http_stats *st);

/* Closes every connection and the listener. NULL is fine. */
void http_close(struct http_server *s);

/*
 * The request parser, on its own for tests and the fuzzer. req[0..len)
 * is a request head that ends with an empty line, NUL-terminated at
 * req[len]; it is cut up in place. Returns 0 for a GET or HEAD the
 * handler should answer (*path: the NUL-terminated path, from '/', the
 * query cut off; *head_only for HEAD), else the status to answer with:
 * 400 malformed, 405 another method.
 */
int http_parse_request(char *req, size_t len, int *head_only, char **path);
/* 1 when req[0..len) holds the end of a request head (an empty line,
 * LF or CRLF), looking from offset from on; 0 while it does not. */
int http_request_complete(const char *req, size_t len, size_t from);

#endif /* FLOWSTAT_HTTP_H */
