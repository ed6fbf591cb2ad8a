// SPDX-License-Identifier: GPL-2.0
/* The exporters' HTTP listener (see http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "http.h"

#define HTTP_DEFAULT_CONNS	16
#define HTTP_DEFAULT_TIMEOUT	5000
#define HTTP_DEFAULT_REQUEST	8192
#define HTTP_MAX_CONNS		4096
#define HTTP_MAX_REQUEST	(1 << 20)
#define HTTP_BACKLOG		128
#define HTTP_EVENTS		64	/* events per http_service call */
#define HTTP_PAUSE_MS		100	/* no accepts when out of fds */
#define HTTP_LISTENER		(~0ULL)	/* the listener's epoll tag */

enum conn_state {
	CONN_FREE,
	CONN_READING,	/* the request is coming */
	CONN_WRITING,	/* the answer is going */
	CONN_CLOSING,	/* answered, write side shut: reading to EOF */
};

struct http_conn {
	int fd;
	enum conn_state state;
	__u64 order;		/* when it entered its state, as a count */
	__u64 deadline_ms;
	char *req;		/* max_request + 1 bytes, the server's */
	size_t req_len;
	char head[256];
	size_t head_len;
	struct http_body body;
	int send_body;		/* 0: HEAD */
	size_t sent;		/* of head, then body */
};

struct http_server {
	int lfd, epfd, port;
	struct http_opts o;
	struct http_conn *conns;
	char *reqbufs;
	__u64 order;		/* state changes so far */
	__u64 paused_until_ms;	/* accepts paused (out of fds) until */
	int paused;
	struct http_stats st;
};

/* ---- the body buffer ---- */

static int body_reserve(struct http_body *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->err)
		return b->err;
	if (more <= b->cap - b->len)
		return 0;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2)
			return b->err = -ENOMEM;
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		return b->err = -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

