// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP listener over real sockets on 127.0.0.1, in one process: the
 * server is serviced in a loop while non-blocking clients talk to it.
 * Deadlines are tested by moving the server's clock (skew_ms), so no
 * case depends on how fast the machine is; every wait is a condition
 * with a generous limit.
 *
 * "http_test --serve ADDR [--seconds N] [--port-file FILE]" serves the
 * fixture's exposition (tests/prom_fixture.h) on /metrics, and the one
 * with label values to escape on /escaped, for N seconds (default 120)
 * or until SIGTERM, for tests/test_prom.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "prom_fixture.h"
#include "testlib.h"

#define WAIT_MS		30000	/* every wait gives up after this */
#define TIMEOUT_MS	60000	/* the server's: reached only by skew */
#define BIG_LEN		(8 << 20)
#define MAX_CLIENTS	64

static __u64 skew_ms;	/* added to the server's clock */

static __u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __u64 server_ms(void)
{
	return mono_ms() + skew_ms;
}

static char big_byte(size_t i)
{
	return 'a' + (i * 7 + i / 4096) % 26;
}

static int handler(void *ctx, const char *path, struct http_body *out)
{
	size_t i;
	int err;

	(void)ctx;
	if (!strcmp(path, "/metrics")) {
		out->content_type = PROM_CONTENT_TYPE;
		err = fixture_render(out);
		return err ? err : 200;
	}
	if (!strcmp(path, "/escaped")) {
		out->content_type = PROM_CONTENT_TYPE;
		err = fixture_render_odd(out);
		return err ? err : 200;
	}
	if (!strcmp(path, "/big")) {
		for (i = 0; i < BIG_LEN; i++) {
			char ch = big_byte(i);

			http_body_append(out, &ch, 1);
		}
		return 200;
	}
	if (!strcmp(path, "/fail"))
		return -EIO;
	return 404;
}

/* ---- clients ---- */

struct client {
	int fd;
	char *buf;
	size_t len, cap;
	int eof;	/* the server closed (or reset) */
	int paused;	/* not read by pump(): a client that does not read */
	int shut;	/* it has shut its sending side */
};

static struct client *clients[MAX_CLIENTS];
static int max_open_seen;	/* most connections the server had open */

/*
 * Connects (blocking: the kernel completes it before any accept); rcvbuf
 * > 0 makes its receive buffer that small.
 */
static struct client *client_open(int port, int v6, int rcvbuf)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct client *c = calloc(1, sizeof(*c));
	int i;

	if (!c)
		return NULL;
	c->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 ||
	    (rcvbuf && setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    (v6 ? connect(c->fd, (struct sockaddr *)&a6, sizeof(a6))
		: connect(c->fd, (struct sockaddr *)&a4, sizeof(a4))) ||
	    fcntl(c->fd, F_SETFL, O_NONBLOCK)) {
		printf("#   connect to port %d: %s\n", port, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (!clients[i]) {
			clients[i] = c;
			break;
		}
	}
	return c;
}

static void client_close(struct client *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i] == c)
			clients[i] = NULL;
	close(c->fd);
	free(c->buf);
	free(c);
}

/* All of it now (requests are small: the socket buffer takes them). */
static int client_send(struct client *c, const void *data, size_t len)
{
	ssize_t n = len ? send(c->fd, data, len, MSG_NOSIGNAL) : 0;

	return n == (ssize_t)len ? 0 : -1;
}

static void client_read(struct client *c)
{
	ssize_t n;

	while (!c->eof) {
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 65536;
			c->buf = realloc(c->buf, c->cap + 1);
			if (!c->buf)
				abort();
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += n;
			c->buf[c->len] = 0;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		c->eof = 1;	/* 0, or a reset */
	}
}

/*
 * Services the server and reads the clients until done(arg) holds or
 * WAIT_MS pass; also keeps max_open_seen. Returns done(arg).
 */
