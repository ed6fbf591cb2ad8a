#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Abuse of an HTTP /metrics endpoint on loopback, bounded in count and
time, while a scraper asks for /metrics every 0.2 s: each scrape must be
answered whole (200, a body ending in a newline) within --bound seconds,
during every phase and after the last.

usage: http_abuse.py PORT [--bound SEC] [--seed N]

Phases (one line each, "ok - NAME" or "# detail" + "not ok - NAME"):
  garbage     60 connections send seeded random bytes, bad request lines,
              NULs, bare LFs, unknown methods: each is answered 4xx or
              closed, never 200 and never left hanging
  huge        a 64 KiB header, a 2 MiB header sent until the server stops
              reading, 20,000 header lines: 431 or closed
  slow        6 clients send a whole request (25 bytes) a byte per 100 ms
              and are answered 200; 6 send half a request and stop: the
              server closes each of those within its timeout (5 s) plus
              slack (12 clients and the scraper: fewer than the 16
              connections the server keeps, so none is pushed out)
  many        200 connections at once, idle, then 200 whole requests at
              once: each is answered or closed, none left hanging
Exits 1 when any phase failed.
"""
import random
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
HANG = 30.0		# a connection still open after this hangs


def connect(port, timeout=HANG):
    s = socket.create_connection((HOST, port), timeout=timeout)
    return s


def read_all(s, deadline):
    """Everything the server sends until it closes: (bytes, closed)."""
    data = b""
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return data, False
        except OSError:		# reset: closed
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def status_of(data):
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


class Scraper(threading.Thread):
    """GET /metrics every 0.2 s; keeps the failures and the slowest."""

    def __init__(self, port, bound):
        super().__init__(daemon=True)
        self.port, self.bound = port, bound
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.n, self.bad, self.slowest = 0, [], 0.0

    def scrape(self):
        t0 = time.monotonic()
        why = None
        try:
            s = connect(self.port, self.bound)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            data, closed = read_all(s, t0 + self.bound)
            s.close()
            head, _, body = data.partition(b"\r\n\r\n")
            if not closed:
                why = "no whole answer within %.1f s" % self.bound
            elif status_of(head) != 200 or not body.endswith(b"\n"):
                why = "answer %r" % head[:60]
        except OSError as e:
            why = "error %s" % e
        took = time.monotonic() - t0
        with self.lock:
            self.n += 1
            self.slowest = max(self.slowest, took)
            if why:
                self.bad.append("%.1f s: %s" % (took, why))

    def run(self):
        while not self.stop.is_set():
            self.scrape()
            self.stop.wait(0.2)

    def report(self):
        with self.lock:
            return self.n, list(self.bad), self.slowest


def finish_all(socks, deadline):
    """Read each socket to its end; the statuses and those left open."""
    statuses, hanging = [], 0
    for s in socks:
        data, closed = read_all(s, deadline)
        statuses.append(status_of(data))
        if not closed:
            hanging += 1
        s.close()
    return statuses, hanging


def phase_garbage(port, rng):
    fixed = [b"\0\0\0\0\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
             b"BREW /metrics HTTP/1.1\r\n\r\n", b"\n\n",
             b"GET /metrics HTTP/1.1\r\nNo colon here\r\n\r\n",
             b"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n",
             b"GET \x80\xff HTTP/1.1\r\n\r\n", b"\r\n\r\n",
             b"GET /metrics HTTP/1.1\rX: y\r\n\r\n"]
    socks = []
    for i in range(60):
        if i < len(fixed):
            req = fixed[i]
        else:
            req = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600)))
            req += b"\r\n\r\n"
        s = connect(port)
        try:
            s.sendall(req)
        except OSError:
            pass
        socks.append(s)
    statuses, hanging = finish_all(socks, time.monotonic() + HANG)
    bad = [st for st in statuses if st is not None and not 400 <= st < 500]
    why = []
    if bad:
        why.append("answers that are not 4xx: %s" % sorted(set(bad)))
    if hanging:
        why.append("%d connections left hanging" % hanging)
    return why


def phase_huge(port, rng):
    why = []
    s = connect(port)
    s.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
    data, closed = read_all(s, time.monotonic() + HANG)
    s.close()
    if status_of(data) not in (None, 431) or not closed:
        why.append("64 KiB header: %r, closed %s" % (data[:40], closed))
    # 2 MiB, sent until the server stops reading
    s = connect(port)
    sent = 0
    s.settimeout(5)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: ")
        while sent < (2 << 20):
            sent += s.send(b"b" * 65536)
    except OSError:
        pass
    data, closed = read_all(s, time.monotonic() + HANG)
    s.close()
    if status_of(data) not in (None, 431) or not closed:
        why.append("2 MiB header (%d bytes went): %r, closed %s"
                   % (sent, data[:40], closed))
    s = connect(port)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\n" + b"X: y\r\n" * 20000 + b"\r\n")
    except OSError:
        pass
    data, closed = read_all(s, time.monotonic() + HANG)
    s.close()
    if status_of(data) not in (None, 431) or not closed:
        why.append("20,000 header lines: %r, closed %s" % (data[:40], closed))
    return why


def trickle(port, req, results, i):
    """Send req a byte per 100 ms (until the server closes); then read."""
    t0 = time.monotonic()
    try:
        s = connect(port)
        for b in req:
            try:
                s.send(bytes([b]))
            except OSError:
                break
            time.sleep(0.1)
        data, closed = read_all(s, t0 + HANG)
        s.close()
        results[i] = (time.monotonic() - t0, closed, status_of(data))
    except OSError as e:
        results[i] = (time.monotonic() - t0, True, str(e))


def phase_slow(port, rng):
    whole = b"GET /metrics HTTP/1.0\r\n\r\n"
    half = b"GET /metrics HTTP/1.1\r\nHo"
    results = [None] * 12
    threads = [threading.Thread(target=trickle,
                                args=(port, whole if i < 6 else half,
                                      results, i)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG + 10)
    why = []
    if any(r is None for r in results):
        why.append("clients that never ended")
        return why
    open_ = [i for i, r in enumerate(results) if not r[1]]
    if open_:
        why.append("%d connections the server never closed" % len(open_))
    # the timeout is 5 s from the accept; a half request must not
    # outlive it by much (a loaded machine: 10 s slack)
    late = [r[0] for r in results[6:] if r[0] > 15]
    if late:
        why.append("half requests held %.1f s" % max(late))
    ok200 = sum(1 for r in results[:6] if r[2] == 200)
    if ok200 != 6:
        why.append("whole slow requests answered: %s"
                   % [r[2] for r in results[:6]])
    return why, ok200


def phase_many(port, rng):
    why = []
    idle = []
    for _ in range(200):
        try:
            idle.append(connect(port, 5))
        except OSError as e:
            why.append("connect: %s" % e)
            break
    # the server pushes idle ones out as new ones come; all end by
    # its timeout
    _, hanging = finish_all(idle, time.monotonic() + HANG)
    if hanging:
        why.append("%d idle connections left open" % hanging)
    socks = []
    for _ in range(200):
        try:
            s = connect(port, 5)
            s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
            socks.append(s)
        except OSError:
            pass		# refused at once: allowed
    statuses, hanging = finish_all(socks, time.monotonic() + HANG)
    bad = [st for st in statuses if st not in (None, 200)]
    if bad:
        why.append("answers: %s" % sorted(set(bad)))
    if hanging:
        why.append("%d requests left hanging" % hanging)
    return why, sum(1 for st in statuses if st == 200)


def main():
    port = int(sys.argv[1])
    bound, seed = 2.0, 11
    args = sys.argv[2:]
    while args:
        if args[0] == "--bound":
            bound = float(args[1])
        elif args[0] == "--seed":
            seed = int(args[1])
        args = args[2:]
    rng = random.Random(seed)
    scraper = Scraper(port, bound)
    scraper.start()
    failed = False
    for name, phase in (("garbage", phase_garbage), ("huge", phase_huge),
                        ("slow", phase_slow), ("many", phase_many)):
        scraper.reset()
        t0 = time.monotonic()
        out = phase(port, rng)
        why, served = (out if isinstance(out, tuple) else (out, None))
        # at least two scrapes in each phase
        while scraper.report()[0] < 2 and time.monotonic() < t0 + HANG:
            time.sleep(0.1)
        n, bad, slowest = scraper.report()
        if bad:
            why.append("scrapes during it: %d of %d failed: %s"
                       % (len(bad), n, "; ".join(bad[:3])))
        label = "http_%s_the_endpoint_stays_up_and_scrapes_answer" % name
        extra = " (%d scrapes, slowest %.2f s%s, %.1f s)" % (
            n, slowest, ", %d of its requests answered 200" % served
            if served is not None else "", time.monotonic() - t0)
        if why:
            for w in why:
                print("# " + w)
            print("not ok - " + label)
            failed = True
        else:
            print("ok - " + label + extra)
        sys.stdout.flush()
    scraper.stop.set()
    scraper.join(HANG)
    scraper.scrape()
    n, bad, _ = scraper.report()
    if bad:
        print("# " + bad[-1])
        print("not ok - http_scrape_after_the_abuse")
        failed = True
    else:
        print("ok - http_scrape_after_the_abuse")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