void http_body_append(struct http_body *b, const char *s, size_t n)
{
	if (body_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void http_body_puts(struct http_body *b, const char *s)
{
	http_body_append(b, s, strlen(s));
}

void http_body_printf(struct http_body *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = b->err ? b->err : -EINVAL;
		return;
	}
	/* n + 1: vsnprintf writes the terminating NUL */
	if (body_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

void http_body_free(struct http_body *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- opening ---- */

static int seterr(char *errbuf, size_t errlen, int err, const char *what)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s: %s", what, strerror(-err));
	return err;
}

/* "1.2.3.4:80" or "[::1]:80", numeric only: no name lookup can block. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss,
		      socklen_t *sslen)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs = addr;
	size_t hl;
	char *end;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	if (*addr == '[') {
		const char *rb = strchr(addr, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hs = addr + 1;
		hl = rb - hs;
		colon = rb + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		hl = colon - addr;
	}
	if (hl == 0 || hl >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	memcpy(host, hs, hl);
	host[hl] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port > 65535)
		return -EINVAL;
	if (*addr != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*sslen = sizeof(*s4);
		return 0;
	}
	if (*addr == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*sslen = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static int listen_on(struct http_server *s, const char *addr, char *errbuf,
		     size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int one = 1, err;

	err = parse_addr(addr, &ss, &sslen);
	if (err) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen,
				 "bad address '%s' (want IPv4:PORT or [IPv6]:PORT)",
				 addr);
		return err;
	}
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return seterr(errbuf, errlen, -errno, "socket");
	if (setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return seterr(errbuf, errlen, -errno, "SO_REUSEADDR");
	/* "[::]" means IPv6 only, as it reads */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		return seterr(errbuf, errlen, -errno, "IPV6_V6ONLY");
	if (bind(s->lfd, (struct sockaddr *)&ss, sslen))
		return seterr(errbuf, errlen, -errno, "bind");
	if (listen(s->lfd, HTTP_BACKLOG))
		return seterr(errbuf, errlen, -errno, "listen");
	sslen = sizeof(ss);
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &sslen))
		return seterr(errbuf, errlen, -errno, "getsockname");
	s->port = ntohs(ss.ss_family == AF_INET ?
			((struct sockaddr_in *)&ss)->sin_port :
			((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

static int epoll_set(struct http_server *s, int op, int fd, __u32 events,
		     __u64 tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(s->epfd, op, fd, &ev) ? -errno : 0;
}

int http_open(struct http_server **out, const char *addr,
	      const struct http_opts *opts, char *errbuf, size_t errlen)
{
	struct http_server *s;
	int i, err;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return seterr(errbuf, errlen, -ENOMEM, "http server");
	s->lfd = s->epfd = -1;
	if (opts)
		s->o = *opts;
	if (s->o.max_conns <= 0)
		s->o.max_conns = HTTP_DEFAULT_CONNS;
	if (!s->o.timeout_ms)
		s->o.timeout_ms = HTTP_DEFAULT_TIMEOUT;
	if (!s->o.max_request)
		s->o.max_request = HTTP_DEFAULT_REQUEST;
	if (s->o.max_conns > HTTP_MAX_CONNS ||
	    s->o.max_request > HTTP_MAX_REQUEST) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen,
				 "max_conns (%d) or max_request (%zu) above %d, %d",
				 s->o.max_conns, s->o.max_request,
				 HTTP_MAX_CONNS, HTTP_MAX_REQUEST);
		err = -EINVAL;
		goto fail;
	}
	s->conns = calloc(s->o.max_conns, sizeof(*s->conns));
	s->reqbufs = calloc(s->o.max_conns, s->o.max_request + 1);
	if (!s->conns || !s->reqbufs) {
		err = seterr(errbuf, errlen, -ENOMEM, "http server");
		goto fail;
	}
	for (i = 0; i < s->o.max_conns; i++) {
		s->conns[i].fd = -1;
		s->conns[i].req = s->reqbufs + i * (s->o.max_request + 1);
	}
	err = listen_on(s, addr, errbuf, errlen);
	if (err)
		goto fail;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		err = seterr(errbuf, errlen, -errno, "epoll_create1");
		goto fail;
	}
	err = epoll_set(s, EPOLL_CTL_ADD, s->lfd, EPOLLIN, HTTP_LISTENER);
	if (err) {
		seterr(errbuf, errlen, err, "epoll_ctl");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	http_close(s);
	return err;
}

int http_fd(const struct http_server *s)
{
	return s->epfd;
}

int http_port(const struct http_server *s)
{
	return s->port;
}

void http_get_stats(const struct http_server *s, struct http_stats *st)
{
	*st = s->st;
}

/* ---- connections ---- */

static void conn_close(struct http_server *s, struct http_conn *c)
{
	close(c->fd);	/* also takes it out of the epoll set */
	c->fd = -1;
	c->state = CONN_FREE;
	c->req_len = 0;
	c->sent = 0;
	http_body_free(&c->body);
	s->st.open--;
}

static void conn_enter(struct http_server *s, struct http_conn *c,
		       enum conn_state state, __u64 now_ms)
{
	c->state = state;
	c->order = ++s->order;
	c->deadline_ms = now_ms + s->o.timeout_ms;
}

static const char *status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	default: return "Internal Server Error";
	}
}

/* Reads what has come into the socket's buffer: drained, or closed. */
static void conn_drain(struct http_server *s, struct http_conn *c)
{
	char scratch[4096];
	int i;
	ssize_t n;

	/* bounded: a client that keeps sending is dropped at its deadline */
	for (i = 0; i < 16; i++) {
		n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break;
	}
	if (i < 16)
		conn_close(s, c);
}

/*
 * After the answer: shut the write side and read until the client
 * closes. Closing with unread bytes (a body, a too-long header) would
 * send a reset that can destroy the answer before the client reads it.
 */