static int pump(struct http_server *s, int (*done)(void *), void *arg)
{
	__u64 end = mono_ms() + WAIT_MS;
	struct pollfd p[MAX_CLIENTS + 1];
	struct http_stats st;
	int i, n, t;

	for (;;) {
		if (http_service(s, server_ms(), handler, NULL))
			printf("#   http_service: an error\n");
		http_get_stats(s, &st);
		if (st.open > max_open_seen)
			max_open_seen = st.open;
		for (i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] && !clients[i]->paused)
				client_read(clients[i]);
		if (done(arg))
			return 1;
		if (mono_ms() > end)
			return done(arg);
		p[0] = (struct pollfd){ .fd = http_fd(s), .events = POLLIN };
		for (i = 0, n = 1; i < MAX_CLIENTS; i++)
			if (clients[i] && !clients[i]->paused &&
			    !clients[i]->eof)
				p[n++] = (struct pollfd){ .fd = clients[i]->fd,
							  .events = POLLIN };
		t = http_next_timeout_ms(s, server_ms());
		poll(p, n, t < 0 || t > 20 ? 20 : t);
	}
}

static int is_eof(void *c)
{
	return ((struct client *)c)->eof;
}

static int peekable(void *c)
{
	char ch;

	return recv(((struct client *)c)->fd, &ch, 1,
		    MSG_PEEK | MSG_DONTWAIT) == 1;
}

struct stat_wait {
	struct http_server *s;
	__u64 accepted, timed_out;
};

static int stats_reached(void *arg)
{
	struct stat_wait *w = arg;
	struct http_stats st;

	http_get_stats(w->s, &st);
	return st.accepted >= w->accepted && st.timed_out >= w->timed_out;
}

/* Waits until the server has accepted n connections in all. */
static int wait_accepted(struct http_server *s, __u64 n)
{
	struct stat_wait w = { .s = s, .accepted = n };

	return pump(s, stats_reached, &w);
}

/* ---- responses ---- */

/* The status of c's response, -1 if it has none. */
static int status_of(const struct client *c)
{
	int status;

	if (c->len < 12 || strncmp(c->buf, "HTTP/1.1 ", 9) ||
	    sscanf(c->buf + 9, "%3d", &status) != 1)
		return -1;
	return status;
}

/* The value of header name (with ": "), or NULL; cut at CR. */
static const char *header_of(const struct client *c, const char *name,
			     char *val, size_t len)
{
	const char *end = c->len ? strstr(c->buf, "\r\n\r\n") : NULL;
	const char *p, *v;
	size_t n = strlen(name);

	if (!end)
		return NULL;
	for (p = strstr(c->buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) || p[2 + n] != ':')
			continue;
		v = p + 3 + n;
		v += strspn(v, " \t");
		snprintf(val, len, "%.*s", (int)strcspn(v, "\r"), v);
		return val;
	}
	return NULL;
}

static const char *body_of(const struct client *c, size_t *len)
{
	const char *end = c->len ? strstr(c->buf, "\r\n\r\n") : NULL;

	if (!end)
		return NULL;
	*len = c->len - (end + 4 - c->buf);
	return end + 4;
}

/* A response whose Content-Length says what its body has. */
static int length_ok(const struct client *c, int head_only)
{
	char val[32];
	size_t blen;

	if (!header_of(c, "Content-Length", val, sizeof(val)) ||
	    !body_of(c, &blen))
		return 0;
	return head_only ? blen == 0 : strtoull(val, NULL, 10) == blen;
}

/* Sends req on a new connection, waits for the whole answer. */
static struct client *exchange(struct http_server *s, const char *req,
			       size_t len)
{
	struct client *c = client_open(http_port(s), 0, 0);

	if (!c)
		return NULL;
	if (client_send(c, req, len) || !pump(s, is_eof, c))
		printf("#   no whole answer to %.40s\n", req);
	return c;
}

static struct http_server *server(int max_conns, size_t max_request)
{
	struct http_opts o = { .max_conns = max_conns,
			       .timeout_ms = TIMEOUT_MS,
			       .max_request = max_request };
	struct http_server *s;
	char err[128];

	if (http_open(&s, "127.0.0.1:0", &o, err, sizeof(err))) {
		printf("#   http_open: %s\n", err);
		return NULL;
	}
	max_open_seen = 0;
	return s;
}

/* ---- cases ---- */

static void test_get(struct http_server *s)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "User-Agent: t\r\nAccept: */*\r\n\r\n";
	struct http_body want = { 0 };
	struct client *c;
	const char *body;
	size_t blen = 0;
	char val[128];

	fixture_render(&want);
	tl_begin("GET /metrics: 200, 0.0.4 content type, length, the exposition");
	c = exchange(s, req, strlen(req));
	CHECK(c && status_of(c) == 200, "status %d", c ? status_of(c) : -1);
	if (c && c->buf) {
		CHECK(!strncmp(c->buf, "HTTP/1.1 200 OK\r\n", 17), "status line");
		CHECK(header_of(c, "Content-Type", val, sizeof(val)) &&
		      !strcmp(val, "text/plain; version=0.0.4; charset=utf-8"),
		      "content type");
		CHECK(header_of(c, "Connection", val, sizeof(val)) &&
		      !strcmp(val, "close"), "connection");
		CHECK(length_ok(c, 0), "content length");
		body = body_of(c, &blen);
		CHECK(body && blen == want.len &&
		      !memcmp(body, want.data, blen), "body: %zu bytes", blen);
	}
	client_close(c);
	tl_end();

	tl_begin("HEAD /metrics: the headers of GET, no body");
	c = exchange(s, "HEAD /metrics HTTP/1.1\r\n\r\n", 26);
	CHECK(c && status_of(c) == 200, "status %d", c ? status_of(c) : -1);
	if (c) {
		char want_len[32];

		snprintf(want_len, sizeof(want_len), "%zu", want.len);
		CHECK(length_ok(c, 1), "a body came");
		CHECK(header_of(c, "Content-Length", val, sizeof(val)) &&
		      !strcmp(val, want_len),
		      "Content-Length is not the GET body's %s", want_len);
	}
	client_close(c);
	tl_end();
	http_body_free(&want);

	tl_begin("query strings are cut, HTTP/1.0 and bare LF line ends are read");
	c = exchange(s, "GET /metrics?x=1&y HTTP/1.0\nHost: a\n\n", 37);
	CHECK(c && status_of(c) == 200, "status %d", c ? status_of(c) : -1);
	client_close(c);
	tl_end();
}

static void expect_status(struct http_server *s, const char *req, size_t len,
			  int status)
{
	struct client *c = exchange(s, req, len);
	int shown = len < 60 ? (int)len : 60, line = 0;

	while (line < shown && req[line] != '\r' && req[line] != '\n')
		line++;
	CHECK(c && status_of(c) == status &&
	      length_ok(c, len > 5 && !memcmp(req, "HEAD ", 5)),
	      "%.*s: status %d, want %d", line, req, c ? status_of(c) : -1,
	      status);
	client_close(c);
}

#define EXPECT(s, req, status) expect_status(s, req, sizeof(req) - 1, status)