static void conn_finish(struct http_server *s, struct http_conn *c,
			__u64 now_ms)
{
	s->st.answered++;
	http_body_free(&c->body);
	shutdown(c->fd, SHUT_WR);
	if (epoll_set(s, EPOLL_CTL_MOD, c->fd, EPOLLIN, c - s->conns)) {
		conn_close(s, c);
		return;
	}
	conn_enter(s, c, CONN_CLOSING, now_ms);
	conn_drain(s, c);
}

static void conn_write(struct http_server *s, struct http_conn *c,
		       __u64 now_ms)
{
	size_t body_len = c->send_body ? c->body.len : 0;
	struct iovec iov[2];
	struct msghdr msg = { .msg_iov = iov };
	ssize_t n;

	while (c->sent < c->head_len + body_len) {
		msg.msg_iovlen = 0;
		if (c->sent < c->head_len) {
			iov[0].iov_base = c->head + c->sent;
			iov[0].iov_len = c->head_len - c->sent;
			iov[1].iov_base = c->body.data;
			iov[1].iov_len = body_len;
			msg.msg_iovlen = body_len ? 2 : 1;
		} else {
			size_t off = c->sent - c->head_len;

			iov[0].iov_base = c->body.data + off;
			iov[0].iov_len = body_len - off;
			msg.msg_iovlen = 1;
		}
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (epoll_set(s, EPOLL_CTL_MOD, c->fd, EPOLLOUT,
				      c - s->conns))
				conn_close(s, c);
			return;
		}
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
		c->sent += n;
	}
	conn_finish(s, c, now_ms);
}

/* Puts the answer together and starts sending it. */
static void conn_answer(struct http_server *s, struct http_conn *c,
			int status, int head_only, __u64 now_ms)
{
	const char *type = "text/plain; charset=utf-8";
	int n;

	if (status == 200 && c->body.err)
		status = 500;
	if (status == 200) {
		if (c->body.content_type)
			type = c->body.content_type;
	} else {
		c->body.len = 0;
		c->body.err = 0;
		http_body_printf(&c->body, "%s\n", status_reason(status));
		if (c->body.err)	/* no memory: an answer with no body */
			c->body.len = 0;
	}
	n = snprintf(c->head, sizeof(c->head),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "%s"
		     "Connection: close\r\n\r\n",
		     status, status_reason(status), type, c->body.len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(c->head)) {
		/* only a caller's content type this long gets here */
		c->head_len = 0;
		conn_close(s, c);
		return;
	}
	c->head_len = n;
	c->send_body = !head_only;
	c->sent = 0;
	conn_enter(s, c, CONN_WRITING, now_ms);
	conn_write(s, c, now_ms);
}

/* RFC 9110 tchar: what a method or a header name is made of. */
static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* One line of len bytes (no CR or LF): no control bytes but tabs. */
static int line_clean(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = p[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return 0;
	}
	return 1;
}

/* The next line at *p (before end): its length without CR LF. */
static size_t next_line(char **p, char *end, char **line)
{
	char *nl = memchr(*p, '\n', end - *p);
	size_t len;

	*line = *p;
	if (!nl)	/* cannot happen: the request ends with an empty line */
		nl = end - 1;
	len = nl - *p;
	if (len && (*p)[len - 1] == '\r')
		len--;
	*p = nl + 1;
	return len;
}

static int header_ok(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	const char *q;

	if (!colon || colon == line || !line_clean(line, len))
		return 0;
	for (q = line; q < colon; q++)
		if (!is_tchar(*q))
			return 0;
	return 1;
}

/*
 * Parses the request in c->req[0..len) (it ends with an empty line).
 * Returns the status to answer with, 0 when the handler should answer;
 * *path then points at the NUL-terminated path (the query cut off).
 */