static void test_errors(struct http_server *s)
{
	struct client *c;
	char val[64];

	tl_begin("other paths: 404");
	EXPECT(s, "GET / HTTP/1.1\r\n\r\n", 404);
	EXPECT(s, "GET /metricsx HTTP/1.1\r\n\r\n", 404);
	EXPECT(s, "HEAD /nope HTTP/1.1\r\n\r\n", 404);
	tl_end();

	tl_begin("other methods: 405 with Allow: GET, HEAD");
	c = exchange(s, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
		     49);
	CHECK(c && status_of(c) == 405, "status %d", c ? status_of(c) : -1);
	CHECK(c && header_of(c, "Allow", val, sizeof(val)) &&
	      !strcmp(val, "GET, HEAD"), "Allow");
	client_close(c);
	EXPECT(s, "get /metrics HTTP/1.1\r\n\r\n", 405);
	EXPECT(s, "DELETE /metrics HTTP/1.1\r\n\r\n", 405);
	tl_end();

	tl_begin("malformed requests: 400");
	EXPECT(s, "\r\n\r\n", 400);
	EXPECT(s, "HELLO\r\n\r\n", 400);
	EXPECT(s, "GET\r\n\r\n", 400);
	EXPECT(s, "GET /metrics\r\n\r\n", 400);
	EXPECT(s, "GET metrics HTTP/1.1\r\n\r\n", 400);
	EXPECT(s, "GET  /metrics HTTP/1.1\r\n\r\n", 400);
	EXPECT(s, "GET /metrics HTTP/2.0\r\n\r\n", 400);
	EXPECT(s, "GET /metrics HTTP/1.1 x\r\n\r\n", 400);
	EXPECT(s, "GET /met\x01rics HTTP/1.1\r\n\r\n", 400);
	EXPECT(s, "GET /metrics HTTP/1.1\r\nNo colon\r\n\r\n", 400);
	EXPECT(s, "GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n", 400);
	EXPECT(s, "GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400);
	EXPECT(s, "GET /metrics HTTP/1.1\r\nA: b\0c\r\n\r\n", 400);
	EXPECT(s, "G(T /metrics HTTP/1.1\r\n\r\n", 400);
	tl_end();

	tl_begin("a handler error: 500");
	EXPECT(s, "GET /fail HTTP/1.1\r\n\r\n", 500);
	tl_end();
}

static void test_too_large(void)
{
	struct http_server *s = server(4, 1024);
	char req[4096];
	size_t n;

	tl_begin("a request line or headers past max_request: 431, then closed");
	n = snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nX-A: ");
	memset(req + n, 'a', sizeof(req) - n);
	if (s) {
		/* 1024 is the limit; 1023 with its end fits */
		expect_status(s, req, sizeof(req), 431);
		memcpy(req + 1019, "\r\n\r\n", 4);
		expect_status(s, req, 1023, 200);
		memset(req, 'a', sizeof(req));
		memcpy(req, "GET /", 5);
		expect_status(s, req, sizeof(req), 431);
	}
	CHECK(s, "no server");
	http_close(s);
	tl_end();
}

static void test_slow_client(void)
{
	struct http_server *s = server(16, 0);
	struct client *slow = NULL, *good;
	struct stat_wait w = { .s = s, .timed_out = 1 };
	struct http_stats st;

	tl_begin("a client that sends half a request and stalls: others are served");
	CHECK(s, "no server");
	if (s)
		slow = client_open(http_port(s), 0, 0);
	CHECK(slow && !client_send(slow, "GET /metr", 9) &&
	      wait_accepted(s, 1), "slow client not accepted");
	CHECK_EQ(http_next_timeout_ms(s, server_ms()) > TIMEOUT_MS - WAIT_MS,
		 1);
	good = s ? exchange(s, "GET /metrics HTTP/1.1\r\n\r\n", 25) : NULL;
	CHECK(good && status_of(good) == 200, "good client: %d",
	      good ? status_of(good) : -1);
	CHECK(slow && !slow->eof && !slow->len, "slow client answered");
	client_close(good);
	tl_end();

	tl_begin("the stalled client is dropped at its deadline, with no answer");
	skew_ms += TIMEOUT_MS + 1;
	CHECK(slow && s && pump(s, is_eof, slow), "not dropped");
	CHECK(slow && !slow->len, "got %zu bytes", slow ? slow->len : 0);
	if (s) {
		CHECK(stats_reached(&w), "timed_out not counted");
		http_get_stats(s, &st);
		CHECK_EQ(st.open, 0);
		CHECK_EQ(http_next_timeout_ms(s, server_ms()), -1);
	}
	client_close(slow);
	http_close(s);
	tl_end();
}

/*
 * max_conns 4 and 20 idle connections, half of them with part of a
 * request: each new one takes the place of the oldest, so the server
 * never has more than 4, and a good client is served at once, long
 * before any deadline.
 */
static void test_flood(void)
{
	struct http_server *s = server(4, 0);
	struct client *idle[20] = { 0 }, *good = NULL;
	struct http_stats st = { 0 };
	int i, evicted = 0, open = 0;

	tl_begin("a flood of 20 idle connections, max_conns 4: never more than 4 open, a scraper served at once");
	for (i = 0; s && i < 20; i++) {
		idle[i] = client_open(http_port(s), 0, 0);
		if (idle[i] && i % 2)
			client_send(idle[i], "GET /metrics HTTP/1.1\r\nHo", 25);
		pump(s, stats_reached, &(struct stat_wait){ s, i + 1, 0 });
	}
	if (s) {
		good = exchange(s, "GET /metrics HTTP/1.1\r\n\r\n", 25);
		http_get_stats(s, &st);
	}
	CHECK(good && status_of(good) == 200, "good client: %d",
	      good ? status_of(good) : -1);
	CHECK(max_open_seen <= 4, "%d open at once", max_open_seen);
	CHECK_EQ(st.accepted, 21);
	CHECK_EQ(st.evicted, 17);
	CHECK_EQ(st.timed_out, 0);
	/* the oldest 17 were pushed out, the newest 3 still wait */
	for (i = 0; i < 20; i++) {
		if (idle[i] && idle[i]->eof)
			CHECK(i < 17 && !idle[i]->len, "idle %d closed", i);
		evicted += idle[i] && idle[i]->eof;
		open += idle[i] && !idle[i]->eof;
	}
	CHECK_EQ(evicted, 17);
	CHECK_EQ(open, 3);
	for (i = 0; i < 20; i++)
		client_close(idle[i]);
	client_close(good);
	http_close(s);
	tl_end();
}

/* A client with a small receive buffer that does not read (yet). */
static struct client *no_reader(struct http_server *s)
{
	struct client *c = client_open(http_port(s), 0, 4096);

	if (!c)
		return NULL;
	c->paused = 1;
	if (client_send(c, "GET /big HTTP/1.1\r\n\r\n", 21) ||
	    !pump(s, peekable, c))
		printf("#   no answer began\n");
	return c;
}

static void test_no_reader(void)
{
	struct http_server *s = server(2, 0);
	struct client *a = NULL, *b = NULL, *c = NULL;
	struct http_stats st = { 0 };
	const char *body;
	size_t blen = 0, i, bad = 0;

	tl_begin("a client that does not read a large answer stalls no one");
	a = s ? no_reader(s) : NULL;
	b = s ? exchange(s, "GET /metrics HTTP/1.1\r\n\r\n", 25) : NULL;
	CHECK(b && status_of(b) == 200, "other client: %d",
	      b ? status_of(b) : -1);
	client_close(b);
	tl_end();

	tl_begin("the large answer arrives whole once read (written across calls)");
	if (a) {
		a->paused = 0;
		CHECK(pump(s, is_eof, a), "no end");
		body = body_of(a, &blen);
		CHECK(status_of(a) == 200 && length_ok(a, 0) && blen == BIG_LEN,
		      "status %d, %zu bytes", status_of(a), blen);
		for (i = 0; body && i < blen; i++)
			bad += body[i] != big_byte(i);
		CHECK_EQ(bad, 0);
	}
	CHECK(a, "no client");
	client_close(a);
	tl_end();

	tl_begin("every slot answering: a new connection is closed at once");
	a = s ? no_reader(s) : NULL;
	b = s ? no_reader(s) : NULL;
	c = s ? exchange(s, "GET /metrics HTTP/1.1\r\n\r\n", 25) : NULL;
	CHECK(c && c->eof && !c->len, "got %zu bytes", c ? c->len : 0);
	if (s)
		http_get_stats(s, &st);
	CHECK_EQ(st.refused, 1);
	client_close(c);
	tl_end();

	tl_begin("answers never read are dropped at their deadline");
	skew_ms += TIMEOUT_MS + 1;
	if (s) {
		struct stat_wait w = { .s = s, .timed_out = 2 };

		CHECK(pump(s, stats_reached, &w), "not dropped");
		http_get_stats(s, &st);
		CHECK_EQ(st.open, 0);
	}
	if (a && b) {
		a->paused = b->paused = 0;
		CHECK(pump(s, is_eof, a) && pump(s, is_eof, b), "still open");
		CHECK(a->len < BIG_LEN && b->len < BIG_LEN, "got it all");
	}
	CHECK(a && b, "no clients");
	client_close(a);
	client_close(b);
	http_close(s);
	tl_end();
}

/* xorshift64: the same garbage on every libc */
static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u32 rnd(__u32 n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (__u32)(rng >> 32) % n;
}

/* Random bytes, request-like text, or a mutated request. */
static size_t garbage(char *buf, size_t cap)
{
	static const char *const parts[] = {
		"GET", "HEAD", "POST", " ", "/", "/metrics", "?", "HTTP/1.1",
		"HTTP/1.", "\r\n", "\n", "\r", ":", "Host", "\t", "\0", "\xff",
		"\r\n\r\n", "\n\n", "%", "\"",
	};
	size_t n = 0, len, i;

	switch (rnd(4)) {
	case 0:
		for (len = rnd(cap); n < len; n++)
			buf[n] = (char)rnd(256);
		break;
	case 1:
		for (len = rnd(64); len--;) {
			const char *p =
				parts[rnd(sizeof(parts) / sizeof(parts[0]))];
			size_t pl = *p ? strlen(p) : 1;

			if (n + pl > cap)
				break;
			memcpy(buf + n, p, pl);
			n += pl;
		}
		break;
	default:
		n = snprintf(buf, cap, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
			     "Accept: */*\r\n\r\n");
		for (i = rnd(4) + 1; i--;)
			buf[rnd(n)] = (char)rnd(256);
		break;
	}
	return n;
}

static int all_eof(void *arg)
{
	struct client **c = arg;
	int i;

	for (i = 0; i < 8; i++)
		if (c[i] && !c[i]->eof)
			return 0;
	return 1;
}

static int shut_eof(void *arg)
{
	struct client **c = arg;
	int i;

	for (i = 0; i < 8; i++)
		if (c[i] && c[i]->shut && !c[i]->eof)
			return 0;
	return 1;
}

static void test_garbage(void)
{
	struct http_server *s = server(16, 1024);
	struct client *c[8], *good;
	int round, i, status, answered = 0, bad = 0;
	char buf[2048];
	size_t n;

	tl_begin("320 requests of seeded garbage: no crash, only whole 200/400/404/405/431 answers");
	for (round = 0; s && round < 40; round++) {
		for (i = 0; i < 8; i++) {
			c[i] = client_open(http_port(s), 0, 0);
			if (!c[i])
				continue;
			n = garbage(buf, sizeof(buf));
			client_send(c[i], buf, n);
			if (rnd(2)) {	/* half say they are done */
				shutdown(c[i]->fd, SHUT_WR);
				c[i]->shut = 1;
			}
		}
		pump(s, shut_eof, c);
		/* the rest wait for their deadline */
		skew_ms += TIMEOUT_MS + 1;
		CHECK(pump(s, all_eof, c), "round %d: clients left open",
		      round);
		for (i = 0; i < 8; i++) {
			if (!c[i])
				continue;
			status = status_of(c[i]);
			if (c[i]->len) {
				answered++;
				bad += !length_ok(c[i], 0) ||
				       (status != 200 && status != 400 &&
					status != 404 && status != 405 &&
					status != 431);
			}
			client_close(c[i]);
		}
	}
	printf("# %d of 320 answered\n", answered);
	CHECK(answered > 100, "only %d answered", answered);
	CHECK_EQ(bad, 0);
	good = s ? exchange(s, "GET /metrics HTTP/1.1\r\n\r\n", 25) : NULL;
	CHECK(good && status_of(good) == 200, "good client after: %d",
	      good ? status_of(good) : -1);
	client_close(good);
	http_close(s);
	tl_end();
}

static void test_open(void)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:", ":80", "::1:80", "[::1]80",
		"[::1]:99999", "localhost:80", "127.0.0.1:80x", "[127.0.0.1]:80",
		"127.0.0.1:-1", "[]:80", "",
	};
	struct http_server *s, *s2;
	struct client *c;
	char err[128], addr[64];
	size_t i;
	int rc;

	tl_begin("http_open: bad addresses are -EINVAL with a reason");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		rc = http_open(&s, bad[i], NULL, err, sizeof(err));
		CHECK(rc == -EINVAL && !s && strstr(err, "bad address"),
		      "'%s': %d '%s'", bad[i], rc, err);
		if (!rc)
			http_close(s);
	}
	tl_end();

	tl_begin("http_open: bounds past 4096 connections or 1 MiB requests are -EINVAL");
	rc = http_open(&s, "127.0.0.1:0",
		       &(struct http_opts){ .max_request = (size_t)-1 }, err,
		       sizeof(err));
	CHECK(rc == -EINVAL && !s, "max_request: %d '%s'", rc, err);
	rc = http_open(&s, "127.0.0.1:0", &(struct http_opts){ .max_conns = 4097 },
		       err, sizeof(err));
	CHECK(rc == -EINVAL && !s, "max_conns: %d '%s'", rc, err);
	tl_end();

	tl_begin("http_open: a port in use is -EADDRINUSE, said as bind");
	s = server(0, 0);
	if (s) {
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", http_port(s));
		rc = http_open(&s2, addr, NULL, err, sizeof(err));
		CHECK(rc == -EADDRINUSE && !strncmp(err, "bind: ", 6),
		      "%d '%s'", rc, err);
		if (!rc)
			http_close(s2);
	}
	CHECK(s, "no server");
	http_close(s);
	tl_end();

	tl_begin("http_open: [::1]:0 serves over IPv6");
	rc = http_open(&s, "[::1]:0", NULL, err, sizeof(err));
	if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
		tl_skip("no IPv6 loopback");
		return;
	}
	CHECK(!rc && http_port(s) > 0, "%d '%s'", rc, err);
	c = rc ? NULL : client_open(http_port(s), 1, 0);
	if (c) {
		client_send(c, "GET /metrics HTTP/1.1\r\n\r\n", 25);
		CHECK(pump(s, is_eof, c) && status_of(c) == 200, "status %d",
		      status_of(c));
	}
	CHECK(c, "no client");
	client_close(c);
	http_close(s);
	tl_end();
}