int http_parse_request(char *req, size_t len, int *head_only, char **path)
{
	char *p = req, *end = req + len, *line, *method, *sp1, *sp2, *q;
	size_t n = next_line(&p, end, &method);
	int method_ok;

	if (!n || !line_clean(method, n))
		return 400;
	sp1 = memchr(method, ' ', n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', method + n - sp1 - 1) : NULL;
	if (!sp1 || !sp2 || sp1 == method || sp2 == sp1 + 1 || sp1[1] != '/')
		return 400;
	for (q = method; q < sp1; q++)
		if (!is_tchar(*q))
			return 400;
	for (q = sp1 + 1; q < sp2; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
			return 400;
	if (method + n - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    sp2[8] < '0' || sp2[8] > '9')
		return 400;
	while ((n = next_line(&p, end, &line)) > 0)
		if (!header_ok(line, n))
			return 400;
	*head_only = sp1 - method == 4 && !memcmp(method, "HEAD", 4);
	method_ok = *head_only ||
		    (sp1 - method == 3 && !memcmp(method, "GET", 3));
	if (!method_ok)
		return 405;
	*sp2 = 0;
	sp1[strcspn(sp1, "?#")] = 0;
	*path = sp1 + 1;
	return 0;
}

/* The end of the headers (an empty line) in req, searching from 'from'. */
int http_request_complete(const char *req, size_t len, size_t from)
{
	size_t i;

	for (i = from; i < len; i++) {
		if (req[i] != '\n')
			continue;
		if (i >= 1 && req[i - 1] == '\n')
			return 1;
		if (i >= 2 && req[i - 1] == '\r' && req[i - 2] == '\n')
			return 1;
	}
	return 0;
}

static void conn_request(struct http_server *s, struct http_conn *c,
			 __u64 now_ms, http_handler h, void *ctx)
{
	int head_only = 0, status;
	char *path;

	c->req[c->req_len] = 0;
	status = http_parse_request(c->req, c->req_len, &head_only, &path);
	if (!status) {
		status = h(ctx, path, &c->body);
		if (status != 200 && status != 404)
			status = 500;
	}
	conn_answer(s, c, status, head_only, now_ms);
}

static void conn_read(struct http_server *s, struct http_conn *c,
		      __u64 now_ms, http_handler h, void *ctx)
{
	size_t room, from;
	ssize_t n;

	for (;;) {
		room = s->o.max_request - c->req_len;
		if (!room) {
			conn_answer(s, c, 431, 0, now_ms);
			return;
		}
		n = recv(c->fd, c->req + c->req_len, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {	/* gone before a whole request */
			conn_close(s, c);
			return;
		}
		from = c->req_len > 2 ? c->req_len - 2 : 0;
		c->req_len += n;
		if (http_request_complete(c->req, c->req_len, from)) {
			conn_request(s, c, now_ms, h, ctx);
			return;
		}
	}
}

static void conn_event(struct http_server *s, struct http_conn *c,
		       __u64 now_ms, http_handler h, void *ctx)
{
	switch (c->state) {
	case CONN_READING:
		conn_read(s, c, now_ms, h, ctx);
		break;
	case CONN_WRITING:
		conn_write(s, c, now_ms);
		break;
	case CONN_CLOSING:
		conn_drain(s, c);
		break;
	case CONN_FREE:		/* closed earlier in this batch */
		break;
	}
}

/*
 * A slot for a new connection: a free one, else the oldest closing one,
 * else the oldest one still reading its request (see http.h). NULL when
 * every connection is being answered.
 */
static struct http_conn *conn_slot(struct http_server *s)
{
	struct http_conn *closing = NULL, *reading = NULL, *c;
	int i;

	for (i = 0; i < s->o.max_conns; i++) {
		c = &s->conns[i];
		if (c->state == CONN_FREE)
			return c;
		if (c->state == CONN_CLOSING &&
		    (!closing || c->order < closing->order))
			closing = c;
		if (c->state == CONN_READING &&
		    (!reading || c->order < reading->order))
			reading = c;
	}
	if (closing) {
		conn_close(s, closing);
		return closing;
	}
	if (reading) {
		s->st.evicted++;
		conn_close(s, reading);
		return reading;
	}
	return NULL;
}

static int accept_pause(struct http_server *s, __u64 now_ms, int err)
{
	s->paused = 1;
	s->paused_until_ms = now_ms + HTTP_PAUSE_MS;
	epoll_set(s, EPOLL_CTL_MOD, s->lfd, 0, HTTP_LISTENER);
	return err;
}

/* At most max_conns accepts a call, so one call's work is bounded. */
static int accept_some(struct http_server *s, __u64 now_ms, http_handler h,
		       void *ctx)
{
	struct http_conn *c;
	int i, fd, err;

	for (i = 0; i < s->o.max_conns; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			if (err == -EAGAIN)
				return 0;
			if (err == -EINTR || err == -ECONNABORTED)
				continue;
			if (err == -EMFILE || err == -ENFILE ||
			    err == -ENOBUFS || err == -ENOMEM)
				return accept_pause(s, now_ms, err);
			return err;
		}
		s->st.accepted++;
		c = conn_slot(s);
		if (!c) {
			s->st.refused++;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->req_len = 0;
		s->st.open++;
		conn_enter(s, c, CONN_READING, now_ms);
		err = epoll_set(s, EPOLL_CTL_ADD, fd, EPOLLIN, c - s->conns);
		if (err) {
			conn_close(s, c);
			return err;
		}
		/* the request usually came with the connection */
		conn_read(s, c, now_ms, h, ctx);
	}
	return 0;
}

static void expire(struct http_server *s, __u64 now_ms)
{
	struct http_conn *c;
	int i;

	for (i = 0; i < s->o.max_conns; i++) {
		c = &s->conns[i];
		if (c->state == CONN_FREE || now_ms < c->deadline_ms)
			continue;
		if (c->state != CONN_CLOSING)
			s->st.timed_out++;
		conn_close(s, c);
	}
}

int http_service(struct http_server *s, __u64 now_ms, http_handler h,
		 void *ctx)
{
	struct epoll_event ev[HTTP_EVENTS];
	int i, n, listener = 0, err = 0;

	if (s->paused && now_ms >= s->paused_until_ms) {
		err = epoll_set(s, EPOLL_CTL_MOD, s->lfd, EPOLLIN,
				HTTP_LISTENER);
		s->paused = err != 0;
	}
	n = epoll_wait(s->epfd, ev, HTTP_EVENTS, 0);
	if (n < 0 && errno != EINTR)
		err = -errno;
	/* connections first: the listener may reuse a slot in this batch */
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == HTTP_LISTENER)
			listener = 1;
		else
			conn_event(s, &s->conns[ev[i].data.u64], now_ms, h,
				   ctx);
	}
	if (listener) {
		int aerr = accept_some(s, now_ms, h, ctx);

		err = err ? err : aerr;
	}
	expire(s, now_ms);
	return err;
}

int http_next_timeout_ms(const struct http_server *s, __u64 now_ms)
{
	__u64 next = s->paused ? s->paused_until_ms : ~0ULL;
	int i;

	for (i = 0; i < s->o.max_conns; i++)
		if (s->conns[i].state != CONN_FREE &&
		    s->conns[i].deadline_ms < next)
			next = s->conns[i].deadline_ms;
	if (next == ~0ULL)
		return -1;
	if (next <= now_ms)
		return 0;
	return next - now_ms > INT_MAX ? INT_MAX : (int)(next - now_ms);
}

void http_close(struct http_server *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; s->conns && i < s->o.max_conns; i++)
		if (s->conns[i].state != CONN_FREE)
			conn_close(s, &s->conns[i]);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->lfd >= 0)
		close(s->lfd);
	free(s->conns);
	free(s->reqbufs);
	free(s);
}