/* ---- --serve ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int write_port(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

static int serve(int argc, char **argv)
{
	const char *addr = argv[2], *port_file = NULL;
	unsigned long seconds = 120;
	struct http_server *s;
	struct pollfd p;
	__u64 end;
	char err[128];
	int i, t;

	for (i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--port-file"))
			port_file = argv[i + 1];
	}
	if (http_open(&s, addr, NULL, err, sizeof(err))) {
		fprintf(stderr, "http_test: %s: %s\n", addr, err);
		return 1;
	}
	if (port_file && write_port(port_file, http_port(s))) {
		fprintf(stderr, "http_test: %s: %s\n", port_file,
			strerror(errno));
		http_close(s);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	end = mono_ms() + seconds * 1000;
	while (!stop && mono_ms() < end) {
		p = (struct pollfd){ .fd = http_fd(s), .events = POLLIN };
		t = http_next_timeout_ms(s, mono_ms());
		poll(&p, 1, t < 0 || t > 200 ? 200 : t);
		http_service(s, mono_ms(), handler, NULL);
	}
	http_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	struct http_server *s;

	if (argc > 2 && !strcmp(argv[1], "--serve"))
		return serve(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	s = server(16, 0);
	if (s) {
		test_get(s);
		test_errors(s);
	}
	http_close(s);
	test_too_large();
	test_slow_client();
	test_flood();
	test_no_reader();
	test_garbage();
	test_open();
	return tl_exit();
}
